"""Whatever a person types, their request reaches its listener: the realistic-text corpus
(tests/corpus.py: several hundred questions about software, HR, travel, tools, finance and
facilities, in many languages, with code, URLs, Slack markup and the words of Slack's wire formats)
after `/ask`, `/expert` and `/mentor`, as a thread reply, in the `/ask` form, in the form's topics
picker and in a message shortcut, over the HTTP front (signed, form-encoded exactly as Slack sends
them) and over Socket Mode. None is answered 404 (Bolt's "unhandled request": the person sees
"dispatch_failed") or 5xx, none is refused before its listener, and each answer is the listener's
own: "I don't know `/expert …`", or the request stored as sent, for the work worker.

One running app per mode and database for the module, its workers stopped: what is tested is the
ack path, and what each listener stored stays as it stored it.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlmodel import select

from bot import ids
from bot.config import Settings
from bot.service import Knowhow
from bot.tenancy import GUEST_KNOWLEDGE_TEXT, GUEST_MENTOR_TEXT, GUEST_OTHER_TEXT, NOT_SERVED_TEXT
from core import asking
from core.markup import escape
from fakeslack import FakeSlack, SlackSender
from fakeslack.socket_mode import SocketModeServer
from notify import kinds
from storage.db import session_scope
from storage.models import OutboxMessage

from ..conftest import _empty_pg
from ..corpus import as_slack_sends, realistic_texts
from .conftest import QA_CHANNEL, SECRET

TEXTS = realistic_texts()
# Where each request costs more (a reply through the response_url, a topics look-up): every 4th text.
SAMPLE = TEXTS[::4]
ASKER, HELPER = "U0STUDENT1", "U0HELPER01"
SENDERS = 8  # requests in flight at once, as several people use Knowhow at the same time
# Over Socket Mode, Bolt acks only a listener's answer: an unhandled request (a 404 over HTTP) or a
# failure is never acked. What this module tests is that every text reaches its listener, so an
# envelope is taken as unhandled only when no ack came for this long. Acks within Slack's 3 s, under
# a burst and with Slack hanging, are tests/edge/test_slow_slack.py's (with a 3 s limit here, a full run on a machine at load 9
# once reported 8 of 702 form submissions as unhandled).
UNHANDLED_SECONDS = 20
# First words the commands take as a subcommand; any other first word is answered "I don't know".
EXPERT_WORDS = {"", *"help channels list schedule cancel start close topics".split()}
MENTOR_WORDS = {"", *"help ? volunteer find profile pause resume leave topics scoreboard broadcast".split()}
NOT_THE_LISTENERS = (NOT_SERVED_TEXT, GUEST_KNOWLEDGE_TEXT, GUEST_MENTOR_TEXT, GUEST_OTHER_TEXT)
FAILED = "try again in a minute"


@dataclass
class Front:
    """One running Knowhow and the way Slack reaches it (HTTP or Socket Mode)."""

    mode: str
    service: Knowhow
    slack: SlackSender  # signs and sends (HTTP), or only builds payloads (Socket Mode)
    fake: FakeSlack
    socket: SocketModeServer | None = None

    def command(self, command: str, text: str, trigger_id: str) -> tuple[int, dict]:
        """(HTTP status, or 200 when Socket Mode acked; the answer)."""
        response_url = self.fake.response_url("corpus")
        body = self.slack.command_body(command, "", user_id=ASKER, response_url=response_url, trigger_id=trigger_id)
        fields = {**dict(parse_qsl(body.decode(), keep_blank_values=True)), "text": text}  # in Slack's order
        if self.socket is None:
            return _answer(self.slack.send_signed(urlencode(fields).encode(), "application/x-www-form-urlencoded"))
        return self._socket("slash_commands", fields)

    def event(self, event: dict, event_id: str) -> tuple[int, dict]:
        if self.socket is None:
            return _answer(self.slack.event(event, event_id=event_id))
        return self._socket("events_api", json.loads(self.slack.event_body(event, event_id=event_id)))

    def interaction(self, payload: dict) -> tuple[int, dict]:
        if self.socket is None:
            return _answer(self.slack.interaction(payload))
        return self._socket("interactive", payload)

    def _socket(self, kind: str, payload: dict) -> tuple[int, dict]:
        try:
            ack = self.socket.send(kind, payload, timeout=UNHANDLED_SECONDS)
        except AssertionError:  # Bolt acks only a 200: a 404 or a 500 leaves the envelope unacked
            return 0, {}
        return 200, ack.get("payload") or {}


def _answer(response) -> tuple[int, dict]:
    try:
        return response.status, (response.json() or {}) if response.body else {}
    except ValueError:
        return response.status, {"text": response.body.decode(errors="replace")}


# -- one running app per mode and database ----------------------------------------------------------


@pytest.fixture(
    scope="module",
    params=[
        "http-sqlite",
        pytest.param("http-postgres", marks=pytest.mark.postgres),
        "socket-sqlite",
        pytest.param("socket-postgres", marks=pytest.mark.postgres),
    ],
)
def front(request, tmp_path_factory):
    mode, database = request.param.split("-")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            patch.delenv(name, raising=False)  # the stand-in is on loopback
        if database == "sqlite":
            path = tmp_path_factory.mktemp("corpus") / "knowhow.db"
            shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), path)
            url = f"sqlite:///{path}"
        else:
            url = request.getfixturevalue("pg_url")
            _empty_pg(url)
        with FakeSlack() as fake:
            settings = Settings(
                bot_token=fake.token,
                signing_secret=SECRET,
                api_url=fake.api_url,
                database_url=url,
                port=0,
                qa_channel=QA_CHANNEL,
                workers="threads",
            )
            socket = None
            if mode == "socket":
                socket = SocketModeServer().start()
                fake.socket_mode = socket
                settings = settings.model_copy(update=dict(app_token="xapp-1-fake", signing_secret=None))
            service = Knowhow(settings, host="127.0.0.1", outbox_poll_seconds=0.2)
            service.start()
            # The ack path only: what each listener stored stays as it stored it. The workers (a
            # process of their own by default) would otherwise post hundreds of questions meanwhile.
            service.workers.stop()
            try:
                slack = SlackSender(f"http://127.0.0.1:{service.http.port}/slack/events", SECRET)
                yield Front(mode, service, slack, fake, socket)
            finally:
                service.stop()
                if socket is not None:
                    socket.stop()
        if database == "postgres":
            _empty_pg(url)


def _each(texts: list[str], send: Callable[[int, str], str | None]) -> list[str]:
    """Send every text (several at once); the problems found, one line each."""
    with ThreadPoolExecutor(SENDERS) as pool:
        problems = pool.map(send, range(len(texts)), texts)
    return [p for p in problems if p]


def _report(problems: list[str], texts: list[str], what: str) -> str:
    shown = "\n".join(problems[:15])
    return f"{len(problems)} of {len(texts)} texts did not reach {what}:\n{shown}"


def _short(text: str) -> str:
    return repr(text if len(text) <= 70 else text[:67] + "...")


def _said(answer: dict) -> str:
    return (answer.get("text") or "") + json.dumps(answer.get("blocks") or [], ensure_ascii=False)


def _listener_answered(status: int, answer: dict) -> str | None:
    """Why this is not a listener's answer (None when it is): HTTP 200 (Socket Mode: acked), and
    neither the middleware's refusal nor a listener's failure."""
    if status != 200:
        return f"HTTP {status}" if status else "not acked"
    said = _said(answer)
    if any(refusal in said for refusal in NOT_THE_LISTENERS):
        return f"refused before the listener: {said[:80]!r}"
    if FAILED in said:
        return f"the listener failed: {said[:80]!r}"
    return None


def _work(front: Front, kind: str) -> dict[str, dict]:
    """The requests stored for the work worker, by their key: what each listener wrote."""
    with session_scope(front.service.engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == kind))
        return {row.dedupe_key: json.loads(row.payload) for row in rows}


def _ask_form(front: Front) -> dict:
    """The /ask form, as views.open gave it to Slack."""
    opened = len(front.fake.calls_to("views.open"))
    status, _ = front.command("/ask", "", front.slack.trigger_id())
    assert status == 200
    front.fake.wait_for("views.open", opened + 1)
    return list(front.fake.views.values())[-1]


def _max_length(view: dict, action_id: str) -> int:
    [element] = [b["element"] for b in view["blocks"] if b.get("element", {}).get("action_id") == action_id]
    return element["max_length"]


# -- slash commands ---------------------------------------------------------------------------------


def test_every_text_asked_with_slash_ask_is_stored_as_asked(front):
    before = set(_work(front, kinds.WORK_ASK))
    questions: dict[str, str] = {}  # trigger_id (the request's id) -> the text Knowhow should keep
    lock = threading.Lock()

    def send(i: int, typed: str) -> str | None:
        text = as_slack_sends(typed, markup=False)  # /ask: should_escape off
        trigger = front.slack.trigger_id()
        status, answer = front.command("/ask", text, trigger)
        if problem := _listener_answered(status, answer):
            return f"{_short(typed)}: {problem}"
        parsed = asking.parse_ask(text)
        if parsed.intent is asking.AskIntent.QUESTION and len(parsed.text) <= asking.MAX_QUESTION_CHARS:
            if "looking for earlier answers" not in _said(answer):
                return f"{_short(typed)}: answered {_said(answer)[:80]!r}"
            with lock:
                questions[trigger] = parsed.text
        elif not answer and parsed.intent is not asking.AskIntent.FORM:
            return f"{_short(typed)}: no answer"
        return None

    problems = _each(TEXTS, send)
    assert not problems, _report(problems, TEXTS, "/ask")
    assert len(questions) > len(TEXTS) * 0.9  # nearly all of them are questions
    # Each stored once by the ack, as asked, for the work worker.
    stored = {key: row["text"] for key, row in _work(front, kinds.WORK_ASK).items() if key not in before}
    assert stored == {f"ask:{trigger}": text for trigger, text in questions.items()}


@pytest.mark.parametrize(
    "command, markup, subcommands",
    [("/expert", True, EXPERT_WORDS), ("/mentor", False, MENTOR_WORDS)],
    ids=["expert", "mentor"],
)
def test_every_text_after_expert_and_mentor_reaches_the_command(front, command, markup, subcommands):
    def send(i: int, typed: str) -> str | None:
        text = as_slack_sends(typed, markup=markup)
        status, answer = front.command(command, text, front.slack.trigger_id())
        if problem := _listener_answered(status, answer):
            return f"{_short(typed)}: {problem}"
        first = text.strip().partition(" ")[0].lower()
        if first not in subcommands and f"I don't know `{command} " not in _said(answer):
            return f"{_short(typed)}: answered {_said(answer)[:80]!r}"
        return None

    problems = _each(TEXTS, send)
    assert not problems, _report(problems, TEXTS, command)


# -- events and interactions ------------------------------------------------------------------------


def test_every_text_as_a_thread_reply_is_kept_as_sent(front):
    before = set(_work(front, kinds.WORK_MESSAGE))
    sent: dict[str, str] = {}  # the work's key (its event_id) -> the reply's text
    lock = threading.Lock()
    thread_ts = "1754600000.000100"

    def send(i: int, typed: str) -> str | None:
        text = as_slack_sends(typed, markup=True)
        ts = f"{1754600001 + i}.000200"
        reply = front.slack.thread_reply(channel=QA_CHANNEL, thread_ts=thread_ts, ts=ts, user=HELPER, text=text)
        event_id = f"Ev0CORPUS{i:05d}"
        status, answer = front.event(reply, event_id)
        if problem := _listener_answered(status, answer):
            return f"{_short(typed)}: {problem}"
        with lock:
            sent[f"event:{event_id}"] = text
        return None

    problems = _each(TEXTS, send)
    assert not problems, _report(problems, TEXTS, "the message listener")
    kept = {key: row["event"]["text"] for key, row in _work(front, kinds.WORK_MESSAGE).items() if key not in before}
    assert kept == sent


def test_every_text_asked_in_the_ask_form_is_stored_as_typed(front):
    form = _ask_form(front)
    before = set(_work(front, kinds.WORK_ASK_FORM))
    asked: dict[str, str] = {}  # view id -> the text Knowhow should keep
    lock = threading.Lock()
    limit = _max_length(form, ids.ASK_MODAL_QUESTION)

    def send(i: int, typed: str) -> str | None:
        typed = typed[:limit]  # Slack lets nobody type more than the input's max_length
        view = {**form, "id": f"V0CORPUS{i:05d}"}
        values = front.slack.view_state_values(view, {ids.ASK_MODAL_QUESTION: typed})
        status, answer = front.interaction(front.slack.view_submission_payload(user=ASKER, view=view, values=values))
        if problem := _listener_answered(status, answer):
            return f"{_short(typed)}: {problem}"
        if answer.get("response_action") != "update":  # the form says "looking…"
            return f"{_short(typed)}: answered {json.dumps(answer)[:80]}"
        with lock:
            asked[f"view:{view['id']}"] = escape(typed)
        return None

    problems = _each(TEXTS, send)
    assert not problems, _report(problems, TEXTS, "the /ask form")
    stored = {key: row["text"] for key, row in _work(front, kinds.WORK_ASK_FORM).items() if key not in before}
    assert stored == asked


def test_every_text_in_a_message_shortcut_reaches_the_shortcut(front):
    told_before = len(front.fake.calls_to("response_url"))

    def send(i: int, typed: str) -> str | None:
        message = {
            "type": "message",
            "user": HELPER,
            "text": as_slack_sends(typed, markup=True),
            "ts": f"{1754700001 + i}.000300",
            "thread_ts": "1754700000.000100",
        }
        payload = front.slack.message_action_payload(
            user=ASKER,
            callback_id=ids.ACCEPT_ANSWER_SHORTCUT,
            message=message,
            channel=QA_CHANNEL,
            response_url=front.fake.response_url(f"shortcut-{i}"),
        )
        status, answer = front.interaction(payload)
        if problem := _listener_answered(status, answer):
            return f"{_short(typed)}: {problem}"
        return None

    problems = _each(SAMPLE, send)
    assert not problems, _report(problems, SAMPLE, "the message shortcut")
    # The shortcut tells each person its outcome through the response_url: every one of them ran.
    told = front.fake.wait_for("response_url", told_before + len(SAMPLE))[told_before:]
    assert sorted(c.path for c in told) == sorted(f"/response/shortcut-{i}" for i in range(len(SAMPLE)))


def test_every_text_typed_in_the_topics_picker_gets_its_options(front):
    form = _ask_form(front)

    def send(i: int, typed: str) -> str | None:
        payload = front.slack.block_suggestion_payload(
            user=ASKER, action_id=ids.ASK_MODAL_TOPICS, block_id=ids.ASK_MODAL_TOPICS, value=typed, view=form
        )
        status, answer = front.interaction(payload)
        if problem := _listener_answered(status, answer):
            return f"{_short(typed)}: {problem}"
        if not isinstance(answer.get("options"), list):
            return f"{_short(typed)}: answered {json.dumps(answer)[:80]}"
        return None

    problems = _each(SAMPLE, send)
    assert not problems, _report(problems, SAMPLE, "the topics picker")


# -- text that is not Unicode ----------------------------------------------------------------------


def test_half_an_emoji_reaches_the_listener_as_a_replacement_character(front):
    """JSON's \\u escapes can carry half of a UTF-16 pair (an emoji cut in two), which no database
    can store: it arrives as U+FFFD, as a byte that is not UTF-8 does in a form."""
    broken, kept = "Is the deploy done? \ud83d", "Is the deploy done? \ufffd"
    reply = front.slack.thread_reply(
        channel=QA_CHANNEL, thread_ts="1754800000.000100", ts="1754800001.000200", user=HELPER, text=broken
    )
    assert front.event(reply, "Ev0HALFEMOJI") == (200, {})
    assert _work(front, kinds.WORK_MESSAGE)["event:Ev0HALFEMOJI"]["event"]["text"] == kept

    form = {**_ask_form(front), "id": "V0HALFEMOJI"}
    values = front.slack.view_state_values(form, {ids.ASK_MODAL_QUESTION: broken})
    status, answer = front.interaction(front.slack.view_submission_payload(user=ASKER, view=form, values=values))
    assert (status, answer.get("response_action")) == (200, "update")
    assert _work(front, kinds.WORK_ASK_FORM)["view:V0HALFEMOJI"]["text"] == kept

    if front.socket is not None:  # a command over HTTP is form-encoded: it cannot hold one
        trigger = front.slack.trigger_id()
        status, answer = front.command("/ask", broken, trigger)
        assert status == 200 and "looking for earlier answers" in _said(answer)
        assert _work(front, kinds.WORK_ASK)[f"ask:{trigger}"]["text"] == kept
