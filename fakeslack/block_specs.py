"""The tables of Block Kit's rules: what each block, element and composition object may hold
(docs.slack.dev/reference/block-kit), and what a view may hold, as fakeslack/block_rules.py checks them."""

from __future__ import annotations

from fakeslack.block_rules import (
    HOME,
    MESSAGE,
    MODAL,
    PLAIN,
    SPECS,
    ActionId,
    Anything,
    BlockId,
    Bool,
    Enum,
    Int,
    List,
    Obj,
    Spec,
    Str,
    Text,
)

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

SPECS.update(
    {
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
        "rich_text": Spec(
            {"type": Anything(), "block_id": BlockId(), "elements": List(Anything(), 100)}, ("elements",)
        ),
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
        "datepicker": Spec(
            {**_INPUT_ELEMENT, "initial_date": Str(10, pattern=r"\d{4}-\d{2}-\d{2}"), "confirm": CONFIRM}
        ),
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
        "url_text_input": Spec(
            {**_INPUT_ELEMENT, "initial_value": Str(3000, min=0), "dispatch_action_config": Anything()}
        ),
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
)

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
