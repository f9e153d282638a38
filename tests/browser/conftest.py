"""The playground's page in a real headless browser: Debian's Chromium driven by Playwright (through
its executable path; Playwright never downloads a browser here). Skipped, with the reason, where
either is missing.

The playground is started once per test module with Knowhow in this process (tests/playground/
runs `knowhow run` as a real child process), so a test can move Knowhow's clock on."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from core import clock
from playground import sample
from playground.run import Playground
from tests.playground.conftest import _no_proxy  # noqa: F401  (a fixture, reused as it is)

try:
    from playwright import sync_api
except ImportError:  # the tests skip, saying so (below)
    sync_api = None

CHROMIUM = os.environ.get("KNOWHOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
UNAVAILABLE = (
    "Playwright is not installed (pip install -e '.[test]')"
    if sync_api is None
    else None
    if CHROMIUM
    else "Chromium is not installed (Debian: apt-get install chromium); the browser tests need it"
)

if sync_api is not None:
    expect = sync_api.expect
    # expect() waits this long by default; Knowhow answers through its outbox, well within it.
    expect.set_options(timeout=15_000)
else:
    expect = None


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    """Every browser test skips, with the reason, before anything starts, when one part is missing.
    (A module-level skip in a conftest would stop pytest itself when given tests/browser.)"""
    if UNAVAILABLE:
        pytest.skip(UNAVAILABLE)


VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    """The playground with Knowhow in this process: the same `bot.service.Knowhow` that `knowhow
    run` starts (tests/playground/ runs it as a real child process), so that a test can move
    Knowhow's clock on (`core.clock.advance`) instead of waiting for it."""
    with (
        pytest.MonkeyPatch.context() as patch,
        Playground(port=0, data_dir=tmp_path_factory.mktemp("playground"), knowhow="inprocess") as running,
    ):
        patch.setattr(clock, "_offset", clock._offset)  # the clock these tests move on is put back after
        yield running


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-proxy-server"])  # headless
        yield browser
        browser.close()


@pytest.fixture
def page(browser, playground):
    """A fresh tab (its own storage, so its own 'act as'), on the playground's page."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # Anything the page's Content-Security-Policy refused (an inline style, an image from elsewhere).
    tab.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    tab.base_url = playground.url.rstrip("/")
    yield tab
    context.close()
    assert not errors, f"the page threw: {errors}"


class Person:
    """What someone at the page does: pick who they act as, open a conversation, type, click."""

    def __init__(self, tab):
        self.tab = tab

    def open(self, user: str, conversation: str) -> Person:
        self.tab.goto(f"{self.tab.base_url}/?as={user}#{conversation}")
        expect(self.tab.locator("body")).to_have_attribute("data-as", user)
        expect(self.tab.get_by_test_id(f"conv-{conversation}")).to_have_attribute("aria-current", "page")
        return self

    def act_as(self, user: str) -> Person:
        self.tab.get_by_test_id("act-as").select_option(user)
        expect(self.tab.locator("body")).to_have_attribute("data-as", user)
        return self

    def go(self, conversation: str) -> Person:
        self.tab.get_by_test_id(f"conv-{conversation}").click()
        expect(self.tab.get_by_test_id(f"conv-{conversation}")).to_have_attribute("aria-current", "page")
        return self

    def say(self, text: str) -> None:
        """Type into the message box and press Enter (slash commands included); back once the
        playground has taken it (a command once Knowhow acknowledged it), as the next thing typed
        would be."""
        self._send(self.tab.get_by_test_id("composer"), text)

    def reply(self, text: str) -> None:
        """The same, in the open thread's reply box."""
        self._send(self.tab.get_by_test_id("thread-composer"), text)

    def _send(self, box, text: str) -> None:
        box.fill(text)
        with self.tab.expect_response(lambda r: r.url.endswith("/api/message") and r.request.method == "POST") as sent:
            box.press("Enter")
        assert sent.value.ok, sent.value.text()
        expect(box).to_have_value("")

    def messages(self, text: str | re.Pattern | None = None):
        found = self.tab.get_by_test_id("messages").get_by_test_id("message")
        return found.filter(has_text=text) if text is not None else found

    def thread_messages(self, text: str | re.Pattern | None = None):
        found = self.tab.get_by_test_id("thread").get_by_test_id("message")
        return found.filter(has_text=text) if text is not None else found

    def message_action(self, message, test_id: str) -> None:
        """Click a button of the message's action bar (reply, react, ⋯), which shows while the pointer
        is over the message, as in Slack. Once, beside a CPU hog, the bar stayed hidden after the
        hover (not reproduced; most likely a message arriving late scrolled the pane, so the pointer
        was no longer over it): hovered again, as a person would."""
        for attempt in range(3):
            message.hover()
            try:
                message.get_by_test_id(test_id).click(timeout=3000)
                return
            except sync_api.TimeoutError:
                if attempt == 2:
                    raise

    def message_shortcut(self, message, callback_id: str) -> None:
        """Run a message shortcut from the message's ⋯ menu."""
        self.message_action(message, "msg-menu")
        message.get_by_test_id(f"shortcut-{callback_id}").click()

    @property
    def modal(self):
        return self.tab.get_by_test_id("modal")

    def field(self, action_id: str):
        """An input of the open modal, by its Block Kit action_id."""
        return self.modal.locator(f'[data-action-id="{action_id}"]')

    def submit(self) -> None:
        self.modal.get_by_test_id("modal-submit").click()


@pytest.fixture
def person(page):
    return Person(page)


QA, EXPERT, GENERAL = sample.QA_CHANNEL, sample.EXPERT_CHANNEL, sample.GENERAL_CHANNEL
SG_GENERAL = sample.SG_GENERAL_CHANNEL


def dm_with_knowhow(user: str) -> str:
    return "D" + user[1:]
