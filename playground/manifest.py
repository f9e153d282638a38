"""What the playground reads from Knowhow's Slack app manifest: the slash commands (and whether Slack
escapes their text), the message shortcuts, and the bot events Slack would deliver."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The repository's manifest.yml when the playground runs from a checkout (`make run`); installed
# from a wheel, the copy shipped in the package (tests/playground keeps the two identical).
REPOSITORY_MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
PACKAGED_MANIFEST = Path(__file__).resolve().parent / "manifest.yml"
MANIFEST = REPOSITORY_MANIFEST if REPOSITORY_MANIFEST.is_file() else PACKAGED_MANIFEST


@dataclass(frozen=True)
class Manifest:
    commands: list[dict[str, Any]] = field(default_factory=list)
    shortcuts: list[dict[str, Any]] = field(default_factory=list)
    bot_events: frozenset[str] = frozenset()

    def command(self, name: str) -> dict[str, Any] | None:
        """The command `name` is, in any case (Slack's client takes /ASK as /ask)."""
        return next((c for c in self.commands if c["command"].lower() == name.lower()), None)


def load(path: str | Path | None = None) -> Manifest:
    import yaml

    data = yaml.safe_load(Path(path or MANIFEST).read_text(encoding="utf-8")) or {}
    features = data.get("features") or {}
    commands = [
        {
            "command": c["command"],
            "description": c.get("description", ""),
            "usage_hint": c.get("usage_hint", ""),
            "should_escape": bool(c.get("should_escape", False)),
        }
        for c in features.get("slash_commands") or []
    ]
    shortcuts = [
        {"callback_id": s["callback_id"], "name": s["name"], "description": s.get("description", "")}
        for s in features.get("shortcuts") or []
        if s.get("type") == "message"
    ]
    events = ((data.get("settings") or {}).get("event_subscriptions") or {}).get("bot_events") or []
    return Manifest(commands=commands, shortcuts=shortcuts, bot_events=frozenset(events))
