"""Save-to-served latency of a development server: edit a story, poll until it shows."""

from __future__ import annotations

import datetime
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 0.005
READY_TIMEOUT = 900.0
CHANGE_TIMEOUT = 60.0


class ServeError(Exception):
    """The server did not start, or never served the edited page."""


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(url: str) -> str | None:
    """The page body, or None while the server is not answering it."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local URL)
            body: bytes = response.read()
            return body.decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def wait_for(
    url: str, test: Callable[[str], bool], timeout: float, server: subprocess.Popen[bytes]
) -> None:
    """Poll `url` until its body passes `test`; fail when the server exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = fetch(url)
        if body is not None and test(body):
            return
        if server.poll() is not None:
            raise ServeError(f"server exited with code {server.returncode}")
        time.sleep(POLL_SECONDS)
    raise ServeError(f"{url} did not change within {timeout:.0f} s")


def edit(story: Path, marker: str) -> None:
    """Save `story` with one more paragraph naming `marker`."""
    text = story.read_text(encoding="utf-8")
    story.write_text(f"{text}\nEdited for the benchmark: {marker}.\n", encoding="utf-8")


def redate(story: Path) -> None:
    """Save `story` dated a day earlier: the first `date:` line of its front matter."""
    lines = story.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("date:"))
    day = datetime.date.fromisoformat(lines[number].removeprefix("date:").strip().strip("'\""))
    lines[number] = f"date: {(day - datetime.timedelta(days=1)).isoformat()}"
    story.write_text("\n".join(lines), encoding="utf-8")


def retag(story: Path, tag: str) -> None:
    """Save `story` with `tag` among its tags, or without it if it has it: the first
    `tags: [...]` line of its front matter."""
    lines = story.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("tags:"))
    listed = lines[number].removeprefix("tags:").strip().removeprefix("[").removesuffix("]")
    tags = [name.strip() for name in listed.split(",") if name.strip()]
    tags = [name for name in tags if name != tag] if tag in tags else [*tags, tag]
    lines[number] = "tags: [" + ", ".join(tags) + "]"
    story.write_text("\n".join(lines), encoding="utf-8")


def retitle(story: Path, marker: str) -> None:
    """Save `story` with a title naming `marker`: the first `title:` line of its front matter."""
    lines = story.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("title:"))
    lines[number] = f'title: "Retitled for the benchmark: {marker}"'
    story.write_text("\n".join(lines), encoding="utf-8")


# Each kind of save `save_to_served` times, by the figure it gives: a paragraph added, the
# title, the date a day earlier, a tag added or taken away, a tag no story has added or taken
# away. The last three move the story in the lists, and rebuild the most.
SAVES = ("serve", "serve_retitle", "serve_redate", "serve_retag", "serve_newtag")
# A tag no story of a generated corpus has (`bench.corpus`).
NEW_TAG = "first-of-its-kind"


def save_to_served(
    command: list[str], url: str, story: Path, log: Path, cwd: Path, *, tag: str, edits: int = 3
) -> dict[str, float]:
    """Median seconds from saving `story` to `url` serving it anew, over `edits` saves of
    each kind (`SAVES`); `tag` is the one added and taken away."""
    # Each save, given a marker, and whether it writes it into the page.
    saves: dict[str, tuple[Callable[[str], None], bool]] = {
        "serve": (lambda marker: edit(story, marker), True),
        "serve_retitle": (lambda marker: retitle(story, marker), True),
        "serve_redate": (lambda marker: redate(story), False),
        "serve_retag": (lambda marker: retag(story, tag), False),
        "serve_newtag": (lambda marker: retag(story, NEW_TAG), False),
    }
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            wait_for(url, lambda body: True, READY_TIMEOUT, server)
            return {
                figure: statistics.median(
                    one_edit(url, save, server, n, shows_marker=shows) for n in range(edits)
                )
                for figure, (save, shows) in saves.items()
            }
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def one_edit(
    url: str,
    save: Callable[[str], None],
    server: subprocess.Popen[bytes],
    number: int,
    *,
    shows_marker: bool = True,
) -> float:
    """Seconds from one save, given a marker, to `url` serving it: showing the marker, or,
    for a save that writes none (a date, a tag), changed."""
    # Let the watcher settle so one save is not merged with the previous one.
    time.sleep(1.0)
    marker = f"served-edit-{number}-{time.time_ns()}"
    before = fetch(url)
    start = time.perf_counter()
    save(marker)

    def served(body: str) -> bool:
        return marker in body if shows_marker else body != before

    wait_for(url, served, CHANGE_TIMEOUT, server)
    return time.perf_counter() - start
