"""Who is asking: for every request, the workspace it is about, that workspace's organisation and
the acting person's own team; and the isolation that follows from them, before any listener runs.

One Bolt global middleware (`Tenancy`, registered first in `bot.app.build_app`):

1. **Where from** (`origin_of`, plain data from the payload):
   - the workspace: the installation the request is for. Events name it in `authorizations`
     (in a shared channel the top-level `team_id` is the workspace that created the channel, not
     ours); an org-wide Grid install has no workspace there, so `context_team_id`, then `team_id`.
     Interactivity: `view.app_installed_team_id` (a modal opened in a shared channel), else
     `team.id`, else `user.team_id` (org-wide installs send `team: null`). Commands: `team_id`.
   - the organisation the payload claims for that workspace (`enterprise_id`, `enterprise.id`,
     `authorizations[0].enterprise_id`), and the app (`api_app_id`);
   - the acting person's own team: events `user_team` (else the message's `team`, then
     `source_team`; an `E…` value is a Grid organisation), interactivity `user.team_id` (with
     `enterprise.id` when `team` is that same team), commands `team_id` as Slack sends it.
2. **Refused without side effects** when single-token mode's `SLACK_BOT_TOKEN` does not speak for
   that workspace (`installs.SingleToken.serves`: its own workspace, or any of its Grid
   organisation's for an org-wide install) or the request is for another app (`api_app_id`).
   In distribution mode Bolt's `authorize` has already refused workspaces without an
   installation; a request for another app than the installation's is refused here (the
   installation store knows its app, read once per workspace). The answer is Bolt's own way of
   refusing: HTTP 200 (so Slack neither retries an event nor shows the person an HTTP error), a
   short ephemeral text for a slash command, nothing else. Nothing is stored or posted, and one
   warning line says which workspace, organisation and app (ids only, never user text or tokens);
   the same source refused again is logged at debug.
3. **Recorded**: the workspace, the first time this process hears from it, with the organisation
   Slack vouched for (`auth.test` in single-token mode, the installation in distribution mode;
   never a payload's own claim), `storage.workspaces.seen`. Remembered in memory, so only a
   workspace's first request writes; the ack path stays as cheap as a bare Bolt ack.
4. **Slack Connect guests** (the acting person's own team is not a workspace of this
   organisation) are kept out of everything that reads or writes the organisation's rows: their
   messages are acked and not kept (their replies are not answers: never counted, never in the
   knowledge base), their commands, buttons and forms are refused with a short private note (the
   Mentor Center is not theirs; the knowledge base is not shown to them). They may still ask in
   the shared channel itself, where people answer them in Slack. Events in a channel that is not
   shared outside the organisation (`is_ext_shared_channel: false`) have no guests, nor have
   events that name nobody's team. A slash command is its sender's own workspace's (Slack offers
   an app's commands only where it is installed), so it is refused as another workspace's, not
   as a guest's.

Listeners read the outcome from Bolt's context: `workspace_id`, `org_id`, `user_team_id`, `guest`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.webhook import WebhookClient

from bot import ids
from bot.deps import Deps
from bot.installs import Identity, SingleToken
from bot.memory import Memory
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)

EVENT, COMMAND, INTERACTION = "event", "command", "interaction"
INTERACTION_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_suggestion",
        "dialog_cancellation",
    }
)
# How long a looked-up organisation of another workspace is trusted (a workspace may join later).
ORG_LOOKUP_SECONDS = 60.0
# Bounds on what is remembered, so a stream of made-up ids cannot grow memory without end.

NOT_SERVED_TEXT = "Sorry, Knowhow is not set up for this workspace, so it cannot take this request."
GUEST_MENTOR_TEXT = (
    "The Mentor Center is for the people of the organisation that runs Knowhow here. As a guest from "
    "another organisation in this shared channel, you can't offer or ask for mentoring through it."
)
GUEST_KNOWLEDGE_TEXT = (
    "Knowhow's questions and answers belong to the organisation that runs it here, so they aren't "
    "shown to guests from other organisations. You can still ask in this channel: people here can "
    "answer you directly."
)
GUEST_OTHER_TEXT = (
    "Knowhow works for the people of the organisation that runs it here, so it can't do this for a "
    "guest from another organisation."
)


@dataclass(frozen=True)
class Origin:
    """Where a request comes from, as its payload says."""

    kind: str | None  # EVENT, COMMAND, INTERACTION, or None (url_verification and the like)
    workspace_id: str | None
    enterprise_id: str | None  # the Grid organisation the payload claims for that workspace
    app_id: str | None
    user_team_id: str | None  # the acting person's own workspace
    user_enterprise_id: str | None  # the acting person's own Grid organisation, when said
    ext_shared: bool | None  # events: is the channel shared with another organisation?


def _str(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def kind_of(body: dict) -> str | None:
    kind = body.get("type")
    if kind == "event_callback":
        return EVENT
    if kind in INTERACTION_TYPES:
        return INTERACTION
    if "command" in body and "team_id" in body:
        return COMMAND
    return None


def origin_of(body: dict) -> Origin:
    """Read where a request comes from (see the module's docstring for which field says what)."""
    kind = kind_of(body)
    app_id = _str(body.get("api_app_id"))
    if kind == EVENT:
        auth = _dict((body.get("authorizations") or [None])[0])
        workspace = _str(auth.get("team_id")) or _str(body.get("context_team_id")) or _str(body.get("team_id"))
        if auth:
            enterprise = _str(auth.get("enterprise_id"))
        else:
            enterprise = _str(body.get("context_enterprise_id")) or _str(body.get("enterprise_id"))
        event = _dict(body.get("event"))
        inner = _dict(event.get("message")) or _dict(event.get("previous_message"))
        actor = (
            _str(event.get("user_team"))
            or _str(inner.get("user_team"))
            or _str(event.get("team"))
            or _str(inner.get("team"))
            or _str(event.get("source_team"))
            or _str(inner.get("source_team"))
        )
        user_enterprise = None
        if actor and actor.startswith("E"):  # a Grid organisation-level person
            actor, user_enterprise = None, actor
        shared = body.get("is_ext_shared_channel")
        return Origin(
            EVENT, workspace, enterprise, app_id, actor, user_enterprise, shared if isinstance(shared, bool) else None
        )
    if kind == COMMAND:
        team = _str(body.get("team_id"))
        enterprise = _str(body.get("enterprise_id"))
        return Origin(COMMAND, team, enterprise, app_id, team, enterprise, None)
    if kind == INTERACTION:
        view, team, user = _dict(body.get("view")), _dict(body.get("team")), _dict(body.get("user"))
        team_id, user_team = _str(team.get("id")), _str(user.get("team_id"))
        team_enterprise = _str(_dict(body.get("enterprise")).get("id")) or _str(team.get("enterprise_id"))
        installed = _str(view.get("app_installed_team_id"))
        if installed and installed != team_id:  # a modal opened in a shared channel by someone elsewhere
            workspace, enterprise = installed, None
        else:
            workspace = team_id or user_team or _str(view.get("team_id"))
            enterprise = team_enterprise
        app_id = app_id or _str(view.get("app_id"))
        user_enterprise = team_enterprise if team_id and team_id == user_team else None
        return Origin(INTERACTION, workspace, enterprise, app_id, user_team, user_enterprise, None)
    return Origin(None, None, None, app_id, None, None, None)


class Tenancy(Middleware):
    """The global middleware (see the module's docstring)."""

    def __init__(self, deps: Deps, installation_store=None, *, respond: Callable[[str, str], None] | None = None):
        self.deps = deps
        # Distribution mode: Bolt's installation store, which knows each installation's app.
        self.installation_store = installation_store
        self._respond = respond or _respond_in_background
        self._token: SingleToken | None = None
        # workspace -> its organisation, as recorded (only the first request of a workspace writes).
        self._recorded = Memory()
        self._orgs = Memory(ORG_LOOKUP_SECONDS)  # another workspace -> its organisation, looked up
        self._apps = Memory()  # (enterprise, workspace) -> the app its installation is for
        self._refusals_logged = Memory()

    # -- the middleware ----------------------------------------------------------------------------
    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body if isinstance(req.body, dict) else {}
        origin = origin_of(body)
        if origin.kind is None:
            return next()  # not about a workspace (url_verification, ssl_check, app_rate_limited): Bolt's
        if origin.workspace_id is None:
            if self.deps.identity is None:
                return next()  # distribution mode: Bolt's authorize found an installation for it
            self._log_refusal(origin, "no workspace named")
            return _not_served(origin)
        refused, enterprise_id = self._check(origin, req)
        if refused is not None:
            self._log_refusal(origin, refused)
            return _not_served(origin)
        org_id = self._record(origin.workspace_id, enterprise_id)
        context = req.context
        context["workspace_id"] = origin.workspace_id
        context["org_id"] = org_id
        context["user_team_id"] = origin.user_team_id
        guest = self._is_guest(origin, org_id)
        context["guest"] = guest
        if guest:
            return self._refuse_guest(origin, body)
        return next()

    # -- is this request for us? -------------------------------------------------------------------
    def _check(self, origin: Origin, req: BoltRequest) -> tuple[str | None, str | None]:
        """(why the request is refused, or None; the organisation Slack vouches for its workspace)."""
        identity = self.deps.identity
        if identity is not None:  # single-token mode
            if origin.app_id and identity.app_id and origin.app_id != identity.app_id:
                return "another app than SLACK_BOT_TOKEN's", None
            if not self._serves(identity, origin):
                return "a workspace SLACK_BOT_TOKEN does not speak for", None
            return None, identity.enterprise_id
        result = req.context.authorize_result
        if result is None:
            return None, None  # no authorization ran (an app built without a token, in tests): claim nothing
        if origin.app_id and self.installation_store is not None:
            app_id = self._app_of(result.enterprise_id, result.team_id)
            if app_id and origin.app_id != app_id:
                return "another app than the installation's", None
        if result.team_id and result.team_id != origin.workspace_id:
            return None, None  # the installation found is another workspace's: claim nothing for it
        return None, result.enterprise_id

    def _serves(self, identity: Identity, origin: Origin) -> bool:
        token = self._token
        if token is None or token.identity is not identity:
            token = self._token = SingleToken(self.deps.engine, self.deps.settings.bot_token or "", identity)
        if token.serves(origin.workspace_id, origin.enterprise_id):
            return True
        # An org-wide token: a workspace the payload names no organisation for (a modal opened in
        # a shared channel) is served when Knowhow already knows it as one of its organisation's.
        if not (identity.enterprise_install and identity.enterprise_id and origin.enterprise_id is None):
            return False
        try:
            return self._org_of(origin.workspace_id) == identity.enterprise_id
        except Exception:
            log.warning("could not look up workspace %s: not served", origin.workspace_id, exc_info=True)
            return False

    def _app_of(self, enterprise_id: str | None, team_id: str | None) -> str | None:
        key = (enterprise_id, team_id)
        app_id = self._apps.get(key)
        if app_id is None:
            try:
                bot = self.installation_store.find_bot(
                    enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=team_id is None
                )
            except Exception:
                log.exception("could not read the installation of %s/%s", enterprise_id, team_id)
                return None
            app_id = getattr(bot, "app_id", None) if bot is not None else None
            if app_id:
                self._apps.put(key, app_id)
        return app_id

    def _log_refusal(self, origin: Origin, reason: str) -> None:
        key = (reason, origin.workspace_id, origin.enterprise_id, origin.app_id)
        first = self._refusals_logged.get(key) is None
        if first:
            self._refusals_logged.put(key, True)
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "refused a %s from workspace %s (organisation %s, app %s): %s",
            origin.kind,
            origin.workspace_id,
            origin.enterprise_id or "-",
            origin.app_id or "-",
            reason,
        )

    # -- recording the workspace -------------------------------------------------------------------
    def _record(self, team_id: str, enterprise_id: str | None) -> str:
        """The workspace's organisation, recording the workspace the first time it is heard from."""
        org_id = self._recorded.get(team_id)
        if org_id is not None and (enterprise_id is None or org_id == enterprise_id):
            return org_id
        try:
            with session_scope(self.deps.engine) as session:
                row = workspaces.get(session, team_id=team_id)
                if row is None or (enterprise_id and row.enterprise_id != enterprise_id):
                    row = workspaces.seen(session, team_id=team_id, enterprise_id=enterprise_id)
                org_id = row.org_id
        except Exception:  # the listener will meet the same database; say it once, there
            log.warning("could not record workspace %s", team_id, exc_info=True)
            return enterprise_id or team_id
        self._recorded.put(team_id, org_id)
        self._orgs.put(team_id, org_id)
        return org_id

    def _org_of(self, team_id: str) -> str:
        org_id = self._recorded.get(team_id) or self._orgs.get(team_id)
        if org_id is None:
            with session_scope(self.deps.engine) as session:
                org_id = workspaces.org_of(session, team_id=team_id)
            self._orgs.put(team_id, org_id)
        return org_id

    # -- Slack Connect guests ----------------------------------------------------------------------
    def _is_guest(self, origin: Origin, org_id: str) -> bool:
        if origin.ext_shared is False:
            return False  # a channel no other organisation shares
        actor, actor_enterprise = origin.user_team_id, origin.user_enterprise_id
        if actor is None and actor_enterprise is None:
            return False  # nobody named (a workspace-level event)
        if actor == origin.workspace_id or org_id in (actor, actor_enterprise):
            return False
        if actor is None:
            return True  # an organisation-level person of another Grid organisation
        try:
            return self._org_of(actor) != org_id
        except Exception:
            log.warning("could not look up workspace %s: treated as outside the organisation", actor, exc_info=True)
            return True

    def _refuse_guest(self, origin: Origin, body: dict) -> BoltResponse:
        log.info(
            "a guest from another organisation (team %s) was kept out: %s",
            origin.user_team_id or origin.user_enterprise_id,
            _what(body),
        )
        text = _guest_text(body)
        if origin.kind == EVENT:
            return BoltResponse(status=200, body="")  # acked, not kept
        if origin.kind == COMMAND:
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
        kind = body.get("type")
        if kind == "view_submission":
            return BoltResponse(status=200, body={"response_action": "update", "view": _notice_view(text)})
        if kind == "block_suggestion":
            return BoltResponse(status=200, body={"options": []})
        response_url = _str(body.get("response_url"))
        if response_url and kind in ("block_actions", "message_action", "shortcut"):
            self._respond(response_url, text)
        return BoltResponse(status=200, body="")


def _what(body: dict) -> str:
    """What was asked, in ids only (never what a person typed)."""
    if "command" in body:
        return str(body.get("command"))
    kind = str(body.get("type"))
    if kind == "event_callback":
        return "event " + str(_dict(body.get("event")).get("type"))
    action = _dict((body.get("actions") or [None])[0]).get("action_id")
    callback = body.get("callback_id") or _dict(body.get("view")).get("callback_id")
    return " ".join(str(p) for p in (kind, action or callback) if p)


MENTOR_SURFACES = ("mentor",)
KNOWLEDGE_SURFACES = ("ask", "accept")


def _guest_text(body: dict) -> str:
    """The private note for a guest: which part of Knowhow they reached."""
    command = _str(body.get("command"))
    if command == ids.MENTOR_COMMAND:
        return GUEST_MENTOR_TEXT
    if command == ids.ASK_COMMAND:
        return GUEST_KNOWLEDGE_TEXT
    what = _what(body).split(" ")[-1]
    if what.startswith(MENTOR_SURFACES):
        return GUEST_MENTOR_TEXT
    if what.startswith(KNOWLEDGE_SURFACES) or what == ids.HOME_ASK:
        return GUEST_KNOWLEDGE_TEXT
    return GUEST_OTHER_TEXT


def _notice_view(text: str) -> dict:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Knowhow"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def _not_served(origin: Origin) -> BoltResponse:
    if origin.kind == COMMAND:
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": NOT_SERVED_TEXT})
    return BoltResponse(status=200, body="")


def _respond_in_background(response_url: str, text: str) -> None:
    """A private note through the request's response_url, after the ack (never on the ack path)."""

    def send() -> None:
        try:
            WebhookClient(response_url, timeout=10).send(text=text, response_type="ephemeral", replace_original=False)
        except Exception:
            log.warning("could not tell a guest why their request was refused", exc_info=True)

    threading.Thread(target=send, name="knowhow-guest-note", daemon=True).start()
