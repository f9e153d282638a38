"""The App Home as a person sees it now: their own picture (their rows in every workspace of the
organisation) and the scoreboard (the organisation's, unless the workspace chose its own:
core.scoreboard), both read in one session as they stand when the Home is published, so the Home
agrees with itself and with `/mentor scoreboard`. (A shared, minute-old board made a Home count
a person's new question in "Your questions" but not "Across the workspace". The board's
aggregates cost about 10 to 60 ms at 1,000 to 10,000 questions a week, off the ack path.)"""

from __future__ import annotations

from bot.home import blocks
from core import home, scoreboard
from core.clock import utcnow
from storage.db import session_scope


def view(engine, settings, team_id: str, user_id: str) -> dict:
    now = utcnow()
    with session_scope(engine) as session:
        picture = home.picture(session, team_id=team_id, user_id=user_id, now=now)
        board = scoreboard.live_board(session, team_id=team_id, now=now, threshold=settings.privacy_threshold)
    return blocks.home(picture, board, settings.privacy_threshold)
