"""Retention: each workspace's periods, and the sweep that deletes exactly what is past them,
on SQLite and PostgreSQL, driven at chosen instants (and through the daily job with the clock
moved on)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core import asking, clock, retention, scoreboard
from core.retention import RULES, Kind, RetentionError
from storage import search
from storage.db import session_scope
from storage.models import (
    HelpThread,
    MentorCandidate,
    MentorRequest,
    Mentorship,
    OutboxMessage,
    Question,
    QuestionTopic,
    Topic,
    Workspace,
)

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)

DEFAULTS, SHORTEST, FOREVER, NO_ROW = "T0DEFAULTS", "T0SHORTEST", "T0FOREVER1", "T0NOROW001"
# What each workspace keeps, in days (None: forever), as its admins chose (NO_ROW: Knowhow has
# its rows but no `workspace` row: the defaults).
KEEPS = {
    DEFAULTS: {Kind.MENTORING: 365, Kind.UNPOSTED: 30, Kind.SENT: 7},
    SHORTEST: {Kind.MENTORING: 30, Kind.UNPOSTED: 14, Kind.SENT: 2},
    FOREVER: {Kind.MENTORING: None, Kind.UNPOSTED: None, Kind.SENT: 90},
    NO_ROW: {Kind.MENTORING: 365, Kind.UNPOSTED: 30, Kind.SENT: 7},
}
ANCIENT = 3650  # how old the "past it" rows of a workspace that keeps them forever are


def _choose(engine) -> None:
    with session_scope(engine) as s:
        s.add(Workspace(team_id=DEFAULTS, org_id=DEFAULTS))
        for team in (SHORTEST, FOREVER):
            for kind, days in KEEPS[team].items():
                rule = RULES[kind]
                retention.set_retention(
                    s, team_id=team, rule=rule, value=retention.parse(rule, "forever" if days is None else str(days))
                )


def _edges(team: str, kind: Kind) -> tuple[datetime, datetime]:
    """A minute past the workspace's period for `kind` (deleted) and a minute within it (kept)."""
    days = KEEPS[team][kind]
    cutoff = NOW - (days if days is not None else ANCIENT) * DAY
    return cutoff - MINUTE, cutoff + MINUTE


def _seed(engine) -> dict[str, set[str]]:
    """Rows on both sides of each boundary in every workspace, and rows that are never deleted
    however old. Returns the labels of the rows that must go."""
    doomed: dict[str, set[str]] = {"request": set(), "mentorship": set(), "question": set(), "outbox": set()}
    long_ago = NOW - 4000 * DAY
    with session_scope(engine) as s:
        for team in KEEPS:
            forever = KEEPS[team][Kind.MENTORING] is None
            topic = Topic(team_id=team, key="leadership", name="Leadership")
            s.add(topic)
            s.flush()

            def request(label: str, state: str, updated_at: datetime, team=team, topic=topic) -> int:
                row = MentorRequest(
                    team_id=team,
                    protege_id="U0PROTEGE1",
                    topic_id=topic.id,
                    goal=f"{team}:{label}",
                    state=state,
                    created_at=updated_at - 10 * DAY,
                    updated_at=updated_at,
                )
                s.add(row)
                s.flush()
                return row.id

            def mentorship(label: str, request_id: int, state: str, finished_at, team=team, topic=topic) -> None:
                s.add(
                    Mentorship(
                        team_id=team,
                        request_id=request_id,
                        mentor_id=f"U0{label[:8].upper()}",
                        protege_id="U0PROTEGE1",
                        topic_id=topic.id,
                        state=state,
                        proposed_at=long_ago,
                        answer_by=long_ago + 3 * DAY,
                        started_at=long_ago + DAY if state != "declined" else None,
                        finished_at=finished_at,
                        protege_rating=4,
                        protege_word=f"{team}:{label}: private words",
                    )
                )

            past, within = _edges(team, Kind.MENTORING)
            # A completed mentorship past the period: it goes, and so does its request (and the
            # candidates offered for it).
            done = request("request:completed-past", "matched", past - 200 * DAY)
            mentorship("completed-past", done, "completed", past)
            s.add(MentorCandidate(request_id=done, mentor_id="U0MENTOR01", team_id=team, reason="EM for 3 years"))
            # Stopped within the period: both stay.
            kept = request("request:stopped-within", "matched", past - 200 * DAY)
            mentorship("stopped-within", kept, "stopped", within)
            # A proposal declined long ago, on a request still open: the proposal goes, the request stays.
            still_open = request("request:open", "choosing", long_ago)
            mentorship("declined-past", still_open, "declined", past)
            # An active mentorship that started long ago: never deleted, nor its request.
            running = request("request:active", "matched", long_ago)
            mentorship("active", running, "active", None)
            mentorship("proposed", request("request:asking", "asking", long_ago), "proposed", None)
            # Withdrawn requests, on both sides of the boundary.
            request("request:withdrawn-past", "withdrawn", past)
            request("request:withdrawn-within", "withdrawn", within)
            if not forever:
                doomed["request"] |= {f"{team}:request:completed-past", f"{team}:request:withdrawn-past"}
                doomed["mentorship"] |= {f"{team}:completed-past", f"{team}:declined-past"}

            past, within = _edges(team, Kind.UNPOSTED)
            for status in ("held", "withdrawn", "deflected", "failed"):
                for label, at in (("past", past), ("within", within)):
                    question = Question(
                        team_id=team,
                        asker_id="U0ASKER001",
                        text=f"{team}:{status}-{label} how do we rotate keys",
                        channel_id="C0QUESTION",
                        status=status,
                        created_at=at,
                    )
                    s.add(question)
                    s.flush()
                    s.add(QuestionTopic(question_id=question.id, topic_id=topic.id, team_id=team))
                    s.flush()
                    search.reindex_question(s, team_id=team, question_id=question.id)
                if KEEPS[team][Kind.UNPOSTED] is not None:
                    doomed["question"].add(f"{team}:{status}-past how do we rotate keys")
            # Dead letters go with the questions: by when they failed (or were queued, when that
            # was not recorded).
            for label, failed_at in (("failed-past", past), ("failed-within", within), ("failed-ancient", None)):
                s.add(
                    OutboxMessage(
                        team_id=team,
                        dedupe_key=f"{team}:{label}",
                        kind="k",
                        payload='{"text": "how do we rotate keys"}',
                        status="failed",
                        created_at=long_ago,
                        next_attempt_at=long_ago,
                        failed_at=failed_at,
                    )
                )
                if KEEPS[team][Kind.UNPOSTED] is not None and label != "failed-within":
                    doomed["outbox"].add(f"{team}:{label}")
            for status in ("pending", "posted"):  # never deleted by retention, however old
                s.add(
                    Question(
                        team_id=team,
                        asker_id="U0ASKER001",
                        text=f"{team}:{status}-ancient how do we rotate keys",
                        channel_id="C0QUESTION",
                        status=status,
                        message_ts="1.000100" if status == "posted" else None,
                        created_at=long_ago,
                        posted_at=long_ago if status == "posted" else None,
                    )
                )

            past, within = _edges(team, Kind.SENT)
            for label, status, sent_at in (
                ("sent-past", "sent", past),
                ("sent-within", "sent", within),
                ("pending-ancient", "pending", None),
                ("held-ancient", "held", None),
            ):
                s.add(
                    OutboxMessage(
                        team_id=team,
                        dedupe_key=f"{team}:{label}",
                        kind="k",
                        payload="{}",
                        status=status,
                        created_at=long_ago,
                        next_attempt_at=long_ago,
                        sent_at=sent_at,
                    )
                )
            doomed["outbox"].add(f"{team}:sent-past")
    return doomed


def _left(engine) -> dict[str, set[str]]:
    with session_scope(engine) as s:
        return {
            "request": set(s.exec(select(MentorRequest.goal)).all()),
            "mentorship": {w.split(": ")[0] for w in s.exec(select(Mentorship.protege_word)).all()},
            "question": {t for t in s.exec(select(Question.text)).all()},
            "outbox": set(s.exec(select(OutboxMessage.dedupe_key)).all()),
        }


def _search_documents(engine) -> int:
    table = "question_fts" if engine.dialect.name == "sqlite" else "question_search"
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_retention_deletes_exactly_what_is_past_each_workspaces_period_and_a_second_run_nothing(engine):
    _choose(engine)
    doomed = _seed(engine)
    before = _left(engine)
    documents = _search_documents(engine)

    with session_scope(engine) as s:
        swept = retention.sweep(s, now=NOW)

    after = _left(engine)
    for table in before:
        assert before[table] - after[table] == doomed[table], table
    assert after["request"] >= {f"{t}:request:{x}" for t in KEEPS for x in ("open", "active", "asking")}
    assert (swept.mentorships, swept.requests, swept.questions, swept.dead_letters, swept.sent) == (6, 6, 12, 6, 4)
    assert swept.more is False
    with session_scope(engine) as s:
        # What hung on the rows went with them: the candidates, the topics, the search documents.
        assert s.exec(select(MentorCandidate.team_id)).all() == [FOREVER]
        assert len(s.exec(select(QuestionTopic.question_id)).all()) == 32 - 12
    assert _search_documents(engine) == documents - 12

    with session_scope(engine) as s:
        again = retention.sweep(s, now=NOW)
    assert again.total == 0 and not again.more
    assert _left(engine) == after


def test_the_sweep_deletes_in_bounded_batches_and_the_daily_job_finishes_the_backlog(engine, monkeypatch):
    """The job works as of the (moved-on) clock, a batch per transaction, until nothing is past."""
    from scheduler import jobs, runtime

    monkeypatch.setattr(clock, "_offset", clock._offset)  # put back after the test
    start = clock.utcnow()
    with session_scope(engine) as s:
        for n in range(5):
            s.add(
                Question(
                    team_id=DEFAULTS,
                    asker_id="U0ASKER001",
                    text=f"held {n}",
                    channel_id="C0QUESTION",
                    status="held",
                    created_at=start,
                )
            )
    with session_scope(engine) as s:
        first = retention.sweep(s, now=start + 31 * DAY, batch=2)
    assert (first.questions, first.more) == (2, True)

    clock.advance(30 * DAY - MINUTE)  # not yet past the 30 days
    runtime.bind_engine(engine)
    try:
        assert jobs.apply_retention(batch=2).total == 0
        clock.advance(2 * MINUTE)
        assert jobs.apply_retention(batch=2).questions == 3
        assert jobs.apply_retention(batch=2).total == 0
    finally:
        runtime.bind_engine(None)
    with session_scope(engine) as s:
        assert s.exec(select(Question.id)).all() == []


def test_a_held_question_the_asker_cancelled_goes_with_its_search_document(engine):
    """Through the /ask rules: a very short question is held for the asker's choice, cancelled,
    and deleted once the workspace's period for questions never posted is over."""
    with session_scope(engine) as s:
        asked = asking.ask_question(
            s, team_id=DEFAULTS, asker_id="U0ASKER001", text="kubernetes", qa_channel_id="C0QUESTION", review=True
        )
        assert asked.review is not None
        choice = asking.decide_held(
            s, team_id=DEFAULTS, question_id=asked.question_id, user_id="U0ASKER001", answered_by=None, withdraw=True
        )
        assert choice is asking.HeldChoice.WITHDRAWN
        asked_at = s.get(Question, asked.question_id).created_at
    assert _search_documents(engine) == 1
    with session_scope(engine) as s:
        assert retention.sweep(s, now=asked_at + 30 * DAY).total == 0
        assert retention.sweep(s, now=asked_at + 30 * DAY + MINUTE).questions == 1
    assert _search_documents(engine) == 0


def test_help_channel_records_follow_the_questions_period_counted_from_their_last_event(engine):
    """A help-channel record (no text: who asked, what came of it) goes with the workspace's period
    for questions never posted, counted from the last thing that happened to it: made, answered
    from a lesson, *not quite*, offered to be saved. Kept forever where questions are; a second
    run deletes nothing."""
    _choose(engine)
    doomed: set[tuple[str, str]] = set()
    with session_scope(engine) as s:
        for team in KEEPS:
            past, within = _edges(team, Kind.UNPOSTED)
            long_ago = past - 100 * DAY
            rows = {
                "nothing-past": dict(state="nothing", created_at=past),
                "nothing-within": dict(state="nothing", created_at=within),
                "suggested-past": dict(state="suggested", suggested="1,2", created_at=past),
                # A click within the period keeps an old record: its week may not be computed yet.
                "answered-within": dict(state="suggested", created_at=long_ago, answered_at=within, answered_by_id=1),
                "answered-past": dict(state="suggested", created_at=long_ago, answered_at=past, answered_by_id=1),
                "not-quite-within": dict(state="suggested", created_at=long_ago, not_quite_at=within),
                "offered-within": dict(state="unread", created_at=long_ago, save_offered_at=within),
                "offered-past": dict(state="unread", created_at=long_ago, save_offered_at=past),
            }
            for label, values in rows.items():
                s.add(
                    HelpThread(team_id=team, channel_id="C0HELP0001", thread_ts=label, asker_id="U0ASKER001", **values)
                )
                if label.endswith("-past") and KEEPS[team][Kind.UNPOSTED] is not None:
                    doomed.add((team, label))

    def left() -> set[tuple[str, str]]:
        with session_scope(engine) as s:
            return set(s.exec(select(HelpThread.team_id, HelpThread.thread_ts)).all())

    before = left()
    with session_scope(engine) as s:
        swept = retention.sweep(s, now=NOW)
    assert before - left() == doomed
    assert (swept.help_threads, swept.total, swept.more) == (len(doomed), len(doomed), False) == (12, 12, False)
    with session_scope(engine) as s:
        again = retention.sweep(s, now=NOW)
    assert again.total == 0 and not again.more
    assert left() == before - doomed


def test_help_channel_records_are_deleted_in_bounded_batches(engine):
    with session_scope(engine) as s:
        for n in range(3):
            s.add(
                HelpThread(
                    team_id=DEFAULTS,
                    channel_id="C0HELP0001",
                    thread_ts=f"1.{n}",
                    asker_id="U0ASKER001",
                    state="nothing",
                    created_at=NOW - 31 * DAY,
                )
            )
    with session_scope(engine) as s:
        first = retention.sweep(s, now=NOW, batch=2)
        second = retention.sweep(s, now=NOW, batch=2)
    assert (first.help_threads, first.more, second.help_threads, second.more) == (2, True, 1, False)


def test_a_weeks_scoreboard_keeps_counting_a_mentorship_deleted_after_it(engine):
    """The scoreboard's history is its weekly snapshots: a completed mentorship counted in its
    week stays counted there once retention deleted its row."""
    week_end = NOW - 400 * DAY
    with session_scope(engine) as s:
        topic = Topic(team_id=DEFAULTS, key="leadership", name="Leadership")
        s.add(topic)
        s.flush()
        request = MentorRequest(
            team_id=DEFAULTS, protege_id="U0PROTEGE1", topic_id=topic.id, goal="grow", state="matched"
        )
        request.updated_at = week_end - 100 * DAY
        s.add(request)
        s.flush()
        s.add(
            Mentorship(
                team_id=DEFAULTS,
                request_id=request.id,
                mentor_id="U0MENTOR01",
                protege_id="U0PROTEGE1",
                topic_id=topic.id,
                state="completed",
                answer_by=week_end - 90 * DAY,
                finished_at=week_end - DAY,
            )
        )
        s.flush()
        assert scoreboard.record_week(s, team_id=DEFAULTS, start=week_end - 7 * DAY, end=week_end, now=week_end)
    with session_scope(engine) as s:
        swept = retention.sweep(s, now=NOW)
    assert (swept.mentorships, swept.requests) == (1, 1)
    with session_scope(engine) as s:
        week = scoreboard.get_week(s, team_id=DEFAULTS, week_end=week_end)
        assert week.figures["mentoring"]["completed"] == 1
        assert [t["completed"] for t in week.figures["mentoring"]["topics"]] == [1]


@pytest.mark.parametrize(
    "kind,value,expected",
    [
        (Kind.MENTORING, "365", 365),
        (Kind.MENTORING, "30 days", 30),
        (Kind.MENTORING, "forever", None),
        (Kind.UNPOSTED, "14d", 14),
        (Kind.UNPOSTED, "Default", retention.DEFAULT),
        (Kind.SENT, "90", 90),
    ],
)
def test_what_an_admin_may_choose(kind, value, expected):
    assert retention.parse(RULES[kind], value) == expected


@pytest.mark.parametrize(
    "kind,value,says",
    [
        (Kind.MENTORING, "29", "kept at least 30 days"),
        (Kind.UNPOSTED, "0", "kept at least 14 days"),
        (Kind.SENT, "1", "kept at least 2 days"),
        (Kind.SENT, "forever", "cannot be kept forever: choose from 2 to 90 days"),
        (Kind.SENT, "91", "at most 90 days"),
        (Kind.MENTORING, "3651", "at most 3650 days or `forever`"),
        (Kind.MENTORING, "-5", "Say a number of days"),
        (Kind.UNPOSTED, "a month", "Say a number of days, for example `30`, `forever` or `default`"),
    ],
)
def test_a_bad_value_is_refused_saying_what_to_choose(kind, value, says):
    with pytest.raises(RetentionError, match=says.replace("(", r"\(")):
        retention.parse(RULES[kind], value)


def test_a_workspaces_periods_are_its_own_and_default_until_chosen(engine):
    with session_scope(engine) as s:
        assert [(k.days, k.chosen) for k in retention.retention(s, team_id=SHORTEST)] == [
            (365, False),
            (30, False),
            (7, False),
        ]
        kept, changed = retention.set_retention(s, team_id=SHORTEST, rule=RULES[Kind.MENTORING], value=None)
        assert (kept.days, kept.chosen, changed) == (None, True, True)
        assert retention.set_retention(s, team_id=SHORTEST, rule=RULES[Kind.MENTORING], value=None)[1] is False
        retention.set_retention(s, team_id=SHORTEST, rule=RULES[Kind.SENT], value=3)
        assert [(k.days, k.chosen) for k in retention.retention(s, team_id=SHORTEST)] == [
            (None, True),
            (30, False),
            (3, True),
        ]
        assert [(k.days, k.chosen) for k in retention.retention(s, team_id=DEFAULTS)] == [
            (365, False),
            (30, False),
            (7, False),
        ]
        kept, changed = retention.set_retention(s, team_id=SHORTEST, rule=RULES[Kind.SENT], value=retention.DEFAULT)
        assert (kept.days, kept.chosen, changed) == (7, False, True)


def test_the_defaults_are_the_stated_ones():
    assert {k: (r.default, r.minimum, r.forever) for k, r in RULES.items()} == {
        Kind.MENTORING: (365, 30, True),
        Kind.UNPOSTED: (30, 14, True),
        Kind.SENT: (7, 2, False),
    }
