"""How fast does Knowhow ack `/ask`? Latency and throughput of signed slash commands over HTTP.

The script starts a Slack stand-in (`fakeslack.FakeSlack`) in this process and the real bot,
`python -m bot.cli run`, as a subprocess in HTTP mode pointed at it, so the client's GIL does not
skew the server's numbers. It then sends `/ask` commands exactly as Slack does (form body, fresh
v0 signature, a response_url on the stand-in), each with a different question, from a thread pool
at several concurrency levels. Each request is timed from send to full response.

Per level it prints p50/p90/p99/max latency of the ack and the throughput, then waits until the
outbox worker has posted every question of that level to chat.postMessage (it posts after the
ack) and prints how long that drain took after the last ack. A warm-up is sent first, not counted.

Run it from the repository root:

    .venv/bin/python bench/ask_ack_latency.py
    .venv/bin/python bench/ask_ack_latency.py --requests 1000 --concurrency 1,16,64
    .venv/bin/python bench/ask_ack_latency.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

On PostgreSQL the bot runs in a throwaway schema of that database, dropped at the end. The exit
status is 1 if a request failed, an acked question was never posted, or the bot did not exit 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402
from fakeslack import FakeSlack, SlackSender  # noqa: E402

SECRET = "bench-signing-secret-0123456789abcdef"
QA_CHANNEL = "C0QUESTION"
FORM = "application/x-www-form-urlencoded"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_bot(fake: FakeSlack, database_url: str, port: int, workdir: Path) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        KNOWHOW_QA_CHANNEL=QA_CHANNEL,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    env.pop("SLACK_APP_TOKEN", None)  # HTTP mode, not Socket Mode
    log_path = workdir / "bot.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would stall the bot
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return proc, log_path


def wait_healthy(proc: subprocess.Popen, port: int, log_path: Path, timeout: float = 30) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the bot exited with code {proc.returncode} before it was healthy:\n{log_path.read_text()}")
        try:
            with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"the bot was not healthy within {timeout:.0f}s:\n{log_path.read_text()}")


def percentile(sorted_ms: list[float], p: int) -> float:
    if len(sorted_ms) == 1:
        return sorted_ms[0]
    return statistics.quantiles(sorted_ms, n=100, method="inclusive")[p - 1]


class Bench:
    def __init__(self, fake: FakeSlack, port: int):
        self.fake = fake
        self.sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        self.run_id = uuid.uuid4().hex[:8]  # questions and trigger ids are unique to this run
        self.sent = 0  # questions sent so far, warm-up included
        self.acked: set[int] = set()  # the ones whose ack said they were taken: each must be posted

    def one(self, i: int) -> tuple[float, str, bool]:
        """Send question `i`; return (latency ms, status, whether the ack says it was taken)."""
        body = self.sender.command_body(
            "/ask",
            f"bench-{self.run_id} q{i}: how do I get access to staging database number {i}?",
            response_url=self.fake.response_url(f"r{i}"),
            trigger_id=f"{7700000000000 + i}.{self.run_id}.{i:032x}",
        )
        headers = self.sender.sign(body)  # right before sending: the timestamp must be fresh
        start = time.perf_counter()
        try:
            answer = self.sender.post(body, FORM, headers)
        except OSError as exc:
            return (time.perf_counter() - start) * 1000, type(exc).__name__, False
        elapsed = (time.perf_counter() - start) * 1000
        return elapsed, str(answer.status), answer.status == 200 and b"Got it" in answer.body

    def level(self, requests: int, concurrency: int) -> tuple[list[tuple[float, str, bool]], float, float]:
        first = self.sent
        self.sent += requests
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(self.one, range(first, first + requests)))
        last_ack = time.perf_counter()
        self.acked.update(i for i, r in zip(range(first, first + requests), results) if r[2])
        return results, last_ack - start, last_ack

    def wait_posted(self, timeout: float) -> set[int]:
        """Wait until every question acked so far was posted; return the indices still missing."""
        tag = re.compile(rf"bench-{self.run_id} q(\d+):")
        deadline = time.monotonic() + timeout
        while True:
            posted = {int(m.group(1)) for c in self.fake.calls_to("chat.postMessage") if (m := tag.search(c.text))}
            missing = self.acked - posted
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(0.005)


def report(concurrency: int, results, wall: float) -> None:
    ms = sorted(r[0] for r in results)
    ok = sum(1 for r in results if r[1] == "200")
    print(
        f"{concurrency:>11} {len(results):>8} {ok:>5} {percentile(ms, 50):>8.1f} {percentile(ms, 90):>8.1f} "
        f"{percentile(ms, 99):>8.1f} {ms[-1]:>8.1f} {len(results) / wall:>9.1f}",
        end="",
    )
    failures = Counter(r[1] for r in results if r[1] != "200")
    refused = sum(1 for r in results if r[1] == "200" and not r[2])
    if failures:
        print(f"   failures: {dict(failures)}", end="")
    if refused:
        print(f"   {refused} acks did not say 'Got it'", end="")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per concurrency level (default 300)")
    parser.add_argument("--concurrency", default="1,10,50", help="comma-separated levels (default 1,10,50)")
    parser.add_argument("--warmup", type=int, default=20, help="uncounted requests sent first (default 20)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: a SQLite file in a temp dir; on PostgreSQL a throwaway schema)"
    )
    parser.add_argument("--drain-timeout", type=float, default=60, help="seconds to wait for all posts (default 60)")
    parser.add_argument("--bot-log", type=Path, help="keep a copy of the bot's stdout and stderr in this file")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="knowhow-bench-")))
        database_url = stack.enter_context(scratch_database(args.database_url, workdir))
        fake = stack.enter_context(FakeSlack())
        backend = database_url.split(":", 1)[0]
        port = free_port()
        print(f"Python {platform.python_version()} | database {backend} | {os.cpu_count()} CPUs | bot on port {port}")
        proc, log_path = start_bot(fake, database_url, port, workdir)
        failed = False
        try:
            wait_healthy(proc, port, log_path)
            bench = Bench(fake, port)
            if args.warmup:
                bench.level(args.warmup, min(args.warmup, max(levels)))
                bench.wait_posted(args.drain_timeout)
            print(
                f"{'concurrency':>11} {'requests':>8} {'ok':>5} {'p50 ms':>8} {'p90 ms':>8} "
                f"{'p99 ms':>8} {'max ms':>8} {'req/s':>9}   questions posted, drain after last ack"
            )
            for concurrency in levels:
                results, wall, last_ack = bench.level(args.requests, concurrency)
                report(concurrency, results, wall)
                failed |= any(r[1] != "200" for r in results)
                missing = bench.wait_posted(args.drain_timeout)
                drained = time.perf_counter() - last_ack
                failed |= bool(missing)
                if missing:
                    print(f"   NOT POSTED: {len(missing)} of {len(bench.acked)} acked after {args.drain_timeout:.0f}s")
                else:
                    print(f"   all {len(bench.acked)} acked posted ({bench.sent} sent), drain {drained * 1000:.0f} ms")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    print("the bot did not stop within 20 s after SIGTERM: killed")
            print(f"bot exit code: {proc.returncode}")
            if args.bot_log:
                shutil.copyfile(log_path, args.bot_log)
            log = log_path.read_text(errors="replace").splitlines()
            problems = [line for line in log if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]
            warnings = [line for line in log if " WARNING " in line]
            print(f"bot log: {len(log)} lines, {len(problems)} errors, {len(warnings)} warnings")
            for line in (problems + warnings)[:10]:
                print(f"  | {line}")
    return 1 if failed or proc.returncode != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
