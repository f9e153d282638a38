"""An Enterprise Grid organisation is one pool, end to end: signed requests from two workspaces of
one organisation (Knowhow installed org-wide, the stand-in's `grid`), and from a workspace of
another organisation. A question answered in Paris is suggested to an asker in Singapore with a
link that opens in Paris; a question of a private channel is found only there; a protégé in Paris
is matched with a mentor in Singapore and introduced; the other organisation sees none of it.

(The edge's middleware, bot.tenancy, records each workspace at its first request; Singapore is
recorded here beforehand, so the organisation's pool is whole from the first request on. Requests
of the other organisation are refused by that middleware under Acme's token.)"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot import ids
from fakeslack import SlackSender
from notify import kinds
from storage import channels, outbox, workspaces
from storage.db import session_scope
from storage.models import Answer, MentorRequest, Mentorship, OutboxMessage, Question, ScoreboardSettings, Volunteer

from ..settle import settle
from .conftest import QA_CHANNEL, SECRET
from .test_http_ask import _wait_until
from .test_http_mentor import buttons, dms_to, stored_view, submit, topic_id

ACME, GLOBEX = "E0ACME0001", "E0GLOBEX01"
PARIS, SINGAPORE, OTHER = "T0FAKETEAM", "T0SINGAP01", "T0GLOBEX01"  # Paris is the stand-in's own workspace
PARIS_GENERAL, SINGAPORE_GENERAL = "C0GENERAL1", "C0SGGENRL1"
ADMIN = "W0ADMIN001"  # Knowhow admin (KNOWHOW_ADMINS)
ORG_ADMIN = "W0ORGADMN1"  # an admin of the Grid organisation, not of either workspace
ASKER, HELPER = "W0PARIS001", "W0PARIS002"
SEEKER = "W0SINGAP01"
PROTEGE, MENTOR = "W0NEWMGR01", "W0OLDMGR01"  # Paris, Singapore
VPN = "How do I set up the VPN on a new laptop?"


@pytest.fixture
def acme(fake_slack):
    """The stand-in's workspace (Paris) and Singapore, one Grid organisation, Knowhow installed org-wide."""
    fake_slack.grid(ACME, "Acme")
    fake_slack.add_workspace(SINGAPORE, "Acme Singapore", domain="acme-singapore")
    fake_slack.add_channel(SINGAPORE_GENERAL, team_id=SINGAPORE)
    fake_slack.add_workspace(OTHER, "Globex", domain="globex")  # of another organisation, on the same stand-in
    fake_slack.add_user(PROTEGE, title="Engineering Manager", tz="Europe/Paris", tz_offset=3600)
    fake_slack.add_user(MENTOR, team_id=SINGAPORE, title="Engineering Manager", tz="Asia/Singapore", tz_offset=28800)
    fake_slack.add_user(ORG_ADMIN, team_id=SINGAPORE, teams=[PARIS, SINGAPORE], is_org_admin=True)
    return fake_slack


@pytest.fixture
def settings(settings, acme):
    return settings.model_copy(update=dict(admins=frozenset({ADMIN})))


@pytest.fixture
def org(knowhow):
    with session_scope(knowhow.engine) as s:
        workspaces.seen(s, team_id=SINGAPORE, enterprise_id=ACME, name="Acme Singapore")


def _sender(knowhow, team_id, domain, enterprise_id):
    return SlackSender(
        f"http://127.0.0.1:{knowhow.http.port}/slack/events",
        SECRET,
        team_id=team_id,
        team_domain=domain,
        enterprise_id=enterprise_id,
        is_enterprise_install=True,
    )


@pytest.fixture
def paris(knowhow, org):
    return _sender(knowhow, PARIS, "fake-mentors", ACME)


@pytest.fixture
def singapore(knowhow, org):
    return _sender(knowhow, SINGAPORE, "acme-singapore", ACME)


@pytest.fixture
def globex(knowhow, org):
    return _sender(knowhow, OTHER, "globex", GLOBEX)


def _rows(knowhow, model, *where):
    with session_scope(knowhow.engine) as s:
        return s.exec(select(model).where(*where)).all()


def _answered_in_paris(knowhow, fake_slack, paris, channel_type="channel"):
    """A question asked in Paris, posted in its Q&A channel, answered in the thread."""
    paris.command("/ask", VPN, user_id=ASKER, channel_id=PARIS_GENERAL, response_url=fake_slack.response_url("ask"))
    _wait_until(lambda: any(q.permalink for q in _rows(knowhow, Question)))
    [question] = _rows(knowhow, Question)
    reply = paris.thread_reply(
        channel=QA_CHANNEL,
        thread_ts=question.message_ts,
        ts=f"{float(question.message_ts) + 10:.6f}",
        user=HELPER,
        text="Install the client from the IT portal, then sign in with SSO.",
    )
    reply["channel_type"] = channel_type  # "group" in a private channel
    assert paris.event(reply).status == 200
    _wait_until(lambda: _rows(knowhow, Answer))
    return question


def test_a_question_answered_in_paris_is_suggested_in_singapore_with_a_link_into_paris(
    knowhow, fake_slack, paris, singapore, globex
):
    question = _answered_in_paris(knowhow, fake_slack, paris)
    assert question.permalink.startswith(f"https://fake-mentors.slack.com/archives/{QA_CHANNEL}/")

    # Lessons already learned, before a question from Singapore is posted.
    singapore.command(
        "/ask",
        "VPN setup on my new laptop?",
        user_id=SEEKER,
        channel_id=SINGAPORE_GENERAL,
        response_url=fake_slack.response_url("suggested"),
    )
    _wait_until(lambda: any(c.path.endswith("suggested") for c in fake_slack.calls_to("response_url")))
    [told] = [c for c in fake_slack.calls_to("response_url") if c.path.endswith("suggested")]
    shown = json.dumps(told.args)
    assert question.permalink in shown and "Install the client from the IT portal" in shown
    assert "acme-singapore.slack.com" not in shown
    held = [q for q in _rows(knowhow, Question) if q.team_id == SINGAPORE]
    assert [q.status for q in held] == ["held"]  # not posted: the asker chooses first

    # /ask search from Singapore finds it too, with the same link.
    body = singapore.command("/ask", "search vpn laptop", user_id=SEEKER, channel_id=SINGAPORE_GENERAL).json()
    assert question.permalink in json.dumps(body["blocks"])

    # Another organisation finds nothing, whatever it types.
    theirs = json.dumps(globex.command("/ask", "search vpn laptop", user_id=ASKER, channel_id=PARIS_GENERAL).json())
    assert question.permalink not in theirs and "IT portal" not in theirs


def test_a_question_of_a_private_channel_is_found_only_in_that_channel(knowhow, fake_slack, paris, singapore):
    fake_slack.add_channel(QA_CHANNEL, private=True)  # questions go to a private channel Knowhow was invited to
    question = _answered_in_paris(knowhow, fake_slack, paris, channel_type="group")
    assert fake_slack.calls_to("conversations.info")[0].args["channel"] == QA_CHANNEL

    def found(sender, channel):
        body = sender.command("/ask", "search vpn laptop", user_id=HELPER, channel_id=channel).json()
        return question.permalink in json.dumps(body)

    assert not found(singapore, SINGAPORE_GENERAL)
    assert not found(paris, PARIS_GENERAL)
    assert found(paris, QA_CHANNEL)


def test_conversations_that_held_questions_before_the_upgrade_are_asked_about(knowhow, fake_slack):
    """Migration 0011 queues one `ask.channel_privacy` row per conversation questions were posted in."""
    fake_slack.add_channel("C0INVITED1", private=True)
    fake_slack.private_channels.add("C0LEFT0001")  # private, and Knowhow is no longer in it
    with session_scope(knowhow.engine) as s:
        for channel in ("C0PUBLIC01", "C0INVITED1", "C0LEFT0001"):
            outbox.enqueue(
                s,
                team_id=PARIS,
                dedupe_key=f"channel-privacy:{channel}",
                kind=kinds.OUTBOX_CHANNEL_PRIVACY,
                payload={"channel_id": channel},
            )
    knowhow.deps.wake_outbox()
    _wait_until(lambda: len(fake_slack.calls_to("conversations.info")) == 3)
    settle(knowhow)
    with session_scope(knowhow.engine) as s:
        known = {
            c: channels.is_private(s, team_id=PARIS, channel_id=c) for c in ("C0PUBLIC01", "C0INVITED1", "C0LEFT0001")
        }
    assert known == {"C0PUBLIC01": False, "C0INVITED1": True, "C0LEFT0001": None}  # unknown: counts as private


def test_a_protege_in_paris_is_introduced_to_a_mentor_in_singapore(knowhow, fake_slack, paris, singapore, globex):
    for sender in (paris, singapore):
        sender.command("/mentor", "topics add Leadership", user_id=ADMIN, channel_id=PARIS_GENERAL)
    # The mentor volunteers in Singapore, in Singapore's form.
    assert singapore.command("/mentor", "volunteer", user_id=MENTOR, channel_id=SINGAPORE_GENERAL).status == 200
    assert stored_view(fake_slack)["app_installed_team_id"] == SINGAPORE
    answers = {ids.MENTOR_IN_TOPICS: [topic_id(fake_slack)], ids.MENTOR_IN_CAPACITY: "1", ids.MENTOR_IN_YEARS: "6"}
    assert submit(singapore, fake_slack, MENTOR, answers).json()["response_action"] == "update"
    assert [v.team_id for v in _rows(knowhow, Volunteer)] == [SINGAPORE]

    # The protégé asks in Paris: the mentor in Singapore is offered, by direct message in Paris.
    assert paris.command("/mentor", "find", user_id=PROTEGE, channel_id=PARIS_GENERAL).status == 200
    submit(paris, fake_slack, PROTEGE, {ids.MENTOR_IN_TOPIC: topic_id(fake_slack), ids.MENTOR_IN_GOAL: "My first team"})
    _wait_until(lambda: dms_to(fake_slack, PROTEGE))
    [choose] = buttons(dms_to(fake_slack, PROTEGE)[-1], ids.MENTOR_CHOOSE)
    assert choose["value"].endswith(f":{MENTOR}")
    assert paris.interaction(_click(paris, fake_slack, PROTEGE, choose, "choose")).status == 200

    # The mentor is asked in Singapore and accepts there.
    _wait_until(lambda: dms_to(fake_slack, MENTOR))
    ask = [row for row in _rows(knowhow, OutboxMessage) if row.kind == "mentor.ask"]
    assert [row.team_id for row in ask] == [SINGAPORE]
    [accept] = buttons(dms_to(fake_slack, MENTOR)[-1], ids.MENTOR_ACCEPT)
    fake_slack.fail_next("conversations.open", error="user_not_found")  # Paris's side cannot reach the mentor
    assert singapore.interaction(_click(singapore, fake_slack, MENTOR, accept, "accept")).status == 200
    _wait_until(lambda: _rows(knowhow, Mentorship)[0].group_channel)
    [ship] = _rows(knowhow, Mentorship)
    assert (ship.team_id, ship.mentor_team_id, ship.state) == (PARIS, SINGAPORE, "active")
    # Tried in the protégé's workspace first, then opened in the mentor's.
    intros = [row for row in _rows(knowhow, OutboxMessage) if row.kind == "mentor.intro"]
    assert sorted((row.team_id, row.status) for row in intros) == [(PARIS, "sent"), (SINGAPORE, "sent")]
    opened = fake_slack.calls_to("conversations.open")
    assert len(opened) == 2 and set(opened[-1].args["users"].split(",")) == {MENTOR, PROTEGE}
    _wait_until(lambda: fake_slack.messages.get(ship.group_channel))
    assert "My first team" in json.dumps(fake_slack.messages[ship.group_channel][-1]["blocks"])

    # Another organisation's people never reach Acme's pool: under Acme's token they are refused
    # (bot.tenancy) before anything is read or stored.
    refused = globex.command("/mentor", "find", user_id="W0GLOBEX01", channel_id=PARIS_GENERAL)
    assert refused.status == 200 and MENTOR not in refused.body.decode()
    assert [r.team_id for r in _rows(knowhow, MentorRequest)] == [PARIS]
    assert not dms_to(fake_slack, "W0GLOBEX01")


def _click(sender, fake_slack, user, button, name):
    return sender.block_actions_payload(
        user=user,
        action_id=button["action_id"],
        value=button["value"],
        channel="D" + user[1:],
        response_url=fake_slack.response_url(name),
    )


def test_organisation_admins_administer_every_workspace_and_choose_whose_scoreboard(
    knowhow, fake_slack, paris, singapore
):
    # Neither a Paris admin nor a Singapore admin, but an admin of the organisation.
    assert "on the mentoring list" in paris.command("/mentor", "topics add Hiring", user_id=ORG_ADMIN).json()["text"]
    assert "Only admins can" in paris.command("/mentor", "topics add Hiring", user_id=SEEKER).json()["text"]
    # The scoreboard's settings ask whose figures, in an organisation of two workspaces.
    assert paris.command("/mentor", "scoreboard settings", user_id=ORG_ADMIN).status == 200
    view = stored_view(fake_slack)
    assert ids.SCOREBOARD_IN_SCOPE in {b.get("block_id") for b in view["blocks"]}
    body = submit(
        paris,
        fake_slack,
        ORG_ADMIN,
        {
            ids.SCOREBOARD_IN_CHANNEL: PARIS_GENERAL,
            ids.SCOREBOARD_IN_DAY: "0",
            ids.SCOREBOARD_IN_TIME: "09:00",
            ids.SCOREBOARD_IN_SCOPE: "workspace",
        },
    ).json()
    assert "this workspace's figures only" in json.dumps(body["view"])
    [saved] = _rows(knowhow, ScoreboardSettings)
    assert (saved.team_id, saved.scope) == (PARIS, "workspace")
    shown = json.dumps(paris.command("/mentor", "scoreboard", user_id=SEEKER).json())
    assert "the whole organisation" not in shown
    assert "the whole organisation (2 workspaces)" in json.dumps(
        singapore.command("/mentor", "scoreboard", user_id=SEEKER, channel_id=SINGAPORE_GENERAL).json()
    )
