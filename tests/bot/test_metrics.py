"""bot/metrics.py without a server: the request kinds stay a known, bounded set; the counts shared
with the workers' process add up."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import yaml

from bot import ids, metrics
from notify import kinds

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_event_knowhow_subscribes_to_has_its_own_kind():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    subscribed = {name.split(".")[0] for name in manifest["settings"]["event_subscriptions"]["bot_events"]}
    assert subscribed <= metrics.EVENT_TYPES
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == metrics.COMMANDS


def test_request_kinds_name_what_knowhow_knows_and_nothing_else():
    kind = metrics.request_kind
    assert kind({"command": "/ask", "text": "anything"}) == "command:/ask"
    assert kind({"command": "/not-ours"}) == "other"
    assert kind({"type": "event_callback", "event": {"type": "message", "text": "hi"}}) == "event:message"
    assert kind({"type": "event_callback", "event": {"type": "reaction_added"}}) == "event:reaction_added"
    assert kind({"type": "event_callback", "event": {"type": "pin_added"}}) == "other"
    assert kind({"type": "block_actions", "actions": [{"action_id": ids.ASK_ACCEPT_OPEN}]}) == "action:ask_accept_open"
    # The "met?" buttons carry a suffix: still the one kind.
    assert kind({"type": "block_actions", "actions": [{"action_id": "mentor_met_not_yet"}]}) == "action:mentor_met"
    assert kind({"type": "block_actions", "actions": [{"action_id": "x" * 300}]}) == "other"
    assert kind({"type": "view_submission", "view": {"callback_id": ids.ASK_MODAL}}) == "view:ask_modal"
    assert kind({"type": "shortcut", "callback_id": ids.ACCEPT_ANSWER_SHORTCUT}) == "shortcut:accept_answer"
    assert kind({"type": "block_suggestion", "action_id": ids.ASK_MODAL_TOPICS}) == "options:ask_topics"
    assert kind({"type": "url_verification"}) == kind({"ssl_check": "1"}) == kind("nope") == "other"


def test_counts_add_up_across_processes():
    counts = metrics.Counts(multiprocessing.get_context("spawn"))
    process = multiprocessing.get_context("spawn").Process(target=_count, args=(counts,))
    process.start()
    process.join(30)
    assert process.exitcode == 0
    counts.sent(kinds.OUTBOX_POST_QUESTION, "ok")
    sends = counts.sends()
    assert sends[kinds.OUTBOX_POST_QUESTION, "ok"] == 3
    assert sends[kinds.OUTBOX_POST_QUESTION, "rate_limited"] == 1
    assert sends["other", "failed"] == 1  # a kind the code does not know
    assert counts.stored_counts()["question"] == 2


def _count(counts: metrics.Counts) -> None:
    counts.sent(kinds.OUTBOX_POST_QUESTION, "ok")
    counts.sent(kinds.OUTBOX_POST_QUESTION, "ok")
    counts.sent(kinds.OUTBOX_POST_QUESTION, "rate_limited")
    counts.sent("no.such.kind", "failed")
    counts.stored("question", 2)
