"""The workspace guard: every query product code sends must say which workspace it is about.

Every table with a `team_id` column belongs to one workspace. A SELECT, UPDATE or DELETE that
touches one must carry a `team_id = :value` (or `team_id IN (...)`) criterion, unless it declares
that it spans all workspaces on purpose: `.execution_options(all_workspaces=True)` (a scheduler
sweep, the outbox worker, a purge), or `session.get(..., execution_options={"all_workspaces": True})`.
`session.get(Model, pk)` on a table whose primary key does not hold `team_id` is refused outright,
even when the row is already in the identity map and no SQL is sent.

What is checked: statements sent through an ORM Session (`do_orm_execute`) and `Session.get`.
Not checked: INSERTs (they carry their team_id as a value), lazy/column loads of rows already
loaded (their load was checked), raw `text()` SQL and Connection-level calls (nothing to inspect).
Queries written in test code (tests/) are not product queries and are let through.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, ColumnElement

ROOT = Path(__file__).resolve().parent.parent
OPTION = "all_workspaces"
# Helpers that run a query for their caller: the caller wrote it, so the caller is named.
_RUNNERS = {"storage/claims.py", "storage/upsert.py"}

# Known offenders, in modules other engineers are restructuring right now: to be fixed by the edge
# restructure (bot/listeners/mentor.py, bot/listeners/sessions.py, bot/posts.py) and the
# core.mentoring split. A module and its submodules; remove each once it is clean.
KNOWN_OFFENDERS: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    where: str  # path:line in function, the innermost product frame that sent the query
    what: str  # the statement, or "session.get(Model)"

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Guard:
    violations: list[Violation] = field(default_factory=list)
    known_offenders: tuple[str, ...] = KNOWN_OFFENDERS

    def report(self, what: str) -> None:
        where = _author()
        if where is None:  # written in test code
            return
        module, location = where
        if any(module == known or module.startswith(known + ".") for known in self.known_offenders):
            return
        self.violations.append(Violation(location, what))

    def on_execute(self, state: ORMExecuteState) -> None:
        if state.is_relationship_load or state.is_column_load or state.is_insert:
            return
        if state.execution_options.get(OPTION) or state.statement.get_execution_options().get(OPTION):
            return
        if unscoped(state.statement):
            self.report(" ".join(str(state.statement).split())[:300])


def _team_table(obj: Any) -> bool:
    return isinstance(obj, Table) and "team_id" in obj.c


def _is_team_column(element: Any) -> bool:
    if not isinstance(element, ColumnElement) or getattr(element, "name", None) != "team_id":
        return False
    table = getattr(element, "table", None)
    return table is not None and "team_id" in getattr(table, "c", {})


def unscoped(statement: Any) -> bool:
    """True when the statement touches a workspace table and binds no team_id anywhere."""
    touches = scoped = False
    for element in visitors.iterate(statement):
        if _team_table(element):
            touches = True
        elif isinstance(element, BinaryExpression) and element.operator in (operators.eq, operators.in_op):
            sides = (element.left, element.right)
            for one, other in (sides, sides[::-1]):
                if _is_team_column(one) and isinstance(other, BindParameter):
                    scoped = True
        if touches and scoped:
            return False
    return touches and not scoped


def _author() -> tuple[str, str] | None:
    """(module, "path:line in function") of the innermost frame of Knowhow's own code that sent
    the query; None when that is test code."""
    for frame, lineno in traceback.walk_stack(None):  # innermost first, without reading sources
        path = Path(frame.f_code.co_filename).resolve()
        if ROOT not in path.parents or ".venv" in path.parts:
            continue
        relative = path.relative_to(ROOT).as_posix()
        if relative == "tests/scoping.py" or relative in _RUNNERS:
            continue
        if relative.startswith("tests/"):
            return None
        module = relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        return module, f"{relative}:{lineno} in {frame.f_code.co_name}"
    return None


@contextmanager
def guard(known_offenders: tuple[str, ...] = KNOWN_OFFENDERS) -> Iterator[Guard]:
    """Watch every ORM Session while the block runs; the violations are in the yielded Guard."""
    watch = Guard(known_offenders=known_offenders)
    originals = {name: getattr(Session, name) for name in ("get", "get_one")}

    def checked(name: str):
        original = originals[name]

        def by_key(session, entity, ident, *args, **kwargs):
            options = kwargs.get("execution_options") or {}
            table = getattr(entity, "__table__", None)
            if (
                not options.get(OPTION)
                and _team_table(table)
                and "team_id" not in {c.name for c in table.primary_key.columns}
            ):
                watch.report(f"session.{name}({getattr(entity, '__name__', entity)}, {ident!r}) by primary key alone")
            return original(session, entity, ident, *args, **kwargs)

        return by_key

    event.listen(Session, "do_orm_execute", watch.on_execute)
    for name in originals:
        setattr(Session, name, checked(name))
    try:
        yield watch
    finally:
        for name, original in originals.items():
            setattr(Session, name, original)
        event.remove(Session, "do_orm_execute", watch.on_execute)


def describe(violations: list[Violation]) -> str:
    lines = sorted({str(v) for v in violations})
    return "Queries not scoped to a workspace (add a team_id criterion, or declare all_workspaces=True):\n" + "\n".join(
        lines
    )


__all__ = ["OPTION", "Guard", "Violation", "describe", "guard", "unscoped"]
