"""Messages: what Knowhow posts (chat.postMessage, chat.postEphemeral, chat.getPermalink as this
workspace answers them) and what people do (write, reply in threads, edit, delete, react), each
delivered to Knowhow as the event Slack would send."""

from __future__ import annotations

import copy
import re
import secrets
from typing import Any

from fakeslack import Answer, Call
from fakeslack.answers import blocks_problem, err, ok
from fakeslack.sender import slack_escape
from playground.errors import PlaygroundError

EPHEMERALS_KEPT = 2000
MAX_MESSAGE_CHARS = 40000


def _rich_text(text: str) -> list[dict[str, Any]]:
    """The blocks Slack's client adds to what a person typed."""
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(2),
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


class MessagesMixin:
    """Part of `Workspace`: owns `ephemerals` (messages only one person sees) and `delivered`."""

    def _serve_messages(self) -> None:
        self.slack.methods.update(
            {
                "chat.postMessage": self._api_post_message,
                "chat.postEphemeral": self._api_post_ephemeral,
                "chat.getPermalink": self._api_get_permalink,
            }
        )

    # -- the Web API, as this workspace answers it ------------------------------------------------
    def _api_post_message(self, call: Call) -> Answer:
        answer = self._stand_in["chat.postMessage"](call)
        if answer.body.get("ok"):
            with self.lock:
                stored = self.store.find_message(answer.body["channel"], answer.body["ts"])
                stored.setdefault("team", self.home_of(answer.body["channel"]))
                stored["app_id"] = "A0KNOWHOW1"
                if stored.get("thread_ts"):
                    parent = self.store.find_message(answer.body["channel"], stored["thread_ts"])
                    if parent is not None:
                        stored["parent_user_id"] = parent.get("user")
                event = {**copy.deepcopy(stored), "channel": answer.body["channel"], "event_ts": stored["ts"]}
            event.pop("metadata", None)
            self._emit(event)
        return answer

    def _api_post_ephemeral(self, call: Call) -> Answer:
        args = call.args
        channel, user = args.get("channel", ""), args.get("user", "")
        problem = self.bot_can_post(channel)
        if problem:
            return err(problem)
        if user not in self.people:
            return err("user_not_found")
        channel = self.dm_of(channel) if channel.startswith("U") else channel
        if user not in self._members(channel):
            return err("user_not_in_channel")
        if not args.get("text") and not args.get("blocks"):
            return err("no_text")
        problem = blocks_problem(args.get("blocks"))
        if problem:
            return err(problem)
        ts = self.store.next_ts()
        self._add_ephemeral(
            user,
            channel,
            ts=ts,
            text=args.get("text") or "",
            blocks=args.get("blocks"),
            thread_ts=args.get("thread_ts"),
        )
        return ok(message_ts=ts)

    def _api_get_permalink(self, call: Call) -> Answer:
        channel, ts = call.args.get("channel") or "", call.args.get("message_ts") or ""
        with self.lock:
            message = self.store.find_message(channel, ts)
        if message is None:
            return err(
                "message_not_found"
                if channel in self.channels or channel in self.group_dms or channel.startswith("D")
                else "channel_not_found"
            )
        # Into the workspace the channel belongs to (each of the organisation's has its own domain).
        domain = self.offices[self.home_of(channel)].domain
        link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        if message.get("thread_ts") and message["thread_ts"] != ts:
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return ok(channel=channel, permalink=link)

    # -- what only one person sees, and what Slack itself says -------------------------------------
    def _add_ephemeral(
        self, user: str, channel: str, *, ts: str, text: str, blocks=None, thread_ts=None, author: str | None = None
    ) -> None:
        with self.lock:
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
            self.ephemerals = self.ephemerals[-EPHEMERALS_KEPT:]
            self._touch()

    def _system_message(self, channel: str, user: str, subtype: str, text: str, team: str | None = None) -> None:
        ts = self.store.next_ts()
        team = team or self.home_of(channel)
        message = {"type": "message", "subtype": subtype, "user": user, "ts": ts, "text": text, "team": team}
        with self.lock:
            self.messages[channel].append(message)
            self._touch()
        self._emit({**copy.deepcopy(message), "channel": channel, "event_ts": ts}, team)

    # -- what people type ----------------------------------------------------------------------
    def _format(self, text: str, *, escape_names: bool | None, user: str, team: str | None = None) -> str:
        """What Slack sends for text `user` typed: &, < and > escaped, @name and #channel as
        mentions (`<@U…>`, `<#C…|name>`; in commands with should_escape off they stay as typed).
        A #channel is one `user` can see in workspace `team` (each workspace may have a #general):
        its public channels and the private ones `user` is in, as Slack's client links them."""
        text = slack_escape(text)
        names = {p.name: uid for uid, p in self.people.items()}
        channels = {
            c["name"]: cid
            for cid, c in self.channels.items()
            if (team is None or team in c["teams"]) and (not c["is_private"] or user in c["members"])
        }

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

    def _check_writer(self, user: str, channel: str, team: str) -> None:
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
        if ch is None or not self.can_read(user, channel, team):
            raise PlaygroundError("channel_not_found")
        if ch["is_archived"]:
            raise PlaygroundError("is_archived")
        if user not in ch["members"]:  # the page's "Join channel": a public channel anyone may join
            with self.lock:
                ch["members"].append(user)
            self._system_message(channel, user, "channel_join", f"<@{user}> has joined the channel", team)

    def _by(self, message: dict[str, Any], channel: str, team: str) -> None:
        """A person's message carries their workspace; in a shared channel, as Slack says it, also
        as the team they are of (`user_team`, `source_team`)."""
        message["team"] = team
        if self.is_shared(channel):
            message["user_team"] = message["source_team"] = team

    def post_message(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None, team: str | None = None
    ) -> str:
        """`user` writes `text` in `channel` (in the thread of `thread_ts`), in workspace `team`
        (`team_for`): stored, and delivered as a `message` event where the app is subscribed.
        Returns its ts."""
        team = self.team_for(user, team, channel)
        self._check_writer(user, channel, team)
        if not (text or "").strip():
            raise PlaygroundError("no_text")
        if len(text) > MAX_MESSAGE_CHARS:
            raise PlaygroundError("msg_too_long")
        text = self._format(text, escape_names=None, user=user, team=team)
        with self.lock:
            parent = None
            if thread_ts:
                parent = self.store.find_message(channel, thread_ts)
                if parent is None or parent.get("thread_ts") not in (None, parent["ts"]):
                    raise PlaygroundError("thread_not_found")
            ts = self.store.next_ts()
            message = {
                "client_msg_id": f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-4{secrets.token_hex(2)[1:]}-a{secrets.token_hex(2)[1:]}-{secrets.token_hex(6)}",
                "type": "message",
                "text": text,
                "user": user,
                "ts": ts,
                "blocks": _rich_text(text),
            }
            self._by(message, channel, team)
            if parent is not None:
                message["thread_ts"] = thread_ts
                message["parent_user_id"] = parent.get("user")
            self.messages[channel].append(message)
            self._touch()
            event = {**copy.deepcopy(message), "channel": channel, "event_ts": ts}
        self._emit(event, team)
        return ts

    def _own_message(self, user: str, channel: str, ts: str, refusal: str, team: str) -> dict[str, Any]:
        self.person(user)
        if not self.can_read(user, channel, team):
            raise PlaygroundError("channel_not_found")
        message = self.store.find_message(channel, ts)
        if message is None or message.get("subtype") == "tombstone":
            raise PlaygroundError("message_not_found")
        if message.get("user") != user:
            raise PlaygroundError(refusal)
        return message

    def edit_message(self, user: str, channel: str, ts: str, text: str, *, team: str | None = None) -> None:
        team = self.team_for(user, team, channel)
        if not (text or "").strip():
            raise PlaygroundError("no_text")
        with self.lock:
            message = self._own_message(user, channel, ts, "cant_update_message", team)
            previous = copy.deepcopy(message)
            edited_ts = self.store.next_ts()
            message["text"] = self._format(text, escape_names=None, user=user, team=team)
            message["blocks"] = _rich_text(message["text"])
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
        self._emit(event, team)

    def delete_message(self, user: str, channel: str, ts: str, *, team: str | None = None) -> None:
        team = self.team_for(user, team, channel)
        with self.lock:
            message = self._own_message(user, channel, ts, "cant_delete_message", team)
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
            at = self.store.next_ts()
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
        self._emit(event, team)

    def react(
        self, user: str, channel: str, ts: str, name: str, *, remove: bool = False, team: str | None = None
    ) -> None:
        team = self.team_for(user, team, channel)
        name = (name or "").strip(":")
        if not re.fullmatch(r"[a-z0-9_+'-]{1,100}", name):
            raise PlaygroundError("invalid_name")
        with self.lock:
            if not self.can_read(user, channel, team):
                raise PlaygroundError("channel_not_found")
            message = self.store.find_message(channel, ts)
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
                "event_ts": self.store.next_ts(),
            }
        self._emit(event, team)
