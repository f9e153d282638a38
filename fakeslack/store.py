"""What the stand-in remembers, behind one lock: messages, modals, users, files, DMs and which
channels the bot may post in. The Web API methods (fakeslack/methods/) and anything built on the
stand-in (the playground) read and change it under `store.lock`, a reentrant Condition that is
notified on every recorded call."""

from __future__ import annotations

import copy
import itertools
import re
import threading
import time
from collections import defaultdict
from typing import Any

# A user id Slack could have issued: U (or W on Enterprise Grid), then uppercase letters and digits.
USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


class Store:
    def __init__(self, *, team_id: str, bot_user_id: str, bot_id: str, private_channels: tuple[str, ...] = ()):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.lock = threading.Condition()
        self.joined: set[str] = set()
        # Channels the bot must be invited to: posting there answers not_in_channel until joined,
        # and conversations.join answers channel_not_found (it cannot see the channel) until
        # invited, then method_not_supported_for_channel_type (joining is for public channels).
        self.private_channels = set(private_channels)
        # Public channels the bot is not in yet (posting answers not_in_channel until it joins).
        self.not_joined: set[str] = set()
        # Channels that were archived (read-only: posting and joining answer is_archived) and
        # channels that were deleted, or never were (every method answers channel_not_found).
        self.archived: set[str] = set()
        self.deleted: set[str] = set()
        # DMs and group DMs between people, without the bot: it cannot read them (channel_not_found).
        self.without_bot: set[str] = set()
        # Group DMs opened with conversations.open: channel id -> member ids (the bot included).
        self.group_dms: dict[str, list[str]] = {}
        # Messages posted, by channel, oldest first (what conversations.history reads); thread
        # replies too (they carry thread_ts), which conversations.history leaves out.
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        # Modals opened (views.open / views.push), by view id, as last set (views.update).
        self.views: dict[str, dict[str, Any]] = {}
        # Users registered with add_user(), by id (what users.info reads).
        self.users: dict[str, dict[str, Any]] = {}
        # The workspace's custom profile fields (team.profile.get), by id, and each user's values
        # of them (users.profile.get's `fields`): user id -> field id -> {"value", "alt"}.
        self.profile_fields: dict[str, dict[str, Any]] = {}
        self.profile_values: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
        # Files of the external upload flow, by id (see fakeslack/methods/files.py).
        self.files: dict[str, dict[str, Any]] = {}
        # Enterprise Grid (fakeslack/grid.py): the organisation ({"id", "name"}) and whether the
        # bot token is an org-wide install; the workspaces, the default one first; the workspace
        # of each channel not in the default one.
        self.enterprise: dict[str, str] | None = None
        self.org_wide = False
        self.workspaces: dict[str, dict[str, str]] = {
            team_id: {"id": team_id, "domain": "fake-mentors", "name": "Fake Mentors"}
        }
        self.channel_teams: dict[str, str] = {}
        self._view_ids = itertools.count(1)
        self._hashes = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._last_ts = 0.0

    # -- ids ------------------------------------------------------------------------------------
    def next_ts(self) -> str:
        """Unique and increasing, near the current time, like Slack's."""
        with self.lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def new_view_id(self, prefix: str = "V0VIEW") -> str:
        with self.lock:
            return f"{prefix}{next(self._view_ids):04d}"

    def new_file_id(self) -> str:
        with self.lock:
            return f"F0FILE{next(self._file_ids):05d}"

    def new_hash(self) -> str:
        # Slack's hashes look like "1754400300.Ab1Cd2Ef": a time and a short random part.
        return f"{int(time.time())}.{next(self._hashes) * 2654435761 % 16**8:08x}"

    # -- workspaces -----------------------------------------------------------------------------
    def team_of_channel(self, channel: str) -> str:
        return self.channel_teams.get(channel, self.team_id)

    def domain_of_channel(self, channel: str) -> str:
        return self.workspaces[self.team_of_channel(channel)]["domain"]

    # -- reading --------------------------------------------------------------------------------
    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The stored message itself (not a copy); call with the lock held."""
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None

    def can_post(self, channel: str) -> str | None:
        """Why the bot may not post in `channel` (Slack's error), or None: the stand-in's rule."""
        if not channel or channel in self.deleted:
            return "channel_not_found"
        if channel in self.archived:
            return "is_archived"
        if channel[0] in "UD":
            return None  # a DM with a user: the bot may always write there
        if channel in self.private_channels or channel in self.not_joined:
            return "not_in_channel" if channel not in self.joined else None
        return None

    # -- views ----------------------------------------------------------------------------------
    def external_id_taken(self, external_id: str, but: str | None = None) -> bool:
        return bool(external_id) and any(
            v["external_id"] == external_id and v["id"] != but for v in self.views.values()
        )

    def stored_view(
        self,
        view: dict[str, Any],
        *,
        view_id: str,
        root_view_id: str,
        previous_view_id: str | None,
        team_id: str | None = None,
    ):
        """`view` as Slack keeps and returns it: every field filled in, every block with a block_id.
        `team_id`: the workspace whose request opened it (the stand-in's own by default)."""
        team_id = team_id or self.team_id
        view = copy.deepcopy(view)
        for n, block in enumerate(view["blocks"]):
            if isinstance(block, dict) and not block.get("block_id"):
                block["block_id"] = f"{view_id}-b{n}"  # Slack makes one up when the app gave none
        return {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": view["blocks"],
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": self.new_hash(),
            "title": view["title"],
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id,
            "app_id": "A0FAKEAPP1",
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": team_id,
            "bot_id": self.bot_id,
        }

    # -- users ----------------------------------------------------------------------------------
    def user_object(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        title: str = "",
        tz: str = "Europe/London",
        tz_label: str | None = None,
        tz_offset: int = 0,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
        teams: list[str] | None = None,
        is_org_admin: bool = False,
        is_org_owner: bool = False,
    ) -> dict[str, Any]:
        """A user in users.info's shape: `name` defaults to the id in lower case, `real_name` to `name`.
        `team_id`: their workspace (the stand-in's own by default); in a Grid organisation,
        `teams` are all the workspaces they belong to and `is_org_admin`/`is_org_owner` say
        whether they administer the organisation (users.info's `enterprise_user`)."""
        team_id = team_id or self.team_id
        name = name or user_id.lower()
        real_name = real_name if real_name is not None else name
        if tz_label is None:
            sign = "+" if tz_offset >= 0 else "-"
            hours, minutes = divmod(abs(tz_offset) // 60, 60)
            tz_label = "Greenwich Mean Time" if tz_offset == 0 else f"UTC{sign}{hours:02d}:{minutes:02d}"
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": {
                "title": title,
                "phone": "",
                "skype": "",
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "status_text": "",
                "status_emoji": "",
                "avatar_hash": "g0fake000000",
                "team": team_id,
            },
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": is_restricted,
            "is_ultra_restricted": is_ultra_restricted,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "has_2fa": False,
        }
        if self.enterprise is not None:
            user["enterprise_user"] = {
                "id": user_id,
                "enterprise_id": self.enterprise["id"],
                "enterprise_name": self.enterprise["name"],
                "is_admin": is_org_admin,
                "is_owner": is_org_owner,
                "teams": list(teams or [team_id]),
            }
        if is_bot:
            profile = user["profile"]
            profile["bot_id"] = self.bot_id if user_id == self.bot_user_id else "B" + user_id[1:]
        return user
