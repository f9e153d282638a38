"""response_urls: each one acts on where the click or command came from (a message, an ephemeral
answer, a channel), at most five times within 30 minutes, as Slack's do."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from typing import Any

from fakeslack import Answer, Call
from fakeslack.answers import blocks_problem

# A response_url takes up to 5 posts within 30 minutes.
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


@dataclass
class Responder:
    """Where a response_url's posts go."""

    user: str
    channel: str
    kind: str  # "command", "message", "shortcut"
    source_ts: str | None = None  # the message the click was on
    source_ephemeral: bool = False
    thread_ts: str | None = None
    uses: int = 0
    at: float = 0.0
    last_answer_ts: str | None = None  # a command's last ephemeral answer (replace_original replaces it)
    team: str | None = None  # the workspace the person acted in


class ResponsesMixin:
    """Part of `Workspace`: owns `_responders` (token -> Responder)."""

    def new_response_url(self, responder: Responder) -> str:
        token = secrets.token_urlsafe(12)
        responder.at = self.clock()
        with self.lock:
            self._responders[token] = responder
        return self.slack.response_url(token)

    def _answer_response_url(self, call: Call) -> Answer:
        return self._respond(call.path[len("/response/") :], call.args)

    def _respond(self, token: str, args: dict[str, Any]) -> Answer:
        with self.lock:
            r = self._responders.get(token)
            if r is None:
                return Answer(404, "invalid_token")
            if self.clock() - r.at > RESPONSE_URL_SECONDS:
                return Answer(404, "expired_url")
            if r.uses >= RESPONSE_URL_USES:
                return Answer(404, "used_url")
            r.uses += 1
            text, blocks = args.get("text") or "", args.get("blocks")
            if args.get("delete_original") in (True, "true"):
                self._delete_original(r)
                self._touch()
                return Answer(200, "ok")
            if not text and not blocks:
                return Answer(400, "no_text")
            if blocks_problem(blocks):
                return Answer(400, "invalid_blocks")
            if args.get("replace_original") in (True, "true") and self._replace_original(r, text, blocks):
                self._touch()
                return Answer(200, "ok")
            thread_ts = args.get("thread_ts") or r.thread_ts
            if args.get("response_type") == "in_channel":
                ts = self.store.next_ts()
                message = {
                    "type": "message",
                    "user": self.bot_user_id,
                    "bot_id": self.bot_id,
                    "ts": ts,
                    "text": text,
                    "team": self.home_of(r.channel),
                    "app_id": "A0KNOWHOW1",
                }
                if blocks:
                    message["blocks"] = blocks
                if thread_ts:
                    message["thread_ts"] = thread_ts
                self.messages[r.channel].append(message)
                event = {**copy.deepcopy(message), "channel": r.channel, "event_ts": ts}
            else:
                ts = self.store.next_ts()
                self._add_ephemeral(r.user, r.channel, ts=ts, text=text, blocks=blocks, thread_ts=thread_ts)
                if r.kind == "command":
                    r.last_answer_ts = ts
                event = None
            self._touch()
        if event:
            self._emit(event, r.team)
        return Answer(200, "ok")

    def _delete_original(self, r: Responder) -> None:
        if r.source_ephemeral or r.kind == "command":
            ts = r.source_ts if r.source_ephemeral else r.last_answer_ts
            self.ephemerals = [e for e in self.ephemerals if not (e["for_user"] == r.user and e["ts"] == ts)]
        elif r.source_ts:
            message = self.store.find_message(r.channel, r.source_ts)
            if message is not None and message.get("user") == self.bot_user_id:
                self.messages[r.channel].remove(message)

    def _replace_original(self, r: Responder, text: str, blocks) -> bool:
        if r.source_ephemeral or r.kind == "command":
            ts = r.source_ts if r.source_ephemeral else r.last_answer_ts
            for e in self.ephemerals:
                if e["for_user"] == r.user and e["ts"] == ts:
                    e["text"], e["blocks"] = text, blocks
                    return True
            return False
        message = self.store.find_message(r.channel, r.source_ts or "")
        if message is None or message.get("user") != self.bot_user_id:
            return False
        message["text"] = text
        if blocks:
            message["blocks"] = blocks
        else:
            message.pop("blocks", None)
        return True
