"""storage.claims: the one way to do a thing once, on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import qa
from storage.claims import claim, claim_all
from storage.db import session_scope
from storage.models import Question

TEAM = "T0FAKETEAM"


def _questions(engine, n: int) -> list[int]:
    with session_scope(engine) as s:
        return [
            qa.create_question(
                s,
                team_id=TEAM,
                asker_id="U0ASKER",
                text=f"Q{i}",
                channel_id="C0Q",
                asked_in_channel_id=None,
                request_id=f"r{i}",
            )[0].id
            for i in range(n)
        ]


def test_a_claim_is_won_once(engine):
    (qid,) = _questions(engine, 1)
    pending = (Question.team_id == TEAM, Question.id == qid, Question.status == "pending")
    with session_scope(engine) as s:
        assert claim(s, Question, *pending, status="posted") is True
        assert claim(s, Question, *pending, status="posted") is False  # it is no longer pending
    with session_scope(engine) as s:
        assert qa.get_question(s, team_id=TEAM, question_id=qid).status == "posted"


def test_claim_all_names_the_rows_it_changed(engine):
    first, second, third = _questions(engine, 3)
    with session_scope(engine) as s:
        claim(s, Question, Question.team_id == TEAM, Question.id == second, status="failed")
        changed = claim_all(s, Question, Question.team_id == TEAM, Question.status == "pending", status="posted")
        assert sorted(changed) == [first, third]
        assert claim_all(s, Question, Question.team_id == TEAM, Question.status == "pending", status="posted") == []
        versions = claim_all(
            s,
            Question,
            Question.team_id == TEAM,
            Question.id == first,
            returning=Question.post_version,
            post_version=Question.post_version + 1,
        )
        assert len(versions) == 1 and versions[0] >= 1
