"""What was stored, counted once its transaction commits: the operator's question, answer and
mentoring counters (bot/metrics.py exposes them when metrics are on).

The code that stores a question, an answer, a mentoring request, a started mentorship or an
accepted answer says so with `stored(session, what)`; the count goes to the observer bound to the
session's engine (`observe`) when the transaction commits, and is dropped when it rolls back. No
observer (metrics off): nothing is kept beyond the transaction's own small tally.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

QUESTION, ANSWER, ACCEPTED_ANSWER = "question", "answer", "accepted_answer"
MENTOR_REQUEST, MENTORSHIP = "mentor_request", "mentorship"
WHATS = (QUESTION, ANSWER, ACCEPTED_ANSWER, MENTOR_REQUEST, MENTORSHIP)

Observer = Callable[[str, int], None]
_KEY = "knowhow_tally"
_observers: weakref.WeakKeyDictionary[Engine, Observer] = weakref.WeakKeyDictionary()
_listening = threading.Lock()


def observe(engine: Engine, observer: Observer | None) -> None:
    """Call `observer(what, n)` for what sessions on `engine` store and commit (None: stop)."""
    with _listening:
        if observer is None:
            _observers.pop(engine, None)
            return
        if not event.contains(Session, "after_commit", _after_commit):
            event.listen(Session, "after_commit", _after_commit)
            event.listen(Session, "after_rollback", _after_rollback)
        _observers[engine] = observer


def stored(session: Session, what: str, n: int = 1) -> None:
    """`n` of `what` were stored in this session's transaction."""
    if _observers and session.get_bind() in _observers:
        session.info.setdefault(_KEY, Counter())[what] += n


def _after_commit(session: Session) -> None:
    tally = session.info.pop(_KEY, None)
    observer = _observers.get(session.get_bind()) if tally else None
    if observer is not None:
        for what, n in tally.items():
            observer(what, n)


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
