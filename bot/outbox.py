"""The outbox worker: drains `storage.outbox` into Slack, with retries.

One worker thread per process; several processes may run one each, since claims are atomic.
A sender knows how to deliver one kind of message. It returns a hook that records the result
(a Slack ts, a follow-up message) in the same transaction that marks the row sent.

Errors decide what happens next:
- HTTP 429: try again after Slack's `Retry-After`.
- HTTP 5xx, a network error, or a transient `ok: false` (`internal_error`, an auth problem an
  admin can fix): try again later with capped exponential backoff. Nothing is dropped for being late.
- An error that says the workspace's installation is gone (`bot.installs.GONE_ERRORS`), or no
  installation for the row's workspace: the row is held (`storage.workspaces.mark_gone`) with
  everything else that workspace queued, until it installs Knowhow again. Nothing of another
  workspace waits for it.
- Any other `ok: false`, or `PermanentError`: the row is marked failed and the sender's
  `failed` hook runs (it usually tells the person who asked, with their text).

Every post of a row carries the row's marker, and a retry looks for it before posting again
(bot/once.py): a post whose answer was lost is not repeated. A look-up that fails is retried.

Posts are paced per channel (bot/pacing.py): a row whose channel has no token yet is put back
until its turn, which is neither an attempt nor a failure, and the worker goes on with the rest.

Claims are short leases that the worker renews while it holds them (a heartbeat every fifth of
the lease), so a worker that dies leaves its rows to others within one lease (15 s); a worker on
the same machine that sees the holder's process gone (bot/liveness.py) frees them at once, when
it starts and then every few seconds. A worker whose renewals fail (its database is away) stops
taking rows of its batch before its lease could run out under a send, so no two workers send one row.
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
import urllib.error
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot import liveness, logs, once
from bot.config import Settings
from bot.installs import GONE_ERRORS, Clients, Installs, NotInstalled
from bot.pacing import NotYet, Pacer, Pacing, paced
from core.clock import utcnow
from storage import outbox, workspaces
from storage.db import session_scope
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

TRANSIENT_ERRORS = frozenset(
    {
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "ratelimited",
        "rate_limited",
        # A token that expired is refreshed (token rotation); a missing one is a passing mistake.
        "not_authed",
        "token_expired",
    }
)
MAX_BACKOFF = timedelta(minutes=10)
# A database error is retried this many times (about twenty minutes with the back-off), then the
# row fails for good and the person is told: a lock or a lost connection clears sooner than that.
MAX_DATABASE_ATTEMPTS = 10
# A look-up for an earlier attempt (bot/once.py) that Slack refuses with an answer a retry does not
# change (an error code it would fail a send for) is tried this many times, about a day with the
# back-off, then the row fails for good: an admin sees it and can retry it (`/expert outbox`).
# An outage (5xx, 429, the network) is retried as long as for any send.
MAX_LOOKUP_ATTEMPTS = 150
# A claim's lease; its holder renews it every fifth of it while it lives.
LEASE = timedelta(seconds=15)
# How often a worker looks for claims of dead processes on this machine (and once when it starts).
DEAD_CLAIMS_EVERY = timedelta(seconds=5)

Hook = Callable[[Session], None]


class PermanentError(Exception):
    """This message can never be delivered; say why in words a person understands. `error` is
    Slack's error code when Slack said so."""

    def __init__(self, reason: str, error: str | None = None):
        super().__init__(reason)
        self.error = error


class Retry(Exception):
    """Try again later (e.g. a response_url answered 5xx)."""

    def __init__(self, reason: str, after: timedelta | None = None):
        super().__init__(reason)
        self.after = after


@dataclass
class SendContext:
    client: WebClient
    engine: Engine
    settings: Settings = field(default_factory=Settings)


class Sender:
    """Delivers one kind of outbox message. `send` returns a hook that records the result in the
    transaction that marks the row sent (or None); `failed` runs once when the message can never
    be delivered: by default it is logged, and a sender that must tell someone overrides it."""

    def send(self, ctx: SendContext, item: OutboxItem) -> Hook | None:
        raise NotImplementedError

    def failed(self, session: Session, item: OutboxItem, reason: str) -> None:
        log.warning("outbox: %s %s failed for good: %s", item.kind, item.dedupe_key, reason)


class Work(Sender):
    """What a request implies, done after its ack (the ack path stores only the request, as a row
    of a work kind in `notify.kinds.WORK_KINDS`). `do` runs in the transaction that marks the row
    done, so its changes and what it queues happen exactly once; it calls no Slack (it queues
    what must be said). Raise `Retry` to come back later; a database that is away is retried;
    any other error fails the row for good and `failed` runs, to tell the person."""

    def send(self, ctx: SendContext, item: OutboxItem) -> Hook:
        return lambda session: self.do(ctx, session, item)

    def do(self, ctx: SendContext, session: Session, item: OutboxItem) -> None:
        raise NotImplementedError


def gone_error(exc: BaseException) -> str | None:
    """Slack's error when it says the workspace's installation is gone, else None."""
    if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict):
        error = exc.response.data.get("error")
        if error in GONE_ERRORS:
            return error
    return None


# The arguments of a Web API call that say whom it addresses, in the order they are looked for.
_ADDRESSES = ("channel", "users", "user")


def addressee(exc: BaseException) -> str | None:
    """The channel or person the Slack call that raised `exc` (or caused it) was addressed to, from
    the request slack-sdk kept with Slack's answer; None when no Slack call is behind it."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, SlackApiError):
            request = getattr(exc.response, "req_args", None) or {}
            for part in ("json", "data", "params"):
                args = request.get(part)
                if isinstance(args, dict):
                    for name in _ADDRESSES:
                        if args.get(name):
                            return str(args[name])
            return None
        exc = exc.__cause__ or exc.__context__
    return None


def backoff(attempts: int) -> timedelta:
    # The exponent is bounded: a row retried through a week-long outage has a thousand attempts,
    # and 2.0 ** 1024 is more than a float holds.
    base = min(2.0 * 2 ** min(max(attempts - 1, 0), 30), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def classify(exc: BaseException, attempts: int) -> tuple[str, timedelta | None, str]:
    """("retry", delay, reason) or ("fail", None, reason) for an exception raised while sending."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = response.status_code
        error = (response.data or {}).get("error") if isinstance(response.data, dict) else None
        if status == 429:
            try:
                after = float(response.headers.get("Retry-After", response.headers.get("retry-after", 30)))
            except (TypeError, ValueError):
                after = 30.0
            return "retry", timedelta(seconds=max(after, 1.0)), "rate limited (429)"
        if status >= 500:
            return "retry", backoff(attempts), f"Slack answered HTTP {status}"
        if error in TRANSIENT_ERRORS:
            return "retry", backoff(attempts), error
        return "fail", None, error or f"HTTP {status}"
    if isinstance(exc, Retry):
        return "retry", exc.after or backoff(attempts), str(exc)
    if isinstance(exc, once.LookupFailed):  # whether it went out is unknown: no reason to give up soon
        verdict, delay, _ = classify(exc.__cause__, attempts) if exc.__cause__ else (None, None, None)
        if verdict == "fail" and attempts >= MAX_LOOKUP_ATTEMPTS:
            return "fail", None, f"{exc} (refused {attempts} times: is a scope missing?)"
        return "retry", delay or backoff(attempts), str(exc)
    if isinstance(exc, PermanentError):
        return "fail", None, str(exc)
    if isinstance(exc, (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError)):
        return "retry", backoff(attempts), f"network: {exc}"
    if isinstance(exc, OperationalError):  # the database went away or was locked: it comes back
        reason = f"database: {str(exc.orig).splitlines()[0][:200] if exc.orig else type(exc).__name__}"
        if attempts >= MAX_DATABASE_ATTEMPTS:  # not coming back by itself (a bad query, a missing table)
            return "fail", None, reason
        return "retry", backoff(attempts), reason
    return "fail", None, f"internal error: {type(exc).__name__}"


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        senders: dict[str, Sender],
        *,
        poll_seconds: float = 5.0,
        # How long a claim lasts without renewal: a dead worker's rows wait at most this long (and
        # not at all when a worker on the same machine sees its process gone).
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] = utcnow,
        settings: Settings | None = None,
        kinds: Collection[str] | None = None,
        exclude: Collection[str] | None = None,
        name: str = "knowhow-outbox",
        on_done: Callable[[], None] = lambda: None,
        # Per-channel buckets (bot/pacing.py); workers of one process that post should share one.
        pacer: Pacer | None = None,
        # What wakes the worker (a `threading.Event`, or a `multiprocessing` one when the process
        # that queues is another: bot/workers.py).
        wake=None,
        # Called before each claim and each row: the workers let acks go first (bot/workers.py).
        before_each: Callable[[], None] = lambda: None,
        # Which token sends each row (bot/installs.py); None: `client`'s own token for every row.
        installs: Installs | None = None,
        # Told what became of each row tried: (kind, result), a result of bot.metrics.SEND_RESULTS.
        on_result: Callable[[str, str], None] = lambda kind, result: None,
    ):
        settings = settings or Settings()
        self.pacing = Pacing(pacer or Pacer(settings.post_rate, settings.post_burst), clock)
        if isinstance(client, WebClient):
            client = paced(client, self.pacing)
        self.ctx = SendContext(client=client, engine=engine, settings=settings)
        self.installs = installs
        self.clients = Clients(installs, client) if installs is not None else None
        self.engine = engine
        self.senders = senders
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.clock = clock
        # Which rows this worker drains: `kinds` only, or all but `exclude` (the work rows have
        # their own worker, so a slow Slack never holds up turning requests into work).
        self.kinds = frozenset(kinds) if kinds is not None else None
        self.exclude = frozenset(exclude or ())
        self.name = name
        # Called after a pass that handled rows (the work worker wakes the sending worker).
        self.on_done = on_done
        self.before_each = before_each
        self.on_result = on_result
        self._wake = wake if wake is not None else threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat: threading.Thread | None = None
        # The claims this worker holds and has not finished, and until when they surely last.
        self.claimant = liveness.claimant(name)
        self._holding: set[int] = set()
        self._holding_lock = threading.Lock()
        self._valid_until = datetime.min.replace(tzinfo=UTC)
        self._dead_looked_at: datetime | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()  # a worker stopped earlier can be started again
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._heartbeat = threading.Thread(target=self._renew, name=f"{self.name}-lease", daemon=True)
            self._thread.start()
            self._heartbeat.start()

    def ask_to_stop(self) -> None:
        """Take no new row; the row being sent is finished (see `stop`)."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop, waiting up to `timeout` for the row being sent. False when a send was still in
        flight then: it is abandoned, its claim left as it is, as after a kill -9 (the next worker
        frees the claims of a process that is gone and tries again; senders whose post Slack may
        already have look for it first)."""
        self.ask_to_stop()
        deadline = time.monotonic() + timeout
        stopped = True
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
            stopped = not self._thread.is_alive()
            self._thread = None
        if self._heartbeat is not None:
            self._heartbeat.join(max(0.0, deadline - time.monotonic()))
            self._heartbeat = None
        if not stopped:
            with self._holding_lock:
                held = len(self._holding)
            log.warning(
                "outbox: %s stops with a send still in flight (%d claimed rows left to the next start)",
                self.name,
                held,
            )
        return stopped

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    def _renew(self) -> None:
        """The heartbeat: keep this worker's claims while it holds them (a send may take longer
        than a lease: a few Slack calls, each with the client's timeout)."""
        every = self.lease.total_seconds() / 5
        while not self._stop.wait(every):
            with self._holding_lock:
                ids = set(self._holding)
            if not ids:
                continue
            now = self.clock()
            try:
                with session_scope(self.engine) as session:
                    outbox.renew(session, claimant=self.claimant, ids=ids, until=now + self.lease)
            except Exception as exc:
                log.warning("outbox: %s could not renew its claims: %s", self.name, exc)
                continue
            self._valid_until = now + self.lease

    def free_dead_claims(self) -> int:
        """Free the rows whose holder's process is gone from this machine. How many."""
        self._dead_looked_at = self.clock()
        with session_scope(self.engine) as session:
            dead = [holder for holder in outbox.claimants(session) if liveness.dead(holder)]
            freed = outbox.free_claims_of(session, claimants=dead, now=self.clock())
        if freed:
            log.warning("outbox: %d rows claimed by workers that are gone (%s) are due again", freed, ", ".join(dead))
        return freed

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._dead_looked_at is None or self.clock() - self._dead_looked_at >= DEAD_CLAIMS_EVERY:
                    self.free_dead_claims()
                sent = self.run_once()
            except Exception:  # the database went away: keep the thread, try again later
                log.exception("outbox: draining failed")
                sent = 0
            if sent:
                self.on_done()
            if sent == 0:
                self._wake.wait(self._idle_wait())
                self._wake.clear()

    def _idle_wait(self) -> float:
        try:
            with session_scope(self.engine) as session:
                due = outbox.next_due_at(session, kinds=self.kinds, exclude=self.exclude)
        except Exception:
            return self.poll_seconds
        if due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max((due - self.clock()).total_seconds(), 0.05))

    # -- one pass ----------------------------------------------------------
    def run_once(self) -> int:
        """Send what is due now. Returns how many rows were handled (sent, retried or failed)."""
        self.before_each()  # a claim is a write too
        now = self.clock()
        with session_scope(self.engine) as session:
            items = outbox.claim_due(
                session,
                now=now,
                lease=self.lease,
                kinds=self.kinds,
                exclude=self.exclude,
                claimant=self.claimant,
            )
        with self._holding_lock:
            self._holding.update(item.id for item in items)
            if items:
                self._valid_until = now + self.lease
        for n, item in enumerate(items):
            if self._stop.is_set():
                self._release(items[n:])
                break
            if self._valid_until - self.clock() < self.lease / 2:
                # Renewals fail: before the lease could run out under a send and another worker
                # take the row, this worker lets its batch go.
                log.warning("outbox: %s cannot renew its claims: %d rows go back", self.name, len(items) - n)
                self._release(items[n:])
                break
            self.before_each()
            try:
                self._deliver(item)
            finally:
                with self._holding_lock:
                    self._holding.discard(item.id)
        return len(items)

    def _release(self, items: list[OutboxItem]) -> None:
        """The rows claimed and not yet tried go back now (the worker stops, or cannot keep its
        claims), for this process's successor or another worker, instead of waiting out their
        lease (nothing of them reached Slack)."""
        with self._holding_lock:
            self._holding.difference_update(item.id for item in items)
        try:
            with session_scope(self.engine) as session:
                for item in items:
                    outbox.put_back(session, item=item, at=self.clock())
        except Exception:
            log.exception("outbox: %d claimed rows could not be put back; their lease will free them", len(items))

    def _context(self, item: OutboxItem) -> SendContext:
        """The send context for a row: the client with its workspace's token."""
        if self.clients is None:
            return self.ctx
        return SendContext(client=self.clients.for_team(item.team_id), engine=self.engine, settings=self.ctx.settings)

    def _hold(self, item: OutboxItem, reason: str, *, workspace_gone: bool = False) -> None:
        """The row's workspace has no installation: keep the row (and, when Slack just said the
        installation is gone, everything else the workspace queued) until it is back."""
        # Said once, when Slack says so; the workspace's other rows are held without a word each.
        (log.warning if workspace_gone else log.debug)(
            "outbox: %s #%s is held: workspace %s has no installation (%s)", item.kind, item.id, item.team_id, reason
        )
        with session_scope(self.engine) as session:
            outbox.hold(session, item=item, error=f"workspace not installed: {reason}")
            if workspace_gone:
                workspaces.mark_gone(session, team_ids=[item.team_id], reason=reason, now=self.clock())
        if self.installs is not None:
            self.installs.forget(item.team_id)

    def _deliver(self, item: OutboxItem) -> None:
        with logs.context(outbox_id=item.id, outbox_kind=item.kind, team=item.team_id):
            result = self._try(item)
        if result is not None:
            try:
                self.on_result(item.kind, result)
            except Exception:  # a count must never stop the worker
                log.exception("outbox: counting a send failed")

    def _try(self, item: OutboxItem) -> str | None:
        """Try one row: what became of it (bot.metrics.SEND_RESULTS), or None when it was not tried
        (put back for pacing)."""
        sender = self.senders.get(item.kind)
        if sender is None:
            with session_scope(self.engine) as session:
                outbox.mark_failed(session, item=item, error=f"no sender for kind {item.kind!r}", now=self.clock())
            log.error("outbox: no sender for kind %s (row %s)", item.kind, item.id)
            return "failed"
        work = isinstance(sender, Work)
        try:
            # A post of a send whose answer was lost is looked for before it is made again (bot/once.py).
            ctx = self.ctx if work else once.context(self._context(item), item)
            with self.pacing.sending(item.id):
                hook = sender.send(ctx, item)
            if work:  # its changes and the row's end in one transaction: done once
                with session_scope(self.engine) as session:
                    hook(session)
                    if not outbox.mark_sent(session, item=item, now=self.clock(), forget_payload=True):
                        session.rollback()  # another worker took the row over: it does the work
                        log.warning("outbox: %s #%s was taken over before it was done", item.kind, item.id)
                        return None  # counted by the worker that took it over
                return "ok"
        except NotInstalled as gone:
            self._hold(item, gone.reason)
            return "held"
        except NotYet as wait:
            log.debug("outbox: %s #%s waits for %s until %s", item.kind, item.id, wait.channel, wait.at)
            with session_scope(self.engine) as session:
                outbox.put_back(session, item=item, at=wait.at)
            return None
        except Exception as exc:
            if gone_error(exc):
                self._hold(item, gone_error(exc), workspace_gone=True)
                return "held"
            verdict, delay, reason = classify(exc, item.attempts)
            if verdict == "retry":
                log.warning("outbox: %s #%s will be retried in %s: %s", item.kind, item.id, delay, reason)
                with session_scope(self.engine) as session:
                    outbox.retry_later(session, item=item, at=self.clock() + delay, error=reason)
                rate_limited = isinstance(exc, SlackApiError) and exc.response.status_code == 429
                return "rate_limited" if rate_limited else "retried"
            else:
                if reason.startswith("internal error"):
                    log.exception("outbox: %s #%s failed", item.kind, item.id)
                else:
                    log.warning("outbox: %s #%s failed: %s", item.kind, item.id, reason)
                with session_scope(self.engine) as session:
                    failed = outbox.mark_failed(session, item=item, error=reason, to=addressee(exc), now=self.clock())
                    if failed:
                        sender.failed(session, item, reason)
                return "failed" if failed else None
        try:
            with session_scope(self.engine) as session:
                if hook is not None:
                    hook(session)  # hooks are idempotent: recording a result twice changes nothing
                if not outbox.mark_sent(session, item=item, now=self.clock()):
                    log.warning("outbox: %s #%s was sent after its claim was taken over", item.kind, item.id)
            return "ok"
        except Exception:
            # Delivered, but not recorded. A retry looks before it repeats a post (bot/once.py),
            # so the row goes back to the queue rather than waiting out its lease.
            log.exception("outbox: %s #%s was delivered but its result could not be recorded", item.kind, item.id)
            with session_scope(self.engine) as session:
                outbox.retry_later(
                    session, item=item, at=self.clock() + backoff(item.attempts), error="recording failed"
                )
            return "retried"
