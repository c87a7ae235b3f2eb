"""Editing content changes open pages; a broken file shows an overlay over the last good build."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import DevServer

pytestmark = [pytest.mark.browser, pytest.mark.dynamodb]

STORY_URL = "/en/stories/alice-almeida/"
OVERLAY = "#dev-build-error"


@pytest.fixture
def page(browser: Browser, dev_server: DevServer) -> Iterator[Page]:
    """A tab that may poll with evaluated expressions despite the content security policy."""
    context = browser.new_context(base_url=dev_server.url, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def story(dev_server: DevServer, page: Page) -> Iterator[Path]:
    """The story's file in the served copy, put back as it was after the test."""
    path = dev_server.root / "content" / "stories" / "alice-almeida.en.md"
    original = path.read_text(encoding="utf-8")
    yield path
    path.write_text(original, encoding="utf-8")
    title = text_title(original)
    page.goto(STORY_URL)
    expect(page.locator("h1")).to_have_text(title, timeout=5000)


def test_editing_a_story_changes_the_open_page_by_itself(page: Page, story: Path) -> None:
    """How soon is for `bench/build.py` to say (save to served); here, the page must change
    without anyone reloading it, while the tests around it load the machine."""
    page.goto(STORY_URL)
    text = story.read_text(encoding="utf-8")
    old_title = page.locator("h1").inner_text()

    started = time.monotonic()
    story.write_text(text.replace(old_title, "Seventeen years, and a fresh start", 1), "utf-8")
    page.wait_for_function(
        "document.querySelector('h1').textContent === 'Seventeen years, and a fresh start'",
        timeout=5000,
        polling=20,
    )
    print(f"live reload: the page changed {time.monotonic() - started:.2f} s after the edit")


def test_a_content_error_shows_an_overlay_and_keeps_the_last_good_build(
    page: Page, story: Path, dev_server: DevServer
) -> None:
    page.goto(STORY_URL)
    title = page.locator("h1").inner_text()
    text = story.read_text(encoding="utf-8")

    story.write_text(text.replace("title:", "titel:", 1), encoding="utf-8")
    overlay = page.locator(OVERLAY)
    expect(overlay).to_be_visible(timeout=3000)
    expect(overlay).to_contain_text("alice-almeida.en.md:")
    expect(overlay).to_contain_text("titel")
    assert "alice-almeida.en.md:" in dev_server.output()

    # The server keeps serving the last good build, and new pages show the error too.
    with urllib.request.urlopen(dev_server.url + STORY_URL, timeout=5) as response:  # noqa: S310
        assert title in response.read().decode()
    page.reload()
    expect(page.locator("h1")).to_have_text(title)
    expect(overlay).to_be_visible()

    story.write_text(text, encoding="utf-8")
    expect(overlay).to_be_hidden(timeout=3000)
    expect(page.locator("h1")).to_have_text(title)


def test_many_open_tabs_all_load_and_all_reload(
    browser: Browser, dev_server: DevServer, story: Path
) -> None:
    """Browsers allow six connections per server; one event stream per tab would use them up.

    Twice in CI, under load, the renderer of one of the eight tabs of headless Chromium
    crashed while they all reloaded at once ("Page crashed"); never in runs here, under load
    or with a small /dev/shm. A run in which a tab crashed is run once more, with a new title,
    in a new window: a second crash fails the test, as any other failure does at once."""
    text = story.read_text(encoding="utf-8")
    for attempt, title in enumerate(["Seventeen years, and many tabs", "Many tabs, once more"]):
        crashed: list[Page] = []
        context = browser.new_context(base_url=dev_server.url, bypass_csp=True)
        try:
            tabs = [context.new_page() for _ in range(8)]
            for tab in tabs:
                tab.on("crash", noting(crashed))
                tab.goto(STORY_URL, timeout=5000)
            old_title = tabs[0].locator("h1").inner_text()
            assert old_title != title
            story.write_text(text.replace(text_title(text), title, 1), "utf-8")
            for tab in tabs:
                expect(tab.locator("h1")).to_have_text(title, timeout=5000)
            assert not crashed
            return
        except (AssertionError, PlaywrightError):
            if not crashed or attempt:
                raise
        finally:
            context.close()


def noting(crashed: list[Page]) -> Callable[[Page], None]:
    """What notes a crashed tab in `crashed` (a function of ours: Playwright keeps its
    wrapper on the function it is given, which a built-in method cannot hold)."""

    def note(tab: Page) -> None:
        crashed.append(tab)

    return note


def text_title(text: str) -> str:
    """The title in a story's front matter, as written."""
    return text.split("title:", 1)[1].splitlines()[0].strip().strip("\"'")
