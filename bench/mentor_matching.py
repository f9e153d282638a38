"""How fast is mentor matching? 1,000 open requests against 5,000 volunteers.

Builds a made-up organisation with a fixed seed: volunteers in realistic roles ("Engineering
Manager", "Senior Software Engineer", "Head of Sales"...), 1-3 topics each out of 20, a capacity
of 1-3, 0-10 years in the role, in one of 10 offices across time zones; and protégés asking in a
topic with a mix of preferences (role like mine / like my target / any; same location or any).
Then it times:

- the ranking alone, core.matching.rank (what core.mentoring offers with): every request in
  turn, oldest first, against its topic's volunteers as they stand at its turn (places taken,
  times on offer, mentors already worked with excluded), each taking its best candidate: median
  and min of several runs. Target: under 2 s on a 2-core machine;
- the database path: a fresh store filled through core.mentoring (topics, profiles, volunteers),
  then the 1,000 requests one by one through core.mentoring.ask_for_mentor, each in its own
  transaction as a Slack request would be, each ranking its topic's volunteers from the store.

With `--workspaces N` the volunteers and protégés are spread over N workspaces of one Enterprise
Grid organisation, each with its own mentoring list of the same topics: every request then ranks
the volunteers of the whole organisation (core.mentoring's pool, topics matched by key).

    .venv/bin/python bench/mentor_matching.py
    .venv/bin/python bench/mentor_matching.py --workspaces 50
    .venv/bin/python bench/mentor_matching.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL it works in a throwaway schema, dropped at the end. It prints figures; it is not a
test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from bench.scratch import scratch_database
from core import matching, mentoring
from storage import migrate, workspaces
from storage.db import make_engine, session_scope

TEAM = "T0BENCH"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = 3600

# Roles, with rough weights (engineering-heavy, as most organisations using Slack are).
ROLES = [
    ("Software Engineer", 10),
    ("Senior Software Engineer", 12),
    ("Staff Engineer", 4),
    ("Principal Engineer", 2),
    ("Engineering Manager", 6),
    ("Senior Engineering Manager", 2),
    ("Director of Engineering", 1),
    ("VP of Engineering", 0.3),
    ("Product Manager", 5),
    ("Senior Product Manager", 3),
    ("Head of Product", 0.5),
    ("Designer", 4),
    ("Senior Product Designer", 2),
    ("UX Researcher", 1),
    ("Data Scientist", 3),
    ("Data Engineer", 2),
    ("Analytics Manager", 1),
    ("Account Executive", 4),
    ("Sales Manager", 2),
    ("Head of Sales", 0.5),
    ("Customer Success Manager", 3),
    ("Marketing Manager", 2),
    ("Recruiter", 2),
    ("HR Business Partner", 1),
    ("Finance Manager", 1),
    ("Operations Manager", 1),
]
# Where people move next: a role's usual next step (for requests with a target role).
NEXT = {
    "Software Engineer": "Senior Software Engineer",
    "Senior Software Engineer": "Engineering Manager",
    "Staff Engineer": "Principal Engineer",
    "Engineering Manager": "Senior Engineering Manager",
    "Senior Engineering Manager": "Director of Engineering",
    "Product Manager": "Senior Product Manager",
    "Senior Product Manager": "Head of Product",
    "Designer": "Senior Product Designer",
    "Data Scientist": "Analytics Manager",
    "Account Executive": "Sales Manager",
    "Sales Manager": "Head of Sales",
    "Customer Success Manager": "Operations Manager",
}
TOPICS = [
    "Leadership",
    "First-time management",
    "Hiring",
    "Giving feedback",
    "Career growth",
    "Public speaking",
    "System design",
    "Negotiation",
    "Handling conflict",
    "Organisational politics",
    "Product strategy",
    "Stakeholder management",
    "Data storytelling",
    "Technical writing",
    "Remote work",
    "Work-life balance",
    "Sales leadership",
    "Going from IC to manager",
    "Promotion cases",
    "Running meetings",
]
# Offices: (location, time zone, UTC offset in seconds), with rough head-count weights.
OFFICES = [
    (("London", "Europe/London", 0), 20),
    (("Dublin", "Europe/Dublin", 0), 6),
    (("Berlin", "Europe/Berlin", HOUR), 10),
    (("Lisbon", "Europe/Lisbon", 0), 4),
    (("New York", "America/New_York", -5 * HOUR), 15),
    (("San Francisco", "America/Los_Angeles", -8 * HOUR), 15),
    (("Sao Paulo", "America/Sao_Paulo", -3 * HOUR), 5),
    (("Bangalore", "Asia/Kolkata", 5 * HOUR + 1800), 12),
    (("Singapore", "Asia/Singapore", 8 * HOUR), 6),
    (("Sydney", "Australia/Sydney", 11 * HOUR), 7),
]


def pick(rng: random.Random, weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights)[0]


def make_people(volunteers: int, requests: int, seed: int):
    """(volunteers, requests) as plain tuples: the same organisation for both paths."""
    rng = random.Random(seed)
    people = {}

    def person(user_id):
        if user_id not in people:
            office = pick(rng, OFFICES)
            people[user_id] = (pick(rng, ROLES), rng.choice([None] + list(range(11)) * 3), office)
        return people[user_id]

    vols = []
    for i in range(volunteers):
        user_id = f"U{i:06d}"
        role, years, office = person(user_id)
        topics = rng.sample(range(len(TOPICS)), rng.choice([1, 1, 2, 2, 3]))
        vols.append((user_id, topics, rng.choice([1, 1, 1, 2, 2, 3]), role, years, office))
    reqs = []
    for j in range(requests):
        # One in ten protégés also volunteers (in other topics, or the same one).
        user_id = f"U{rng.randrange(volunteers):06d}" if rng.random() < 0.1 else f"P{j:06d}"
        role, _, office = person(user_id)
        # Demand is skewed: leadership-ish topics are asked far more often.
        topic = min(int(rng.expovariate(0.18)), len(TOPICS) - 1)
        target = NEXT.get(role) if rng.random() < 0.6 else None
        role_pref = rng.choices(["any", "mine", "target"], [5, 2, 3 if target else 0])[0]
        location_pref = "same" if rng.random() < 0.15 else "any"
        reqs.append((user_id, topic, role, target, role_pref, location_pref, office))
    return vols, reqs


def as_matching(vols, reqs):
    mentors = [
        matching.Mentor(user_id, frozenset(topics), capacity, 0, 0, role, years, office[0], office[2])
        for user_id, topics, capacity, role, years, office in vols
    ]
    requests = [
        matching.Request(user_id, topic, role, target, role_pref, office[0], location_pref, office[2])
        for user_id, topic, role, target, role_pref, location_pref, office in reqs
    ]
    return mentors, requests


def take_turns(requests, mentors) -> list[tuple[list[matching.Candidate], str | None]]:
    """Each request ranked by core.matching.rank in turn, as core.mentoring offers them: against
    its topic's volunteers as they stand (places taken, times on offer), the mentors its protégé
    already worked with in the topic excluded; each protégé takes their best candidate."""
    now = {m.user_id: m for m in mentors}
    by_topic: dict[int, list[str]] = {}
    for m in mentors:
        for t in m.topics:
            by_topic.setdefault(t, []).append(m.user_id)
    paired: dict[tuple[str, int], set[str]] = {}
    out = []
    for request in requests:
        worked_with = paired.setdefault((request.protege_id, request.topic_id), set())
        asked = replace(request, excluded=request.excluded | worked_with) if worked_with else request
        candidates = matching.rank(asked, [now[u] for u in by_topic.get(request.topic_id, ())])
        for c in candidates:
            now[c.mentor_id] = replace(now[c.mentor_id], on_offer=now[c.mentor_id].on_offer + 1)
        taken = candidates[0].mentor_id if candidates else None
        if taken is not None:
            now[taken] = replace(now[taken], load=now[taken].load + 1)
            worked_with.add(taken)
        out.append((candidates, taken))
    return out


def bench_rank(vols, reqs, runs: int) -> None:
    mentors, requests = as_matching(vols, reqs)
    times, out = [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = take_turns(requests, mentors)
        times.append(time.perf_counter() - start)
    matched = [taken for _, taken in out if taken]
    shown = Counter(c.mentor_id for candidates, _ in out for c in candidates)
    load = Counter(matched)
    top_id, top = load.most_common(1)[0]
    room = {m.user_id: m.room for m in mentors}
    print(
        f"rank, {len(requests):,} requests in turn x {len(mentors):,} volunteers ({runs} runs): "
        f"median {statistics.median(times):.3f} s, min {min(times):.3f} s (target < 2 s)"
    )
    print(
        f"  requests that got a mentor: {len(matched):,} / {len(requests):,}; "
        f"candidates shown per request: {sum(len(c) for c, _ in out) / len(out):.2f} on average"
    )
    print(
        f"  spread: {len(load):,} distinct mentors took the {len(matched):,} matches; the busiest took {top} "
        f"({top / len(matched):.2%} of matches, capacity {room[top_id]}); most shown: {shown.most_common(1)[0][1]} times"
    )


def percentiles(samples_ms: list[float]) -> str:
    q = statistics.quantiles(samples_ms, n=100)
    return f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, max {max(samples_ms):.1f} ms"


def team_of(n: int, workspaces_n: int) -> str:
    """The workspace of the n-th person: one of the organisation's `workspaces_n`."""
    return TEAM if workspaces_n == 1 else f"T0BENCH{n % workspaces_n:03d}"


def fill(engine, vols, reqs, workspaces_n: int = 1) -> tuple[dict[str, list[int]], float]:
    """Topics, profiles and the volunteers, through core.mentoring. Each workspace's topic ids, and
    seconds."""
    start = time.perf_counter()
    teams = sorted({team_of(n, workspaces_n) for n in range(workspaces_n)})
    topic_ids = {}
    with session_scope(engine) as s:
        for team in teams:
            if workspaces_n > 1:
                workspaces.seen(s, team_id=team, enterprise_id="E0BENCH")
            topic_ids[team] = [
                mentoring.add_topic(s, team_id=team, raw=name, user_id="UADMIN", curated=True)[0].id for name in TOPICS
            ]
    profiled = set()

    def profile(s, team, user_id, role, years, office):
        if user_id in profiled:
            return
        profiled.add(user_id)
        location, tz, offset = office
        mentoring.ensure_profile(
            s, team_id=team, user_id=user_id, slack=mentoring.SlackPerson(role, tz, offset), now=T0
        )
        mentoring.save_profile(
            s, team_id=team, user_id=user_id, role=role, location=location, years_in_role=years, now=T0
        )

    batch = 250
    for i in range(0, len(vols), batch):
        with session_scope(engine) as s:
            for n, (user_id, topics, capacity, role, years, office) in enumerate(vols[i : i + batch], i):
                team = team_of(n, workspaces_n)
                profile(s, team, user_id, role, years, office)
                mentoring.volunteer(
                    s,
                    team_id=team,
                    user_id=user_id,
                    topic_ids=[topic_ids[team][t] for t in topics],
                    capacity=capacity,
                    note=None,
                    now=T0,
                )
    with session_scope(engine) as s:
        for j, (user_id, _topic, role, _target, _rp, _lp, office) in enumerate(reqs):
            profile(s, team_of(j, workspaces_n), user_id, role, None, office)
    return topic_ids, time.perf_counter() - start


def bench_database(url: str, vols, reqs, workspaces_n: int = 1) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        topic_ids, took = fill(engine, vols, reqs, workspaces_n)
        print(
            f"database ({engine.dialect.name}): filled {len(vols):,} volunteers through core.mentoring in {took:.1f} s"
            + (f", over {workspaces_n} workspaces of one organisation" if workspaces_n > 1 else "")
        )
        samples, outcomes = [], Counter()
        start = time.perf_counter()
        for j, (user_id, topic, _role, target, role_pref, location_pref, _office) in enumerate(reqs):
            t = time.perf_counter()
            team = team_of(j, workspaces_n)
            with session_scope(engine) as s:
                got = mentoring.ask_for_mentor(
                    s,
                    team_id=team,
                    protege_id=user_id,
                    topic_id=topic_ids[team][topic],
                    goal="Grow into the role",
                    location_pref=location_pref,
                    role_pref=role_pref,
                    target_role=target,
                    request_key=f"bench-{j}",
                    now=T0 + timedelta(seconds=j),
                )
            samples.append((time.perf_counter() - t) * 1000)
            outcomes[got.outcome.value] += 1
        total = time.perf_counter() - start
        print(
            f"  {len(reqs):,} requests through ask_for_mentor: {total:.2f} s in all; per request {percentiles(samples)}"
        )
        print(f"  outcomes: {dict(outcomes)}")
        with session_scope(engine) as s:
            shown = s.execute(text("SELECT count(*), count(DISTINCT mentor_id) FROM mentor_candidate")).one()
        print(f"  candidates on offer: {shown[0]:,} across {shown[1]:,} distinct volunteers")
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="runs of the ranking (median and min are printed)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-database", action="store_true", help="time the ranking only")
    parser.add_argument(
        "--workspaces", type=int, default=1, help="spread people over this many workspaces of one organisation"
    )
    args = parser.parse_args()

    vols, reqs = make_people(args.volunteers, args.requests, args.seed)
    print(
        f"Python {sys.version.split()[0]} | {args.volunteers:,} volunteers | {args.requests:,} requests | "
        f"{len(TOPICS)} topics | {len(OFFICES)} offices | seed {args.seed}"
    )
    bench_rank(vols, reqs, args.runs)
    if args.skip_database:
        return 0

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, Path(tmp)) as url:
        bench_database(url, vols, reqs, args.workspaces)
    return 0


if __name__ == "__main__":
    sys.exit(main())
