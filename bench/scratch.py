"""A fresh, empty database for one benchmark run, shared by the scripts in bench/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote


@contextmanager
def scratch_database(database_url: str | None, workdir: Path) -> Iterator[str]:
    """A SQLite file in `workdir`, or on PostgreSQL a new schema (dropped afterwards) reached
    through the URL's search_path. Earlier runs' rows must not count."""
    if not database_url:
        yield f"sqlite:///{workdir / 'knowhow.db'}"
        return
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    from sqlalchemy import text

    from storage.db import make_engine

    schema = f"knowhow_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in database_url else "?"
        yield f"{database_url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
