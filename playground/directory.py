"""The organisation's workspaces, people and channels: who is in which workspace (a Grid user id is
the same in every workspace it belongs to), which workspace a channel was created in and which it
is shared with, who is in which channel (public, private, DMs, group DMs), who may read and post
where, and the Web API methods that answer from them (users.info, conversations.join,
conversations.open; auth.test is the stand-in's own: an org-wide installation of the organisation).

DMs and group DMs belong to the organisation, as on Enterprise Grid: a person sees theirs in every
workspace they are in."""

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
            team_id=p.teams[0],
            teams=list(p.teams),
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
        team: str | None = None,
        shared_with: list[str] | None = None,
    ) -> None:
        """A channel created in workspace `team` (the first by default), shared with the
        organisation's workspaces `shared_with` too (a Grid shared channel)."""
        team = team or self.team_id
        teams = list(dict.fromkeys([team, *(shared_with or [])]))
        if any(t not in self.offices for t in teams):
            raise PlaygroundError("team_not_found")
        self.slack.add_channel(id, team_id=team)  # its permalinks and conversations.info name its workspace
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
                "team": team,
                "teams": teams,
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

    def team_for(self, user: str, team: str | None = None, channel: str | None = None) -> str:
        """The workspace `user` acts in: `team` (team_not_found when the organisation has none such,
        user_not_in_team when they are not in it); without one, the first of theirs where
        `channel` is (when given), else their first."""
        teams = self.person(user).teams
        if team:
            if team not in self.offices:
                raise PlaygroundError("team_not_found")
            if team not in teams:
                raise PlaygroundError("user_not_in_team")
            return team
        if channel and channel in self.channels:
            for candidate in teams:
                if candidate in self.channels[channel]["teams"]:
                    return candidate
        return teams[0]

    def people_in(self, team: str) -> list[str]:
        return [uid for uid, p in self.people.items() if team in p.teams]

    def home_of(self, channel: str) -> str:
        """The workspace a conversation belongs to: a channel's own; DMs and group DMs are the
        organisation's, and go by its first workspace (where its installation is)."""
        ch = self.channels.get(channel)
        return ch["team"] if ch else self.team_id

    def is_shared(self, channel: str) -> bool:
        ch = self.channels.get(channel)
        return bool(ch) and len(ch["teams"]) > 1

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

    def can_read(self, user: str, channel: str, team: str | None = None) -> bool:
        """Public channels, and the private channels, DMs and group DMs `user` is in; with `team`,
        only the channels of that workspace (its own and those shared with it)."""
        if channel.startswith("D"):
            return channel == self.dm_of(user)
        ch = self.channels.get(channel)
        if ch is not None:
            person = self.people.get(user)
            teams = [team] if team is not None else list(person.teams if person else ())
            if not any(t in ch["teams"] for t in teams):
                return False  # a channel of a workspace they are not in (or not looking at)
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
            "context_team_id": ch["team"],
            "is_shared": len(ch["teams"]) > 1,
            "is_org_shared": len(ch["teams"]) > 1,
            "shared_team_ids": list(ch["teams"]),
        }

    # -- the Web API, as this workspace answers it ------------------------------------------------
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
