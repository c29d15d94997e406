"""docs/privacy.md names every field remit keeps: a table or column added to the database without
saying there what it holds, why and for how long fails here."""

from __future__ import annotations

import re
from pathlib import Path

import remit.store  # noqa: F401  (every model module is imported: the metadata is complete)
from remit.store._sql_models import Base

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## What remit keeps, and where"


def _documented() -> dict[str, list[str]]:
    """Each field of the privacy table (``table.column``), with the row's other three cells."""
    text = (ROOT / "docs" / "privacy.md").read_text("utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    found: dict[str, list[str]] = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert len(cells) == 4, f"a row of the privacy table has {len(cells)} cells: {row}"
        for field in re.findall(r"`([a-z0-9_]+\.[a-z0-9_]+)`", cells[0]):
            found[field] = cells[1:]
    return found


def _stored() -> set[str]:
    return {f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns}


def test_every_stored_field_is_in_the_privacy_table_with_what_why_and_how_long() -> None:
    documented = _documented()
    missing = sorted(_stored() - set(documented))
    assert missing == [], f"docs/privacy.md does not say what these hold, why, how long: {missing}"
    for field, (what, why, how_long) in documented.items():
        assert all((what, why, how_long)), f"{field}: a cell of its row is empty"


def test_the_privacy_table_names_no_field_the_database_does_not_have() -> None:
    assert sorted(set(_documented()) - _stored()) == []
