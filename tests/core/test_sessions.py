"""Ask the Expert sessions in core: the state machine, every restart case, questions, deferrals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core import asking, expertise, sessions
from core.sessions import Change, DeferOutcome, Refusal, State
from storage import qa
from storage.db import session_scope
from storage.models import Question
from tests.races import race

TEAM = "T0FAKETEAM"
CHANNEL = "C0EXPERTS1"
EXPERT = "U0EXPERT01"
T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def designated(engine):
    with session_scope(engine) as s:
        assert sessions.designate(s, team_id=TEAM, channel_id=CHANNEL, user_id="U0ADMIN") is True
        assert sessions.designate(s, team_id=TEAM, channel_id=CHANNEL, user_id="U0ADMIN") is False
    return CHANNEL


def _schedule(
    engine,
    *,
    starts=T0,
    minutes=60,
    experts=(EXPERT,),
    organiser=EXPERT,
    admin=False,
    now=T0 - timedelta(days=1),
    channel=CHANNEL,
    **kw,
):
    with session_scope(engine) as s:
        return sessions.schedule(
            s,
            team_id=TEAM,
            organiser_id=organiser,
            channel_id=channel,
            topic=kw.pop("topic", "Kubernetes at scale"),
            experts=list(experts),
            starts_at=starts,
            minutes=minutes,
            is_admin=admin,
            now=now,
            **kw,
        )


def _advance(engine, sid, now):
    with session_scope(engine) as s:
        return sessions.advance(s, team_id=TEAM, session_id=sid, now=now)


def _state(engine, sid):
    with session_scope(engine) as s:
        return sessions.get(s, team_id=TEAM, session_id=sid).state


@pytest.mark.parametrize(
    "kw, reason",
    [
        (dict(topic="  "), Refusal.NO_TOPIC),
        (dict(experts=()), Refusal.NO_EXPERTS),
        (dict(minutes=0), Refusal.BAD_DURATION),
        (dict(minutes=241), Refusal.BAD_DURATION),
        (dict(starts=T0 - timedelta(days=2)), Refusal.IN_PAST),
        (dict(organiser="U0SOMEONE"), Refusal.NOT_ALLOWED),
        (dict(channel="C0NOTDESIG"), Refusal.NOT_DESIGNATED),
    ],
)
def test_scheduling_is_refused_with_a_reason(engine, designated, kw, reason):
    assert _schedule(engine, **kw).reason is reason


def test_admins_and_the_sessions_own_experts_may_schedule(engine, designated):
    assert _schedule(engine, organiser="U0ADMIN", admin=True).state is State.SCHEDULED
    mine = _schedule(engine, starts=T0 + timedelta(hours=2), organiser="U0EXPERT02", experts=("U0EXPERT02", EXPERT))
    assert mine.experts == (EXPERT, "U0EXPERT02") and mine.ends_at == T0 + timedelta(hours=3)


def test_two_sessions_may_not_overlap_in_one_channel(engine, designated):
    first = _schedule(engine)
    clash = _schedule(engine, starts=T0 + timedelta(minutes=59))
    assert clash.reason is Refusal.OVERLAP and clash.other.id == first.id
    assert _schedule(engine, starts=T0 + timedelta(minutes=60)).state is State.SCHEDULED  # back to back is fine
    with session_scope(engine) as s:
        sessions.designate(s, team_id=TEAM, channel_id="C0OTHER001", user_id="U0ADMIN")
    assert _schedule(engine, channel="C0OTHER001").state is State.SCHEDULED


def test_racing_schedules_book_a_window_once(engine, designated):
    results = []
    race(
        engine,
        *[
            (
                lambda s, n=n: results.append(
                    sessions.schedule(
                        s,
                        team_id=TEAM,
                        organiser_id=EXPERT,
                        channel_id=CHANNEL,
                        topic=f"t{n}",
                        experts=[EXPERT],
                        starts_at=T0 + timedelta(minutes=n),
                        minutes=60,
                        is_admin=False,
                        now=T0 - timedelta(days=1),
                    )
                )
            )
            for n in range(2)
        ],
    )
    assert sorted(isinstance(r, sessions.Refused) for r in results) == [False, True]


def test_the_same_request_schedules_once(engine, designated):
    a = _schedule(engine, request_id="view:V1")
    b = _schedule(engine, request_id="view:V1")
    assert a.id == b.id


def test_on_time_it_opens_then_closes_exactly_once(engine, designated):
    sid = _schedule(engine).id
    assert _advance(engine, sid, T0 - timedelta(seconds=1)) is None  # too early
    opened = _advance(engine, sid, T0)
    assert (
        opened.new_state is State.OPEN and _advance(engine, sid, T0 + timedelta(minutes=1)) is None
    )  # a duplicated job
    closed = _advance(engine, sid, T0 + timedelta(minutes=60))
    assert closed.new_state is State.CLOSED and _advance(engine, sid, T0 + timedelta(minutes=61)) is None


def test_down_before_the_start_and_back_in_the_window_opens_late(engine, designated):
    sid = _schedule(engine).id
    assert _advance(engine, sid, T0 + timedelta(minutes=30)).new_state is State.OPEN


def test_down_across_the_whole_window_is_missed(engine, designated):
    sid = _schedule(engine).id
    assert _advance(engine, sid, T0 + timedelta(minutes=90)).new_state is State.MISSED
    assert _advance(engine, sid, T0 + timedelta(minutes=91)) is None and _state(engine, sid) is State.MISSED


def test_down_across_the_close_closes_when_back(engine, designated):
    sid = _schedule(engine).id
    _advance(engine, sid, T0)
    assert _advance(engine, sid, T0 + timedelta(hours=5)).new_state is State.CLOSED


def test_a_lost_job_is_found_by_the_sweep_and_racing_jobs_transition_once(engine, designated):
    sid = _schedule(engine).id
    with session_scope(engine) as s:
        assert sessions.due(s, now=T0 - timedelta(seconds=1)) == []
        assert sessions.due(s, now=T0) == [(TEAM, sid)]
    outcomes = []
    race(
        engine,
        *[(lambda s: outcomes.append(sessions.advance(s, team_id=TEAM, session_id=sid, now=T0))) for _ in range(3)],
    )
    assert [o.new_state for o in outcomes if o] == [State.OPEN]


def test_cancel_only_while_scheduled_and_only_by_those_allowed(engine, designated):
    sid = _schedule(engine).id
    with session_scope(engine) as s:
        assert (
            sessions.cancel(s, team_id=TEAM, session_id=sid, user_id="U0RANDOM", is_admin=False, now=T0).outcome
            is Change.NOT_ALLOWED
        )
        assert (
            sessions.cancel(s, team_id=TEAM, session_id=sid, user_id=EXPERT, is_admin=False, now=T0).outcome
            is Change.DONE
        )
        assert (
            sessions.cancel(s, team_id=TEAM, session_id=sid, user_id=EXPERT, is_admin=False, now=T0).outcome
            is Change.WRONG_STATE
        )
    assert _advance(engine, sid, T0) is None and _state(engine, sid) is State.CANCELLED


def test_start_now_and_close_early(engine, designated):
    with session_scope(engine) as s:
        started = sessions.start_now(
            s, team_id=TEAM, user_id=EXPERT, channel_id=CHANNEL, topic="Ask me about Go", now=T0, is_admin=True
        )
        assert started.new_state is State.OPEN and started.session.ends_at == T0 + timedelta(minutes=60)
        assert (
            sessions.close_now(s, team_id=TEAM, channel_id=CHANNEL, user_id="U0RANDOM", is_admin=False, now=T0).outcome
            is Change.NOT_ALLOWED
        )
        closed = sessions.close_now(
            s, team_id=TEAM, channel_id=CHANNEL, user_id=EXPERT, is_admin=False, now=T0 + timedelta(minutes=20)
        )
        assert closed.new_state is State.CLOSED and closed.session.ends_at == T0 + timedelta(minutes=20)
        assert (
            sessions.close_now(s, team_id=TEAM, channel_id=CHANNEL, user_id=EXPERT, is_admin=False, now=T0).outcome
            is Change.NOT_FOUND
        )


def _start(engine, user, topic, *, admin=False, now=T0, channel=CHANNEL, team=TEAM):
    with session_scope(engine) as s:
        return sessions.start_now(
            s, team_id=team, user_id=user, channel_id=channel, topic=topic, now=now, is_admin=admin
        )


def _rule(engine, rule, team=TEAM):
    with session_scope(engine) as s:
        return sessions.set_start_rule(s, team_id=team, rule=rule)


def test_by_default_admins_and_people_who_list_the_topic_start_a_session_on_the_spot(engine, designated):
    with session_scope(engine) as s:
        assert sessions.start_rule(s, team_id=TEAM) is sessions.StartRule.EXPERTS is sessions.DEFAULT_START_RULE
        expertise.declare(s, team_id=TEAM, user_id="U0LISTSK8S", raw_topic="kubernetes")
        expertise.declare(s, team_id="T0OTHER", user_id="U0NEWCOMER", raw_topic="Rust")  # another workspace's
    refused = _start(engine, "U0NEWCOMER", "Rust tips")
    assert refused.reason is Refusal.MAY_NOT_START and refused.rule is sessions.StartRule.EXPERTS
    with session_scope(engine) as s:
        assert sessions.upcoming(s, team_id=TEAM) == []  # a refusal changes nothing
    # Not a hosting channel: said first, whoever asks (no need to learn whether they are admins).
    assert _start(engine, "U0NEWCOMER", "Rust tips", channel="C0ELSEWHER").reason is Refusal.NOT_DESIGNATED
    assert _start(engine, "U0LISTSK8S", "  ").reason is Refusal.NO_TOPIC
    started = _start(engine, "U0LISTSK8S", "Kubernetes upgrades")
    assert started.new_state is State.OPEN and started.session.experts == ("U0LISTSK8S",)
    # An admin may whatever the topic; here the channel is taken: by a session open until when.
    clash = _start(engine, "U0ADMIN", "Anything", admin=True, now=T0 + timedelta(minutes=10))
    assert clash.reason is Refusal.OVERLAP and clash.other.state is State.OPEN
    assert clash.other.ends_at == T0 + timedelta(minutes=60)


@pytest.mark.parametrize(
    "rule, admin, lister, anyone",
    [
        (sessions.StartRule.ADMINS, True, False, False),
        (sessions.StartRule.EXPERTS, True, True, False),
        (sessions.StartRule.EVERYONE, True, True, True),
    ],
)
def test_who_may_start_follows_the_workspaces_rule(engine, designated, rule, admin, lister, anyone):
    with session_scope(engine) as s:
        expertise.declare(s, team_id=TEAM, user_id="U0LISTER01", raw_topic="Go")
    assert _rule(engine, rule) is (rule is not sessions.StartRule.EXPERTS)
    assert _rule(engine, rule) is False  # already so
    with session_scope(engine) as s:
        assert [
            sessions.may_start(s, team_id=TEAM, user_id=u, topic="Go tips", is_admin=a)
            for u, a in (("U0ADMIN", True), ("U0LISTER01", False), ("U0SOMEONE", False))
        ] == [admin, lister, anyone]
        assert sessions.start_rule(s, team_id="T0OTHER") is sessions.DEFAULT_START_RULE  # one workspace's choice


def _open_session(engine):
    sid = _schedule(engine).id
    _advance(engine, sid, T0)
    return sid


def _message(engine, ts, user, text="How do I size node pools?", at=None):
    with session_scope(engine) as s:
        recorded = sessions.record_question(
            s,
            team_id=TEAM,
            channel_id=CHANNEL,
            message_ts=ts,
            user_id=user,
            text=text,
            at=at or datetime.fromtimestamp(float(ts), UTC),
        )
        return recorded[0] if recorded else None


def _reply(engine, thread_ts, ts, user, text="Like this"):
    with session_scope(engine) as s:
        asking.record_reply(
            s,
            team_id=TEAM,
            channel_id=CHANNEL,
            thread_ts=thread_ts,
            message_ts=ts,
            author_id=user,
            text=text,
            at=datetime.fromtimestamp(float(ts), UTC),
        )


def ts(minutes):
    return f"{(T0 + timedelta(minutes=minutes)).timestamp():.6f}"


def test_messages_in_an_open_session_are_its_questions_and_the_summary_counts_them(engine, designated):
    assert _message(engine, ts(-5), "U0ASKER1") is None  # not open yet
    sid = _open_session(engine)
    _message(engine, ts(1), "U0ASKER1")
    assert _message(engine, ts(1), "U0ASKER1") is None  # a retried event
    q2 = _message(engine, ts(2), "U0ASKER2", "And autoscaling?")
    q3 = _message(engine, ts(3), "U0ASKER3", "Cost?")
    assert _message(engine, ts(4), EXPERT, "Welcome everyone") is None  # the expert talking is not a question
    _reply(engine, ts(1), ts(5), EXPERT)  # answered by the expert
    _reply(engine, ts(2), ts(6), "U0COMMUNITY")  # a community answer does not count as the expert's
    _advance(engine, sid, T0 + timedelta(minutes=60))
    now = T0 + timedelta(minutes=60)
    with session_scope(engine) as s:
        result = sessions.defer(
            s,
            team_id=TEAM,
            question_id=q2,
            expert_id=EXPERT,
            due_date=date(2026, 12, 3),
            tz_name="Europe/Paris",
            now=now,
        )
        assert result.outcome is DeferOutcome.DEFERRED
        summary = sessions.summary(s, team_id=TEAM, session_id=sid, now=now)
    assert (summary.asked, summary.answered_in_window, summary.answered_later) == (3, 1, 0)
    assert [q.id for q in summary.deferred] == [q2] and [q.id for q in summary.open] == [q3]
    assert _message(engine, ts(70), "U0LATE") is None  # closed: not a session question
    _reply(engine, ts(2), ts(90), EXPERT)  # the deferred one answered later
    with session_scope(engine) as s:
        later = sessions.summary(s, team_id=TEAM, session_id=sid, now=now + timedelta(hours=1))
        assert later.answered_later == 1 and later.deferred == []
        assert sessions.session_of_question(s, team_id=TEAM, channel_id=CHANNEL, thread_ts=ts(2)) == sid
        assert sessions.bump_summary(s, team_id=TEAM, session_id=sid) == 1


def test_a_question_posted_just_before_the_close_counts_even_when_handled_after_it(engine, designated):
    sid = _open_session(engine)
    _advance(engine, sid, T0 + timedelta(minutes=60))  # the alarm closed it first
    late = _message(engine, ts(59.9), "U0ASKER1", "Last one: PDBs?")
    assert late is not None
    assert _message(engine, ts(60.5), "U0ASKER2") is None  # after the window
    with session_scope(engine) as s:
        assert sessions.summary(s, team_id=TEAM, session_id=sid, now=T0 + timedelta(hours=1)).asked == 1


def test_session_questions_are_not_followed_up_by_the_24_hour_rule(engine, designated):
    from core import followup

    sid = _open_session(engine)
    with session_scope(engine) as s:
        asked = asking.ask_question(
            s, team_id=TEAM, asker_id="U0ASKER1", text="Via /ask", qa_channel_id=CHANNEL, session_id=sid
        )
        asking.mark_posted(s, team_id=TEAM, question_id=asked.question_id, channel_id=CHANNEL, message_ts=ts(2))
        assert followup.due_followups(s, now=datetime.now(UTC) + timedelta(days=3), after=timedelta(hours=24)) == []


def test_deferrals_are_after_today_by_experts_and_remind_at_nine_in_their_zone(engine, designated):
    _open_session(engine)
    q = _message(engine, ts(1), "U0ASKER1")
    now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Tokyo
    with session_scope(engine) as s:
        assert (
            sessions.defer(
                s, team_id=TEAM, question_id=q, expert_id="U0RANDOM", due_date=date(2026, 12, 5), tz_name="UTC", now=now
            ).outcome
            is DeferOutcome.NOT_AN_EXPERT
        )
        assert (
            sessions.defer(
                s,
                team_id=TEAM,
                question_id=q,
                expert_id=EXPERT,
                due_date=date(2026, 12, 2),
                tz_name="Asia/Tokyo",
                now=now,
            ).outcome
            is DeferOutcome.NOT_AFTER_TODAY
        )
        assert (
            sessions.defer(
                s,
                team_id=TEAM,
                question_id=q,
                expert_id=EXPERT,
                due_date=date(2026, 12, 2),
                tz_name="America/New_York",
                now=now,
            ).outcome
            is DeferOutcome.DEFERRED
        )
        assert (
            sessions.defer(
                s,
                team_id=TEAM,
                question_id=q,
                expert_id=EXPERT,
                due_date=date(2026, 12, 3),
                tz_name="Asia/Tokyo",
                now=now,
            ).outcome
            is DeferOutcome.DEFERRED
        )
        assert sessions.due_reminders(s, now=datetime(2026, 12, 2, 23, 59, tzinfo=UTC)) == []
        nine_tokyo = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
        assert sessions.due_reminders(s, now=nine_tokyo) == [(TEAM, q)]
        assert sessions.mark_reminded(s, team_id=TEAM, question_id=q, now=nine_tokyo) is True
        assert sessions.mark_reminded(s, team_id=TEAM, question_id=q, now=nine_tokyo) is False
        assert sessions.due_reminders(s, now=nine_tokyo) == []
        assert sessions.note_overdue(s, now=datetime(2026, 12, 3, 14, 59, tzinfo=UTC)) == []
        sid = s.get(Question, q).session_id
        assert sessions.note_overdue(s, now=datetime(2026, 12, 3, 15, 0, tzinfo=UTC)) == [
            (TEAM, sid)
        ]  # midnight in Tokyo
        assert sessions.note_overdue(s, now=datetime(2026, 12, 4, tzinfo=UTC)) == []


def test_a_deferral_is_kept_only_by_its_own_sessions_experts(engine, designated):
    """An answer by the expert of another session (one with questions of its own) does not keep
    this session's deferral: the reminder and the overdue note still come."""
    from storage.models import Answer, ExpertSession, SessionExpert

    _open_session(engine)
    q = _message(engine, ts(1), "U0ASKER1")
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        assert (
            sessions.defer(
                s, team_id=TEAM, question_id=q, expert_id=EXPERT, due_date=date(2026, 12, 3), tz_name="UTC", now=now
            ).outcome
            is DeferOutcome.DEFERRED
        )
        other = ExpertSession(
            team_id=TEAM,
            channel_id="C0ELSEWHERE",
            topic="Budgets",
            organiser_id="U0OTHEREXP",
            starts_at=now - timedelta(days=3),
            ends_at=now - timedelta(days=3) + timedelta(hours=1),
            state="closed",
            request_id="elsewhere",
        )
        s.add(other)
        s.flush()
        s.add(SessionExpert(session_id=other.id, user_id="U0OTHEREXP", team_id=TEAM))
        s.add(
            Question(
                team_id=TEAM,
                asker_id="U0ASKER2",
                text="Budgets?",
                channel_id="C0ELSEWHERE",
                status="posted",
                session_id=other.id,
                message_ts="1764000000.000100",
                request_id="elsewhere-q",
            )
        )
        s.add(
            Answer(
                team_id=TEAM,
                question_id=q,
                message_ts="1764500000.000100",
                author_id="U0OTHEREXP",
                text="Try this",
                answered_at=now,
            )
        )
    with session_scope(engine) as s:
        assert sessions.due_reminders(s, now=datetime(2026, 12, 3, 9, 0, tzinfo=UTC)) == [(TEAM, q)]
        assert sessions.note_overdue(s, now=datetime(2026, 12, 4, 0, 0, tzinfo=UTC)) == [
            (TEAM, s.get(Question, q).session_id)
        ]


def test_the_last_call_goes_out_once_an_hour_after_close(engine, designated):
    sid = _open_session(engine)
    _advance(engine, sid, T0 + timedelta(minutes=60))
    with session_scope(engine) as s:
        assert sessions.due_chases(s, now=T0 + timedelta(minutes=119)) == []
        assert sessions.due_chases(s, now=T0 + timedelta(minutes=120)) == [(TEAM, sid)]
        assert sessions.mark_chased(s, team_id=TEAM, session_id=sid, now=T0 + timedelta(minutes=120)) is True
        assert sessions.mark_chased(s, team_id=TEAM, session_id=sid, now=T0 + timedelta(minutes=121)) is False
        assert sessions.summary(s, team_id=TEAM, session_id=sid, now=T0).chased


def test_sessions_are_scoped_to_their_workspace(engine, designated):
    sid = _open_session(engine)
    with session_scope(engine) as s:
        assert sessions.get(s, team_id="T0OTHER", session_id=sid) is None
        assert sessions.advance(s, team_id="T0OTHER", session_id=sid, now=T0 + timedelta(hours=2)) is None
        assert (
            sessions.record_question(
                s, team_id="T0OTHER", channel_id=CHANNEL, message_ts=ts(1), user_id="U1", text="x", at=T0
            )
            is None
        )
        assert sessions.designated(s, team_id="T0OTHER") == []


def test_the_sweep_passes_over_a_workspace_whose_installation_is_gone(engine, designated):
    from storage import workspaces

    sid = _schedule(engine).id
    with session_scope(engine) as s:
        workspaces.mark_gone(s, team_ids=[TEAM], reason="app_uninstalled")
        assert sessions.due(s, now=T0, skip=workspaces.gone(s)) == []  # neither opened nor closed
        workspaces.mark_back(s, team_id=TEAM)
        assert sessions.due(s, now=T0, skip=workspaces.gone(s)) == [(TEAM, sid)]


def test_a_session_alarm_for_a_gone_workspace_does_nothing(engine, designated):
    from scheduler import jobs, runtime
    from storage import workspaces

    sid = _schedule(
        engine, starts=datetime.now(UTC) - timedelta(minutes=1), now=datetime.now(UTC) - timedelta(days=1)
    ).id
    with session_scope(engine) as s:
        workspaces.mark_gone(s, team_ids=[TEAM], reason="app_uninstalled")
    runtime.bind_engine(engine)
    try:
        assert jobs.session_alarm(TEAM, sid) is False
        with session_scope(engine) as s:
            workspaces.mark_back(s, team_id=TEAM)
        assert jobs.session_alarm(TEAM, sid) is True  # installed again: it opens
    finally:
        runtime.bind_engine(None)


PANELIST = "U0EXPERT02"
THIRD = "U0EXPERT03"


def _panel(engine):
    sid = _schedule(engine, experts=(EXPERT, PANELIST, THIRD)).id
    _advance(engine, sid, T0)
    return sid


def _defer(s, q, expert, due, now):
    return sessions.defer(s, team_id=TEAM, question_id=q, expert_id=expert, due_date=due, tz_name="UTC", now=now)


def _take(s, q, expert, holder):
    return sessions.take_over(s, team_id=TEAM, question_id=q, expert_id=expert, from_expert_id=holder)


def test_in_a_panel_a_question_is_owed_by_one_expert_at_a_time(engine, designated):
    sid = _panel(engine)
    q = _message(engine, ts(1), "U0ASKER1")
    _advance(engine, sid, T0 + timedelta(minutes=60))
    now = T0 + timedelta(hours=2)
    with session_scope(engine) as s:
        assert _take(s, q, PANELIST, EXPERT).outcome is DeferOutcome.NOT_DEFERRED  # nobody has it yet
        first = _defer(s, q, EXPERT, date(2026, 12, 7), now)
        assert (first.outcome, first.holder, first.moved_from) == (DeferOutcome.DEFERRED, EXPERT, None)
        # The first promise stands: another expert's date is refused, with who has it and until when.
        held = _defer(s, q, PANELIST, date(2026, 12, 10), now)
        assert (held.outcome, held.holder, held.due_date) == (DeferOutcome.HELD, EXPERT, date(2026, 12, 7))
        # Its expert moves the date.
        moved = _defer(s, q, EXPERT, date(2026, 12, 8), now)
        assert (moved.outcome, moved.moved_from) == (DeferOutcome.DEFERRED, date(2026, 12, 7))
        # Another expert takes it over explicitly: the date stays, the one it was taken from is named.
        taken = _take(s, q, PANELIST, EXPERT)
        assert (taken.outcome, taken.holder, taken.previous, taken.due_date) == (
            DeferOutcome.TAKEN_OVER,
            PANELIST,
            EXPERT,
            date(2026, 12, 8),
        )
        assert _take(s, q, PANELIST, EXPERT).outcome is DeferOutcome.ALREADY_YOURS
        # A stale button (made while the first expert had it) takes nothing from the new holder.
        stale = _take(s, q, THIRD, EXPERT)
        assert (stale.outcome, stale.holder) == (DeferOutcome.HELD, PANELIST)
        assert _defer(s, q, EXPERT, date(2026, 12, 9), now).outcome is DeferOutcome.HELD
        assert _take(s, q, "U0RANDOM", PANELIST).outcome is DeferOutcome.NOT_AN_EXPERT
        [row] = sessions.summary(s, team_id=TEAM, session_id=sid, now=now).deferred
        assert (row.deferred_by, row.deferred_to, row.taken_from) == (PANELIST, date(2026, 12, 8), EXPERT)
        # Reminders and the overdue note follow the one who has it.
        assert sessions.due_reminders(s, now=datetime(2026, 12, 8, 9, tzinfo=UTC)) == [(TEAM, q)]
        assert qa.get_deferral(s, team_id=TEAM, question_id=q).expert_id == PANELIST
    _reply(engine, ts(1), ts(200), PANELIST)
    with session_scope(engine) as s:
        assert _take(s, q, EXPERT, PANELIST).outcome is DeferOutcome.ANSWERED


def test_two_experts_deferring_one_question_at_once_leave_one_promise(engine, designated):
    sid = _panel(engine)
    q = _message(engine, ts(1), "U0ASKER1")
    _advance(engine, sid, T0 + timedelta(minutes=60))
    now = T0 + timedelta(hours=2)
    results = {}
    race(
        engine,
        *[
            (lambda s, e=e, d=d: results.__setitem__(e, _defer(s, q, e, d, now)))
            for e, d in ((EXPERT, date(2026, 12, 7)), (PANELIST, date(2026, 12, 10)))
        ],
    )
    outcomes = sorted(r.outcome.value for r in results.values())
    assert outcomes == ["deferred", "held"]
    winner = next(e for e, r in results.items() if r.outcome is DeferOutcome.DEFERRED)
    assert next(r for r in results.values() if r.outcome is DeferOutcome.HELD).holder == winner
    with session_scope(engine) as s:
        assert qa.get_deferral(s, team_id=TEAM, question_id=q).expert_id == winner


def test_the_experts_lists_keep_their_questions_and_show_each_as_it_stands(engine, designated):
    sid = _panel(engine)
    q1 = _message(engine, ts(1), "U0ASKER1", "Answered in the session")
    q2 = _message(engine, ts(2), "U0ASKER2", "Deferred before the last call")
    q3 = _message(engine, ts(3), "U0ASKER3", "Still open at the last call")
    _reply(engine, ts(1), ts(5), EXPERT)
    _advance(engine, sid, T0 + timedelta(minutes=60))
    with session_scope(engine) as s:
        _defer(s, q2, EXPERT, date(2026, 12, 7), T0 + timedelta(minutes=90))
        assert sessions.mark_chased(s, team_id=TEAM, session_id=sid, now=T0 + timedelta(minutes=120))
        _defer(s, q3, PANELIST, date(2026, 12, 8), T0 + timedelta(minutes=150))

        def ids(last_call):
            return [
                (q.id, q.deferred_by)
                for q in sessions.follow_ups(s, team_id=TEAM, session_id=sid, now=T0, last_call=last_call)
            ]

        assert ids(False) == [(q2, EXPERT), (q3, PANELIST)]  # not what was answered in the session
        assert ids(True) == [(q3, PANELIST)]  # what the last call was about, as it stands now
        sessions.set_list_post(
            s, team_id=TEAM, session_id=sid, expert_id=PANELIST, channel_id="D1", ts="1.0", last_call=False
        )
        sessions.set_list_post(
            s, team_id=TEAM, session_id=sid, expert_id=PANELIST, channel_id="D1", ts="2.0", last_call=True
        )
        assert [(p.expert_id, p.ts, p.last_call) for p in sessions.list_posts(s, team_id=TEAM, session_id=sid)] == [
            (PANELIST, "1.0", False),
            (PANELIST, "2.0", True),
        ]
        assert sessions.list_posts(s, team_id="T0OTHER", session_id=sid) == []
    assert q1
