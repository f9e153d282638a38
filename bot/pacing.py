"""The outbox's posts, paced per channel: never faster than Slack allows, and one channel's wait
never holds up another.

Slack lets an app post about one message a second in a channel (short bursts tolerated) and
answers HTTP 429 with `Retry-After` beyond that. The worker keeps a token bucket per channel
(`Pacer`: `KNOWHOW_POST_RATE` posts a second, `KNOWHOW_POST_BURST` at once) and asks it before
every `chat.postMessage`.

Where the check lives: in the worker's Web API client (`PacedClient`), just before a post leaves,
so every sender is paced without declaring anything. A send may be told "not yet" (`NotYet`)
only while nothing it did has reached Slack, that is before its first successful call that is not
a read (`REPEATABLE`): the worker then runs the sender again later from the start, which repeats
only reads. Once a send has written something, its further posts are never refused: they take
their token even if it is not there yet (the bucket goes into debt and the channel's next rows
wait the longer), because a refusal would make the worker run the sender again and post its
first message twice. A sender must therefore not catch `NotYet`.

A refused row is put back in the queue (`storage.outbox.put_back`): it is not an attempt and can
never make the row fail. It is given its place in the channel's line, one token apart from the
rows refused before it, so a backlog of one channel comes back one row per token, in the order it
was queued, instead of all at once; the worker goes on with the other rows meanwhile. A row
already in the line that comes back a little early keeps its place at the front.

A 429 on a post blocks its channel until `Retry-After` for every row going there; the row that met
it is retried then (bot/outbox.py) ahead of the rest of the line. Other channels go on.

Not paced here: posts to a `response_url` (they do not go through the Web API client; Slack
limits them per URL, 5 in 30 minutes), and the other methods (Slack limits those per method and
workspace; their 429s are retried by the worker as before).

The buckets live in this process. Several processes each running a worker pace by their own
buckets, so together they may post in a channel faster than the rate; Slack's 429 then blocks the
channel in the process that met it, and its row is retried after `Retry-After`. Pacing across
processes would need the buckets in shared state (a row per channel in the database).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# The methods paced per channel: Slack's special limit is on chat.postMessage.
PACED = frozenset({"chat.postMessage"})
# Calls a send may repeat without anyone seeing it twice: reads, and joins that are idempotent.
# After any other successful call, the send is never told "not yet" again.
REPEATABLE = frozenset(
    {
        "auth.test",
        "bots.info",
        "chat.getPermalink",
        "conversations.history",
        "conversations.info",
        "conversations.join",
        "conversations.members",
        "conversations.open",
        "conversations.replies",
        "team.info",
        "usergroups.list",
        "usergroups.users.list",
        "users.info",
        "users.list",
        "users.lookupByEmail",
    }
)
# Rows remembered as waiting in a line; past this many the oldest are forgotten (they then queue
# again at the end of their line, which only costs them their place).
MAX_WAITING = 100_000


class NotYet(Exception):
    """No token for `channel` before `at`: put the row back until then (never a failure)."""

    def __init__(self, channel: str, at: datetime):
        super().__init__(f"pacing: {channel} has no token before {at.isoformat()}")
        self.channel = channel
        self.at = at


@dataclass
class _Channel:
    tat: float = 0.0  # when the bucket is full again (GCRA's theoretical arrival time)
    blocked_until: float = 0.0  # a 429's Retry-After
    line: float = 0.0  # the latest time given to a row waiting for this channel


class Pacer:
    """Token buckets per channel (GCRA), times in seconds. Pure bookkeeping: it never sleeps."""

    def __init__(self, rate: float, burst: int):
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.rate, self.burst = rate, burst
        self.interval = 1.0 / rate
        self._tolerance = (burst - 1) * self.interval
        self._channels: dict[str, _Channel] = {}
        self._waiting: dict[int, str] = {}  # row id -> the channel whose line it stands in
        self._lock = threading.Lock()

    def _ready(self, c: _Channel) -> float:
        return max(c.tat - self._tolerance, c.blocked_until)

    def admit(self, channel: str, row: int, now: float) -> float | None:
        """Take a token for `row`'s post in `channel`: None when it may go now, else the time to
        come back (its place in the channel's line, which it keeps until it goes)."""
        with self._lock:
            c = self._channels.setdefault(channel, _Channel())
            ready = self._ready(c)
            in_line = self._waiting.get(row) == channel
            # A row new to the line waits behind the rows already in it: queued order is kept.
            if now >= ready and (in_line or c.line <= now):
                c.tat = max(c.tat, now) + self.interval
                self._waiting.pop(row, None)
                return None
            if in_line:  # back early (the worker was late, or a 429 came): next at the front
                return max(ready, now)
            at = max(ready, c.line + self.interval, now)
            c.line = at
            self._wait(row, channel)
            return at

    def take(self, channel: str, now: float) -> None:
        """Take a token whether or not there is one (a post that cannot be refused)."""
        with self._lock:
            c = self._channels.setdefault(channel, _Channel())
            c.tat = max(c.tat, now) + self.interval

    def block(self, channel: str, row: int | None, until: float) -> None:
        """Slack answered 429: nothing goes to `channel` before `until`; `row` (the one that met it)
        comes back first."""
        with self._lock:
            c = self._channels.setdefault(channel, _Channel())
            c.blocked_until = max(c.blocked_until, until)
            c.line = max(c.line, until)
            if row is not None:
                self._wait(row, channel)

    def forget(self, row: int) -> None:
        with self._lock:
            self._waiting.pop(row, None)

    def _wait(self, row: int, channel: str) -> None:
        self._waiting.pop(row, None)
        self._waiting[row] = channel
        while len(self._waiting) > MAX_WAITING:
            self._waiting.pop(next(iter(self._waiting)))


class Pacing:
    """The worker's side of pacing: its `Pacer`, and what the send in progress has done."""

    def __init__(self, pacer: Pacer, clock: Callable[[], datetime]):
        self.pacer = pacer
        self.clock = clock
        self._row: int | None = None
        self._wrote = False

    def _now(self) -> float:
        return self.clock().timestamp()

    @contextmanager
    def sending(self, row: int) -> Iterator[None]:
        """One row's send: until it writes something, its first post in a channel may be refused."""
        self._row, self._wrote = row, False
        try:
            yield
        except NotYet:
            raise
        except SlackApiError as exc:
            if exc.response.status_code != 429:
                self.pacer.forget(row)
            raise
        except BaseException:
            self.pacer.forget(row)
            raise
        else:
            self.pacer.forget(row)
        finally:
            self._row, self._wrote = None, False

    def before(self, method: str, channel: str) -> None:
        if method not in PACED or not channel:
            return
        now = self._now()
        if self._row is None or self._wrote:
            self.pacer.take(channel, now)  # outside a send, or after a write: never refused
            return
        at = self.pacer.admit(channel, self._row, now)
        if at is not None:
            raise NotYet(channel, datetime.fromtimestamp(at, UTC))

    def after(self, method: str, channel: str, error: BaseException | None) -> None:
        if isinstance(error, SlackApiError):
            if error.response.status_code == 429 and method in PACED and channel:
                self.pacer.block(channel, self._row, self._now() + retry_after(error))
            return  # Slack refused: nothing was done
        if method not in REPEATABLE:
            # Done, or perhaps done (an answer lost on the way back): not to be refused from now on.
            self._wrote = True


def retry_after(error: SlackApiError, default: float = 30.0) -> float:
    """Slack's Retry-After in seconds (at least 1)."""
    headers = error.response.headers or {}
    try:
        return max(float(headers.get("Retry-After", headers.get("retry-after", default))), 1.0)
    except (TypeError, ValueError):
        return default


def _channel_of(*bodies: dict | None) -> str:
    for body in bodies:
        if body and isinstance(body.get("channel"), str):
            return body["channel"]
    return ""


class PacedClient(WebClient):
    """The worker's WebClient with the pacing check around each call (see the module's doc)."""

    pacing: Pacing

    def api_call(self, api_method: str, **kwargs):  # type: ignore[override]
        channel = _channel_of(kwargs.get("json"), kwargs.get("data"), kwargs.get("params"))
        self.pacing.before(api_method, channel)
        try:
            response = super().api_call(api_method, **kwargs)
        except BaseException as exc:
            self.pacing.after(api_method, channel, exc)
            raise
        self.pacing.after(api_method, channel, None)
        return response


def paced(client: WebClient, pacing: Pacing) -> PacedClient:
    """The same client (token, URL, timeout, retry handlers), its calls paced."""
    twin = PacedClient.__new__(PacedClient)
    twin.__dict__.update(vars(client))
    twin.pacing = pacing
    return twin
