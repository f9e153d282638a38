"""Modals and the App Home: views.open/push/update/publish as this workspace answers them (each
person's own stack of at most three modals, opened only with a trigger_id that person's click or
command gave, good for 3 seconds and once), and what people do with them: submit (Slack's own
checks first, then the app's response_action), close, and what the page shows of the top one."""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from typing import Any

from fakeslack import Answer, Call
from fakeslack.answers import err, home_problem, modal_problem, ok
from fakeslack.blocks import response_errors_problems
from fakeslack.methods.views import VIEW_STACK_MAX
from playground import forms
from playground.errors import PlaygroundError

log = logging.getLogger(__name__)

# A trigger_id is good for 3 seconds.
TRIGGER_SECONDS = 3.0
TRIGGERS_KEPT = 500


@dataclass
class _Trigger:
    user: str
    at: float
    team: str  # the workspace whose request carried it (a modal opened with it is that workspace's)
    used: bool = False


class ModalsMixin:
    """Part of `Workspace`: owns `stacks` (user -> modal view ids, bottom first), `homes`,
    `view_errors`, `view_problems` and the trigger_ids handed out."""

    def _serve_modals(self) -> None:
        self.slack.methods.update(
            {
                "views.open": self._api_views_open,
                "views.push": self._api_views_push,
                "views.update": self._api_views_update,
                "views.publish": self._api_views_publish,
            }
        )

    def new_trigger(self, user: str, team: str | None = None) -> str:
        """A trigger_id for something `user` just did in workspace `team` (good for 3 seconds, once)."""
        team = team or self.team_for(user)
        trigger_id = self.senders[team].trigger_id()  # shaped so the stand-in knows its workspace
        with self.lock:
            self._triggers[trigger_id] = _Trigger(user, self.clock(), team)
            if len(self._triggers) > TRIGGERS_KEPT:
                for old in list(self._triggers)[: TRIGGERS_KEPT // 2]:
                    del self._triggers[old]
        return trigger_id

    def _api_views_open(self, call: Call) -> Answer:
        args = call.args
        user, problem = self._trigger_user(args)
        if problem:
            return err(problem)
        answer = self._stand_in["views.open"](call)
        if answer.body.get("ok"):
            with self.lock:
                for old in self.stacks[user]:
                    self.views.pop(old, None)
                self.stacks[user] = [answer.body["view"]["id"]]
        return answer

    def _api_views_push(self, call: Call) -> Answer:
        args = call.args
        user, problem = self._trigger_user(args)
        if problem:
            return err(problem)
        view = args.get("view")
        problem = modal_problem(view)
        if problem:
            return err(problem)
        with self.lock:
            stack = self.stacks[user]
            if not stack:
                return err("invalid_trigger_id")  # nothing open to push onto
            if len(stack) >= VIEW_STACK_MAX:
                return err("push_limit_reached")
            if self.store.external_id_taken(view.get("external_id") or ""):
                return err("duplicate_external_id")
            top = self.views[stack[-1]]
            view_id = self.store.new_view_id()
            stored = self.store.stored_view(
                view,
                view_id=view_id,
                root_view_id=top["root_view_id"],
                previous_view_id=top["id"],
                team_id=top["team_id"],
            )
            self.views[view_id] = stored
            stack.append(view_id)
            return ok(view=copy.deepcopy(stored))

    def _api_views_update(self, call: Call) -> Answer:
        answer = self._stand_in["views.update"](call)
        if answer.body.get("ok"):
            with self.lock:
                self.view_errors.pop(answer.body["view"]["id"], None)
                self.view_problems.pop(answer.body["view"]["id"], None)
        return answer

    def _api_views_publish(self, call: Call) -> Answer:
        args = call.args
        user, view = args.get("user_id") or "", args.get("view")
        if not user:
            return err("invalid_arguments")
        if user not in self.people:
            return err("user_not_found")
        problem = home_problem(view)  # Block Kit's rules for a Home tab (fakeslack/blocks.py)
        if problem:
            return err(problem)
        with self.lock:
            # The Home of the workspace the person last opened it in (views.publish names none).
            team = self.home_team.get(user) or self.team_for(user)
            old = self.homes.get((user, team))
            if args.get("hash") and old is not None and args["hash"] != old["hash"]:
                return err("hash_conflict")
            view_id = old["id"] if old else self.store.new_view_id("V0HOME")
            stored = self.store.stored_view(
                {**view, "title": view.get("title")},
                view_id=view_id,
                root_view_id=view_id,
                previous_view_id=None,
                team_id=team,
            )
            stored.update(type="home", title=view.get("title"))
            self.homes[(user, team)] = stored
            return ok(view=copy.deepcopy(stored))

    def _trigger_user(self, args) -> tuple[str, str | None]:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer") or ""
        if not trigger_id:
            return "", "invalid_arguments"
        with self.lock:
            trigger = self._triggers.get(trigger_id)
            if trigger is None:
                return "", "invalid_trigger_id"
            if self.clock() - trigger.at > TRIGGER_SECONDS:
                return "", "expired_trigger_id"
            if trigger.used:
                return "", "trigger_exchanged"
            trigger.used = True
            return trigger.user, None

    def _view_for(self, user: str, view_id: str) -> dict[str, Any]:
        with self.lock:
            if view_id in self.stacks.get(user, []) and view_id in self.views:
                return copy.deepcopy(self.views[view_id])
            for (owner, _team), home in self.homes.items():
                if owner == user and home["id"] == view_id:
                    return copy.deepcopy(home)
        raise PlaygroundError("view_not_found")

    def submit_view(self, user: str, view_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """`user` presses the modal's submit button with its inputs holding `values`."""
        self.person(user)
        view = self._view_for(user, view_id)
        if view.get("type") != "modal":
            raise PlaygroundError("view_not_found")
        if not view.get("submit"):
            raise PlaygroundError("invalid_arguments")  # a modal without a submit button cannot be submitted
        if not isinstance(values, dict):
            raise PlaygroundError("invalid_arguments")
        state = {**forms.initial_state(view), **copy.deepcopy(values)}
        errors = forms.client_errors(view, state)
        if errors:
            with self.lock:
                self.view_errors[view_id] = errors
                self._touch()
            return {"ok": True, "errors": errors}
        team = view.get("team_id") or self.team_for(user)  # the workspace whose request opened it
        payload = self._envelope("view_submission", user, team)
        payload["trigger_id"] = self.new_trigger(user, team)
        view["state"] = {"values": state}
        payload["view"] = view
        payload["response_urls"] = []
        status, answer = self._interaction(user, payload, "the form")
        if status != 200:
            with self.lock:
                self.view_problems[view_id] = "We had some trouble connecting. Try again?"
                self._touch()
            return {"ok": True, "problem": self.view_problems[view_id]}
        try:
            response = json.loads(answer) if answer.strip() else {}
        except ValueError:
            response = {}
        action = response.get("response_action") if isinstance(response, dict) else None
        with self.lock:
            stack = self.stacks[user]
            if view_id not in stack:
                return {"ok": True}
            self.view_problems.pop(view_id, None)
            if action == "errors":
                wrong = response_errors_problems(view, response.get("errors"))
                if wrong:  # Slack shows no field errors then: the submission fails as a whole
                    self.view_problems[view_id] = "Knowhow answered with errors Slack would refuse."
                    log.warning("view_submission answered with errors Slack would refuse: %s", wrong)
                    self._touch()
                    return {"ok": True, "problem": self.view_problems[view_id]}
                self.view_errors[view_id] = dict(response.get("errors") or {})
                self._touch()
                return {"ok": True, "errors": self.view_errors[view_id]}
            self.view_errors.pop(view_id, None)
            new = response.get("view") if action in ("update", "push") else None
            if new is not None and modal_problem(new):
                self.view_problems[view_id] = "Knowhow answered with a view Slack would refuse."
                log.warning("view_submission answered with an invalid view: %s", modal_problem(new))
                self._touch()
                return {"ok": True, "problem": self.view_problems[view_id]}
            if action == "update":
                old = self.views[view_id]
                self.views[view_id] = self.store.stored_view(
                    new,
                    view_id=view_id,
                    root_view_id=old["root_view_id"],
                    previous_view_id=old["previous_view_id"],
                    team_id=old["team_id"],
                )
            elif action == "push":
                if len(stack) >= VIEW_STACK_MAX:
                    self.view_problems[view_id] = "Slack refuses a fourth stacked modal (push_limit_reached)."
                else:
                    new_id = self.store.new_view_id()
                    self.views[new_id] = self.store.stored_view(
                        new,
                        view_id=new_id,
                        root_view_id=self.views[view_id]["root_view_id"],
                        previous_view_id=view_id,
                        team_id=team,
                    )
                    stack.append(new_id)
            elif action == "clear":
                self._close(user, stack[0])
            else:
                self._close(user, view_id)
            self._touch()
        return {"ok": True}

    def _close(self, user: str, view_id: str) -> list[str]:
        """Close `view_id` and every view above it in `user`'s stack; returns the closed ids."""
        stack = self.stacks[user]
        closed = stack[stack.index(view_id) :]
        del stack[stack.index(view_id) :]
        for vid in closed:
            self.views.pop(vid, None)
            self.view_errors.pop(vid, None)
            self.view_problems.pop(vid, None)
        return closed

    def close_view(self, user: str, view_id: str) -> dict[str, Any]:
        """`user` closes (cancels) the modal `view_id`: a view_closed if the app asked for one."""
        self.person(user)
        view = self._view_for(user, view_id)
        if view.get("type") != "modal":
            raise PlaygroundError("view_not_found")
        with self.lock:
            cleared = self.stacks[user][0] == view_id
            self._close(user, view_id)
            self._touch()
        if view.get("notify_on_close"):
            payload = self._envelope("view_closed", user, view.get("team_id") or self.team_for(user))
            payload["view"] = view
            payload["is_cleared"] = cleared
            self._interaction(user, payload, "the closed form")
        return {"ok": True}

    def close_all(self, user: str) -> None:
        with self.lock:
            if self.stacks.get(user):
                self._close(user, self.stacks[user][0])
                self._touch()

    def modal_of(self, user: str) -> dict[str, Any] | None:
        with self.lock:
            stack = self.stacks.get(user) or []
            if not stack or stack[-1] not in self.views:
                return None
            top = stack[-1]
            modal = {
                "id": top,
                "view": copy.deepcopy(self.views[top]),
                "stack_depth": len(stack),
                "errors": dict(self.view_errors.get(top) or {}),
            }
            if top in self.view_problems:
                modal["problem"] = self.view_problems[top]
            return modal
