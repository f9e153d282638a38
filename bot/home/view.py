"""The App Home as a person sees it now: their own picture (their rows in every workspace of the
organisation), read fresh, and the scoreboard (the organisation's, unless the workspace chose its
own: core.scoreboard), shared for a minute."""

from __future__ import annotations

import threading
import time
import weakref

from bot.home import blocks
from core import home, scoreboard
from core.clock import utcnow
from storage.db import session_scope

# The workspace's board is the same for everyone and costs a scan of the week's questions, while
# Homes are published on every app_home_opened and after every change: it is computed at most
# once a minute per workspace (each person's own picture is always read fresh).
BOARD_FOR = 60.0
_boards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_boards_lock = threading.Lock()


def _board(engine, session, team_id: str, threshold: int, now) -> scoreboard.Board:
    key, at = (team_id, threshold), time.monotonic()
    with _boards_lock:
        cached = _boards.setdefault(engine, {}).get(key)
    if cached and at - cached[0] < BOARD_FOR:
        return cached[1]
    board = scoreboard.live_board(session, team_id=team_id, now=now, threshold=threshold)
    with _boards_lock:
        _boards[engine][key] = (at, board)
    return board


def view(engine, settings, team_id: str, user_id: str) -> dict:
    now = utcnow()
    with session_scope(engine) as session:
        picture = home.picture(session, team_id=team_id, user_id=user_id, now=now)
        board = _board(engine, session, team_id, settings.privacy_threshold, now)
    return blocks.home(picture, board, settings.privacy_threshold)
