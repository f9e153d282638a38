"""GET /metrics (KNOWHOW_METRICS=on), scraped while signed requests come in and the outbox sends:
the counters move with what happened, the outbox gauges show what waits, and it is a 404 when off."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from sqlmodel import select

from bot.service import Knowhow
from core import sessions
from fakeslack import SlackSender
from notify import kinds
from scheduler import jobs
from storage import outbox
from storage.db import session_scope
from storage.models import ExpertSession, Question

from ..settle import settle, watch
from .conftest import SECRET

TEAM = "T0FAKETEAM"
EXPERTS = "C0EXPERTS1"
EXPERT = "U0EXPERT01"


class Scrape(dict):
    """One scrape: {(sample name, ((label, value), ...)): value}."""

    def get_(self, name: str, **labels: str) -> float:
        return self.get((name, tuple(sorted(labels.items()))), 0.0)

    def names(self) -> set[str]:
        return {name for name, _ in self}


def scrape(knowhow) -> Scrape:
    with urllib.request.urlopen(f"http://127.0.0.1:{knowhow.http.port}/metrics", timeout=10) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=")
        text = answer.read().decode()
    result = Scrape()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            result[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return result


def _until(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def measured(settings):
    service = Knowhow(settings.model_copy(update={"metrics": True}), host="127.0.0.1", outbox_poll_seconds=0.2)
    service.start()
    watch(service)
    yield service
    service.stop()


@pytest.fixture
def slack_in(measured):
    return SlackSender(f"http://127.0.0.1:{measured.http.port}/slack/events", SECRET)


def _ask(slack, fake_slack, text: str):
    before = len(fake_slack.calls_to("chat.postMessage"))
    response = slack.command("/ask", text, response_url=fake_slack.response_url("ask"))
    assert response.status == 200
    return before


def test_metrics_are_a_404_when_off(knowhow):
    assert knowhow.settings.metrics is False
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{knowhow.http.port}/metrics", timeout=10)
    assert refused.value.code == 404


@pytest.mark.timing
def test_acks_sends_and_stored_questions_are_counted_as_they_happen(measured, slack_in, fake_slack):
    before = scrape(measured)
    assert before.get_("knowhow_ack_seconds_count", kind="command:/ask") == 0
    assert before.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="ok") == 0
    assert before.get_("knowhow_stored_total", what="question") == 0

    posts = _ask(slack_in, fake_slack, "How do I rotate the staging database password?")
    fake_slack.wait_for("chat.postMessage", posts + 1)
    settle(measured)

    after = scrape(measured)
    assert after.get_("knowhow_ack_seconds_count", kind="command:/ask") == 1
    assert after.get_("knowhow_ack_seconds_bucket", kind="command:/ask", le="+Inf") == 1
    assert 0 < after.get_("knowhow_ack_seconds_sum", kind="command:/ask") < 3
    # The work row (the search, then the question queued), then the post itself.
    assert after.get_("knowhow_outbox_sends_total", kind=kinds.WORK_ASK, result="ok") == 1
    assert after.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="ok") == 1
    assert after.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="failed") == 0
    assert after.get_("knowhow_stored_total", what="question") == 1
    assert after.get_("knowhow_outbox_query_ok") == 1

    # An answer in the question's thread: an event, acked and counted by its kind; the answer stored.
    with session_scope(measured.engine) as s:
        [question] = s.exec(select(Question)).all()
    reply = slack_in.thread_reply(
        channel=question.channel_id, thread_ts=question.message_ts, ts="1754500000.000200", user="U0HELPER1", text="x"
    )
    assert slack_in.event(reply).status == 200
    settle(measured)
    replied = scrape(measured)
    assert replied.get_("knowhow_ack_seconds_count", kind="event:message") == 1
    assert replied.get_("knowhow_stored_total", what="answer") == 1
    assert replied.get_("knowhow_ack_seconds_count", kind="command:/ask") == 1


def test_a_429_a_retry_and_a_failure_for_good_are_counted_by_result(measured, slack_in, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    posts = _ask(slack_in, fake_slack, "Where is the runbook for the kafka consumer?")
    fake_slack.wait_for("chat.postMessage", posts + 2, timeout=15)  # refused, then posted
    settle(measured)
    first = scrape(measured)
    assert first.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="rate_limited") == 1
    assert first.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="ok") == 1

    fake_slack.fail_next("chat.postMessage", error="invalid_blocks")  # no retry changes that
    _ask(slack_in, fake_slack, "Who can approve a new feature flag for the mobile app?")
    _until(
        lambda: scrape(measured).get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="failed")
    )
    settle(measured)
    second = scrape(measured)
    assert second.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="failed") == 1
    assert second.get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="ok") == 1
    assert second.get_("knowhow_ack_seconds_count", kind="command:/ask") == 2


def test_the_outbox_gauges_show_what_waits_by_kind(measured):
    empty = scrape(measured)
    assert not [key for key in empty if key[0] == "knowhow_outbox_depth"]
    later = datetime.now(UTC) + timedelta(hours=1)
    with session_scope(measured.engine) as s:
        for n in range(3):
            outbox.enqueue(
                s,
                team_id=TEAM,
                dedupe_key=f"metrics:test:{n}",
                kind=kinds.OUTBOX_SESSION_REMINDER,
                payload={},
                not_before=later,  # queued, not due: the workers leave them
            )
        outbox.enqueue(s, team_id=TEAM, dedupe_key="metrics:odd", kind="no.such.kind", payload={}, not_before=later)
    time.sleep(0.05)  # some age to see
    waiting = scrape(measured)
    assert waiting.get_("knowhow_outbox_depth", kind=kinds.OUTBOX_SESSION_REMINDER, status="pending") == 3
    assert waiting.get_("knowhow_outbox_depth", kind="other", status="pending") == 1  # a kind not in the code
    assert 0 < waiting.get_("knowhow_outbox_oldest_age_seconds", kind=kinds.OUTBOX_SESSION_REMINDER) < 60
    assert not {
        labels for name, labels in waiting if name == "knowhow_outbox_depth" and ("kind", "no.such.kind") in labels
    }


def test_scheduler_lag_is_how_late_a_session_opened_and_closed(measured):
    now = datetime.now(UTC)
    with session_scope(measured.engine) as s:
        sessions.designate(s, team_id=TEAM, channel_id=EXPERTS, user_id=EXPERT)
        info = sessions.schedule(
            s,
            team_id=TEAM,
            organiser_id=EXPERT,
            channel_id=EXPERTS,
            topic="Kubernetes at scale",
            experts=[EXPERT],
            starts_at=now + timedelta(minutes=5),
            minutes=60,
            is_admin=True,
            now=now,
        )
    sid = info.id
    with session_scope(measured.engine) as s:  # its start was two minutes ago: the sweep is late
        s.execute(
            update(ExpertSession)
            .where(ExpertSession.id == sid)
            .values(starts_at=now - timedelta(minutes=2), ends_at=now + timedelta(hours=1))
        )
    jobs.sweep_sessions()
    opened = scrape(measured)
    assert opened.get_("knowhow_scheduler_lag_seconds_count", transition="open") == 1
    assert 120 <= opened.get_("knowhow_scheduler_lag_seconds_sum", transition="open") < 180
    assert opened.get_("knowhow_scheduler_lag_seconds_bucket", transition="open", le="60.0") == 0
    assert opened.get_("knowhow_scheduler_lag_seconds_bucket", transition="open", le="300.0") == 1

    with session_scope(measured.engine) as s:
        s.execute(update(ExpertSession).where(ExpertSession.id == sid).values(ends_at=now - timedelta(seconds=1)))
    assert jobs.session_alarm(TEAM, sid) is True
    closed = scrape(measured)
    assert closed.get_("knowhow_scheduler_lag_seconds_count", transition="close") == 1
    assert closed.get_("knowhow_scheduler_lag_seconds_count", transition="open") == 1
    settle(measured)


def test_each_app_counts_its_own_requests_and_both_see_the_same_outbox(measured, settings, slack_in, fake_slack):
    """Two replicas on one database: the ack counts are each process's own; the outbox gauges, read
    from the shared database, are the same on both (so dashboards take max() of them, not sum())."""
    replica = Knowhow(
        settings.model_copy(update={"metrics": True}), with_scheduler=False, host="127.0.0.1", outbox_poll_seconds=0.2
    )
    replica.start()
    try:
        posts = _ask(slack_in, fake_slack, "Is there a runbook to restore the search index?")
        fake_slack.wait_for("chat.postMessage", posts + 1)
        settle(measured)
        with session_scope(measured.engine) as s:
            outbox.enqueue(
                s,
                team_id=TEAM,
                dedupe_key="metrics:replicas",
                kind=kinds.OUTBOX_HOME_REFRESH,
                payload={},
                not_before=datetime.now(UTC) + timedelta(hours=1),
            )
        first, second = scrape(measured), scrape(replica)
        assert first.get_("knowhow_ack_seconds_count", kind="command:/ask") == 1
        assert second.get_("knowhow_ack_seconds_count", kind="command:/ask") == 0
        depth = ("knowhow_outbox_depth", (("kind", kinds.OUTBOX_HOME_REFRESH), ("status", "pending")))
        assert first[depth] == second[depth] == 1
    finally:
        replica.stop()


def test_what_the_workers_process_sends_is_counted_in_the_serving_process(settings, fake_slack, tmp_path):
    """`KNOWHOW_WORKERS=process` (the default): the sends happen in the child process, and the
    serving process's /metrics shows them."""
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the child process is the same on PostgreSQL; once is enough")
    service = Knowhow(
        settings.model_copy(
            update={"metrics": True, "workers": "process", "database_url": f"sqlite:///{tmp_path / 'kh.db'}"}
        ),
        host="127.0.0.1",
        outbox_poll_seconds=0.2,
    )
    service.start()
    try:
        sender = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
        posts = _ask(sender, fake_slack, "Who can help me configure the vpn profile for a contractor?")
        fake_slack.wait_for("chat.postMessage", posts + 1, timeout=30)
        _until(lambda: scrape(service).get_("knowhow_outbox_sends_total", kind=kinds.OUTBOX_POST_QUESTION, result="ok"))
        seen = scrape(service)
        assert seen.get_("knowhow_stored_total", what="question") == 1  # stored by the work, in the child
        assert seen.get_("knowhow_ack_seconds_count", kind="command:/ask") == 1
    finally:
        service.stop()


def test_socket_mode_acks_are_timed_and_served_on_the_http_port(settings, fake_slack):
    from urllib.parse import parse_qsl

    from fakeslack.socket_mode import SocketModeServer

    server = SocketModeServer().start()
    fake_slack.socket_mode = server
    service = Knowhow(
        settings.model_copy(update=dict(app_token="xapp-1-fake", signing_secret=None, metrics=True)),
        host="127.0.0.1",
        outbox_poll_seconds=0.2,
    )
    service.start()
    try:
        sender = SlackSender("http://unused", "unused")  # builds payloads; nothing is signed
        body = sender.command_body("/ask", "Who runs the design review?", response_url=fake_slack.response_url("s"))
        ack = server.send("slash_commands", dict(parse_qsl(body.decode(), keep_blank_values=True)))
        assert "looking for earlier answers" in ack["payload"]["text"]
        fake_slack.wait_for("chat.postMessage")
        seen = scrape(service)
        assert seen.get_("knowhow_ack_seconds_count", kind="command:/ask") == 1
        settle(service)
    finally:
        service.stop()
        server.stop()
