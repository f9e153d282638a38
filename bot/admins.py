"""Who is a Knowhow admin: the member ids in KNOWHOW_ADMINS, and the workspace's Slack admins and
owners (asked of `users.info`, which needs the `users:read` scope)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from slack_sdk.errors import SlackApiError

from bot.deps import Deps

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_admin(deps: Deps, client, user_id: str) -> bool:
    if user_id in deps.settings.admins:
        return True
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        log.warning(
            "users.info failed for %s (%s): treating them as not an admin",
            user_id,
            (exc.response.data or {}).get("error"),
        )
        return False
    return bool(
        not user.get("deleted") and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    )


def with_admin_fallback(
    deps: Deps, client, user_id: str, attempt: Callable[[bool], T], refused: Callable[[T], bool]
) -> T:
    """Run `attempt(is_admin)`; ask Slack whether the person is an admin (a Web API call) only if
    the rules refused them without it, and then try once more as an admin."""
    admin = user_id in deps.settings.admins
    result = attempt(admin)
    if not admin and refused(result) and is_admin(deps, client, user_id):
        result = attempt(True)
    return result
