"""Debian packages a test needs, installed when missing (as root, with apt-get).

When they cannot be installed, the test is skipped with the reason, or fails on CI
(``CI=true``), where a missing server must never pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable

import pytest


def debian_packages(what: str, packages: tuple[str, ...], ready: Callable[[], bool]) -> None:
    """Make ``ready()`` true by installing ``packages`` when it is not; ``what`` names them."""
    if ready():
        return
    why = f"{what} is not installed"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        result = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", *packages],
            capture_output=True,
            env=env,
            check=False,
        )
        if result.returncode == 0 and ready():
            return
        why += f" and apt-get install {' '.join(packages)} failed: {result.stderr.decode()[-500:]}"
    else:
        why += " and installing it needs root and apt-get"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)
