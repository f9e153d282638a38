"""A workspace's installation is gone: `app_uninstalled`, or `tokens_revoked` for the bot.

From then on nothing is sent to it or scheduled for it; what it queued is held (outbox status
"held") and dropped after `KNOWHOW_GONE_RETENTION_DAYS`; installing Knowhow again releases it
(storage/workspaces.py). In distribution mode the installation is deleted from the store, as
Slack asks of an app whose tokens were revoked. No row of another workspace waits for any of this.
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.deps import Deps
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


def org_wide(body: dict) -> bool:
    return bool(body.get("is_enterprise_install")) or any(
        a.get("is_enterprise_install") for a in body.get("authorizations") or []
    )


def gone_workspaces(session, body: dict) -> list[str]:
    """The workspaces an uninstall event is about: the one it came from, or, for an org-wide
    Grid install, every workspace of the enterprise that this installation served."""
    enterprise_id = body.get("enterprise_id") or None
    if org_wide(body) and enterprise_id:
        return [w.team_id for w in workspaces.of_org(session, org_id=enterprise_id) if w.enterprise_install]
    team_id = body.get("team_id")
    return [team_id] if team_id else []


def register(app: App, deps: Deps) -> None:
    def installation_gone(body: dict, reason: str) -> None:
        with session_scope(deps.engine) as session:
            teams = gone_workspaces(session, body)
            changed = workspaces.mark_gone(session, team_ids=teams, reason=reason)
        delete = getattr(deps.installs, "delete", None)
        if delete is not None:
            enterprise_id = body.get("enterprise_id") or None
            if org_wide(body) and enterprise_id:  # stored as the organisation's, with no workspace
                delete(enterprise_id=enterprise_id, team_id=None)
            for team_id in teams:
                delete(enterprise_id=enterprise_id, team_id=team_id)
        for team_id in teams:
            if deps.installs is not None:
                deps.installs.forget(team_id)
        if changed:
            log.warning("installation gone (%s) for %s: their messages are held", reason, ", ".join(changed))

    @app.event("app_uninstalled")
    def uninstalled(ack, body):
        installation_gone(body, "app_uninstalled")
        ack()

    @app.event("tokens_revoked")
    def revoked(ack, body, event):
        # A user token's revocation concerns that person, not the installation: only the bot's counts.
        if (event.get("tokens") or {}).get("bot"):
            installation_gone(body, "tokens_revoked")
        ack()
