"""Requests to Knowhow, as Slack makes them: slash commands (and what their acknowledgement
shows), block_actions for clicks and choices on messages and views, message shortcuts and
block_suggestion for external selects. Each is signed and POSTed, with 3 seconds to answer."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from fakeslack.answers import blocks_problem, suggestion_problem
from playground import forms
from playground.elements import ACTION_FIELDS, chosen_option, find_element, options_of
from playground.errors import PlaygroundError
from playground.events import ACK_SECONDS
from playground.responses import Responder

SLACKBOT = "USLACKBOT"
OFFERED_KEPT = 500


class InteractionsMixin:
    """Part of `Workspace`: owns `_offered` (the options an external select was last given, by
    (user, surface, block_id, action_id))."""

    def _post_to_app(self, body: bytes, content_type: str) -> tuple[int | None, bytes, str | None]:
        """POST a signed request; (status, body, None) or (None, b"", Slack's error for the person)."""
        if self.sender is None:
            return None, b"", "dispatch_failed"
        try:
            answer = self.sender.post(body, content_type, self.sender.sign(body), timeout=ACK_SECONDS)
        except (TimeoutError, OSError) as exc:
            return None, b"", "operation_timeout" if "timed out" in str(exc) else "dispatch_failed"
        return answer.status, answer.body, None

    def slash_command(self, user: str, channel: str, text: str, *, team: str | None = None) -> dict[str, Any]:
        """`user` types `text` (starting with a command from the manifest) in `channel`, in
        workspace `team` (`team_for`): the command is that workspace's."""
        team = self.team_for(user, team, channel)
        typed, _, rest = text.strip().partition(" ")
        spec = self.manifest.command(typed)
        if spec is None:
            raise PlaygroundError("invalid_command")
        command = spec["command"]  # as the manifest names it: Slack takes /ASK as /ask
        if not self.can_read(user, channel, team):
            raise PlaygroundError("channel_not_found")
        responder = Responder(user=user, channel=channel, kind="command", team=team)
        body = self.senders[team].command_body(
            command,
            self._format(rest.strip(), escape_names=bool(spec["should_escape"]), user=user, team=team),
            user_id=user,
            user_name=self.people[user].name,
            channel_id=channel,
            channel_name=self._channel_name(channel),
            response_url=self.new_response_url(responder),
            trigger_id=self.new_trigger(user, team),
        )
        status, answer, error = self._post_to_app(body, "application/x-www-form-urlencoded")
        if error is None and status != 200:
            error = "dispatch_failed"
        if error:
            self._add_ephemeral(
                user,
                channel,
                ts=self.store.next_ts(),
                author=SLACKBOT,
                text=f'{command} failed with the error "{error}"',
            )
            return {"ok": True, "command": True, "error": error}
        message = self._ack_message(answer)
        if message and blocks_problem(message.get("blocks")):
            # Slack refuses an answer it could not show, and says so to the person who typed it.
            self._add_ephemeral(
                user,
                channel,
                ts=self.store.next_ts(),
                author=SLACKBOT,
                text=f'{command} failed with the error "invalid_blocks"',
            )
            return {"ok": True, "command": True, "error": "invalid_blocks"}
        if message:
            ts = self.store.next_ts()
            if message.get("response_type") == "in_channel" and self.bot_can_post(channel) is None:
                with self.lock:
                    self.messages[channel].append(
                        {
                            "type": "message",
                            "user": self.bot_user_id,
                            "bot_id": self.bot_id,
                            "team": self.home_of(channel),
                            "ts": ts,
                            "text": message.get("text") or "",
                            **({"blocks": message["blocks"]} if message.get("blocks") else {}),
                        }
                    )
                    self._touch()
            else:
                self._add_ephemeral(user, channel, ts=ts, text=message.get("text") or "", blocks=message.get("blocks"))
                responder.last_answer_ts = ts
        return {"ok": True, "command": True}

    @staticmethod
    def _ack_message(answer: bytes) -> dict[str, Any] | None:
        if not answer.strip():
            return None
        try:
            message = json.loads(answer)
        except ValueError:
            return {"text": answer.decode("utf-8", "replace")}
        if not isinstance(message, dict) or (not message.get("text") and not message.get("blocks")):
            return None
        return message

    def _interaction(self, user: str, payload: dict[str, Any], what: str) -> tuple[int | None, bytes]:
        status, answer, error = self._post_to_app(
            self.sender.interaction_body(payload), "application/x-www-form-urlencoded"
        )
        if error is None and status != 200:
            error = f"HTTP {status}"
        if error:
            self.notify(user, f"Knowhow did not answer {what} ({error}).")
        return status, answer

    def _envelope(self, kind: str, user: str, team: str) -> dict[str, Any]:
        """The fields every interaction payload starts with, `user` by their name, acting in
        workspace `team` (the org-wide installation's shapes: no `team`, `user.team_id` theirs)."""
        return self.senders[team].envelope(kind, user, self.people[user].name)

    def _action(
        self,
        user: str,
        surface: str,
        element: dict[str, Any],
        *,
        block_id: str,
        action_id: str,
        selected: dict[str, Any],
    ) -> dict[str, Any]:
        """The `actions[0]` of a block_actions payload for a click on the stored `element`: its type,
        text, value and style from the store; what was chosen checked against what it offers."""
        kind = element["type"]
        allowed = ACTION_FIELDS.get(kind)
        if allowed is None:
            raise PlaygroundError("invalid_action")  # not something one clicks or chooses
        given = {k: v for k, v in selected.items() if v is not None}
        if set(given) - allowed:
            raise PlaygroundError("invalid_arguments")
        action: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": block_id}
        if kind == "button":
            if "value" in given and given["value"] != element.get("value"):
                raise PlaygroundError("invalid_value")
            action["text"] = copy.deepcopy(
                element.get("text") or {"type": "plain_text", "text": action_id, "emoji": True}
            )
            if "value" in element:
                action["value"] = element["value"]
            if element.get("style"):
                action["style"] = element["style"]
            return action
        offered = options_of(element)
        if kind in ("external_select", "multi_external_select"):
            with self.lock:
                offered = list(self._offered.get((user, surface, block_id, action_id), []))
            offered += [
                o
                for o in [element.get("initial_option"), *list(element.get("initial_options") or [])]
                if isinstance(o, dict)
            ]
        for key, value in given.items():
            if key == "selected_option":
                action[key] = chosen_option(value, offered)
            elif key == "selected_options":
                if not isinstance(value, list):
                    raise PlaygroundError("invalid_arguments")
                action[key] = [chosen_option(v, offered) for v in value]
            else:
                action[key] = copy.deepcopy(value)
        return action

    def block_action(
        self,
        user: str,
        where: dict[str, Any],
        *,
        block_id: str,
        action_id: str,
        values: dict[str, Any] | None = None,
        team: str | None = None,
        **selected: Any,
    ) -> dict[str, Any]:
        """A click or a choice on an interactive element of a message or a view (a modal or the Home).
        The element is the one stored at `block_id`/`action_id` on that surface (`invalid_action` when
        there is none); what was chosen must be among what it offers (`invalid_option`). On a
        message, `user` acts in workspace `team` (`team_for`); on a view, in the view's own."""
        self.person(user)
        kind = (where or {}).get("type")
        if kind == "message":
            channel, ts = where.get("channel") or "", where.get("ts") or ""
            team = self.team_for(user, team, channel)
            if not self.can_read(user, channel, team):
                raise PlaygroundError("channel_not_found")
            with self.lock:
                message = copy.deepcopy(self.store.find_message(channel, ts))
                ephemeral = next(
                    (
                        copy.deepcopy(e)
                        for e in self.ephemerals
                        if e["ts"] == ts and e["for_user"] == user and e["channel"] == channel
                    ),
                    None,
                )
            if message is None and ephemeral is None:
                raise PlaygroundError("message_not_found")
            source = message or ephemeral
            surface = f"{channel}/{ts}"
        elif kind == "view":
            source = self._view_for(user, where.get("view_id") or "")
            surface = source["id"]
            team = source.get("team_id") or self.team_for(user)
        else:
            raise PlaygroundError("invalid_arguments")
        element = find_element(source.get("blocks"), block_id, action_id)
        if element is None:
            raise PlaygroundError("invalid_action")
        action = self._action(user, surface, element, block_id=block_id, action_id=action_id, selected=selected)
        action["action_ts"] = f"{time.time():.6f}"
        payload = self._envelope("block_actions", user, team)
        if kind == "message":
            container = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": message is None}
            if source.get("thread_ts"):
                container["thread_ts"] = source["thread_ts"]
            payload["container"] = container
            payload["trigger_id"] = self.new_trigger(user, team)
            payload["channel"] = {"id": channel, "name": self._channel_name(channel)}
            if message is not None:
                message.pop("reactions", None)
                payload["message"] = message
            payload["state"] = {"values": copy.deepcopy(values or {})}
            payload["response_url"] = self.new_response_url(
                Responder(
                    user=user,
                    channel=channel,
                    kind="message",
                    source_ts=ts,
                    source_ephemeral=message is None,
                    thread_ts=source.get("thread_ts"),
                    team=team,
                )
            )
        else:
            view = source
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["trigger_id"] = self.new_trigger(user, team)
            view["state"] = {"values": {**forms.initial_state(view), **copy.deepcopy(values or {})}}
            payload["view"] = view
        payload["actions"] = [action]
        self._interaction(user, payload, "the click")
        return {"ok": True}

    def shortcut(
        self, user: str, callback_id: str, channel: str, ts: str, *, team: str | None = None
    ) -> dict[str, Any]:
        """A message shortcut from the manifest, used on the message at `ts`, in workspace `team`."""
        team = self.team_for(user, team, channel)
        if not any(s["callback_id"] == callback_id for s in self.manifest.shortcuts):
            raise PlaygroundError("invalid_callback_id")
        if not self.can_read(user, channel, team):
            raise PlaygroundError("channel_not_found")
        with self.lock:
            message = copy.deepcopy(self.store.find_message(channel, ts))
        if message is None or message.get("subtype") == "tombstone":
            raise PlaygroundError("message_not_found")
        message.pop("reactions", None)
        responder = Responder(
            user=user, channel=channel, kind="shortcut", source_ts=ts, thread_ts=message.get("thread_ts"), team=team
        )
        payload = self.senders[team].message_action_payload(
            user=user,
            user_name=self.people[user].name,
            callback_id=callback_id,
            message=message,
            channel=channel,
            channel_name=self._channel_name(channel),
            response_url=self.new_response_url(responder),
        )
        payload["trigger_id"] = self.new_trigger(user, team)
        self._interaction(user, payload, "the shortcut")
        return {"ok": True}

    def options(self, user: str, view_id: str, *, block_id: str, action_id: str, value: str = "") -> dict[str, Any]:
        """What an external select offers for `value` typed so far (block_suggestion)."""
        self.person(user)
        view = self._view_for(user, view_id)
        payload = self._envelope("block_suggestion", user, view.get("team_id") or self.team_for(user))
        payload.update(
            {
                "container": {"type": "view", "view_id": view["id"]},
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "view": view,
            }
        )
        status, answer = self._interaction(user, payload, "the list's options")
        if status != 200:
            return self._offer(user, view["id"], block_id, action_id, {"options": []})
        try:
            found = json.loads(answer or b"{}")
        except ValueError:
            found = None
        # Slack shows `options` or `option_groups`, whichever the app answered (exactly one); an
        # answer it would not show offers nothing, and the person is told why.
        refused = suggestion_problem(found)
        if refused:
            self.notify(user, f"Slack would show no options from Knowhow's answer: {'; '.join(refused.messages)}")
            found = {"options": []}
        return self._offer(user, view["id"], block_id, action_id, found)

    def _offer(self, user: str, view_id: str, block_id: str, action_id: str, found: dict[str, Any]) -> dict[str, Any]:
        """What the page is given: the answer's `options` or `option_groups`, as Knowhow gave them,
        remembered as what may be chosen."""
        answer = {"ok": True, **{k: found[k] for k in ("options", "option_groups") if k in found}}
        with self.lock:
            self._offered[(user, view_id, block_id, action_id)] = options_of(answer)
            if len(self._offered) > OFFERED_KEPT:
                for old in list(self._offered)[: OFFERED_KEPT // 2]:
                    del self._offered[old]
        return answer
