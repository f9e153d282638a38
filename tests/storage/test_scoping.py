"""The workspace guard (tests/scoping.py, autouse in tests/conftest.py) catches queries not
scoped to a workspace, and lets scoped and declared ones through."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import select

from storage.db import session_scope
from storage.models import Deferral, DesignatedChannel, Question
from tests import scoping

TEAM = "T0GUARD"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _setup(session) -> int:
    question = Question(
        team_id=TEAM, asker_id="U0ASKER", text="Why?", channel_id="C0HOST", message_ts="1.0", created_at=NOW
    )
    session.add(question)
    session.add(DesignatedChannel(team_id=TEAM, channel_id="C0HOST", added_by="U0ADMIN"))
    session.flush()
    session.add(
        Deferral(
            question_id=question.id,
            team_id=TEAM,
            expert_id="U0EXPERT",
            due_date=NOW.date(),
            remind_at=NOW,
            overdue_at=NOW,
            created_at=NOW,
        )
    )
    session.commit()
    session.expunge_all()  # so a get() really reaches the database
    return question.id


def _as_product_code(session, qid: int, expression: str):
    """Evaluate `expression` as if product code (core/product.py) sent the query: the guard lets
    queries written in test code through."""
    code = compile(expression, str(scoping.ROOT / "core" / "product.py"), "eval")
    names = dict(s=session, qid=qid, TEAM=TEAM, select=select, update=update)
    return eval(code, names | dict(Question=Question, Deferral=Deferral, DesignatedChannel=DesignatedChannel))


def _caught(guard: scoping.Guard) -> list[scoping.Violation]:
    caught = list(guard.violations)
    guard.violations.clear()  # they were provoked on purpose: do not fail this test for them
    return caught


def test_the_guard_catches_an_unscoped_get_select_and_update(engine, workspace_guard):
    with session_scope(engine) as s:
        qid = _setup(s)
        deferral = _as_product_code(s, qid, "s.get(Deferral, qid)")
        caught = _caught(workspace_guard)
        assert any(v.what.startswith("session.get(Deferral") for v in caught)  # refused before any SQL
        assert any(v.what.startswith("SELECT") and "FROM deferral" in v.what for v in caught)  # and its SQL
        assert _as_product_code(s, qid, "s.get(Deferral, qid)") is deferral  # from the identity map: still caught
        assert [v.what for v in _caught(workspace_guard)] == [f"session.get(Deferral, {qid}) by primary key alone"]
        _as_product_code(s, qid, "s.get_one(Deferral, qid)")
        assert f"session.get_one(Deferral, {qid}) by primary key alone" in [v.what for v in _caught(workspace_guard)]
        _as_product_code(s, qid, "s.exec(select(Question).where(Question.id == qid)).first()")
        _as_product_code(s, qid, "s.execute(update(Question).where(Question.id == qid).values(text='How?'))")
        caught = _caught(workspace_guard)
    assert [v.what.split()[0] for v in caught] == ["SELECT", "UPDATE"]
    assert {v.where for v in caught} == {"core/product.py:1 in <module>"}


def test_the_guard_lets_scoped_and_declared_queries_through(engine, workspace_guard):
    with session_scope(engine) as s:
        qid = _setup(s)
        _as_product_code(s, qid, "s.exec(select(Question).where(Question.team_id == TEAM, Question.id == qid)).one()")
        _as_product_code(s, qid, "s.exec(select(Question.id).where(Question.team_id.in_([TEAM]))).all()")
        _as_product_code(s, qid, "s.get(DesignatedChannel, (TEAM, 'C0HOST'))")  # team_id is part of its key
        _as_product_code(s, qid, "s.exec(select(Question).execution_options(all_workspaces=True)).all()")
        _as_product_code(s, qid, "s.get(Deferral, qid, execution_options={'all_workspaces': True})")
    assert workspace_guard.violations == []


def test_queries_written_in_test_code_are_not_product_queries(engine, workspace_guard):
    with session_scope(engine) as s:
        qid = _setup(s)
        assert s.get(Question, qid) is not None
    assert workspace_guard.violations == []


def test_a_known_offender_is_let_through(engine, workspace_guard):
    workspace_guard.known_offenders = ("core.product",)
    with session_scope(engine) as s:
        qid = _setup(s)
        _as_product_code(s, qid, "s.get(Question, qid)")
    assert workspace_guard.violations == []


def test_the_check_itself():
    assert scoping.unscoped(select(Question).where(Question.id == 1))
    assert not scoping.unscoped(select(Question).where(Question.team_id == TEAM, Question.id == 1))
    joined = select(Deferral.question_id).join(Question, Question.id == Deferral.question_id)
    assert scoping.unscoped(joined)
    assert not scoping.unscoped(joined.where(Deferral.team_id == TEAM))
    assert not scoping.unscoped(select(1))  # touches no workspace table
