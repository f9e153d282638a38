"""The one refusal the workspace raises to the page."""

from __future__ import annotations


class PlaygroundError(Exception):
    """A refusal with Slack's error code (the page API answers `{"ok": false, "error": code}`)."""

    def __init__(self, error: str, status: int = 400):
        super().__init__(error)
        self.error = error
        self.status = status
