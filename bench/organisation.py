"""An organisation of 50 workspaces: does an uninstalled one slow the outbox for the others?

50 workspaces of one Enterprise Grid organisation are installed in distribution mode (the real
encrypted installation store, `bot.oauth.OAuthInstalls`, tokens issued by the Slack stand-in). The
outbox's worker (`bot.outbox.OutboxWorker`, the one `knowhow run` uses, run pass after pass in this
thread) drains `--live` posts spread over the 49 live workspaces, each in its own channel:

- baseline: the live posts alone;
- with the dead workspace: the same, behind `--dead` posts (500) queued earlier for a workspace
  whose token Slack now refuses (`invalid_auth`: it was uninstalled and the event never reached
  Knowhow, the worst case);
- with the uninstall heard: the dead workspace was marked gone (`app_uninstalled`) before.

The three runs are interleaved over `--rounds` rounds. It prints messages per second for the live
posts in each run, the medians and their ratio to the baseline, the Slack calls made with the dead
token, and checks each live post went out exactly once and every dead row is held.

Matching over the whole organisation is measured by `bench/mentor_matching.py --workspaces 50`
(its people spread over 50 workspaces of one organisation, against the same people in one).

    .venv/bin/python bench/organisation.py
    .venv/bin/python bench/organisation.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_bench

It prints figures; it is not a test. Exit status 1 when a live post was lost or doubled.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from slack_sdk.oauth.installation_store import Installation  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from bot.app import make_client  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.oauth import OAuthInstalls  # noqa: E402
from bot.outbox import OutboxWorker, Sender  # noqa: E402
from bot.pacing import Pacer  # noqa: E402
from fakeslack import FakeSlack  # noqa: E402
from fakeslack.oauth import Grant  # noqa: E402
from storage import migrate, outbox, workspaces  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

ENTERPRISE = "E0BENCHORG"
KIND = "bench.post"


def team(n: int) -> str:
    return f"T0BENCH{n:03d}"


class Post(Sender):
    """A plain post in the row's channel, with whatever token the worker chose for its workspace."""

    def send(self, ctx, item):
        ctx.client.chat_postMessage(channel=item.payload["channel"], text=item.payload["text"])


def install(engine, settings: Settings, fake: FakeSlack, workspaces_n: int) -> dict[str, str]:
    """Every workspace installed by its own "Add to Slack" (per-workspace installs in one Grid
    organisation), as the install pages would have saved them. Returns the tokens by workspace."""
    store = OAuthInstalls(engine, settings).store
    tokens = {}
    for n in range(workspaces_n):
        grant = Grant(team_id=team(n), team_name=f"Office {n}", enterprise_id=ENTERPRISE, enterprise_name="Bench Org")
        fields = fake.grants.issue(grant)
        store.save(
            Installation(
                app_id=fields["app_id"],
                enterprise_id=ENTERPRISE,
                enterprise_name="Bench Org",
                team_id=team(n),
                team_name=f"Office {n}",
                bot_token=fields["access_token"],
                bot_id="B0FAKEBOT1",
                bot_user_id=fields["bot_user_id"],
                bot_scopes=fields["scope"],
                user_id="U0INSTALL1",
                installed_at=time.time(),
            )
        )
        with session_scope(engine) as session:
            workspaces.seen(session, team_id=team(n), enterprise_id=ENTERPRISE, name=f"Office {n}")
        tokens[team(n)] = fields["access_token"]
    return tokens


def drain(
    engine, settings: Settings, fake: FakeSlack, *, run: str, live: int, dead: int, workspaces_n: int, heard: bool
):
    """Queue the rows, then run the worker until every live post went out. (seconds, live posts seen)."""
    with session_scope(engine) as session:
        for k in range(dead):
            outbox.enqueue(
                session,
                team_id=team(0),
                dedupe_key=f"{run}:dead:{k}",
                kind=KIND,
                payload={"channel": "C0DEAD0000", "text": f"{run} dead {k}"},
            )
        if heard and dead:
            workspaces.mark_gone(session, team_ids=[team(0)], reason="app_uninstalled")
        for k in range(live):
            n = 1 + k % (workspaces_n - 1)
            outbox.enqueue(
                session,
                team_id=team(n),
                dedupe_key=f"{run}:live:{k}",
                kind=KIND,
                payload={"channel": f"C0OFFICE{n:03d}", "text": f"{run} live {k}"},
            )
    installs = OAuthInstalls(engine, settings)
    worker = OutboxWorker(
        engine,
        make_client(settings, retry_on_connection_errors=False),
        {KIND: Post()},
        settings=settings,
        pacer=Pacer(settings.post_rate, settings.post_burst),
        installs=installs,
    )
    seen: Counter[str] = Counter()
    prefix = f"{run} live "

    def count(call, answer):
        if call.method == "chat.postMessage" and call.args.get("text", "").startswith(prefix) and answer.body.get("ok"):
            seen[call.args["text"]] += 1

    fake.after_answer.append(count)
    start = time.perf_counter()
    try:
        while sum(1 for _ in seen) < live:
            if worker.run_once() == 0 and sum(1 for _ in seen) < live:
                time.sleep(0.001)
    finally:
        fake.after_answer.remove(count)
    return time.perf_counter() - start, seen


def outbox_figures(args, workdir: Path) -> bool:
    n_ws, live, dead = args.workspaces, args.live, args.dead
    ok = True
    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database(args.database_url, workdir))
        fake = stack.enter_context(FakeSlack())
        settings = Settings(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            token_key=(Fernet.generate_key().decode(),),
            signing_secret="bench",
            api_url=fake.api_url,
            database_url=database_url,
            # The worker's own speed, not Slack's per-channel limit (bench/outbox_drain.py measures that).
            post_rate=100,
            post_burst=100,
        )
        engine = make_engine(database_url)
        migrate.upgrade(engine)
        tokens = install(engine, settings, fake, n_ws)
        print(
            f"Python {platform.python_version()} | database {database_url.split(':', 1)[0]} | {os.cpu_count()} CPUs | "
            f"{n_ws} workspaces, {live} live posts over {n_ws - 1} of them, {dead} for the dead one"
        )
        rates: dict[str, list[float]] = {"baseline": [], "dead": [], "heard": []}
        # Interleaved rounds, so the machine's noise and the table's growth fall on every variant alike.
        for round_ in range(args.rounds):
            for variant, dead_rows, heard in (("baseline", 0, False), ("dead", dead, False), ("heard", dead, True)):
                run = f"r{round_}-{variant}"
                with session_scope(engine) as session:  # the dead workspace is live in Knowhow's eyes again
                    outbox.purge_held(session, team_ids=[team(0)])  # the last round's, before they are released
                    workspaces.mark_back(session, team_id=team(0))
                if dead_rows:  # uninstalled: Slack refuses its token (invalid_auth) from now on
                    with fake.grants.lock:
                        fake.grants.tokens.pop(tokens[team(0)], None)
                before = sum(1 for c in fake.calls_to("chat.postMessage") if c.token == tokens[team(0)])
                seconds, seen = drain(
                    engine, settings, fake, run=run, live=live, dead=dead_rows, workspaces_n=n_ws, heard=heard
                )
                dead_calls = sum(1 for c in fake.calls_to("chat.postMessage") if c.token == tokens[team(0)]) - before
                with session_scope(engine) as session:
                    held = session.exec(
                        select(func.count()).where(
                            OutboxMessage.team_id == team(0),
                            OutboxMessage.status == outbox.HELD,
                            OutboxMessage.dedupe_key.startswith(f"{run}:dead:"),
                        )
                    ).one()
                doubled = [t for t, c in seen.items() if c > 1]
                ok &= len(seen) == live and not doubled and held == dead_rows
                rates[variant].append(live / seconds)
                print(
                    f"round {round_} {variant:9s} live {live / seconds:7.1f} msg/s ({seconds:5.2f} s)"
                    f" | dead rows {dead_rows}, held {held}, Slack calls with the dead token {dead_calls}"
                    f" | live posts {len(seen)}, doubled {len(doubled)}"
                )
                fake.clear()
        base = statistics.median(rates["baseline"])
        for variant, label in (
            ("baseline", "live workspaces only"),
            ("dead", "behind 500 rows of a workspace Slack refuses (uninstall not heard)"),
            ("heard", "behind 500 rows of a workspace known to be uninstalled"),
        ):
            median = statistics.median(rates[variant])
            print(f"median {median:7.1f} msg/s  ratio {median / base:.3f}  {label}")
        engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--live", type=int, default=2000, help="posts for the live workspaces (default 2000)")
    parser.add_argument("--dead", type=int, default=500, help="posts queued for the uninstalled one (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the three outbox runs")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: SQLite in a temp dir; PostgreSQL: a scratch schema)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="knowhow-org-") as tmp:
        ok = outbox_figures(args, Path(tmp))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
