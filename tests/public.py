"""Conversations the tests' questions live in, declared public: a search shows a question of a
conversation Knowhow does not know to be a public channel only from that conversation
(storage.channels), and core tests have no Slack to ask."""

from __future__ import annotations

import pytest

from storage import channels
from storage.db import session_scope


def make_public(engine, team_id: str, *channel_ids: str) -> None:
    with session_scope(engine) as session:
        for channel_id in channel_ids:
            channels.record(session, team_id=team_id, channel_id=channel_id, private=False)


def public_channels(teams: tuple[str, ...], *channel_ids: str):
    """An autouse fixture for a test module: these channels of these workspaces are public, in
    every test that uses a database."""

    @pytest.fixture(autouse=True)
    def _public(request):
        if "engine" in request.fixturenames:
            engine = request.getfixturevalue("engine")
            for team in teams:
                make_public(engine, team, *channel_ids)

    return _public
