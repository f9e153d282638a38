"""What the page reads: the state of a workspace as one person sees it there (the organisation's
workspaces and people, that workspace's conversations, the open modal, their Home there,
notices), a conversation's messages and a thread, files."""

from __future__ import annotations

import copy
import mimetypes
from collections import defaultdict
from typing import Any

from playground import sample
from playground.errors import PlaygroundError
from playground.interactions import SLACKBOT


class ReadingMixin:
    """Part of `Workspace`: reads, never changes."""

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
            "teams": list(p.teams),
        }

    def _name(self, uid: str) -> str:
        if uid == self.bot_user_id:
            return "Knowhow"
        if uid == SLACKBOT:
            return "Slackbot"
        p = self.people.get(uid)
        return p.real_name if p else uid

    def _visible_channels(self, user: str, team: str) -> list[str]:
        return [cid for cid in self.channels if self.can_read(user, cid, team)]

    def conversations_for(self, user: str, team: str | None = None) -> list[dict[str, Any]]:
        """The channels of workspace `team` (its own and those shared with it) `user` may see, then
        their DM with Knowhow and their group DMs (the organisation's, so in every workspace)."""
        team = self.team_for(user, team)
        out = []
        for cid in self._visible_channels(user, team):
            ch = self.channels[cid]
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
                    "team_id": ch["team"],
                    "shared_team_ids": [t for t in ch["teams"] if t != ch["team"]],
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

    def _office(self, team: str) -> dict[str, str]:
        office = self.offices[team]
        return {"id": office.id, "name": office.name, "domain": office.domain}

    def state(self, user: str, team: str | None = None) -> dict[str, Any]:
        """What `user` sees in workspace `team`: theirs, or their first when they are not in it."""
        person = self.person(user)
        team = team if team in person.teams else person.teams[0]
        with self.lock:
            return {
                "ok": True,
                "version": self.version,
                "enterprise": dict(self.enterprise),
                "team": self._office(team),
                "workspaces": [
                    {
                        **self._office(tid),
                        "is_member": tid in person.teams,
                        "members": self.people_in(tid),
                        # where each channel of it `user` may open is (the page follows links there)
                        "channels": self._visible_channels(user, tid) if tid in person.teams else [],
                    }
                    for tid in self.offices
                ],
                "bot": {"user_id": self.bot_user_id, "name": "Knowhow"},
                "me": user,
                "default_conversation": sample.QA_CHANNEL,
                "demo": self.demo,
                "users": [self._user_entry(uid) for uid in self.people],
                "conversations": self.conversations_for(user, team),
                "commands": [
                    {k: c[k] for k in ("command", "description", "usage_hint")} for c in self.manifest.commands
                ],
                "shortcuts": copy.deepcopy(self.manifest.shortcuts),
                "modal": self.modal_of(user),
                "home": copy.deepcopy(self.homes.get((user, team))),
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

    def conversation(self, user: str, channel: str, team: str | None = None) -> list[dict[str, Any]]:
        """Top-level messages (with their thread's counts) and `user`'s own ephemerals, oldest first."""
        team = self.team_for(user, team, channel)
        if not channel or not self.can_read(user, channel, team):
            raise PlaygroundError("channel_not_found")
        with self.lock:
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

    def thread(self, user: str, channel: str, ts: str, team: str | None = None) -> dict[str, Any]:
        team = self.team_for(user, team, channel)
        if not channel or not self.can_read(user, channel, team):
            raise PlaygroundError("channel_not_found")
        with self.lock:
            root = self.store.find_message(channel, ts or "")
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
        with self.lock:
            stored = self.files.get(file_id)
            if not stored or stored.get("content") is None or not stored.get("completed"):
                return None
            return stored["content"], mimetypes.guess_type(stored["name"])[0] or "application/octet-stream"
