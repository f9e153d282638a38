"""How long does the weekly scoreboard take over a year of a large workspace? storage.scoreboard.week.

Fills a fresh store, with bulk inserts (SQLAlchemy Core executemany, one transaction), with:

- 1,000,000 questions spread evenly over 52 weeks (mostly posted; some deflected, pending, failed,
  held; ~1% asked in expert sessions), ~1.3 answers per question on average (some deleted, some by
  the asker, ~40% of answered questions with an accepted answer); a few percent of the rows belong
  to a second workspace;
- 100,000 mentoring records across 20 topics: mentor requests in every state, volunteers and
  their topics, mentorships (proposed, active, completed, stopped, declined), protégé-to-mentor;
- three expert sessions a week and deferrals for a fifth of their questions; helper preferences.

Then times `storage.scoreboard.week` for the latest week (median and min over several runs, and
each part once) and prints the row counts and the figures. `--explain` prints the query plan of
every statement week() runs.

    .venv/bin/python bench/scoreboard.py
    .venv/bin/python bench/scoreboard.py --explain
    .venv/bin/python bench/scoreboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/knowhow_score

On PostgreSQL it works in a throwaway schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert

from bench.scratch import scratch_database
from storage import migrate, scoreboard
from storage.db import make_engine, session_scope
from storage.models import (
    Answer,
    Deferral,
    ExpertSession,
    HelperPreference,
    MentorRequest,
    Mentorship,
    ProtegeToMentor,
    Question,
    Topic,
    Volunteer,
    VolunteerTopic,
)

TEAM, NOISE = "T0BENCH", "T0NOISE"
END = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday: the latest week is [END - 7 days, END)
WEEK = timedelta(days=7)
BATCH = 20_000
USERS = [f"U{i:05d}" for i in range(3000)]
WORDS = (
    "how",
    "do",
    "we",
    "deploy",
    "the",
    "service",
    "to",
    "staging",
    "without",
    "downtime",
    "and",
    "who",
    "owns",
    "billing",
    "pipeline",
    "kubernetes",
    "rollout",
    "budget",
    "review",
    "onboarding",
    "vpn",
    "access",
)


_TEXTS: dict[int, list[str]] = {}


def _text(rng: random.Random, n: int) -> str:
    """A text of n words, from a pool per length (making a fresh one per row is half the fill)."""
    pool = _TEXTS.get(n)
    if pool is None:
        pool = _TEXTS[n] = [" ".join(rng.choices(WORDS, k=n)) for _ in range(50)]
    return pool[int(rng.random() * 50)]


def fill_questions(conn, rng: random.Random, n: int, weeks: int) -> tuple[int, int]:
    """Questions, answers, sessions and deferrals. Returns (answers, deferrals) inserted."""
    first = END - weeks * WEEK
    span = (weeks * WEEK).total_seconds()
    # Three sessions a week per workspace (the last one each week is still scheduled, or cancelled).
    sessions, by_week = [], {}
    sid = 0
    for team in (TEAM, NOISE):
        for w in range(weeks):
            for k in range(3):
                sid += 1
                starts = first + w * WEEK + timedelta(days=1 + 2 * k, hours=15)
                state = "closed" if k < 2 else rng.choice(("closed", "cancelled", "missed"))
                sessions.append(
                    dict(
                        id=sid,
                        team_id=team,
                        channel_id="CSESS",
                        topic=_text(rng, 4),
                        organiser_id=rng.choice(USERS),
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=1),
                        state=state,
                        request_id=f"s{sid}",
                        closed_at=starts + timedelta(hours=1) if state != "cancelled" else None,
                        summary_version=0,
                        created_at=starts - timedelta(days=3),
                    )
                )
                by_week.setdefault((team, w), []).append((sid, starts))
    conn.execute(insert(ExpertSession), sessions)

    answers_total = deferrals_total = 0
    aid = 0
    for lo in range(1, n + 1, BATCH):
        questions, answers, deferrals = [], [], []
        for qid in range(lo, min(lo + BATCH, n + 1)):
            team = NOISE if rng.random() < 0.04 else TEAM
            created = first + timedelta(seconds=rng.random() * span)
            r = rng.random()
            status = (
                "posted"
                if r < 0.90
                else "deflected"
                if r < 0.95
                else "failed"
                if r < 0.97
                else "held"
                if r < 0.985
                else "pending"
            )
            asker = rng.choice(USERS)
            session_id = None
            if status == "posted" and rng.random() < 0.01:
                w = int((created - first) / WEEK)
                session_id, starts = rng.choice(by_week[team, w])
                created = starts + timedelta(minutes=rng.randint(0, 59))
            posted = created + timedelta(seconds=rng.randint(1, 5)) if status == "posted" else None
            shown = "open"
            if status == "posted":
                k = rng.choices((0, 1, 2, 3), weights=(22, 36, 26, 16))[0]
                when = posted
                live = []
                for _ in range(k):
                    aid += 1
                    when = when + timedelta(seconds=int(rng.expovariate(1 / 20000)) + 1)
                    author = asker if rng.random() < 0.03 else rng.choice(USERS)
                    deleted = when + timedelta(minutes=5) if rng.random() < 0.05 else None
                    row = dict(
                        id=aid,
                        team_id=team,
                        question_id=qid,
                        message_ts=f"{qid}.{aid}",
                        author_id=author,
                        text=_text(rng, rng.randint(8, 30)),
                        answered_at=when,
                        edited_ts=None,
                        edited_at=None,
                        deleted_at=deleted,
                        accepted_at=None,
                        accepted_by=None,
                    )
                    answers.append(row)
                    if deleted is None and author != asker:
                        live.append(row)
                if live:
                    shown = "answered"
                    if rng.random() < 0.4:
                        chosen = rng.choice(live)
                        chosen["accepted_at"] = chosen["answered_at"] + timedelta(hours=rng.randint(1, 48))
                        chosen["accepted_by"] = asker
                        shown = "resolved"
                if session_id is not None and rng.random() < 0.25:  # kept when answered in time, else overdue
                    overdue = created + timedelta(days=rng.randint(2, 14))
                    deferrals.append(
                        dict(
                            question_id=qid,
                            team_id=team,
                            expert_id=rng.choice(USERS),
                            due_date=(overdue - timedelta(days=1)).date(),
                            remind_at=overdue - timedelta(hours=15),
                            overdue_at=overdue,
                            created_at=created,
                            reminded_at=None,
                            overdue_noted_at=None,
                        )
                    )
            questions.append(
                dict(
                    id=qid,
                    team_id=team,
                    asker_id=asker,
                    text=_text(rng, rng.randint(10, 40)),
                    details=None,
                    anonymous=False,
                    asked_in_channel_id=None,
                    channel_id="CQA",
                    message_ts=f"{qid}.0" if posted else None,
                    status=status,
                    deflected_by_id=None,
                    deflected_at=created if status == "deflected" else None,
                    shown_state=shown,
                    post_version=0,
                    request_id=f"r{qid}",
                    permalink=None,
                    created_at=created,
                    posted_at=posted,
                    followed_up_at=None,
                    session_id=session_id,
                )
            )
        conn.execute(insert(Question), questions)
        if answers:
            conn.execute(insert(Answer), answers)
        if deferrals:
            conn.execute(insert(Deferral), deferrals)
        answers_total += len(answers)
        deferrals_total += len(deferrals)
    return answers_total, deferrals_total


def fill_mentoring(conn, rng: random.Random, n: int, weeks: int) -> None:
    """About n mentoring records: requests 40%, volunteers 10% (+ two topics each, 20%),
    mentorships 25%, protégé-to-mentor 5%."""
    first = END - weeks * WEEK
    span = (weeks * WEEK).total_seconds()

    def when():
        return first + timedelta(seconds=rng.random() * span)

    topics = []
    for i, team in enumerate([TEAM] * 20 + [NOISE] * 5):
        topics.append(
            dict(id=i + 1, team_id=team, key=f"topic {i}", name=f"Topic {i}", created_by=None, created_at=first)
        )
    conn.execute(insert(Topic), topics)
    team_topics = {
        TEAM: [t["id"] for t in topics if t["team_id"] == TEAM],
        NOISE: [t["id"] for t in topics if t["team_id"] == NOISE],
    }
    people = [f"M{i:06d}" for i in range(n)]

    def team_of():
        return NOISE if rng.random() < 0.04 else TEAM

    volunteers, vtopics = [], []
    for user in people[: n // 10]:
        team = team_of()
        volunteers.append(
            dict(
                team_id=team,
                user_id=user,
                capacity=rng.choice((1, 1, 2, 3)),
                note=None,
                paused=rng.random() < 0.1,
                joined_at=when(),
                left_at=when() if rng.random() < 0.1 else None,
            )
        )
        for topic in rng.sample(team_topics[team], 2):
            vtopics.append(dict(team_id=team, user_id=user, topic_id=topic, added_at=first))
    mentors = [(v["team_id"], v["user_id"]) for v in volunteers]

    requests, pairs = [], []
    rid = 0
    for _ in range(int(n * 0.40)):
        rid += 1  # noqa: SIM113
        team = team_of()
        created = when()
        requests.append(
            dict(
                id=rid,
                team_id=team,
                protege_id=rng.choice(people),
                topic_id=rng.choice(team_topics[team]),
                goal=_text(rng, 12),
                location_pref="any",
                role_pref="any",
                target_role=None,
                state=rng.choices(
                    ("waiting", "choosing", "asking", "matched", "withdrawn"), weights=(10, 3, 2, 70, 15)
                )[0],
                round=1,
                request_id=f"m{rid}",
                created_at=created,
                updated_at=created,
            )
        )
    matched = [r for r in requests if r["state"] == "matched"]
    for mid in range(1, int(n * 0.25) + 1):
        r = rng.choice(matched)
        team, mentor = rng.choice([m for m in rng.sample(mentors, 5) if m[0] == r["team_id"]] or [(r["team_id"], "MX")])
        proposed = r["created_at"] + timedelta(days=1)
        state = rng.choices(
            ("proposed", "active", "completed", "stopped", "declined", "expired"), weights=(3, 25, 50, 8, 10, 4)
        )[0]
        started = proposed + timedelta(days=2) if state in ("active", "completed", "stopped") else None
        finished = (
            min(started + timedelta(weeks=12), END - timedelta(hours=1)) if state in ("completed", "stopped") else None
        )
        pairs.append(
            dict(
                id=mid,
                team_id=team,
                request_id=r["id"],
                mentor_id=mentor,
                protege_id=r["protege_id"],
                topic_id=r["topic_id"],
                state=state,
                weeks=12,
                proposed_at=proposed,
                answer_by=proposed + timedelta(days=3),
                started_at=started,
                halfway_at=None,
                ends_at=None,
                halfway_sent_at=None,
                end_sent_at=None,
                finished_at=finished,
                group_channel=None,
                mentor_met=None,
                protege_met=None,
                mentor_rating=None,
                protege_rating=None,
                mentor_word=None,
                protege_word=None,
            )
        )
    p2m = {}
    for _ in range(int(n * 0.05)):
        team = team_of()
        key = (team, rng.choice(people), rng.choice(team_topics[team]))
        p2m[key] = dict(team_id=key[0], user_id=key[1], topic_id=key[2], at=when())
    prefs = [
        dict(team_id=TEAM, user_id=u, invitations_paused=False, thank_publicly=rng.random() < 0.3, updated_at=first)
        for u in USERS
    ]

    for model, rows in (
        (Volunteer, volunteers),
        (VolunteerTopic, vtopics),
        (MentorRequest, requests),
        (Mentorship, pairs),
        (ProtegeToMentor, list(p2m.values())),
        (HelperPreference, prefs),
    ):
        for lo in range(0, len(rows), BATCH):
            conn.execute(insert(model), rows[lo : lo + BATCH])


def explain(engine, start, end) -> None:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    with session_scope(engine) as s:
        scoreboard.week(s, team_id=TEAM, start=start, end=end)
    event.remove(engine, "before_cursor_execute", record)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
    with engine.connect() as conn:
        for statement, parameters in statements:
            print("\n" + " ".join(statement.split())[:300])
            for row in conn.exec_driver_sql(prefix + statement, parameters):
                print("   ", " | ".join(str(c) for c in row))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--mentoring", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the plan of every statement week() runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, Path(tmp)) as url:
        return run(args, url)


def run(args, url: str) -> int:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        rng = random.Random(args.seed)
        print(
            f"Python {sys.version.split()[0]} | {engine.dialect.name} | {args.questions:,} questions over {args.weeks} weeks "
            f"| {args.mentoring:,} mentoring records"
        )
        began = time.perf_counter()
        with engine.begin() as conn:
            fill_questions(conn, rng, args.questions, args.weeks)
            fill_mentoring(conn, rng, args.mentoring, args.weeks)
        filled = time.perf_counter() - began
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        print(f"fill: {filled:.1f} s (analyze: {time.perf_counter() - began - filled:.1f} s)")
        with engine.connect() as conn:
            for table in (
                "question",
                "answer",
                "expert_session",
                "deferral",
                "topic",
                "mentor_request",
                "volunteer",
                "volunteer_topic",
                "mentorship",
                "protege_to_mentor",
                "helper_preference",
            ):
                print(f"  {table:18} {conn.exec_driver_sql(f'SELECT count(*) FROM {table}').scalar():>10,}")

        start, end = END - WEEK, END
        with session_scope(engine) as s:
            figures = scoreboard.week(s, team_id=TEAM, start=start, end=end)  # warm caches
        times = []
        for _ in range(args.runs):
            with session_scope(engine) as s:
                t0 = time.perf_counter()
                scoreboard.week(s, team_id=TEAM, start=start, end=end)
                times.append((time.perf_counter() - t0) * 1000)
        print(
            f"week() for {start:%Y-%m-%d}..{end:%Y-%m-%d}, {args.runs} runs: "
            f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms"
        )
        parts = []
        with session_scope(engine) as s:
            for part in ("questions", "sessions", "mentoring", "helpers", "lessons"):
                t0 = time.perf_counter()
                getattr(scoreboard, part)(s, team_id=TEAM, start=start, end=end)
                parts.append(f"{part} {(time.perf_counter() - t0) * 1000:.0f} ms")
        print("  parts: " + ", ".join(parts))
        shown = dict(
            figures, mentoring=dict(figures["mentoring"], topics=f"{len(figures['mentoring']['topics'])} topics")
        )
        print("figures: " + json.dumps(shown, default=str))
        if args.explain:
            explain(engine, start, end)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
