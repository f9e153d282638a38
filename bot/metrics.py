"""`GET /metrics`: what an operator watches, in the Prometheus text format (prometheus_client).

Off by default; `KNOWHOW_METRICS=on` serves it on the HTTP front's port, beside `/healthz`. Each
Knowhow (each `bot.service.Knowhow`) has its own `CollectorRegistry`, never the library's global
one, so two apps in one process (the tests) do not share numbers.

What is measured, and where:
- `knowhow_ack_seconds{kind}`: from a Slack request's arrival at the front to its ack (HTTP mode:
  `bot.server.SlackFront`; Socket Mode: the handler in `bot.service`). `kind` is bounded: a known
  slash command, event type, action or callback id (`request_kind`), anything else "other".
- `knowhow_outbox_depth{kind,status}` and `knowhow_outbox_oldest_age_seconds{kind}`: read from the
  database at scrape time (`OutboxCollector`, one grouped query over the unsent rows). The database
  is shared, so every replica reports the same figures: aggregate them with max(), not sum().
- `knowhow_outbox_sends_total{kind,result}`: what the outbox worker did with each row it tried
  (`SEND_RESULTS`); the work rows (`work.*`) count as sends too ("ok" is done).
- `knowhow_scheduler_lag_seconds{transition}`: how late a session was opened or closed by the
  scheduler, against its start or end time (`scheduler.jobs.sessions`, through `scheduler.runtime`).
- `knowhow_stored_total{what}`: questions, answers, mentoring requests, mentorships started and
  answers accepted, counted when their transaction commits (`storage.tally`).

The outbox's workers run in a child process by default (bot/workers.py): what they count goes into
`Counts`, a few numbers in memory shared with the serving process, which exposes them. Each process
counts what it did: with several replicas, sum() the counters across them, nothing is counted twice.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from bot import ids
from notify import kinds
from storage import outbox, tally
from storage.db import session_scope

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
OTHER = "other"

# Request kinds: the slash commands, the events Knowhow subscribes to (manifest.yml) and the action
# and callback ids of bot/ids.py. Anything else is "other", so a label never takes a value from
# a payload that Knowhow does not know (label cardinality stays bounded).
EVENT_TYPES = frozenset(
    {"message", "app_home_opened", "app_uninstalled", "tokens_revoked", "user_change", "reaction_added", "app_mention"}
)
_IDS = frozenset(v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str))
COMMANDS = frozenset(v for v in _IDS if v.startswith("/"))
INTERACTION_IDS = tuple(sorted((v for v in _IDS if not v.startswith("/")), key=len, reverse=True))
INTERACTION_TYPES = {
    "block_actions": "action",
    "block_suggestion": "options",
    "view_submission": "view",
    "view_closed": "view_closed",
    "shortcut": "shortcut",
    "message_action": "shortcut",
}

# What became of a row the outbox worker tried.
SEND_RESULTS = (
    "ok",  # sent (or, for a work row, done)
    "retried",  # a 5xx, a network or database error, a transient error: back-off and again
    "rate_limited",  # Slack answered HTTP 429: again after its Retry-After
    "failed",  # failed for good: never retried, the person is told
    "held",  # the workspace's installation is gone: kept until it installs Knowhow again
)
OUTBOX_KINDS = tuple(sorted(v for k, v in vars(kinds).items() if k.isupper() and isinstance(v, str)))

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0)
LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


@functools.lru_cache(maxsize=1024)
def _interaction(prefix: str, key: str) -> str:
    # Longest known id first: "mentor_met_yes" is the "mentor_met" button.
    for known in INTERACTION_IDS:
        if key == known or key.startswith(known + "_"):
            return f"{prefix}:{known}"
    return OTHER


def request_kind(body: object) -> str:
    """A bounded label for a parsed Slack request: `command:/ask`, `event:message`,
    `action:ask_accept_open`, `view:ask_modal`, ...; "other" for anything Knowhow does not know."""
    if not isinstance(body, dict):
        return OTHER
    command = body.get("command")
    if isinstance(command, str):
        return f"command:{command}" if command in COMMANDS else OTHER
    kind = body.get("type")
    if kind == "event_callback":
        event_type = (body.get("event") or {}).get("type")
        return f"event:{event_type}" if event_type in EVENT_TYPES else OTHER
    prefix = INTERACTION_TYPES.get(kind) if isinstance(kind, str) else None
    if prefix is None:
        return OTHER
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        key = actions[0].get("action_id") if isinstance(actions[0], dict) else None
    elif kind == "block_suggestion":
        key = body.get("action_id")
    elif kind in ("view_submission", "view_closed"):
        key = (body.get("view") or {}).get("callback_id")
    else:
        key = body.get("callback_id")
    return _interaction(prefix, key) if isinstance(key, str) else OTHER


def _index(values: Iterable[str]) -> dict[str, int]:
    return {value: n for n, value in enumerate(values)}


class Counts:
    """Counters shared by the serving process and the workers' child process (a `multiprocessing`
    array, passed to the child when it starts). Fixed label values only: outbox kinds (and
    "other") by send result, and what is stored."""

    KIND = _index((*OUTBOX_KINDS, OTHER))
    RESULT = _index(SEND_RESULTS)
    WHAT = _index(tally.WHATS)

    def __init__(self, context=multiprocessing):
        self._sends = context.Array("d", len(self.KIND) * len(self.RESULT))
        self._stored = context.Array("d", len(self.WHAT))

    def sent(self, kind: str, result: str) -> None:
        i = self.KIND.get(kind, self.KIND[OTHER]) * len(self.RESULT) + self.RESULT[result]
        with self._sends.get_lock():
            self._sends[i] += 1

    def stored(self, what: str, n: int = 1) -> None:
        """A `storage.tally` observer."""
        with self._stored.get_lock():
            self._stored[self.WHAT[what]] += n

    def sends(self) -> dict[tuple[str, str], float]:
        with self._sends.get_lock():
            values = list(self._sends)
        width = len(self.RESULT)
        return {
            (kind, result): values[k * width + r] for kind, k in self.KIND.items() for result, r in self.RESULT.items()
        }

    def stored_counts(self) -> dict[str, float]:
        with self._stored.get_lock():
            values = list(self._stored)
        return {what: values[i] for what, i in self.WHAT.items()}


class CountsCollector(Collector):
    def __init__(self, counts: Counts):
        self.counts = counts

    def collect(self):
        sends = CounterMetricFamily(
            "knowhow_outbox_sends",
            "Outbox rows tried, by kind and result: ok, retried, rate_limited (HTTP 429), failed (for good), held.",
            labels=["kind", "result"],
        )
        # Every kind and result from the start, at 0: a rate() sees the first one that happens.
        for (kind, result), value in self.counts.sends().items():
            sends.add_metric([kind, result], value)
        yield sends
        stored = CounterMetricFamily(
            "knowhow_stored",
            "Questions, answers, mentoring requests, mentorships started and answers accepted, as committed.",
            labels=["what"],
        )
        for what, value in self.counts.stored_counts().items():
            stored.add_metric([what], value)
        yield stored


class OutboxCollector(Collector):
    """The outbox's depth and oldest age by kind, read from the database at scrape time."""

    def __init__(self, engine: Engine, clock=lambda: datetime.now(UTC)):
        self.engine = engine
        self.clock = clock

    def collect(self):
        up = GaugeMetricFamily("knowhow_outbox_query_ok", "1 when the outbox could be read at this scrape, else 0.")
        depth = GaugeMetricFamily(
            "knowhow_outbox_depth",
            "Outbox rows not done, by kind and status (pending, sending, held). The same on every replica.",
            labels=["kind", "status"],
        )
        age = GaugeMetricFamily(
            "knowhow_outbox_oldest_age_seconds",
            "Age of the oldest outbox row pending or being sent, by kind. The same on every replica.",
            labels=["kind"],
        )
        try:
            with session_scope(self.engine) as session:
                rows = outbox.backlog(session)
        except Exception as exc:  # the database is away: say so, and let the rest of the scrape through
            log.warning("metrics: the outbox could not be read: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        now = self.clock()
        counts: Counter[tuple[str, str]] = Counter()
        oldest: dict[str, datetime] = {}
        known = frozenset(OUTBOX_KINDS)
        for row in rows:
            kind = row.kind if row.kind in known else OTHER
            counts[kind, row.status] += row.count
            if row.status != outbox.HELD:
                oldest[kind] = min(oldest.get(kind, row.oldest), row.oldest)
        for (kind, status), n in sorted(counts.items()):
            depth.add_metric([kind, status], n)
        for kind, when in sorted(oldest.items()):
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            age.add_metric([kind], max((now - when).total_seconds(), 0.0))
        up.add_metric([], 1)
        yield up
        yield depth
        yield age


class Metrics:
    """One Knowhow's metrics: its registry, the histograms its serving process observes, the
    shared counts, and the outbox read at scrape time."""

    def __init__(self, engine: Engine, counts: Counts | None = None):
        self.counts = counts or Counts()
        self.registry = CollectorRegistry()
        self.ack = Histogram(
            "knowhow_ack_seconds",
            "Time from a Slack request's arrival to its ack, by request kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.scheduler_lag = Histogram(
            "knowhow_scheduler_lag_seconds",
            "How late the scheduler opened or closed a session, against its start or end time.",
            ["transition"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(CountsCollector(self.counts))
        self.registry.register(OutboxCollector(engine))

    def acked(self, body: object, seconds: float) -> None:
        self.ack.labels(request_kind(body)).observe(seconds)

    def lagged(self, transition: str, seconds: float) -> None:
        self.scheduler_lag.labels(transition).observe(max(seconds, 0.0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
