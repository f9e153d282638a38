"""The App Home tab: for now, what Knowhow is and how to use what works."""

from __future__ import annotations

from slack_bolt import App

from bot import blocks


def register(app: App) -> None:
    @app.event("app_home_opened")
    def publish_home(event, client):
        if event.get("tab") != "home":
            return
        client.views_publish(user_id=event["user"], view=blocks.home_view())
