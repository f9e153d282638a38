"""`--demo` seeds through the real bot, and `make run`'s `knowhow run --playground-if-unconfigured`
starts the playground when no Slack credential is set, saying so in one line with the URL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from playground import sample
from playground.run import Playground, PlaygroundError
from tests.playground.conftest import Page, eventually, text_of

REPO = Path(__file__).resolve().parents[2]


def test_the_demo_is_seeded_through_knowhow_and_a_mentor_can_be_found(tmp_path):
    seeded_from = datetime.now(UTC)
    with Playground(port=0, data_dir=tmp_path, demo=True, knowhow="inprocess") as running:
        seeded_by = datetime.now(UTC)
        page = Page(running.url)
        ws = running.workspace
        assert page.state("U0KEIKO001")["demo"]  # the page shows no welcome: the demo's content speaks
        posts = [m for m in page.messages("U0KEIKO001", sample.QA_CHANNEL) if m["bot"] and not m["ephemeral"]]
        assert len(posts) == len(sample.QUESTIONS)
        assert sum("Resolved" in text_of(m) for m in posts) == 1
        assert all(m["reply_count"] >= 1 for m in posts)

        # Across the offices: Keiko's question (Singapore) answered from London; London's resolved
        # answer suggested to Liam in Singapore, linked into London; Devika (Singapore) introduced to
        # Chloé (London) in a group DM they both see.
        keiko = next(m for m in posts if "<@U0KEIKO001>" in text_of(m))
        assert keiko["reply_users"] == ["U0EMMA0001"] and "Answered" in text_of(keiko)
        liam = [m for m in page.messages("U0LIAM0001", sample.SG_GENERAL_CHANNEL) if m["ephemeral"]]
        assert any("https://acme-london.slack.com/archives/" in text_of(m) for m in liam)
        for user, team in (("U0DEVIKA01", sample.SINGAPORE), ("U0CHLOE001", sample.LONDON)):
            [group] = [c for c in page.state(user, team)["conversations"] if c["kind"] == "mpim"]
            assert "has agreed to mentor" in text_of(page.messages(user, group["id"])[-1])

        announced = [m for m in page.messages("U0HUGO0001", sample.EXPERT_CHANNEL) if "Ask the Expert" in text_of(m)]
        assert announced and "Growing into your first management role" in text_of(announced[0])
        assert "<!date^" in text_of(announced[0])  # each reader sees the start in their own zone

        # #help-it is a help channel: a plain question there is met, privately, with the earlier answer.
        hugo = "U0HUGO0001"
        page.act("/api/message", as_=hugo, channel=sample.HELP_CHANNEL, text=sample.SUGGESTED["text"])
        eventually(
            lambda: any(
                m["ephemeral"] and "answered this before" in text_of(m)
                for m in page.messages(hugo, sample.HELP_CHANNEL)
            )
        )
        assert not any(m["ephemeral"] for m in page.messages("U0EMMA0001", sample.HELP_CHANNEL))

        with sqlite3.connect(tmp_path / "knowhow.db") as db:  # read only: the demo wrote through Slack
            assert db.execute("SELECT count(*) FROM volunteer").fetchone()[0] == len(sample.VOLUNTEERS)
            (starts,) = db.execute("SELECT starts_at FROM expert_session").fetchone()

        # Ben, newly promoted, asks for a mentor in Leadership: candidates come by DM.
        ben = "U0BEN00001"
        page.act("/api/message", as_=ben, channel=sample.GENERAL_CHANNEL, text="/mentor find")
        modal = page.state(ben)["modal"]
        values = ws.fill(
            modal["view"], {"mentor_topic": "Leadership", "mentor_goal": "Get one-to-ones right"}, by_text=True
        )
        assert page.act("/api/submit", as_=ben, view_id=modal["id"], values=values).get("errors") is None
        dm = "D" + ben[1:]
        offer = eventually(
            lambda: [m for m in page.messages(ben, dm) if "U0GRACE001" in text_of(m) or "U0CHLOE001" in text_of(m)]
        )
        assert not offer[0]["ephemeral"]
    start = datetime.fromisoformat(str(starts))  # stored in UTC, about two minutes after seeding
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    assert seeded_from + timedelta(seconds=119) <= start <= seeded_by + timedelta(seconds=121), (
        seeded_from,
        start,
        seeded_by,
    )


def test_a_second_playground_on_the_same_data_dir_is_refused(tmp_path):
    with Playground(port=0, data_dir=tmp_path, knowhow="inprocess"):
        with pytest.raises(PlaygroundError, match="another playground"):
            Playground(port=0, data_dir=tmp_path, knowhow="inprocess").start()


def test_make_run_without_credentials_starts_the_playground(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWHOW_")) and "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--playground-if-unconfigured"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("No Slack credentials are configured"), line if line else line + process.stderr.read()
        url = line.split("playground: ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        page = Page(url)
        assert page.state("U0ALICE001")["team"]["id"] == sample.TEAM_ID
        assert (tmp_path / ".playground" / "knowhow.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    assert process.stdout.read() == ""  # that one line, nothing more


def test_run_with_half_the_credentials_still_explains_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWHOW_"))}
    env.update(PYTHONPATH=str(REPO), SLACK_BOT_TOKEN="xoxb-1")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--playground-if-unconfigured"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "SLACK_APP_TOKEN" in done.stderr


def test_an_explicit_port_that_is_taken_is_refused_and_the_default_falls_back(tmp_path, capsys, monkeypatch):
    import socket

    from playground import run

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run.main(["--port", str(port), "--data-dir", str(tmp_path)]) == 1
        assert f"port {port} on 127.0.0.1 is taken" in capsys.readouterr().err
        monkeypatch.setattr(run, "DEFAULT_PORT", port)  # the default, taken: any free port will do
        with Playground(data_dir=tmp_path, knowhow="inprocess") as running:
            assert running.page.port not in (port, 0)


def test_the_packaged_manifest_is_the_repositorys():
    """`knowhow playground` installed from a wheel reads the copy in the package: keep it identical
    (cp manifest.yml playground/manifest.yml)."""
    from playground import manifest

    assert manifest.PACKAGED_MANIFEST.read_bytes() == manifest.REPOSITORY_MANIFEST.read_bytes()
    assert manifest.load(manifest.PACKAGED_MANIFEST) == manifest.load()


def test_sighup_stops_the_playground_and_knowhow_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWHOW_")) and "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "playground", "--port", "0", "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Knowhow playground: http://127.0.0.1:")
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 1  # knowhow run
        process.send_signal(signal.SIGHUP)  # the terminal closed
        assert process.wait(30) == 0
        assert not Path(f"/proc/{children[0]}").exists() or "zombie" in Path(f"/proc/{children[0]}/status").read_text()
        assert "Stopping" in (tmp_path / "knowhow.log").read_text()  # its last words are in the log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
