"""Several `knowhow run` replicas on one PostgreSQL database, a private PostgreSQL cluster that
can be restarted, and sessions written straight into the database: the scheduler's failover as
it happens in production (tests/test_failover.py, bench/scheduler_failover.py).

The private cluster uses the machine's own `initdb` and `pg_ctl` (run as the `postgres` user
when this runs as root), in a temporary directory, on a free port of 127.0.0.1. Never the shared
server: a test that restarts a database restarts its own.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text, update

from core import sessions
from scheduler.lock import holder
from storage import migrate
from storage.db import make_engine, session_scope
from storage.models import ExpertSession

ROOT = Path(__file__).resolve().parent.parent
SECRET = "failover-signing-secret"
TEAM = "T0FAKETEAM"  # the Slack stand-in's own workspace
ADMIN, EXPERT = "U0ADMIN001", "U0EXPERT01"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and never one this test process handed out before: the
    kernel may give a port just closed again, and two processes a test starts one after the other
    would then get the same one (the second fails to bind, and the first answers for it)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def wait_for(condition, timeout: float = 30.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return None


# -- a private PostgreSQL cluster -------------------------------------------------------------


class ClusterUnavailable(Exception):
    """No initdb/pg_ctl on this machine, or they cannot run here."""


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ClusterUnavailable("initdb not found")


class PrivateCluster:
    """A PostgreSQL server of one's own: started, restarted and stopped at will."""

    def __init__(self):
        self.bin = _pg_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="knowhow-pg-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ClusterUnavailable("running as root and there is no postgres user") from exc
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ClusterUnavailable("running as root and runuser is missing")
            self._as = [runuser, "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise ClusterUnavailable(f"{Path(args[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> PrivateCluster:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8")
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=60"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"
        )
        return self

    def restart(self, mode: str = "fast") -> None:
        """Every connection is cut and the server comes back (its options are kept)."""
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "restart", "-l", str(self.dir / "log")
        )

    def stop(self) -> None:
        with contextlib.suppress(ClusterUnavailable):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


# -- the replicas ---------------------------------------------------------------------------


@dataclass
class Replica:
    name: str
    port: int
    proc: subprocess.Popen
    log: Path

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as answer:
            return json.loads(answer.read())
        except (OSError, ValueError):
            return None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def scheduler(self) -> str | None:
        body = self.health() if self.alive else None
        return body.get("scheduler") if body else None


@dataclass
class Replicas:
    database_url: str
    slack_api_url: str
    slack_token: str
    workdir: Path
    started: list[Replica] = field(default_factory=list)

    def start(self, count: int = 1) -> list[Replica]:
        new = [self._start_one(f"replica-{len(self.started) + i + 1}") for i in range(count)]
        for replica in new:
            if not wait_for(lambda r=replica: r.health() or not r.alive, timeout=60) or not replica.alive:
                raise AssertionError(f"{replica.name} did not start:\n{replica.log.read_text()[-3000:]}")
        return new

    def _start_one(self, name: str) -> Replica:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWHOW_", "DATABASE_URL", "PORT"))}
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.pop(proxy, None)
        env.update(
            DATABASE_URL=self.database_url,
            SLACK_BOT_TOKEN=self.slack_token,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=self.slack_api_url,
            PORT=str(port),
            KNOWHOW_WORKERS="threads",  # one process per replica: kill -9 takes all of it
        )
        log = self.workdir / f"{name}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        replica = Replica(name, port, proc, log)
        self.started.append(replica)
        return replica

    def live(self) -> list[Replica]:
        return [r for r in self.started if r.alive]

    def leader(self, timeout: float = 30.0) -> Replica:
        """The one live replica running the scheduler, once the others all stand by."""

        def one():
            states = {r.name: r.scheduler() for r in self.live()}
            running = [r for r in self.live() if states[r.name] == "running"]
            if len(running) == 1 and all(s in ("running", "standby") for s in states.values()):
                return running[0]
            return None

        found = wait_for(one, timeout=timeout)
        if found is None:
            raise AssertionError(f"no single scheduler: {[(r.name, r.scheduler()) for r in self.live()]}")
        return found

    def stop(self) -> None:
        for replica in self.started:
            if replica.alive:
                replica.proc.terminate()
        for replica in self.started:
            try:
                replica.proc.wait(30)
            except subprocess.TimeoutExpired:
                replica.proc.kill()
                replica.proc.wait()

    def logs(self) -> str:
        return "\n".join(f"--- {r.name}\n{r.log.read_text()[-4000:]}" for r in self.started)


# -- the database side ------------------------------------------------------------------------


def migrated(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def schedule_session(url: str, *, channel: str, topic: str, starts_at: datetime, seconds: float) -> int:
    """A session in `channel` from `starts_at` for `seconds`, written straight into the database
    (as a replica that is not the scheduler does: the scheduler learns of it from the database)."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            sessions.designate(s, team_id=TEAM, channel_id=channel, user_id=ADMIN)
            info = sessions.schedule(
                s,
                team_id=TEAM,
                organiser_id=EXPERT,
                channel_id=channel,
                topic=topic,
                experts=[EXPERT],
                starts_at=starts_at,
                minutes=1,
                is_admin=True,
                now=datetime.now(UTC),
            )
            assert isinstance(info, sessions.SessionInfo), info
            s.execute(
                update(ExpertSession)
                .where(ExpertSession.team_id == TEAM, ExpertSession.id == info.id)
                .values(ends_at=starts_at + timedelta(seconds=seconds))
            )
        return info.id
    finally:
        engine.dispose()


def session_row(url: str, session_id: int):
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return s.get(ExpertSession, session_id)
    finally:
        engine.dispose()


def lock_holder(url: str) -> int | None:
    """The server pid of the session holding the scheduler lock (None: free, or no server)."""
    engine = make_engine(url)
    try:
        found = holder(engine)
        return found.pid if found is not None else None
    except Exception:
        return None
    finally:
        engine.dispose()


def terminate_lock_holder(url: str) -> int:
    """`pg_terminate_backend` on the session holding the scheduler lock: its pid."""
    engine = make_engine(url)
    try:
        found = holder(engine)
        assert found is not None, "nobody holds the scheduler lock"
        with engine.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": found.pid}).scalar()
        return found.pid
    finally:
        engine.dispose()


def posts(fake_slack, channel: str, words: str) -> list:
    """The channel's top-level posts whose text says `words`."""
    return [
        c
        for c in fake_slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and "thread_ts" not in c.args and words in c.text
    ]
