"""Files remit creates: readable and writable by their owner only (mode 0600), whatever the umask.

The database holds platforms' secrets beside participants' data, the log key signs the public log,
the first admin token is an administrator's credential: any local user who could read them could
act as remit. So every file remit writes is created 0600, never widened, and a folder that other
users may write to (and so swap or pre-create files in) is named in a warning. Imports nothing of
remit's but its errors.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

#: Owner read and write, nothing for the group or others.
PRIVATE = 0o600


def create_private(path: str | Path) -> bool:
    """Create ``path`` empty with mode 0600 when it does not exist; True when it was created.
    An existing file is left as it is (see :func:`loose_mode`)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def write_private(path: str | Path, data: str | bytes, *, exclusive: bool = False) -> None:
    """Write ``data`` to ``path``, mode 0600: whole or not at all (written aside, then moved into
    place). ``exclusive``: raise ``FileExistsError`` rather than replace an existing file."""
    target = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    aside = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        try:
            os.write(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            os.link(aside, target)
        else:
            os.replace(aside, target)
    finally:
        aside.unlink(missing_ok=True)


def loose_mode(path: str | Path) -> str | None:
    """A warning when the file at ``path`` is open to the group or others, else None."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"{path} is open to other users (mode {mode:04o}); it should be readable by its owner "
        f"only: chmod 600 {path}"
    )


def open_folder(path: str | Path) -> str | None:
    """A warning when other users may write in the folder at ``path`` (and so replace or
    pre-create the files remit keeps there), else None."""
    folder = Path(path)
    try:
        mode = stat.S_IMODE(os.stat(folder).st_mode)
    except OSError:
        return None
    if not mode & 0o022:
        return None
    return (
        f"the folder {folder} may be written by other users (mode {mode:04o}): they could "
        "replace remit's files there; keep them in a folder only remit's user writes to "
        f"(chmod go-w {folder})"
    )
