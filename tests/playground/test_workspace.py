"""The workspace on its own, with a recording stand-in for the app: which events Slack would send,
response_urls, trigger_ids and the modal stack under view_submission answers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from playground import sample
from playground.workspace import PlaygroundError, Responder, Workspace

DEVIKA, EMMA = "U0DEVIKA01", "U0EMMA0001"
MODAL = {
    "type": "modal",
    "callback_id": "form",
    "title": {"type": "plain_text", "text": "Form"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "q",
            "label": {"type": "plain_text", "text": "Q"},
            "element": {"type": "plain_text_input", "action_id": "q", "max_length": 10},
        }
    ],
}


class App:
    """Records what the workspace delivers (checking each signature) and answers as told."""

    def __init__(self, secret: str):
        self.requests: list[dict] = []
        self.answer: bytes = b""
        self.on_request = None
        verifier, app = SignatureVerifier(secret), self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
                assert verifier.is_valid(
                    raw, self.headers["X-Slack-Request-Timestamp"], self.headers["X-Slack-Signature"]
                )
                if self.headers["Content-Type"] == "application/json":
                    body = json.loads(raw)
                else:
                    form = {k: v[0] for k, v in parse_qs(raw).items()}
                    body = json.loads(form["payload"]) if "payload" in form else form
                app.requests.append(body)
                if app.on_request:
                    app.on_request(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(app.answer)))
                self.end_headers()
                self.wfile.write(app.answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def events(self) -> list[dict]:
        return [r["event"] for r in self.requests if r.get("type") == "event_callback"]


@pytest.fixture
def ws():
    workspace = Workspace().start()
    yield workspace
    workspace.stop()


@pytest.fixture
def app(ws):
    recorder = App(ws.signing_secret)
    ws.connect(f"http://127.0.0.1:{recorder.httpd.server_address[1]}/slack/events")
    yield recorder
    recorder.httpd.shutdown()


def test_events_go_only_where_the_manifest_and_membership_say(ws, app):
    in_qa = ws.post_message(DEVIKA, sample.QA_CHANNEL, "hello @emma and @here &co")
    ws.post_message(DEVIKA, sample.SG_GENERAL_CHANNEL, "Knowhow is not in here")
    ws.react(EMMA, sample.QA_CHANNEL, in_qa, "eyes")  # reaction_added: a help channel's checkmark
    ws.edit_message(DEVIKA, sample.QA_CHANNEL, in_qa, "edited")
    ws.open_home(EMMA)
    # Events go out one at a time, in order: once the last one is in, any sent before it is too.
    ws.wait_until(lambda: any(e["type"] == "app_home_opened" for e in app.events()))
    events = app.events()
    assert [(e["type"], e.get("subtype")) for e in events] == [
        ("message", None),
        ("reaction_added", None),
        ("message", "message_changed"),
        ("app_home_opened", None),
    ]
    assert events[0]["text"] == f"hello <@{EMMA}> and <!here> &amp;co" and events[0]["channel_type"] == "channel"
    assert events[1]["reaction"] == "eyes" and events[1]["item"]["ts"] == in_qa and events[1]["user"] == EMMA
    events = [events[0], *events[2:]]
    assert events[1]["message"]["edited"]["user"] == DEVIKA and events[1]["previous_message"]["ts"] == in_qa
    assert events[2] == {
        "type": "app_home_opened",
        "user": EMMA,
        "channel": "D" + EMMA[1:],
        "tab": "home",
        "event_ts": events[2]["event_ts"],
    }
    assert len({r["event_id"] for r in app.requests}) == 4


def test_response_urls_act_on_what_they_came_from(ws):
    qa = sample.QA_CHANNEL
    client = WebClient(token=ws.token, base_url=ws.api_url)
    post = client.chat_postMessage(channel=qa, text="a question")["ts"]

    on_message = WebhookClient(ws.new_response_url(Responder(user=DEVIKA, channel=qa, kind="message", source_ts=post)))
    assert on_message.send(text="only for Devika").status_code == 200
    assert [m["text"] for m in ws.conversation(DEVIKA, qa) if m["ephemeral"]] == ["only for Devika"]
    assert not [m for m in ws.conversation(EMMA, qa) if m["ephemeral"]]
    assert on_message.send(text="for everyone", response_type="in_channel").status_code == 200
    assert [m["text"] for m in ws.conversation(EMMA, qa) if not m["ephemeral"]] == ["a question", "for everyone"]
    assert on_message.send(text="replaced", replace_original=True).status_code == 200
    assert ws.message(qa, post)["text"] == "replaced"
    assert on_message.send(delete_original=True).status_code == 200
    assert ws.message(qa, post) is None
    assert on_message.send(text="a fifth time").status_code == 200
    used = on_message.send(text="a sixth time")  # Slack takes five posts per response_url
    assert (used.status_code, used.body) == (404, "used_url")

    command = WebhookClient(ws.new_response_url(Responder(user=DEVIKA, channel=qa, kind="command")))
    command.send(text="working…")
    command.send(text="done", replace_original=True)
    assert [m["text"] for m in ws.conversation(DEVIKA, qa) if m["ephemeral"]][-1] == "done"
    assert command.send().body == "no_text"


def test_trigger_ids_belong_to_a_person_expire_and_are_used_once(ws, app):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    trigger = ws.new_trigger(DEVIKA)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert ws.modal_of(DEVIKA)["id"] == view["id"] and ws.modal_of(EMMA) is None
    with pytest.raises(SlackApiError, match="trigger_exchanged"):
        client.views_open(trigger_id=trigger, view=MODAL)
    pushed = client.views_push(trigger_id=ws.new_trigger(DEVIKA), view=MODAL)["view"]
    assert ws.modal_of(DEVIKA)["stack_depth"] == 2 and pushed["previous_view_id"] == view["id"]
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_push(trigger_id=ws.new_trigger(EMMA), view=MODAL)  # Emma has nothing open
    old = ws.new_trigger(DEVIKA)
    now = ws.clock()
    ws.clock = lambda: now + 4  # four seconds on: a trigger_id is good for three
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=old, view=MODAL)


@pytest.mark.parametrize(
    "answer, depth, errors",
    [
        ({"response_action": "errors", "errors": {"q": "Too vague"}}, 2, {"q": "Too vague"}),
        ({"response_action": "update", "view": {**MODAL, "title": {"type": "plain_text", "text": "Updated"}}}, 2, {}),
        ({"response_action": "push", "view": MODAL}, 3, {}),
        ({"response_action": "clear"}, 0, {}),
        ({}, 1, {}),
    ],
)
def test_view_submission_answers_act_on_the_stack(ws, app, answer, depth, errors):
    client = WebClient(token=ws.token, base_url=ws.api_url)
    client.views_open(trigger_id=ws.new_trigger(DEVIKA), view=MODAL)
    top = client.views_push(trigger_id=ws.new_trigger(DEVIKA), view=MODAL)["view"]
    assert ws.submit_view(
        DEVIKA, top["id"], {"q": {"q": {"type": "plain_text_input", "value": "far too long text"}}}
    ) == {
        "ok": True,
        "errors": {"q": "Must be 10 characters or fewer."},
    }  # refused before sending, as Slack's client does
    assert app.requests == []
    app.answer = json.dumps(answer).encode()
    ws.submit_view(DEVIKA, top["id"], {"q": {"q": {"type": "plain_text_input", "value": "why?"}}})
    submitted = app.requests[-1]
    assert submitted["type"] == "view_submission" and submitted["view"]["state"]["values"]["q"]["q"]["value"] == "why?"
    modal = ws.modal_of(DEVIKA)
    assert (modal["stack_depth"] if modal else 0) == depth
    if modal:
        assert modal["errors"] == errors
    if answer.get("response_action") == "update":
        assert modal["id"] == top["id"] and modal["view"]["title"]["text"] == "Updated"


def test_people_can_only_touch_what_they_may(ws):
    with pytest.raises(PlaygroundError, match="channel_not_found"):
        ws.post_message(DEVIKA, "D" + EMMA[1:], "reading Emma's DM")
    with pytest.raises(PlaygroundError, match="thread_not_found"):
        ws.post_message(DEVIKA, sample.QA_CHANNEL, "x", thread_ts="1.000001")
    ts = ws.post_message(DEVIKA, sample.QA_CHANNEL, "mine")
    with pytest.raises(PlaygroundError, match="cant_delete_message"):
        ws.delete_message(EMMA, sample.QA_CHANNEL, ts)
    reply = ws.post_message(EMMA, sample.QA_CHANNEL, "a reply", thread_ts=ts)
    ws.delete_message(DEVIKA, sample.QA_CHANNEL, ts)  # it has a reply: a tombstone stays
    assert ws.message(sample.QA_CHANNEL, ts)["subtype"] == "tombstone"
    assert [r["ts"] for r in ws.thread(EMMA, sample.QA_CHANNEL, ts)["replies"]] == [reply]


CLICKABLE = [
    {
        "type": "section",
        "block_id": "s",
        "text": {"type": "mrkdwn", "text": "Pick"},
        "accessory": {
            "type": "static_select",
            "action_id": "pick",
            "options": [
                {"text": {"type": "plain_text", "text": "One"}, "value": "1"},
                {"text": {"type": "plain_text", "text": "Two"}, "value": "2"},
            ],
        },
    },
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "go",
                "value": "real",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Go"},
            }
        ],
    },
]


def test_a_click_is_the_stored_elements_and_nothing_the_page_makes_up(ws, app):
    qa = sample.QA_CHANNEL
    ts = WebClient(token=ws.token, base_url=ws.api_url).chat_postMessage(channel=qa, text="x", blocks=CLICKABLE)["ts"]
    where = {"type": "message", "channel": qa, "ts": ts}
    # The button: its type, text, value and style are the stored ones (the block without an id
    # goes by the page's `auto-<index>`).
    clicks = lambda: [r for r in app.requests if r.get("type") == "block_actions"]  # noqa: E731
    ws.block_action(DEVIKA, where, block_id="auto-1", action_id="go", value="real")
    ws.block_action(DEVIKA, where, block_id="auto-1", action_id="go")
    ws.wait_until(lambda: len(clicks()) >= 2)
    for request in clicks():
        (action,) = request["actions"]
        assert {k: action[k] for k in ("type", "action_id", "block_id", "value", "style")} == {
            "type": "button",
            "action_id": "go",
            "block_id": "auto-1",
            "value": "real",
            "style": "danger",
        }
        assert action["text"]["text"] == "Go"
    # A choice among the stored options arrives as the stored option.
    ws.block_action(
        DEVIKA,
        where,
        block_id="s",
        action_id="pick",
        selected_option={"value": "2", "text": {"type": "plain_text", "text": "forged"}},
    )
    ws.wait_until(lambda: len(clicks()) >= 3)
    assert clicks()[2]["actions"][0]["selected_option"] == CLICKABLE[0]["accessory"]["options"][1]
    # Refused: an element not on the message, a value not the button's, an option not offered,
    # a field the element does not have.
    refusals = [
        (dict(block_id="auto-1", action_id="nope"), "invalid_action"),
        (dict(block_id="s", action_id="go"), "invalid_action"),
        (dict(block_id="auto-1", action_id="go", value="forged"), "invalid_value"),
        (dict(block_id="s", action_id="pick", selected_option={"value": "3"}), "invalid_option"),
        (dict(block_id="s", action_id="pick", selected_option="1"), "invalid_option"),
        (dict(block_id="auto-1", action_id="go", selected_date="2030-01-01"), "invalid_arguments"),
    ]
    for args, error in refusals:
        with pytest.raises(PlaygroundError) as refused:
            ws.block_action(DEVIKA, where, **args)
        assert refused.value.error == error, args
    assert len(clicks()) == 3


def test_an_external_select_takes_only_options_it_was_given(ws, app):
    view = {
        "type": "modal",
        "callback_id": "f",
        "title": {"type": "plain_text", "text": "F"},
        "blocks": [
            {
                "type": "actions",
                "block_id": "a",
                "elements": [{"type": "external_select", "action_id": "ext", "min_query_length": 0}],
            }
        ],
    }
    ws.stacks[DEVIKA] = []
    trigger = ws.new_trigger(DEVIKA)
    view_id = WebClient(token=ws.token, base_url=ws.api_url).views_open(trigger_id=trigger, view=view)["view"]["id"]
    offered = {"text": {"type": "plain_text", "text": "Python"}, "value": "py"}
    app.answer = json.dumps({"options": [offered]}).encode()
    assert ws.options(DEVIKA, view_id, block_id="a", action_id="ext", value="py")["options"] == [offered]
    where = {"type": "view", "view_id": view_id}
    with pytest.raises(PlaygroundError, match="invalid_option"):
        ws.block_action(DEVIKA, where, block_id="a", action_id="ext", selected_option={"value": "rust"})
    app.answer = b""
    ws.block_action(DEVIKA, where, block_id="a", action_id="ext", selected_option={"value": "py"})
    ws.wait_until(lambda: any(r.get("type") == "block_actions" for r in app.requests))
    click = next(r for r in app.requests if r.get("type") == "block_actions")
    assert click["actions"][0]["selected_option"] == offered


def _raw_post(port: int, path: str, length: str) -> int:
    """POST with the Content-Length header as given, and no body: the status line's code."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        return int(conn.makefile("rb").readline().split()[1])


@pytest.mark.parametrize("length,status", [("abc", 400), ("-1", 400), ("+5", 400), (str(10**12), 413)])
def test_a_content_length_that_is_not_a_small_whole_number_is_refused(ws, length, status):
    port = int(ws.base.rsplit(":", 1)[1])
    token = ws.new_response_url(Responder(user=DEVIKA, channel=sample.QA_CHANNEL, kind="command")).rsplit("/", 1)[1]
    for path in ("/api/chat.postMessage", f"/response/{token}"):
        assert _raw_post(port, path, length) == status, path
