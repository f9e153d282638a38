"""What a request may wait on Slack for before it is answered.

Slack shows the person an error when a request is not answered within 3 seconds, and their retry
then makes a duplicate. Knowhow answers once its listener returns (`process_before_response`), so
every Web API call a listener makes is before the answer. Each is bounded here:

- `AckBudget.client(client)`: the request's client on a budget. Its Web API calls together give up
  after `ACK_SECONDS` (and never retry), raising `SlackSlow`. It is used for what must happen
  before the answer (`views.open` with a `trigger_id`, which expires with the 3 seconds) and for a
  lookup the answer depends on (is this person an admin?) while Slack answers quickly.
- Slots: at most `SLOTS` requests wait on Slack at once. A request that finds them all taken does
  not wait for one: its first Web API call raises `SlackSlow` at once. So the requests that need
  no Slack (a plain `/ask`, events) never queue behind those waiting on it.
- `after_ack`: what can wait runs after the answer, on Bolt's listener executor (where its lazy
  listeners run), with the request's own client; a command then answers through its
  response_url (`answer`).
- `Memory`: what Slack said lately (who is an admin), so the next request need not ask.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.blockkit import private
from bot.memory import Memory

log = logging.getLogger(__name__)

# The most a request waits on Slack in all: the answer still goes well within Slack's 3 seconds.
ACK_SECONDS = 2.0
# A lookup that must leave time for a modal to open after it (users.info before views.open).
LOOKUP_SECONDS = 1.0
# Requests that may wait on Slack at once: half the HTTP front's threads (bot/server.py, 16) and
# of Socket Mode's (bot/service.py).
SLOTS = 8
# How long what Slack said about a person (an admin or not) is trusted.
MEMORY_SECONDS = 300.0
# Below this, a call is not worth starting.
_MIN_CALL_SECONDS = 0.05

SLOW_TEXT = "Slack is slow to answer just now, so this takes a moment: I'll tell you here when it's done."
# A form only admins may open, when Slack did not say in time whether the person is one.
SLOW_ADMIN_FORM = (
    "Slack is slow to answer just now, so the form could not open. Please run `{command}` again in a moment."
)
# A form only admins may submit, when Slack did not say in time whether the person is one.
SLOW_ADMIN_SUBMIT = "Slack is slow to confirm that you are an admin just now. Please submit again in a moment."
SORRY_TEXT = "Sorry, that could not be done just now. Please try again in a minute."


class SlackSlow(Exception):
    """Slack did not answer in the time the request can afford (or every slot was taken)."""


class _Request:
    """One request's budget: its deadline, and the slot it holds once it calls Slack."""

    def __init__(self, slots: threading.BoundedSemaphore, deadline: float):
        self.slots = slots
        self.deadline = deadline
        self.holding = False

    def take_slot(self, method: str) -> None:
        if not self.holding:
            if not self.slots.acquire(blocking=False):
                raise SlackSlow(f"{method}: every slot for waiting on Slack is taken")
            self.holding = True

    def release(self) -> None:
        if self.holding:
            self.holding = False
            self.slots.release()


class BudgetedClient(WebClient):
    """The request's client, its calls within the request's budget (see the module's docstring)."""

    def __init__(self, base: WebClient, request: _Request):
        super().__init__(
            token=base.token,
            base_url=base.base_url,
            timeout=ACK_SECONDS,
            ssl=base.ssl,
            proxy=base.proxy,
            headers=dict(base.headers),
            logger=base.logger,
            retry_handlers=[],  # a retry would spend the budget twice
        )
        self.default_params = dict(base.default_params)  # the team_id Bolt set, if any
        self._request = request
        self._cap: float | None = None

    @contextmanager
    def at_most(self, seconds: float) -> Iterator[BudgetedClient]:
        """Calls within the block give up after `seconds` (or the request's deadline, if sooner)."""
        cap, self._cap = self._cap, time.monotonic() + seconds
        try:
            yield self
        finally:
            self._cap = cap

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        deadline = self._request.deadline if self._cap is None else min(self._cap, self._request.deadline)
        left = deadline - time.monotonic()
        if left < _MIN_CALL_SECONDS:
            raise SlackSlow(f"{api_method}: no time left before the answer")
        self._request.take_slot(api_method)
        self.timeout = left
        try:
            return super().api_call(api_method, **kwargs)
        except (OSError, http.client.HTTPException) as exc:  # timed out, refused, reset (URLError is an OSError)
            raise SlackSlow(f"{api_method}: {exc}") from exc


def briefly(client: WebClient, seconds: float = LOOKUP_SECONDS):
    """Around a lookup that must leave the rest of the budget to what follows (a modal to open):
    on a budgeted client, its calls give up after `seconds`; on any other, nothing changes."""
    return client.at_most(seconds) if isinstance(client, BudgetedClient) else nullcontext(client)


class AckBudget:
    """This process's slots for requests waiting on Slack, and its memory of what Slack said."""

    def __init__(self, slots: int = SLOTS, seconds: float = ACK_SECONDS):
        self.seconds = seconds
        self._slots = threading.BoundedSemaphore(slots)
        self.memory = Memory(MEMORY_SECONDS)

    @contextmanager
    def client(self, client: WebClient) -> Iterator[BudgetedClient]:
        """`client` on this request's budget, which starts now; its slot is given back on leaving."""
        request = _Request(self._slots, time.monotonic() + self.seconds)
        try:
            yield BudgetedClient(client, request)
        finally:
            request.release()


def after_ack(context: BoltContext, work: Callable[[], None]) -> None:
    """Run `work` after the answer, on Bolt's listener executor (where lazy listeners run); a
    failure is logged (`work` tells the person itself)."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("work after the ack failed")

    context.listener_runner.listener_executor.submit(run)


def answer(
    budget: AckBudget,
    ack: Ack,
    respond,
    context: BoltContext,
    client: WebClient,
    compute: Callable[[WebClient], dict],
) -> None:
    """Ack with `compute(client)`, the person's answer, its Slack calls within the budget. When
    Slack is slow, ack saying so, and run `compute` again after the ack with Slack's own time,
    its answer replacing that note through the command's response_url. (`compute` must be safe to
    run again after it raised `SlackSlow`: it may change nothing before its Slack calls.)"""
    try:
        with budget.client(client) as quick:
            message = compute(quick)
    except SlackSlow as exc:
        log.info("Slack is slow (%s): answering after the ack", exc)
        ack(**private(SLOW_TEXT))

        def later() -> None:
            try:
                done = compute(client)
            except Exception:
                log.exception("a command finished after its ack failed")
                done = private(SORRY_TEXT)
            respond(replace_original=True, **done)

        after_ack(context, later)
        return
    ack(**message)
