"""The App Home tab: the person's own picture and the workspace's scoreboard, published on
`app_home_opened` and again (through the outbox) when something in it changes."""

from __future__ import annotations

import logging
import threading
import time
import uuid
import weakref

from slack_bolt import App
from sqlmodel import Session

from bot import blocks, ids
from bot import home_blocks as hb
from bot.deps import Deps
from bot.listeners.ask import team_of
from core import home, scoreboard
from core.clock import utcnow
from notify import kinds
from storage import outbox
from storage.db import session_scope

log = logging.getLogger(__name__)


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
    return hb.home(picture, board, settings.privacy_threshold)


def queue_refresh(session: Session, team_id: str, *users: str) -> None:
    """Something a person's Home shows changed: publish it again. The Home is rendered when it is
    sent, so a refresh still waiting in the outbox covers this change too (a burst of changes
    publishes once)."""
    for user in dict.fromkeys(u for u in users if u):
        if outbox.waiting(session, team_id=team_id, dedupe_prefix=f"home:{user}:"):
            continue
        outbox.enqueue(
            session,
            team_id=team_id,
            dedupe_key=f"home:{user}:{uuid.uuid4().hex}",
            kind=kinds.OUTBOX_HOME_REFRESH,
            payload={"user_id": user},
        )


class Refresh:
    def send(self, ctx, item):
        ctx.client.views_publish(
            user_id=item.payload["user_id"], view=view(ctx.engine, ctx.settings, item.team_id, item.payload["user_id"])
        )
        return None

    def failed(self, session, item, reason):
        log.warning("App Home for %s could not be published: %s", item.payload.get("user_id"), reason)


SENDERS = {kinds.OUTBOX_HOME_REFRESH: Refresh()}


def register(app: App, deps: Deps) -> None:
    def publish(event, client, context, body):
        if event.get("tab") != "home":
            return
        client.views_publish(
            user_id=event["user"], view=view(deps.engine, deps.settings, team_of(context, body), event["user"])
        )

    # Lazy: the event is acked at once and the Web API call runs after, so a slow or rate-limited
    # Slack never turns the ack into a failure (and a redelivery).
    app.event("app_home_opened")(ack=lambda: None, lazy=[publish])

    @app.action(ids.HOME_ASK)
    def ask_form(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=blocks.ask_modal(channel_id=None))
