"""The App Home's sender: publish a person's Home again (queued by `notify.home.queue_refresh`),
rendered as it stands when sent."""

from __future__ import annotations

from bot.home.view import view
from bot.outbox import Sender
from notify import kinds


class Refresh(Sender):
    def send(self, ctx, item):
        ctx.client.views_publish(
            user_id=item.payload["user_id"], view=view(ctx.engine, ctx.settings, item.team_id, item.payload["user_id"])
        )
        return None


SENDERS = {kinds.OUTBOX_HOME_REFRESH: Refresh()}
