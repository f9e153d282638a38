"""Who is a Knowhow admin, asked of `users.info` (the `users:read` scope):

- a workspace's own admins and owners administer that workspace (its channels for expert
  sessions, its mentoring topic list, where and when its scoreboard is posted and whose figures
  it shows);
- an Enterprise Grid organisation's admins and owners (`users.info`'s `enterprise_user.is_admin`
  and `is_owner`: Slack's user object has no top-level organisation flag) administer every
  workspace of it, as do the member ids in KNOWHOW_ADMINS (the operator's).

`is_org_admin` names those who may change what is set once for the whole organisation. Today
nothing is: every setting (the scoreboard's scope included) belongs to a workspace, and
organisation admins reach them all through `is_admin`.

What Slack said of a person is remembered for a few minutes (`bot.ackbudget.MEMORY_SECONDS`), so an
admin's next commands are answered without asking it again; asked with a client on the ack's
budget, a lookup Slack does not answer in time raises `SlackSlow`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from typing import TypeVar

from slack_sdk.errors import SlackApiError

from bot.ackbudget import SlackSlow, after_ack, briefly
from bot.deps import Deps

log = logging.getLogger(__name__)
T = TypeVar("T")


def _slack_user(deps: Deps, client, user_id: str) -> dict:
    """What users.info says of the person (the parts admin checks read), remembered a while."""
    key = ("admin", client.token, client.default_params.get("team_id"), user_id)
    known = deps.ack_budget.memory.get(key)
    if known is not None:
        return known
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        log.warning(
            "users.info failed for %s (%s): treating them as not an admin",
            user_id,
            (exc.response.data or {}).get("error"),
        )
        return {}
    user = {} if user.get("deleted") else user
    flags = ("is_admin", "is_owner", "is_primary_owner", "enterprise_user")
    known = {k: user[k] for k in flags if k in user}
    deps.ack_budget.memory.put(key, known)
    return known


def _org_admin(user: dict) -> bool:
    grid = user.get("enterprise_user") or {}
    return bool(grid.get("is_admin") or grid.get("is_owner") or grid.get("is_primary_owner"))


def is_admin(deps: Deps, client, user_id: str) -> bool:
    """May this person administer the workspace the request comes from (`client` speaks for it)?
    Its admins and owners, its organisation's, and KNOWHOW_ADMINS."""
    if user_id in deps.settings.admins:
        return True
    user = _slack_user(deps, client, user_id)
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner") or _org_admin(user))


def is_org_admin(deps: Deps, client, user_id: str) -> bool:
    """May this person change what is set for the whole organisation? Its admins and owners
    (outside Grid: the workspace's, the workspace being its own organisation), and KNOWHOW_ADMINS."""
    if user_id in deps.settings.admins:
        return True
    user = _slack_user(deps, client, user_id)
    if "enterprise_user" in user:
        return _org_admin(user)
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def learn_later(deps: Deps, context, client, user_id: str) -> None:
    """After the ack, ask Slack whether the person is an admin (a check that did not come in time
    before it), so that their next try finds the answer remembered."""

    def learn() -> None:
        try:
            is_admin(deps, client, user_id)
        except Exception as exc:  # Slack still slow: the next try asks again
            log.info("users.info for %s still did not answer (%s)", user_id, exc)

    after_ack(context, learn)


def admin_or_told(
    deps: Deps,
    context,
    client,
    user_id: str,
    *,
    what: str,
    slow: Callable[[], None],
    refused: Callable[[], None],
    quick=None,
) -> bool:
    """Before the ack of what only admins may do: is the person an admin? Slack is asked on the
    ack's budget: `quick`, the request's budgeted client, briefly (a form is still to open within
    the budget), or else a budget of its own for the check alone. When Slack does not say in time,
    `slow()` answers the person and Slack's answer is learned after the ack for their next try;
    when they are not an admin, `refused()` answers them. True only for an admin."""
    try:
        with (
            briefly(quick) if quick is not None else nullcontext(),
            nullcontext(quick) if quick is not None else deps.ack_budget.client(client) as asking,
        ):
            admin = is_admin(deps, asking, user_id)
    except SlackSlow as exc:
        log.warning("%s: Slack did not say in time whether %s is an admin (%s)", what, user_id, exc)
        slow()
        learn_later(deps, context, client, user_id)  # remembered for the next try
        return False
    if not admin:
        refused()
    return admin


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
