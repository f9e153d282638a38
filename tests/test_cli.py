"""`knowhow` as a person runs it: a real process, real signals, the Slack stand-in on loopback."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from fakeslack import SlackSender

from .replicas import free_port as _free_port

SECRET = "cli-test-signing-secret"


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWHOW_", "DATABASE_URL", "PORT"))}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env.update(extra)
    return env


def _bot_env(tmp_path, fake_slack, port, **extra):
    """A bot configured for HTTP mode against the Slack stand-in."""
    settings = {
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "PORT": str(port),
    }
    return _env(tmp_path, **{**settings, **extra})


def _knowhow(*args):
    return [sys.executable, "-m", "bot.cli", *args]


def _health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as answer:
        return answer.code, json.loads(answer.read())


def _wait_healthy(proc, port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"knowhow exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            return _health(port)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError("knowhow did not answer /healthz in time")


def test_run_without_credentials_says_what_is_missing_and_how_to_get_it(tmp_path):
    result = subprocess.run(
        _knowhow("run"), cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Knowhow cannot start: SLACK_BOT_TOKEN, SLACK_APP_TOKEN are not set.")
    assert "manifest.yml" in result.stderr and "SLACK_SIGNING_SECRET" in result.stderr and "xoxb-" in result.stderr


def test_a_bad_setting_is_one_line_not_a_traceback(tmp_path):
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", PORT="eighty")
    result = subprocess.run(_knowhow("run"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "knowhow: PORT must be a TCP port number between 0 and 65535 (got 'eighty')"
    ]


def test_a_token_slack_refuses_is_reported_plainly(tmp_path, fake_slack):
    env = _bot_env(tmp_path, fake_slack, _free_port(), SLACK_BOT_TOKEN="xoxb-revoked")
    result = subprocess.run(_knowhow("run"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "knowhow: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    assert fake_slack.calls_to("auth.test"), "auth.test must go to SLACK_API_URL"


def test_migrate_applies_the_migrations(tmp_path):
    result = subprocess.run(
        _knowhow("migrate"), cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "cli.db").exists()


@pytest.mark.parametrize("no_scheduler", [False, True], ids=["with scheduler", "replica"])
def test_run_serves_slack_and_stops_cleanly_on_sigterm(tmp_path, fake_slack, no_scheduler):
    port = _free_port()
    env = _bot_env(tmp_path, fake_slack, port, KNOWHOW_QA_CHANNEL="C0QUESTION")
    args = ["run", "--no-scheduler"] if no_scheduler else ["run"]
    proc = subprocess.Popen(
        _knowhow(*args), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        status, body = _wait_healthy(proc, port)
        assert status == 200
        assert body["scheduler"] == ("disabled" if no_scheduler else "running")

        slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        answer = slack.command("/ask", "Does SIGTERM lose my question?", response_url=fake_slack.response_url())
        assert answer.status == 200
        [post] = fake_slack.wait_for("chat.postMessage")
        assert "Does SIGTERM lose my question?" in post.block_text()

        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Stopping" in out
    assert "Knowhow stopped" in err
    assert "Traceback" not in err
    assert SECRET not in out + err and fake_slack.token not in out + err


def test_run_in_distribution_mode_installs_by_oauth_and_its_workers_send_with_the_installed_token(tmp_path, fake_slack):
    """`knowhow run` with a client id and secret: the "Add to Slack" pages, and the outbox's workers
    (in their own process, the default) sending with the token the install gave."""
    import html
    import re
    from urllib.parse import parse_qs, urlencode, urlparse

    from cryptography.fernet import Fernet

    port = _free_port()
    env = _env(
        tmp_path,
        SLACK_CLIENT_ID=fake_slack.client_id,
        SLACK_CLIENT_SECRET=fake_slack.client_secret,
        KNOWHOW_TOKEN_KEY=Fernet.generate_key().decode(),
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        PORT=str(port),
        KNOWHOW_QA_CHANNEL="C0QUESTION",
    )
    proc = subprocess.Popen(
        _knowhow("run", "--no-scheduler"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_healthy(proc, port)[0] == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/install", timeout=10) as page:
            link = html.unescape(re.search(r'href="([^"]+)"', page.read().decode()).group(1))
            cookie = page.headers["Set-Cookie"].split(";")[0]
        state = parse_qs(urlparse(link).query)["state"][0]
        back = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/oauth_redirect?"
            + urlencode({"code": fake_slack.oauth_code("T0BERLIN1", "Berlin"), "state": state}),
            headers={"Cookie": cookie},
        )
        with urllib.request.urlopen(back, timeout=10) as done:
            assert "Knowhow is installed in <strong>Berlin</strong>" in done.read().decode()

        slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET, team_id="T0BERLIN1")
        answer = slack.command("/ask", "Who has the Berlin office keys?", response_url=fake_slack.response_url())
        assert answer.status == 200
        [post] = fake_slack.wait_for("chat.postMessage")
        assert post.token == fake_slack.installed_token("T0BERLIN1")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert fake_slack.installed_token("T0BERLIN1") not in out + err and fake_slack.client_secret not in out + err


def test_rotate_token_key_without_a_key_says_how_to_make_one(tmp_path):
    result = subprocess.run(
        _knowhow("rotate-token-key"), cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("knowhow: KNOWHOW_TOKEN_KEY is not set")
    assert "Fernet.generate_key()" in result.stderr and "Traceback" not in result.stderr


def test_a_port_in_use_is_reported_plainly(tmp_path, fake_slack):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _bot_env(tmp_path, fake_slack, port)
        result = subprocess.run(_knowhow("run"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"knowhow: PORT {port} cannot be used" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_app_token_slack_refuses_is_reported_plainly(tmp_path, fake_slack):
    env = _bot_env(tmp_path, fake_slack, _free_port(), SLACK_APP_TOKEN="xapp-1-not-enabled")
    result = subprocess.run(_knowhow("run"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "knowhow: SLACK_APP_TOKEN was refused by Slack" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_scheduler_on_sqlite_stands_by_and_takes_over_when_the_first_is_killed(tmp_path, fake_slack):
    """SQLite, one machine: the scheduler's lock is a flock the kernel frees when its process
    dies, however it dies; the standby on the same machine then takes the scheduler over."""

    def start(*args):
        port = _free_port()
        env = _bot_env(tmp_path, fake_slack, port)
        proc = subprocess.Popen(
            _knowhow("run", *args), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return proc, port

    first, first_port = start()
    started = [first]
    try:
        assert _wait_healthy(first, first_port) == (
            200,
            {"database": "ok", "scheduler": "running", "outbox": "running", "slack": "ok", "status": "ok"},
        )
        second, second_port = start()
        replica, replica_port = start("--no-scheduler")
        started += [second, replica]
        assert _wait_healthy(second, second_port) == (
            200,
            {"database": "ok", "scheduler": "standby", "outbox": "running", "slack": "ok", "status": "ok"},
        )
        assert _wait_healthy(replica, replica_port)[1]["scheduler"] == "disabled"

        first.kill()  # kill -9: no clean stop, the kernel frees the lock
        first.communicate(timeout=30)
        assert _wait_for(lambda: _health(second_port)[1]["scheduler"] == "running")
        assert _health(replica_port)[1]["scheduler"] == "disabled"  # a replica never takes it
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.communicate(timeout=30)
    assert second.returncode == 0


def _wait_for(condition, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_export_writes_the_knowledge_base(tmp_path):
    env = _env(tmp_path)
    assert subprocess.run(_knowhow("migrate"), cwd=tmp_path, env=env, capture_output=True, timeout=60).returncode == 0
    result = subprocess.run(
        _knowhow("export", "--format", "markdown", "--output", str(tmp_path / "kb.md")),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Exported 0 questions." in result.stderr
    assert (tmp_path / "kb.md").read_text() == ""


def test_an_export_of_hostile_text_is_safe_to_open_and_imports_back_unchanged(tmp_path):
    env = _env(tmp_path)
    hostile = {
        "id": "h-1",
        "text": '=HYPERLINK("https://evil.example.com", "Open") <script>alert(1)</script>',
        "answers": [{"text": "@SUM(1+1) <img src=x onerror=alert(1)>", "author": "U0HELPER"}],
    }
    (tmp_path / "in.jsonl").write_text(json.dumps(hostile) + "\n")

    def knowhow(*args):
        result = subprocess.run(_knowhow(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    knowhow("import", "--team", "T0TEAM", str(tmp_path / "in.jsonl"))
    knowhow("export", "--format", "jsonl", "--team", "T0TEAM", "--output", str(tmp_path / "out.jsonl"))
    knowhow("import", "--team", "T0AGAIN", str(tmp_path / "out.jsonl"))
    [again] = [json.loads(line) for line in knowhow("export", "--format", "jsonl", "--team", "T0AGAIN").splitlines()]
    assert (again["text"], again["answers"][0]["text"]) == (hostile["text"], hostile["answers"][0]["text"])
    [row] = list(csv.DictReader(io.StringIO(knowhow("export", "--format", "csv", "--team", "T0AGAIN"))))
    assert row["question"] == "'" + hostile["text"] and row["answer"] == "'" + hostile["answers"][0]["text"]
    markdown = knowhow("export", "--format", "markdown", "--team", "T0AGAIN")
    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script>alert(1)&lt;/script>" in markdown


def test_import_reports_bad_lines_and_similar_ranks_what_was_imported(tmp_path):
    env = _env(tmp_path)
    data = tmp_path / "faq.jsonl"
    data.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "vpn-1",
                        "text": "How do I reset my VPN password?",
                        "answers": [{"text": "Self-service portal", "accepted": True}],
                    }
                ),
                json.dumps({"id": "exp-1", "text": "Where is the expenses policy?"}),
                "{broken",
            ]
        )
        + "\n"
    )
    first = subprocess.run(
        _knowhow("import", "--team", "T0TEAM", str(data)),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert first.returncode == 1  # something was skipped
    assert f"{data}:3: skipped: not valid JSON" in first.stderr and "Imported 2 questions into T0TEAM" in first.stderr
    again = subprocess.run(
        _knowhow("import", "--team", "T0TEAM", str(data)),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Imported 0 questions into T0TEAM (2 already there, 1 skipped)" in again.stderr

    similar = subprocess.run(
        _knowhow("similar", "--team", "T0TEAM", "--json", "--limit", "5", "I forgot my VPN password"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert similar.returncode == 0, similar.stderr
    rows = [json.loads(line) for line in similar.stdout.splitlines()]
    # The VPN question first; the other one only below it, found by meaning (it shares no word).
    assert rows[0]["id"] == "vpn-1" and rows[0]["score"] > 0
    assert [r["id"] for r in rows[1:]] in ([], ["exp-1"]) and all(r["score"] < rows[0]["score"] for r in rows[1:])
    other = subprocess.run(
        _knowhow("similar", "--team", "T0ELSE", "VPN password"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.stdout == "" and "No similar questions." in other.stderr


def test_import_of_a_missing_file_says_so(tmp_path):
    result = subprocess.run(
        _knowhow("import", "--team", "T0TEAM", str(tmp_path / "nope.jsonl")),
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def _children(pid: int, running: str = "") -> list[int]:
    """The processes whose parent is `pid` and whose command line holds `running` (Linux's /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if running.encode() in cmdline.read():
                        found.append(int(entry))
    return found


def _wait_until_outbox_done(database, timeout: float = 30) -> None:
    """Until every outbox row of the database is sent (or failed): nothing more will be sent."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as db:
            left = db.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')").fetchone()[0]
        if left == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"{left} outbox rows still to send after {timeout}s")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads Linux's /proc to find the workers' process")
def test_kill_9_right_after_the_acks_loses_nothing_and_leaves_no_orphan(tmp_path, fake_slack):
    """`knowhow run` acks a burst of questions and is killed at once, before its workers' process
    can have done them all (it waits for a quiet moment after a burst); that process sees its
    parent gone and exits. The next `knowhow run` finds the stored requests and does each once."""
    from concurrent.futures import ThreadPoolExecutor

    def start(port):
        env = _bot_env(tmp_path, fake_slack, port, KNOWHOW_QA_CHANNEL="C0QUESTION")
        with open(tmp_path / f"knowhow-{port}.log", "wb") as log:
            return subprocess.Popen(_knowhow("run"), cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)

    port = _free_port()
    first = start(port)
    try:
        assert _wait_healthy(first, port)[0] == 200
        [workers] = _children(first.pid, "spawn_main")  # not multiprocessing's resource tracker
        slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        texts = [f"Kill test {n}: where is the badge office?" for n in range(20)]

        def ask(n):
            return slack.command("/ask", texts[n], response_url=fake_slack.response_url(f"k{n}"))

        with ThreadPoolExecutor(10) as pool:
            acks = list(pool.map(ask, range(len(texts))))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert all(a.status == 200 and b"Got it" in a.body for a in acks)
    deadline = time.monotonic() + 10
    while not _gone(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(workers), "the workers' process outlived the process that started it"

    port = _free_port()
    second = start(port)
    try:
        assert _wait_healthy(second, port)[0] == 200
        fake_slack.wait_for("chat.postMessage", len(texts), timeout=30)
        fake_slack.wait_for("response_url", len(texts), timeout=30)
        _wait_until_outbox_done(tmp_path / "cli.db")  # nothing more will come
        posts = [c.block_text() for c in fake_slack.calls_to("chat.postMessage")]
        assert sorted(next(t for t in texts if t in p) for p in posts) == sorted(texts)
        assert sorted(c.path for c in fake_slack.calls_to("response_url")) == sorted(
            f"/response/k{n}" for n in range(len(texts))
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    assert second.returncode == 0


def _sending(database) -> int:
    import sqlite3

    with sqlite3.connect(database, timeout=5) as db:
        return db.execute("SELECT count(*) FROM outbox WHERE status = 'sending'").fetchone()[0]


def _lengthen_claims(database, *, hours: float) -> None:
    """Rows left sending by a stopped process: their claims run out `hours` from now."""
    from datetime import timedelta

    from sqlalchemy import update

    from core.clock import utcnow
    from storage.db import make_engine, session_scope
    from storage.models import OutboxMessage

    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "sending")
                .values(lease_until=utcnow() + timedelta(hours=hours))
                .execution_options(all_workspaces=True)
            )
    finally:
        engine.dispose()


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads Linux's /proc to see a dead holder's process")
@pytest.mark.parametrize("stop", ["kill -9 of every process", "SIGTERM"])
def test_a_restart_in_the_middle_of_a_burst_posts_every_acked_question_within_seconds_once(tmp_path, fake_slack, stop):
    """The bot is stopped while its workers hold claims (rows marked sending): killed with its
    workers' process (kill -9 of the process group: a container killed, the machine's OOM killer),
    or stopped cleanly and started again at once. The next `knowhow run` posts every acked
    question within seconds, each once: nothing waits for a lease to run out."""
    from concurrent.futures import ThreadPoolExecutor

    database = tmp_path / "cli.db"

    def start(port):
        env = _bot_env(
            tmp_path,
            fake_slack,
            port,
            KNOWHOW_QA_CHANNEL="C0QUESTION",
            KNOWHOW_POST_RATE="100",  # Slack's pace is not what this measures
            KNOWHOW_POST_BURST="100",
        )
        with open(tmp_path / f"knowhow-{port}.log", "wb") as log:
            return subprocess.Popen(
                _knowhow("run", "--no-scheduler"),
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a service manager runs it
            )

    port = _free_port()
    first = start(port)
    texts = [f"Restart test {n}: who signs off travel to Lisbon?" for n in range(40)]
    try:
        assert _wait_healthy(first, port)[0] == 200
        slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)

        def ask(n):
            return slack.command("/ask", texts[n], response_url=fake_slack.response_url(f"r{n}"))

        with ThreadPoolExecutor(10) as pool:
            acks = list(pool.map(ask, range(len(texts))))
        assert all(a.status == 200 and b"Got it" in a.body for a in acks)
        deadline = time.monotonic() + 20
        while _sending(database) == 0 and time.monotonic() < deadline:
            time.sleep(0.001)
        if stop == "SIGTERM":
            first.send_signal(signal.SIGTERM)
            first.wait(60)
        else:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            assert _sending(database) > 0, "the workers held no claim when they were killed"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    posted_before = len(fake_slack.calls_to("chat.postMessage"))
    assert posted_before < len(texts), "the burst was over before the stop"
    # The claims the stopped process left would run out in an hour, not in seconds: a restart that
    # waited for them to run out would post nothing within the wait below. (Not a timing: the
    # next process must free a dead holder's claims, or find them put back, for anything to go.)
    _lengthen_claims(database, hours=1)

    restarted = time.monotonic()
    second = start(_free_port())
    try:
        fake_slack.wait_for("chat.postMessage", len(texts), timeout=60)
        fake_slack.wait_for("response_url", len(texts), timeout=60)
        took = time.monotonic() - restarted
        _wait_until_outbox_done(database)
        posts = [c.block_text() for c in fake_slack.calls_to("chat.postMessage")]
        assert sorted(next(t for t in texts if t in p) for p in posts) == sorted(texts)  # each once
        print(f"the last question was posted {took:.1f} s after the restart")  # bench/restart_recovery.py measures it
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)


def test_export_user_shows_what_is_held_about_a_person_and_forget_erases_it(tmp_path):
    from storage.db import make_engine
    from tests.core.test_erasure import LEAVER, LONDON, populate

    env = _env(tmp_path)
    assert subprocess.run(_knowhow("migrate"), cwd=tmp_path, env=env, capture_output=True, timeout=60).returncode == 0
    engine = make_engine(env["DATABASE_URL"])
    populate(engine)
    engine.dispose()

    def run(*args):
        return subprocess.run(_knowhow(*args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    exported = run("export", "--team", LONDON, "--user", LEAVER, "--output", str(tmp_path / "person.json"))
    assert exported.returncode == 0, exported.stderr
    held = json.loads((tmp_path / "person.json").read_text())
    assert held["user_id"] == LEAVER and {"question", "answer", "mentor_profile", "mentorship"} <= set(held["tables"])
    assert all(LEAVER in json.dumps(row) for rows in held["tables"].values() for row in rows)
    assert not any("token" in column for rows in held["tables"].values() for row in rows for column in row)

    forgot = run("forget", "--team", LONDON, "--user", LEAVER)
    assert forgot.returncode == 0, forgot.stderr
    assert forgot.stdout.startswith("Forgot a member of 2 workspaces of the organisation of T0LONDON01:")
    assert "questions kept" in forgot.stdout and "mentor profiles erased" in forgot.stdout
    # Logged as a fact: counts, never the person's id or what they wrote.
    assert "forgot a member of" in forgot.stderr
    assert LEAVER not in forgot.stdout + forgot.stderr and "Kubernetes" not in forgot.stdout + forgot.stderr

    again = run("export", "--team", LONDON, "--user", LEAVER)
    assert again.returncode == 0 and json.loads(again.stdout)["tables"] == {}
    assert "Exported 0 rows" in again.stderr

    wrong = run("forget", "--team", LONDON, "--user", "everyone")
    assert wrong.returncode == 2 and "is not a Slack user id" in wrong.stderr
    assert run("export", "--user", LEAVER).returncode == 2


@pytest.mark.timing
@pytest.mark.parametrize("workers", ["process", "threads"])
def test_a_stop_while_slack_does_not_answer_takes_seconds_and_the_post_goes_out_once_after(
    tmp_path, fake_slack, workers
):
    """SIGTERM while a post hangs (Slack unreachable): the send in flight is abandoned rather than
    waited for (the Web API client alone would wait 15 s, a stop wait for every send after it),
    as after a kill -9; the next `knowhow run` finds the post Slack did get and sends nothing twice."""
    port = _free_port()
    env = _bot_env(tmp_path, fake_slack, port, KNOWHOW_QA_CHANNEL="C0QUESTION", KNOWHOW_WORKERS=workers)

    def start():
        return subprocess.Popen(
            _knowhow("run"), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    proc = start()
    again = None
    try:
        assert _wait_healthy(proc, port)[0] == 200
        fake_slack.hang("chat.postMessage", seconds=120)
        slack = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)
        question = "Is the VPN down for everyone or only for me?"
        assert slack.command("/ask", question, response_url=fake_slack.response_url()).status == 200
        fake_slack.wait_for("chat.postMessage", timeout=30)  # it reached Slack, which does not answer
        proc.send_signal(signal.SIGTERM)
        # A few seconds quiet (3.5 s here); under a loaded machine more, and still before the
        # client's own 15 s timeout, which a stop waiting for the send would outlast.
        _out, err = proc.communicate(timeout=14)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        fake_slack.release()  # Slack carries the held post out after all

        again = start()
        assert _wait_healthy(again, port)[0] == 200
        _wait_until_outbox_done(tmp_path / "cli.db")
        assert sum(question in json.dumps(m) for m in fake_slack.messages["C0QUESTION"]) == 1
        assert sum(question in c.block_text() for c in fake_slack.calls_to("chat.postMessage")) == 1
    finally:
        for p in (proc, again):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
