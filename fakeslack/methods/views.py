"""views.*: modals opened, pushed and updated (a stack of at most three), and App Homes published."""

from __future__ import annotations

import copy

from fakeslack.answers import err, home_problem, modal_problem, ok
from fakeslack.calls import Call
from fakeslack.grid import team_of_trigger

VIEW_STACK_MAX = 3  # views.push answers push_limit_reached beyond three stacked modals


def open_(fake, call: Call):
    args, store = call.args, fake.store
    view = args.get("view")
    if not args.get("trigger_id") and not args.get("interactivity_pointer"):
        return err("invalid_arguments")
    problem = modal_problem(view)
    if problem:
        return err(problem)
    with store.lock:
        if store.external_id_taken(view.get("external_id") or ""):
            return err("duplicate_external_id")
        view_id = store.new_view_id()
        team_id = team_of_trigger(args.get("trigger_id"), store.workspaces, store.team_id)
        stored = store.stored_view(view, view_id=view_id, root_view_id=view_id, previous_view_id=None, team_id=team_id)
        store.views[view_id] = stored
        return ok(view=copy.deepcopy(stored))


def push(fake, call: Call):
    # Slack pushes onto the modal the trigger came from; the fake cannot trace a trigger_id back,
    # so it pushes onto the modal opened or pushed last, and refuses when none was.
    args, store = call.args, fake.store
    view = args.get("view")
    if not args.get("trigger_id") and not args.get("interactivity_pointer"):
        return err("invalid_arguments")
    problem = modal_problem(view)
    if problem:
        return err(problem)
    with store.lock:
        if not store.views:
            return err("invalid_trigger_id")
        if store.external_id_taken(view.get("external_id") or ""):
            return err("duplicate_external_id")
        top = list(store.views.values())[-1]
        depth, below = 1, top
        while below["previous_view_id"]:
            depth, below = depth + 1, store.views[below["previous_view_id"]]
        if depth >= VIEW_STACK_MAX:
            return err("push_limit_reached")
        view_id = store.new_view_id()
        stored = store.stored_view(
            view,
            view_id=view_id,
            root_view_id=top["root_view_id"],
            previous_view_id=top["id"],
            team_id=top["team_id"],
        )
        store.views[view_id] = stored
        return ok(view=copy.deepcopy(stored))


def update(fake, call: Call):
    args, store = call.args, fake.store
    view_id, external_id, view = args.get("view_id"), args.get("external_id"), args.get("view")
    if not view_id and not external_id:
        return err("invalid_arguments")
    problem = modal_problem(view)
    if problem:
        return err(problem)
    with store.lock:
        if view_id:
            old = store.views.get(view_id)
        else:
            old = next((v for v in store.views.values() if v["external_id"] == external_id), None)
        if old is None:
            return err("not_found")
        if args.get("hash") and args["hash"] != old["hash"]:
            return err("hash_conflict")  # the view changed since the app read it
        new_external = view.get("external_id") or old["external_id"]
        if store.external_id_taken(new_external, but=old["id"]):
            return err("duplicate_external_id")
        stored = store.stored_view(
            {**view, "external_id": new_external},
            view_id=old["id"],
            root_view_id=old["root_view_id"],
            previous_view_id=old["previous_view_id"],
            team_id=old["team_id"],
        )
        store.views[old["id"]] = stored
        return ok(view=copy.deepcopy(stored))


def publish(fake, call: Call):
    view = call.args.get("view")
    if not call.args.get("user_id"):
        return err("invalid_arguments")
    problem = home_problem(view)
    if problem:
        return err(problem)
    return ok(view={"id": "V0HOME", **view})


METHODS = {
    "views.open": open_,
    "views.push": push,
    "views.update": update,
    "views.publish": publish,
}
