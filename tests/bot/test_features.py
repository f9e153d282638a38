"""How features plug into the Slack edge: every outbox kind has exactly one sender."""

from __future__ import annotations

import types

import pytest

from bot.app import FEATURES, senders
from bot.outbox import Sender
from notify import kinds


def test_every_outbox_kind_has_one_sender():
    assert set(senders()) == {
        value for name, value in vars(kinds).items() if name.startswith(("OUTBOX_", "WORK_")) and name != "WORK_KINDS"
    }


def test_two_senders_for_one_kind_are_refused_at_start_up():
    twin = types.SimpleNamespace(__name__="bot.twin", SENDERS={kinds.OUTBOX_HOME_REFRESH: Sender()})
    with pytest.raises(ValueError, match=r"two senders for the outbox kind 'home\.refresh'"):
        senders((*FEATURES, twin))
