"""The Events API, as Slack delivers it to Knowhow: only what the manifest subscribes to and only
from channels the bot is in, one event at a time and in order, signed; an event not acked in time
is retried (X-Slack-Retry-Num, the same event_id) almost at once, after a minute, after five.

Each event goes as the workspace it happened in (`context_team_id`, for the org-wide installation);
in a shared channel, the top-level `team_id` is the workspace that created the channel, as Slack
sends it."""

from __future__ import annotations

import copy
import heapq
import itertools
import logging
import threading
import time
from typing import Any

from playground.errors import PlaygroundError

log = logging.getLogger(__name__)

# Slack gives an app 3 seconds to answer a request.
ACK_SECONDS = 3.0
# Slack re-sends an event not acked in time: almost at once, after a minute, after five.
EVENT_RETRY_DELAYS = (1.0, 60.0, 300.0)
_CHANNEL_EVENTS = {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}


class EventsMixin:
    """Part of `Workspace`: owns the queue of events (due, seq, event, attempt) and its thread."""

    def _setup_events(self) -> None:
        self._events: list[tuple[float, int, dict[str, Any], int]] = []
        self._event_seq = itertools.count(1)
        self._event_wake = threading.Condition()
        self._event_thread: threading.Thread | None = None
        self._closing = False

    def _start_events(self) -> None:
        if self._event_thread is None:
            self._event_thread = threading.Thread(target=self._deliver_events, name="playground-events", daemon=True)
            self._event_thread.start()

    def _stop_events(self) -> None:
        with self._event_wake:
            self._closing = True
            self._event_wake.notify_all()

    def _subscribed(self, event: dict[str, Any]) -> bool:
        """Would Slack send this event to the app (manifest's bot events, channels the bot is in)?"""
        kind = event["type"]
        events = self.manifest.bot_events
        if kind == "message":
            channel = event["channel"]
            if self.bot_user_id not in self._members(channel):
                return False
            return f"message.{_CHANNEL_EVENTS[self._kind(channel)]}" in events
        if kind in ("reaction_added", "reaction_removed"):
            channel = event["item"]["channel"]
            return kind in events and self.bot_user_id in self._members(channel)
        return kind in events

    def _emit(self, event: dict[str, Any], team: str | None = None) -> None:
        """Queue `event`, which happened in workspace `team` (by default, that of its channel)."""
        if event.get("type") == "message":
            event.setdefault("channel_type", self._kind(event["channel"]))
        if self.sender is None or not self._subscribed(event):
            return
        channel = event.get("channel") or (event.get("item") or {}).get("channel") or ""
        event["_team"] = team or self.home_of(channel)
        event["_channel_team"] = self.home_of(channel) if channel in self.channels else None
        with self._event_wake:
            heapq.heappush(self._events, (time.monotonic(), next(self._event_seq), event, 0))
            self._event_wake.notify_all()

    def _deliver_events(self) -> None:
        """One thread, in order: each event signed and POSTed; a failure or a late answer is retried
        as Slack does (X-Slack-Retry-Num, same event_id)."""
        while True:
            with self._event_wake:
                while not self._closing and (not self._events or self._events[0][0] > time.monotonic()):
                    self._event_wake.wait(None if not self._events else max(0.0, self._events[0][0] - time.monotonic()))
                if self._closing:
                    return
                _due, seq, event, attempt = heapq.heappop(self._events)
            event_id = event.setdefault("_event_id", f"Ev0PLAY{seq:07d}")
            sender = self.senders.get(event["_team"], self.sender)
            created_in = event["_channel_team"] if event["_channel_team"] != event["_team"] else None
            body = sender.event_body(
                {k: v for k, v in event.items() if not k.startswith("_")}, event_id=event_id, team_id=created_in
            )
            extra = {}
            if attempt:
                extra = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": event.get("_reason", "http_error")}
            try:
                answer = self.sender.post(
                    body, "application/json", {**self.sender.sign(body), **extra}, timeout=ACK_SECONDS
                )
                ok, reason = 200 <= answer.status < 300, "http_error"
                if answer.headers.get("X-Slack-No-Retry") == "1":
                    ok = True
            except (TimeoutError, OSError) as exc:
                ok = False
                reason = "http_timeout" if "timed out" in str(exc) else "connection_failed"
            if ok:
                if event.get("type") == "message" and not event.get("subtype") and event.get("user") in self.people:
                    with self.lock:
                        self.delivered.add(event["ts"])
                        self._touch()
                continue
            if attempt < len(EVENT_RETRY_DELAYS):
                event["_reason"] = reason
                with self._event_wake:
                    heapq.heappush(
                        self._events, (time.monotonic() + EVENT_RETRY_DELAYS[attempt], seq, event, attempt + 1)
                    )
            else:
                log.warning("event %s given up after %d retries", event_id, attempt)

    def open_home(self, user: str, tab: str = "home", *, team: str | None = None) -> None:
        """`user` opens Knowhow's App Home (its Home or Messages tab) in workspace `team`: an
        app_home_opened event there. What Knowhow publishes next for them is their Home there."""
        team = self.team_for(user, team)
        if tab not in ("home", "messages"):
            raise PlaygroundError("invalid_arguments")
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.dm_of(user),
            "tab": tab,
            "event_ts": self.store.next_ts(),
        }
        with self.lock:
            if tab == "home":
                self.home_team[user] = team
            if self.homes.get((user, team)):
                event["view"] = copy.deepcopy(self.homes[(user, team)])
        self._emit(event, team)
