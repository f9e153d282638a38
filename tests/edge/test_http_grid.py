"""An Enterprise Grid organisation under one bot token, through signed requests into the running app:
an org-wide token serves every workspace of its organisation (each request counted for its own
workspace, recorded in the organisation's pool, answered with the token), and nothing of
another organisation; a token installed in one workspace of the organisation serves that one."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot import tenancy
from fakeslack import SlackSender
from fakeslack.answers import ok
from storage.db import session_scope
from storage.models import Answer, OutboxMessage, Question, Workspace

from ..settle import settle
from .conftest import QA_CHANNEL, SECRET
from .test_http_ask import _wait_until

GRID = "E0GRID0001"
OFFICE_A = "T0FAKETEAM"  # where the token was issued (the stand-in's own workspace)
OFFICE_B = "T0GRIDB002"
OTHER_GRID, OTHER_TEAM = "E0OTHER001", "T0OTHERG01"
PARTNER_TEAM = "T0PARTNER1"


@pytest.fixture(params=[True], ids=["org-wide"])
def org_wide(request):
    return request.param


@pytest.fixture
def fake_slack(fake_slack, org_wide):
    """auth.test as Slack answers it for a bot token of a Grid organisation's workspace, installed
    org-wide or in that workspace only."""

    @fake_slack.handler("auth.test")
    def auth_test(call):
        return ok(
            url="https://grid-a.enterprise.slack.com/",
            team="Office A",
            user="knowhow",
            team_id=OFFICE_A,
            user_id=fake_slack.bot_user_id,
            bot_id=fake_slack.bot_id,
            enterprise_id=GRID,
            is_enterprise_install=org_wide,
        )

    return fake_slack


def office(knowhow, team_id, *, enterprise_id=GRID, org_wide=True) -> SlackSender:
    return SlackSender(
        f"http://127.0.0.1:{knowhow.http.port}/slack/events",
        SECRET,
        team_id=team_id,
        team_domain=team_id.lower(),
        enterprise_id=enterprise_id,
        is_enterprise_install=org_wide,
    )


def _rows(knowhow, model):
    with session_scope(knowhow.engine) as s:
        return list(s.exec(select(model).execution_options(all_workspaces=True)))


def _posted(knowhow, fake_slack, text):
    _wait_until(lambda: any(text in (c.args.get("text") or "") for c in fake_slack.calls_to("chat.postMessage")))
    settle(knowhow)
    [question] = [q for q in _rows(knowhow, Question) if q.text == text]
    return question


def test_an_org_wide_token_serves_every_workspace_of_its_organisation(knowhow, fake_slack):
    assert knowhow.deps.identity.enterprise_install and knowhow.deps.identity.enterprise_id == GRID
    a, b = office(knowhow, OFFICE_A), office(knowhow, OFFICE_B)
    for sender, text in ((a, "How do I book the Paris meeting room?"), (b, "Who approves travel in Singapore?")):
        response = sender.command("/ask", text, response_url=fake_slack.response_url(sender.team_id))
        assert response.status == 200 and response.json()["text"] != tenancy.NOT_SERVED_TEXT
    question_a = _posted(knowhow, fake_slack, "How do I book the Paris meeting room?")
    question_b = _posted(knowhow, fake_slack, "Who approves travel in Singapore?")
    # Each question is its own workspace's, both posted with the one token.
    assert (question_a.team_id, question_b.team_id) == (OFFICE_A, OFFICE_B)
    assert all(
        c.headers["authorization"] == f"Bearer {fake_slack.token}" for c in fake_slack.calls_to("chat.postMessage")
    )
    # Office B was recorded the first time it was heard from, in the organisation's pool.
    orgs = {w.team_id: w.org_id for w in _rows(knowhow, Workspace)}
    assert orgs == {OFFICE_A: GRID, OFFICE_B: GRID}

    # Office B's events arrive with no workspace in `authorizations` (an org-wide install):
    # `context_team_id` says which.
    reply = b.thread_reply(
        channel=QA_CHANNEL, thread_ts=question_b.message_ts, ts="1754500000.000200", user="W0HELPER01", text="Ana does"
    )
    assert b.event(reply).status == 200
    settle(knowhow)
    [answer] = _rows(knowhow, Answer)
    assert (answer.team_id, answer.question_id) == (OFFICE_B, question_b.id)


def test_an_org_wide_token_serves_nothing_of_another_organisation(knowhow, fake_slack):
    before = len(fake_slack.calls)
    other = office(knowhow, OTHER_TEAM, enterprise_id=OTHER_GRID)
    response = other.command("/ask", "Anything?", response_url=fake_slack.response_url("x"))
    assert response.json()["text"] == tenancy.NOT_SERVED_TEXT
    settle(knowhow)
    assert _rows(knowhow, Question) == [] and _rows(knowhow, OutboxMessage) == []
    assert {w.team_id for w in _rows(knowhow, Workspace)} == {OFFICE_A}
    assert len(fake_slack.calls) == before


def test_people_of_the_organisation_are_no_guests_in_a_slack_connect_channel(knowhow, fake_slack):
    """In a channel shared with a partner organisation, a person of another workspace of the
    organisation (or of the organisation itself, an `E…` team) is one of ours; the partner's is not."""
    a, b = office(knowhow, OFFICE_A), office(knowhow, OFFICE_B)
    assert b.command("/ask", "help").status == 200  # Office B is known to be the organisation's
    a.command("/ask", "How do I book the Paris meeting room?", response_url=fake_slack.response_url("a"))
    question = _posted(knowhow, fake_slack, "How do I book the Paris meeting room?")
    replies = [
        ("W0COLLEAG1", OFFICE_B, "Use the room app"),
        ("W0ORGUSER1", GRID, "Or ask the front desk"),
        ("U0GUEST001", PARTNER_TEAM, "We use a spreadsheet"),
    ]
    for n, (user, team, text) in enumerate(replies):
        reply = a.thread_reply(
            channel=QA_CHANNEL,
            thread_ts=question.message_ts,
            ts=f"1754500000.00030{n}",
            user=user,
            text=text,
            user_team=team,
        )
        assert a.event(reply, ext_shared=True).status == 200
    settle(knowhow)
    assert sorted(x.author_id for x in _rows(knowhow, Answer)) == ["W0COLLEAG1", "W0ORGUSER1"]


@pytest.mark.parametrize("org_wide", [False], ids=["one-workspace"], indirect=True)
def test_a_token_installed_in_one_workspace_serves_that_workspace_only(knowhow, fake_slack, org_wide):
    a, b = office(knowhow, OFFICE_A, org_wide=False), office(knowhow, OFFICE_B, org_wide=False)
    assert b.command("/ask", "Who approves travel?").json()["text"] == tenancy.NOT_SERVED_TEXT
    a.command("/ask", "How do I book the Paris meeting room?", response_url=fake_slack.response_url("a"))
    question = _posted(knowhow, fake_slack, "How do I book the Paris meeting room?")
    assert question.team_id == OFFICE_A
    assert {w.team_id: w.org_id for w in _rows(knowhow, Workspace)} == {OFFICE_A: GRID}
