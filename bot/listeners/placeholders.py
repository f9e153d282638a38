"""Commands and shortcuts the manifest declares before their features exist.

Without a listener Slack would show the person "dispatch_failed" after three seconds; instead
they hear at once, privately, that the feature is not in this version yet and what works now.
"""

from __future__ import annotations

from slack_bolt import App

from bot import ids

NOT_YET = {
    ids.MENTOR_COMMAND: "The Mentor Center",
}


def not_yet_message(feature: str, also: str = "") -> dict:
    return {
        "response_type": "ephemeral",
        "text": (
            f"{feature} is not available in this version of Knowhow yet. "
            "Meanwhile, `/ask <your question>` puts a question to your colleagues." + (f" {also}" if also else "")
        ),
    }


def register(app: App) -> None:
    for command, feature in NOT_YET.items():

        def handler(ack, feature=feature):
            ack(**not_yet_message(feature))

        app.command(command)(handler)
