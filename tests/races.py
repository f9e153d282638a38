"""Run units of work at the same moment, each in its own transaction, to provoke races."""

from __future__ import annotations

import threading

from storage.db import session_scope


def race(engine, *actions) -> None:
    """Start every `action(session)` together on its own thread; fail if any raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action):
        barrier.wait()
        try:
            with session_scope(engine) as session:
                action(session)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
