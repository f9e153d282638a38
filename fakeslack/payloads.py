"""Interaction payloads as Slack sends them (block_actions, view_submission, message_action,
block_suggestion) and the state of a view's inputs; `SlackSender` builds them (send one with
`interaction(payload)`)."""

from __future__ import annotations

import copy
import time
from typing import Any

# The deprecated verification token Slack still puts in every payload.
VERIFICATION_TOKEN = "Jhj5dZrVaK7ZwHHjRyZWjbDl"


MULTI_OPTION_INPUTS = frozenset({"checkboxes", "multi_static_select", "multi_external_select"})
ONE_OPTION_INPUTS = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})


def input_state(element: dict[str, Any], answer: Any) -> dict[str, Any]:
    """An input's entry in a view's `state.values`, as Slack sends it: `answer` is in Slack's
    own form (option objects for selects, ids for user and conversation pickers, strings else)."""
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in MULTI_OPTION_INPUTS:
        state["selected_options"] = answer or []
    elif kind in ONE_OPTION_INPUTS:
        state["selected_option"] = answer
    elif kind in ("users_select", "conversations_select", "channels_select"):
        state["selected_" + kind.split("_")[0].rstrip("s")] = answer
    elif kind in ("multi_users_select", "multi_conversations_select", "multi_channels_select"):
        state["selected_" + kind.split("_")[1]] = list(answer or [])
    elif kind == "datepicker":
        state["selected_date"] = answer
    elif kind == "timepicker":
        state["selected_time"] = answer
        if element.get("timezone"):
            state["timezone"] = element["timezone"]
    elif kind == "datetimepicker":
        state["selected_date_time"] = answer
    else:  # plain_text_input, number_input, email_text_input, url_text_input
        state["value"] = answer
    return state


class InteractionPayloads:
    """Part of `SlackSender`: needs its `team_id`, `team_domain`, `api_app_id`, `enterprise_id`,
    `enterprise_name`, `is_enterprise_install`, `_ids` and `trigger_id()`."""

    def _user(self, user: str, user_name: str | None, user_team: str | None = None) -> dict[str, Any]:
        name = user_name or user.lower()
        return {"id": user, "username": name, "name": name, "team_id": user_team or self.team_id}

    def envelope(self, kind: str, user: str, user_name: str | None, user_team: str | None = None) -> dict[str, Any]:
        """The fields every interaction payload starts with. `team` and `enterprise` are the
        installation's (an org-wide install has no `team`); `user.team_id` is the person's own
        workspace (`user_team`, for someone of another workspace in a shared channel)."""
        team: dict[str, Any] | None = {"id": self.team_id, "domain": self.team_domain}
        if self.enterprise_id:
            team.update(enterprise_id=self.enterprise_id, enterprise_name=self.enterprise_name)
        if self.is_enterprise_install:
            team = None
        return {
            "type": kind,
            "user": self._user(user, user_name, user_team),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "team": team,
            "enterprise": {"id": self.enterprise_id, "name": self.enterprise_name} if self.enterprise_id else None,
            "is_enterprise_install": self.is_enterprise_install,
        }

    @staticmethod
    def _channel(channel: str, channel_name: str | None) -> dict[str, str]:
        # Slack names a DM "directmessage"; other channels go by their name.
        return {"id": channel, "name": channel_name or ("directmessage" if channel[:1] == "D" else channel.lower())}

    @staticmethod
    def _element(blocks: list[dict[str, Any]] | None, action_id: str) -> dict[str, Any] | None:
        """The interactive element with `action_id` in `blocks` (actions, section accessory, input)."""
        for block in blocks or []:
            for element in [*block.get("elements", []), block.get("accessory"), block.get("element")]:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return element
        return None

    @staticmethod
    def _option(option: str | dict[str, Any], element: dict[str, Any] | None = None) -> dict[str, Any]:
        """An option as Slack sends it back: the element's own option with that value if there is
        one, else a plain_text option built from the value."""
        if isinstance(option, dict):
            return option
        for known in (element or {}).get("options", []) + [
            o for group in (element or {}).get("option_groups", []) for o in group.get("options", [])
        ]:
            if known.get("value") == option:
                return copy.deepcopy(known)
        return {"text": {"type": "plain_text", "text": option, "emoji": True}, "value": option}

    def block_actions_payload(
        self,
        *,
        user: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        action_type: str = "button",
        selected_option: str | dict[str, Any] | None = None,
        container: str = "message",
        message: dict[str, Any] | None = None,
        channel: str = "C0GENERAL1",
        channel_name: str | None = None,
        view: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        response_url: str | None = None,
        is_ephemeral: bool = False,
        user_name: str | None = None,
        user_team: str | None = None,
    ) -> dict[str, Any]:
        """A click (or selection) on an element in a message (`container="message"`: `message` is the
        message clicked, e.g. FakeSlack.message(...)) or in a modal (`container="view"`: `view` is the
        modal, e.g. as views.open returned it). `values` is the state of the surface's inputs.
        `user_team`: the person's own workspace, when it is another (a shared channel)."""
        blocks = (message or {}).get("blocks") if container == "message" else (view or {}).get("blocks")
        element = self._element(blocks, action_id)
        action: dict[str, Any] = {"action_id": action_id, "block_id": block_id}
        if action_type == "button":
            action["text"] = (element or {}).get("text") or {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action["selected_option"] = self._option(selected_option, element)
        action["type"] = action_type
        action["action_ts"] = f"{time.time():.6f}"

        payload = self.envelope("block_actions", user, user_name, user_team)
        if container == "message":
            ts = (message or {}).get("ts") or f"{time.time():.6f}"
            where = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": is_ephemeral}
            if (message or {}).get("thread_ts"):
                where["thread_ts"] = message["thread_ts"]
            payload["container"] = where
            payload["trigger_id"] = self.trigger_id()
            payload["channel"] = self._channel(channel, channel_name)
            if not is_ephemeral:  # Slack does not send back an ephemeral message
                payload["message"] = copy.deepcopy(message or {"type": "message", "ts": ts, "text": ""})
            payload["state"] = {"values": copy.deepcopy(values or {})}
            payload["response_url"] = response_url or self._response_url("actions")
        elif container == "view":
            if view is None:
                raise ValueError("a view container needs the view")
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["trigger_id"] = self.trigger_id()
            payload["view"] = self._view_with_state(view, values)
        else:
            raise ValueError(f"container is 'message' or 'view', not {container!r}")
        payload["actions"] = [action]
        return payload

    def _response_url(self, kind: str) -> str:
        n = next(self._ids)
        return f"https://hooks.slack.com/{kind}/{self.team_id}/{7712345678900 + n}/{n:024x}"

    @staticmethod
    def _view_with_state(view: dict[str, Any], values: dict[str, Any] | None) -> dict[str, Any]:
        view = copy.deepcopy(view)
        if values is not None or "state" not in view:
            view["state"] = {"values": copy.deepcopy(values or {})}
        return view

    def view_submission_payload(
        self,
        *,
        user: str,
        view: dict[str, Any],
        values: dict[str, Any],
        user_name: str | None = None,
        user_team: str | None = None,
    ) -> dict[str, Any]:
        """The submit of modal `view` (as FakeSlack's views.open/update returned it: id, callback_id,
        private_metadata, blocks, hash), its inputs holding `values`:
        {block_id: {action_id: {"type": ..., "value" | "selected_option" | ...: ...}}}
        (`view_state_values` builds that from plain answers). `user_team`: someone of another
        workspace (a modal opened in a shared channel): `team` is theirs, the view's
        `app_installed_team_id` still the installation's."""
        payload = self.envelope("view_submission", user, user_name, user_team)
        if user_team and user_team != self.team_id:
            payload["team"] = {"id": user_team, "domain": user_team.lower()}
            payload["enterprise"] = None
        payload["trigger_id"] = self.trigger_id()
        payload["view"] = self._view_with_state(view, values)
        payload["response_urls"] = []
        return payload

    def view_state_values(self, view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
        """`view.state.values` for a modal whose inputs hold `answers` ({action_id: answer}): a string
        for a text, number, date, user, channel or single select input; a list of option values
        for checkboxes and multi selects. Selected options are the element's own (text included).
        Inputs not in `answers` hold what the view put in them (`initial_value`, `initial_option`...),
        as Slack sends an untouched input, or are empty (value None)."""
        values: dict[str, Any] = {}
        for block in view.get("blocks", []):
            element = block.get("element") if block.get("type") == "input" else None
            if not isinstance(element, dict) or "action_id" not in element:
                continue
            kind, action_id = element["type"], element["action_id"]
            answer = answers[action_id] if action_id in answers else self._initial(element)
            if kind in MULTI_OPTION_INPUTS:
                answer = [self._option(a, element) for a in answer or []]
            elif kind in ONE_OPTION_INPUTS:
                answer = self._option(answer, element) if answer is not None else None
            values[block["block_id"]] = {action_id: input_state(element, answer)}
        unknown = set(answers) - {a for block in values.values() for a in block}
        if unknown:
            raise ValueError(f"no input with action_id {sorted(unknown)} in the view")
        return values

    @staticmethod
    def _initial(element: dict[str, Any]) -> Any:
        """What an untouched input holds, in `view_state_values`' answer form."""
        if "initial_options" in element:
            return [o["value"] for o in element["initial_options"]]
        if "initial_option" in element:
            return element["initial_option"]["value"]
        for key in (
            "initial_value",
            "initial_date",
            "initial_time",
            "initial_conversation",
            "initial_channel",
            "initial_user",
            "initial_conversations",
            "initial_channels",
            "initial_users",
        ):
            if key in element:
                return element[key]
        return None

    def message_action_payload(
        self,
        *,
        user: str,
        callback_id: str,
        message: dict[str, Any],
        channel: str,
        response_url: str | None = None,
        channel_name: str | None = None,
        user_name: str | None = None,
        user_team: str | None = None,
    ) -> dict[str, Any]:
        """A message shortcut (`callback_id` from the manifest) used on `message` in `channel`."""
        payload = self.envelope("message_action", user, user_name, user_team)
        del payload["api_app_id"]  # shortcut payloads carry none
        payload.update(
            {
                "callback_id": callback_id,
                "trigger_id": self.trigger_id(),
                "action_ts": f"{time.time():.6f}",
                "message_ts": message["ts"],
                "message": {"type": "message", **copy.deepcopy(message)},
                "channel": self._channel(channel, channel_name),
                "response_url": response_url or self._response_url("app-actions"),
            }
        )
        return payload

    def block_suggestion_payload(
        self,
        *,
        user: str,
        action_id: str,
        block_id: str,
        value: str,
        view: dict[str, Any],
        user_name: str | None = None,
        user_team: str | None = None,
    ) -> dict[str, Any]:
        """What Slack asks for the options of an external select in modal `view`, `value` being what the
        user typed so far."""
        payload = self.envelope("block_suggestion", user, user_name, user_team)
        payload.update(
            {
                "container": {"type": "view", "view_id": view["id"]},
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "view": self._view_with_state(view, None),
            }
        )
        return payload
