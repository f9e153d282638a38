"""PRIVACY.md answers for every field Knowhow stores: a field added to a model (or to slack-sdk's
installation stores) without its line in PRIVACY.md fails here, and so does a line for a field
that no longer exists."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table, in SQLModel.metadata)
from bot.tokenstore import METADATA as SLACK_STORES

ROOT = Path(__file__).resolve().parent.parent
PRIVACY = ROOT / "PRIVACY.md"
PERSONAL = {"id", "text", "yes", "no"}
ROW = re.compile(r"^\|\s*`(?P<field>[a-z_]+\.[a-z_]+)`\s*\|(?P<rest>.*)\|\s*$")


def documented() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in PRIVACY.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match["field"] not in rows, f"{match['field']} has two lines in PRIVACY.md"
            rows[match["field"]] = [cell.strip() for cell in match["rest"].split("|")]
    return rows


def stored() -> set[str]:
    tables = [*SQLModel.metadata.sorted_tables, *SLACK_STORES.sorted_tables]
    return {f"{table.name}.{column.name}" for table in tables for column in table.c}


def test_every_stored_field_has_its_line_in_privacy_md():
    rows = documented()
    missing = sorted(stored() - rows.keys())
    assert not missing, (
        "Fields with no line in PRIVACY.md (add one to its tables: personal or not, why, how long, who sees it):\n"
        + "\n".join(missing)
    )
    gone = sorted(rows.keys() - stored())
    assert not gone, "PRIVACY.md describes fields that no longer exist:\n" + "\n".join(gone)


def test_each_line_says_whether_it_is_personal_how_long_and_who_sees_it():
    for field, (personal, holds, why, kept, seen) in documented().items():
        assert personal in PERSONAL, f"{field}: 'personal' is one of {sorted(PERSONAL)}, not {personal!r}"
        assert holds and kept and seen, f"{field}: say what it holds, how long it is kept and who sees it"
        if personal in ("id", "text"):
            assert why != "—", f"{field}: say why it is kept"


def test_the_readme_links_it():
    assert "(PRIVACY.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
