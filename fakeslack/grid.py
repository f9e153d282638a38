"""Enterprise Grid in the stand-in: one organisation of several workspaces, served by an org-wide
installation (one bot token for all of them, as `auth.test` then says).

`FakeSlack.grid(...)` makes the stand-in's workspace part of an organisation, `add_workspace`
adds another, `add_channel(..., team_id=...)` puts a channel in one of them and `add_user(...,
team_id=..., teams=...)` a member (a Grid user id is the same in every workspace it belongs to).
What follows from it: `auth.test` names the organisation; `users.info` carries `enterprise_user`
(the organisation's admins and owners, the workspaces of the person); `chat.getPermalink` links
into the channel's own workspace; `conversations.info` answers for any channel; a modal opened
with a trigger from one workspace's request belongs to that workspace (`app_installed_team_id`).
`SlackSender(..., enterprise_id=...)` signs requests as that organisation's workspaces send them.
"""

from __future__ import annotations

import zlib

# The default workspace's trigger ids keep the shape the stand-in always gave them.
DEFAULT_TEAM = "T0FAKETEAM"
_DEFAULT_SEGMENT = "7700000000001"


def trigger_segment(team_id: str) -> str:
    """The middle part of a trigger_id made for a request from `team_id` (Slack's are numeric)."""
    if team_id == DEFAULT_TEAM:
        return _DEFAULT_SEGMENT
    return str(7800000000000 + zlib.crc32(team_id.encode()))


def team_of_trigger(trigger_id: str | None, teams, default: str) -> str:
    """The workspace (one of `teams`) whose request a trigger_id came with; `default` if unknown."""
    parts = (trigger_id or "").split(".")
    if len(parts) == 3:
        for team in teams:
            if trigger_segment(team) == parts[1]:
                return team
    return default


def domain_of(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-") or "workspace"
