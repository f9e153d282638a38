"""Stored text is Slack mrkdwn, as Slack sends messages and slash commands: `&`, `<` and `>`
are entities, so what a person typed is never read as a link or a mention. Text that arrives
unescaped (form values, imported files) is escaped with `escape` before it is stored."""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What the person typed, from escaped text (for names compared as plain text)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
