"""The Slack stand-in must speak Slack's protocol, or the edge tests prove nothing."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from fakeslack import SlackSender

# Slack's example bodies live outside this repository, beside it at ../shared/slack/examples;
# the fields they carry are copied here so the shape tests run without them.
EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "slack" / "examples"
EXAMPLE_FIELDS = {
    "block_actions": {
        "type",
        "user",
        "api_app_id",
        "token",
        "container",
        "trigger_id",
        "team",
        "enterprise",
        "is_enterprise_install",
        "channel",
        "message",
        "state",
        "response_url",
        "actions",
    },
    "view_submission": {
        "type",
        "team",
        "user",
        "api_app_id",
        "token",
        "trigger_id",
        "view",
        "response_urls",
        "is_enterprise_install",
        "enterprise",
    },
}
EXAMPLE_VIEW_FIELDS = {
    "id",
    "team_id",
    "type",
    "blocks",
    "private_metadata",
    "callback_id",
    "state",
    "hash",
    "title",
    "clear_on_close",
    "notify_on_close",
    "close",
    "submit",
    "previous_view_id",
    "root_view_id",
    "app_id",
    "external_id",
    "app_installed_team_id",
    "bot_id",
}

SLACK_VECTOR_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


def test_signatures_match_slacks_published_test_vector():
    sender = SlackSender("http://unused", "8f742231b10e8888abcd99yyyzzz85a5")
    headers = sender.sign(SLACK_VECTOR_BODY, timestamp=1531420618)
    assert headers["X-Slack-Signature"] == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_signed_requests_verify_with_slack_sdk():
    sender = SlackSender("http://unused", "s3cret")
    body = sender.command_body("/ask", "Quoi de neuf ? ✨")
    headers = sender.sign(body)
    assert SignatureVerifier("s3cret").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_web_api_answers_have_slacks_shapes(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    assert client.auth_test()["user_id"] == fake_slack.bot_user_id
    posted = client.chat_postMessage(
        channel="C0QUESTION", text="hi", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    )
    assert posted["ok"] and posted["channel"] == "C0QUESTION" and posted["ts"]
    [call] = fake_slack.calls_to("chat.postMessage")
    assert call.args["blocks"][0]["text"]["text"] == "hi"

    with pytest.raises(SlackApiError) as refused:
        WebClient(token="xoxb-wrong", base_url=fake_slack.api_url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"

    with pytest.raises(SlackApiError) as no_text, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="C0QUESTION")
    assert no_text.value.response["error"] == "no_text"


def test_scripted_failures_come_back_as_slack_sends_them(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=3)
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="C1", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # only the next call failed


# -- modals -----------------------------------------------------------------------------------------

ASK_MODAL = {
    "type": "modal",
    "callback_id": "ask_modal",
    "private_metadata": "C0QUESTION",
    "title": {"type": "plain_text", "text": "Ask a mentor"},
    "submit": {"type": "plain_text", "text": "Ask"},
    "blocks": [
        {
            "type": "input",
            "block_id": "question_block",
            "label": {"type": "plain_text", "text": "Your question"},
            "element": {"type": "plain_text_input", "action_id": "question_input", "multiline": True},
        },
        {
            "type": "input",
            "block_id": "topic_block",
            "label": {"type": "plain_text", "text": "Topic"},
            "element": {
                "type": "static_select",
                "action_id": "topic_input",
                "options": [
                    {"text": {"type": "plain_text", "text": "Python"}, "value": "python"},
                    {"text": {"type": "plain_text", "text": "SQL"}, "value": "sql"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "tags_block",
            "label": {"type": "plain_text", "text": "Tags"},
            "element": {
                "type": "checkboxes",
                "action_id": "tags_input",
                "options": [{"text": {"type": "plain_text", "text": "Urgent"}, "value": "urgent"}],
            },
        },
        {
            "type": "input",
            "block_id": "lesson_block",
            "label": {"type": "plain_text", "text": "Lesson"},
            "element": {"type": "external_select", "action_id": "lesson_input", "min_query_length": 1},
        },
        {
            "type": "input",
            "block_id": "mentor_block",
            "label": {"type": "plain_text", "text": "Mentor"},
            "element": {"type": "users_select", "action_id": "mentor_input"},
        },
    ],
}


@pytest.fixture
def client(fake_slack):
    return WebClient(token=fake_slack.token, base_url=fake_slack.api_url)


def slack_error(call, *args, **kwargs) -> str:
    with pytest.raises(SlackApiError) as refused:
        call(*args, **kwargs)
    return refused.value.response["error"]


def test_views_open_stores_the_modal_as_slack_returns_it(fake_slack, client):
    opened = client.views_open(trigger_id="1.2.abc", view=ASK_MODAL)["view"]
    assert opened["id"] == "V0VIEW0001"
    assert opened["callback_id"] == "ask_modal" and opened["private_metadata"] == "C0QUESTION"
    assert opened["state"] == {"values": {}} and opened["hash"]
    assert opened["root_view_id"] == opened["id"] and opened["previous_view_id"] is None
    assert opened["team_id"] == fake_slack.team_id and opened["app_id"] and opened["bot_id"] == fake_slack.bot_id
    assert opened["blocks"] == ASK_MODAL["blocks"] and opened["external_id"] == ""
    assert fake_slack.views[opened["id"]] == opened == fake_slack.view(opened["id"])
    assert client.views_open(trigger_id="1.2.abd", view=ASK_MODAL)["view"]["id"] == "V0VIEW0002"

    # Slack gives a block the app left without a block_id one of its own.
    bare = {**ASK_MODAL, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
    assert client.views_open(trigger_id="1.2.abe", view=bare)["view"]["blocks"][0]["block_id"]


@pytest.mark.parametrize(
    "trigger_id, view",
    [
        ("", ASK_MODAL),
        ("1.2.x", "not a view"),
        ("1.2.x", {**ASK_MODAL, "type": "home"}),
        ("1.2.x", {k: v for k, v in ASK_MODAL.items() if k != "title"}),
        ("1.2.x", {**ASK_MODAL, "title": {"type": "mrkdwn", "text": "Ask"}}),
        ("1.2.x", {**ASK_MODAL, "title": {"type": "plain_text", "text": "x" * 25}}),
        ("1.2.x", {**ASK_MODAL, "blocks": [{"type": "divider"}] * 101}),
        ("1.2.x", {**ASK_MODAL, "private_metadata": "x" * 3001}),
        ("1.2.x", {**ASK_MODAL, "callback_id": "x" * 256}),
    ],
    ids=[
        "no-trigger",
        "not-a-dict",
        "not-a-modal",
        "no-title",
        "mrkdwn-title",
        "long-title",
        "101-blocks",
        "long-metadata",
        "long-callback-id",
    ],
)
def test_views_open_refuses_what_slack_refuses(fake_slack, client, trigger_id, view):
    assert slack_error(client.views_open, trigger_id=trigger_id, view=view) == "invalid_arguments"
    assert fake_slack.views == {}


def test_views_open_accepts_the_limits_themselves(client):
    edge = {
        **ASK_MODAL,
        "title": {"type": "plain_text", "text": "x" * 24},
        "blocks": [{"type": "divider"}] * 100,
        "private_metadata": "x" * 3000,
        "callback_id": "x" * 255,
    }
    assert client.views_open(trigger_id="1.2.x", view=edge)["ok"]


def test_views_update_replaces_the_modal_and_checks_its_hash(fake_slack, client):
    opened = client.views_open(trigger_id="1.2.x", view={**ASK_MODAL, "external_id": "ask-1"})["view"]
    thanks_block = {"type": "section", "block_id": "t", "text": {"type": "mrkdwn", "text": "Thanks"}}
    thanks = {**ASK_MODAL, "callback_id": "thanks", "blocks": [thanks_block]}

    updated = client.views_update(view_id=opened["id"], view=thanks, hash=opened["hash"])["view"]
    assert updated["id"] == opened["id"] and updated["callback_id"] == "thanks"
    assert updated["hash"] != opened["hash"] and updated["root_view_id"] == opened["id"]
    assert updated["external_id"] == "ask-1"
    assert fake_slack.view(opened["id"])["callback_id"] == "thanks"

    # The old hash is stale now; no hash at all means "whatever is there".
    stale = slack_error(client.views_update, view_id=opened["id"], view=ASK_MODAL, hash=opened["hash"])
    assert stale == "hash_conflict"
    assert fake_slack.view(opened["id"])["callback_id"] == "thanks"
    assert client.views_update(external_id="ask-1", view=ASK_MODAL)["view"]["callback_id"] == "ask_modal"

    assert slack_error(client.views_update, view_id="V0NOSUCH", view=ASK_MODAL) == "not_found"
    assert slack_error(client.views_update, external_id="nope", view=ASK_MODAL) == "not_found"
    bad = {**ASK_MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    assert slack_error(client.views_update, view_id=opened["id"], view=bad) == "invalid_arguments"


def test_views_push_stacks_a_modal_on_the_last_one(fake_slack, client):
    assert slack_error(client.views_push, trigger_id="1.2.x", view=ASK_MODAL) == "invalid_trigger_id"  # none open
    root = client.views_open(trigger_id="1.2.x", view=ASK_MODAL)["view"]
    pushed = client.views_push(trigger_id="1.2.y", view={**ASK_MODAL, "callback_id": "second"})["view"]
    assert pushed["id"] != root["id"] and pushed["callback_id"] == "second"
    assert pushed["previous_view_id"] == root["id"] and pushed["root_view_id"] == root["id"]
    assert set(fake_slack.views) == {root["id"], pushed["id"]}

    assert slack_error(client.views_push, trigger_id="", view=ASK_MODAL) == "invalid_arguments"
    assert slack_error(client.views_push, trigger_id="1.2.z", view={**ASK_MODAL, "type": "home"}) == "invalid_arguments"
    third = client.views_push(trigger_id="1.2.z", view=ASK_MODAL)["view"]
    assert third["previous_view_id"] == pushed["id"]
    assert slack_error(client.views_push, trigger_id="1.2.w", view=ASK_MODAL) == "push_limit_reached"


# -- users ------------------------------------------------------------------------------------------


def test_users_info_answers_registered_users_in_slacks_shape(fake_slack, client):
    fake_slack.add_user(
        "U0MENTOR01",
        name="ada",
        real_name="Ada Lovelace",
        title="Mentor",
        tz="America/New_York",
        tz_offset=-18000,
        is_admin=True,
    )
    user = client.users_info(user="U0MENTOR01")["user"]
    assert user["id"] == "U0MENTOR01" and user["team_id"] == fake_slack.team_id
    assert user["name"] == "ada" and user["real_name"] == "Ada Lovelace" and not user["deleted"]
    assert user["tz"] == "America/New_York" and user["tz_offset"] == -18000 and user["tz_label"]
    assert user["is_admin"] and not user["is_owner"] and not user["is_primary_owner"]
    assert not user["is_restricted"] and not user["is_ultra_restricted"] and not user["is_bot"]
    assert user["profile"]["title"] == "Mentor" and user["profile"]["real_name"] == "Ada Lovelace"
    assert user["profile"]["display_name"] == "ada"

    fake_slack.add_user("U0GONE0001", deleted=True)
    assert client.users_info(user="U0GONE0001")["user"]["deleted"] is True
    assert client.users_info(user="U0MENTOR01", include_locale=True)["user"]["locale"]


def test_users_info_answers_unregistered_ids_as_plain_members(fake_slack, client):
    for user_id in ("U0STUDENT1", "W0GRIDUSER"):
        user = client.users_info(user=user_id)["user"]
        assert user["id"] == user_id and not user["deleted"] and not user["is_bot"]
        assert not (user["is_admin"] or user["is_owner"] or user["is_primary_owner"] or user["is_restricted"])
    assert client.users_info(user=fake_slack.bot_user_id)["user"]["is_bot"]
    assert fake_slack.users == {}  # answering does not register

    for bad in ("C0GENERAL1", "u0lower", "U0-DASH", "nobody"):
        assert slack_error(client.users_info, user=bad) == "user_not_found"


# -- messages ---------------------------------------------------------------------------------------


def test_chat_update_edits_the_bots_post_in_place(fake_slack, client):
    metadata = {"event_type": "knowhow_question", "event_payload": {"question_id": 1}}
    posted = client.chat_postMessage(
        channel="C0QUESTION",
        text="open",
        metadata=metadata,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "open"}}],
    )
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "answered"}}]
    updated = client.chat_update(channel="C0QUESTION", ts=posted["ts"], text="answered", blocks=blocks)
    assert updated["ok"] and updated["channel"] == "C0QUESTION" and updated["ts"] == posted["ts"]
    assert updated["text"] == "answered" and updated["message"]["blocks"] == blocks

    now = fake_slack.message("C0QUESTION", posted["ts"])
    assert now["text"] == "answered" and now["blocks"] == blocks and now["ts"] == posted["ts"]
    assert now["metadata"] == metadata
    assert now["edited"]["user"] == fake_slack.bot_user_id and float(now["edited"]["ts"]) > float(posted["ts"])
    assert len(fake_slack.messages["C0QUESTION"]) == 1

    # A field left out keeps its value, as in Slack.
    client.chat_update(channel="C0QUESTION", ts=posted["ts"], text="resolved")
    assert fake_slack.message("C0QUESTION", posted["ts"])["blocks"] == blocks


def test_chat_update_finds_thread_replies_too(fake_slack, client):
    parent = client.chat_postMessage(channel="C0QUESTION", text="question")
    reply = client.chat_postMessage(channel="C0QUESTION", text="answer", thread_ts=parent["ts"])
    client.chat_update(channel="C0QUESTION", ts=reply["ts"], text="better answer")
    now = fake_slack.message("C0QUESTION", reply["ts"])
    assert now["text"] == "better answer" and now["thread_ts"] == parent["ts"]


def test_chat_update_refuses_what_slack_refuses(fake_slack, client):
    posted = client.chat_postMessage(channel="C0QUESTION", text="mine")
    theirs = fake_slack.add_message("C0QUESTION", user="U0STUDENT1", text="theirs")

    assert slack_error(client.chat_update, channel="C0QUESTION", ts="1.000001", text="x") == "message_not_found"
    assert slack_error(client.chat_update, channel="C0OTHER", ts=posted["ts"], text="x") == "message_not_found"
    assert slack_error(client.chat_update, channel="C0QUESTION", ts=theirs["ts"], text="x") == "cant_update_message"
    too_many = [{"type": "divider"}] * 51
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    for blocks in (too_many, too_long):
        refused = slack_error(client.chat_update, channel="C0QUESTION", ts=posted["ts"], text="x", blocks=blocks)
        assert refused == "invalid_blocks"
    assert fake_slack.message("C0QUESTION", posted["ts"])["text"] == "mine"
    assert "edited" not in fake_slack.message("C0QUESTION", posted["ts"])
    assert fake_slack.message("C0QUESTION", "1.000001") is None


def test_history_leaves_thread_replies_out(fake_slack, client):
    parent = client.chat_postMessage(channel="C0QUESTION", text="question")
    reply = client.chat_postMessage(channel="C0QUESTION", text="answer", thread_ts=parent["ts"])
    fake_slack.add_message("C0QUESTION", user="U0STUDENT1", text="thanks", thread_ts=parent["ts"])
    alone = client.chat_postMessage(channel="C0QUESTION", text="another")

    assert fake_slack.message("C0QUESTION", reply["ts"])["thread_ts"] == parent["ts"]
    history = client.conversations_history(channel="C0QUESTION")["messages"]
    assert [m["ts"] for m in history] == [alone["ts"], parent["ts"]]
    assert history[1]["reply_count"] == 2 and history[1]["thread_ts"] == parent["ts"]
    assert "reply_count" not in history[0]


def test_replies_give_a_thread_and_reads_page_with_a_cursor_and_metadata_only_when_asked(fake_slack, client):
    metadata = {"event_type": "knowhow_post", "event_payload": {"knowhow_outbox": "7.0"}}
    parent = client.chat_postMessage(channel="C0QUESTION", text="question")
    replies = [
        client.chat_postMessage(channel="C0QUESTION", text=f"reply {n}", thread_ts=parent["ts"], metadata=metadata)
        for n in range(3)
    ]
    thread = client.conversations_replies(channel="C0QUESTION", ts=parent["ts"])["messages"]
    assert [m["ts"] for m in thread] == [parent["ts"]] + [r["ts"] for r in replies]  # the parent first
    assert "metadata" not in thread[1]
    asked = client.conversations_replies(channel="C0QUESTION", ts=parent["ts"], include_all_metadata=True)
    assert asked["messages"][1]["metadata"] == metadata
    later = client.conversations_replies(channel="C0QUESTION", ts=parent["ts"], oldest=replies[0]["ts"])
    assert [m["ts"] for m in later["messages"]] == [parent["ts"], replies[1]["ts"], replies[2]["ts"]]
    assert slack_error(client.conversations_replies, channel="C0QUESTION", ts="1.000001") == "thread_not_found"

    for n in range(5):
        client.chat_postMessage(channel="C0PAGES001", text=f"m{n}")
    seen, cursor = [], None
    while True:
        page = client.conversations_history(channel="C0PAGES001", limit=2, cursor=cursor)
        seen += [m["text"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


def test_a_lost_answer_is_the_chosen_call_carried_out_and_never_answered(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url, retry_handlers=[])
    fake_slack.lose_answer_next("chat.postMessage", lambda call: call.args["channel"] == "C0SECOND1")
    assert client.chat_postMessage(channel="C0FIRST01", text="answered")["ok"]
    with pytest.raises(OSError):
        client.chat_postMessage(channel="C0SECOND1", text="done, the answer lost")
    assert client.chat_postMessage(channel="C0SECOND1", text="answered again")["ok"]  # once only
    assert [m["text"] for m in fake_slack.messages["C0SECOND1"]] == ["done, the answer lost", "answered again"]


# -- file uploads (files_upload_v2: getUploadURLExternal, POST the bytes, completeUploadExternal) ---

# Every byte value, and line ends of every kind: nothing may be lost or rewritten on the way.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\r\n\n\r"


def test_files_upload_v2_shares_the_bytes_in_the_channel(fake_slack, client):
    uploaded = client.files_upload_v2(
        channel="C0QUESTION", file=PNG_BYTES, filename="trend.png", title="Weekly trend", initial_comment="This week"
    )

    file = uploaded["file"]
    assert re.fullmatch(r"F[A-Z0-9]{10}", file["id"])
    assert uploaded["files"] == [file]
    assert (file["name"], file["title"], file["mimetype"], file["filetype"]) == (
        "trend.png",
        "Weekly trend",
        "image/png",
        "png",
    )
    assert file["size"] == len(PNG_BYTES) and file["user"] == fake_slack.bot_user_id
    assert "C0QUESTION" in file["channels"]

    assert [c.method for c in fake_slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [asked] = fake_slack.calls_to("files.getUploadURLExternal")
    assert asked.args["filename"] == "trend.png" and int(asked.args["length"]) == len(PNG_BYTES)
    [upload] = fake_slack.calls_to("upload")
    assert upload.args == {"file_id": file["id"], "size": len(PNG_BYTES)}
    assert "authorization" not in upload.headers  # the upload_url needs no token
    [completed] = fake_slack.calls_to("files.completeUploadExternal")
    assert completed.args["files"] == [{"id": file["id"], "title": "Weekly trend"}]
    assert completed.args["channel_id"] == "C0QUESTION"

    stored = fake_slack.files[file["id"]]
    assert stored["content"] == PNG_BYTES and stored["name"] == "trend.png" and stored["title"] == "Weekly trend"
    assert stored["completed"] and stored["channels"] == ["C0QUESTION"]

    [share] = fake_slack.messages["C0QUESTION"]
    assert share["text"] == "This week" and share["user"] == fake_slack.bot_user_id
    assert [f["id"] for f in share["files"]] == [file["id"]]
    assert client.conversations_history(channel="C0QUESTION")["messages"][0]["files"][0]["name"] == "trend.png"


def test_files_upload_v2_from_a_path_into_a_thread_and_a_dm(fake_slack, client, tmp_path):
    chart = tmp_path / "chart.csv"
    chart.write_bytes(b"week,asked\n1,12\n2,9\n")
    parent = client.chat_postMessage(channel="C0QUESTION", text="the figures")

    in_thread = client.files_upload_v2(channel="C0QUESTION", file=str(chart), thread_ts=parent["ts"])["file"]
    assert in_thread["name"] == "chart.csv" and in_thread["title"] == "chart.csv"  # slack-sdk's defaults
    assert fake_slack.files[in_thread["id"]]["content"] == chart.read_bytes()
    reply = fake_slack.messages["C0QUESTION"][-1]
    assert reply["thread_ts"] == parent["ts"] and reply["files"][0]["id"] == in_thread["id"] and reply["text"] == ""

    to_dm = client.files_upload_v2(channel="U0STUDENT1", content="just for you", filename="note.txt")["file"]
    assert to_dm["ims"] == ["D0STUDENT1"] and to_dm["mimetype"] == "text/plain"
    assert fake_slack.messages["D0STUDENT1"][0]["files"][0]["id"] == to_dm["id"]

    private = client.files_upload_v2(content="kept", filename="kept.txt")["file"]  # no channel: not shared
    assert private["channels"] == [] and fake_slack.files[private["id"]]["channels"] == []


def test_files_upload_v2_to_a_channel_the_bot_is_not_in(fake_slack, client):
    fake_slack.not_joined.add("C0ELSEWHERE")
    with pytest.raises(SlackApiError) as refused:
        client.files_upload_v2(channel="C0ELSEWHERE", file=PNG_BYTES, filename="trend.png")
    assert refused.value.response["error"] == "not_in_channel"
    assert fake_slack.messages["C0ELSEWHERE"] == []
    [upload] = fake_slack.calls_to("upload")  # the bytes went up; only the share was refused
    assert not fake_slack.files[upload.args["file_id"]]["completed"]


def test_complete_upload_refuses_files_it_never_received(fake_slack, client):
    never = slack_error(
        client.files_completeUploadExternal, files=[{"id": "F0NEVERSEEN", "title": "x"}], channel_id="C0QUESTION"
    )
    assert never == "invalid_arguments"
    issued = client.files_getUploadURLExternal(filename="trend.png", length=len(PNG_BYTES))
    assert issued["upload_url"].startswith(fake_slack.base) and re.fullmatch(r"F[A-Z0-9]{10}", issued["file_id"])
    not_sent = slack_error(
        client.files_completeUploadExternal, files=[{"id": issued["file_id"]}], channel_id="C0QUESTION"
    )
    assert not_sent == "invalid_arguments"  # its bytes never arrived
    assert slack_error(client.files_completeUploadExternal, files=[]) == "invalid_arguments"
    assert fake_slack.messages["C0QUESTION"] == []


@pytest.mark.parametrize(
    "filename, length",
    [(None, 12), ("trend.png", None), ("", 12), ("trend.png", 0), ("trend.png", "twelve"), ("trend.png", -3)],
)
def test_get_upload_url_refuses_missing_or_bad_arguments(fake_slack, client, filename, length):
    assert slack_error(client.files_getUploadURLExternal, filename=filename, length=length) == "invalid_arguments"
    assert fake_slack.files == {}


def test_upload_url_takes_a_multipart_form_and_refuses_unknown_ids(fake_slack, client):
    issued = client.files_getUploadURLExternal(filename="trend.png", length=len(PNG_BYTES))
    boundary = "fakeslackboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="filename"; filename="trend.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG_BYTES
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        issued["upload_url"],
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert (answer.status, answer.read()) == (200, f"OK - {len(PNG_BYTES)}".encode())
    assert fake_slack.files[issued["file_id"]]["content"] == PNG_BYTES

    unknown = urllib.request.Request(f"{fake_slack.base}/upload/v1/F0NEVERSEEN", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(unknown, timeout=5)
    assert missing.value.code == 404


def test_a_failed_upload_stops_files_upload_v2_before_the_share(fake_slack, client):
    fake_slack.fail_next("upload", status=500)
    with pytest.raises(urllib.error.HTTPError) as failed:  # slack-sdk's urlopen raises on a 5xx
        client.files_upload_v2(channel="C0QUESTION", file=PNG_BYTES, filename="trend.png")
    assert failed.value.code == 500
    [upload] = fake_slack.calls_to("upload")
    assert fake_slack.files[upload.args["file_id"]]["content"] is None
    assert fake_slack.calls_to("files.completeUploadExternal") == [] and fake_slack.messages["C0QUESTION"] == []


# -- what Slack sends the app ---------------------------------------------------------------------


def test_example_fields_are_those_of_slacks_examples():
    if not EXAMPLES.is_dir():
        pytest.skip(f"{EXAMPLES} is not there")
    for name, fields in EXAMPLE_FIELDS.items():
        example = json.loads(parse_qs((EXAMPLES / f"{name}.body").read_text())["payload"][0])
        assert set(example) == fields
        if "view" in example:
            assert set(example["view"]) == EXAMPLE_VIEW_FIELDS


def test_block_actions_on_a_message_has_the_examples_shape(fake_slack, client):
    sender = SlackSender("http://unused", "s3cret")
    posted = client.chat_postMessage(
        channel="C0QUESTION",
        text="answer",
        blocks=[
            {
                "type": "actions",
                "block_id": "feedback",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "answer_helpful",
                        "value": "yes",
                        "text": {"type": "plain_text", "text": "Helpful"},
                    },
                ],
            },
        ],
    )
    message = fake_slack.message("C0QUESTION", posted["ts"])
    payload = sender.block_actions_payload(
        user="U0STUDENT1",
        action_id="answer_helpful",
        value="yes",
        block_id="feedback",
        message=message,
        channel="C0QUESTION",
    )
    assert set(payload) == EXAMPLE_FIELDS["block_actions"]
    assert set(payload["user"]) == {"id", "username", "name", "team_id"}
    assert payload["type"] == "block_actions" and payload["actions"][0]["action_id"] == "answer_helpful"
    action = payload["actions"][0]
    assert action["block_id"] == "feedback" and action["value"] == "yes" and action["type"] == "button"
    assert action["text"]["text"] == "Helpful" and action["action_ts"]
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0QUESTION",
        "is_ephemeral": False,
    }
    assert payload["channel"]["id"] == "C0QUESTION" and payload["message"]["ts"] == posted["ts"]
    assert payload["response_url"].startswith("https://hooks.slack.com/actions/") and payload["state"] == {"values": {}}

    ephemeral = sender.block_actions_payload(user="U0STUDENT1", action_id="a", message=message, is_ephemeral=True)
    assert "message" not in ephemeral and ephemeral["container"]["is_ephemeral"] is True
    assert ephemeral["container"]["message_ts"] == posted["ts"]

    # A reply in a thread: the container says which thread.
    reply = client.chat_postMessage(channel="C0QUESTION", text="r", thread_ts=posted["ts"])
    reply_message = fake_slack.message("C0QUESTION", reply["ts"])
    in_thread = sender.block_actions_payload(user="U0STUDENT1", action_id="a", message=reply_message)
    assert in_thread["container"]["thread_ts"] == posted["ts"]


def test_block_actions_in_a_modal_and_a_select(fake_slack, client):
    sender = SlackSender("http://unused", "s3cret")
    view = client.views_open(trigger_id=sender.trigger_id(), view=ASK_MODAL)["view"]
    payload = sender.block_actions_payload(
        user="U0STUDENT1",
        action_id="topic_input",
        block_id="topic_block",
        action_type="static_select",
        selected_option="sql",
        container="view",
        view=view,
    )
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["view"]["id"] == view["id"] and payload["view"]["callback_id"] == "ask_modal"
    assert "message" not in payload and "response_url" not in payload and "channel" not in payload
    action = payload["actions"][0]
    assert action["type"] == "static_select" and "value" not in action and "text" not in action
    assert action["selected_option"] == ASK_MODAL["blocks"][1]["element"]["options"][1]  # the element's own option
    with pytest.raises(ValueError):
        sender.block_actions_payload(user="U0STUDENT1", action_id="a", container="view")


def test_view_submission_has_the_examples_shape(fake_slack, client):
    sender = SlackSender("http://unused", "s3cret")
    view = client.views_open(trigger_id=sender.trigger_id(), view=ASK_MODAL)["view"]
    values = {"question_block": {"question_input": {"type": "plain_text_input", "value": "Why?"}}}
    payload = sender.view_submission_payload(user="U0STUDENT1", view=view, values=values)
    assert set(payload) == EXAMPLE_FIELDS["view_submission"] and set(payload["view"]) == EXAMPLE_VIEW_FIELDS
    assert payload["type"] == "view_submission" and payload["view"]["callback_id"] == "ask_modal"
    assert payload["view"]["id"] == view["id"] and payload["view"]["private_metadata"] == "C0QUESTION"
    assert payload["view"]["state"]["values"] == values and payload["response_urls"] == []
    assert fake_slack.view(view["id"])["state"] == {"values": {}}  # the stored modal is left alone


def test_view_state_values_builds_slacks_state_from_plain_answers(client):
    sender = SlackSender("http://unused", "s3cret")
    view = client.views_open(trigger_id=sender.trigger_id(), view=ASK_MODAL)["view"]
    values = sender.view_state_values(
        view,
        {"question_input": "Why?", "topic_input": "python", "tags_input": ["urgent"], "mentor_input": "U0MENTOR01"},
    )
    options = {b["block_id"]: b["element"].get("options") for b in ASK_MODAL["blocks"]}
    assert values == {
        "question_block": {"question_input": {"type": "plain_text_input", "value": "Why?"}},
        "topic_block": {"topic_input": {"type": "static_select", "selected_option": options["topic_block"][0]}},
        "tags_block": {"tags_input": {"type": "checkboxes", "selected_options": options["tags_block"]}},
        "lesson_block": {"lesson_input": {"type": "external_select", "selected_option": None}},
        "mentor_block": {"mentor_input": {"type": "users_select", "selected_user": "U0MENTOR01"}},
    }
    # An external select's option is not in the view: it is built from the value.
    lesson = sender.view_state_values(view, {"lesson_input": "l-7"})["lesson_block"]["lesson_input"]
    assert lesson["selected_option"]["value"] == "l-7" and lesson["selected_option"]["text"]["text"] == "l-7"
    with pytest.raises(ValueError):
        sender.view_state_values(view, {"no_such_input": "x"})


def test_message_action_and_block_suggestion_shapes(fake_slack, client):
    sender = SlackSender("http://unused", "s3cret")
    theirs = fake_slack.add_message("C0QUESTION", user="U0STUDENT1", text="How do I?", thread_ts="1754400000.000100")
    shortcut = sender.message_action_payload(
        user="U0MENTOR01",
        callback_id="save_as_lesson",
        message=theirs,
        channel="C0QUESTION",
        response_url="https://hooks.slack.com/app-actions/T0FAKETEAM/1/x",
    )
    assert shortcut["type"] == "message_action" and shortcut["callback_id"] == "save_as_lesson"
    assert shortcut["trigger_id"] and shortcut["action_ts"] and shortcut["message_ts"] == theirs["ts"]
    assert shortcut["message"]["type"] == "message" and shortcut["message"]["text"] == "How do I?"
    assert shortcut["message"]["thread_ts"] == "1754400000.000100" and shortcut["message"]["user"] == "U0STUDENT1"
    assert shortcut["channel"] == {"id": "C0QUESTION", "name": "c0question"}
    assert shortcut["response_url"] == "https://hooks.slack.com/app-actions/T0FAKETEAM/1/x"
    assert shortcut["team"]["id"] == "T0FAKETEAM" and shortcut["user"]["id"] == "U0MENTOR01"

    view = client.views_open(trigger_id=sender.trigger_id(), view=ASK_MODAL)["view"]
    suggestion = sender.block_suggestion_payload(
        user="U0STUDENT1", action_id="lesson_input", block_id="lesson_block", value="deco", view=view
    )
    assert suggestion["type"] == "block_suggestion" and suggestion["action_id"] == "lesson_input"
    assert suggestion["block_id"] == "lesson_block" and suggestion["value"] == "deco"
    assert suggestion["container"] == {"type": "view", "view_id": view["id"]}
    assert suggestion["view"]["id"] == view["id"] and suggestion["api_app_id"] and suggestion["token"]


def test_bolt_routes_every_payload_to_its_listener(fake_slack, client):
    """The payloads reach the listeners Bolt would pick for the real thing, signature checked."""
    from slack_bolt import App, BoltRequest

    sender = SlackSender("http://unused", "s3cret")
    app = App(client=client, signing_secret="s3cret", process_before_response=True)
    seen = []

    @app.action("answer_helpful")
    def on_action(ack, body):
        ack()
        seen.append(("action", body["actions"][0]["value"]))

    @app.view("ask_modal")
    def on_submit(ack, view):
        ack()
        seen.append(("view", view["state"]["values"]["question_block"]["question_input"]["value"]))

    @app.shortcut("save_as_lesson")
    def on_shortcut(ack, shortcut):
        ack()
        seen.append(("shortcut", shortcut["message"]["text"]))

    @app.options("lesson_input")
    def on_options(ack, payload):
        ack(options=[{"text": {"type": "plain_text", "text": "Decorators"}, "value": "l-1"}])
        seen.append(("options", payload["value"]))

    def send(payload):
        body = sender.interaction_body(payload).decode()
        return app.dispatch(BoltRequest(body=body, headers=sender.sign(body.encode())))

    view = client.views_open(trigger_id=sender.trigger_id(), view=ASK_MODAL)["view"]
    message = fake_slack.add_message("C0QUESTION", user="U0STUDENT1", text="How do I?")
    answers = [
        send(sender.block_actions_payload(user="U0STUDENT1", action_id="answer_helpful", value="yes")),
        send(
            sender.view_submission_payload(
                user="U0STUDENT1", view=view, values=sender.view_state_values(view, {"question_input": "Why?"})
            )
        ),
        send(
            sender.message_action_payload(
                user="U0MENTOR01", callback_id="save_as_lesson", message=message, channel="C0QUESTION"
            )
        ),
        send(
            sender.block_suggestion_payload(
                user="U0STUDENT1", action_id="lesson_input", block_id="lesson_block", value="deco", view=view
            )
        ),
    ]
    assert [a.status for a in answers] == [200] * 4
    assert seen == [("action", "yes"), ("view", "Why?"), ("shortcut", "How do I?"), ("options", "deco")]
    assert json.loads(answers[3].body)["options"][0]["value"] == "l-1"


# -- Block Kit validation (fakeslack/blocks.py) --------------------------------------------------
def _plain(text):
    return {"type": "plain_text", "text": text}


def _mrkdwn(text):
    return {"type": "mrkdwn", "text": text}


def _button(text="Go", action_id="go", **more):
    return {"type": "button", "text": _plain(text), "action_id": action_id, **more}


def _option(text, value=None):
    return {"text": _plain(text), "value": text if value is None else value}


def _select(options, **more):
    return {"type": "static_select", "action_id": "pick", "placeholder": _plain("Pick"), "options": options, **more}


def _section(text="hi", **more):
    return {"type": "section", "text": _mrkdwn(text), **more}


def _input(element, block_id="in"):
    return {"type": "input", "block_id": block_id, "label": _plain("Label"), "element": element}


# Each rule: blocks Slack takes, the same at the limit's wrong side, and Slack's message for it.
BLOCK_RULES = {
    "unknown-type": (
        [{"type": "divider"}],
        [{"type": "fancy"}],
        "unsupported type: fancy [json-pointer:/blocks/0/type]",
    ),
    "app-cannot-send-file": (
        [_section()],
        [{"type": "file", "external_id": "F1", "source": "remote"}],
        "unsupported type: file (not allowed in a message) [json-pointer:/blocks/0/type]",
    ),
    "unknown-field": (
        [_section()],
        [_section(colour="red")],
        "invalid additional property: colour [json-pointer:/blocks/0]",
    ),
    "max-50-blocks": (
        [{"type": "divider"}] * 50,
        [{"type": "divider"}] * 51,
        "no more than 50 items allowed [json-pointer:/blocks]",
    ),
    "block-id-unique": (
        [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "b"}],
        [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}],
        "duplicate block_id: a [json-pointer:/blocks/1/block_id]",
    ),
    "block-id-255": (
        [{"type": "divider", "block_id": "b" * 255}],
        [{"type": "divider", "block_id": "b" * 256}],
        "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ),
    "action-id-unique-in-block": (
        [{"type": "actions", "elements": [_button()]}, {"type": "actions", "elements": [_button()]}],
        [{"type": "actions", "elements": [_button(), _button(text="Again")]}],
        "duplicate action_id: go [json-pointer:/blocks/0/elements/1/action_id]",
    ),
    "section-text-3000": (
        [_section("x" * 3000)],
        [_section("x" * 3001)],
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    "section-text-or-fields": (
        [{"type": "section", "fields": [_mrkdwn("a")]}],
        [{"type": "section"}],
        "must define either `text` or `fields` [json-pointer:/blocks/0]",
    ),
    "section-10-fields": (
        [{"type": "section", "fields": [_mrkdwn("a")] * 10}],
        [{"type": "section", "fields": [_mrkdwn("a")] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
    "section-field-2000": (
        [{"type": "section", "fields": [_mrkdwn("a" * 2000)]}],
        [{"type": "section", "fields": [_mrkdwn("a" * 2001)]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    "empty-text": ([_section("x")], [_section("")], "missing required field: text [json-pointer:/blocks/0/text]"),
    "header-150": (
        [{"type": "header", "text": _plain("h" * 150)}],
        [{"type": "header", "text": _plain("h" * 151)}],
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    "header-plain-text-only": (
        [{"type": "header", "text": _plain("h")}],
        [{"type": "header", "text": _mrkdwn("h")}],
        "must be a valid enum value [json-pointer:/blocks/0/text/type]",
    ),
    "button-text-75": (
        [{"type": "actions", "elements": [_button("b" * 75)]}],
        [{"type": "actions", "elements": [_button("b" * 76)]}],
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    "button-value-2000": (
        [{"type": "actions", "elements": [_button(value="v" * 2000)]}],
        [{"type": "actions", "elements": [_button(value="v" * 2001)]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ),
    "button-url-3000": (
        [_section(accessory=_button(url="u" * 3000))],
        [_section(accessory=_button(url="u" * 3001))],
        "must be less than 3001 characters [json-pointer:/blocks/0/accessory/url]",
    ),
    "button-style": (
        [_section(accessory=_button(style="danger"))],
        [_section(accessory=_button(style="red"))],
        "must be a valid enum value [json-pointer:/blocks/0/accessory/style]",
    ),
    "accessory-kinds": (
        [_section(accessory=_button())],
        [_section(accessory={"type": "plain_text_input", "action_id": "t"})],
        "unsupported type: plain_text_input [json-pointer:/blocks/0/accessory/type]",
    ),
    "option-text-75": (
        [_section(accessory=_select([_option("o" * 75)]))],
        [_section(accessory=_select([_option("o" * 76)]))],
        "must be less than 76 characters [json-pointer:/blocks/0/accessory/options/0/text/text]",
    ),
    "option-value-150": (
        [_section(accessory=_select([_option("o", "v" * 150)]))],
        [_section(accessory=_select([_option("o", "v" * 151)]))],
        "must be less than 151 characters [json-pointer:/blocks/0/accessory/options/0/value]",
    ),
    "option-no-type-field": (
        [_section(accessory=_select([_option("o")]))],
        [_section(accessory=_select([{**_option("o"), "type": "option"}]))],
        "invalid additional property: type [json-pointer:/blocks/0/accessory/options/0]",
    ),
    "100-options": (
        [_section(accessory=_select([_option(str(n)) for n in range(100)]))],
        [_section(accessory=_select([_option(str(n)) for n in range(101)]))],
        "no more than 100 items allowed [json-pointer:/blocks/0/accessory/options]",
    ),
    "initial-option-among-options": (
        [_section(accessory=_select([_option("a")], initial_option=_option("a")))],
        [_section(accessory=_select([_option("a")], initial_option=_option("b")))],
        "must be one of the provided options [json-pointer:/blocks/0/accessory/initial_option]",
    ),
    "context-10": (
        [{"type": "context", "elements": [_mrkdwn("c")] * 10}],
        [{"type": "context", "elements": [_mrkdwn("c")] * 11}],
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "actions-25": (
        [{"type": "actions", "elements": [_button(action_id=f"b{n}") for n in range(25)]}],
        [{"type": "actions", "elements": [_button(action_id=f"b{n}") for n in range(26)]}],
        "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ),
    "placeholder-150": (
        [_input({"type": "plain_text_input", "action_id": "t", "placeholder": _plain("p" * 150)})],
        [_input({"type": "plain_text_input", "action_id": "t", "placeholder": _plain("p" * 151)})],
        "must be less than 151 characters [json-pointer:/blocks/0/element/placeholder/text]",
    ),
    "input-element-kinds": (
        [_input({"type": "plain_text_input", "action_id": "t"})],
        [_input(_button())],
        "unsupported type: button [json-pointer:/blocks/0/element/type]",
    ),
}


@pytest.mark.parametrize("rule", BLOCK_RULES)
def test_chat_post_message_applies_block_kit_rules(fake_slack, client, rule):
    good, bad, message = BLOCK_RULES[rule]
    assert client.chat_postMessage(channel="C0QUESTION", text="t", blocks=good)["ok"]
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0QUESTION", text="t", blocks=bad)
    body = refused.value.response.data
    assert body["error"] == "invalid_blocks"
    assert message in body["errors"]
    assert f"[ERROR] {message}" in body["response_metadata"]["messages"]
    assert len(fake_slack.messages["C0QUESTION"]) == 1  # the refused one was not posted


def test_chat_update_post_ephemeral_and_response_urls_apply_the_same_rules(fake_slack, client):
    bad = [{"type": "header", "text": _mrkdwn("Hi")}]
    posted = client.chat_postMessage(channel="C0QUESTION", text="mine")
    for call, kwargs in (
        (client.chat_update, {"channel": "C0QUESTION", "ts": posted["ts"]}),
        (client.chat_postEphemeral, {"channel": "C0QUESTION", "user": "U0STUDENT1"}),
    ):
        with pytest.raises(SlackApiError) as refused:
            call(text="t", blocks=bad, **kwargs)
        assert refused.value.response["error"] == "invalid_blocks"
        assert refused.value.response["response_metadata"]["messages"] == [
            "[ERROR] must be a valid enum value [json-pointer:/blocks/0/text/type]"
        ]

    def respond(body):
        request = urllib.request.Request(
            fake_slack.response_url("r"), data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    assert respond({"text": "t", "blocks": [{"type": "header", "text": _plain("Hi")}]}) == (200, "ok")
    assert respond({"text": "t", "blocks": bad}) == (400, "invalid_blocks")


MODAL = {"type": "modal", "title": _plain("Ask"), "submit": _plain("Send"), "blocks": [_section()]}
# Each rule: a modal Slack takes, one it refuses, and Slack's message.
VIEW_RULES = {
    "title-24": (
        {**MODAL, "title": _plain("t" * 24)},
        {**MODAL, "title": _plain("t" * 25)},
        "must be less than 25 characters [json-pointer:/view/title/text]",
    ),
    "submit-24": (
        {**MODAL, "submit": _plain("s" * 24)},
        {**MODAL, "submit": _plain("s" * 25)},
        "must be less than 25 characters [json-pointer:/view/submit/text]",
    ),
    "close-plain-text": (
        {**MODAL, "close": _plain("Cancel")},
        {**MODAL, "close": _mrkdwn("Cancel")},
        "must be a valid enum value [json-pointer:/view/close/type]",
    ),
    "100-blocks": (
        {**MODAL, "blocks": [{"type": "divider"}] * 100},
        {**MODAL, "blocks": [{"type": "divider"}] * 101},
        "no more than 100 items allowed [json-pointer:/view/blocks]",
    ),
    "input-needs-submit": (
        {**MODAL, "blocks": [_input({"type": "plain_text_input", "action_id": "t"})]},
        {
            **{k: v for k, v in MODAL.items() if k != "submit"},
            "blocks": [_input({"type": "plain_text_input", "action_id": "t"})],
        },
        "must provide submit when the view has input blocks [json-pointer:/view/submit]",
    ),
    "markdown-block-messages-only": (
        {**MODAL, "blocks": [_section()]},
        {**MODAL, "blocks": [{"type": "markdown", "text": "*hi*"}]},
        "unsupported type: markdown (not allowed in a modal) [json-pointer:/view/blocks/0/type]",
    ),
    "block-rules-inside": (
        {**MODAL, "blocks": [{"type": "header", "text": _plain("h")}]},
        {**MODAL, "blocks": [{"type": "header", "text": _plain("h" * 151)}]},
        "must be less than 151 characters [json-pointer:/view/blocks/0/text/text]",
    ),
}


@pytest.mark.parametrize("rule", VIEW_RULES)
def test_views_apply_block_kit_rules(fake_slack, client, rule):
    good, bad, message = VIEW_RULES[rule]
    opened = client.views_open(trigger_id="1.2.x", view=good)["view"]
    for call, kwargs in (
        (client.views_open, {"trigger_id": "1.2.y"}),
        (client.views_push, {"trigger_id": "1.2.y"}),
        (client.views_update, {"view_id": opened["id"]}),
    ):
        with pytest.raises(SlackApiError) as refused:
            call(view=bad, **kwargs)
        body = refused.value.response.data
        assert body["error"] == "invalid_arguments" and "errors" not in body
        assert f"[ERROR] {message}" in body["response_metadata"]["messages"]
    assert list(fake_slack.views) == [opened["id"]]


def test_views_publish_applies_block_kit_rules_for_a_home(client):
    home = {"type": "home", "blocks": [_section(), _input({"type": "plain_text_input", "action_id": "t"})]}
    assert client.views_publish(user_id="U0STUDENT1", view=home)["ok"]  # input blocks are fine in a Home
    for bad, message in (
        ({**home, "blocks": [{"type": "divider"}] * 101}, "no more than 100 items allowed [json-pointer:/view/blocks]"),
        (
            {**home, "blocks": [{"type": "header", "text": _plain("h" * 300)}]},
            "must be less than 151 characters [json-pointer:/view/blocks/0/text/text]",
        ),
        ({**home, "title": _plain("Home")}, "invalid additional property: title [json-pointer:/view]"),
        ({**home, "type": "modal"}, "must be a valid enum value [json-pointer:/view/type]"),
    ):
        with pytest.raises(SlackApiError) as refused:
            client.views_publish(user_id="U0STUDENT1", view=bad)
        assert refused.value.response["error"] == "invalid_arguments"
        assert refused.value.response["response_metadata"]["messages"] == [f"[ERROR] {message}"]


def test_an_answer_to_a_block_suggestion_holds_options_or_option_groups():
    """Slack shows an external select's options from "either an options array, or an option_groups
    array": one of the two, of at most 100, each option as in a static select."""
    from fakeslack.answers import suggestion_problem

    option = {"text": _plain("Hiring"), "value": "topic:Hiring"}
    group = {"label": _plain("Topics"), "options": [option]}
    for fine in ({"options": [option]}, {"options": []}, {"option_groups": [group]}):
        assert suggestion_problem(fine) is None
    for bad, message in (
        ({"options": [option], "option_groups": []}, "must provide exactly one of options or option_groups"),
        ({}, "must provide exactly one of options or option_groups"),
        ({"options": [option] * 101}, "no more than 100 items allowed [json-pointer:/options]"),
        (
            {"options": [{**option, "text": {"type": "mrkdwn", "text": "*Hiring*"}}]},
            "must be a valid enum value [json-pointer:/options/0/text/type]",
        ),
        ({"option_groups": [{"options": [option]}]}, "missing required field: label [json-pointer:/option_groups/0]"),
    ):
        refused = suggestion_problem(bad)
        assert refused == "invalid_options" and any(m.startswith(message) for m in refused.messages), bad


# -- the public hooks what is built on the stand-in uses (the playground) ----------------------


def test_a_method_can_be_replaced_or_wrapped_and_every_answer_seen(fake_slack, client):
    from fakeslack import Answer
    from fakeslack.answers import ok

    seen = []
    fake_slack.after_answer.append(lambda call, answer: seen.append((call.method, answer.body.get("ok"))))
    stand_in = fake_slack.methods["chat.postMessage"]

    @fake_slack.handler("chat.postMessage")
    def post_and_tag(call) -> Answer:
        answer = stand_in(call)
        answer.body["tagged"] = True
        return answer

    fake_slack.handler("team.info")(lambda call: ok(team={"id": fake_slack.team_id}))
    assert client.chat_postMessage(channel="C0GENERAL1", text="hi")["tagged"] is True
    assert client.api_call("team.info")["team"]["id"] == fake_slack.team_id
    fake_slack.can_post = lambda channel: "is_archived"
    with pytest.raises(SlackApiError, match="is_archived"):
        client.chat_postMessage(channel="C0GENERAL1", text="hi")
    assert seen == [("chat.postMessage", True), ("team.info", True), ("chat.postMessage", False)]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]"])
def test_a_response_url_body_that_is_not_a_json_object_is_refused(fake_slack, body):
    request = urllib.request.Request(
        fake_slack.response_url(), data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=5)
    assert (refused.value.code, refused.value.read()) == (400, b"invalid_payload")


def test_the_per_channel_posting_limit_answers_429_as_slack_does():
    from fakeslack import FakeSlack

    with FakeSlack(post_rate_limit=(1.0, 3)) as fake:
        now = [100.0]
        fake.post_limit.clock = lambda: now[0]
        client = WebClient(token=fake.token, base_url=fake.api_url, retry_handlers=[])
        for n in range(3):  # the burst
            assert client.chat_postMessage(channel="C1", text=f"burst {n}")["ok"]
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="C1", text="one too many")
        assert limited.value.response.status_code == 429
        assert limited.value.response["error"] == "ratelimited"
        assert limited.value.response.headers["Retry-After"] == "1"  # whole seconds, at least 1
        assert client.chat_postMessage(channel="C2", text="another channel")["ok"]  # its own bucket
        now[0] += 0.5
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="half a token is not one")
        now[0] += 0.5
        assert client.chat_postMessage(channel="C1", text="a token came back")["ok"]
        assert client.chat_update(channel="C1", ts=fake.messages["C1"][0]["ts"], text="edits are not limited")["ok"]
        assert [m["text"] for m in fake.messages["C1"]] == [
            "edits are not limited",
            "burst 1",
            "burst 2",
            "a token came back",
        ]
        assert fake.post_limit.refused == {"C1": 2} and fake.post_limit.total_refused == 2


def test_the_posting_limit_can_cover_other_methods_and_waits_whole_seconds():
    from fakeslack import FakeSlack

    with FakeSlack() as fake:
        limit = fake.limit_posts(0.25, 1, methods=frozenset({"chat.postMessage", "chat.postEphemeral"}))
        now = [0.0]
        limit.clock = lambda: now[0]
        client = WebClient(token=fake.token, base_url=fake.api_url, retry_handlers=[])
        assert client.chat_postEphemeral(channel="C1", user="U1", text="x")["ok"]
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="C1", text="y")
        assert limited.value.response.headers["Retry-After"] == "4"  # one token at a quarter a second
        assert fake.calls_to("chat.postMessage")  # a refused call is still recorded
        assert "C1" not in fake.messages or not fake.messages["C1"]


# -- installs ("Add to Slack") and token rotation ---------------------------------------------------
def _app_client(fake_slack) -> WebClient:
    return WebClient(base_url=fake_slack.api_url)  # no token: oauth.v2.access takes the app's credentials


def test_oauth_v2_access_exchanges_a_code_once_for_a_workspace_token(fake_slack):
    app = _app_client(fake_slack)
    code = fake_slack.oauth_code("T0PARIS01", "Paris", enterprise_id="E0GLOBEX1", enterprise_name="Globex")
    answer = app.oauth_v2_access(client_id=fake_slack.client_id, client_secret=fake_slack.client_secret, code=code)
    assert answer["token_type"] == "bot" and answer["access_token"].startswith("xoxb-")
    assert answer["team"] == {"id": "T0PARIS01", "name": "Paris"}
    assert answer["enterprise"] == {"id": "E0GLOBEX1", "name": "Globex"} and answer["is_enterprise_install"] is False
    assert answer["authed_user"] == {"id": "U0INSTALL1"} and "refresh_token" not in answer.data
    # slack-sdk sends the app's credentials as HTTP Basic; the stand-in records the call without a token.
    [call] = fake_slack.calls_to("oauth.v2.access")
    assert call.token is None and call.headers["authorization"].startswith("Basic ")
    with pytest.raises(SlackApiError, match="invalid_code"):
        app.oauth_v2_access(client_id=fake_slack.client_id, client_secret=fake_slack.client_secret, code=code)
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        app.oauth_v2_access(client_id=fake_slack.client_id, client_secret="wrong", code=code)
    with pytest.raises(SlackApiError, match="invalid_client_id"):
        app.oauth_v2_access(client_id="1.2", client_secret=fake_slack.client_secret, code=code)

    # The token works for that workspace's bot, and says who it is.
    bot = WebClient(token=answer["access_token"], base_url=fake_slack.api_url)
    who = bot.auth_test()
    assert (who["team_id"], who["enterprise_id"], who["is_enterprise_install"]) == ("T0PARIS01", "E0GLOBEX1", False)
    bot.chat_postMessage(channel="C0GENERAL1", text="hi")
    assert fake_slack.calls_to("chat.postMessage")[0].token == answer["access_token"]
    assert fake_slack.installed_token("T0PARIS01", "E0GLOBEX1") == answer["access_token"]


def test_an_org_wide_install_has_no_team_and_answers_for_the_organisation(fake_slack):
    code = fake_slack.oauth_code(None, enterprise_id="E0GLOBEX1", enterprise_name="Globex", is_enterprise_install=True)
    answer = _app_client(fake_slack).oauth_v2_access(
        client_id=fake_slack.client_id, client_secret=fake_slack.client_secret, code=code
    )
    assert answer["team"] is None and answer["is_enterprise_install"] is True
    assert answer["enterprise"] == {"id": "E0GLOBEX1", "name": "Globex"}
    who = WebClient(token=answer["access_token"], base_url=fake_slack.api_url).auth_test()
    assert who["is_enterprise_install"] is True and who["enterprise_id"] == "E0GLOBEX1"
    assert fake_slack.installed_token(None, "E0GLOBEX1") == answer["access_token"]


def test_token_rotation_refresh_tokens_work_once_and_tokens_expire(fake_slack):
    app = _app_client(fake_slack)
    credentials = dict(client_id=fake_slack.client_id, client_secret=fake_slack.client_secret)
    first = app.oauth_v2_access(**credentials, code=fake_slack.oauth_code("T0PARIS01", rotation=True, expires_in=600))
    assert first["access_token"].startswith("xoxe.xoxb-") and first["refresh_token"].startswith("xoxe-1-")
    assert first["expires_in"] == 600
    second = app.oauth_v2_access(**credentials, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    assert second["token_type"] == "bot" and second["team"]["id"] == "T0PARIS01"
    # A refresh token is spent once: the second use is refused, and issues nothing.
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):
        app.oauth_v2_access(**credentials, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert fake_slack.installed_token("T0PARIS01") == second["access_token"]
    # The old token works until it expires; then Slack says so.
    old = WebClient(token=first["access_token"], base_url=fake_slack.api_url)
    old.auth_test()
    fake_slack.grants.expire(first["access_token"])
    with pytest.raises(SlackApiError, match="token_expired"):
        old.auth_test()
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-never-issued", base_url=fake_slack.api_url).auth_test()


def test_a_grid_organisation_of_two_workspaces_under_an_org_wide_install(fake_slack):
    """fakeslack/grid.py: workspaces, their channels and members, and what follows from them."""
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    fake_slack.grid("E0ACME0001", "Acme")
    fake_slack.add_workspace("T0SINGAP01", "Acme Singapore")
    fake_slack.add_channel("C0SINGAP01", team_id="T0SINGAP01")
    fake_slack.add_channel("C0PRIVATE1", private=True)
    fake_slack.add_user("W0BOTH0001", team_id="T0SINGAP01", teams=["T0FAKETEAM", "T0SINGAP01"], is_org_admin=True)

    me = client.auth_test()
    assert (me["team_id"], me["enterprise_id"], me["is_enterprise_install"]) == ("T0FAKETEAM", "E0ACME0001", True)
    user = client.users_info(user="W0BOTH0001")["user"]
    assert user["team_id"] == "T0SINGAP01"
    assert user["enterprise_user"] == {
        "id": "W0BOTH0001",
        "enterprise_id": "E0ACME0001",
        "enterprise_name": "Acme",
        "is_admin": True,
        "is_owner": False,
        "teams": ["T0FAKETEAM", "T0SINGAP01"],
    }
    # Links open in each channel's own workspace.
    assert client.chat_getPermalink(channel="C0SINGAP01", message_ts="1.2")["permalink"].startswith(
        "https://acme-singapore.slack.com/archives/C0SINGAP01/"
    )
    assert client.chat_getPermalink(channel="C0QUESTION", message_ts="1.2")["permalink"].startswith(
        "https://fake-mentors.slack.com/"
    )
    # What kind of conversation each is.
    info = {c: client.conversations_info(channel=c)["channel"] for c in ("C0SINGAP01", "C0PRIVATE1", "D0SOMEONE1")}
    assert (info["C0SINGAP01"]["is_private"], info["C0SINGAP01"]["context_team_id"]) == (False, "T0SINGAP01")
    assert info["C0PRIVATE1"]["is_private"] and info["C0PRIVATE1"]["is_group"]
    assert info["D0SOMEONE1"]["is_im"]
    fake_slack.private_channels.add("C0NOTIN001")  # private, and the bot was never invited
    with pytest.raises(SlackApiError) as hidden:
        client.conversations_info(channel="C0NOTIN001")
    assert hidden.value.response["error"] == "channel_not_found"
    # A modal belongs to the workspace whose request's trigger opened it.
    singapore = SlackSender("http://unused", "s3cret", team_id="T0SINGAP01", enterprise_id="E0ACME0001")
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [{"type": "divider"}]}
    opened = client.views_open(trigger_id=singapore.trigger_id(), view=modal)["view"]
    assert (opened["team_id"], opened["app_installed_team_id"]) == ("T0SINGAP01", "T0SINGAP01")
    paris = SlackSender("http://unused", "s3cret")
    assert client.views_open(trigger_id=paris.trigger_id(), view=modal)["view"]["app_installed_team_id"] == "T0FAKETEAM"


def test_hang_holds_calls_without_an_answer_until_released(fake_slack, client):
    fake_slack.hang("views.open", seconds=5)
    quick = WebClient(token=fake_slack.token, base_url=fake_slack.api_url, timeout=0.3, retry_handlers=[])
    with pytest.raises(TimeoutError):
        quick.views_open(trigger_id="t", view={"type": "modal", "title": {"type": "plain_text", "text": "x"}})
    assert fake_slack.calls_to("views.open")  # recorded when it came
    assert client.auth_test()["ok"]  # only the methods named are held
    fake_slack.hang(seconds=5)  # every Web API method, not response_urls
    with pytest.raises(TimeoutError):
        quick.auth_test()
    answered = []
    thread = threading.Thread(target=lambda: answered.append(client.auth_test()["ok"]))
    thread.start()
    fake_slack.wait_for("auth.test", 3)
    fake_slack.release()  # what is held is answered now
    thread.join(2)
    assert answered == [True]
    assert quick.auth_test()["ok"]


def test_answers_say_the_tokens_granted_scopes_as_slack_does(fake_slack, client):
    assert "x-oauth-scopes" not in {k.lower() for k in client.auth_test().headers}  # none given: none said
    fake_slack.scopes = ("commands", "chat:write")
    headers = {k.lower(): v for k, v in client.auth_test().headers.items()}
    assert headers["x-oauth-scopes"] == "commands,chat:write"
    # An install's token says its grant's scopes.
    code = fake_slack.oauth_code("T0OTHER001", scope="commands,users:read")
    token = WebClient(base_url=fake_slack.api_url).oauth_v2_access(
        client_id=fake_slack.client_id, client_secret=fake_slack.client_secret, code=code
    )["access_token"]
    answer = WebClient(token=token, base_url=fake_slack.api_url).auth_test()
    assert {k.lower(): v for k, v in answer.headers.items()}["x-oauth-scopes"] == "commands,users:read"


def test_a_revoked_token_is_refused(fake_slack, client):
    fake_slack.revoke()
    with pytest.raises(SlackApiError) as refused:
        client.auth_test()
    assert refused.value.response["error"] == "token_revoked"


def test_deleted_and_archived_channels_answer_as_slack_does(fake_slack, client):
    fake_slack.delete_channel("C0DELETED1")
    fake_slack.add_channel("C0ARCHIVE1", archived=True)
    for call in (client.conversations_info, client.conversations_join):
        with pytest.raises(SlackApiError) as refused:
            call(channel="C0DELETED1")
        assert refused.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0DELETED1", text="hi")
    assert refused.value.response["error"] == "channel_not_found"
    assert client.conversations_info(channel="C0ARCHIVE1")["channel"]["is_archived"] is True
    for call in (client.conversations_join, lambda channel: client.chat_postMessage(channel=channel, text="hi")):
        with pytest.raises(SlackApiError) as refused:
            call(channel="C0ARCHIVE1")
        assert refused.value.response["error"] == "is_archived"


def test_apps_connections_open_takes_only_the_apps_current_token(fake_slack):
    from fakeslack.socket_mode import SocketModeServer

    fake_slack.socket_mode = SocketModeServer()
    fake_slack.app_token = "xapp-1-current"
    client = WebClient(base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as refused:
        client.apps_connections_open(app_token="xapp-1-old")
    assert refused.value.response["error"] == "invalid_auth"
    fake_slack.socket_mode.start()
    try:
        assert client.apps_connections_open(app_token="xapp-1-current")["url"].startswith("ws://127.0.0.1:")
    finally:
        fake_slack.socket_mode.stop()


def test_replies_reads_a_thread_only_where_the_bot_is(fake_slack, client):
    parent = fake_slack.add_message("C0QUESTION", user="U0STUDENT1", text="question")
    fake_slack.add_message("C0QUESTION", user="U0HELPER01", text="answer", thread_ts=parent["ts"])
    fake_slack.add_message("C0QUESTION", user="U0STUDENT1", text="elsewhere")
    thread = client.conversations_replies(channel="C0QUESTION", ts=parent["ts"])["messages"]
    assert [m["text"] for m in thread] == ["question", "answer"]  # the parent first, with its thread
    assert thread[0]["reply_count"] == 1 and thread[1]["thread_ts"] == parent["ts"]
    assert slack_error(client.conversations_replies, channel="C0QUESTION", ts="1.000001") == "thread_not_found"
    # A private channel the bot was not invited to, or two people's DM, does not exist for it.
    fake_slack.private_channels.add("C0SECRET01")
    fake_slack.add_channel("D0PEOPLE01", without_bot=True)
    for channel in ("C0SECRET01", "D0PEOPLE01"):
        assert slack_error(client.conversations_replies, channel=channel, ts=parent["ts"]) == "channel_not_found"
    assert slack_error(client.conversations_info, channel="D0PEOPLE01") == "channel_not_found"
    fake_slack.not_joined.add("C0NOTJOIN1")
    assert slack_error(client.conversations_replies, channel="C0NOTJOIN1", ts=parent["ts"]) == "not_in_channel"
