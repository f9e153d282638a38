"""The workspace's people and channels: who is in which channel (public, private, DMs, group DMs),
who may read and post where, and the Web API methods that answer from them (auth.test, users.info,
conversations.join, conversations.open)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fakeslack import Answer, Call
from fakeslack.answers import err, ok
from fakeslack.store import USER_ID
from playground import sample
from playground.errors import PlaygroundError


class DirectoryMixin:
    """Part of `Workspace`: owns `people` and `channels`."""

    def _serve_directory(self) -> None:
        self.slack.methods.update(
            {
                "auth.test": self._api_auth_test,
                "users.info": self._api_users_info,
                "conversations.join": self._api_conversations_join,
                "conversations.open": self._api_conversations_open,
            }
        )
        self.slack.can_post = self.bot_can_post

    # -- setting up ---------------------------------------------------------------------------
    def add_person(self, p: sample.Person) -> None:
        offset = int(datetime.now(ZoneInfo(p.tz)).utcoffset().total_seconds())
        self.slack.add_user(
            p.id,
            name=p.name,
            real_name=p.real_name,
            title=p.title,
            tz=p.tz,
            tz_label=p.tz_label,
            tz_offset=offset,
            is_admin=p.is_admin,
        )
        with self.lock:
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
        with self.lock:
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
                self.store.private_channels.add(id)
            self._touch()

    # -- who is where ---------------------------------------------------------------------------
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

    def bot_can_post(self, channel: str) -> str | None:
        """Why Knowhow may not post in `channel` (Slack's error), or None: the workspace's rule."""
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

    # -- the Web API, as this workspace answers it ------------------------------------------------
    def _api_auth_test(self, call: Call) -> Answer:
        return ok(
            url=f"https://{self.team_domain}.slack.com/",
            team=self.team_name,
            user="knowhow",
            team_id=self.team_id,
            user_id=self.bot_user_id,
            bot_id=self.bot_id,
            is_enterprise_install=False,
        )

    def _api_users_info(self, call: Call) -> Answer:
        if (call.args.get("user") or "") not in self.users:
            return err("user_not_found")
        return self._stand_in["users.info"](call)

    def _api_conversations_join(self, call: Call) -> Answer:
        channel = call.args.get("channel", "")
        with self.lock:
            ch = self.channels.get(channel)
            if ch is None:
                return err("channel_not_found")
            if ch["is_private"]:  # invisible unless the bot was invited; joining is for public channels
                in_it = self.bot_user_id in ch["members"]
                return err("method_not_supported_for_channel_type" if in_it else "channel_not_found")
            if ch["is_archived"]:
                return err("is_archived")
            already = self.bot_user_id in ch["members"]
            if not already:
                ch["members"].append(self.bot_user_id)
                self.store.joined.add(channel)
            info = self._channel_object(channel)
        if already:
            return ok(
                channel=info, warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]}
            )
        self._system_message(channel, self.bot_user_id, "channel_join", f"<@{self.bot_user_id}> has joined the channel")
        return ok(channel=info)

    def _api_conversations_open(self, call: Call) -> Answer:
        users = [u.strip() for u in str(call.args.get("users", "")).split(",") if u.strip()]
        if any(u not in self.people for u in users if USER_ID.fullmatch(u)):
            return err("user_not_found")
        answer = self._stand_in["conversations.open"](call)
        if answer.body.get("ok") and len(users) == 1:
            answer.body["channel"].update(is_im=True, user=users[0])
        return answer
