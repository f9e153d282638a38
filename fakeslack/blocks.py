"""Slack's Block Kit rules, as the fake enforces them: one table of what each block, element and
composition object may hold, and a walker that checks a message's blocks or a view against it.

Rules follow Slack's reference (docs.slack.dev/reference/block-kit: blocks, block-elements,
composition-objects). Problems come back as Slack words them, each with a JSON pointer:
"must be less than 151 characters [json-pointer:/blocks/0/text/text]". chat.* methods answer
`invalid_blocks` with them (in `errors` and `response_metadata.messages`, each there prefixed
"[ERROR] "), views.* answer `invalid_arguments` with them in `response_metadata.messages`.

What is checked: the block types each surface allows; required fields; no unknown fields (Slack
refuses the whole payload for one); text object types (plain_text where Slack wants it) and
lengths; list sizes (blocks, fields, elements, options); the elements each block may hold; unique
block_ids in a surface and unique action_ids within a block; an initial option that is one of the
options; and a view's title/submit/close, callback_id, private_metadata and external_id.
"""

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


# -- the tables --------------------------------------------------------------------------------

SELECTS = ("static_select", "external_select", "users_select", "conversations_select", "channels_select")
MULTI_SELECTS = tuple("multi_" + s for s in SELECTS)
ACTIONS_ELEMENTS = (
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
    *SELECTS,
    *MULTI_SELECTS,
)
ACCESSORIES = (
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
    *SELECTS,
    *MULTI_SELECTS,
)
INPUT_ELEMENTS = (
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "timepicker",
    "url_text_input",
    *SELECTS,
    *MULTI_SELECTS,
)

CONFIRM = Obj(spec="confirm")
OPTION = Obj(spec="option")  # in selects and overflow menus: plain_text only
RICH_OPTION = Obj(spec="rich_option")  # in checkboxes and radio buttons: mrkdwn allowed
PLACEHOLDER = Text(150, PLAIN)
URL = Str(3000)

# Fields every interactive element has.
_ELEMENT = {"type": Anything(), "action_id": ActionId()}
_INPUT_ELEMENT = {**_ELEMENT, "focus_on_load": Bool(), "placeholder": PLACEHOLDER}


def _values(options) -> list[tuple]:
    return [(o.get("value"), (o.get("text") or {}).get("text")) for o in options or [] if isinstance(o, dict)]


def _all_options(obj) -> list:
    return list(obj.get("options") or []) + [
        o for g in obj.get("option_groups") or [] if isinstance(g, dict) for o in g.get("options") or []
    ]


def _initial_in_options(obj) -> list[tuple[str, str]]:
    """initial_option(s) must be among the element's options (or option_groups)."""
    if not (obj.get("options") or obj.get("option_groups")):
        return []  # external_select and the like: the app gives initial options freely
    known = _values(_all_options(obj))
    out = []
    if isinstance(obj.get("initial_option"), dict) and _values([obj["initial_option"]])[0] not in known:
        out.append(("must be one of the provided options", "/initial_option"))
    for n, option in enumerate(obj.get("initial_options") or []):
        if isinstance(option, dict) and _values([option])[0] not in known:
            out.append(("must be one of the provided options", f"/initial_options/{n}"))
    return out


def _options_xor_groups(obj) -> list[tuple[str, str]]:
    if bool(obj.get("options")) == bool(obj.get("option_groups")):
        return [("must provide exactly one of options or option_groups", "")]
    return []


def _text_or_fields(obj) -> list[tuple[str, str]]:
    if not obj.get("text") and not obj.get("fields"):
        return [("must define either `text` or `fields`", "")]
    return []


def _length_range(obj) -> list[tuple[str, str]]:
    low, high = obj.get("min_length"), obj.get("max_length")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        return [("min_length must not be greater than max_length", "/min_length")]
    return []


_SELECT = {**_INPUT_ELEMENT}
_STATIC = {"options": List(OPTION, 100), "option_groups": List(Obj(spec="option_group"), 100)}
_MULTI = {"max_selected_items": Int(1)}
_CONVERSATIONS = {"filter": Anything(), "default_to_current_conversation": Bool(), "response_url_enabled": Bool()}
_SELECT_KINDS = {
    "static_select": (
        {**_STATIC, "initial_option": OPTION, "confirm": CONFIRM},
        (_options_xor_groups, _initial_in_options),
    ),
    "external_select": ({"initial_option": OPTION, "min_query_length": Int(0), "confirm": CONFIRM}, ()),
    "users_select": ({"initial_user": Str(255), "confirm": CONFIRM}, ()),
    "conversations_select": ({"initial_conversation": Str(255), **_CONVERSATIONS, "confirm": CONFIRM}, ()),
    "channels_select": ({"initial_channel": Str(255), "response_url_enabled": Bool(), "confirm": CONFIRM}, ()),
}
_MULTI_KINDS = {
    "multi_static_select": (
        {**_STATIC, "initial_options": List(OPTION, 100), **_MULTI, "confirm": CONFIRM},
        (_options_xor_groups, _initial_in_options),
    ),
    "multi_external_select": (
        {"initial_options": List(OPTION, 100), "min_query_length": Int(0), **_MULTI, "confirm": CONFIRM},
        (),
    ),
    "multi_users_select": ({"initial_users": List(Str(255), 100), **_MULTI, "confirm": CONFIRM}, ()),
    "multi_conversations_select": (
        {"initial_conversations": List(Str(255), 100), **_CONVERSATIONS, **_MULTI, "confirm": CONFIRM},
        (),
    ),
    "multi_channels_select": ({"initial_channels": List(Str(255), 100), **_MULTI, "confirm": CONFIRM}, ()),
}

SPECS: dict[str, Spec] = {
    # composition objects
    "plain_text": Spec({"type": Anything(), "text": Str(3000), "emoji": Bool()}, ("text",)),
    "mrkdwn": Spec({"type": Anything(), "text": Str(3000), "verbatim": Bool()}, ("text",)),
    "option": Spec(
        {"text": Text(75, PLAIN), "value": Str(150), "description": Text(75, PLAIN), "url": URL}, ("text", "value")
    ),
    "rich_option": Spec({"text": Text(75), "value": Str(150), "description": Text(75)}, ("text", "value")),
    "option_group": Spec({"label": Text(75, PLAIN), "options": List(OPTION, 100)}, ("label", "options")),
    "confirm": Spec(
        {
            "title": Text(100, PLAIN),
            "text": Text(300),
            "confirm": Text(30, PLAIN),
            "deny": Text(30, PLAIN),
            "style": Enum(("primary", "danger")),
        },
        ("title", "text", "confirm", "deny"),
    ),
    # blocks
    "section": Spec(
        {
            "type": Anything(),
            "block_id": BlockId(),
            "text": Text(3000),
            "fields": List(Text(2000), 10),
            "accessory": Obj(ACCESSORIES),
            "expand": Bool(),
        },
        extra=(_text_or_fields,),
    ),
    "header": Spec({"type": Anything(), "block_id": BlockId(), "text": Text(150, PLAIN)}, ("text",)),
    "divider": Spec({"type": Anything(), "block_id": BlockId()}),
    "image": Spec(
        {
            "type": Anything(),
            "block_id": BlockId(),
            "image_url": URL,
            "slack_file": Anything(),
            "alt_text": Str(2000),
            "title": Text(2000, PLAIN),
        },
        ("alt_text",),
    ),
    "context": Spec(
        {"type": Anything(), "block_id": BlockId(), "elements": List(Obj(("image", "plain_text", "mrkdwn")), 10)},
        ("elements",),
    ),
    "actions": Spec(
        {"type": Anything(), "block_id": BlockId(), "elements": List(Obj(ACTIONS_ELEMENTS), 25)}, ("elements",)
    ),
    "input": Spec(
        {
            "type": Anything(),
            "block_id": BlockId(),
            "label": Text(2000, PLAIN),
            "element": Obj(INPUT_ELEMENTS),
            "hint": Text(2000, PLAIN),
            "optional": Bool(),
            "dispatch_action": Bool(),
        },
        ("label", "element"),
    ),
    "rich_text": Spec({"type": Anything(), "block_id": BlockId(), "elements": List(Anything(), 100)}, ("elements",)),
    "video": Spec(
        {
            "type": Anything(),
            "block_id": BlockId(),
            "alt_text": Str(2000),
            "title": Text(200, PLAIN),
            "title_url": URL,
            "video_url": URL,
            "thumbnail_url": URL,
            "description": Text(200, PLAIN),
            "author_name": Str(50),
            "provider_name": Str(50),
            "provider_icon_url": URL,
        },
        ("alt_text", "title", "video_url", "thumbnail_url"),
    ),
    "markdown": Spec({"type": Anything(), "block_id": BlockId(), "text": Str(12000)}, ("text",), (MESSAGE,)),
    # Slack shows file blocks in messages it returns, but an app cannot send one.
    "file": Spec(
        {"type": Anything(), "block_id": BlockId(), "external_id": Str(255), "source": Enum(("remote",))},
        ("external_id", "source"),
        (),
    ),
    # block elements
    "button": Spec(
        {
            **_ELEMENT,
            "text": Text(75, PLAIN),
            "url": URL,
            "value": Str(2000),
            "style": Enum(("primary", "danger")),
            "confirm": CONFIRM,
            "accessibility_label": Str(75),
        },
        ("text",),
    ),
    "workflow_button": Spec(
        {
            **_ELEMENT,
            "text": Text(75, PLAIN),
            "workflow": Anything(),
            "style": Enum(("primary", "danger")),
            "accessibility_label": Str(75),
        },
        ("text", "workflow"),
    ),
    "image#element": Spec(
        {"type": Anything(), "image_url": URL, "slack_file": Anything(), "alt_text": Str(2000)}, ("alt_text",)
    ),
    "overflow": Spec({**_ELEMENT, "options": List(OPTION, 5), "confirm": CONFIRM}, ("options",)),
    "checkboxes": Spec(
        {
            **_ELEMENT,
            "focus_on_load": Bool(),
            "options": List(RICH_OPTION, 10),
            "initial_options": List(RICH_OPTION, 10),
            "confirm": CONFIRM,
        },
        ("options",),
        extra=(_initial_in_options,),
    ),
    "radio_buttons": Spec(
        {
            **_ELEMENT,
            "focus_on_load": Bool(),
            "options": List(RICH_OPTION, 10),
            "initial_option": RICH_OPTION,
            "confirm": CONFIRM,
        },
        ("options",),
        extra=(_initial_in_options,),
    ),
    "datepicker": Spec({**_INPUT_ELEMENT, "initial_date": Str(10, pattern=r"\d{4}-\d{2}-\d{2}"), "confirm": CONFIRM}),
    "timepicker": Spec(
        {**_INPUT_ELEMENT, "initial_time": Str(5, pattern=r"\d{2}:\d{2}"), "timezone": Str(100), "confirm": CONFIRM}
    ),
    "datetimepicker": Spec({**_ELEMENT, "focus_on_load": Bool(), "initial_date_time": Int(0), "confirm": CONFIRM}),
    "plain_text_input": Spec(
        {
            **_INPUT_ELEMENT,
            "initial_value": Str(3000, min=0),
            "multiline": Bool(),
            "min_length": Int(0, 3000),
            "max_length": Int(1, 3000),
            "dispatch_action_config": Anything(),
        },
        extra=(_length_range,),
    ),
    "email_text_input": Spec(
        {**_INPUT_ELEMENT, "initial_value": Str(320, min=0), "dispatch_action_config": Anything()}
    ),
    "url_text_input": Spec({**_INPUT_ELEMENT, "initial_value": Str(3000, min=0), "dispatch_action_config": Anything()}),
    "number_input": Spec(
        {
            **_INPUT_ELEMENT,
            "is_decimal_allowed": Bool(),
            "initial_value": Str(100, min=0),
            "min_value": Str(100),
            "max_value": Str(100),
            "dispatch_action_config": Anything(),
        },
        ("is_decimal_allowed",),
    ),
    "rich_text_input": Spec({**_INPUT_ELEMENT, "initial_value": Anything(), "dispatch_action_config": Anything()}),
    "file_input": Spec({**_ELEMENT, "filetypes": List(Str(32), 100, min=0), "max_files": Int(1, 10)}),
    **{
        kind: Spec({**_SELECT, **fields}, extra=extra)
        for kind, (fields, extra) in {**_SELECT_KINDS, **_MULTI_KINDS}.items()
    },
}

_VIEW_TEXT = Text(24, PLAIN)
VIEW_SPECS = {
    MODAL: Spec(
        {
            "type": Anything(),
            "title": _VIEW_TEXT,
            "blocks": Anything(),
            "close": _VIEW_TEXT,
            "submit": _VIEW_TEXT,
            "private_metadata": Str(3000, min=0),
            "callback_id": Str(255, min=0),
            "clear_on_close": Bool(),
            "notify_on_close": Bool(),
            "external_id": Str(255, min=0),
            "submit_disabled": Bool(),
        },
        ("title", "blocks"),
    ),
    HOME: Spec(
        {
            "type": Anything(),
            "blocks": Anything(),
            "private_metadata": Str(3000, min=0),
            "callback_id": Str(255, min=0),
            "external_id": Str(255, min=0),
        },
        ("blocks",),
    ),
}


# -- the walker --------------------------------------------------------------------------------


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


def _check_blocks(blocks, surface: str, ptr: str) -> list[str]:
    found: list[tuple[str, str]] = []
    if not isinstance(blocks, list):
        found.append(("must provide an array", ptr))
        blocks = []
    elif len(blocks) > MAX_BLOCKS[surface]:
        found.append((f"no more than {MAX_BLOCKS[surface]} items allowed", ptr))
    ctx = {"block_ids": set(), "action_ids": set()}
    for n, block in enumerate(blocks):
        here = f"{ptr}/{n}"
        if not isinstance(block, dict):
            found.append(("must provide an object", here))
            continue
        kind = block.get("type")
        spec = SPECS.get(kind) if kind in _BLOCK_TYPES else None
        if spec is None:
            found.append((f"unsupported type: {kind}", here + "/type"))
            continue
        if surface not in spec.surfaces:
            found.append((f"unsupported type: {kind} (not allowed in a {surface})", here + "/type"))
            continue
        ctx["action_ids"] = set()  # action_ids need only be unique within their block
        found.extend(check_object(spec, block, here, ctx))
    return [f"{message} [json-pointer:{where}]" for message, where in found]


_BLOCK_TYPES = (
    "section",
    "header",
    "divider",
    "image",
    "context",
    "actions",
    "input",
    "rich_text",
    "video",
    "markdown",
    "file",
)


def message_problems(blocks, ptr: str = "/blocks") -> list[str]:
    """Why Slack would refuse these blocks in a message (chat.postMessage, chat.update,
    chat.postEphemeral, a response_url body): Slack's messages, empty when it would take them."""
    return _check_blocks(blocks, MESSAGE, ptr)


def view_problems(view, kind: str) -> list[str]:
    """Why Slack would refuse `view` as a `kind` ("modal" or "home") view."""
    if not isinstance(view, dict):
        return ["must provide an object [json-pointer:/view]"]
    if view.get("type") != kind:
        return ["must be a valid enum value [json-pointer:/view/type]"]
    found = [f"{m} [json-pointer:{p}]" for m, p in check_object(VIEW_SPECS[kind], view, "/view", {})]
    found += _check_blocks(view.get("blocks"), kind, "/view/blocks") if "blocks" in view else []
    if (
        kind == MODAL
        and not view.get("submit")
        and any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
    ):
        found.append("must provide submit when the view has input blocks [json-pointer:/view/submit]")
    return found


def response_errors_problems(view, errors) -> list[str]:
    """Why Slack would refuse a view_submission answered `response_action: errors` with `errors`:
    it must map block_ids of the view's input blocks to messages. Slack then fails the submission
    visibly instead of showing the errors."""
    if not isinstance(errors, dict) or not errors:
        return ["must provide an object of errors [json-pointer:/errors]"]
    inputs = {
        b.get("block_id") for b in (view or {}).get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"
    }
    found = []
    for key, message in errors.items():
        if key not in inputs:
            found.append(f"{key} is not the block_id of an input block [json-pointer:/errors/{key}]")
        elif not isinstance(message, str) or not message:
            found.append(f"must be a non-empty string [json-pointer:/errors/{key}]")
    return found
