"""The one clock: it can be moved on (tests, the playground's tests), never back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock


def test_the_clock_moves_on_and_never_back(monkeypatch):
    monkeypatch.setattr(clock, "_offset", clock._offset)  # put back after the test
    before = clock.utcnow()
    clock.advance(timedelta(hours=1))
    assert timedelta(hours=1) <= clock.utcnow() - before < timedelta(hours=1, minutes=1)
    with pytest.raises(ValueError, match="only moves on"):
        clock.advance(timedelta(seconds=-1))
