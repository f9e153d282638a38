"""Block Kit's field rules (a string of at most N characters, a text object, a list, an object of
a known type...) and the walker that checks an object against its `Spec`. The specs themselves are
in fakeslack/block_specs.py, which fills `SPECS`; fakeslack/blocks.py says what Slack refuses."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

MESSAGE, MODAL, HOME = "message", "modal", "home"
MAX_BLOCKS = {MESSAGE: 50, MODAL: 100, HOME: 100}

PLAIN = ("plain_text",)
TEXT = ("plain_text", "mrkdwn")

# -- field rules: each checks one value and yields (message, pointer) ---------------------------

Problems = Iterator[tuple[str, str]]


@dataclass(frozen=True)
class Str:
    max: int
    min: int = 1
    pattern: str | None = None

    def check(self, value, ptr, ctx) -> Problems:
        if not isinstance(value, str):
            yield "must be a string", ptr
        elif len(value) > self.max:
            yield f"must be less than {self.max + 1} characters", ptr
        elif len(value) < self.min:
            yield f"must be more than {self.min - 1} characters", ptr
        elif self.pattern and not re.fullmatch(self.pattern, value):
            yield "does not match the required format", ptr


@dataclass(frozen=True)
class Int:
    min: int | None = None
    max: int | None = None

    def check(self, value, ptr, ctx) -> Problems:
        if isinstance(value, bool) or not isinstance(value, int):
            yield "must be an integer", ptr
        elif (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            yield f"must be between {self.min} and {self.max}", ptr


@dataclass(frozen=True)
class Bool:
    def check(self, value, ptr, ctx) -> Problems:
        if not isinstance(value, bool):
            yield "must be a boolean", ptr


@dataclass(frozen=True)
class Enum:
    values: tuple

    def check(self, value, ptr, ctx) -> Problems:
        if value not in self.values:
            yield "must be a valid enum value", ptr


@dataclass(frozen=True)
class Anything:
    def check(self, value, ptr, ctx) -> Problems:
        return iter(())


@dataclass(frozen=True)
class Text:
    """A text object: `types` it may be, at most `max` characters."""

    max: int
    types: tuple = TEXT

    def check(self, value, ptr, ctx) -> Problems:
        if not isinstance(value, dict):
            yield "must provide an object", ptr
            return
        if value.get("type") not in self.types:
            yield "must be a valid enum value", ptr + "/type"
            return
        yield from check_object(SPECS[value["type"]], value, ptr, ctx)
        text = value.get("text")
        if isinstance(text, str) and self.max < len(text) <= 3000:  # past 3000 the object's own rule spoke
            yield f"must be less than {self.max + 1} characters", ptr + "/text"


@dataclass(frozen=True)
class Obj:
    """One object whose `type` is among `kinds` (a block element, an image...), or of the fixed
    composition `spec` (option, confirm...) when it has no type."""

    kinds: tuple = ()
    spec: str | None = None

    def check(self, value, ptr, ctx) -> Problems:
        if not isinstance(value, dict):
            yield "must provide an object", ptr
            return
        if self.spec:
            yield from check_object(SPECS[self.spec], value, ptr, ctx)
        elif value.get("type") not in self.kinds:
            yield f"unsupported type: {value.get('type')}", ptr + "/type"
        else:
            # An image is a block at the top level and an element inside one: two entries.
            kind = "image#element" if value["type"] == "image" else value["type"]
            yield from check_object(SPECS[kind], value, ptr, ctx)


@dataclass(frozen=True)
class List:
    item: Any
    max: int
    min: int = 1

    def check(self, value, ptr, ctx) -> Problems:
        if not isinstance(value, list):
            yield "must provide an array", ptr
            return
        if len(value) > self.max:
            yield f"no more than {self.max} items allowed", ptr
        elif len(value) < self.min:
            yield f"must provide at least {self.min} items", ptr
        for n, item in enumerate(value):
            yield from self.item.check(item, f"{ptr}/{n}", ctx)


@dataclass(frozen=True)
class ActionId:
    """An action_id: at most 255 characters, unique among the action_ids of its block."""

    def check(self, value, ptr, ctx) -> Problems:
        yield from Str(255).check(value, ptr, ctx)
        if value in ctx["action_ids"]:
            yield f"duplicate action_id: {value}", ptr
        ctx["action_ids"].add(value)


@dataclass(frozen=True)
class BlockId:
    """A block_id: at most 255 characters, unique within the message or view."""

    def check(self, value, ptr, ctx) -> Problems:
        yield from Str(255).check(value, ptr, ctx)
        if value in ctx["block_ids"]:
            yield f"duplicate block_id: {value}", ptr
        ctx["block_ids"].add(value)


@dataclass(frozen=True)
class Spec:
    fields: dict[str, Any]
    required: tuple = ()
    # Block types only: the surfaces that take it.
    surfaces: tuple = (MESSAGE, MODAL, HOME)
    # Rules that look at several fields at once: fn(obj) -> [(message, relative pointer)].
    extra: tuple[Callable[[dict], list[tuple[str, str]]], ...] = ()


# Every block, element and composition object's Spec, by type (filled by fakeslack/block_specs.py).
SPECS: dict[str, Spec] = {}


def check_object(spec: Spec, obj: dict, ptr: str, ctx) -> Problems:
    missing = [name for name in spec.required if obj.get(name) in (None, "", [], {})]
    for name in missing:
        yield f"missing required field: {name}", ptr
    for name, value in obj.items():
        rule = spec.fields.get(name)
        if rule is None:
            yield f"invalid additional property: {name}", ptr
        elif value is not None and name not in missing:
            yield from rule.check(value, f"{ptr}/{name}", ctx)
    for rule in spec.extra:
        for message, where in rule(obj):
            yield message, ptr + where


# -- markup where Slack shows text as it is ------------------------------------------------------
# Slack renders none of mrkdwn in a plain_text object (labels, options, placeholders, headers, a
# view's title), in a modal's `response_action: errors` and in a notification (a message's `text`
# beside its blocks): backticks, *bold*, _italic_, ~strike~, <links|…> and <@mentions> show as
# typed. Slack takes them all the same, so this is no refusal: the tests fail on it (the edge
# fixtures). Emoji shortcodes are shown as emoji only in a plain_text object with `emoji: true`.

_MARKUP = (
    ("a backtick", re.compile(r"`")),
    ("*bold*", re.compile(r"(?<![\w*])\*[^*\s](?:[^*\n]*[^*\s])?\*(?![\w*])")),
    ("_italic_", re.compile(r"(?<![\w_])_[^_\s](?:[^_\n]*[^_\s])?_(?![\w_])")),
    ("~strike~", re.compile(r"(?<![\w~])~[^~\s](?:[^~\n]*[^~\s])?~(?![\w~])")),
    ("a link or mention", re.compile(r"<(?:[@#!]|https?://|mailto:)[^<>]*>")),
    ("an emoji shortcode", re.compile(r"(?<![\w:]):[a-z0-9_+'-]*[a-z][a-z0-9_+'-]*:(?![\w:])")),
)
# In a notification Slack shows mentions, links and emoji; the rest of mrkdwn as typed.
_NOTIFICATION = ("a backtick", "*bold*", "_italic_", "~strike~")
_IN_EMOJI_TEXT = tuple(name for name, _ in _MARKUP if name != "an emoji shortcode")


def markup_in(text: str, kinds: tuple[str, ...] | None = None) -> list[str]:
    """Which kinds of mrkdwn `text` holds (of `kinds`, every kind by default)."""
    return [name for name, pattern in _MARKUP if (kinds is None or name in kinds) and pattern.search(text)]


def markup_in_plain_text(node, ptr: str = "") -> Problems:
    """Every plain_text object in `node` (a message, a view, an options answer) whose text holds mrkdwn."""
    if isinstance(node, dict):
        if node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            kinds = _IN_EMOJI_TEXT if node.get("emoji") is True else None
            for kind in markup_in(node["text"], kinds):
                yield f"plain_text shows {kind} as typed: {node['text']!r}", ptr + "/text"
        for key, value in node.items():
            yield from markup_in_plain_text(value, f"{ptr}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from markup_in_plain_text(value, f"{ptr}/{n}")


def markup_in_notification(text: str, ptr: str = "/text") -> Problems:
    for kind in markup_in(text, _NOTIFICATION):
        yield f"a notification shows {kind} as typed: {text!r}", ptr
