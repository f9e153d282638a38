"""users.info, bots.info, auth.test and apps.connections.open: who is who, and the connections of an app."""

from __future__ import annotations

import copy

from fakeslack.answers import err, ok
from fakeslack.calls import Call
from fakeslack.store import USER_ID


def auth_test(fake, call: Call):
    store = fake.store
    home = store.workspaces[store.team_id]
    answer = dict(
        url=f"https://{home['domain']}.slack.com/",
        team=home["name"],
        user="knowhow",
        team_id=store.team_id,
        user_id=store.bot_user_id,
        bot_id=store.bot_id,
        is_enterprise_install=store.org_wide,
    )
    if store.enterprise is not None:  # a workspace of a Grid organisation (fakeslack/grid.py)
        answer["enterprise_id"] = store.enterprise["id"]
    return ok(**answer)


def users_info(fake, call: Call):
    store = fake.store
    user_id = call.args.get("user") or ""
    with store.lock:
        user = copy.deepcopy(store.users.get(user_id))
    if user is None:
        if not USER_ID.fullmatch(user_id):
            return err("user_not_found")
        # Not registered but could exist: a plain member (the bot itself answers as a bot).
        if user_id == store.bot_user_id:
            user = store.user_object(user_id, name="knowhow", real_name="Knowhow", is_bot=True)
        else:
            user = store.user_object(user_id)
    if str(call.args.get("include_locale", "")).lower() in ("1", "true"):
        user["locale"] = "en-GB"
    return ok(user=user)


def users_profile_get(fake, call: Call):
    """A person's profile, with the values of the workspace's custom fields (`fields`, by field id;
    null when they filled none). users.info's profile has no custom fields."""
    store = fake.store
    user_id = call.args.get("user") or ""
    with store.lock:
        user = copy.deepcopy(store.users.get(user_id))
        values = copy.deepcopy(store.profile_values.get(user_id) or {})
    if user is None:
        if not USER_ID.fullmatch(user_id):
            return err("user_not_found")
        user = store.user_object(user_id)
    profile = user["profile"]
    profile["fields"] = values or None
    return ok(profile=profile)


def team_profile_get(fake, call: Call):
    """The workspace's custom profile fields (their ids and labels)."""
    with fake.store.lock:
        fields = copy.deepcopy(list(fake.store.profile_fields.values()))
    return ok(profile={"fields": fields, "sections": []})


def bots_info(fake, call: Call):
    """The app's own bot only (the stand-in knows no other): which app it belongs to."""
    bot_id = call.args.get("bot") or ""
    if bot_id != fake.store.bot_id:
        return err("bot_not_found")
    return ok(
        bot={
            "id": bot_id,
            "deleted": False,
            "name": "knowhow",
            "updated": 1754400000,
            "app_id": fake.app_id,
            "user_id": fake.store.bot_user_id,
            "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
        }
    )


def connections_open(fake, call: Call):
    # Called with the app-level token, not the bot token (the dispatch leaves the check to us).
    if not call.headers.get("authorization", "").startswith("Bearer xapp-"):
        return err("invalid_auth")
    if fake.app_token is not None and call.token != fake.app_token:
        return err("invalid_auth")
    if fake.socket_mode is None:
        return err("socket_mode_not_enabled")
    return ok(url=fake.socket_mode.url)


METHODS = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.profile.get": users_profile_get,
    "team.profile.get": team_profile_get,
    "bots.info": bots_info,
    "apps.connections.open": connections_open,
}
