"""conversations.*: joining channels, reading their history and threads, opening DMs and group DMs."""

from __future__ import annotations

import copy
import hashlib
from collections import defaultdict
from typing import Any

from fakeslack.answers import err, ok
from fakeslack.calls import Call
from fakeslack.store import USER_ID


def join(fake, call: Call):
    """Joining is for public channels. A private channel the bot is not in does not exist for it
    (`channel_not_found`, as Slack answers); one it was invited to, a DM or a group DM is not a
    kind joining serves."""
    store = fake.store
    channel = call.args.get("channel", "")
    if not channel or channel in store.deleted:
        return err("channel_not_found")
    with store.lock:
        if channel in store.archived:
            return err("is_archived")
        if channel[0] == "D" or channel in store.group_dms:  # a DM or a group DM: nothing to join
            return err("method_not_supported_for_channel_type")
        if channel in store.private_channels:
            return err("method_not_supported_for_channel_type" if channel in store.joined else "channel_not_found")
        store.joined.add(channel)
    return ok(
        channel={"id": channel, "name": channel.lower(), "is_channel": True, "is_private": False, "is_member": True}
    )


def _page(call: Call, found: list[dict[str, Any]]):
    """One page of `found` (in the order answered), as Slack pages: `limit`, then a `cursor` that
    `response_metadata.next_cursor` gave."""
    limit = int(call.args.get("limit") or 100)
    cursor = str(call.args.get("cursor") or "")
    start = int(cursor.removeprefix("next:")) if cursor.startswith("next:") else 0
    page = found[start : start + limit]
    more = start + limit < len(found)
    return ok(
        messages=page,
        has_more=more,
        response_metadata={"next_cursor": f"next:{start + limit}" if more else ""},
    )


def _shown(message: dict[str, Any], call: Call) -> dict[str, Any]:
    """A stored message as a read answers it: its metadata only when asked for (include_all_metadata)."""
    if str(call.args.get("include_all_metadata", "")).lower() not in ("1", "true"):
        message.pop("metadata", None)
    return message


def history(fake, call: Call):
    args, store = call.args, fake.store
    channel = args.get("channel", "")
    problem = fake.can_post(channel)
    if problem:
        return err(problem)
    oldest = float(args.get("oldest") or 0)
    with store.lock:
        stored = list(store.messages[channel])
    # Thread replies stay out; a parent shows its thread as Slack does (reply_count, latest_reply).
    replies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in stored:
        if m.get("thread_ts") not in (None, m["ts"]):
            replies[m["thread_ts"]].append(m)
    found = [copy.deepcopy(m) for m in stored if float(m["ts"]) > oldest and m.get("thread_ts") in (None, m["ts"])]
    for message in found:
        _with_thread(message, replies.get(message["ts"]))
        _shown(message, call)
    found.reverse()  # newest first, as Slack answers
    return _page(call, found)


def _with_thread(message: dict[str, Any], thread: list[dict[str, Any]]) -> dict[str, Any]:
    """A parent message as Slack shows it with its thread (reply_count, reply_users, latest_reply)."""
    if thread:
        message.update(
            thread_ts=message["ts"],
            reply_count=len(thread),
            reply_users=sorted({r.get("user", "") for r in thread}),
            reply_users_count=len({r.get("user", "") for r in thread}),
            latest_reply=thread[-1]["ts"],
        )
    return message


def replies(fake, call: Call):
    """A thread: its parent first (with reply_count and the rest, as Slack shows it), then its
    replies, oldest first (`oldest` leaves out older replies, never the parent), a page at a time.
    A message with no replies is answered alone; the ts of a reply answers its whole thread, as
    Slack does; an unknown ts is `thread_not_found`. The bot
    reads only conversations it is in: a DM or group DM between people, or a private channel it
    was not invited to, does not exist for it (`channel_not_found`); a public channel it has not
    joined answers `not_in_channel`."""
    args, store = call.args, fake.store
    channel, ts = args.get("channel", ""), args.get("ts", "")
    unseen = channel in store.without_bot or (channel in store.private_channels and channel not in store.joined)
    problem = "channel_not_found" if unseen else fake.can_post(channel)
    if problem:
        return err(problem)
    oldest = float(args.get("oldest") or 0)
    with store.lock:
        parent = store.find_message(channel, ts)
        if parent is not None and parent.get("thread_ts") not in (None, ts):
            ts = parent["thread_ts"]
            parent = store.find_message(channel, ts)
        thread = [copy.deepcopy(m) for m in store.messages[channel] if m.get("thread_ts") == ts and m["ts"] != ts]
        if parent is None:
            return err("thread_not_found")
        found = [_with_thread(copy.deepcopy(parent), thread), *(m for m in thread if float(m["ts"]) > oldest)]
    return _page(call, [_shown(m, call) for m in found])


def open_(fake, call: Call):
    store = fake.store
    users = [u.strip() for u in str(call.args.get("users", "")).split(",") if u.strip()]
    if not users:
        return err("users_list_not_supplied")
    if len(users) > 8:
        return err("too_many_users")
    if any(not USER_ID.fullmatch(u) for u in users):
        return err("user_not_found")
    if len(users) == 1:
        return ok(channel={"id": "D" + users[0][1:]})
    # A group DM with the bot and these people: the same people always get the same one.
    members = sorted({*users, store.bot_user_id})
    channel_id = "G" + hashlib.sha1(",".join(members).encode()).hexdigest()[:10].upper()
    with store.lock:
        store.group_dms[channel_id] = members
    return ok(channel={"id": channel_id, "is_mpim": True, "is_im": False})


def info(fake, call: Call):
    """A conversation as the bot sees it: a DM, a group DM it opened, a private channel (it must
    be in it), or a public channel; in the workspace it belongs to (fakeslack/grid.py)."""
    store = fake.store
    channel = call.args.get("channel", "")
    if not channel or channel in store.deleted:
        return err("channel_not_found")
    with store.lock:
        if channel in store.without_bot:  # a DM or group DM between people: it does not exist for the bot
            return err("channel_not_found")
        kind = (
            "im"
            if channel[0] == "D"
            else "mpim"
            if channel in store.group_dms
            else "private"
            if channel in store.private_channels
            else "public"
        )
        if kind == "private" and channel not in store.joined:
            return err("channel_not_found")  # a private channel the bot is not in does not exist for it
        team_id = store.team_of_channel(channel)
    found = {
        "id": channel,
        "name": channel.lower(),
        "is_channel": kind == "public",
        "is_group": kind == "private",
        "is_im": kind == "im",
        "is_mpim": kind == "mpim",
        "is_private": kind in ("private", "mpim"),
        "is_archived": channel in store.archived,
        "is_member": kind != "public" or channel in store.joined or channel not in store.not_joined,
        "context_team_id": team_id,
    }
    return ok(channel=found)


METHODS = {
    "conversations.info": info,
    "conversations.join": join,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.open": open_,
}
