"""A running playground (the workspace, the real `knowhow run` as a child process, the page API),
driven through its JSON API as the page does."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from fakeslack.server import block_text
from playground.run import Playground


class Page:
    """What the browser page does: GET and POST JSON to the playground's API."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str, **query) -> tuple[int, dict]:
        from urllib.parse import urlencode

        return self._open(urllib.request.Request(self.url + path + ("?" + urlencode(query) if query else "")))

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        return self._open(request)

    def _open(self, request) -> tuple[int, dict]:
        try:
            with self.opener.open(request, timeout=15) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as answer:
            return answer.code, json.loads(answer.read())

    # the page's reads
    def state(self, user: str, team: str | None = None) -> dict:
        status, body = self.get("/api/state", **{"as": user}, **({"team": team} if team else {}))
        assert status == 200 and body["ok"], body
        return body

    def messages(self, user: str, channel: str) -> list[dict]:
        status, body = self.get("/api/messages", **{"as": user, "channel": channel})
        assert status == 200 and body["ok"], body
        return body["messages"]

    def thread(self, user: str, channel: str, ts: str) -> dict:
        status, body = self.get("/api/thread", **{"as": user, "channel": channel, "ts": ts})
        assert status == 200 and body["ok"], body
        return body

    def act(self, path: str, **body) -> dict:
        body["as"] = body.pop("as_")
        status, answer = self.post(path, body)
        assert status == 200 and answer["ok"], answer
        return answer


def eventually(check, timeout: float = 15.0, every: float = 0.05):
    """Poll as the page does, until `check()` gives something true."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {check}")
        time.sleep(every)


def text_of(message: dict) -> str:
    """A message's text and every text in its blocks, as the page shows it."""
    return (message.get("text") or "") + "\n" + block_text(message.get("blocks"))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    """The real thing: `knowhow run` as a child process, in HTTP mode, against the workspace."""
    with Playground(port=0, data_dir=tmp_path_factory.mktemp("playground")) as running:
        yield running


@pytest.fixture(scope="module")
def page(playground):
    return Page(playground.url)
