"""The weekly scoreboard's rules: when a week ends, its snapshot, the change against the week
before, the trend of the last twelve weeks, and which counts may be shown (core.privacy: the
threshold on counts of people seeking, offering or receiving mentoring, never on activity). No
Slack. A call for volunteers shows its topic's demand as the scoreboard does (`topic_demand`).

A week ends at the workspace's posting time (Monday 09:00 in its time zone unless an admin chose
otherwise). When it ends, its figures are computed once and stored; the post reads the snapshot,
and "against last week" compares two snapshots. When Knowhow was down across one or more posting
times, the missing weeks are computed when it comes back (the latest is posted, once; the older
ones fill the trend). A snapshot computed late holds where things stood when it was computed.

Whose figures: the whole organisation's by default (every workspace of an Enterprise Grid
organisation: `storage.workspaces.pool`), with the privacy rule applied to the organisation's
counts; a workspace admin may choose the workspace's alone (`scope`, set with the
scoreboard settings). Outside Grid the two are the same. Each snapshot says whose figures it holds
(`pool`): changes are shown against a week of the same kind of figures only (an organisation's,
or one workspace's), and the trend's weeks are those of the latest week's kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update
from sqlmodel import Session, select

from core import topics
from core.privacy import DEFAULT_THRESHOLD, count_text, is_exact, of_people
from storage import scoreboard as figures
from storage import workspaces
from storage.claims import claim
from storage.models import ScoreboardSettings, ScoreboardWeek
from storage.upsert import insert_if_absent

WEEK = timedelta(days=7)
TREND_WEEKS = 12
# The first week a workspace has is posted only when Knowhow starts this soon after its end.
FIRST_POST_WITHIN = timedelta(hours=12)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SettingsError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


ORGANISATION, WORKSPACE = "organisation", "workspace"
SCOPES = (ORGANISATION, WORKSPACE)


@dataclass(frozen=True)
class Schedule:
    channel_id: str | None
    weekday: int = 0
    hour: int = 9
    minute: int = 0
    tz: str = "UTC"
    scope: str = ORGANISATION  # whose figures: the organisation's, or the workspace's alone

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def describe(self) -> str:
        return f"{DAYS[self.weekday]}s at {self.hour:02d}:{self.minute:02d} ({self.tz})"


def schedule(session: Session, *, team_id: str, default_channel: str | None) -> Schedule:
    row = session.get(ScoreboardSettings, team_id)
    if row is None:
        return Schedule(default_channel)
    scope = row.scope if row.scope in SCOPES else ORGANISATION
    return Schedule(row.channel_id or default_channel, row.weekday, row.hour, row.minute, row.tz, scope)


def pool_of(session: Session, *, team_id: str) -> list[str]:
    """The workspaces whose figures `team_id`'s scoreboard shows: its organisation's (itself
    first), or itself alone when an admin chose the workspace's figures."""
    row = session.get(ScoreboardSettings, team_id)
    if row is not None and row.scope == WORKSPACE:
        return [team_id]
    return workspaces.pool(session, team_id=team_id)


def save_schedule(
    session: Session,
    *,
    team_id: str,
    channel_id: str | None,
    weekday: int,
    hour: int,
    minute: int,
    tz: str,
    user_id: str,
    now: datetime,
    scope: str | None = None,
) -> Schedule:
    """Where, when and (`scope`, None: as it was) whose figures the weekly post shows."""
    if scope is not None and scope not in SCOPES:
        raise SettingsError("Choose the organisation's figures or this workspace's.", "scope")
    if not 0 <= weekday <= 6:
        raise SettingsError("Choose a day of the week.", "weekday")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise SettingsError("Choose a time of day.", "time")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{tz} is not a time zone Knowhow knows.", "time") from None
    values = dict(
        channel_id=channel_id, weekday=weekday, hour=hour, minute=minute, tz=tz, updated_by=user_id, updated_at=now
    )
    if scope is not None:
        values["scope"] = scope
    if not insert_if_absent(session, ScoreboardSettings, dict(team_id=team_id, **values)):
        session.execute(update(ScoreboardSettings).where(ScoreboardSettings.team_id == team_id).values(**values))
    return schedule(session, team_id=team_id, default_channel=channel_id)


def settings_owner(session: Session, *, team_id: str) -> str | None:
    """The admin who last chose where the scoreboard goes (told when it cannot be posted)."""
    row = session.get(ScoreboardSettings, team_id)
    return row.updated_by if row else None


def last_week_end(plan: Schedule, now: datetime) -> datetime:
    """The latest posting time at or before `now`, in UTC (daylight saving included: 09:00 local
    stays 09:00 local)."""
    local = now.astimezone(plan.zone)
    day: date = local.date() - timedelta(days=(local.weekday() - plan.weekday) % 7)
    for _ in range(3):
        at = datetime.combine(day, time(plan.hour, plan.minute), tzinfo=plan.zone)
        if at <= now:
            return at.astimezone(now.tzinfo)
        day -= timedelta(days=7)
    raise AssertionError("unreachable")


def _week_before(plan: Schedule, end: datetime) -> datetime:
    """The posting time before `end`: where the week that ends at `end` starts."""
    return last_week_end(plan, end - timedelta(seconds=1))


@dataclass(frozen=True)
class Snapshot:
    week_start: datetime
    week_end: datetime
    figures: dict
    posted: bool = False


def _snapshot(row: ScoreboardWeek) -> Snapshot:
    return Snapshot(row.week_start, row.week_end, json.loads(row.figures), row.posted_at is not None)


def snapshots(
    session: Session, *, team_id: str, limit: int = TREND_WEEKS, before: datetime | None = None
) -> list[Snapshot]:
    """The latest `limit` weekly snapshots (ending at or before `before`), oldest first."""
    query = select(ScoreboardWeek).where(ScoreboardWeek.team_id == team_id)
    if before is not None:
        query = query.where(ScoreboardWeek.week_end <= before)
    rows = session.exec(query.order_by(ScoreboardWeek.week_end.desc()).limit(limit)).all()
    return [_snapshot(r) for r in reversed(rows)]


def record_week(session: Session, *, team_id: str, start: datetime, end: datetime, now: datetime) -> bool:
    """Compute and store one week's figures, once. False when it was already stored."""
    if session.get(ScoreboardWeek, (team_id, end)) is not None:
        return False
    data = figures.week(session, team_id=team_id, start=start, end=end, pool=pool_of(session, team_id=team_id))
    return insert_if_absent(
        session,
        ScoreboardWeek,
        dict(
            team_id=team_id,
            week_start=start,
            week_end=end,
            figures=json.dumps(data),
            computed_at=now,
        ),
    )


def catch_up(session: Session, *, team_id: str, plan: Schedule, now: datetime) -> datetime | None:
    """Store every week that ended since the last snapshot (at most TREND_WEEKS back; on the first
    run only the week just ended, posted only if it ended in the last FIRST_POST_WITHIN). Returns
    the latest week's end when it still has to be posted."""
    latest = last_week_end(plan, now)
    stored = snapshots(session, team_id=team_id, limit=1)
    previous = stored[-1].week_end if stored else None
    if previous is not None and latest < previous:
        # An admin moved the posting time earlier in the week: the week already stored stands,
        # and the first new week ends at the next posting time (an older week is never posted).
        return None
    ends = [latest]
    if previous is not None:
        at = latest
        while len(ends) < TREND_WEEKS:
            at = _week_before(plan, at)
            if at <= previous:
                break
            ends.append(at)
    for end in reversed(ends):
        start = _week_before(plan, end)
        if previous is not None and start < previous:  # the posting time changed: weeks never overlap
            start = previous
        recorded = record_week(session, team_id=team_id, start=start, end=end, now=now)
        if recorded and previous is None and now - end > FIRST_POST_WITHIN:
            # Knowhow's very first week, long after its posting time (installed mid-week): kept
            # for the trend and the next week's changes, but not posted out of the blue.
            session.execute(
                update(ScoreboardWeek)
                .where(ScoreboardWeek.team_id == team_id, ScoreboardWeek.week_end == end)
                .values(posted_at=now)
            )
    row = session.get(ScoreboardWeek, (team_id, latest))
    return latest if row is not None and row.posted_at is None else None


def claim_post(session: Session, *, team_id: str, week_end: datetime, channel_id: str, now: datetime) -> bool:
    """Mark a week as posted, exactly once (the caller then queues the post)."""
    return claim(
        session,
        ScoreboardWeek,
        ScoreboardWeek.team_id == team_id,
        ScoreboardWeek.week_end == week_end,
        ScoreboardWeek.posted_at.is_(None),
        posted_at=now,
        channel_id=channel_id,
    )


def set_message(session: Session, *, team_id: str, week_end: datetime, ts: str) -> None:
    session.execute(
        update(ScoreboardWeek)
        .where(ScoreboardWeek.team_id == team_id, ScoreboardWeek.week_end == week_end)
        .values(message_ts=ts)
    )


def get_week(session: Session, *, team_id: str, week_end: datetime) -> Snapshot | None:
    row = session.get(ScoreboardWeek, (team_id, week_end))
    return _snapshot(row) if row else None


# -- what is shown ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count as it may be shown (core.privacy): its text, its change against last week when
    both weeks' counts are exact (a change next to a hidden count would tell it), and the count
    itself when it is exact (None: hidden, or no figure)."""

    text: str
    change: int | None = None
    value: int | None = None


def figure(value: int | None, previous: int | None, threshold: int, *, people: bool = True) -> Figure:
    if value is None:
        return Figure("none")
    if not is_exact(value, people=people, threshold=threshold):
        return Figure(count_text(value, people=people, threshold=threshold))
    change = None
    if previous is not None and is_exact(previous, people=people, threshold=threshold):
        change = value - previous
    return Figure(count_text(value, people=people, threshold=threshold), change, value)


HIDDEN = Figure("not shown")


def complementary(total: int, parts: list[int], threshold: int) -> set[int]:
    """The parts (counts of people) to leave out as well, so that the total minus the parts shown
    never tells a small count: while what is hidden (the small parts, and whatever the total holds
    besides the parts) sums to more than nothing but under the threshold, the smallest shown part
    is hidden too. A zero is never left out (leaving it out tells nothing), and with a total under
    the threshold no part is exact but zeros."""
    shown_parts = sorted((p, i) for i, p in enumerate(parts) if p > 0 and is_exact(p, people=True, threshold=threshold))
    remainder = total - sum(p for p, _ in shown_parts)
    hidden: set[int] = set()
    while 0 < remainder < threshold and shown_parts:
        p, i = shown_parts.pop(0)
        hidden.add(i)
        remainder += p
    return hidden


@dataclass
class Board:
    """A scoreboard ready to render: each count as core.privacy lets it be shown, with its change."""

    week_start: datetime
    week_end: datetime
    questions: dict[str, Figure] = field(default_factory=dict)
    median_first_answer_seconds: int | None = None
    oldest_open_days: int | None = None
    sessions: dict[str, Figure] = field(default_factory=dict)
    mentoring: dict[str, Figure] = field(default_factory=dict)
    topics: list[tuple[str, dict[str, Figure]]] = field(default_factory=list)
    helpers: list[tuple[str, int]] = field(default_factory=list)
    # Help channels: questions answered from earlier lessons (core.helpchannels), in all and per topic.
    help: dict[str, Figure] = field(default_factory=dict)
    help_topics: list[tuple[str, Figure]] = field(default_factory=list)
    has_previous: bool = False
    # How many workspaces' figures these are (more than one: an organisation's).
    workspaces: int = 1
    # Threads saved as lessons this week, and the topics of those everyone may find (`lesson_figures`).
    lessons: Figure = field(default_factory=lambda: Figure("none"))
    lesson_topics: list[tuple[str, Figure]] = field(default_factory=list)


QUESTION_COUNTS = ("asked", "answered", "resolved", "answered_within_day", "deflected")
SESSION_COUNTS = ("held", "questions", "handled", "deferrals_kept", "deferrals_overdue")
MENTORING_COUNTS = ("seeking", "volunteers", "active", "completed", "protege_to_mentor_total", "protege_to_mentor_week")
TOPIC_COUNTS = ("seeking", "volunteers", "active", "completed")  # a topic's, of the mentoring counts
LESSON_COUNTS = ("saved",)  # threads saved as lessons (core.saving), overall and per topic
HELP_COUNTS = ("deflected",)


def _help_topic_rows(now: dict, before: dict | None, threshold: int) -> list[tuple[str, Figure]]:
    """Each topic's help-channel deflections this week (activity: shown as counted, core.privacy),
    with its change when last week's figures are there; topics with none this week are left out."""
    earlier = {t["topic"]: t["deflected"] for t in (before or {}).get("topics", [])}
    people = of_people("help", "deflected")
    return [
        (
            t["topic"],
            figure(
                t["deflected"], earlier.get(t["topic"], 0) if before is not None else None, threshold, people=people
            ),
        )
        for t in now.get("topics", [])
    ]


def _whose(snapshot: Snapshot) -> str:
    """Whose figures a snapshot holds: several workspaces' (an organisation's), or one's (and one
    written before snapshots said so). An organisation that grows stays comparable with itself."""
    return ORGANISATION if len(snapshot.figures.get("pool") or ()) > 1 else WORKSPACE


def _topic_rows(mentoring: dict, earlier: dict | None, threshold: int) -> list[tuple[dict, dict[str, Figure]]]:
    """Each listed topic with its figures. Only topics an admin put on the list are shown, all of
    them, in name order: a topic that appears only when someone asks in it, or an order that
    follows the counts, would tell what the "fewer than 3" hides. A protégé's own suggestion stays
    private until it is curated. `earlier`: last week's mentoring figures, when changes are shown."""
    earlier_topics = {t["topic_id"]: t for t in (earlier or {}).get("topics", [])}
    listed = sorted((t for t in mentoring.get("topics", []) if t.get("curated")), key=lambda t: t["topic"].casefold())
    rows: list[dict[str, Figure]] = []
    for t in listed:
        old = earlier_topics.get(t["topic_id"])
        rows.append(
            {
                k: figure(
                    t[k],
                    old[k] if old else (0 if earlier is not None else None),
                    threshold,
                    people=of_people("mentoring", k),
                )
                for k in TOPIC_COUNTS
            }
        )
    for k in TOPIC_COUNTS:
        if mentoring.get(k) is None:
            continue
        for i in complementary(mentoring[k], [t[k] for t in listed], threshold):
            rows[i][k] = HIDDEN
    return list(zip(listed, rows))


def lesson_figures(now: dict, before: dict | None, threshold: int) -> tuple[Figure, list[tuple[str, Figure]]]:
    """Lessons saved (core.saving) and, per topic, as they may be shown: activity (core.privacy),
    so exact; a change only against a week that counted them (`before`: its figures, or None).
    A snapshot written before lessons were counted shows none."""
    mine = now.get("lessons")
    if mine is None:
        return Figure("none"), []
    theirs = (before or {}).get("lessons")
    previous = theirs.get("saved") if theirs else None
    people = of_people("lessons", LESSON_COUNTS[0])
    total = figure(mine.get("saved"), previous, threshold, people=people)
    earlier = {t["topic"]: t["saved"] for t in (theirs or {}).get("topics", [])}
    topics_shown = [
        (t["topic"], figure(t["saved"], earlier.get(t["topic"], 0) if theirs else None, threshold, people=people))
        for t in mine.get("topics", [])
    ]
    return total, topics_shown


def board(current: Snapshot, previous: Snapshot | None, threshold: int = DEFAULT_THRESHOLD) -> Board:
    """`current` ready to show, with its changes against `previous` when that week holds the same
    kind of figures (an organisation's, or one workspace's: after a change of scope, none shown)."""
    if previous is not None and _whose(previous) != _whose(current):
        previous = None
    now, before = current.figures, previous.figures if previous else {}

    def group(name: str, keys) -> dict[str, Figure]:
        mine, theirs = now.get(name, {}), before.get(name, {})
        return {
            k: figure(mine.get(k), theirs.get(k) if previous else None, threshold, people=of_people(name, k))
            for k in keys
        }

    rows = _topic_rows(now.get("mentoring", {}), before.get("mentoring", {}) if previous else None, threshold)
    mentoring_figures = group("mentoring", MENTORING_COUNTS)
    # The all-time count's change is this week's count, which has its own figure (and threshold).
    mentoring_figures["protege_to_mentor_total"] = replace(mentoring_figures["protege_to_mentor_total"], change=None)
    q = now.get("questions", {})
    lessons, lesson_topics = lesson_figures(now, before if previous else None, threshold)
    return Board(
        week_start=current.week_start,
        week_end=current.week_end,
        questions=group("questions", QUESTION_COUNTS),
        median_first_answer_seconds=q.get("median_first_answer_seconds"),
        oldest_open_days=q.get("oldest_open_days"),
        sessions=group("sessions", SESSION_COUNTS),
        mentoring=mentoring_figures,
        topics=[(t["topic"], row) for t, row in rows],
        helpers=[(h["user_id"], h["accepted"]) for h in now.get("helpers", [])],
        help=group("help", HELP_COUNTS),
        help_topics=_help_topic_rows(now.get("help", {}), before.get("help") if previous else None, threshold),
        has_previous=previous is not None,
        workspaces=len(now.get("pool") or [None]),
        lessons=lessons,
        lesson_topics=lesson_topics,
    )


@dataclass(frozen=True)
class TopicDemand:
    """A topic's demand as the scoreboard shows it right now (a call for volunteers says this)."""

    topic: str
    seeking: Figure
    volunteers: Figure


def topic_demand(session: Session, *, team_id: str, topic_id: int, now: datetime, threshold: int) -> TopicDemand:
    """`topic_id`'s people looking for a mentor and volunteers with a place free, with the figures
    and the rule of `team_id`'s scoreboard (`live_board` at `now` shows the same): its pool, the
    threshold, and a count left out when, taken from the total, it would give a hidden one away.
    A topic no longer on the list shows no count but zero."""
    pool = pool_of(session, team_id=team_id)
    m = figures.mentoring(session, team_id=team_id, start=now - WEEK, end=now, pool=pool)
    for t, row in _topic_rows(m, None, threshold):
        if t["topic_id"] == topic_id:
            return TopicDemand(t["topic"], row["seeking"], row["volunteers"])
    raw = next((t for t in m["topics"] if t["topic_id"] == topic_id), None)

    def bare(n: int) -> Figure:
        return figure(0, None, threshold) if n == 0 else HIDDEN

    name = raw["topic"] if raw else topics.name_in_pool(session, team_id=team_id, topic_id=topic_id)
    return TopicDemand(name or "", bare(raw["seeking"] if raw else 0), bare(raw["volunteers"] if raw else 0))


def weekly_board(session: Session, *, team_id: str, week_end: datetime, threshold: int) -> Board | None:
    current = get_week(session, team_id=team_id, week_end=week_end)
    if current is None:
        return None
    earlier = snapshots(session, team_id=team_id, limit=1, before=week_end - timedelta(seconds=1))
    return board(current, earlier[-1] if earlier else None, threshold)


def live_board(session: Session, *, team_id: str, now: datetime, threshold: int) -> Board:
    """The scoreboard right now (`/mentor scoreboard`, App Home): the last seven days, against the
    latest stored week."""
    pool = pool_of(session, team_id=team_id)
    current = Snapshot(now - WEEK, now, figures.week(session, team_id=team_id, start=now - WEEK, end=now, pool=pool))
    earlier = snapshots(session, team_id=team_id, limit=1, before=now - WEEK + timedelta(hours=12))
    return board(current, earlier[-1] if earlier else None, threshold)


@dataclass(frozen=True)
class Trend:
    """The last weeks' series for the picture; None where a count of people is hidden (core.privacy)."""

    week_ends: list[datetime]
    series: dict[str, list[int | None]]
    threshold: int


TREND_SERIES = {
    "Questions asked": ("questions", "asked"),
    "Questions resolved": ("questions", "resolved"),
    "People seeking a mentor": ("mentoring", "seeking"),
    "Volunteers with a place": ("mentoring", "volunteers"),
}


def trend(session: Session, *, team_id: str, threshold: int, until: datetime | None = None) -> Trend:
    weeks = snapshots(session, team_id=team_id, limit=TREND_WEEKS, before=until)
    if weeks:  # the weeks holding the latest week's figures (an organisation's, or the workspace's)
        latest = _whose(weeks[-1])
        weeks = [w for w in weeks if _whose(w) == latest]
    series = {}
    for label, (group, key) in TREND_SERIES.items():
        values = [w.figures.get(group, {}).get(key) for w in weeks]
        people = of_people(group, key)
        series[label] = [
            v if v is not None and is_exact(v, people=people, threshold=threshold) else None for v in values
        ]
    return Trend([w.week_end for w in weeks], series, threshold)
