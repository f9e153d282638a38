"""After a restart, how soon is every acked question posted?

`knowhow run` (HTTP mode, its workers in their own process, as deployed) against the Slack
stand-in on loopback. Each round fires `--burst` signed `/ask` commands, all acked, then:

- baseline: nothing happens to the bot; the time from the first ack to the last post (the work
  and the posts, at full speed, in a process that was already running) plus the time a cold
  `knowhow run` takes to answer `/healthz` (what every restart costs anyway);
- kill -9: as soon as a worker holds claims (rows marked sending), every process of the bot is
  killed (its process group: a container killed, the OOM killer), and `knowhow run` is started
  again: the time from that start to the last post;
- SIGTERM: the same with a clean stop, started again at once.

It prints the medians over `--rounds` rounds, their ratio to the baseline, and checks that every
acked question was posted exactly once. Before claims named their holder, the questions a killed
worker had claimed waited out a five-minute lease.

    .venv/bin/python bench/restart_recovery.py

It prints figures; it is not a test. Exit status 1 when a question was lost or doubled.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fakeslack import FakeSlack, SlackSender  # noqa: E402

SECRET = "bench-restart-signing-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(workdir: Path, slack: FakeSlack, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWHOW_", "DATABASE_URL", "PORT"))}
    env.update(
        SLACK_BOT_TOKEN=slack.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{workdir / 'knowhow.db'}",
        KNOWHOW_QA_CHANNEL="C0QUESTION",
        KNOWHOW_POST_RATE="100",  # Slack's own pace (a post a second a channel) is not measured here
        KNOWHOW_POST_BURST="100",
    )
    log = open(workdir / f"knowhow-{port}.log", "wb")  # noqa: SIM115 (kept for the process's life)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--no-scheduler"],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise SystemExit("knowhow run did not become healthy")


def _sending(database: Path) -> int:
    with sqlite3.connect(database, timeout=5) as db:
        return db.execute("SELECT count(*) FROM outbox WHERE status = 'sending'").fetchone()[0]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _burst(port: int, texts: list[str], slack: FakeSlack) -> None:
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)

    def ask(n: int):
        return sender.command("/ask", texts[n], response_url=slack.response_url(f"q{n}"))

    with ThreadPoolExecutor(10) as pool:
        acks = list(pool.map(ask, range(len(texts))))
    if not all(a.status == 200 for a in acks):
        raise SystemExit("a command was not acked")


def _wait_posts(slack: FakeSlack, count: int, timeout: float) -> None:
    slack.wait_for("chat.postMessage", count, timeout=timeout)


def one_round(mode: str, burst: int, round_no: int) -> tuple[float, bool]:
    """Seconds to the last post (from the restart; for the baseline, a cold start plus the burst's
    own drain), and whether every question was posted exactly once."""
    texts = [f"Round {round_no} {mode} {n}: who approves a laptop upgrade?" for n in range(burst)]
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack:
        workdir = Path(tmp)
        slack.add_channel("C0QUESTION")
        port = _free_port()
        started = time.monotonic()
        first = _start(workdir, slack, port)
        try:
            _healthy(port)
            cold = time.monotonic() - started
            acked = time.monotonic()
            _burst(port, texts, slack)
            if mode == "baseline":
                _wait_posts(slack, burst, timeout=600)
                took = cold + (time.monotonic() - acked)
            else:
                deadline = time.monotonic() + 30
                while _sending(workdir / "knowhow.db") == 0 and time.monotonic() < deadline:
                    time.sleep(0.001)
                if mode == "kill -9":
                    os.killpg(first.pid, signal.SIGKILL)
                    first.wait(10)
                else:
                    first.send_signal(signal.SIGTERM)
                    first.wait(60)
                restarted = time.monotonic()
                port = _free_port()
                second = _start(workdir, slack, port)
                try:
                    _wait_posts(slack, burst, timeout=600)
                    took = time.monotonic() - restarted
                finally:
                    _stop(second)
        finally:
            if first.poll() is None:
                _stop(first)
        posts = [c.block_text() for c in slack.calls_to("chat.postMessage")]
        once = sorted(next((t for t in texts if t in p), "") for p in posts) == sorted(texts)
        return took, once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    modes = ["baseline", "kill -9", "SIGTERM"]
    results: dict[str, list[float]] = {m: [] for m in modes}
    ok = True
    for r in range(args.rounds):
        for mode in modes:  # interleaved: the machine's noise falls on every mode alike
            took, once = one_round(mode, args.burst, r)
            results[mode].append(took)
            ok &= once
            print(f"round {r + 1} {mode:9s} {took:6.2f} s  {'once each' if once else 'LOST OR DOUBLED'}", flush=True)
    base = statistics.median(results["baseline"])
    print(f"\n{args.burst} acked /ask, median of {args.rounds} rounds (seconds to the last post):")
    for mode in modes:
        median = statistics.median(results[mode])
        print(f"  {mode:9s} {median:6.2f} s   x{median / base:.2f} of the baseline")
    print("baseline: a cold start plus the burst's drain in a running bot; the others: from the restart")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
