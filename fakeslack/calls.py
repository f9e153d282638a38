"""What the app asked Slack to do: each request recorded as a `Call`, and `block_text` to read
blocks as a person would."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


def block_text(blocks) -> str:
    """Every text in `blocks` (or any part of a message or view), joined: what a reader would see."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks or [])
    return "\n".join(out)


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)
    # The URL path called ("/response/choose" tells response_url calls apart).
    path: str = ""

    @property
    def token(self) -> str | None:
        """The token the call was made with (its `Authorization: Bearer`), None without one."""
        header = self.headers.get("authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else None

    @property
    def text(self) -> str:
        return self.args.get("text") or ""

    def block_text(self) -> str:
        """Every text in the call's blocks (or its view's), joined: what a reader would see."""
        view = self.args.get("view")
        return block_text(self.args.get("blocks") or (view.get("blocks") if isinstance(view, dict) else None))
