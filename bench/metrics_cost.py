"""What do metrics cost an ack? Knowhow with `KNOWHOW_METRICS=on` against Knowhow with metrics off,
side by side in one run.

Two Knowhow servers run as subprocesses (`python -m bot.cli run`, HTTP mode, the outbox's workers
in their child process as by default), each on its own SQLite database, both against one Slack
stand-in in this process. Both get the same kind of signed `/ask <fresh question>` requests from
the load generator's process (bench/loadgen.py), at each concurrency level; the two take turns
level by level, the order alternating, and each one's outbox is drained (every question posted and
answered) before the other's turn, so the machine's noise falls on both. While the metrics-on
server is measured, /metrics is scraped four times a second (Prometheus scrapes every 15 s or
more): the scrape's cost, outbox query included, is in the figures, many times over.

Per level it prints n, p50 and p95 of both, and the ratios on/off. At the end it checks that the
metrics-on server counted every ack it gave (`knowhow_ack_seconds_count{kind="command:/ask"}`),
and prints what metrics add to one request in process, without the machine's noise: the request's
kind worked out and its time observed (`timeit`, against the same request parsed and not observed).

    .venv/bin/python bench/metrics_cost.py
    .venv/bin/python bench/metrics_cost.py --requests 300 --concurrency 1,10,50 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from bench import ask_ack_latency as bench  # noqa: E402
from bench.loadgen import LoadGenerator  # noqa: E402
from fakeslack import FakeSlack  # noqa: E402

HEADER = (
    f"{'conc':>5} {'n':>5} | {'off p50':>8} {'p95':>7} | {'on p50':>8} {'p95':>7} | {'ratio p50':>9} {'p95':>6} | "
    "errors off/on"
)


def start(name: str, fake: FakeSlack, workdir: Path, **extra: str) -> bench.Server:
    port = bench.free_port()
    home = workdir / name
    home.mkdir()
    env = bench.environment(
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET=bench.SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=f"sqlite:///{home / 'knowhow.db'}",
        PORT=str(port),
        KNOWHOW_QA_CHANNEL=bench.QA_CHANNEL,
        KNOWHOW_POST_RATE="100",  # the stand-in does not rate-limit
        KNOWHOW_POST_BURST="100",
        **extra,
    )
    server = bench.Server(name, [sys.executable, "-m", "bot.cli", "run"], env, port, home)
    server.wait_up()
    return server


class Scraper:
    """Scrapes a server's /metrics every `every` seconds while on."""

    def __init__(self, port: int, every: float = 0.25):
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.every = every
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.scrapes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def read(self) -> dict[tuple[str, tuple], float]:
        with self.opener.open(self.url, timeout=10) as answer:
            text = answer.read().decode()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def __enter__(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()

    def _loop(self):
        while not self._stop.wait(self.every):
            self.read()
            self.scrapes += 1


def turn(run: bench.Run, questions: list, concurrency: int, scraper: Scraper | None) -> list[bench.Result]:
    if scraper is None:
        results = bench.run_level(run.knowhow, questions, concurrency, run.ask, lambda a: b"Got it" in a.body)
    else:
        with scraper:
            results = bench.run_level(run.knowhow, questions, concurrency, run.ask, lambda a: b"Got it" in a.body)
    if not run.drain("ask", [r.item for r in results if r.ok]):
        print(f"  {run.knowhow.name}: the outbox did not drain in time")
    return results


def per_request_cost() -> tuple[float, float]:
    """Microseconds a request spends in metrics (its kind, one histogram observation), and a
    scrape's milliseconds with an empty outbox, in this process."""
    import timeit

    from bot.metrics import Counts, Metrics
    from storage import migrate
    from storage.db import make_engine

    body = {"command": "/ask", "text": "How do I restart the ci runner?", "team_id": "T0FAKETEAM"}
    with tempfile.TemporaryDirectory() as home:
        engine = make_engine(f"sqlite:///{home}/m.db")
        migrate.upgrade(engine)
        metrics = Metrics(engine, Counts())
        n = 100_000
        observe = timeit.timeit(lambda: metrics.acked(body, 0.0015), number=n) / n * 1e6
        scrape = timeit.timeit(metrics.exposition, number=50) / 50 * 1e3
        engine.dispose()
    return observe, scrape


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per level, round and server (200)")
    parser.add_argument("--concurrency", default="1,10", help="comma-separated levels (default 1,10)")
    parser.add_argument("--rounds", type=int, default=2, help="times each level is run for each server (2)")
    parser.add_argument("--warmup", type=int, default=20, help="uncounted requests per server (20)")
    parser.add_argument("--drain-timeout", type=float, default=120)
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    print(
        f"Python {platform.python_version()} | {os.cpu_count()} CPUs | Knowhow on SQLite, workers in their process | "
        f"/ask, {args.requests} requests per level and round, {args.rounds} rounds | times in ms"
    )
    bench.LOADGEN = LoadGenerator()
    with ExitStack() as stack:
        stack.callback(bench.LOADGEN.close)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="knowhow-metrics-bench-")))
        fake = stack.enter_context(FakeSlack())
        off = start("metrics-off", fake, workdir)
        stack.callback(off.stop)
        on = start("metrics-on", fake, workdir, KNOWHOW_METRICS="on")
        stack.callback(on.stop)
        runs = {
            "off": bench.Run("sqlite", "", off, None, fake, args),
            "on": bench.Run("sqlite", "", on, None, fake, args),
        }
        for run in runs.values():
            stack.callback(run.observed.close)
        scraper = Scraper(on.port)
        for run in runs.values():
            turn(run, [run.question() for _ in range(args.warmup)], min(10, max(levels)), None)
        acked_on = args.warmup
        print(HEADER, flush=True)
        failed = False
        for concurrency in levels:
            timed: dict[str, list[bench.Result]] = {"off": [], "on": []}
            for r in range(args.rounds):
                order = ("off", "on") if r % 2 == 0 else ("on", "off")
                for name in order:
                    run = runs[name]
                    questions = [run.question() for _ in range(args.requests)]
                    results = turn(run, questions, concurrency, scraper if name == "on" else None)
                    timed[name].extend(results)
            o, m = [r.ms for r in timed["off"]], [r.ms for r in timed["on"]]
            o50, o95 = bench.percentile(o, 50), bench.percentile(o, 95)
            m50, m95 = bench.percentile(m, 50), bench.percentile(m, 95)
            errors = f"{sum(not r.ok for r in timed['off'])}/{sum(not r.ok for r in timed['on'])}"
            failed |= errors != "0/0"
            acked_on += sum(r.ok for r in timed["on"])
            print(
                f"{concurrency:>5} {len(m):>5} | {o50:>8.1f} {o95:>7.1f} | {m50:>8.1f} {m95:>7.1f} | "
                f"{m50 / o50:>8.2f}x {m95 / o95:>5.2f}x | {errors}",
                flush=True,
            )
        after = scraper.read()
        key = ("knowhow_ack_seconds_count", (("kind", "command:/ask"),))
        counted = after.get(key, 0)
        print(
            f"metrics-on counted {counted:.0f} /ask acks (it gave {acked_on}); {scraper.scrapes} scrapes during its turns; "
            f"outbox sends ok: {sum(v for (n, lbl), v in after.items() if n == 'knowhow_outbox_sends_total' and ('result', 'ok') in lbl):.0f}"
        )
        failed |= counted != acked_on
        observe_us, scrape_ms = per_request_cost()
        print(f"in process: a request's kind and observation {observe_us:.1f} µs; a scrape {scrape_ms:.1f} ms")
        for server in (off, on):
            server.stop()
            server.log_summary()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
