"""A local Slack-compatible workspace, built on the Web API stand-in `fakeslack.FakeSlack`: an
Enterprise Grid organisation of several workspaces (the sample's two offices) with the app
installed org-wide, so one bot token speaks for every workspace and each request carries the Grid
shapes of the workspace the person acts in (`team_for`; `senders` has one SlackSender each).

FakeSlack answers the Web API methods Knowhow calls with Slack's shapes and errors. The workspace
adds what a workspace has: its people, channels with members (public and private), DMs and group
DMs, messages people write (thread replies, edits, deletions, reactions), ephemeral messages for one
person, each person's modal stack and App Home, trigger_ids that belong to the person who clicked,
and response_urls that act on the message they came from. What people do is signed and delivered to
Knowhow's HTTP endpoint by `fakeslack.sender.SlackSender`, as Slack does it: slash commands,
block_actions, view_submission, message shortcuts, and the events the manifest subscribes to.

The stand-in is used only through its public hooks (it is not subclassed): the workspace replaces or
wraps methods in `FakeSlack.methods`, sets its `can_post` rule and an `after_answer` hook, and keeps
its own state behind the stand-in's `store.lock`; `version` goes up on every change. The parts, by
concern: directory.py (people, channels), messages.py, responses.py (response_urls), modals.py (and
forms.py), interactions.py (requests to Knowhow; elements.py), events.py, reading.py (what the page
reads).
"""

from __future__ import annotations

import copy
import itertools
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fakeslack import Answer, Call, FakeSlack
from fakeslack.calls import block_text
from fakeslack.sender import SlackSender, slack_escape
from playground import forms, sample
from playground import manifest as manifest_mod
from playground.directory import DirectoryMixin
from playground.errors import PlaygroundError
from playground.events import EventsMixin
from playground.interactions import InteractionsMixin
from playground.messages import MessagesMixin
from playground.modals import ModalsMixin
from playground.reading import ReadingMixin
from playground.responses import Responder, ResponsesMixin

__all__ = ["PlaygroundError", "Responder", "Workspace"]

# Web API methods that change nothing the page shows (a response_url post says itself when it does).
READ_ONLY = {
    "auth.test",
    "users.info",
    "conversations.history",
    "conversations.replies",
    "chat.getPermalink",
    "api.test",
    "files.getUploadURLExternal",
    "upload",
    "response_url",
}
APP_ID = "A0KNOWHOW1"  # the app Knowhow is here: bots.info says it, and requests carry it
KEEP_CALLS = 2000  # recorded calls kept (FakeSlack records every call)
NOTICES_KEPT = 20
MAX_RESPONSE_BODY = 1024 * 1024  # a response_url post (a message: 50 blocks of at most 3000 characters)


class Workspace(
    DirectoryMixin, MessagesMixin, ResponsesMixin, ModalsMixin, InteractionsMixin, EventsMixin, ReadingMixin
):
    def __init__(
        self,
        *,
        manifest: manifest_mod.Manifest | None = None,
        people=sample.PEOPLE,
        channels=sample.CHANNELS,
        offices=sample.OFFICES,
        enterprise: tuple[str, str] = (sample.ENTERPRISE_ID, sample.ENTERPRISE_NAME),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.slack = FakeSlack(
            token="xoxb-playground-" + secrets.token_hex(12),
            team_id=offices[0].id,
            bot_user_id=sample.BOT_USER_ID,
            bot_id=sample.BOT_ID,
            app_id=APP_ID,
            response_body_limit=MAX_RESPONSE_BODY,
        )
        self.store = self.slack.store
        self.lock = self.store.lock
        # Seconds, for how old a trigger_id or response_url is (tests move it on instead of waiting).
        self.clock = clock
        # An Enterprise Grid organisation of these workspaces, Knowhow installed org-wide (one token).
        self.enterprise = {"id": enterprise[0], "name": enterprise[1]}
        self.offices: dict[str, sample.Office] = {o.id: o for o in offices}
        self.slack.grid(enterprise[0], enterprise[1], org_wide=True)
        for office in offices:
            self.slack.add_workspace(office.id, office.name, domain=office.domain)
        self.manifest = manifest or manifest_mod.load()
        self.signing_secret = secrets.token_hex(16)
        self.demo = False  # `--demo` seeded it (sample.seed_demo): the page shows no welcome
        self.version = 0
        self.people: dict[str, sample.Person] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.stacks: dict[str, list[str]] = defaultdict(list)  # user -> modal view ids, bottom first
        self.view_errors: dict[str, dict[str, str]] = {}
        self.view_problems: dict[str, str] = {}
        self.homes: dict[tuple[str, str], dict[str, Any]] = {}  # (user, workspace) -> their App Home there
        self.home_team: dict[str, str] = {}  # user -> the workspace they last opened the App Home in
        self.notices: dict[str, list[dict[str, Any]]] = defaultdict(list)  # user -> [{"id", "text"}], oldest first
        self._notice_ids = itertools.count(1)
        self.delivered: set[str] = set()  # ts of people's messages Knowhow acked the event of
        self._triggers = {}
        self._responders: dict[str, Responder] = {}
        self._offered: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
        self.sender: SlackSender | None = None  # the first workspace's; `senders` has each one's
        self.senders: dict[str, SlackSender] = {}
        self._setup_events()
        # The stand-in's own handlers, before the workspace replaces some (its overrides wrap these).
        self._stand_in = dict(self.slack.methods)
        self._serve_directory()
        self._serve_messages()
        self._serve_modals()
        self.slack.methods["response_url"] = self._answer_response_url
        self.slack.after_answer.append(self._after_answer)
        self.slack.add_user(self.bot_user_id, name="knowhow", real_name="Knowhow", is_bot=True)
        for p in people:
            self.add_person(p)
        for c in channels:
            self.add_channel(
                id=c.id,
                name=c.name,
                topic=c.topic,
                members=list(c.members),
                is_private=c.is_private,
                bot_member=c.bot_member,
                team=c.team,
                shared_with=list(c.shared_with),
            )

    # -- the stand-in's state, by its Slack names --------------------------------------------------
    team_id = property(lambda self: self.store.team_id)
    bot_user_id = property(lambda self: self.store.bot_user_id)
    bot_id = property(lambda self: self.store.bot_id)
    messages = property(lambda self: self.store.messages)
    views = property(lambda self: self.store.views)
    users = property(lambda self: self.store.users)
    files = property(lambda self: self.store.files)
    group_dms = property(lambda self: self.store.group_dms)
    token = property(lambda self: self.slack.token)
    api_url = property(lambda self: self.slack.api_url)
    base = property(lambda self: self.slack.base)
    address = property(lambda self: self.slack.address)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        return self.slack.message(channel, ts)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Workspace:
        self.slack.start()
        return self

    def connect(self, events_url: str) -> None:
        """Deliver to Knowhow at `events_url` (its /slack/events), signed with `signing_secret`:
        what people do in each workspace goes with that workspace's Grid shapes (an org-wide install)."""
        self.senders = {
            office.id: SlackSender(
                events_url,
                self.signing_secret,
                team_id=office.id,
                team_domain=office.domain,
                api_app_id=APP_ID,
                bot_user_id=self.bot_user_id,
                enterprise_id=self.enterprise["id"],
                enterprise_name=self.enterprise["name"],
                is_enterprise_install=True,
            )
            for office in self.offices.values()
        }
        self.sender = self.senders[self.team_id]
        self._start_events()

    def stop(self) -> None:
        self._stop_events()
        self.slack.stop()

    # -- bookkeeping --------------------------------------------------------------------------
    def _touch(self) -> None:
        """Something changed: call with the lock held (it is reentrant)."""
        with self.lock:
            self.version += 1
            self.lock.notify_all()

    def _after_answer(self, call: Call, answer: Answer) -> None:
        with self.lock:
            if call.method not in READ_ONLY:
                self._touch()
            calls = self.slack.calls
            if len(calls) > KEEP_CALLS:
                del calls[: len(calls) - KEEP_CALLS // 2]

    def notify(self, user: str, text: str) -> None:
        """A line for `user`'s page to show once: in `state.notices` until the page acknowledges it."""
        with self.lock:
            self.notices[user] = (self.notices[user] + [{"id": next(self._notice_ids), "text": text}])[-NOTICES_KEPT:]
            self._touch()

    def ack_notices(self, user: str, ids: list[int]) -> None:
        """`user`'s page has shown the notices `ids`: they are not given again."""
        self.person(user)
        with self.lock:
            self.notices[user] = [n for n in self.notices[user] if n["id"] not in ids]

    # -- forms (seeding and tests) ------------------------------------------------------------------
    @staticmethod
    def initial_state(view: dict[str, Any]) -> dict[str, Any]:
        return forms.initial_state(view)

    @staticmethod
    def fill(view: dict[str, Any], answers: dict[str, Any], *, by_text: bool = False) -> dict[str, Any]:
        return forms.fill(view, answers, by_text=by_text)

    # -- waiting (seeding and tests) --------------------------------------------------------------
    def wait_until(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = check()
                if found:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"gave up waiting after {timeout}s")
                self.lock.wait(min(left, 0.2))

    def find_bot_message(self, channel: str, containing: str) -> dict[str, Any] | None:
        with self.lock:
            for m in self.messages.get(channel, []):
                if m.get("user") != self.bot_user_id:
                    continue
                text = (m.get("text") or "") + block_text(m.get("blocks"))
                if containing in text:
                    return copy.deepcopy(m)
        return None

    def text_of(self, channel: str, ts: str) -> str:
        """A message's text and the texts in its blocks, as a reader sees them ("" when there is none)."""
        message = self.message(channel, ts)
        if not message:
            return ""
        return (message.get("text") or "") + "\n" + block_text(message.get("blocks"))

    def wait_for_bot_message(self, channel: str, containing: str, timeout: float = 10.0) -> dict[str, Any]:
        return self.wait_until(lambda: self.find_bot_message(channel, slack_escape(containing)), timeout)

    def wait_for_ephemeral(self, user: str, channel: str, containing: str, timeout: float = 10.0) -> dict[str, Any]:
        def found():
            for e in self.ephemerals:
                text = (e.get("text") or "") + block_text(e.get("blocks"))
                if e["for_user"] == user and e["channel"] == channel and containing in text:
                    return copy.deepcopy(e)
            return None

        return self.wait_until(found, timeout)

    def wait_for_delivered(self, ts: str, timeout: float = 10.0) -> None:
        self.wait_until(lambda: ts in self.delivered, timeout)
