"""App Home's own picture of a person, read from a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from core import home
from storage.db import session_scope

from ..storage.test_scoreboard import DAY, START, TEAM, _answer, _deferral, _question, _session


def test_deferrals_owed_are_those_no_expert_of_the_session_has_answered(engine):
    with session_scope(engine) as s:
        held = _session(s, starts=START - timedelta(hours=2))
        unanswered = _question(s, session_id=held.id, created=START - timedelta(hours=2))
        _deferral(s, unanswered, overdue=START + 3 * DAY)
        by_asker = _question(s, session_id=held.id, created=START - timedelta(hours=2))
        _deferral(s, by_asker, overdue=START + 2 * DAY)
        _answer(s, by_asker, author=by_asker.asker_id, at=START)  # the asker's own reply pays nothing
        by_colleague = _question(s, session_id=held.id, created=START - timedelta(hours=2))
        _deferral(s, by_colleague, overdue=START - DAY)
        _answer(s, by_colleague, author="UHELP", at=START)  # nor does someone outside the session
        deleted = _question(s, session_id=held.id, created=START - timedelta(hours=2))
        _deferral(s, deleted, overdue=START + 4 * DAY)
        _answer(s, deleted, author="UEXP", at=START, deleted=START + timedelta(hours=1))
        paid = _question(s, session_id=held.id, created=START - timedelta(hours=2))
        _deferral(s, paid, overdue=START + DAY)
        _answer(s, paid, author="UEXP", at=START)
        ids = {
            q.id: name
            for q, name in (
                (unanswered, "unanswered"),
                (by_asker, "by_asker"),
                (by_colleague, "by_colleague"),
                (deleted, "deleted"),
                (paid, "paid"),
            )
        }
    with session_scope(engine) as s:
        picture = home.picture(s, team_id=TEAM, user_id="UEXP", now=START)
        assert [ids[o.question_id] for o in picture.owed] == [
            "by_colleague",
            "by_asker",
            "unanswered",
            "deleted",
        ]  # by due date
        assert [o.overdue for o in picture.owed] == [True, False, False, False]
        assert home.picture(s, team_id="T0OTHER", user_id="UEXP", now=START).owed == []
        assert home.picture(s, team_id=TEAM, user_id="UHELP", now=START).owed == []


def test_questions_and_answers_are_the_persons_own_in_their_workspace(engine):
    with session_scope(engine) as s:
        mine = [_question(s, asker="UME", created=START + timedelta(minutes=n)) for n in range(7)]
        _question(s, asker="UME", team="T0OTHER", created=START)
        _question(s, asker="USOMEONE", created=START)
        _answer(s, mine[0], author="UHELP", at=START + DAY, accepted=START + DAY)
        theirs = _question(s, asker="USOMEONE", created=START)
        _answer(s, theirs, author="UME", at=START + DAY, accepted=START + DAY)
        _answer(s, theirs, author="UME", at=START + DAY, deleted=START + 2 * DAY)
        newest = mine[-1].id
    with session_scope(engine) as s:
        picture = home.picture(s, team_id=TEAM, user_id="UME", now=START + 3 * DAY)
    assert picture.asked == 7 and len(picture.questions) == home.RECENT_QUESTIONS
    assert picture.questions[0].id == newest
    assert (picture.answers, picture.accepted) == (1, 1)
    assert picture.mentoring is None and picture.topics == []


def test_questions_asked_in_a_session_show_where_they_stand_by_the_sessions_rule(engine):
    with session_scope(engine) as s:
        held = _session(s, starts=START - timedelta(hours=2))

        def asked(minutes):
            return _question(
                s, asker="UME", session_id=held.id, shown="none", created=START - timedelta(hours=2, minutes=-minutes)
            )

        open_one, by_expert, by_colleague, deferred, late = (asked(n) for n in range(5))
        _answer(s, by_expert, author="UEXP", at=START)
        _answer(s, by_colleague, author="UHELP", at=START)  # a community answer: still the experts' to answer
        _deferral(s, deferred, overdue=START + 2 * DAY)
        _deferral(s, late, overdue=START - DAY)
        ids = {q.id: name for q, name in zip((open_one, by_expert, by_colleague, deferred, late), "abcde", strict=True)}
    with session_scope(engine) as s:
        picture = home.picture(s, team_id=TEAM, user_id="UME", now=START)
    standing = {ids[q.id]: q.session for q in picture.questions}
    assert standing == {
        "a": home.InSession(answered=False),
        "b": home.InSession(answered=True),
        "c": home.InSession(answered=False),
        "d": home.InSession(False, (START + DAY).date(), "UEXP", overdue=False),
        "e": home.InSession(False, (START - 2 * DAY).date(), "UEXP", overdue=True),
    }


def test_an_imported_question_shows_where_its_answers_leave_it(engine):
    """Knowhow never posted an imported question, so no post keeps its state: its answers say it."""
    import json

    from core import importing

    records = [
        {
            "id": "q1",
            "text": "How do I book a meeting room?",
            "asker": "UME",
            "answers": [{"text": "Use the Rooms app."}],
        },
        {
            "id": "q2",
            "text": "Who approves travel?",
            "asker": "UME",
            "answers": [{"text": "Your manager.", "accepted": True, "author": "UHELP"}],
        },
        {"id": "q3", "text": "Where is the VPN guide?", "asker": "UME"},
    ]
    with session_scope(engine) as s:
        report = importing.import_jsonl(s, team_id=TEAM, lines=[json.dumps(r) for r in records], now=START)
        assert report.imported == 3
    with session_scope(engine) as s:
        picture = home.picture(s, team_id=TEAM, user_id="UME", now=START + DAY)
    states = {q.text: q.shown_state for q in picture.questions}
    assert states == {
        "How do I book a meeting room?": "answered",
        "Who approves travel?": "resolved",
        "Where is the VPN guide?": "open",
    }
