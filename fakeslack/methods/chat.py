"""chat.* and reactions.add/remove: messages the bot posts, edits and reacts to."""

from __future__ import annotations

import copy

from fakeslack.answers import blocks_problem, err, ok
from fakeslack.calls import Call


def post_message(fake, call: Call):
    args, store = call.args, fake.store
    channel = args.get("channel", "")
    problem = fake.can_post(channel)
    if problem:
        return err(problem)
    if not args.get("text") and not args.get("blocks"):
        return err("no_text")
    problem = blocks_problem(args.get("blocks"))
    if problem:
        return err(problem)
    ts = store.next_ts()
    out_channel = "D" + channel[1:] if channel.startswith("U") else channel
    message = {
        "type": "message",
        "user": store.bot_user_id,
        "bot_id": store.bot_id,
        "ts": ts,
        "text": args.get("text", ""),
    }
    if args.get("blocks"):
        message["blocks"] = args["blocks"]
    if args.get("thread_ts"):
        message["thread_ts"] = args["thread_ts"]
    if args.get("metadata"):
        message["metadata"] = args["metadata"]
    with store.lock:
        store.messages[out_channel].append(message)
    return ok(channel=out_channel, ts=ts, message=message)


def post_ephemeral(fake, call: Call):
    problem = fake.can_post(call.args.get("channel", "")) or blocks_problem(call.args.get("blocks"))
    return err(problem) if problem else ok(message_ts=fake.store.next_ts())


def update(fake, call: Call):
    args, store = call.args, fake.store
    channel, ts = args.get("channel", ""), args.get("ts", "")
    if not channel:
        return err("channel_not_found")
    if not args.get("text") and not args.get("blocks"):
        return err("no_text")
    problem = blocks_problem(args.get("blocks"))
    if problem:
        return err(problem)
    edited_ts = store.next_ts()
    with store.lock:
        message = store.find_message(channel, ts)
        if message is None:
            return err("message_not_found")
        if message.get("user") != store.bot_user_id:
            return err("cant_update_message")  # a bot may only edit its own posts
        # As in Slack, a field left out keeps its old value; `blocks: []` removes the blocks.
        if "text" in args:
            message["text"] = args["text"] or ""
        if "blocks" in args:
            if args["blocks"]:
                message["blocks"] = args["blocks"]
            else:
                message.pop("blocks", None)
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        message["edited"] = {"user": store.bot_user_id, "ts": edited_ts}
        shown = copy.deepcopy(message)
    return ok(channel=channel, ts=ts, text=shown["text"], message=shown)


def get_permalink(fake, call: Call):
    channel, ts = call.args.get("channel"), call.args.get("message_ts")
    if not channel or not ts:
        return err("message_not_found")
    # A link into the workspace the channel belongs to (each of a Grid organisation's has its own).
    domain = fake.store.domain_of_channel(channel)
    return ok(channel=channel, permalink=f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}")


def reactions_add(fake, call: Call):
    args, store = call.args, fake.store
    channel, ts, name = args.get("channel", ""), args.get("timestamp", ""), args.get("name", "")
    if not name:
        return err("invalid_name")
    with store.lock:
        message = store.find_message(channel, ts)
        if message is None:
            return err("message_not_found")
        reactions = message.setdefault("reactions", [])
        mine = next((r for r in reactions if r["name"] == name), None)
        if mine is not None and store.bot_user_id in mine["users"]:
            return err("already_reacted")
        if mine is None:
            mine = {"name": name, "users": [], "count": 0}
            reactions.append(mine)
        mine["users"].append(store.bot_user_id)
        mine["count"] += 1
    return ok()


def reactions_remove(fake, call: Call):
    args, store = call.args, fake.store
    channel, ts, name = args.get("channel", ""), args.get("timestamp", ""), args.get("name", "")
    if not name:
        return err("invalid_name")
    with store.lock:
        message = store.find_message(channel, ts)
        if message is None:
            return err("message_not_found")
        reactions = message.get("reactions") or []
        mine = next((r for r in reactions if r["name"] == name), None)
        if mine is None or store.bot_user_id not in mine["users"]:
            return err("no_reaction")
        mine["users"].remove(store.bot_user_id)
        mine["count"] -= 1
        if not mine["count"]:
            reactions.remove(mine)
    return ok()


METHODS = {
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.update": update,
    "chat.getPermalink": get_permalink,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
}
