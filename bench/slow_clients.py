"""How long do `/healthz` and a signed `/ask` take while slow clients attack the HTTP front?

The script runs Knowhow in this process (HTTP mode, SQLite in a temporary directory, the Slack
stand-in on loopback), as the tests do, and times `--rounds` health checks and signed `/ask`
commands, one after the other: first with nobody else talking to it (the baseline), then while
`--stalling` connections send a request's headers and stall and `--trickling` ones send its body a
byte every `--every` seconds (tests/slow_clients.py; each group from a loopback address of its own,
none signed). It prints p50 and max of each, and their ratio to the baseline.

`--unguarded` runs the attack against the front without its read guard (bot/readguard.py) and with
cheroot's default 10 s socket timeout, as it was before: requests then wait for a worker for as
long as the slow clients hold them all (a request that gets no answer within `--timeout` counts as
that long, and is reported).

    .venv/bin/python bench/slow_clients.py
    .venv/bin/python bench/slow_clients.py --rounds 10 --unguarded
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.server import READ_DEADLINE_SECONDS  # noqa: E402
from bot.service import Knowhow  # noqa: E402
from fakeslack import FakeSlack, SlackSender  # noqa: E402
from tests.slow_clients import SlowClients  # noqa: E402

SECRET = "bench-signing-secret"


def _timed(call, timeout: float) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        status = str(call(timeout))
    except OSError as exc:
        status = type(exc).__name__
    return (time.perf_counter() - start) * 1000, status


def _health(port: int):
    def call(timeout: float) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as answer:
            answer.read()
            return answer.status

    return call


def _ask(slack: SlackSender, n: list[int]):
    def call(timeout: float) -> int:
        n[0] += 1
        body = slack.command_body("/ask", f"How do I renew the VPN certificate, take {n[0]}?")
        return slack.post(body, "application/x-www-form-urlencoded", slack.sign(body), timeout=timeout).status

    return call


def _round(calls: dict, rounds: int, timeout: float, pause: float) -> dict[str, list[tuple[float, str]]]:
    """Each call `rounds` times, `pause` apart (the outbox posts each question meanwhile, in both phases)."""
    timed: dict[str, list[tuple[float, str]]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            timed[name].append(_timed(call, timeout))
            time.sleep(pause)
    return timed


def _summary(results: list[tuple[float, str]]) -> tuple[float, float, str]:
    times = [ms for ms, _ in results]
    failed = [status for _, status in results if status != "200"]
    return (
        statistics.median(times),
        max(times),
        f"{len(failed)} failed ({', '.join(sorted(set(failed)))})" if failed else "all 200",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--stalling", type=int, default=40)
    parser.add_argument("--trickling", type=int, default=40)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between a trickling client's bytes")
    parser.add_argument("--timeout", type=float, default=30.0, help="a client's timeout for one request")
    parser.add_argument("--pause", type=float, default=0.25, help="seconds between two timed requests")
    parser.add_argument("--unguarded", action="store_true", help="the front as it was: no read guard")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir, FakeSlack() as fake:
        settings = Settings(
            bot_token=fake.token,
            signing_secret=SECRET,
            api_url=fake.api_url,
            database_url=f"sqlite:///{Path(workdir) / 'knowhow.db'}",
            port=0,
            qa_channel="C0QUESTION",
            workers="threads",
        )
        knowhow = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2)
        knowhow.start()
        try:
            if args.unguarded:
                knowhow.http.server.read_guard = None
                knowhow.http.server.timeout = 10  # cheroot's default
            port = knowhow.http.port
            slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
            calls = {"/healthz": _health(port), "signed /ask": _ask(slack, [0])}
            _round(calls, 5, args.timeout, args.pause)  # warm up
            baseline = _round(calls, args.rounds, args.timeout, args.pause)
            with SlowClients(port, stalling=args.stalling, trickling=args.trickling, every=args.every) as attackers:
                # Past the first deadline: the attackers' first connections are cut, and they come back.
                time.sleep(READ_DEADLINE_SECONDS + 1)
                attacked = _round(calls, args.rounds, args.timeout, args.pause)
            guard = knowhow.http.read_guard
        finally:
            knowhow.stop()

    print(
        f"slow clients: {args.stalling} stalling + {args.trickling} trickling (a byte every {args.every}s), "
        f"{args.rounds} rounds, front {'WITHOUT' if args.unguarded else 'with'} its read guard"
    )
    print(
        f"{'request':<14}{'base p50':>10}{'base max':>10}{'attack p50':>12}{'attack max':>12}{'p50 ratio':>11}  outcome"
    )
    for name in calls:
        b50, bmax, _ = _summary(baseline[name])
        a50, amax, outcome = _summary(attacked[name])
        print(f"{name:<14}{b50:>8.1f}ms{bmax:>8.1f}ms{a50:>10.1f}ms{amax:>10.1f}ms{a50 / b50:>10.1f}x  {outcome}")
    if not args.unguarded:
        print(
            f"attackers: {guard.cut} requests cut at the deadline, {guard.refused} connections refused (429), "
            f"{attackers.reconnects} reconnections"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
