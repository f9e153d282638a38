"""Spike (issue 16, step 3): our outbox against DBOS and Procrastinate, on the same bursts.

For each burst size (default 1,000 and 5,000) and each engine, in one run:

1. enqueue: N transactions, each writing one domain row (a `bench_domain` table) and enqueueing
   one message in the SAME transaction (ours: `storage.outbox.enqueue` on the session; DBOS:
   `DBOSClient.enqueue_in_transaction` on that session, its system tables in our database;
   Procrastinate: `task.configure(connection=<the session's psycopg connection>).defer`). The
   same N transactions with the domain row alone are timed first: the enqueue cost is the
   difference, per message.
2. drain: a worker subprocess delivers every message as one `chat.postMessage` to the Slack
   stand-in (fakeslack/, on loopback, no rate limit), through slack-sdk's WebClient in all three.
   When half the burst is delivered the worker gets SIGKILL; a new worker is started and drains
   the rest (each engine's own recovery: ours frees a dead holder's claims at once, bot/liveness.py;
   DBOS recovers its executor's PENDING workflows at launch; Procrastinate's new worker retries
   the jobs of workers whose heartbeat stopped, which the bench runs every second since
   Procrastinate leaves that to the application). Printed: the drain rate before the kill, the
   whole drain (first worker's start to the last message, kill and restart included), the wait
   after the kill, and messages lost (never delivered) and doubled (delivered twice or more; no
   sender here looks before it repeats, so this is each engine's raw at-least-once).
3. the ratio of each figure to ours on the same database.

Then APScheduler 3 alone: two schedulers on one SQLAlchemy job store (what two replicas would be
without scheduler/lock.py) and how often a one-off job runs.

The engines are NOT project dependencies. Install them in a scratch venv outside the repository,
with the project itself, and run the script from there (PostgreSQL: your own database; each
engine gets a scratch schema, dropped afterwards):

    python3 -m venv /work/spike-venv
    /work/spike-venv/bin/pip install -e . dbos procrastinate      # from the repository's root
    /work/spike-venv/bin/python bench/engine_spike.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<your db>
    /work/spike-venv/bin/python bench/engine_spike.py --sizes 1000 --engines ours,dbos   # SQLite only

An engine that is not installed is skipped with a message; without --database-url (or
KNOWHOW_TEST_POSTGRES_URL) only the SQLite runs are made. Worker settings are printed: ours as
shipped (one sending thread, claims of 20); DBOS and Procrastinate 8 at a time, DBOS polling its
queue every 0.1 s (its default, 1 s, caps a queue at `worker_concurrency` a second).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from storage.db import make_engine, session_scope  # noqa: E402

CHANNEL = "C0BENCHSPK"
TEAM = "T0FAKETEAM"
CONCURRENCY = 8  # DBOS and Procrastinate: messages in flight in one worker
DBOS_POLL = 0.1
KIND = "bench_post"
DOMAIN = sa.Table(
    "bench_domain",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("note", sa.String(200), nullable=False),
)


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# -- the engines, as the bench process (enqueue) and the worker subprocess (drain) use them ------


def dbos_schema(url: str) -> str:
    """DBOS keeps its tables in a schema of their own on PostgreSQL (one per run here)."""
    match = re.search(r"search_path%3D(\w+)", url)
    return f"{match.group(1)}_dbos" if match else "dbos"


def libpq(url: str) -> str:
    """A SQLAlchemy psycopg URL as a libpq connection string (for Procrastinate)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def procrastinate_app(url: str, *, sync: bool):
    import logging

    import procrastinate

    # It warns that the app is made in the __main__ module; the tasks are named, so that is fine.
    logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)
    connector = procrastinate.SyncPsycopgConnector if sync else procrastinate.PsycopgConnector
    app = procrastinate.App(connector=connector(conninfo=libpq(url)))

    @app.task(name="deliver", queue="bench")
    def deliver(channel: str, text: str) -> None:
        _client().chat_postMessage(channel=channel, text=text)

    return app, deliver


_web_client = None


def _client():
    global _web_client
    if _web_client is None:
        from slack_sdk import WebClient

        _web_client = WebClient(token=os.environ["BENCH_TOKEN"], base_url=os.environ["BENCH_API_URL"])
    return _web_client


def dbos_config(url: str) -> dict:
    config = {
        "name": "knowhow-bench",
        "system_database_url": url,
        "application_version": "bench",
        "run_admin_server": False,
    }
    if url.startswith("postgresql"):
        config["dbos_system_schema"] = dbos_schema(url)
    return config


def pace() -> tuple[float, int]:
    """(posts a second, burst) per channel when the worker is paced (BENCH_PACE), else (0, 0)."""
    if not os.environ.get("BENCH_PACE"):
        return 0.0, 0
    rate, burst = os.environ["BENCH_PACE"].split(",")
    return float(rate), int(burst)


def worker_main(engine_name: str, url: str) -> None:
    """The worker subprocess: drain until SIGTERM (or SIGKILL)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if engine_name == "ours":
        from bot.outbox import OutboxWorker, Sender
        from bot.pacing import Pacer

        class Post(Sender):
            def send(self, ctx, item):
                ctx.client.chat_postMessage(channel=item.payload["channel"], text=item.payload["text"])

        engine = make_engine(url)
        rate, burst = pace()
        pacer = Pacer(rate, max(burst - 1, 1)) if rate else Pacer(1e9, 10**9)  # as bench/outbox_drain.py
        worker = OutboxWorker(engine, _client(), {KIND: Post()}, poll_seconds=0.5, pacer=pacer)
        worker.start()
        print("ready", flush=True)
        stop.wait()
        worker.stop()
    elif engine_name == "dbos":
        from dbos import DBOS

        rate, burst = pace()

        # Paced: DBOS's own retries (a 429 is retried after its backoff, not Slack's Retry-After).
        @DBOS.step(name="post", retries_allowed=bool(rate))
        def post(channel: str, text: str) -> None:
            _client().chat_postMessage(channel=channel, text=text)

        @DBOS.workflow(name="deliver")
        def deliver(channel: str, text: str) -> None:
            post(channel, text)

        DBOS(config=dbos_config(url))
        DBOS.launch()
        if rate:  # per channel: `burst - 1` workflows started in any window of (burst - 1) / rate seconds
            limit = max(burst - 1, 1)
            DBOS.register_queue(
                "bench_paced",
                worker_concurrency=CONCURRENCY,
                polling_interval_sec=DBOS_POLL,
                partition_limiter={"limit": limit, "period": limit / rate},
            )
        else:
            DBOS.register_queue("bench", worker_concurrency=CONCURRENCY, polling_interval_sec=DBOS_POLL)
        print("ready", flush=True)
        stop.wait()
        DBOS.destroy()
    elif engine_name == "procrastinate":
        import asyncio

        app, _ = procrastinate_app(url, sync=False)

        async def recover() -> None:
            """What the application must run itself: retry the jobs of workers gone silent."""
            while True:
                for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=3):
                    await app.job_manager.retry_job(job)
                await asyncio.sleep(1)

        async def run() -> None:
            async with app.open_async():
                recovery = asyncio.create_task(recover())
                work = asyncio.create_task(
                    app.run_worker_async(
                        queues=["bench"],
                        concurrency=CONCURRENCY,
                        wait=True,
                        update_heartbeat_interval=1,
                        stalled_worker_timeout=3,
                        fetch_job_polling_interval=0.5,
                        install_signal_handlers=False,
                    )
                )
                print("ready", flush=True)
                await asyncio.to_thread(stop.wait)
                recovery.cancel()
                work.cancel()
                await asyncio.gather(work, recovery, return_exceptions=True)

        asyncio.run(run())


# -- the bench process ------------------------------------------------------------------------


class Deliveries:
    """Every post the stand-in took, by message number."""

    def __init__(self, fake):
        self.lock = threading.Lock()
        self.tag = re.compile(r"^spike-(\w+) m(\d+)$")
        self.run = ""
        self.seen: Counter[int] = Counter()
        self.times: list[float] = []
        fake.after_answer.append(self._seen)

    def reset(self, run: str) -> None:
        with self.lock:
            self.run, self.seen, self.times = run, Counter(), []

    def _seen(self, call, answer) -> None:
        if call.method != "chat.postMessage" or answer.status != 200 or not answer.body.get("ok"):
            return
        match = self.tag.match(call.args.get("text") or "")
        now = time.perf_counter()
        with self.lock:
            if match and match.group(1) == self.run:
                self.seen[int(match.group(2))] += 1
                self.times.append(now)

    def count(self) -> tuple[int, int]:
        """(distinct messages delivered, posts)"""
        with self.lock:
            return len(self.seen), len(self.times)


@dataclass
class Result:
    engine: str
    database: str
    n: int
    enqueue_us: float = float("nan")  # per message, over the domain write alone
    rate: float = float("nan")  # messages a second before the kill
    first_us: float = float("nan")  # worker start to first delivery (s)
    drain: float = float("nan")  # first worker's start to the last message (s)
    after_kill: float = float("nan")  # kill to the next delivery (s)
    lost: int = -1
    doubled: int = -1
    notes: list[str] = field(default_factory=list)


def domain_row(i: int):
    return DOMAIN.insert().values(note=f"domain write {i}")


def timed_transactions(engine, n: int, enqueue, chunks: int = 10) -> tuple[float, float]:
    """N transactions with the domain write alone, and N each a domain write and `enqueue(session, i)`,
    in alternating chunks (the machine is shared: a slow spell then weighs on both alike).
    Their times in seconds: (alone, with the enqueue)."""
    alone = with_enqueue = 0.0
    for chunk in range(chunks):
        for timing, fn in ((0, None), (1, enqueue)):
            start = time.perf_counter()
            for i in range(chunk * n // chunks, (chunk + 1) * n // chunks):
                with session_scope(engine) as session:
                    session.execute(domain_row(i))
                    if fn is not None:
                        fn(session, i)
            spent = time.perf_counter() - start
            if timing:
                with_enqueue += spent
            else:
                alone += spent
    return alone, with_enqueue


def remaining_sql(engine_name: str, url: str) -> str:
    if engine_name == "ours":
        return "SELECT count(*) FROM outbox WHERE status <> 'sent'"
    if engine_name == "dbos":
        table = f'"{dbos_schema(url)}".workflow_status' if url.startswith("postgresql") else "workflow_status"
        return f"SELECT count(*) FROM {table} WHERE status IN ('ENQUEUED', 'PENDING')"
    return "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"


class Bench:
    def __init__(self, fake, deliveries: Deliveries, timeout: float, logs: Path):
        self.fake = fake
        self.logs = logs  # the workers' stderr
        self.deliveries = deliveries
        self.timeout = timeout
        self.env = dict(os.environ, BENCH_TOKEN=fake.token, BENCH_API_URL=fake.api_url, PYTHONPATH=str(ROOT))

    def spawn(self, engine_name: str, url: str, log) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", engine_name, "--url", url],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def setup(self, engine_name: str, url: str, engine) -> None:
        DOMAIN.create(engine)
        if engine_name == "ours":
            from storage.migrate import upgrade

            upgrade(engine)
        elif engine_name == "dbos":  # its schema is made by a launch (a client never migrates)
            with self.worker(engine_name, url, Path(os.devnull)):
                pass
        elif engine_name == "procrastinate":
            app, _ = procrastinate_app(url, sync=True)
            with app.open():
                app.schema_manager.apply_schema()

    @contextmanager
    def worker(self, engine_name: str, url: str, log_path: Path):
        with open(log_path, "a") as log:
            proc = self.spawn(engine_name, url, log)
            try:
                line = proc.stdout.readline()
                if line.strip() != "ready":
                    raise RuntimeError(f"the {engine_name} worker did not start (see {log_path})")
                yield proc
            finally:
                self.stop(proc)

    def enqueuer(self, engine_name: str, url: str, channels: tuple[str, ...] = (CHANNEL,)):
        run = self.deliveries.run
        paced = len(channels) > 1
        if engine_name == "ours":
            from storage import outbox

            def enqueue(session, i):
                outbox.enqueue(
                    session,
                    team_id=TEAM,
                    dedupe_key=f"spike:{run}:{i}",
                    kind=KIND,
                    payload={"channel": channels[i % len(channels)], "text": f"spike-{run} m{i}"},
                )

            return enqueue, lambda: None
        if engine_name == "dbos":
            from dbos import DBOSClient

            kwargs = {"dbos_system_schema": dbos_schema(url)} if url.startswith("postgresql") else {}
            client = DBOSClient(system_database_url=url, **kwargs)

            def enqueue(session, i):
                options = {"queue_name": "bench", "workflow_name": "deliver", "workflow_id": f"spike:{run}:{i}"}
                if paced:
                    options |= {"queue_name": "bench_paced", "queue_partition_key": channels[i % len(channels)]}
                client.enqueue_in_transaction(session, options, channels[i % len(channels)], f"spike-{run} m{i}")

            return enqueue, client.destroy
        app, deliver = procrastinate_app(url, sync=True)
        app.open()

        def enqueue(session, i):
            connection = session.connection().connection.driver_connection  # our transaction's
            deliver.configure(connection=connection, queueing_lock=f"spike:{run}:{i}").defer(
                channel=CHANNEL, text=f"spike-{run} m{i}"
            )

        return enqueue, app.close

    def measure(self, engine_name: str, database: str, url: str, n: int, workdir: Path) -> Result:
        result = Result(engine_name, database, n)
        engine = make_engine(url)
        log_path = self.logs / f"{engine_name}-{database}-{n}.log"
        try:
            self.deliveries.reset(uuid.uuid4().hex[:8])
            self.setup(engine_name, url, engine)
            enqueue, close = self.enqueuer(engine_name, url)
            try:
                alone, with_enqueue = timed_transactions(engine, n, enqueue)
            finally:
                close()
            result.enqueue_us = (with_enqueue - alone) / n * 1e6
            result.notes.append(f"domain write alone {alone / n * 1e6:.0f} us/transaction")

            # Drain, with a kill -9 in the middle.
            deadline = time.monotonic() + self.timeout
            start = time.perf_counter()
            with self.worker(engine_name, url, log_path) as first:
                while self.deliveries.count()[0] < n // 2 and time.monotonic() < deadline and first.poll() is None:
                    time.sleep(0.005)
                os.killpg(first.pid, signal.SIGKILL)
                killed = time.perf_counter()
                first.wait()
            done_before, _ = self.deliveries.count()
            with self.deliveries.lock:
                times = list(self.deliveries.times)
            if len(times) > 1:
                result.first_us = times[0] - start
                result.rate = len(times) / (times[-1] - times[0])
            remaining = sa.text(remaining_sql(engine_name, url))
            restarted = time.perf_counter()
            with self.worker(engine_name, url, log_path):
                while time.monotonic() < deadline:
                    delivered, _ = self.deliveries.count()
                    if delivered >= n:
                        with engine.connect() as conn:
                            if conn.execute(remaining).scalar() == 0:
                                break
                    time.sleep(0.05)
            with self.deliveries.lock:
                seen, times = Counter(self.deliveries.seen), list(self.deliveries.times)
            after = [t for t in times if t > restarted]  # the new worker's (the killed one's last calls aside)
            result.after_kill = (after[0] - killed) if after else float("nan")
            result.drain = max(times) - start if times else float("nan")
            result.lost = sum(1 for i in range(n) if not seen[i])
            result.doubled = sum(1 for c in seen.values() if c > 1)
            result.notes.append(f"{done_before} delivered when killed")
            if time.monotonic() >= deadline:
                result.notes.append(f"TIMED OUT after {self.timeout:.0f} s")
        except Exception as exc:  # one engine failing must not hide the others' figures
            result.notes.append(f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:200]} (log: {log_path})")
        finally:
            engine.dispose()
        return result


PACED_CHANNELS = ("C0BENCHPA1", "C0BENCHPA2")


def paced_drain(bench: Bench, engine_name: str, url: str, n: int, rate: float, burst: int, workdir: Path) -> str:
    """N messages over two channels to a stand-in that limits posts per channel as Slack does
    (`burst` at once, then `rate` a second, 429 with Retry-After beyond); no kill."""
    fake, deliveries = bench.fake, bench.deliveries
    engine = make_engine(url)
    try:
        deliveries.reset(uuid.uuid4().hex[:8])
        bench.setup(engine_name, url, engine)
        enqueue, close = bench.enqueuer(engine_name, url, PACED_CHANNELS)
        try:
            for i in range(n):
                with session_scope(engine) as session:
                    enqueue(session, i)
        finally:
            close()
        limit = fake.limit_posts(rate, burst)
        minimum = max(n / len(PACED_CHANNELS) - burst, 0) / rate
        bench.env["BENCH_PACE"] = f"{rate},{burst}"
        remaining = sa.text(remaining_sql(engine_name, url))
        failed = sa.text(
            remaining_sql(engine_name, url)
            .replace("status <> 'sent'", "status = 'failed'")
            .replace("IN ('ENQUEUED', 'PENDING')", "IN ('ERROR', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED')")
        )
        try:
            deadline = time.monotonic() + max(30 * minimum, 60)
            with bench.worker(engine_name, url, bench.logs / f"{engine_name}-paced.log"):
                while time.monotonic() < deadline:
                    if deliveries.count()[0] >= n:
                        break
                    time.sleep(0.05)
                time.sleep(1)  # a late double would show now
        finally:
            del bench.env["BENCH_PACE"]
            fake.post_limit = None
        with deliveries.lock:
            seen, times = Counter(deliveries.seen), list(deliveries.times)
        span = times[-1] - times[0] if len(times) > 1 else float("nan")
        with engine.connect() as conn:
            left, gave_up = conn.execute(remaining).scalar(), conn.execute(failed).scalar()
        return (
            f"  {engine_name:13} paced {rate:g}/s burst {burst} per channel, {n} over {len(PACED_CHANNELS)} channels: "
            f"first to last post {span:5.2f} s (minimum {minimum:.2f} s, ratio {span / minimum:.2f}), "
            f"429s {limit.total_refused}, undelivered {sum(1 for i in range(n) if not seen[i])} "
            f"(still queued {left}, failed {gave_up}), doubled {sum(1 for c in seen.values() if c > 1)}"
        )
    except Exception as exc:
        return f"  {engine_name:13} paced: FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        engine.dispose()


@contextmanager
def database(kind: str, pg_url: str | None, workdir: Path, engine_name: str):
    if kind == "sqlite":
        path = workdir / f"{engine_name}-{uuid.uuid4().hex[:6]}.db"
        yield f"sqlite:///{path}"
        return
    with scratch_database(pg_url, workdir) as url:
        try:
            yield url
        finally:
            if engine_name == "dbos":
                admin = make_engine(pg_url)
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{dbos_schema(url)}" CASCADE'))
                admin.dispose()


def apscheduler_alone(workdir: Path) -> str:
    """Two APScheduler 3 schedulers on one SQLAlchemy job store, as two replicas without our lock:
    how many times a one-off job runs (our scheduler/lock.py lets only one of them start)."""
    from datetime import UTC, datetime, timedelta

    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    url = f"sqlite:///{workdir / 'aps.db'}"
    crashes: list[str] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: crashes.append(f"{args.exc_type.__name__}: {args.exc_value}")
    schedulers = [
        BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=url)}, job_defaults={"misfire_grace_time": None}, timezone=UTC
        )
        for _ in range(2)
    ]
    for number, scheduler in enumerate(schedulers):
        scheduler.start(paused=True)
        if number == 0:
            scheduler.add_job(
                _aps_job, "date", run_date=datetime.now(UTC) + timedelta(seconds=1), args=[str(runs_file(workdir))]
            )
    for scheduler in schedulers:
        scheduler.resume()
    time.sleep(3)
    for scheduler in schedulers:
        if scheduler.running:
            scheduler.shutdown()
    threading.excepthook = hook
    runs = runs_file(workdir).read_text().split() if runs_file(workdir).exists() else []
    return (
        f"APScheduler 3, two schedulers on one SQLAlchemyJobStore (no lock): a one-off job ran {len(runs)} times; "
        f"scheduler threads that died: {len(crashes)} ({'; '.join(crashes)[:200]})"
    )


def runs_file(workdir: Path) -> Path:
    return workdir / "aps-runs.txt"


def _aps_job(path: str) -> None:
    with open(path, "a") as f:
        f.write("run\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,5000", help='burst sizes, comma-separated (default 1000,5000; "": none)'
    )
    parser.add_argument("--engines", default="ours,dbos,procrastinate", help="which engines (default: all three)")
    parser.add_argument(
        "--database-url", default=os.environ.get("KNOWHOW_TEST_POSTGRES_URL"), help="PostgreSQL (a scratch schema)"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds for one drain (default 600)")
    parser.add_argument(
        "--pacing", type=int, default=400, help="messages in the paced run (default 400; 0: no paced run)"
    )
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.url)
        return 0

    from fakeslack import FakeSlack

    wanted = args.engines.split(",")
    runs: list[tuple[str, str]] = []
    for name in wanted:
        module = {"ours": "bot.outbox", "dbos": "dbos", "procrastinate": "procrastinate"}[name]
        if not installed(module):
            print(f"skipped {name}: `{module}` is not installed (see this script's docstring: a scratch venv)")
            continue
        for db in ("sqlite", "postgresql"):
            if db == "postgresql" and not args.database_url:
                print(f"skipped {name} on PostgreSQL: no --database-url")
                continue
            if name == "procrastinate" and db == "sqlite":
                print("skipped procrastinate on SQLite: it runs on PostgreSQL only")
                continue
            runs.append((name, db))
    sizes = [int(s) for s in args.sizes.split(",") if s]  # --sizes "": the paced run alone
    print(
        f"Python {sys.version.split()[0]} | {os.cpu_count()} CPUs | ours: one sending thread, claims of 20 | "
        f"DBOS, Procrastinate: {CONCURRENCY} at a time, DBOS polls every {DBOS_POLL} s"
    )
    results: list[Result] = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="knowhow-spike-")))
        fake = stack.enter_context(FakeSlack())
        fake.add_channel(CHANNEL)
        deliveries = Deliveries(fake)
        logs = args.logs or workdir
        logs.mkdir(parents=True, exist_ok=True)
        bench = Bench(fake, deliveries, args.timeout, logs)
        for n in sizes:
            for name, db in runs:
                with database(db, args.database_url, workdir, name) as url:
                    result = bench.measure(name, db, url, n, workdir)
                results.append(result)
                print(
                    f"  {name:13} {db:10} N={n:5}: enqueue {result.enqueue_us:7.0f} us/msg, "
                    f"{result.rate:6.0f} msg/s, drain {result.drain:6.1f} s, lost {result.lost}, "
                    f"doubled {result.doubled}; " + "; ".join(result.notes),
                    flush=True,
                )
        print()
        print(
            f"{'engine':13} {'database':10} {'N':>5} | {'enqueue us/msg':>14} {'x ours':>6} | {'msg/s':>6} "
            f"{'x ours':>6} | {'1st post s':>10} | {'drain s':>7} {'x ours':>6} | {'kill->next s':>12} | "
            f"{'lost':>4} {'doubled':>7}"
        )
        ours = {(r.database, r.n): r for r in results if r.engine == "ours"}
        for r in results:
            base = ours.get((r.database, r.n))

            def ratio(value: float, reference: float | None) -> str:
                return (
                    f"{value / reference:6.2f}" if reference and reference == reference and value == value else "   n/a"
                )

            print(
                f"{r.engine:13} {r.database:10} {r.n:5} | {r.enqueue_us:14.0f} "
                f"{ratio(r.enqueue_us, base.enqueue_us if base else None)} | {r.rate:6.0f} "
                f"{ratio(r.rate, base.rate if base else None)} | {r.first_us:10.2f} | {r.drain:7.1f} "
                f"{ratio(r.drain, base.drain if base else None)} | {r.after_kill:12.2f} | {r.lost:4} {r.doubled:7}"
            )
        if args.pacing:
            print()
            print("Pacing (Procrastinate has no rate limiting of its own):")
            for name, db in [(name, db) for name, db in runs if name in ("ours", "dbos")]:
                with database(db, args.database_url, workdir, name) as url:
                    print(f"{db:10}" + paced_drain(bench, name, url, args.pacing, 20.0, 3, workdir), flush=True)
        print()
        print(apscheduler_alone(workdir))
    bad = [r for r in results if r.lost != 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
