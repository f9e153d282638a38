"""manifest.yml must create the Slack app unchanged, and ask only for what Knowhow uses.

The schema is Slack's published app-manifest JSON schema (slackapi/manifest-schema). It lives
outside this repository, beside it at ../shared/slack/manifest.schema.json; set
KNOWHOW_MANIFEST_SCHEMA to use another copy. Without it the schema tests skip; the others run.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

MANIFEST_PATH = Path(__file__).resolve().parents[1] / "manifest.yml"
DEFAULT_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "shared" / "slack" / "manifest.schema.json"

EXPECTED_COMMANDS = {"/ask", "/mentor", "/expert"}
# Adding a scope is a conscious change: every one here must be used by the code.
EXPECTED_BOT_SCOPES = {
    "users:read",
    "users.profile:read",
    "mpim:write",
    "mpim:history",
    "im:write",
    "files:write",
    "reactions:write",
    "reactions:read",
    "commands",
    "chat:write",
    "channels:history",
    "groups:history",
    "im:history",
    "channels:join",
    "channels:read",
    "groups:read",
}
REQUIRED_BOT_EVENTS = {"message.channels", "message.groups", "message.im", "app_home_opened", "reaction_added"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schema() -> dict:
    path = Path(os.environ.get("KNOWHOW_MANIFEST_SCHEMA") or DEFAULT_SCHEMA_PATH)
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must validate the manifest, but the schema is not at {path}")
        pytest.skip(
            f"Slack manifest schema not found at {path}; "
            "set KNOWHOW_MANIFEST_SCHEMA to a copy of slackapi/manifest-schema's manifest.schema.json"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def schema_errors(schema: dict, instance: dict) -> list[str]:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def test_manifest_is_valid_against_slack_schema(manifest, schema):
    errors = schema_errors(schema, manifest)
    assert not errors, "manifest.yml does not match Slack's schema:\n" + "\n".join(errors)

    # The schema spells this pattern as a non-standard "regex" keyword, which validators ignore.
    color_rule = schema["definitions"]["app-manifests.v1.display_information.schema"]["properties"]["background_color"]
    assert re.fullmatch(color_rule["regex"], manifest["display_information"]["background_color"])


def test_declares_exactly_the_slash_commands(manifest):
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(commands) == sorted(EXPECTED_COMMANDS)


def test_socket_mode_and_interactivity_are_on(manifest):
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True


def test_bot_scopes_are_exactly_those_used(manifest):
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "duplicate bot scope"
    assert set(scopes) == EXPECTED_BOT_SCOPES


def test_add_to_slack_asks_for_the_manifests_bot_scopes(manifest):
    """Distribution mode's default SLACK_SCOPES are the manifest's, in its order."""
    from bot.config import DEFAULT_SCOPES, load_settings

    assert list(DEFAULT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]
    assert load_settings({}).scopes == DEFAULT_SCOPES


def test_bot_events_cover_messages_and_app_home(manifest):
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events >= REQUIRED_BOT_EVENTS


def _without_app_name(m: dict) -> None:
    del m["display_information"]["name"]


def _command_without_description(m: dict) -> None:
    del m["features"]["slash_commands"][0]["description"]


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (_without_app_name, "display_information: 'name' is a required property"),
        (_command_without_description, "features/slash_commands/0: 'description' is a required property"),
    ],
)
def test_validation_rejects_a_broken_manifest(manifest, schema, break_it, expected):
    broken = copy.deepcopy(manifest)
    break_it(broken)
    assert expected in schema_errors(schema, broken)


def test_message_shortcuts_are_those_the_app_listens_for(manifest):
    from bot import ids

    shortcuts = {s["callback_id"]: s["type"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {ids.ACCEPT_ANSWER_SHORTCUT: "message", ids.LESSON_SAVE_SHORTCUT: "message"}
