"""Exactly once: an outbox row's posts are never seen twice, even when Slack's answer was lost.

A post can reach Slack without its answer reaching Knowhow (a timeout or a reset after Slack took
the request, a worker that died mid-send, a result that could not be recorded). The row is then
retried, and a plain retry would post again. So every post of a row carries a marker, and a retry
looks for it before it posts:

- `chat.postMessage`: the marker rides in the message's metadata (`event_payload`, beside any the
  sender gave); a retry reads the conversation from the row's first attempt on
  (`conversations.history` with `include_all_metadata`, or `conversations.replies` for a thread
  reply; a post to a person's id is looked for in their DM, which `conversations.open` names) and,
  when the marker is there, answers with that post as if Slack had just taken it. The marker is the
  row's id and the post's rank among the row's posts to that conversation, counted from the ones
  Slack took (a `not_in_channel` refusal before a join counts nothing), so a retry that goes the
  same way finds the same markers.
- `files_upload_v2` (the weekly picture): Slack keeps no metadata on a file's share, so the retry
  looks for a message of the conversation carrying a file of the same name: a sender names each
  row's file for what it shows (the week's picture names its week).

Edits (`chat.update`, `views.update`, `views.publish`) and reactions repeat harmlessly and are left
as they are. What goes to a `response_url` (ephemeral) cannot be looked for, nor is it kept.

A look-up that fails (a 429, Slack down, a timeout, an answer it does not know) says nothing
about the post: the row is retried (`LookupFailed`), never failed for it. Some answers end the
look-up instead: the conversation cannot hold the bot's post (the bot is not in it, it or the
person is gone: the post then gets Slack's answer for good); the installation lacks a history
scope that only reinstalling grants (the post goes out, as before this look-up existed: a
duplicate is possible there, never a loss; the log says which scope is missing); or the
installation is gone (the row is held with its workspace's, bot/outbox.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.installs import GONE_ERRORS
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

# The metadata a marked post carries when its sender gave none, and the marker's key in any.
EVENT_TYPE = "knowhow_post"
MARKER = "knowhow_outbox"
# Slack's clock and ours may differ: look a little before the first attempt.
SKEW = timedelta(minutes=5)
# A conversation busier than this since the first attempt is not read to its end.
MAX_PAGES = 10
# Nothing of the bot can be in the conversation (or there is none): nothing to find. The post
# itself then gets Slack's answer for good.
NOTHING_THERE = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "thread_not_found",
        "is_archived",
        "user_not_found",
        "user_not_visible",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
    }
)
# The installation may not read the conversation until it is installed again with the scope.
CANNOT_READ = frozenset({"missing_scope", "not_allowed_token_type", "no_permission"})


class LookupFailed(Exception):
    """Looking for an earlier attempt's post failed; its cause says why. Retry the row."""


def context(ctx, item: OutboxItem):
    """`ctx` (a bot.outbox.SendContext) with a client that marks and looks for `item`'s posts."""
    return replace(ctx, client=Once(ctx.client, item))


class Once:
    """A Web API client for one row's send: `chat_postMessage` and `files_upload_v2` are marked
    and looked for; every other method is the wrapped client's own."""

    def __init__(self, client: WebClient, item: OutboxItem):
        self._client = client
        self._item = item
        self._posted: Counter[tuple[str, str | None]] = Counter()  # posts Slack took, by conversation

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    @property
    def _retry(self) -> bool:
        return self._item.attempts > 1

    def chat_postMessage(self, *, channel: str, metadata: dict | None = None, **kwargs) -> SlackResponse:
        where = (channel, kwargs.get("thread_ts"))
        marker = f"{self._item.id}.{self._posted[where]}"
        if self._retry:
            found = self._find(channel, kwargs.get("thread_ts"), lambda m: _marker(m) == marker)
            if found is not None:
                self._posted[where] += 1
                return found
        metadata = metadata or {"event_type": EVENT_TYPE, "event_payload": {}}
        metadata = {**metadata, "event_payload": {**metadata.get("event_payload", {}), MARKER: marker}}
        response = self._client.chat_postMessage(channel=channel, metadata=metadata, **kwargs)
        self._posted[where] += 1
        return response

    def files_upload_v2(self, *, channel: str, filename: str, **kwargs) -> SlackResponse:
        if self._retry:
            found = self._find(
                channel, kwargs.get("thread_ts"), lambda m: any(f.get("name") == filename for f in m.get("files") or ())
            )
            if found is not None:
                return found
        return self._client.files_upload_v2(channel=channel, filename=filename, **kwargs)

    # -- the look-up -------------------------------------------------------------------------
    def _find(self, channel: str, thread_ts: str | None, mine: Callable[[dict], bool]) -> SlackResponse | None:
        """The earlier attempt's message in `channel` (its thread `thread_ts`), or None."""
        first = self._item.first_tried_at
        oldest = f"{(first - SKEW).timestamp():.6f}" if first is not None else "0"
        try:
            conversation = self._conversation(channel)
            cursor = None
            for _ in range(MAX_PAGES):
                args: dict[str, Any] = dict(channel=conversation, oldest=oldest, include_all_metadata=True, limit=200)
                if cursor:
                    args["cursor"] = cursor
                if thread_ts:
                    page = self._client.conversations_replies(ts=thread_ts, **args)
                else:
                    page = self._client.conversations_history(**args)
                for message in page.get("messages") or ():
                    if mine(message) and message.get("ts") != thread_ts:
                        log.info(
                            "outbox: %s #%s was in Slack already (%s)", self._item.kind, self._item.id, message["ts"]
                        )
                        return _answer(conversation, message)
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            error = data.get("error")
            if error in NOTHING_THERE:
                return None
            if error in CANNOT_READ:
                log.warning(
                    "outbox: %s #%s: cannot look in %s for an earlier attempt (%s %s); sending it: install "
                    "Knowhow again to grant it",
                    self._item.kind,
                    self._item.id,
                    channel,
                    error,
                    data.get("needed", ""),
                )
                return None
            if error in GONE_ERRORS:
                raise  # the installation is gone: the worker holds the row until it is back
            raise LookupFailed(f"looking for an earlier attempt in {channel}: {error or exc}") from exc
        except Exception as exc:
            raise LookupFailed(f"looking for an earlier attempt in {channel}: {type(exc).__name__}") from exc
        return None

    def _conversation(self, channel: str) -> str:
        """The conversation a post to `channel` lands in: a person's id means their DM with the bot."""
        if channel[:1] in ("U", "W"):
            return self._client.conversations_open(users=channel)["channel"]["id"]
        return channel


def _marker(message: dict) -> str | None:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get(MARKER)


def _answer(channel: str, message: dict) -> SlackResponse:
    """What Slack would have answered the post that is already there."""
    data = {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
    if message.get("files"):
        data["files"] = message["files"]
    return SlackResponse(client=None, http_verb="POST", api_url="", req_args={}, data=data, headers={}, status_code=200)
