"""The benchmark's edits to a story's front matter change only what they name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench import build, corpus
from bench.latency import redate, retag, retitle


def front(path: Path) -> dict[str, object]:
    found = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    assert isinstance(found, dict)
    return found


@pytest.mark.parametrize("shape", sorted(corpus.SHAPES))
def test_a_tags_edit_adds_a_tag_of_the_corpus_and_takes_it_away_again(
    tmp_path: Path, shape: str
) -> None:
    chosen = corpus.SHAPES[shape]
    slug, text = corpus.story(5, chosen)
    story = tmp_path / corpus.file_of(slug, chosen)
    story.write_text(text, encoding="utf-8")
    tag = build.other_tag(chosen, story)
    assert tag in chosen.tags()
    tags = front(story)["tags"]
    assert isinstance(tags, list)
    assert tag not in tags
    retag(story, tag)
    assert front(story)["tags"] == [*tags, tag]
    retag(story, tag)
    assert front(story)["tags"] == tags
    assert build.other_tag(chosen, story) == tag


def test_the_date_and_title_edits_change_their_line_alone(tmp_path: Path) -> None:
    slug, text = corpus.story(7)
    story = tmp_path / f"{slug}.md"
    story.write_text(text, encoding="utf-8")
    before = front(story)
    redate(story)
    retitle(story, "marker")
    after = front(story)
    assert str(after["date"]) < str(before["date"])
    assert "marker" in str(after["title"])
    assert {k: v for k, v in after.items() if k not in {"date", "title"}} == {
        k: v for k, v in before.items() if k not in {"date", "title"}
    }
