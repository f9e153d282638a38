"""The README's screenshot, taken from the real page with the demo's data (`python -m
playground.screenshot docs/playground.png` takes the committed one the same way)."""

from __future__ import annotations

import struct

import pytest

from playground.run import Playground
from playground.screenshot import SIZE, shoot
from tests.browser.conftest import QA, expect


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    """As tests/playground's fixture, with `--demo`'s questions, session and mentors."""
    with Playground(port=0, data_dir=tmp_path_factory.mktemp("playground-demo"), demo=True) as running:
        yield running


def test_the_readme_screenshot_shows_the_demo(page, playground, tmp_path):
    out = shoot(page, playground.url, tmp_path / "playground.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (SIZE["width"], SIZE["height"])
    assert len(data) < 300_000


def test_a_demo_playground_opens_on_its_content_without_the_welcome(page, playground):
    """The welcome's three things to try are for an empty playground (`make run`); with --demo's
    content the Q&A channel begins as any other."""
    page.goto(f"{playground.url}?as=U0EMMA0001#{QA}")
    expect(page.get_by_test_id("messages").get_by_test_id("message")).not_to_have_count(0)
    expect(page.get_by_test_id("messages")).to_contain_text("This is the very beginning of #ask-anything.")
    expect(page.get_by_test_id("welcome")).to_have_count(0)
