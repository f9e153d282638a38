"""The scoreboard's weeks, snapshots, changes and privacy, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from core import privacy, scoreboard
from core.scoreboard import Figure, Schedule, Snapshot
from storage.db import session_scope
from storage.models import Question, ScoreboardWeek

TEAM = "T0SCORE001"
LONDON = Schedule("C0SCORES01", weekday=0, hour=9, minute=0, tz="Europe/London")


def test_a_week_ends_at_the_posting_time_in_the_workspaces_zone():
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert scoreboard.last_week_end(LONDON, saturday) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert scoreboard.last_week_end(LONDON, monday) == monday  # the posting time itself counts
    assert scoreboard.last_week_end(LONDON, monday - timedelta(seconds=1)) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    # Summer time: 09:00 in London is 08:00 UTC.
    assert scoreboard.last_week_end(LONDON, datetime(2027, 3, 29, 8, 30, tzinfo=UTC)) == datetime(
        2027, 3, 29, 8, 0, tzinfo=UTC
    )
    friday_tokyo = Schedule(None, weekday=4, hour=17, minute=30, tz="Asia/Tokyo")
    assert scoreboard.last_week_end(friday_tokyo, saturday) == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)


def test_an_unknown_zone_falls_back_to_utc_and_settings_are_checked(engine):
    assert scoreboard.last_week_end(Schedule(None, tz="Mars/Olympus"), datetime(2026, 11, 28, tzinfo=UTC)).hour == 9
    now = datetime(2026, 11, 28, tzinfo=UTC)
    with session_scope(engine) as s:
        assert scoreboard.schedule(s, team_id=TEAM, default_channel="C0QA").channel_id == "C0QA"
        with pytest.raises(scoreboard.SettingsError):
            scoreboard.save_schedule(
                s, team_id=TEAM, channel_id="C1", weekday=7, hour=9, minute=0, tz="UTC", user_id="U1", now=now
            )
        with pytest.raises(scoreboard.SettingsError):
            scoreboard.save_schedule(
                s, team_id=TEAM, channel_id="C1", weekday=1, hour=9, minute=0, tz="Nowhere/Land", user_id="U1", now=now
            )
        scoreboard.save_schedule(
            s, team_id=TEAM, channel_id="C1", weekday=2, hour=8, minute=15, tz="Europe/Paris", user_id="U1", now=now
        )
        scoreboard.save_schedule(
            s, team_id=TEAM, channel_id="C2", weekday=3, hour=8, minute=15, tz="Europe/Paris", user_id="U1", now=now
        )
    with session_scope(engine) as s:
        plan = scoreboard.schedule(s, team_id=TEAM, default_channel="C0QA")
    assert (plan.channel_id, plan.weekday, plan.hour, plan.minute, plan.tz) == ("C2", 3, 8, 15, "Europe/Paris")
    assert plan.describe() == "Thursdays at 08:15 (Europe/Paris)"


_TS = iter(range(1, 10**6))


def _ask(s, at: datetime, team=TEAM):
    s.add(
        Question(
            team_id=team,
            asker_id="U0ASKER",
            text="q",
            channel_id="C0QA",
            status="posted",
            created_at=at,
            posted_at=at,
            message_ts=f"{at.timestamp():.0f}.{next(_TS):06d}",
        )
    )


def test_weeks_are_stored_once_and_missed_weeks_are_caught_up_with_only_the_latest_to_post(engine):
    first = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
    with session_scope(engine) as s:
        for week in range(4):
            for _ in range(week + 3):
                _ask(s, first - timedelta(days=3) + timedelta(weeks=week))
    with session_scope(engine) as s:
        due = scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=first + timedelta(hours=1))
        assert due == first  # the first run stores only the week just ended
        assert scoreboard.claim_post(s, team_id=TEAM, week_end=due, channel_id="C1", now=first)
        assert not scoreboard.claim_post(s, team_id=TEAM, week_end=due, channel_id="C1", now=first)
    # Down for three weeks: the missed weeks are stored when Knowhow is back; only the latest posts.
    back = first + timedelta(weeks=3, days=2)
    with session_scope(engine) as s:
        due = scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=back)
        assert due == first + timedelta(weeks=3)
        ends = [w.week_end for w in scoreboard.snapshots(s, team_id=TEAM)]
        assert ends == [first + timedelta(weeks=n) for n in range(4)]
        assert [w.figures["questions"]["asked"] for w in scoreboard.snapshots(s, team_id=TEAM)] == [3, 4, 5, 6]
        assert [w.posted for w in scoreboard.snapshots(s, team_id=TEAM)] == [True, False, False, False]
        # Running again changes nothing; the stored figures are not recomputed.
        _ask(s, first + timedelta(weeks=3) - timedelta(days=1))
    with session_scope(engine) as s:
        assert scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=back) == due
        assert scoreboard.get_week(s, team_id=TEAM, week_end=due).figures["questions"]["asked"] == 6
        assert s.get(ScoreboardWeek, (TEAM, due)).week_start == first + timedelta(weeks=2)


def test_the_first_week_is_posted_only_when_knowhow_starts_soon_after_it_ended(engine):
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with session_scope(engine) as s:  # installed on a Wednesday: nothing out of the blue
        assert scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=monday + timedelta(days=2)) is None
        assert scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=monday + timedelta(days=2, minutes=5)) is None
        assert [w.week_end for w in scoreboard.snapshots(s, team_id=TEAM)] == [monday]  # kept for the trend
        assert s.get(ScoreboardWeek, (TEAM, monday)).channel_id is None
    with session_scope(engine) as s:  # the next week is posted as usual
        assert scoreboard.catch_up(
            s, team_id=TEAM, plan=LONDON, now=monday + timedelta(weeks=1, days=2)
        ) == monday + timedelta(weeks=1)


def test_a_new_posting_time_never_posts_an_older_week_and_weeks_never_overlap(engine):
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        assert scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=monday + timedelta(minutes=5)) == monday
        scoreboard.claim_post(s, team_id=TEAM, week_end=monday, channel_id="C1", now=monday)
    # Moved to Fridays 16:00 on the Tuesday: the last Friday is older than the week already posted.
    fridays = Schedule("C0SCORES01", weekday=4, hour=16, minute=0, tz="Europe/London")
    with session_scope(engine) as s:
        assert scoreboard.catch_up(s, team_id=TEAM, plan=fridays, now=monday + timedelta(days=1)) is None
        assert [w.week_end for w in scoreboard.snapshots(s, team_id=TEAM)] == [monday]
    # The first Friday after it ends a short week that starts where the posted one ended.
    friday = datetime(2026, 11, 6, 16, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        assert scoreboard.catch_up(s, team_id=TEAM, plan=fridays, now=friday + timedelta(minutes=5)) == friday
        assert s.get(ScoreboardWeek, (TEAM, friday)).week_start == monday
    # And a move back to Mondays on the Saturday waits for the next Monday.
    with session_scope(engine) as s:
        assert scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=friday + timedelta(days=1)) is None
        assert scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=monday + timedelta(weeks=1)) == monday + timedelta(
            weeks=1
        )
        assert s.get(ScoreboardWeek, (TEAM, monday + timedelta(weeks=1))).week_start == friday


def _snap(asked, seeking, topics=(), curated=True, **mentoring):
    return Snapshot(
        datetime(2026, 11, 16, tzinfo=UTC),
        datetime(2026, 11, 23, tzinfo=UTC),
        {
            "questions": {
                "asked": asked,
                "answered": 0,
                "resolved": 0,
                "answered_within_day": 0,
                "deflected": 0,
                "median_first_answer_seconds": None,
                "oldest_open_days": None,
            },
            "sessions": {},
            "helpers": [],
            "mentoring": {
                "seeking": seeking,
                **mentoring,
                "topics": [
                    dict(
                        topic_id=i,
                        topic=n,
                        curated=curated if isinstance(curated, bool) else n in curated,
                        seeking=v,
                        volunteers=0,
                        active=0,
                        completed=0,
                    )
                    for i, (n, v) in enumerate(topics)
                ],
            },
        },
    )


def test_a_shown_total_never_gives_away_the_small_count_it_hides():
    # 9 seeking = 7 + 2: with "7" shown, the total would tell the 2; the 7 is left out too.
    b = scoreboard.board(_snap(0, 9, [("Leadership", 7), ("Negotiation", 2)]), None, threshold=3)
    assert dict(b.topics)["Leadership"]["seeking"] == scoreboard.HIDDEN
    assert dict(b.topics)["Negotiation"]["seeking"] == Figure("fewer than 3")
    assert b.mentoring["seeking"] == Figure("9", None, 9)
    # The smallest exact part goes first, and only as many as needed.
    b = scoreboard.board(_snap(0, 20, [("A", 10), ("B", 1), ("C", 4), ("D", 5)]), None, threshold=3)
    assert [t["seeking"].text for _, t in b.topics] == ["10", "fewer than 3", "not shown", "5"]
    # A remainder at or above the threshold, or of nothing, tells no small count.
    b = scoreboard.board(_snap(0, 12, [("A", 7), ("B", 2), ("C", 1)]), None, threshold=3)
    assert [t["seeking"].text for _, t in b.topics] == ["7", "fewer than 3", "fewer than 3"]
    b = scoreboard.board(_snap(0, 7, [("A", 7), ("B", 0)]), None, threshold=3)
    assert [t["seeking"].text for _, t in b.topics] == ["7", "0"]
    # A zero is shown, and never left out in a hidden count's place (leaving it out hides nothing).
    b = scoreboard.board(_snap(0, 8, [("A", 7), ("B", 1), ("C", 0)]), None, threshold=3)
    assert [t["seeking"].text for _, t in b.topics] == ["not shown", "fewer than 3", "0"]
    # A request in a topic nobody curated is part of the total and of what is hidden.
    b = scoreboard.board(_snap(0, 8, [("A", 7), ("Secret", 1)], curated={"A"}), None, threshold=3)
    assert [(n, t["seeking"].text) for n, t in b.topics] == [("A", "not shown")]
    # The hidden part never shows a change either.
    b = scoreboard.board(
        _snap(0, 9, [("Leadership", 7), ("Negotiation", 2)]), _snap(0, 9, [("Leadership", 6), ("Negotiation", 3)]), 3
    )
    assert dict(b.topics)["Leadership"]["seeking"].change is None


def test_only_curated_topics_are_listed_in_name_order_whatever_their_counts():
    b = scoreboard.board(
        _snap(0, 30, [("Zen", 20), ("Leadership", 0), ("Kotlin", 10)], curated={"Zen", "Leadership"}), None, 3
    )
    assert [name for name, _ in b.topics] == ["Leadership", "Zen"]


def test_the_all_time_protege_to_mentor_count_shows_no_change():
    current = _snap(0, 0, protege_to_mentor_total=5, protege_to_mentor_week=1)
    b = scoreboard.board(current, _snap(0, 0, protege_to_mentor_total=4, protege_to_mentor_week=0), threshold=3)
    assert b.mentoring["protege_to_mentor_total"] == Figure("5", None, 5)
    assert b.mentoring["protege_to_mentor_week"] == Figure("fewer than 3")


def test_only_counts_of_people_hide_behind_the_threshold_and_changes_show_only_between_exact_counts():
    b = scoreboard.board(_snap(12, 2, [("Leadership", 7)]), _snap(9, 5, [("Leadership", 1)]), threshold=3)
    assert b.questions["asked"] == Figure("12", 3, 12)
    assert b.mentoring["seeking"] == Figure("fewer than 3", None)  # 5 -> 2 would tell the small count
    assert b.topics == [
        (
            "Leadership",
            {
                "seeking": Figure("7", None, 7),  # against a hidden count: no change
                "volunteers": Figure("0", 0, 0),
                "active": Figure("0", 0, 0),
                "completed": Figure("0", 0, 0),
            },
        )
    ]
    assert scoreboard.board(_snap(12, 2), None, threshold=3).questions["asked"] == Figure("12", None, 12)
    assert scoreboard.board(_snap(2, 2), None, threshold=1).mentoring["seeking"] == Figure("2", None, 2)


def test_activity_and_zero_are_shown_as_they_are():
    # An empty workspace: zero everywhere, shown as zero, not "fewer than 3".
    empty = scoreboard.board(_snap(0, 0, [("Leadership", 0)], volunteers=0, active=0), None, threshold=3)
    assert empty.questions["asked"] == Figure("0", None, 0)
    assert empty.mentoring["seeking"] == Figure("0", None, 0) and empty.mentoring["volunteers"] == Figure("0", None, 0)
    assert dict(empty.topics)["Leadership"]["seeking"] == Figure("0", None, 0)
    # Questions, answers and sessions are activity: one question is "1", and its change is shown.
    b = scoreboard.board(_snap(1, 1), _snap(2, 0), threshold=3)
    assert b.questions["asked"] == Figure("1", -1, 1)
    assert b.mentoring["seeking"] == Figure("fewer than 3")  # one person looking for a mentor is not told
    snap = _snap(0, 0)
    snap.figures["sessions"] = {"held": 1, "questions": 2, "handled": 2, "deferrals_kept": 1, "deferrals_overdue": 0}
    assert [f.text for f in scoreboard.board(snap, None, threshold=3).sessions.values()] == ["1", "2", "2", "1", "0"]


def test_every_count_is_either_of_people_or_of_activity():
    counts = {("mentoring", k) for k in scoreboard.MENTORING_COUNTS}
    counts |= {("mentoring", k) for k in scoreboard.TOPIC_COUNTS}
    counts |= {("questions", k) for k in scoreboard.QUESTION_COUNTS} | {
        ("sessions", k) for k in scoreboard.SESSION_COUNTS
    }
    counts |= {("lessons", k) for k in scoreboard.LESSON_COUNTS}
    counts |= {("help", k) for k in scoreboard.HELP_COUNTS}
    assert counts == set(privacy.PEOPLE) | set(privacy.ACTIVITY) and not set(privacy.PEOPLE) & set(privacy.ACTIVITY)
    assert {c for c in counts if privacy.of_people(*c)} == {("mentoring", k) for k in scoreboard.MENTORING_COUNTS}
    assert privacy.of_people("mentoring", "a count nobody classified yet")  # hidden until decided
    assert [privacy.count_text(n, people=True, threshold=3) for n in (0, 1, 2, 3)] == [
        "0",
        "fewer than 3",
        "fewer than 3",
        "3",
    ]
    assert [privacy.count_text(n, people=False, threshold=3) for n in (0, 1, 2, 3)] == ["0", "1", "2", "3"]
    assert [privacy.hidden_range(t) for t in (1, 2, 3, 5)] == [None, "1", "1 or 2", "1 to 4"]


def test_the_trend_leaves_out_small_counts_of_people_only(engine):
    first = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        for week, (asked, seeking) in enumerate(((5, 0), (1, 1), (4, 3))):
            end = first + timedelta(weeks=week)
            s.add(
                ScoreboardWeek(
                    team_id=TEAM,
                    week_start=end - timedelta(weeks=1),
                    week_end=end,
                    figures=json.dumps({"questions": {"asked": asked}, "mentoring": {"seeking": seeking}}),
                    computed_at=end,
                )
            )
    with session_scope(engine) as s:
        trend = scoreboard.trend(s, team_id=TEAM, threshold=3)
    assert trend.series["Questions asked"] == [5, 1, 4]
    assert trend.series["People seeking a mentor"] == [0, None, 3]
    assert trend.week_ends == [first + timedelta(weeks=n) for n in range(3)]


def test_snapshots_belong_to_their_workspace(engine):
    first = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        _ask(s, first - timedelta(days=1), team="T0OTHER001")
        scoreboard.catch_up(s, team_id=TEAM, plan=LONDON, now=first)
        assert scoreboard.snapshots(s, team_id=TEAM)[0].figures["questions"]["asked"] == 0
        assert scoreboard.snapshots(s, team_id="T0OTHER001") == []
