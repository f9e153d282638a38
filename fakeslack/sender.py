"""Signed requests to an app's `/slack/events`, shaped as Slack sends them.

The bodies follow `shared/slack/examples/`: slash commands are form-encoded, events are
`event_callback` JSON with an `event_id`, interactions are a form with one `payload` field.

Enterprise Grid and Slack Connect shapes: a sender made with `enterprise_id` speaks for a workspace
of that Grid organisation (`enterprise_id`/`enterprise_name` in commands, `enterprise` and
`team.enterprise_id` in interactions, `authorizations[0].enterprise_id`, `enterprise_id` and
`context_enterprise_id` in events), and with `is_enterprise_install` for an org-wide install
(`authorizations[0].team_id` and an interaction's `team` are then null; `context_team_id` says
the workspace). `event_body(..., team_id=..., ext_shared=True)` is an event in a channel another
workspace created and shares with an organisation outside; `user_team=` on the event and
interaction builders is a person from another workspace (a Slack Connect guest, or a colleague
of another workspace of the same Grid organisation): `user_team`/`source_team` in events,
`user.team_id` in interactions (and, in a form they submit, `team` is theirs while
`view.app_installed_team_id` stays the installation's).
The `*_payload` builders make those interaction payloads (block_actions, view_submission,
message_action, block_suggestion); send one with `interaction(payload)`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fakeslack.blocks import markup_shown_as_typed
from fakeslack.grid import trigger_segment
from fakeslack.payloads import (
    MULTI_OPTION_INPUTS,
    ONE_OPTION_INPUTS,
    VERIFICATION_TOKEN,
    InteractionPayloads,
    input_state,
)

__all__ = [
    "MULTI_OPTION_INPUTS",
    "ONE_OPTION_INPUTS",
    "VERIFICATION_TOKEN",
    "Response",
    "SlackSender",
    "input_state",
    "slack_escape",
]


def slack_escape(text: str) -> str:
    """What Slack sends for text a person typed: `&`, `<` and `>` as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class SlackSender(InteractionPayloads):
    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        team_id: str = "T0FAKETEAM",
        team_domain: str = "fake-mentors",
        api_app_id: str = "A0FAKEAPP1",
        bot_user_id: str = "U0FAKEBOT1",
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        is_enterprise_install: bool = False,
    ):
        """`enterprise_id`: the workspace is part of that Enterprise Grid organisation (its
        payloads say so); `is_enterprise_install`: the app is installed org-wide there."""
        self.url = url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = bot_user_id
        self.enterprise_id = enterprise_id
        self.enterprise_name = enterprise_name or ("Fake Corp" if enterprise_id else None)
        self.is_enterprise_install = is_enterprise_install
        self._ids = itertools.count(1)
        # mrkdwn the app answered where Slack shows text as typed (a form's errors, options, a
        # view): "problem", as fakeslack/blocks.py words it. Slack takes it; the tests fail on it.
        self.shown_as_typed: list[str] = []

    # -- signing and sending ------------------------------------------------------------------
    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's v0 signature: HMAC-SHA256 of b"v0:" + timestamp + b":" + the exact body bytes."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(self.signing_secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}

    def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None, timeout: float = 10
    ) -> Response:
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
        try:
            with opener.open(request, timeout=timeout) as answer:
                return Response(answer.status, answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as answer:
            return Response(answer.code, answer.read(), dict(answer.headers))

    def send_signed(self, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> Response:
        response = self.post(body, content_type, {**self.sign(body), **(extra or {})})
        if response.headers.get("Content-Type", response.headers.get("content-type", "")).startswith(
            "application/json"
        ):
            try:
                answer = response.json()
            except ValueError:
                answer = None
            self.shown_as_typed.extend(markup_shown_as_typed(answer))
        return response

    # -- payloads -----------------------------------------------------------------------------
    def command_body(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str = "U0STUDENT1",
        user_name: str = "student",
        channel_id: str = "C0GENERAL1",
        channel_name: str = "general",
        response_url: str = "https://hooks.slack.com/commands/T0FAKETEAM/1/x",
        trigger_id: str | None = None,
    ) -> bytes:
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "true" if self.is_enterprise_install else "false",
            "response_url": response_url,
            "trigger_id": trigger_id or self.trigger_id(),
        }
        if self.enterprise_id:
            fields.update(enterprise_id=self.enterprise_id, enterprise_name=self.enterprise_name)
        return urlencode(fields).encode()

    def command(self, command: str, text: str = "", **kwargs) -> Response:
        return self.send_signed(self.command_body(command, text, **kwargs), "application/x-www-form-urlencoded")

    def event_body(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        team_id: str | None = None,
        ext_shared: bool = False,
    ) -> bytes:
        """An `event_callback` for this sender's installation. `team_id`: the workspace Slack puts at
        the top (in a shared channel, the one that created it); `ext_shared`: the channel is shared
        with another organisation (Slack Connect)."""
        n = next(self._ids)
        envelope: dict[str, Any] = {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id or self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{n:010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    # An org-wide installation is the organisation's, not one workspace's.
                    "team_id": None if self.is_enterprise_install else self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": ext_shared,
            "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
        }
        if self.enterprise_id:
            envelope["enterprise_id"] = self.enterprise_id
        if self.enterprise_id or team_id or ext_shared:
            envelope["context_team_id"] = self.team_id
            envelope["context_enterprise_id"] = self.enterprise_id
        return json.dumps(envelope).encode()

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        team_id: str | None = None,
        ext_shared: bool = False,
    ) -> Response:
        extra = {}
        if retry_num:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        body = self.event_body(event, event_id=event_id, team_id=team_id, ext_shared=ext_shared)
        return self.send_signed(body, "application/json", extra)

    def interaction_body(self, payload: dict[str, Any]) -> bytes:
        return urlencode({"payload": json.dumps(payload)}).encode()

    def interaction(self, payload: dict[str, Any]) -> Response:
        return self.send_signed(self.interaction_body(payload), "application/x-www-form-urlencoded")

    # -- ids ----------------------------------------------------------------------------------
    def trigger_id(self) -> str:
        """A fresh trigger_id, shaped like Slack's (what views.open needs)."""
        n = next(self._ids)
        # Its middle part names the workspace, so the stand-in knows whose a modal opened with it is.
        return f"{7712345678900 + n}.{trigger_segment(self.team_id)}.{n:032x}"

    # -- events -------------------------------------------------------------------------------
    def thread_reply(
        self,
        *,
        channel: str,
        thread_ts: str,
        ts: str,
        user: str,
        text: str,
        parent_user_id: str | None = None,
        user_team: str | None = None,
    ) -> dict[str, Any]:
        """A reply in a thread; `user_team`: the person is of another workspace (a shared channel)."""
        reply = {
            "client_msg_id": f"5f0b8a52-3c8e-4d5e-9d43-{next(self._ids):012x}",
            "type": "message",
            "text": text,
            "user": user,
            "ts": ts,
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": "Xx1a",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                }
            ],
            "team": self.team_id,
            "thread_ts": thread_ts,
            "parent_user_id": parent_user_id or self.bot_user_id,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "channel",
        }
        if user_team:
            reply.update(team=user_team, user_team=user_team, source_team=user_team)
        return reply

    def message_changed(
        self, *, channel: str, thread_ts: str, ts: str, user: str, text: str, old_text: str, edited_ts: str
    ) -> dict[str, Any]:
        base = {"type": "message", "user": user, "ts": ts, "thread_ts": thread_ts, "parent_user_id": self.bot_user_id}
        return {
            "type": "message",
            "subtype": "message_changed",
            "message": {**base, "text": text, "edited": {"user": user, "ts": edited_ts}},
            "previous_message": {**base, "text": old_text},
            "channel": channel,
            "hidden": True,
            "ts": edited_ts,
            "event_ts": edited_ts,
            "channel_type": "channel",
        }

    def message_deleted(
        self, *, channel: str, thread_ts: str, ts: str, user: str, text: str, at: str
    ) -> dict[str, Any]:
        return {
            "type": "message",
            "subtype": "message_deleted",
            "previous_message": {
                "type": "message",
                "user": user,
                "ts": ts,
                "thread_ts": thread_ts,
                "text": text,
                "parent_user_id": self.bot_user_id,
            },
            "channel": channel,
            "hidden": True,
            "deleted_ts": ts,
            "ts": at,
            "event_ts": at,
            "channel_type": "channel",
        }
