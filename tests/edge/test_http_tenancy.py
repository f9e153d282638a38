"""Isolation at the Slack edge, through signed requests into the running app (bot/tenancy.py):
single-token mode refuses another workspace's or another app's requests without a trace, a
shared channel's event counts for the installation Slack names in `authorizations`, and Slack
Connect guests (people of another organisation in a shared channel) are never matched, counted
or shown the knowledge base."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot import ids, tenancy
from fakeslack import SlackSender
from storage.db import session_scope
from storage.models import OutboxMessage, Question, Volunteer, Workspace

from ..settle import settle
from .conftest import QA_CHANNEL, SECRET
from .test_http_ask import _answers, _questions, _wait_until, ask
from .test_http_mentor import ADMIN, CHANNEL, MENTOR, add_topic, buttons, mentor, opened_view, stored_view, topic_id

OTHER_TEAM = "T0ELSEWHER"
PARTNER_TEAM = "T0PARTNER1"  # another organisation, in a Slack Connect channel with ours
GUEST = "U0GUEST001"
SECRET_QUESTION = "Where is the payroll export kept?"


@pytest.fixture
def settings(settings):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


def _rows(knowhow, model):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(model).execution_options(all_workspaces=True)))


def _sender(knowhow, **kwargs) -> SlackSender:
    return SlackSender(f"http://127.0.0.1:{knowhow.http.port}/slack/events", SECRET, **kwargs)


def _nothing_stored_or_said(knowhow, fake_slack, *, calls_before: int):
    settle(knowhow)
    assert _rows(knowhow, Question) == [] and _rows(knowhow, OutboxMessage) == []
    assert [w.team_id for w in _rows(knowhow, Workspace)] == [fake_slack.team_id]
    # auth.test and bots.info at start, nothing since: no post, no ephemeral, no response_url.
    assert len(fake_slack.calls) == calls_before


# -- single-token mode: another workspace, another app ----------------------------------------------


def test_the_token_knows_its_app_and_workspace(knowhow, fake_slack):
    identity = knowhow.deps.identity
    assert (identity.team_id, identity.app_id) == (fake_slack.team_id, fake_slack.app_id)


def test_another_workspaces_ask_is_refused_and_nothing_is_stored_or_posted(knowhow, fake_slack, caplog):
    other = _sender(knowhow, team_id=OTHER_TEAM, team_domain="elsewhere")
    before = len(fake_slack.calls)
    with caplog.at_level(logging.DEBUG, logger="bot.tenancy"):
        answer = other.command("/ask", SECRET_QUESTION, response_url=fake_slack.response_url("other"))
        again = other.command("/ask", SECRET_QUESTION, response_url=fake_slack.response_url("other2"))
    for response in (answer, again):
        assert response.status == 200
        assert response.json() == {"response_type": "ephemeral", "text": tenancy.NOT_SERVED_TEXT}
    _nothing_stored_or_said(knowhow, fake_slack, calls_before=before)
    refusals = [r for r in caplog.records if r.name == "bot.tenancy"]
    warnings = [r for r in refusals if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and len(refusals) == 2  # the same source again: debug only
    line = warnings[0].getMessage()
    assert OTHER_TEAM in line and "command" in line
    for secret in ("payroll", SECRET_QUESTION, fake_slack.token, "xoxb-", SECRET):
        assert all(secret not in r.getMessage() for r in refusals)


def test_another_workspaces_events_and_clicks_are_refused_without_a_trace(knowhow, slack, fake_slack):
    ask(slack, fake_slack, "How do I rotate the API keys?")
    _wait_until(lambda: _questions(knowhow)[0].message_ts is not None)
    settle(knowhow)
    posted = _questions(knowhow)[0].message_ts
    outbox_before, calls_before = len(_rows(knowhow, OutboxMessage)), len(fake_slack.calls)
    other = _sender(knowhow, team_id=OTHER_TEAM, team_domain="elsewhere")
    reply = other.thread_reply(channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000200", user="U0X", text="hi")
    assert other.event(reply).status == 200
    click = other.block_actions_payload(
        user="U0X", action_id=ids.ASK_ACCEPT_OPEN, value=str(_questions(knowhow)[0].id), channel=QA_CHANNEL
    )
    response = other.interaction(click)
    assert (response.status, response.body) == (200, b"")
    settle(knowhow)
    assert _answers(knowhow) == [] and len(_rows(knowhow, OutboxMessage)) == outbox_before
    assert len(fake_slack.calls) == calls_before


@pytest.mark.parametrize("kind", ["command", "event"])
def test_another_apps_requests_are_refused(knowhow, fake_slack, kind, caplog):
    other_app = _sender(knowhow, team_id=fake_slack.team_id, api_app_id="A0OTHERAPP")
    before = len(fake_slack.calls)
    with caplog.at_level(logging.WARNING, logger="bot.tenancy"):
        if kind == "command":
            response = other_app.command("/ask", SECRET_QUESTION, response_url=fake_slack.response_url("x"))
            assert response.json()["text"] == tenancy.NOT_SERVED_TEXT
        else:
            message = other_app.thread_reply(channel=QA_CHANNEL, thread_ts="1.0", ts="2.0", user="U0X", text="hi")
            response = other_app.event(message)
            assert response.body == b""
    assert response.status == 200
    _nothing_stored_or_said(knowhow, fake_slack, calls_before=before)
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.tenancy"]
    assert "A0OTHERAPP" in warning and "another app" in warning


def test_an_event_that_names_no_workspace_is_refused(knowhow, slack, fake_slack, caplog):
    body = json.loads(
        slack.event_body(slack.thread_reply(channel=QA_CHANNEL, thread_ts="1.0", ts="2.0", user="U0X", text="x"))
    )
    del body["team_id"], body["authorizations"]
    before = len(fake_slack.calls)
    with caplog.at_level(logging.WARNING, logger="bot.tenancy"):
        assert slack.send_signed(json.dumps(body).encode(), "application/json").status == 200
    _nothing_stored_or_said(knowhow, fake_slack, calls_before=before)
    assert [r.getMessage().rsplit(": ", 1)[-1] for r in caplog.records if r.name == "bot.tenancy"] == [
        "no workspace named"
    ]


def test_a_shared_channels_event_counts_for_the_installation_slack_names(knowhow, slack, fake_slack):
    """In a channel another workspace created and shares with ours, the top-level team_id is that
    workspace; the installation the event is for is ours (`authorizations`)."""
    ask(slack, fake_slack, "How do I rotate the API keys?")
    _wait_until(lambda: _questions(knowhow)[0].message_ts is not None)
    posted = _questions(knowhow)[0].message_ts
    reply = slack.thread_reply(channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000200", user="U0HELPER", text="x")
    assert slack.event(reply, team_id=OTHER_TEAM).status == 200
    settle(knowhow)
    [answer] = _answers(knowhow)
    assert (answer.team_id, answer.author_id) == (fake_slack.team_id, "U0HELPER")
    assert [w.team_id for w in _rows(knowhow, Workspace)] == [fake_slack.team_id]


def test_only_a_workspaces_first_request_touches_the_workspace_table(knowhow, slack, fake_slack):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        # Only what serving a request sends (Cheroot's threads), not the workers' or the scheduler's.
        if "workspace" in statement.lower() and threading.current_thread().name.startswith("CP Server"):
            statements.append(statement)

    event.listen(knowhow.engine, "before_cursor_execute", seen)
    try:
        for n in range(3):
            # The hot path: a question stored as work and acked (`/ask help` reads where questions go).
            assert slack.command("/ask", f"Where is the holiday calendar, take {n}?").status == 200
            if n == 0:
                first, statements[:] = len(statements), []
    finally:
        event.remove(knowhow.engine, "before_cursor_execute", seen)
    assert first >= 1 and statements == []


# -- Slack Connect guests ---------------------------------------------------------------------------


@pytest.fixture
def posted(knowhow, slack, fake_slack):
    ask(slack, fake_slack, "How do I rotate the API keys?")
    _wait_until(lambda: _questions(knowhow)[0].message_ts is not None)
    settle(knowhow)
    return _questions(knowhow)[0].message_ts


def test_a_guests_reply_is_not_an_answer_and_is_never_counted(knowhow, slack, fake_slack, posted):
    guest = slack.thread_reply(
        channel=QA_CHANNEL,
        thread_ts=posted,
        ts="1754500000.000200",
        user=GUEST,
        text="Ours is in S3",
        user_team=PARTNER_TEAM,
    )
    colleague = slack.thread_reply(
        channel=QA_CHANNEL,
        thread_ts=posted,
        ts="1754500000.000300",
        user="U0HELPER",
        text="Use the vault CLI",
        user_team=fake_slack.team_id,
    )
    assert slack.event(guest, ext_shared=True).status == 200
    assert slack.event(colleague, ext_shared=True).status == 200
    settle(knowhow)
    [answer] = _answers(knowhow)  # the colleague's only: the guest's reply left no row to count
    assert answer.author_id == "U0HELPER"
    assert not any(GUEST in json.dumps(row.payload) for row in _rows(knowhow, OutboxMessage))
    # Their edit and deletion change nothing either.
    edit = slack.message_changed(
        channel=QA_CHANNEL,
        thread_ts=posted,
        ts="1754500000.000200",
        user=GUEST,
        text="x",
        old_text="y",
        edited_ts="1754500001.000100",
    )
    edit["message"]["user_team"] = PARTNER_TEAM
    assert slack.event(edit, ext_shared=True).status == 200
    settle(knowhow)
    assert [a.author_id for a in _answers(knowhow)] == ["U0HELPER"]


def test_a_guest_is_never_matched_the_mentor_center_says_so_privately(knowhow, slack, fake_slack):
    add_topic(slack)
    assert mentor(slack, "broadcast", ADMIN).status == 200
    call_view = stored_view(fake_slack)
    answers = {
        ids.MENTOR_IN_TOPIC: topic_id(fake_slack),
        ids.MENTOR_IN_GOALS: "Help new managers find their feet",
        ids.MENTOR_IN_WEEKS: "12",
        ids.MENTOR_IN_HOURS: "2",
        ids.MENTOR_IN_CHANNEL: CHANNEL,
    }
    slack.interaction(
        slack.view_submission_payload(user=ADMIN, view=call_view, values=slack.view_state_values(call_view, answers))
    )
    _wait_until(lambda: fake_slack.messages.get(CHANNEL))
    post = fake_slack.messages[CHANNEL][-1]
    [volunteer_button] = buttons(post, ids.MENTOR_OPEN_VOLUNTEER)
    opened_before = len(fake_slack.calls_to("views.open"))

    # The call for volunteers sits in a channel shared with a partner: their Volunteer click is
    # refused privately, and no form opens.
    click = slack.block_actions_payload(
        user=GUEST,
        action_id=ids.MENTOR_OPEN_VOLUNTEER,
        value=volunteer_button["value"],
        message=post,
        channel=CHANNEL,
        response_url=fake_slack.response_url("guest-click"),
        user_team=PARTNER_TEAM,
    )
    assert slack.interaction(click).status == 200
    _wait_until(lambda: any(c.path.endswith("guest-click") for c in fake_slack.calls_to("response_url")))
    [note] = [c for c in fake_slack.calls_to("response_url") if c.path.endswith("guest-click")]
    assert note.args["text"] == tenancy.GUEST_MENTOR_TEXT and note.args["response_type"] == "ephemeral"
    settle(knowhow)
    assert len(fake_slack.calls_to("views.open")) == opened_before

    # A volunteer form (opened by a colleague in the shared channel) submitted by the guest: the
    # form says why, and no offer is stored. The same for the find-a-mentor form.
    for command in ("volunteer", "find"):
        assert mentor(slack, command, MENTOR).status == 200
        view = stored_view(fake_slack)
        topic = topic_id(fake_slack)
        answer = (
            {ids.MENTOR_IN_TOPICS: [topic], ids.MENTOR_IN_CAPACITY: "1", ids.MENTOR_IN_YEARS: "9"}
            if command == "volunteer"
            else {ids.MENTOR_IN_TOPIC: topic, ids.MENTOR_IN_GOAL: "Lead a team"}
        )
        submitted = slack.interaction(
            slack.view_submission_payload(
                user=GUEST, view=view, values=slack.view_state_values(view, answer), user_team=PARTNER_TEAM
            )
        ).json()
        assert submitted["response_action"] == "update"
        assert submitted["view"]["blocks"][0]["text"]["text"] == tenancy.GUEST_MENTOR_TEXT
    settle(knowhow)
    assert _rows(knowhow, Volunteer) == []
    assert GUEST not in json.dumps([c.args for c in fake_slack.calls])  # never named, never introduced
    assert opened_view(fake_slack)["callback_id"] == ids.MENTOR_FIND_MODAL


def test_a_guest_is_shown_nothing_of_the_knowledge_base(knowhow, slack, fake_slack, posted):
    # A colleague's search shows the question, with a More button.
    for n in range(6):
        ask(slack, fake_slack, f"How do I rotate the API keys in region {n}?")
    settle(knowhow)
    results = slack.command("/ask", "search rotate keys", user_id="U0SEARCHER").json()
    assert "rotate" in json.dumps(results)
    [more] = [e for b in results["blocks"] if b["type"] == "actions" for e in b["elements"]]
    posts_before = len(fake_slack.calls_to("chat.postMessage"))

    # The guest's "More" (the button replayed) gets the note, and not one result.
    click = slack.block_actions_payload(
        user=GUEST,
        action_id=ids.ASK_SEARCH_MORE,
        value=more["value"],
        channel=CHANNEL,
        response_url=fake_slack.response_url("guest-more"),
        user_team=PARTNER_TEAM,
    )
    assert slack.interaction(click).status == 200
    _wait_until(lambda: any(c.path.endswith("guest-more") for c in fake_slack.calls_to("response_url")))
    [note] = [c for c in fake_slack.calls_to("response_url") if c.path.endswith("guest-more")]
    assert note.args["text"] == tenancy.GUEST_KNOWLEDGE_TEXT and "rotate" not in json.dumps(note.args)

    # The /ask form, submitted by the guest: no question stored, no suggestions looked for.
    assert slack.command("/ask", "", user_id="U0SEARCHER").status == 200
    form = stored_view(fake_slack)
    values = slack.view_state_values(form, {ids.ASK_MODAL_QUESTION: "How do I rotate the API keys?"})
    submitted = slack.interaction(
        slack.view_submission_payload(user=GUEST, view=form, values=values, user_team=PARTNER_TEAM)
    ).json()
    assert submitted["view"]["blocks"][0]["text"]["text"] == tenancy.GUEST_KNOWLEDGE_TEXT

    # Accepting an answer on a question's post in the shared channel: refused the same way.
    accept = slack.block_actions_payload(
        user=GUEST,
        action_id=ids.ASK_ACCEPT_OPEN,
        value=str(_questions(knowhow)[0].id),
        channel=QA_CHANNEL,
        response_url=fake_slack.response_url("guest-accept"),
        user_team=PARTNER_TEAM,
    )
    assert slack.interaction(accept).status == 200
    _wait_until(lambda: any(c.path.endswith("guest-accept") for c in fake_slack.calls_to("response_url")))
    settle(knowhow)
    assert len(_questions(knowhow)) == 7 and all(q.asker_id != GUEST for q in _questions(knowhow))
    assert len(fake_slack.calls_to("chat.postMessage")) == posts_before
    assert not any(GUEST in json.dumps(row.payload) for row in _rows(knowhow, OutboxMessage))


def test_a_colleague_of_the_same_workspace_in_a_shared_channel_is_no_guest(knowhow, slack, fake_slack, posted):
    """`is_ext_shared_channel: false` (a channel only this organisation shares) has no guests,
    whatever workspace a person's own team is."""
    reply = slack.thread_reply(
        channel=QA_CHANNEL, thread_ts=posted, ts="1754500000.000400", user="U0HELPER", text="x", user_team="T0SISTER01"
    )
    assert slack.event(reply, ext_shared=False).status == 200
    settle(knowhow)
    assert [a.author_id for a in _answers(knowhow)] == ["U0HELPER"]
