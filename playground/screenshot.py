"""The README's picture of the playground: the real page, with the demo's data, in headless Chromium.

    .venv/bin/python -m playground.screenshot [docs/playground.png]

Needs Playwright (the `[test]` extra) and a Chromium on PATH (Debian: `apt-get install chromium`);
Playwright drives it by its path and downloads nothing. tests/browser/test_screenshot.py takes the
same picture on every run (into a temporary directory)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playground import sample

SIZE = {"width": 1280, "height": 800}
AS = "U0EMMA0001"  # a reader of the Q&A channel in London (Hugo, who asked, would also see his private "Accepted" note)


def shoot(page, url: str, out: str | Path, *, timeout: float = 15_000) -> Path:
    """Open the Q&A channel as Emma, with the thread of the demo's resolved question, and save a PNG."""
    from playwright.sync_api import expect

    page.set_viewport_size(SIZE)
    page.goto(f"{url.rstrip('/')}/?as={AS}#{sample.QA_CHANNEL}")
    question = sample.QUESTIONS[0]["text"]
    post = page.get_by_test_id("messages").get_by_test_id("message").filter(has_text=question)
    expect(post).to_contain_text("Resolved", timeout=timeout)
    post.get_by_test_id("replies").click()
    thread = page.get_by_test_id("thread")
    for _, reply in sample.QUESTIONS[0]["replies"]:
        expect(thread.get_by_test_id("message").filter(has_text=reply[:40])).to_have_count(1, timeout=timeout)
    page.mouse.move(0, 0)  # no hover toolbar in the picture
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.get_by_test_id("composer").fill("/")  # the slash commands the composer offers
    expect(page.get_by_test_id("slash-hints")).to_be_visible(timeout=timeout)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), animations="disabled", caret="hide")
    return out


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    from playground.run import Playground

    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/playground.png")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("playground.screenshot: no chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as data, Playground(port=0, data_dir=data, demo=True) as running:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-proxy-server"])
            try:
                shoot(browser.new_page(locale="en-GB"), running.url, out)
            finally:
                browser.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
