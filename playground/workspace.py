"""A local Slack-compatible workspace, built on the Web API stand-in `fakeslack.server.FakeSlack`.

FakeSlack answers the Web API methods Knowhow calls with Slack's shapes and errors. The workspace
adds what a workspace has: its people, channels with members (public and private), DMs and group
DMs, messages people write (thread replies, edits, deletions, reactions), ephemeral messages for one
person, each person's modal stack and App Home, trigger_ids that belong to the person who clicked,
and response_urls that act on the message they came from. What people do is signed and delivered to
Knowhow's HTTP endpoint by `fakeslack.sender.SlackSender`, as Slack does it: slash commands,
block_actions, view_submission, message shortcuts, and the events the manifest subscribes to.

All state is in memory, behind FakeSlack's lock; `version` goes up on every change.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import logging
import re
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from zoneinfo import ZoneInfo

from fakeslack.blocks import response_errors_problems
from fakeslack.sender import MULTI_OPTION_INPUTS, ONE_OPTION_INPUTS, SlackSender, input_state, slack_escape
from fakeslack.server import VIEW_STACK_MAX, Call, FakeSlack, _Scripted, block_text
from playground import manifest as manifest_mod
from playground import sample

log = logging.getLogger(__name__)

SLACKBOT = "USLACKBOT"
# Slack gives an app 3 seconds to answer a request, and a trigger_id is good for 3 seconds.
ACK_SECONDS = 3.0
TRIGGER_SECONDS = 3.0
# A response_url takes up to 5 posts within 30 minutes.
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
# Slack re-sends an event not acked in time: almost at once, after a minute, after five.
EVENT_RETRY_DELAYS = (1.0, 60.0, 300.0)
# Web API methods that change nothing the page shows.
READ_ONLY = {
    "auth.test",
    "users.info",
    "conversations.history",
    "chat.getPermalink",
    "api.test",
    "files.getUploadURLExternal",
    "upload",
}
KEEP_CALLS = 2000  # recorded calls kept (FakeSlack records every call)
NOTICES_KEPT = 20
MAX_RESPONSE_BODY = 1024 * 1024  # a response_url post (a message: 50 blocks of at most 3000 characters)
# What a block_actions action may carry besides the element, by the element's type.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "button": frozenset({"value"}),
    **{kind: frozenset({"selected_option"}) for kind in ONE_OPTION_INPUTS},
    **{kind: frozenset({"selected_options"}) for kind in MULTI_OPTION_INPUTS},
    "datepicker": frozenset({"selected_date"}),
    "timepicker": frozenset({"selected_time"}),
    "datetimepicker": frozenset({"selected_date_time"}),
    "users_select": frozenset({"selected_user"}),
    "multi_users_select": frozenset({"selected_users"}),
    "conversations_select": frozenset({"selected_conversation"}),
    "multi_conversations_select": frozenset({"selected_conversations"}),
    "channels_select": frozenset({"selected_channel"}),
    "multi_channels_select": frozenset({"selected_channels"}),
    **{
        kind: frozenset({"value"})
        for kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input")
    },
}


class PlaygroundError(Exception):
    """A refusal with Slack's error code (the page API answers `{"ok": false, "error": code}`)."""

    def __init__(self, error: str, status: int = 400):
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass
class _Trigger:
    user: str
    at: float
    used: bool = False


@dataclass
class _Responder:
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


class Workspace(FakeSlack):
    def __init__(
        self, *, manifest: manifest_mod.Manifest | None = None, people=sample.PEOPLE, channels=sample.CHANNELS
    ):
        super().__init__(
            token="xoxb-playground-" + secrets.token_hex(12),
            team_id=sample.TEAM_ID,
            bot_user_id=sample.BOT_USER_ID,
            bot_id=sample.BOT_ID,
        )
        self.team_name = sample.TEAM_NAME
        self.team_domain = sample.TEAM_DOMAIN
        self.manifest = manifest or manifest_mod.load()
        self.signing_secret = secrets.token_hex(16)
        self.version = 0
        self.people: dict[str, sample.Person] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.stacks: dict[str, list[str]] = defaultdict(list)  # user -> modal view ids, bottom first
        self.view_errors: dict[str, dict[str, str]] = {}
        self.view_problems: dict[str, str] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.notices: dict[str, list[dict[str, Any]]] = defaultdict(list)  # user -> [{"id", "text"}], oldest first
        self._notice_ids = itertools.count(1)
        self.delivered: set[str] = set()  # ts of people's messages Knowhow acked the event of
        self._triggers: dict[str, _Trigger] = {}
        self._responders: dict[str, _Responder] = {}
        # Options an external select was last given, by (user, surface, block_id, action_id).
        self._offered: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        self._msg_ids = itertools.count(1)
        self.sender: SlackSender | None = None
        self._events: list[tuple[float, int, dict[str, Any], int]] = []  # (due, seq, event, attempt)
        self._event_seq = itertools.count(1)
        self._event_wake = threading.Condition()
        self._event_thread: threading.Thread | None = None
        self._closing = False
        self.add_user(self.bot_user_id, name="knowhow", real_name="Knowhow", is_bot=True)
        for p in people:
            self.add_person(p)
        for c in channels:
            self.add_channel(
                id=c.id,
                name=c.name,
                topic=c.topic,
                members=list(c.members),
                is_private=c.is_private,
                bot_member=c.bot_member,
            )

    # -- setting up ---------------------------------------------------------------------------
    def add_person(self, p: sample.Person) -> None:
        offset = int(datetime.now(ZoneInfo(p.tz)).utcoffset().total_seconds())
        self.add_user(
            p.id,
            name=p.name,
            real_name=p.real_name,
            title=p.title,
            tz=p.tz,
            tz_label=p.tz_label,
            tz_offset=offset,
            is_admin=p.is_admin,
        )
        with self._lock:
            self.users[p.id]["color"] = p.color.lstrip("#")
            self.people[p.id] = p
            self._touch()

    def add_channel(
        self,
        *,
        id: str,
        name: str,
        topic: str = "",
        members: list[str],
        is_private: bool = False,
        bot_member: bool = False,
    ) -> None:
        with self._lock:
            members = list(dict.fromkeys(members + ([self.bot_user_id] if bot_member else [])))
            self.channels[id] = {
                "id": id,
                "name": name,
                "topic": topic,
                "is_private": is_private,
                "members": members,
                "created": int(time.time()),
                "is_archived": False,
            }
            if is_private:
                self.private_channels.add(id)
            self._touch()

    def connect(self, events_url: str) -> None:
        """Deliver to Knowhow at `events_url` (its /slack/events), signed with `signing_secret`."""
        self.sender = SlackSender(
            events_url,
            self.signing_secret,
            team_id=self.team_id,
            team_domain=self.team_domain,
            api_app_id="A0KNOWHOW1",
            bot_user_id=self.bot_user_id,
        )
        if self._event_thread is None:
            self._event_thread = threading.Thread(target=self._deliver_events, name="playground-events", daemon=True)
            self._event_thread.start()

    def stop(self) -> None:
        with self._event_wake:
            self._closing = True
            self._event_wake.notify_all()
        super().stop()

    # -- bookkeeping --------------------------------------------------------------------------
    def _touch(self) -> None:
        """Something changed: call with the lock held (it is reentrant)."""
        with self._lock:
            self.version += 1
            self._lock.notify_all()

    def notify(self, user: str, text: str) -> None:
        """A line for `user`'s page to show once: in `state.notices` until the page acknowledges it."""
        with self._lock:
            self.notices[user] = (self.notices[user] + [{"id": next(self._notice_ids), "text": text}])[-NOTICES_KEPT:]
            self._touch()

    def ack_notices(self, user: str, ids: list[int]) -> None:
        """`user`'s page has shown the notices `ids`: they are not given again."""
        self.person(user)
        with self._lock:
            self.notices[user] = [n for n in self.notices[user] if n["id"] not in ids]

    def person(self, user: str) -> sample.Person:
        """The sample person `user` (PlaygroundError user_not_found when there is none)."""
        if user not in self.people:
            raise PlaygroundError("user_not_found")
        return self.people[user]

    def dm_of(self, user: str) -> str:
        return "D" + user[1:]

    def _kind(self, channel: str) -> str:
        if channel.startswith("D"):
            return "im"
        if channel in self.group_dms:
            return "mpim"
        ch = self.channels.get(channel)
        return "group" if ch and ch["is_private"] else "channel"

    def _members(self, channel: str) -> list[str]:
        if channel.startswith("D"):
            return ["U" + channel[1:], self.bot_user_id]
        if channel in self.group_dms:
            return list(self.group_dms[channel])
        ch = self.channels.get(channel)
        return list(ch["members"]) if ch else []

    def _channel_name(self, channel: str) -> str:
        ch = self.channels.get(channel)
        if ch:
            return ch["name"]
        return "directmessage" if channel.startswith("D") else "mpdm-" + channel.lower()

    def can_read(self, user: str, channel: str) -> bool:
        """Public channels, and the private channels, DMs and group DMs `user` is in."""
        if channel.startswith("D"):
            return channel == self.dm_of(user)
        ch = self.channels.get(channel)
        if ch is not None:
            return not ch["is_private"] or user in ch["members"]
        return user in self.group_dms.get(channel, [])

    # -- the Web API, as a workspace answers it ------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if not path.startswith("/response/"):
            super()._handle(request)
            return
        read = self._read_body(request, MAX_RESPONSE_BODY)
        if read is None:
            return
        raw, headers = read
        try:
            args = json.loads(raw or b"{}")
            if not isinstance(args, dict):
                raise ValueError
        except ValueError:
            self._send(request, _Scripted(400, "invalid_payload", {}))
            return
        call = Call(method="response_url", args=args, headers=headers, path=path)
        with self._lock:
            self.calls.append(call)
            scripted = self._scripts["response_url"].popleft() if self._scripts["response_url"] else None
            self._lock.notify_all()
        self._send(request, scripted or self._respond(path[len("/response/") :], args))

    def _answer(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> _Scripted:
        answer = super()._answer(method, args, headers)
        with self._lock:
            if method not in READ_ONLY:
                self._touch()
            if len(self.calls) > KEEP_CALLS:
                del self.calls[: len(self.calls) - KEEP_CALLS // 2]
        return answer

    def _m_auth_test(self, args):
        return self._ok(
            url=f"https://{self.team_domain}.slack.com/",
            team=self.team_name,
            user="knowhow",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def _m_users_info(self, args):
        if (args.get("user") or "") not in self.users:
            return self._err("user_not_found")
        return super()._m_users_info(args)

    def _can_post(self, channel: str) -> str | None:
        if not channel:
            return "channel_not_found"
        if channel[0] in "UD":
            return None if "U" + channel[1:] in self.people else "channel_not_found"
        if channel in self.group_dms:
            return None if self.bot_user_id in self.group_dms[channel] else "channel_not_found"
        ch = self.channels.get(channel)
        if ch is None:
            return "channel_not_found"
        if ch["is_archived"]:
            return "is_archived"
        if self.bot_user_id not in ch["members"]:
            # A private channel the bot is not in does not exist for it.
            return "channel_not_found" if ch["is_private"] else "not_in_channel"
        return None

    def _m_chat_postMessage(self, args):
        answer = super()._m_chat_postMessage(args)
        if answer.body.get("ok"):
            with self._lock:
                stored = self._find_message(answer.body["channel"], answer.body["ts"])
                stored.setdefault("team", self.team_id)
                stored["app_id"] = "A0KNOWHOW1"
                if stored.get("thread_ts"):
                    parent = self._find_message(answer.body["channel"], stored["thread_ts"])
                    if parent is not None:
                        stored["parent_user_id"] = parent.get("user")
                event = {**copy.deepcopy(stored), "channel": answer.body["channel"], "event_ts": stored["ts"]}
            event.pop("metadata", None)
            self._emit(event)
        return answer

    def _m_chat_postEphemeral(self, args):
        channel, user = args.get("channel", ""), args.get("user", "")
        problem = self._can_post(channel)
        if problem:
            return self._err(problem)
        if user not in self.people:
            return self._err("user_not_found")
        channel = self.dm_of(channel) if channel.startswith("U") else channel
        if user not in self._members(channel):
            return self._err("user_not_in_channel")
        if not args.get("text") and not args.get("blocks"):
            return self._err("no_text")
        problem = self._blocks_problem(args.get("blocks"))
        if problem:
            return self._err(problem)
        ts = self._next_ts()
        self._add_ephemeral(
            user,
            channel,
            ts=ts,
            text=args.get("text") or "",
            blocks=args.get("blocks"),
            thread_ts=args.get("thread_ts"),
        )
        return self._ok(message_ts=ts)

    def _m_chat_getPermalink(self, args):
        channel, ts = args.get("channel") or "", args.get("message_ts") or ""
        with self._lock:
            message = self._find_message(channel, ts)
        if message is None:
            return self._err(
                "message_not_found"
                if channel in self.channels or channel in self.group_dms or channel.startswith("D")
                else "channel_not_found"
            )
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != ts:
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return self._ok(channel=channel, permalink=link)

    def _m_conversations_join(self, args):
        channel = args.get("channel", "")
        with self._lock:
            ch = self.channels.get(channel)
            if ch is None:
                return self._err("channel_not_found")
            if ch["is_private"]:  # invisible unless the bot was invited; joining is for public channels
                in_it = self.bot_user_id in ch["members"]
                return self._err("method_not_supported_for_channel_type" if in_it else "channel_not_found")
            if ch["is_archived"]:
                return self._err("is_archived")
            already = self.bot_user_id in ch["members"]
            if not already:
                ch["members"].append(self.bot_user_id)
                self.joined.add(channel)
            info = self._channel_object(channel)
        if already:
            return self._ok(
                channel=info, warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]}
            )
        self._system_message(channel, self.bot_user_id, "channel_join", f"<@{self.bot_user_id}> has joined the channel")
        return self._ok(channel=info)

    def _channel_object(self, channel: str) -> dict[str, Any]:
        ch = self.channels[channel]
        return {
            "id": channel,
            "name": ch["name"],
            "is_channel": not ch["is_private"],
            "is_group": ch["is_private"],
            "is_im": False,
            "is_mpim": False,
            "is_private": ch["is_private"],
            "created": ch["created"],
            "is_archived": ch["is_archived"],
            "is_general": ch["name"] == "general",
            "is_member": self.bot_user_id in ch["members"],
            "name_normalized": ch["name"],
            "topic": {"value": ch["topic"], "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "num_members": len(ch["members"]),
        }

    def _m_conversations_open(self, args):
        users = [u.strip() for u in str(args.get("users", "")).split(",") if u.strip()]
        if any(u not in self.people for u in users if re.fullmatch(r"[UW][A-Z0-9]{2,}", u)):
            return self._err("user_not_found")
        answer = super()._m_conversations_open(args)
        if answer.body.get("ok") and len(users) == 1:
            answer.body["channel"].update(is_im=True, user=users[0])
        return answer

    def _m_views_open(self, args):
        user, problem = self._trigger_user(args)
        if problem:
            return self._err(problem)
        answer = super()._m_views_open(args)
        if answer.body.get("ok"):
            with self._lock:
                for old in self.stacks[user]:
                    self.views.pop(old, None)
                self.stacks[user] = [answer.body["view"]["id"]]
        return answer

    def _m_views_push(self, args):
        user, problem = self._trigger_user(args)
        if problem:
            return self._err(problem)
        view = args.get("view")
        problem = self._modal_problem(view)
        if problem:
            return self._err(problem)
        with self._lock:
            stack = self.stacks[user]
            if not stack:
                return self._err("invalid_trigger_id")  # nothing open to push onto
            if len(stack) >= VIEW_STACK_MAX:
                return self._err("push_limit_reached")
            if self._external_id_taken(view.get("external_id") or ""):
                return self._err("duplicate_external_id")
            top = self.views[stack[-1]]
            view_id = f"V0VIEW{next(self._view_ids):04d}"
            stored = self._stored_view(
                view, view_id=view_id, root_view_id=top["root_view_id"], previous_view_id=top["id"]
            )
            self.views[view_id] = stored
            stack.append(view_id)
            return self._ok(view=copy.deepcopy(stored))

    def _m_views_update(self, args):
        answer = super()._m_views_update(args)
        if answer.body.get("ok"):
            with self._lock:
                self.view_errors.pop(answer.body["view"]["id"], None)
                self.view_problems.pop(answer.body["view"]["id"], None)
        return answer

    def _m_views_publish(self, args):
        user, view = args.get("user_id") or "", args.get("view")
        if not user:
            return self._err("invalid_arguments")
        if user not in self.people:
            return self._err("user_not_found")
        problem = self._home_problem(view)  # Block Kit's rules for a Home tab (fakeslack/blocks.py)
        if problem:
            return self._err(problem)
        with self._lock:
            old = self.homes.get(user)
            if args.get("hash") and old is not None and args["hash"] != old["hash"]:
                return self._err("hash_conflict")
            view_id = old["id"] if old else f"V0HOME{next(self._view_ids):04d}"
            stored = self._stored_view(
                {**view, "title": view.get("title")}, view_id=view_id, root_view_id=view_id, previous_view_id=None
            )
            stored.update(type="home", title=view.get("title"))
            self.homes[user] = stored
            return self._ok(view=copy.deepcopy(stored))

    def _trigger_user(self, args) -> tuple[str, str | None]:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer") or ""
        if not trigger_id:
            return "", "invalid_arguments"
        with self._lock:
            trigger = self._triggers.get(trigger_id)
            if trigger is None:
                return "", "invalid_trigger_id"
            if time.monotonic() - trigger.at > TRIGGER_SECONDS:
                return "", "expired_trigger_id"
            if trigger.used:
                return "", "trigger_exchanged"
            trigger.used = True
            return trigger.user, None

    # -- response_url -------------------------------------------------------------------------
    def _new_response_url(self, responder: _Responder) -> str:
        token = secrets.token_urlsafe(12)
        responder.at = time.monotonic()
        with self._lock:
            self._responders[token] = responder
        return self.response_url(token)

    def _respond(self, token: str, args: dict[str, Any]) -> _Scripted:
        with self._lock:
            r = self._responders.get(token)
            if r is None:
                return _Scripted(404, "invalid_token", {})
            if time.monotonic() - r.at > RESPONSE_URL_SECONDS:
                return _Scripted(404, "expired_url", {})
            if r.uses >= RESPONSE_URL_USES:
                return _Scripted(404, "used_url", {})
            r.uses += 1
            text, blocks = args.get("text") or "", args.get("blocks")
            if args.get("delete_original") in (True, "true"):
                self._delete_original(r)
                self._touch()
                return _Scripted(200, "ok", {})
            if not text and not blocks:
                return _Scripted(400, "no_text", {})
            if self._blocks_problem(blocks):
                return _Scripted(400, "invalid_blocks", {})
            if args.get("replace_original") in (True, "true") and self._replace_original(r, text, blocks):
                self._touch()
                return _Scripted(200, "ok", {})
            thread_ts = args.get("thread_ts") or r.thread_ts
            if args.get("response_type") == "in_channel":
                ts = self._next_ts()
                message = {
                    "type": "message",
                    "user": self.bot_user_id,
                    "bot_id": self.bot_id,
                    "ts": ts,
                    "text": text,
                    "team": self.team_id,
                    "app_id": "A0KNOWHOW1",
                }
                if blocks:
                    message["blocks"] = blocks
                if thread_ts:
                    message["thread_ts"] = thread_ts
                self.messages[r.channel].append(message)
                event = {**copy.deepcopy(message), "channel": r.channel, "event_ts": ts}
            else:
                ts = self._next_ts()
                self._add_ephemeral(r.user, r.channel, ts=ts, text=text, blocks=blocks, thread_ts=thread_ts)
                if r.kind == "command":
                    r.last_answer_ts = ts
                event = None
            self._touch()
        if event:
            self._emit(event)
        return _Scripted(200, "ok", {})

    def _delete_original(self, r: _Responder) -> None:
        if r.source_ephemeral or r.kind == "command":
            ts = r.source_ts if r.source_ephemeral else r.last_answer_ts
            self.ephemerals = [e for e in self.ephemerals if not (e["for_user"] == r.user and e["ts"] == ts)]
        elif r.source_ts:
            message = self._find_message(r.channel, r.source_ts)
            if message is not None and message.get("user") == self.bot_user_id:
                self.messages[r.channel].remove(message)

    def _replace_original(self, r: _Responder, text: str, blocks) -> bool:
        if r.source_ephemeral or r.kind == "command":
            ts = r.source_ts if r.source_ephemeral else r.last_answer_ts
            for e in self.ephemerals:
                if e["for_user"] == r.user and e["ts"] == ts:
                    e["text"], e["blocks"] = text, blocks
                    return True
            return False
        message = self._find_message(r.channel, r.source_ts or "")
        if message is None or message.get("user") != self.bot_user_id:
            return False
        message["text"] = text
        if blocks:
            message["blocks"] = blocks
        else:
            message.pop("blocks", None)
        return True

    def _add_ephemeral(
        self, user: str, channel: str, *, ts: str, text: str, blocks=None, thread_ts=None, author: str | None = None
    ) -> None:
        with self._lock:
            self.ephemerals.append(
                {
                    "for_user": user,
                    "channel": channel,
                    "ts": ts,
                    "text": text,
                    "blocks": copy.deepcopy(blocks) if blocks else None,
                    "thread_ts": thread_ts,
                    "user": author or self.bot_user_id,
                }
            )
            self.ephemerals = self.ephemerals[-2000:]
            self._touch()

    def _system_message(self, channel: str, user: str, subtype: str, text: str) -> None:
        ts = self._next_ts()
        message = {"type": "message", "subtype": subtype, "user": user, "ts": ts, "text": text, "team": self.team_id}
        with self._lock:
            self.messages[channel].append(message)
            self._touch()
        self._emit({**copy.deepcopy(message), "channel": channel, "event_ts": ts})

    # -- events -------------------------------------------------------------------------------
    def _subscribed(self, event: dict[str, Any]) -> bool:
        """Would Slack send this event to the app (manifest's bot events, channels the bot is in)?"""
        kind = event["type"]
        events = self.manifest.bot_events
        if kind == "message":
            channel = event["channel"]
            if self.bot_user_id not in self._members(channel):
                return False
            return (
                f"message.{ {'channel': 'channels', 'group': 'groups', 'im': 'im', 'mpim': 'mpim'}[self._kind(channel)] }"
                in events
            )
        if kind in ("reaction_added", "reaction_removed"):
            channel = event["item"]["channel"]
            return kind in events and self.bot_user_id in self._members(channel)
        return kind in events

    def _emit(self, event: dict[str, Any]) -> None:
        if event.get("type") == "message":
            event.setdefault("channel_type", self._kind(event["channel"]))
        if self.sender is None or not self._subscribed(event):
            return
        with self._event_wake:
            heapq.heappush(self._events, (time.monotonic(), next(self._event_seq), event, 0))
            self._event_wake.notify_all()

    def _deliver_events(self) -> None:
        """One thread, in order: each event signed and POSTed; a failure or a late answer is retried
        as Slack does (X-Slack-Retry-Num, same event_id)."""
        while True:
            with self._event_wake:
                while not self._closing and (not self._events or self._events[0][0] > time.monotonic()):
                    self._event_wake.wait(None if not self._events else max(0.0, self._events[0][0] - time.monotonic()))
                if self._closing:
                    return
                _due, seq, event, attempt = heapq.heappop(self._events)
            event_id = event.setdefault("_event_id", f"Ev0PLAY{seq:07d}")
            body = self.sender.event_body({k: v for k, v in event.items() if not k.startswith("_")}, event_id=event_id)
            extra = {}
            if attempt:
                extra = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": event.get("_reason", "http_error")}
            try:
                answer = self.sender.post(
                    body, "application/json", {**self.sender.sign(body), **extra}, timeout=ACK_SECONDS
                )
                ok, reason = 200 <= answer.status < 300, "http_error"
                if answer.headers.get("X-Slack-No-Retry") == "1":
                    ok = True
            except (TimeoutError, OSError) as exc:
                ok = False
                reason = "http_timeout" if "timed out" in str(exc) else "connection_failed"
            if ok:
                if event.get("type") == "message" and not event.get("subtype") and event.get("user") in self.people:
                    with self._lock:
                        self.delivered.add(event["ts"])
                        self._touch()
                continue
            if attempt < len(EVENT_RETRY_DELAYS):
                event["_reason"] = reason
                with self._event_wake:
                    heapq.heappush(
                        self._events, (time.monotonic() + EVENT_RETRY_DELAYS[attempt], seq, event, attempt + 1)
                    )
            else:
                log.warning("event %s given up after %d retries", event_id, attempt)

    # -- what people type ----------------------------------------------------------------------
    def _format(self, text: str, *, escape_names: bool) -> str:
        """What Slack sends for text a person typed: &, < and > escaped, @name and #channel as
        mentions (`<@U…>`, `<#C…|name>`; in commands with should_escape off they stay as typed)."""
        text = slack_escape(text)
        names = {p.name: uid for uid, p in self.people.items()}
        channels = {c["name"]: cid for cid, c in self.channels.items() if not c["is_private"]}

        def person(m: re.Match) -> str:
            name = m.group(1)
            if escape_names is False:
                return m.group(0)
            if name in ("here", "channel", "everyone"):
                return f"<!{name}>"
            uid = names.get(name.lower())
            if uid is None:
                return m.group(0)
            return f"<@{uid}|{name}>" if escape_names is True else f"<@{uid}>"

        def channel(m: re.Match) -> str:
            cid = channels.get(m.group(1).lower())
            if cid is None or escape_names is False:
                return m.group(0)
            return f"<#{cid}|{m.group(1)}>"

        text = re.sub(r"(?<![\w<])@([A-Za-z0-9._-]+)", person, text)
        return re.sub(r"(?<![\w<&])#([a-z0-9_-]+)", channel, text)

    def _check_writer(self, user: str, channel: str) -> None:
        self.person(user)
        if channel.startswith("D"):
            if channel != self.dm_of(user):
                raise PlaygroundError("channel_not_found")
            return
        if channel in self.group_dms:
            if user not in self.group_dms[channel]:
                raise PlaygroundError("channel_not_found")
            return
        ch = self.channels.get(channel)
        if ch is None or (ch["is_private"] and user not in ch["members"]):
            raise PlaygroundError("channel_not_found")
        if ch["is_archived"]:
            raise PlaygroundError("is_archived")
        if user not in ch["members"]:  # the page's "Join channel": a public channel anyone may join
            with self._lock:
                ch["members"].append(user)
            self._system_message(channel, user, "channel_join", f"<@{user}> has joined the channel")

    def post_message(self, user: str, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """`user` writes `text` in `channel` (in the thread of `thread_ts`): stored, and delivered
        as a `message` event where the app is subscribed. Returns its ts."""
        self._check_writer(user, channel)
        if not (text or "").strip():
            raise PlaygroundError("no_text")
        if len(text) > 40000:
            raise PlaygroundError("msg_too_long")
        text = self._format(text, escape_names=None)
        with self._lock:
            parent = None
            if thread_ts:
                parent = self._find_message(channel, thread_ts)
                if parent is None or parent.get("thread_ts") not in (None, parent["ts"]):
                    raise PlaygroundError("thread_not_found")
            ts = self._next_ts()
            message = {
                "client_msg_id": f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-4{secrets.token_hex(2)[1:]}-a{secrets.token_hex(2)[1:]}-{secrets.token_hex(6)}",
                "type": "message",
                "text": text,
                "user": user,
                "ts": ts,
                "team": self.team_id,
                "blocks": [
                    {
                        "type": "rich_text",
                        "block_id": secrets.token_hex(2),
                        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                    }
                ],
            }
            if parent is not None:
                message["thread_ts"] = thread_ts
                message["parent_user_id"] = parent.get("user")
            self.messages[channel].append(message)
            self._touch()
            event = {**copy.deepcopy(message), "channel": channel, "event_ts": ts}
        self._emit(event)
        return ts

    def _own_message(self, user: str, channel: str, ts: str, refusal: str) -> dict[str, Any]:
        self.person(user)
        if not self.can_read(user, channel):
            raise PlaygroundError("channel_not_found")
        message = self._find_message(channel, ts)
        if message is None or message.get("subtype") == "tombstone":
            raise PlaygroundError("message_not_found")
        if message.get("user") != user:
            raise PlaygroundError(refusal)
        return message

    def edit_message(self, user: str, channel: str, ts: str, text: str) -> None:
        if not (text or "").strip():
            raise PlaygroundError("no_text")
        with self._lock:
            message = self._own_message(user, channel, ts, "cant_update_message")
            previous = copy.deepcopy(message)
            edited_ts = self._next_ts()
            message["text"] = self._format(text, escape_names=None)
            message["blocks"] = [
                {
                    "type": "rich_text",
                    "block_id": secrets.token_hex(2),
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": message["text"]}]}
                    ],
                }
            ]
            message["edited"] = {"user": user, "ts": edited_ts}
            self._touch()
            event = {
                "type": "message",
                "subtype": "message_changed",
                "message": copy.deepcopy(message),
                "previous_message": previous,
                "channel": channel,
                "hidden": True,
                "ts": edited_ts,
                "event_ts": edited_ts,
            }
        self._emit(event)

    def delete_message(self, user: str, channel: str, ts: str) -> None:
        with self._lock:
            message = self._own_message(user, channel, ts, "cant_delete_message")
            previous = copy.deepcopy(message)
            has_replies = any(m.get("thread_ts") == ts and m["ts"] != ts for m in self.messages[channel])
            if has_replies:  # Slack keeps a tombstone so the thread stays
                message.clear()
                message.update(
                    {
                        "type": "message",
                        "subtype": "tombstone",
                        "text": "This message was deleted.",
                        "user": "USLACKBOT",
                        "ts": ts,
                        "thread_ts": ts,
                        "hidden": True,
                    }
                )
            else:
                self.messages[channel].remove(message)
            at = self._next_ts()
            self._touch()
            event = {
                "type": "message",
                "subtype": "message_deleted",
                "previous_message": previous,
                "channel": channel,
                "hidden": True,
                "deleted_ts": ts,
                "ts": at,
                "event_ts": at,
            }
        self._emit(event)

    def react(self, user: str, channel: str, ts: str, name: str, *, remove: bool = False) -> None:
        self.person(user)
        name = (name or "").strip(":")
        if not re.fullmatch(r"[a-z0-9_+'-]{1,100}", name):
            raise PlaygroundError("invalid_name")
        with self._lock:
            if not self.can_read(user, channel):
                raise PlaygroundError("channel_not_found")
            message = self._find_message(channel, ts)
            if message is None:
                raise PlaygroundError("message_not_found")
            reactions = message.setdefault("reactions", [])
            mine = next((r for r in reactions if r["name"] == name), None)
            if remove:
                if mine is None or user not in mine["users"]:
                    raise PlaygroundError("no_reaction")
                mine["users"].remove(user)
                mine["count"] -= 1
                if not mine["count"]:
                    reactions.remove(mine)
            else:
                if mine is not None and user in mine["users"]:
                    raise PlaygroundError("already_reacted")
                if mine is None:
                    mine = {"name": name, "users": [], "count": 0}
                    reactions.append(mine)
                mine["users"].append(user)
                mine["count"] += 1
            self._touch()
            event = {
                "type": "reaction_removed" if remove else "reaction_added",
                "user": user,
                "reaction": name,
                "item": {"type": "message", "channel": channel, "ts": ts},
                "item_user": message.get("user"),
                "event_ts": self._next_ts(),
            }
        self._emit(event)

    def open_home(self, user: str, tab: str = "home") -> None:
        self.person(user)
        if tab not in ("home", "messages"):
            raise PlaygroundError("invalid_arguments")
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.dm_of(user),
            "tab": tab,
            "event_ts": self._next_ts(),
        }
        with self._lock:
            if self.homes.get(user):
                event["view"] = copy.deepcopy(self.homes[user])
        self._emit(event)

    # -- requests to the app, as Slack makes them -----------------------------------------------
    def _trigger(self, user: str) -> str:
        trigger_id = self.sender.trigger_id()
        with self._lock:
            self._triggers[trigger_id] = _Trigger(user, time.monotonic())
            if len(self._triggers) > 500:
                for old in list(self._triggers)[:250]:
                    del self._triggers[old]
        return trigger_id

    def _post_to_app(self, body: bytes, content_type: str) -> tuple[int | None, bytes, str | None]:
        """POST a signed request; (status, body, None) or (None, b"", Slack's error for the person)."""
        if self.sender is None:
            return None, b"", "dispatch_failed"
        try:
            answer = self.sender.post(body, content_type, self.sender.sign(body), timeout=ACK_SECONDS)
        except (TimeoutError, OSError) as exc:
            return None, b"", "operation_timeout" if "timed out" in str(exc) else "dispatch_failed"
        return answer.status, answer.body, None

    def slash_command(self, user: str, channel: str, text: str) -> dict[str, Any]:
        """`user` types `text` (starting with a command from the manifest) in `channel`."""
        self.person(user)
        command, _, rest = text.strip().partition(" ")
        spec = self.manifest.command(command)
        if spec is None:
            raise PlaygroundError("invalid_command")
        if not self.can_read(user, channel):
            raise PlaygroundError("channel_not_found")
        responder = _Responder(user=user, channel=channel, kind="command")
        body = self.sender.command_body(
            command,
            self._format(rest.strip(), escape_names=bool(spec["should_escape"])),
            user_id=user,
            user_name=self.people[user].name,
            channel_id=channel,
            channel_name=self._channel_name(channel),
            response_url=self._new_response_url(responder),
            trigger_id=self._trigger(user),
        )
        status, answer, error = self._post_to_app(body, "application/x-www-form-urlencoded")
        if error is None and status != 200:
            error = "dispatch_failed"
        if error:
            self._add_ephemeral(
                user, channel, ts=self._next_ts(), author=SLACKBOT, text=f'{command} failed with the error "{error}"'
            )
            return {"ok": True, "command": True, "error": error}
        message = self._ack_message(answer)
        if message and self._blocks_problem(message.get("blocks")):
            # Slack refuses an answer it could not show, and says so to the person who typed it.
            self._add_ephemeral(
                user,
                channel,
                ts=self._next_ts(),
                author=SLACKBOT,
                text=f'{command} failed with the error "invalid_blocks"',
            )
            return {"ok": True, "command": True, "error": "invalid_blocks"}
        if message:
            ts = self._next_ts()
            if message.get("response_type") == "in_channel" and self._can_post(channel) is None:
                with self._lock:
                    self.messages[channel].append(
                        {
                            "type": "message",
                            "user": self.bot_user_id,
                            "bot_id": self.bot_id,
                            "ts": ts,
                            "text": message.get("text") or "",
                            **({"blocks": message["blocks"]} if message.get("blocks") else {}),
                        }
                    )
                    self._touch()
            else:
                self._add_ephemeral(user, channel, ts=ts, text=message.get("text") or "", blocks=message.get("blocks"))
                responder.last_answer_ts = ts
        return {"ok": True, "command": True}

    @staticmethod
    def _ack_message(answer: bytes) -> dict[str, Any] | None:
        if not answer.strip():
            return None
        try:
            message = json.loads(answer)
        except ValueError:
            return {"text": answer.decode("utf-8", "replace")}
        if not isinstance(message, dict) or (not message.get("text") and not message.get("blocks")):
            return None
        return message

    def _interaction(self, user: str, payload: dict[str, Any], what: str) -> tuple[int | None, bytes]:
        status, answer, error = self._post_to_app(
            self.sender.interaction_body(payload), "application/x-www-form-urlencoded"
        )
        if error is None and status != 200:
            error = f"HTTP {status}"
        if error:
            self.notify(user, f"Knowhow did not answer {what} ({error}).")
        return status, answer

    def _user_field(self, user: str) -> dict[str, Any]:
        return {"id": user, "username": self.people[user].name, "name": self.people[user].name, "team_id": self.team_id}

    def _envelope(self, kind: str, user: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user": self._user_field(user),
            "api_app_id": self.sender.api_app_id,
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    @staticmethod
    def find_element(blocks: list[Any] | None, block_id: str, action_id: str) -> dict[str, Any] | None:
        """The interactive element `action_id` of block `block_id` in `blocks`, as stored. A block or
        element stored without an id goes by the one the page makes up for it (`auto-<index>`,
        `auto-<block_id>-<type>`), as Slack fills in ids of its own."""
        for i, block in enumerate(blocks or []):
            if not isinstance(block, dict) or (block.get("block_id") or f"auto-{i}") != block_id:
                continue
            kind = block.get("type")
            if kind == "actions":
                elements = block.get("elements") or []
            elif kind == "section":
                elements = [block.get("accessory")]
            elif kind == "input":
                elements = [block.get("element")]
            else:
                elements = []
            for element in elements:
                if (
                    isinstance(element, dict)
                    and element.get("type")
                    and (element.get("action_id") or f"auto-{block_id}-{element['type']}") == action_id
                ):
                    return element
        return None

    @staticmethod
    def _options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
        return [o for o in element.get("options") or [] if isinstance(o, dict)] + [
            o
            for g in element.get("option_groups") or []
            if isinstance(g, dict)
            for o in g.get("options") or []
            if isinstance(o, dict)
        ]

    def _chosen_option(self, chosen: Any, offered: list[dict[str, Any]]) -> dict[str, Any]:
        """The stored option the page chose (by value); refused when it is not among `offered`."""
        if not isinstance(chosen, dict):
            raise PlaygroundError("invalid_option")
        for option in offered:
            if option.get("value") == chosen.get("value"):
                return copy.deepcopy(option)
        raise PlaygroundError("invalid_option")

    def _action(
        self,
        user: str,
        surface: str,
        element: dict[str, Any],
        *,
        block_id: str,
        action_id: str,
        selected: dict[str, Any],
    ) -> dict[str, Any]:
        """The `actions[0]` of a block_actions payload for a click on the stored `element`: its type,
        text, value and style from the store; what was chosen checked against what it offers."""
        kind = element["type"]
        allowed = ACTION_FIELDS.get(kind)
        if allowed is None:
            raise PlaygroundError("invalid_action")  # not something one clicks or chooses
        given = {k: v for k, v in selected.items() if v is not None}
        if set(given) - allowed:
            raise PlaygroundError("invalid_arguments")
        action: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": block_id}
        if kind == "button":
            if "value" in given and given["value"] != element.get("value"):
                raise PlaygroundError("invalid_value")
            action["text"] = copy.deepcopy(
                element.get("text") or {"type": "plain_text", "text": action_id, "emoji": True}
            )
            if "value" in element:
                action["value"] = element["value"]
            if element.get("style"):
                action["style"] = element["style"]
            return action
        offered = self._options_of(element)
        if kind in ("external_select", "multi_external_select"):
            with self._lock:
                offered = list(self._offered.get((user, surface, block_id, action_id), []))
            offered += [
                o
                for o in [element.get("initial_option"), *list(element.get("initial_options") or [])]
                if isinstance(o, dict)
            ]
        for key, value in given.items():
            if key == "selected_option":
                action[key] = self._chosen_option(value, offered)
            elif key == "selected_options":
                if not isinstance(value, list):
                    raise PlaygroundError("invalid_arguments")
                action[key] = [self._chosen_option(v, offered) for v in value]
            else:
                action[key] = copy.deepcopy(value)
        return action

    def block_action(
        self,
        user: str,
        where: dict[str, Any],
        *,
        block_id: str,
        action_id: str,
        values: dict[str, Any] | None = None,
        **selected: Any,
    ) -> dict[str, Any]:
        """A click or a choice on an interactive element of a message or a view (a modal or the Home).
        The element is the one stored at `block_id`/`action_id` on that surface (`invalid_action` when
        there is none); what was chosen must be among what it offers (`invalid_option`)."""
        self.person(user)
        kind = (where or {}).get("type")
        if kind == "message":
            channel, ts = where.get("channel") or "", where.get("ts") or ""
            if not self.can_read(user, channel):
                raise PlaygroundError("channel_not_found")
            with self._lock:
                message = copy.deepcopy(self._find_message(channel, ts))
                ephemeral = next(
                    (
                        copy.deepcopy(e)
                        for e in self.ephemerals
                        if e["ts"] == ts and e["for_user"] == user and e["channel"] == channel
                    ),
                    None,
                )
            if message is None and ephemeral is None:
                raise PlaygroundError("message_not_found")
            source = message or ephemeral
            surface = f"{channel}/{ts}"
        elif kind == "view":
            source = self._view_for(user, where.get("view_id") or "")
            surface = source["id"]
        else:
            raise PlaygroundError("invalid_arguments")
        element = self.find_element(source.get("blocks"), block_id, action_id)
        if element is None:
            raise PlaygroundError("invalid_action")
        action = self._action(user, surface, element, block_id=block_id, action_id=action_id, selected=selected)
        action["action_ts"] = f"{time.time():.6f}"
        payload = self._envelope("block_actions", user)
        if kind == "message":
            container = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": message is None}
            if source.get("thread_ts"):
                container["thread_ts"] = source["thread_ts"]
            payload["container"] = container
            payload["trigger_id"] = self._trigger(user)
            payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
            if message is not None:
                message.pop("reactions", None)
                payload["message"] = message
            payload["state"] = {"values": copy.deepcopy(values or {})}
            payload["response_url"] = self._new_response_url(
                _Responder(
                    user=user,
                    channel=channel,
                    kind="message",
                    source_ts=ts,
                    source_ephemeral=message is None,
                    thread_ts=source.get("thread_ts"),
                )
            )
        else:
            view = source
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["trigger_id"] = self._trigger(user)
            view["state"] = {"values": {**self.initial_state(view), **copy.deepcopy(values or {})}}
            payload["view"] = view
        payload["actions"] = [action]
        self._interaction(user, payload, "the click")
        return {"ok": True}

    def _view_for(self, user: str, view_id: str) -> dict[str, Any]:
        with self._lock:
            if view_id in self.stacks.get(user, []) and view_id in self.views:
                return copy.deepcopy(self.views[view_id])
            home = self.homes.get(user)
            if home and home["id"] == view_id:
                return copy.deepcopy(home)
        raise PlaygroundError("view_not_found")

    def shortcut(self, user: str, callback_id: str, channel: str, ts: str) -> dict[str, Any]:
        """A message shortcut from the manifest, used on the message at `ts`."""
        self.person(user)
        if not any(s["callback_id"] == callback_id for s in self.manifest.shortcuts):
            raise PlaygroundError("invalid_callback_id")
        if not self.can_read(user, channel):
            raise PlaygroundError("channel_not_found")
        with self._lock:
            message = copy.deepcopy(self._find_message(channel, ts))
        if message is None or message.get("subtype") == "tombstone":
            raise PlaygroundError("message_not_found")
        message.pop("reactions", None)
        responder = _Responder(
            user=user, channel=channel, kind="shortcut", source_ts=ts, thread_ts=message.get("thread_ts")
        )
        payload = self.sender.message_action_payload(
            user=user,
            user_name=self.people[user].name,
            callback_id=callback_id,
            message=message,
            channel=channel,
            channel_name=self._channel_name(channel),
            response_url=self._new_response_url(responder),
        )
        payload["team"] = {"id": self.team_id, "domain": self.team_domain}
        payload["trigger_id"] = self._trigger(user)
        self._interaction(user, payload, "the shortcut")
        return {"ok": True}

    def options(self, user: str, view_id: str, *, block_id: str, action_id: str, value: str = "") -> dict[str, Any]:
        """What an external select offers for `value` typed so far (block_suggestion)."""
        self.person(user)
        view = self._view_for(user, view_id)
        payload = self._envelope("block_suggestion", user)
        payload.update(
            {
                "container": {"type": "view", "view_id": view["id"]},
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "view": view,
            }
        )
        status, answer = self._interaction(user, payload, "the list's options")
        try:
            found = json.loads(answer or b"{}") if status == 200 else {}
        except ValueError:
            found = {}
        if not isinstance(found, dict):
            found = {}
        answer = {"ok": True, "options": found.get("options") or [], "option_groups": found.get("option_groups") or []}
        with self._lock:
            self._offered[(user, view["id"], block_id, action_id)] = self._options_of(answer)
            if len(self._offered) > 500:
                for old in list(self._offered)[:250]:
                    del self._offered[old]
        return answer

    # -- modals -------------------------------------------------------------------------------
    @staticmethod
    def _initial_answer(element: dict[str, Any]) -> Any:
        kind = element["type"]
        if kind in MULTI_OPTION_INPUTS:
            return copy.deepcopy(element.get("initial_options") or [])
        if kind in ONE_OPTION_INPUTS:
            return copy.deepcopy(element.get("initial_option"))
        for key in (
            "initial_value",
            "initial_date",
            "initial_time",
            "initial_date_time",
            "initial_conversation",
            "initial_channel",
            "initial_user",
            "initial_conversations",
            "initial_channels",
            "initial_users",
        ):
            if key in element:
                return copy.deepcopy(element[key])
        return None

    def initial_state(self, view: dict[str, Any]) -> dict[str, Any]:
        """`state.values` of a view nobody touched: each input holding its initial value."""
        values: dict[str, Any] = {}
        for block in view.get("blocks") or []:
            element = block.get("element") if block.get("type") == "input" else None
            if isinstance(element, dict) and element.get("action_id"):
                values[block["block_id"]] = {element["action_id"]: input_state(element, self._initial_answer(element))}
        return values

    def fill(self, view: dict[str, Any], answers: dict[str, Any], *, by_text: bool = False) -> dict[str, Any]:
        """`state.values` for `view` with `answers` by action_id: plain values (a string, a list of
        user ids, a Unix time), option values or (by_text) option texts. For seeding and tests."""
        values = self.initial_state(view)
        for block in view.get("blocks") or []:
            element = block.get("element") if block.get("type") == "input" else None
            if not isinstance(element, dict) or element.get("action_id") not in answers:
                continue
            answer = answers[element["action_id"]]
            options = element.get("options") or [o for g in element.get("option_groups") or [] for o in g["options"]]

            def option(wanted):
                for o in options:  # noqa: B023 (called within this pass)
                    if o["value"] == wanted or (by_text and o["text"]["text"] == wanted):
                        return copy.deepcopy(o)
                return {"text": {"type": "plain_text", "text": str(wanted), "emoji": True}, "value": str(wanted)}

            if element["type"] in MULTI_OPTION_INPUTS:
                answer = [option(a) for a in answer]
            elif element["type"] in ONE_OPTION_INPUTS:
                answer = option(answer)
            values[block["block_id"]] = {element["action_id"]: input_state(element, answer)}
        return values

    @staticmethod
    def _empty(state: dict[str, Any]) -> bool:
        for key, value in state.items():
            if key != "type" and key != "timezone" and value not in (None, "", [], {}):
                return False
        return True

    def _client_errors(self, view: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
        """What Slack's own client refuses before anything is sent: empty required inputs, text too
        short or long, numbers out of range."""
        errors: dict[str, str] = {}
        for block in view.get("blocks") or []:
            element = block.get("element") if block.get("type") == "input" else None
            if not isinstance(element, dict):
                continue
            state = (values.get(block["block_id"]) or {}).get(element.get("action_id")) or {}
            if self._empty(state):
                if not block.get("optional"):
                    errors[block["block_id"]] = "Please complete this required field."
                continue
            value = state.get("value")
            if element["type"] == "plain_text_input" and isinstance(value, str):
                if element.get("max_length") and len(value) > int(element["max_length"]):
                    errors[block["block_id"]] = f"Must be {element['max_length']} characters or fewer."
                elif element.get("min_length") and len(value) < int(element["min_length"]):
                    errors[block["block_id"]] = f"Must be at least {element['min_length']} characters."
            elif element["type"] == "number_input":
                try:
                    number = float(value)
                    if not element.get("is_decimal_allowed") and not float(number).is_integer():
                        raise ValueError
                except (TypeError, ValueError):
                    errors[block["block_id"]] = (
                        "Enter a whole number." if not element.get("is_decimal_allowed") else "Enter a number."
                    )
                    continue
                low, high = element.get("min_value"), element.get("max_value")
                if (low is not None and number < float(low)) or (high is not None and number > float(high)):
                    errors[block["block_id"]] = f"Enter a number between {low} and {high}."
        return errors

    def submit_view(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """`user` presses the modal's submit button with its inputs holding `values`."""
        self.person(user)
        view = self._view_for(user, view_id)
        if view.get("type") != "modal":
            raise PlaygroundError("view_not_found")
        if not view.get("submit"):
            raise PlaygroundError("invalid_arguments")  # a modal without a submit button cannot be submitted
        if not isinstance(values, dict):
            raise PlaygroundError("invalid_arguments")
        state = {**self.initial_state(view), **copy.deepcopy(values)}
        errors = self._client_errors(view, state)
        if errors:
            with self._lock:
                self.view_errors[view_id] = errors
                self._touch()
            return {"ok": True, "errors": errors}
        payload = self._envelope("view_submission", user)
        payload["trigger_id"] = self._trigger(user)
        view["state"] = {"values": state}
        payload["view"] = view
        payload["response_urls"] = []
        status, answer = self._interaction(user, payload, "the form")
        if status != 200:
            with self._lock:
                self.view_problems[view_id] = "We had some trouble connecting. Try again?"
                self._touch()
            return {"ok": True, "problem": self.view_problems[view_id]}
        try:
            response = json.loads(answer) if answer.strip() else {}
        except ValueError:
            response = {}
        action = response.get("response_action") if isinstance(response, dict) else None
        with self._lock:
            stack = self.stacks[user]
            if view_id not in stack:
                return {"ok": True}
            self.view_problems.pop(view_id, None)
            if action == "errors":
                wrong = response_errors_problems(view, response.get("errors"))
                if wrong:  # Slack shows no field errors then: the submission fails as a whole
                    self.view_problems[view_id] = "Knowhow answered with errors Slack would refuse."
                    log.warning("view_submission answered with errors Slack would refuse: %s", wrong)
                    self._touch()
                    return {"ok": True, "problem": self.view_problems[view_id]}
                self.view_errors[view_id] = dict(response.get("errors") or {})
                self._touch()
                return {"ok": True, "errors": self.view_errors[view_id]}
            self.view_errors.pop(view_id, None)
            new = response.get("view") if action in ("update", "push") else None
            if new is not None and self._modal_problem(new):
                self.view_problems[view_id] = "Knowhow answered with a view Slack would refuse."
                log.warning("view_submission answered with an invalid view: %s", self._modal_problem(new))
                self._touch()
                return {"ok": True, "problem": self.view_problems[view_id]}
            if action == "update":
                old = self.views[view_id]
                self.views[view_id] = self._stored_view(
                    new, view_id=view_id, root_view_id=old["root_view_id"], previous_view_id=old["previous_view_id"]
                )
            elif action == "push":
                if len(stack) >= VIEW_STACK_MAX:
                    self.view_problems[view_id] = "Slack refuses a fourth stacked modal (push_limit_reached)."
                else:
                    new_id = f"V0VIEW{next(self._view_ids):04d}"
                    self.views[new_id] = self._stored_view(
                        new, view_id=new_id, root_view_id=self.views[view_id]["root_view_id"], previous_view_id=view_id
                    )
                    stack.append(new_id)
            elif action == "clear":
                self._close(user, stack[0])
            else:
                self._close(user, view_id)
            self._touch()
        return {"ok": True}

    def _close(self, user: str, view_id: str) -> list[str]:
        """Close `view_id` and every view above it in `user`'s stack; returns the closed ids."""
        stack = self.stacks[user]
        closed = stack[stack.index(view_id) :]
        del stack[stack.index(view_id) :]
        for vid in closed:
            self.views.pop(vid, None)
            self.view_errors.pop(vid, None)
            self.view_problems.pop(vid, None)
        return closed

    def close_view(self, user: str, view_id: str) -> dict[str, Any]:
        """`user` closes (cancels) the modal `view_id`: a view_closed if the app asked for one."""
        self.person(user)
        view = self._view_for(user, view_id)
        if view.get("type") != "modal":
            raise PlaygroundError("view_not_found")
        with self._lock:
            cleared = self.stacks[user][0] == view_id
            self._close(user, view_id)
            self._touch()
        if view.get("notify_on_close"):
            payload = self._envelope("view_closed", user)
            payload["view"] = view
            payload["is_cleared"] = cleared
            self._interaction(user, payload, "the closed form")
        return {"ok": True}

    def close_all(self, user: str) -> None:
        with self._lock:
            if self.stacks.get(user):
                self._close(user, self.stacks[user][0])
                self._touch()

    # -- reading, for the page -------------------------------------------------------------------
    def modal_of(self, user: str) -> dict[str, Any] | None:
        with self._lock:
            stack = self.stacks.get(user) or []
            if not stack or stack[-1] not in self.views:
                return None
            top = stack[-1]
            modal = {
                "id": top,
                "view": copy.deepcopy(self.views[top]),
                "stack_depth": len(stack),
                "errors": dict(self.view_errors.get(top) or {}),
            }
            if top in self.view_problems:
                modal["problem"] = self.view_problems[top]
            return modal

    def _user_entry(self, uid: str) -> dict[str, Any]:
        p = self.people[uid]
        return {
            "id": uid,
            "name": p.name,
            "real_name": p.real_name,
            "title": p.title,
            "tz": p.tz,
            "location": p.location,
            "is_admin": p.is_admin or p.knowhow_admin,
            "color": p.color,
            "is_slack_admin": p.is_admin,
        }

    def _name(self, uid: str) -> str:
        if uid == self.bot_user_id:
            return "Knowhow"
        if uid == SLACKBOT:
            return "Slackbot"
        p = self.people.get(uid)
        return p.real_name if p else uid

    def conversations_for(self, user: str) -> list[dict[str, Any]]:
        out = []
        for cid, ch in self.channels.items():
            if ch["is_private"] and user not in ch["members"]:
                continue
            out.append(
                {
                    "id": cid,
                    "kind": "channel",
                    "name": ch["name"],
                    "is_private": ch["is_private"],
                    "members": list(ch["members"]),
                    "topic": ch["topic"],
                    "is_member": user in ch["members"],
                    "latest": self._latest(cid),
                }
            )
        dm = self.dm_of(user)
        out.append(
            {"id": dm, "kind": "im", "name": "Knowhow", "members": [user, self.bot_user_id], "latest": self._latest(dm)}
        )
        for gid, members in self.group_dms.items():
            if user in members:
                names = [
                    self.people[m].name if m in self.people else "Knowhow" for m in members if m != self.bot_user_id
                ]
                out.append(
                    {
                        "id": gid,
                        "kind": "mpim",
                        "name": ", ".join([*names, "Knowhow"]),
                        "members": list(members),
                        "latest": self._latest(gid),
                    }
                )
        return out

    def _latest(self, channel: str) -> str | None:
        top = [m["ts"] for m in self.messages.get(channel, []) if m.get("thread_ts") in (None, m["ts"])]
        return top[-1] if top else None

    def state(self, user: str) -> dict[str, Any]:
        self.person(user)
        with self._lock:
            return {
                "ok": True,
                "version": self.version,
                "team": {"id": self.team_id, "name": self.team_name, "domain": self.team_domain},
                "bot": {"user_id": self.bot_user_id, "name": "Knowhow"},
                "me": user,
                "default_conversation": sample.QA_CHANNEL,
                "users": [self._user_entry(uid) for uid in self.people],
                "conversations": self.conversations_for(user),
                "commands": [
                    {k: c[k] for k in ("command", "description", "usage_hint")} for c in self.manifest.commands
                ],
                "shortcuts": copy.deepcopy(self.manifest.shortcuts),
                "modal": self.modal_of(user),
                "home": copy.deepcopy(self.homes.get(user)),
                "notices": copy.deepcopy(self.notices[user]),
            }

    def _shown(self, m: dict[str, Any], replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        files = [
            {
                "id": f["id"],
                "name": f.get("name"),
                "title": f.get("title"),
                "url": f"/files/{f['id']}",
                "mimetype": f.get("mimetype"),
            }
            for f in m.get("files") or []
        ]
        author = m.get("user") or ""
        shown = {
            "ts": m["ts"],
            "user": author,
            "username": self._name(author),
            "bot": bool(m.get("bot_id")) or author in (self.bot_user_id, SLACKBOT),
            "text": m.get("text") or "",
            "blocks": copy.deepcopy(m.get("blocks") or []),
            "thread_ts": m["ts"] if replies else (m.get("thread_ts") if m.get("thread_ts") != m["ts"] else None),
            "reply_count": len(replies or []),
            "reply_users": list(dict.fromkeys(r.get("user") for r in replies or [])),
            "reactions": [
                {"name": r["name"], "count": r["count"], "users": list(r["users"])} for r in m.get("reactions") or []
            ],
            "edited": bool(m.get("edited")) and not m.get("bot_id"),
            "files": files,
            "ephemeral": False,
        }
        if m.get("subtype"):
            shown["subtype"] = m["subtype"]
        return shown

    def _ephemeral_shown(self, e: dict[str, Any]) -> dict[str, Any]:
        return {
            "ts": e["ts"],
            "user": e["user"],
            "username": self._name(e["user"]),
            "bot": True,
            "text": e["text"],
            "blocks": copy.deepcopy(e["blocks"] or []),
            "thread_ts": e.get("thread_ts"),
            "reply_count": 0,
            "reply_users": [],
            "reactions": [],
            "edited": False,
            "files": [],
            "ephemeral": True,
        }

    def conversation(self, user: str, channel: str) -> list[dict[str, Any]]:
        """Top-level messages (with their thread's counts) and `user`'s own ephemerals, oldest first."""
        self.person(user)
        if not channel or not self.can_read(user, channel):
            raise PlaygroundError("channel_not_found")
        with self._lock:
            stored = list(self.messages.get(channel, []))
            replies: dict[str, list] = defaultdict(list)
            for m in stored:
                if m.get("thread_ts") not in (None, m["ts"]):
                    replies[m["thread_ts"]].append(m)
            out = [self._shown(m, replies.get(m["ts"])) for m in stored if m.get("thread_ts") in (None, m["ts"])]
            out += [
                self._ephemeral_shown(e)
                for e in self.ephemerals
                if e["for_user"] == user and e["channel"] == channel and not e.get("thread_ts")
            ]
        return sorted(out, key=lambda m: float(m["ts"]))

    def thread(self, user: str, channel: str, ts: str) -> dict[str, Any]:
        self.person(user)
        if not channel or not self.can_read(user, channel):
            raise PlaygroundError("channel_not_found")
        with self._lock:
            root = self._find_message(channel, ts or "")
            if root is None or root.get("thread_ts") not in (None, root["ts"]):
                raise PlaygroundError("thread_not_found")
            stored = [m for m in self.messages.get(channel, []) if m.get("thread_ts") == ts and m["ts"] != ts]
            replies = [self._shown(m) for m in stored]
            replies += [
                self._ephemeral_shown(e)
                for e in self.ephemerals
                if e["for_user"] == user and e["channel"] == channel and e.get("thread_ts") == ts
            ]
            return {
                "ok": True,
                "root": self._shown(root, stored),
                "replies": sorted(replies, key=lambda m: float(m["ts"])),
            }

    def file(self, file_id: str) -> tuple[bytes, str] | None:
        import mimetypes

        with self._lock:
            stored = self.files.get(file_id)
            if not stored or stored.get("content") is None or not stored.get("completed"):
                return None
            return stored["content"], mimetypes.guess_type(stored["name"])[0] or "application/octet-stream"

    # -- waiting (seeding and tests) --------------------------------------------------------------
    def wait_until(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = check()
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"gave up waiting after {timeout}s")
                self._lock.wait(min(left, 0.2))

    def find_bot_message(self, channel: str, containing: str) -> dict[str, Any] | None:
        with self._lock:
            for m in self.messages.get(channel, []):
                if m.get("user") != self.bot_user_id:
                    continue
                text = (m.get("text") or "") + block_text(m.get("blocks"))
                if containing in text:
                    return copy.deepcopy(m)
        return None

    def text_of(self, channel: str, ts: str) -> str:
        """A message's text and the texts in its blocks, as a reader sees them ("" when there is none)."""
        message = self.message(channel, ts)
        if not message:
            return ""
        return (message.get("text") or "") + "\n" + block_text(message.get("blocks"))

    def wait_for_bot_message(self, channel: str, containing: str, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait_until(lambda: self.find_bot_message(channel, slack_escape(containing)), timeout)

    def wait_for_ephemeral(self, user: str, channel: str, containing: str, timeout: float = 10.0) -> dict[str, Any]:
        def found():
            for e in self.ephemerals:
                text = (e.get("text") or "") + block_text(e.get("blocks"))
                if e["for_user"] == user and e["channel"] == channel and containing in text:
                    return copy.deepcopy(e)
            return None

        return self.wait_until(found, timeout)

    def wait_for_delivered(self, ts: str, timeout: float = 10.0) -> None:
        self.wait_until(lambda: ts in self.delivered, timeout)
