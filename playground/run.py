"""`knowhow playground`: the local workspace, Knowhow itself (unchanged, `knowhow run` in HTTP mode
as a child process) and the page, all on 127.0.0.1.

    knowhow playground [--port 8080] [--demo] [--data-dir .playground]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from playground import sample
from playground.options import DEFAULT_PORT, add_arguments
from playground.server import PageServer
from playground.workspace import Workspace

log = logging.getLogger(__name__)

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
START_SECONDS = 60.0


class PlaygroundError(RuntimeError):
    pass


def _healthy(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200 and json.loads(answer.read()).get("status") == "ok"
    except (OSError, ValueError):
        return False


class Playground:
    """Everything `knowhow playground` runs. `knowhow="subprocess"` (the default) runs the real
    `knowhow run`; `"inprocess"` runs the same `bot.service.Knowhow` in this process (faster tests)."""

    def __init__(
        self,
        *,
        port: int | None = None,
        data_dir: str | Path = ".playground",
        demo: bool = False,
        knowhow: str = "subprocess",
        extra_env: dict[str, str] | None = None,
    ):
        self.port = port  # None: the default port, or any free one when it is taken
        self.data_dir = Path(data_dir).resolve()
        self.demo = demo
        self.mode = knowhow
        self.extra_env = dict(extra_env or {})
        self.workspace: Workspace | None = None
        self.page: PageServer | None = None
        self.process: subprocess.Popen | None = None
        self.service = None
        self.knowhow_port: int | None = None
        self._log = None
        self._reader: threading.Thread | None = None

    # -- the parts ---------------------------------------------------------------------------
    def knowhow_env(self) -> dict[str, str]:
        """The environment Knowhow runs with: these override whatever a .env file says."""
        ws = self.workspace
        return {
            "SLACK_BOT_TOKEN": ws.token,
            "SLACK_SIGNING_SECRET": ws.signing_secret,
            "SLACK_APP_TOKEN": "",  # HTTP mode, whatever .env says
            "SLACK_API_URL": ws.api_url,
            "DATABASE_URL": f"sqlite:///{self.data_dir / 'knowhow.db'}",
            "PORT": "0",
            "KNOWHOW_QA_CHANNEL": sample.QA_CHANNEL,
            "KNOWHOW_ADMINS": ",".join(sample.admins()),
            **self.extra_env,
        }

    def _fresh_database(self) -> None:
        """The workspace lives in memory, so each start begins with an empty Knowhow database too
        (a database that remembered posts the workspace has forgotten would point at nothing)."""
        import fcntl

        database = self.data_dir / "knowhow.db"
        lock = os.open(database.with_name("knowhow.db.scheduler.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PlaygroundError(
                    f"another playground is running with {self.data_dir}: stop it or use --data-dir"
                ) from None
            for suffix in ("", "-wal", "-shm", "-journal"):
                database.with_name(database.name + suffix).unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)
        finally:
            os.close(lock)

    def start(self) -> Playground:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._fresh_database()
        try:
            self.workspace = Workspace().start()
            self.page = self._page_server()
            if self.mode == "subprocess":
                self._start_subprocess()
            else:
                self._start_inprocess()
            self.workspace.connect(f"http://127.0.0.1:{self.knowhow_port}/slack/events")
            self.page.start()
            sample.set_up(self.workspace)
            if self.demo:
                sample.seed_demo(self.workspace)
        except BaseException:
            self.stop()
            raise
        return self

    def _page_server(self) -> PageServer:
        if self.port is not None:  # asked for: that port or nothing
            try:
                return PageServer(self.workspace, self.port)
            except OSError as exc:
                raise PlaygroundError(
                    f"port {self.port} on 127.0.0.1 is taken ({exc.strerror or exc}); "
                    "stop what uses it or choose another with --port"
                ) from None
        try:
            return PageServer(self.workspace, DEFAULT_PORT)
        except OSError:
            return PageServer(self.workspace, 0)  # the default port is taken: any free one will do

    def _start_subprocess(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
        env.update(self.knowhow_env())
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        env["PYTHONUNBUFFERED"] = "1"
        self._log = open(self.data_dir / "knowhow.log", "ab")  # noqa: SIM115 (closed in stop())
        # In the data directory, so a .env beside the Makefile is not read at all.
        # Its own session, so Ctrl+C reaches only us; we stop it on SIGINT, SIGTERM and SIGHUP (serve).
        # Not covered: this process killed outright (SIGKILL) leaves it running until its next start
        # finds the port and database lock. Watching a pipe from us would need a change to
        # `knowhow run` itself, and PR_SET_PDEATHSIG (preexec_fn) follows the starting thread, not the
        # process, and is not safe with threads running: both left out on purpose.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1"],
            cwd=self.data_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        found: dict[str, int] = {}

        def read():
            for raw in self.process.stdout:
                line = raw.decode("utf-8", "replace")
                self._log.write(raw)
                self._log.flush()
                if "Health: http://127.0.0.1:" in line and "port" not in found:
                    found["port"] = int(line.split("Health: http://127.0.0.1:", 1)[1].split("/", 1)[0])

        self._reader = threading.Thread(target=read, name="knowhow-stdout", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PlaygroundError(
                    f"Knowhow stopped at start (exit {self.process.returncode}); see {self.data_dir / 'knowhow.log'}"
                )
            if "port" in found and _healthy(found["port"]):
                self.knowhow_port = found["port"]
                return
            time.sleep(0.05)
        raise PlaygroundError(
            f"Knowhow did not become healthy in {START_SECONDS:.0f}s; see {self.data_dir / 'knowhow.log'}"
        )

    def _start_inprocess(self) -> None:
        from bot.config import load_settings
        from bot.service import Knowhow

        # Threads, not a child process: the tests move this process's clock on (core.clock.advance).
        env = {**self.knowhow_env(), "KNOWHOW_WORKERS": "threads"}
        self.service = Knowhow(load_settings(env), host="127.0.0.1", outbox_poll_seconds=0.5)
        self.service.start()
        self.knowhow_port = self.service.http.port

    @property
    def url(self) -> str:
        return self.page.url

    def stop(self) -> None:
        if self.page is not None:
            self.page.stop()
            self.page = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()  # SIGTERM: Knowhow finishes what is in flight and stops
                try:
                    self.process.wait(20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._reader is not None:  # Knowhow's last lines are in the log before it is closed
            self._reader.join(5)
            self._reader = None
        if self.service is not None:
            self.service.stop()
            self.service = None
        if self.workspace is not None:
            self.workspace.stop()
            self.workspace = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(
    *,
    port: int | None = None,
    data_dir: str = ".playground",
    demo: bool = False,
    say: str = "Knowhow playground: {url} (Ctrl+C stops it)",
) -> int:
    """Run until Ctrl+C, SIGTERM or SIGHUP (the terminal closed); print one line with the URL."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    playground = Playground(port=port, data_dir=data_dir, demo=demo)
    try:
        playground.start()
    except Exception as exc:  # one line, not a traceback
        print(f"knowhow playground: could not start: {exc}", file=sys.stderr)
        return 1
    try:
        print(say.format(url=playground.url), flush=True)
        stop.wait()
    finally:
        playground.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="knowhow playground", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return serve(port=args.port, data_dir=args.data_dir, demo=args.demo)


if __name__ == "__main__":
    sys.exit(main())
