"""The sample company as an Enterprise Grid organisation of two workspaces (Acme London, Acme
Singapore), through the page's API with the real `knowhow run` behind it: each workspace with its
channels and people, a question answered in London suggested to an asker in Singapore with a link
into London, and a protégé in Singapore introduced to a mentor in London."""

from __future__ import annotations

import re

from slack_sdk import WebClient

from playground import sample
from tests.playground.conftest import eventually, text_of

LONDON, SINGAPORE = sample.LONDON, sample.SINGAPORE
QA, GENERAL, SG_GENERAL = sample.QA_CHANNEL, sample.GENERAL_CHANNEL, sample.SG_GENERAL_CHANNEL
ALICE, CHLOE, GRACE, HUGO, ISLA = "U0ALICE001", "U0CHLOE001", "U0GRACE001", "U0HUGO0001", "U0ISLA0001"
FELIX, LIAM, DEVIKA = "U0FELIX001", "U0LIAM0001", "U0DEVIKA01"


def _ids(state: dict, kind: str = "channel") -> set[str]:
    return {c["id"] for c in state["conversations"] if c["kind"] == kind}


def test_two_workspaces_each_with_its_channels_and_people(page, playground):
    london, singapore = page.state(ALICE, team=LONDON), page.state(ALICE, team=SINGAPORE)
    assert london["enterprise"] == singapore["enterprise"] == {"id": sample.ENTERPRISE_ID, "name": "Acme"}
    assert (london["team"]["name"], singapore["team"]["name"]) == ("Acme London", "Acme Singapore")
    # Each workspace's own channels, and those the two share (the Q&A channel among them).
    assert {GENERAL, sample.EXPERT_CHANNEL, sample.MANAGERS_CHANNEL, QA} <= _ids(london)
    assert SG_GENERAL not in _ids(london)
    assert {SG_GENERAL, sample.SG_ENGINEERING_CHANNEL, QA} <= _ids(singapore)
    assert not {GENERAL, sample.EXPERT_CHANNEL, sample.MANAGERS_CHANNEL} & _ids(singapore)
    shared = next(c for c in singapore["conversations"] if c["id"] == QA)
    assert (shared["team_id"], shared["shared_team_ids"]) == (LONDON, [SINGAPORE])
    # The organisation's workspaces, who is in each, and where each channel Alice may open is.
    offices = {w["id"]: w for w in london["workspaces"]}
    assert set(offices) == {LONDON, SINGAPORE} and all(w["is_member"] for w in offices.values())
    assert set(offices[SINGAPORE]["members"]) == set(sample.people_of(SINGAPORE))
    assert SG_GENERAL in offices[SINGAPORE]["channels"] and SG_GENERAL not in offices[LONDON]["channels"]
    users = {u["id"]: u for u in london["users"]}
    assert users[ALICE]["teams"] == [LONDON, SINGAPORE] and users[LIAM]["teams"] == [SINGAPORE]

    # Someone of one office only is in their own, whatever the page asks for.
    assert page.state(LIAM, team=LONDON)["team"]["id"] == SINGAPORE
    assert not next(w for w in page.state(LIAM)["workspaces"] if w["id"] == LONDON)["is_member"]
    assert page.post("/api/message", {"as": LIAM, "team": LONDON, "channel": QA, "text": "hi"}) == (
        400,
        {"ok": False, "error": "user_not_in_team"},
    )
    assert page.post("/api/message", {"as": LIAM, "team": "T0NOWHERE1", "channel": QA, "text": "hi"}) == (
        400,
        {"ok": False, "error": "team_not_found"},
    )
    # A channel of a workspace one is not in (or not in at the moment) is not there.
    assert page.post("/api/message", {"as": LIAM, "channel": GENERAL, "text": "hi"})[1]["error"] == "channel_not_found"
    assert page.get("/api/messages", **{"as": ALICE, "team": SINGAPORE, "channel": GENERAL})[0] == 400
    assert page.get("/api/messages", **{"as": ALICE, "team": LONDON, "channel": GENERAL})[0] == 200

    # Knowhow's token is an org-wide installation of the organisation.
    client = WebClient(token=playground.workspace.token, base_url=playground.workspace.api_url)
    who = client.auth_test()
    assert (who["enterprise_id"], who["is_enterprise_install"], who["team_id"]) == (sample.ENTERPRISE_ID, True, LONDON)


def test_a_question_answered_in_london_is_suggested_to_an_asker_in_singapore(page):
    question = "How do we book a meeting room for a client visit?"
    page.act("/api/message", as_=HUGO, channel=GENERAL, text="/ask " + question)
    post = eventually(lambda: next((m for m in page.messages(HUGO, QA) if question in text_of(m) and m["bot"]), None))
    link = "p" + post["ts"].replace(".", "")
    told = eventually(lambda: [m for m in page.messages(HUGO, GENERAL) if m["ephemeral"] and link in m["text"]])
    assert f"https://acme-london.slack.com/archives/{QA}/{link}" in told[0]["text"]  # the Q&A channel is London's
    reply = page.act(
        "/api/message", as_=GRACE, channel=QA, thread_ts=post["ts"], text="Through the Rooms app, under Visitors."
    )["ts"]
    eventually(lambda: "Answered" in text_of(next(m for m in page.messages(HUGO, QA) if m["ts"] == post["ts"])))
    page.act("/api/shortcut", as_=HUGO, callback_id="accept_answer", channel=QA, ts=reply)
    eventually(lambda: "Resolved" in text_of(next(m for m in page.messages(HUGO, QA) if m["ts"] == post["ts"])))

    # Liam, in Singapore, asks much the same: before posting it, Knowhow shows him London's answer,
    # with a link into Acme London, privately, where he asked.
    page.act("/api/message", as_=LIAM, channel=SG_GENERAL, text="/ask How do I book a meeting room for a client visit?")
    suggestion = eventually(
        lambda: [m for m in page.messages(LIAM, SG_GENERAL) if m["ephemeral"] and "Rooms app" in text_of(m)]
    )[0]
    assert f"https://acme-london.slack.com/archives/{QA}/{link}" in text_of(suggestion)
    assert "This answers it" in text_of(suggestion) and "Post my question anyway" in text_of(suggestion)
    assert not [m for m in page.messages(FELIX, SG_GENERAL) if m["ephemeral"]]  # nobody else sees it
    assert not [m for m in page.messages(LIAM, QA) if "How do I book" in text_of(m)]  # nothing posted yet

    # He chooses "This answers it": nothing is posted, in either office.
    _click(page, LIAM, SG_GENERAL, suggestion, lambda e: "answers it" in e["text"]["text"])
    eventually(lambda: not [m for m in page.messages(LIAM, SG_GENERAL) if "Post my question anyway" in text_of(m)])
    assert not [m for m in page.messages(ALICE, QA) if "How do I book" in text_of(m)]


def test_a_protege_in_singapore_is_introduced_to_a_mentor_in_london(page, playground):
    ws = playground.workspace
    # Each workspace's admins curate its list of topics: Isla in London, Alice (in both) in Singapore.
    page.act("/api/message", as_=ISLA, channel=GENERAL, text="/mentor topics add Negotiation")
    page.act("/api/message", as_=ALICE, team=SINGAPORE, channel=SG_GENERAL, text="/mentor topics add Negotiation")

    # Chloé volunteers in London.
    page.act("/api/message", as_=CHLOE, channel=GENERAL, text="/mentor volunteer")
    modal = eventually(lambda: page.state(CHLOE)["modal"])
    values = ws.fill(modal["view"], {"mentor_topics": ["Negotiation"], "mentor_years": "8"}, by_text=True)
    assert not page.act("/api/submit", as_=CHLOE, view_id=modal["id"], values=values).get("errors")
    page.act("/api/close", as_=CHLOE, view_id=eventually(lambda: page.state(CHLOE)["modal"])["id"])

    # Felix asks for a mentor in Singapore: Chloé is offered in his DM with Knowhow.
    page.act("/api/message", as_=FELIX, channel=SG_GENERAL, text="/mentor find")
    modal = eventually(lambda: page.state(FELIX)["modal"])
    assert modal["view"]["app_installed_team_id"] == SINGAPORE  # the form is Singapore's
    goal = "Negotiate the scope of a data project with a client."
    values = ws.fill(modal["view"], {"mentor_topic": "Negotiation", "mentor_goal": goal}, by_text=True)
    assert not page.act("/api/submit", as_=FELIX, view_id=modal["id"], values=values).get("errors")
    page.act("/api/close", as_=FELIX, view_id=eventually(lambda: page.state(FELIX)["modal"])["id"])
    dm = "D" + FELIX[1:]
    offer = eventually(lambda: [m for m in page.messages(FELIX, dm) if f":{CHLOE}" in str(m["blocks"])])[-1]
    _click(page, FELIX, dm, offer, "mentor_choose", f":{CHLOE}")

    # Chloé, in London, is asked in her DM and accepts.
    chloe_dm = "D" + CHLOE[1:]
    ask = eventually(lambda: [m for m in page.messages(CHLOE, chloe_dm) if "mentor_accept" in str(m["blocks"])])[-1]
    assert "Felix Wong" in text_of(ask) or f"<@{FELIX}>" in text_of(ask)
    _click(page, CHLOE, chloe_dm, ask, "mentor_accept")

    # The introduction is in a group DM of the two and Knowhow: Felix sees it in Singapore, Chloé in London.
    def group(user, team):
        found = [c for c in page.state(user, team=team)["conversations"] if c["kind"] == "mpim"]
        return [c for c in found if set(c["members"]) == {FELIX, CHLOE, sample.BOT_USER_ID}]

    [felix_side] = eventually(lambda: group(FELIX, SINGAPORE))
    [chloe_side] = group(CHLOE, LONDON)
    assert felix_side["id"] == chloe_side["id"]
    intro = eventually(lambda: page.messages(FELIX, felix_side["id"]))
    assert re.search("has agreed to mentor", text_of(intro[-1])) and goal in text_of(intro[-1])


def _click(page, user, channel, message, action_id, value_end=""):
    """`user` clicks a button of `message`: by action_id (and how its value ends), or the first for
    which `action_id(button)` is true. A block stored without an id goes by `auto-<index>` (API.md)."""
    for i, block in enumerate(message["blocks"]):
        for element in block.get("elements") or [block.get("accessory")]:
            if not isinstance(element, dict) or element.get("type") != "button":
                continue
            if callable(action_id):
                wanted = action_id(element)
            else:
                wanted = element.get("action_id") == action_id and str(element.get("value", "")).endswith(value_end)
            if wanted:
                page.act(
                    "/api/action",
                    as_=user,
                    where={"type": "message", "channel": channel, "ts": message["ts"]},
                    block_id=block.get("block_id") or f"auto-{i}",
                    action_id=element["action_id"],
                    value=element.get("value"),
                )
                return
    raise AssertionError(f"no such button in {message}")
