"""`frontmatter.body` finds the same body as `split`, without reading the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.content.frontmatter import body, split
from sitegen.errors import ContentError

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = sorted((ROOT / "content").rglob("*.md"))
PATH = Path("stories/x.md")
# Line ends, a byte order mark, spaces after fences, dashes that are not fences, no last newline.
TEXTS = {
    "plain": "---\ntitle: A\n---\nBody\n",
    "crlf": "---\r\ntitle: A\r\n---\r\nBody\r\nmore\r\n",
    "bom": "\ufeff---\ntitle: A\n---\n\nBody",
    "spaces after fences": "--- \t\ntitle: A\n---  \nBody\n",
    "no body": "---\ntitle: A\n---",
    "empty front matter": "---\n---\nBody\n",
    "rule in the body": "---\ntitle: A\n---\nOne\n---\nTwo\n",
    "dashes that are no fence": "---\ntitle: A\n----: 1\n---x: 2\nb: |\n  ---\n---\nBody\n",
    "lone carriage returns": "---\ntitle: A\n---\r \nBody\rmore\r",
}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_body_of_every_sample_file_is_the_body_split_returns(path: Path) -> None:
    text = path.read_text("utf-8")
    assert body(text, path) == split(text, path)[1]


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_body_is_the_body_split_returns(text: str) -> None:
    assert body(text, PATH) == split(text, PATH)[1]


def test_split_numbers_the_body_after_the_closing_fence() -> None:
    fields, text, line = split(TEXTS["dashes that are no fence"], PATH)
    found = {key: (field.value, field.line) for key, field in fields.items()}
    assert found == {"title": ("A", 2), "----": (1, 3), "---x": (2, 4), "b": ("---", 5)}
    assert (text, line) == ("Body\n", 8)


def test_body_skips_the_front_matter_unread() -> None:
    assert body("---\ntitle: [unclosed\n---\nBody", PATH) == "Body"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: A\n---\nBody\n", "the file must start with front matter"),
        ("", "the file must start with front matter"),
        ("---", "the front matter is not closed"),
        ("---\ntitle: A\n----\nBody\n", "the front matter is not closed"),
    ],
)
def test_body_reports_missing_fences_as_split_does(text: str, message: str) -> None:
    for read in (body, split):
        with pytest.raises(ContentError) as caught:
            read(text, PATH)
        assert [(p.line, p.message) for p in caught.value.problems] == [(1, message)]
