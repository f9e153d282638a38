"""The playground end to end, without a browser: the page's JSON API, the workspace behind it, and
Knowhow itself (`knowhow run`, unchanged, as a child process) answering through it."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from playground import sample
from tests.playground.conftest import eventually, text_of

DEVIKA, GRACE, EMMA, BEN, ALICE = "U0DEVIKA01", "U0GRACE001", "U0EMMA0001", "U0BEN00001", "U0ALICE001"
KEIKO, LIAM = "U0KEIKO001", "U0LIAM0001"
QA, GENERAL, SG_GENERAL = sample.QA_CHANNEL, sample.GENERAL_CHANNEL, sample.SG_GENERAL_CHANNEL


def _post_of(page, question: str) -> dict:
    """The question's post in the Q&A channel, once Knowhow has made it."""
    return eventually(lambda: next((m for m in page.messages(EMMA, QA) if question in text_of(m) and m["bot"]), None))


def test_the_state_describes_the_workspace(page):
    state = page.state(DEVIKA)  # in Acme Singapore, her only workspace
    assert state["team"] == {"id": sample.SINGAPORE, "name": "Acme Singapore", "domain": "acme-singapore"}
    assert state["enterprise"] == {"id": sample.ENTERPRISE_ID, "name": "Acme"}
    assert state["bot"]["user_id"] == sample.BOT_USER_ID
    assert state["me"] == DEVIKA
    assert len(state["users"]) == len(sample.PEOPLE)
    devika = next(u for u in state["users"] if u["id"] == DEVIKA)
    assert devika["tz"] == "Asia/Kolkata" and devika["title"] == "Senior Software Engineer"
    assert devika["teams"] == [sample.SINGAPORE]
    kinds = {c["id"]: c["kind"] for c in state["conversations"]}
    assert kinds[QA] == "channel" and kinds["D" + DEVIKA[1:]] == "im"
    assert GENERAL not in kinds and kinds[SG_GENERAL] == "channel"  # Singapore's channels, and the shared ones
    assert sample.MANAGERS_CHANNEL not in kinds  # London's, private, and Devika is not in it
    assert sample.MANAGERS_CHANNEL in {c["id"] for c in page.state(BEN)["conversations"]}
    assert {c["command"] for c in state["commands"]} == {"/ask", "/mentor", "/expert"}
    assert [(s["callback_id"], s["name"]) for s in state["shortcuts"]] == [
        ("accept_answer", "Accept as answer"),
        ("lesson_save", "Save as a lesson"),
    ]  # the manifest's message shortcuts, in its order
    assert all(s["description"] for s in state["shortcuts"])
    assert state["modal"] is None and state["home"] is None


def test_ask_answer_in_the_thread_and_accept(page):
    """Devika asks in Singapore; Grace answers from London in the shared Q&A channel's thread."""
    question = "How do we run a blameless post-mortem after an incident?"
    before = page.state(DEVIKA)["version"]
    assert page.act("/api/message", as_=DEVIKA, channel=SG_GENERAL, text="/ask " + question) == {
        "ok": True,
        "command": True,
    }

    post = _post_of(page, question)
    assert post["user"] == sample.BOT_USER_ID and not post["ephemeral"]
    assert f"<@{DEVIKA}>" in text_of(post)
    # The asker hears privately where it went (through the command's response_url); nobody else does.
    link = "p" + post["ts"].replace(".", "")
    told = eventually(lambda: [m for m in page.messages(DEVIKA, SG_GENERAL) if m["ephemeral"] and link in m["text"]])
    assert told[0]["user"] == sample.BOT_USER_ID
    assert not [m for m in page.messages(ALICE, SG_GENERAL) if m["ephemeral"]]
    assert page.state(DEVIKA)["version"] > before

    # Grace answers in the thread: a `message` event Knowhow records as an answer.
    reply = page.act(
        "/api/message", as_=GRACE, channel=QA, text="Write the timeline first, facts only.", thread_ts=post["ts"]
    )["ts"]
    thread = page.thread(EMMA, QA, post["ts"])
    assert thread["root"]["reply_count"] == 1 and thread["root"]["reply_users"] == [GRACE]
    assert [r["ts"] for r in thread["replies"]] == [reply]
    assert [m["ts"] for m in page.messages(EMMA, QA)].count(reply) == 0  # replies stay in the thread

    # Someone else may not accept it; the asker may, with the message shortcut.
    page.act("/api/shortcut", as_=EMMA, callback_id="accept_answer", channel=QA, ts=reply)
    refused = eventually(lambda: [r for r in page.thread(EMMA, QA, post["ts"])["replies"] if r["ephemeral"]])
    assert "accept" in refused[0]["text"].lower()
    page.act("/api/shortcut", as_=DEVIKA, callback_id="accept_answer", channel=QA, ts=reply)
    accepted = eventually(
        lambda: [
            r for r in page.thread(DEVIKA, QA, post["ts"])["replies"] if r["ephemeral"] and "Accepted" in r["text"]
        ]
    )
    assert accepted
    # Only the person it is for sees an ephemeral: Grace sees none of them.
    assert not [r for r in page.thread(GRACE, QA, post["ts"])["replies"] if r["ephemeral"]]
    # The post is updated in place: resolved, with a link to the accepted answer.
    resolved = eventually(lambda: "Resolved" in text_of(_post_of(page, question)) and _post_of(page, question))
    assert "p" + reply.replace(".", "") in text_of(resolved)


def test_edit_delete_and_react(page):
    question = "Which linter do teams use for Python?"
    page.act("/api/message", as_=EMMA, channel=GENERAL, text="/ask " + question)
    post = _post_of(page, question)
    eventually(
        lambda: [
            m for m in page.messages(EMMA, GENERAL) if m["ephemeral"] and "p" + post["ts"].replace(".", "") in m["text"]
        ]
    )
    reply = page.act("/api/message", as_=BEN, channel=QA, text="ruff, mostly", thread_ts=post["ts"])["ts"]
    page.act("/api/edit", as_=BEN, channel=QA, ts=reply, text="ruff, and mypy for types")
    shown = page.thread(EMMA, QA, post["ts"])["replies"][0]
    assert shown["edited"] and shown["text"] == "ruff, and mypy for types"

    status, body = page.post("/api/edit", {"as": EMMA, "channel": QA, "ts": reply, "text": "mine now"})
    assert (status, body) == (400, {"ok": False, "error": "cant_update_message"})

    page.act("/api/react", as_=EMMA, channel=QA, ts=reply, name="thumbsup")
    shown = page.thread(EMMA, QA, post["ts"])["replies"][0]
    assert shown["reactions"] == [{"name": "thumbsup", "count": 1, "users": [EMMA]}]
    status, body = page.post("/api/react", {"as": EMMA, "channel": QA, "ts": reply, "name": "thumbsup"})
    assert (status, body) == (400, {"ok": False, "error": "already_reacted"})

    page.act("/api/delete", as_=BEN, channel=QA, ts=reply)
    assert page.thread(EMMA, QA, post["ts"])["replies"] == []


def test_a_slash_commands_ephemeral_answer_shows_only_for_its_user(page):
    assert page.act("/api/message", as_=BEN, channel=GENERAL, text="/ask help")["command"] is True
    mine = [m for m in page.messages(BEN, GENERAL) if m["ephemeral"] and "/ask" in text_of(m)]
    assert mine and mine[-1]["user"] == sample.BOT_USER_ID and mine[-1]["bot"]
    for other in (EMMA, GRACE):
        assert not [m for m in page.messages(other, GENERAL) if m["ephemeral"] and m["ts"] == mine[-1]["ts"]]


def test_a_modal_opened_by_a_command_is_that_users_and_its_submission_works(page):
    page.act("/api/message", as_=GRACE, channel=GENERAL, text="/ask")
    modal = page.state(GRACE)["modal"]
    assert modal is not None and modal["stack_depth"] == 1 and modal["errors"] == {}
    assert modal["view"]["type"] == "modal" and modal["view"]["id"] == modal["id"]
    assert page.state(EMMA)["modal"] is None and page.state(DEVIKA)["modal"] is None

    # Someone else cannot submit it.
    status, body = page.post("/api/submit", {"as": EMMA, "view_id": modal["id"], "values": {}})
    assert (status, body) == (400, {"ok": False, "error": "view_not_found"})

    # A required input left empty is refused before anything is sent, as Slack's client does.
    answer = page.act("/api/submit", as_=GRACE, view_id=modal["id"], values={})
    assert answer["errors"] and page.state(GRACE)["modal"]["errors"] == answer["errors"]

    # The external select of topics asks Knowhow for its options (block_suggestion).
    view = modal["view"]
    question_block = next(
        b for b in view["blocks"] if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    )
    topics = next(b for b in view["blocks"] if b["type"] == "input" and "external" in b["element"]["type"])
    offered = page.act(
        "/api/options",
        as_=GRACE,
        view_id=modal["id"],
        block_id=topics["block_id"],
        action_id=topics["element"]["action_id"],
        value="Hiring",
    )
    # Knowhow's answer as it gave it: options, and no option_groups beside them (Slack takes one).
    assert "option_groups" not in offered and any("Hiring" in json.dumps(o) for o in offered["options"])

    question = "What makes a good structured interview loop for senior engineers?"
    values = {
        question_block["block_id"]: {
            question_block["element"]["action_id"]: {"type": "plain_text_input", "value": question}
        }
    }
    answer = page.act("/api/submit", as_=GRACE, view_id=modal["id"], values=values)
    assert "errors" not in answer
    # The form says "looking…" after the ack, then what became of the question, in place.
    shown = eventually(
        lambda: "posting your question" in json.dumps((page.state(GRACE)["modal"] or {}).get("view") or {})
    )
    assert shown and page.state(GRACE)["modal"]["id"] == modal["id"]
    assert _post_of(page, question)


def test_app_home_opened_publishes_the_home(page):
    assert page.state(KEIKO)["home"] is None  # Keiko has done nothing yet
    page.act("/api/home", as_=KEIKO)
    home = eventually(lambda: page.state(KEIKO)["home"])
    assert home["type"] == "home" and home["blocks"]
    assert page.state(LIAM)["home"] is None
    # A button on the Home (Ask) opens a modal for that person, through a trigger_id of theirs.
    block, ask = next(
        (b, e) for b in home["blocks"] if b["type"] == "actions" for e in b["elements"] if "Ask" in e["text"]["text"]
    )
    page.act(
        "/api/action",
        as_=KEIKO,
        where={"type": "view", "view_id": home["id"]},
        block_id=block["block_id"],
        action_id=ask["action_id"],
    )
    modal = eventually(lambda: page.state(KEIKO)["modal"])
    assert page.state(LIAM)["modal"] is None
    page.act("/api/close", as_=KEIKO, view_id=modal["id"])
    assert page.state(KEIKO)["modal"] is None


def test_the_page_api_refuses_bad_requests_as_slack_does(page):
    assert page.get("/api/nothing") == (404, {"ok": False, "error": "unknown_method"})
    assert page.post("/api/message", {"as": DEVIKA, "text": "hello"}) == (
        400,
        {"ok": False, "error": "invalid_arguments"},
    )
    assert page.post("/api/message", {"as": "U0NOBODY01", "channel": GENERAL, "text": "hi"}) == (
        400,
        {"ok": False, "error": "user_not_found"},
    )
    assert page.post("/api/message", {"as": DEVIKA, "channel": "C0NOWHERE1", "text": "hi"}) == (
        400,
        {"ok": False, "error": "channel_not_found"},
    )
    assert page.post("/api/message", {"as": DEVIKA, "channel": sample.MANAGERS_CHANNEL, "text": "hi"}) == (
        400,
        {"ok": False, "error": "channel_not_found"},
    )
    assert page.post("/api/message", {"as": DEVIKA, "channel": GENERAL, "text": "/nope x"}) == (
        400,
        {"ok": False, "error": "invalid_command"},
    )
    assert page.post("/api/shortcut", {"as": DEVIKA, "callback_id": "nope", "channel": QA, "ts": "1.000001"}) == (
        400,
        {"ok": False, "error": "invalid_callback_id"},
    )
    assert page.get("/api/messages", **{"as": DEVIKA, "channel": "D0GRACE001"}) == (
        400,
        {"ok": False, "error": "channel_not_found"},
    )
    assert page.get("/api/thread", **{"as": DEVIKA, "channel": QA, "ts": "1.000001"}) == (
        400,
        {"ok": False, "error": "thread_not_found"},
    )
    status, body = page.post(
        "/api/action", {"as": DEVIKA, "where": {"type": "view", "view_id": "V0NOPE"}, "action_id": "x"}
    )
    assert (status, body) == (400, {"ok": False, "error": "view_not_found"})
    # Not JSON: refused (a form on another site cannot post here).
    request = urllib.request.Request(
        page.url + "/api/message",
        data=b"as=U0DEVIKA01&channel=C0GENERAL1&text=hi",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    status, body = page._open(request)
    assert (status, body) == (415, {"ok": False, "error": "invalid_content_type"})


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_the_workspaces_web_api_answers_with_slacks_errors(playground):
    ws = playground.workspace
    client = WebClient(token=ws.token, base_url=ws.api_url)
    assert client.auth_test()["user_id"] == sample.BOT_USER_ID

    def error(call, **kwargs) -> str:
        try:
            call(**kwargs)
        except SlackApiError as exc:
            return exc.response["error"]
        raise AssertionError("no error")

    assert error(client.api_call, api_method="chat.nope") == "unknown_method"
    assert error(client.chat_postMessage, channel="C0NOWHERE1", text="x") == "channel_not_found"
    assert error(client.chat_postMessage, channel=sample.MANAGERS_CHANNEL, text="x") == "channel_not_found"
    assert error(client.chat_postMessage, channel=GENERAL, text="x") == "not_in_channel"  # not a member yet
    assert error(client.chat_postMessage, channel=QA) == "no_text"
    assert (
        error(client.conversations_join, channel=sample.MANAGERS_CHANNEL) == "channel_not_found"
    )  # private, not invited
    assert (
        error(
            client.views_open,
            trigger_id="123.456.abc",
            view={"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
        )
        == "invalid_trigger_id"
    )
    assert error(client.chat_postEphemeral, channel=QA, user="U0NOBODY01", text="x") == "user_not_found"
    assert error(client.users_info, user="U0NOBODY01") == "user_not_found"
    assert error(WebClient(token="xoxb-wrong", base_url=ws.api_url).auth_test) == "invalid_auth"


def test_every_server_binds_loopback_only(playground):
    import socket

    ports = {
        "workspace": playground.workspace.address,
        "page": playground.page.httpd.server_address,
    }
    assert all(address[0] == "127.0.0.1" for address in ports.values()), ports
    # Knowhow is a child process: nothing answers on its port at any other address of this machine.
    addresses = set()
    with contextlib.suppress(OSError):
        addresses |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect(("10.255.255.255", 1))  # UDP: picks a route, sends nothing
        addresses.add(probe.getsockname()[0])
        probe.close()
    except OSError:
        pass
    addresses = {a for a in addresses if not a.startswith("127.") and a != "0.0.0.0"}
    for port in (playground.knowhow_port, playground.page.port, playground.workspace.address[1]):
        for address in addresses:
            with socket.socket() as s:
                s.settimeout(1)
                assert s.connect_ex((address, port)) != 0, f"port {port} answers on {address}"
    # The same, read from the kernel's table where there is one (Linux): every listener is 127.0.0.1.
    try:
        table = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        table = []
    for row in table:
        local, state = row.split()[1], row.split()[3]
        host, port = local.split(":")
        if state == "0A" and int(port, 16) in (playground.knowhow_port, playground.page.port):
            assert host == "0100007F", row


def test_the_page_has_a_content_security_policy_and_cannot_be_framed(page):
    for path in ("/", "/static/main.js", "/static/blockkit.js", "/api/state"):
        with page.opener.open(page.url + path, timeout=15) as answer:
            csp = answer.headers["Content-Security-Policy"]
            assert answer.headers["X-Frame-Options"] == "DENY"
        assert csp == (
            "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'"
        )


@pytest.mark.parametrize(
    "length,status,error",
    [("abc", 400, "invalid_content_length"), ("-1", 400, "invalid_content_length"), (str(10**12), 413, "too_large")],
)
def test_a_content_length_that_is_not_a_small_whole_number_is_refused(page, length, status, error):
    import socket

    port = int(page.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(
            f"POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        answer = conn.makefile("rb").read()  # the server closes the connection: the body was never read
    head, _, body = answer.partition(b"\r\n\r\n")
    assert int(head.split()[1]) == status and json.loads(body) == {"ok": False, "error": error}


def test_notices_stay_until_the_page_acknowledges_them(page, playground):
    playground.workspace.notify(GRACE, "Knowhow did not answer the click (HTTP 500).")
    first = page.state(GRACE)["notices"]
    assert [n["text"] for n in first] == ["Knowhow did not answer the click (HTTP 500)."]
    assert page.state(GRACE)["notices"] == first  # reading (another tab, an <img> elsewhere) consumes nothing
    assert page.get("/api/ack_notices", **{"as": GRACE, "ids": first[0]["id"]})[0] == 405
    assert page.post("/api/ack_notices", {"as": GRACE, "ids": "all"}) == (
        400,
        {"ok": False, "error": "invalid_arguments"},
    )
    page.act("/api/ack_notices", as_=GRACE, ids=[first[0]["id"]])
    assert page.state(GRACE)["notices"] == []
