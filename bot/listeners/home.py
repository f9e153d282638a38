"""The App Home tab: for now, what Knowhow is and how to use what works."""

from __future__ import annotations

from slack_bolt import App

from bot import blocks


def publish_home(event, client):
    if event.get("tab") != "home":
        return
    client.views_publish(user_id=event["user"], view=blocks.home_view())


def register(app: App) -> None:
    # Lazy: the event is acked at once and the Web API call runs after, so a slow or rate-limited
    # Slack never turns the ack into a failure (and a redelivery).
    app.event("app_home_opened")(ack=lambda: None, lazy=[publish_home])
