"""Saved documents as plain values come back as they were."""

from __future__ import annotations

import dataclasses
import marshal
from datetime import date
from pathlib import Path

import pytest

from sitegen.content.schema import Document
from sitegen.incremental.plain import document_from, plain_document

PATHS = [
    "/site/content/stories/a.md",
    "/site/content/stories/b.md",
    "content/stories/a.de.md",
    "a.md",
    "/a.md",
    "//host/share/a.md",
    "//host/share/b.md",
    "../elsewhere/a.md",
    "/site/content/stories/with space.md",
    "/site/content/stories/\udcff-not-utf-8.md",
    "/site/content/stories/a..md",
    "/site/content/..",
]


@pytest.mark.parametrize("text", PATHS)
def test_a_documents_path_comes_back_as_it_was(text: str) -> None:
    doc = Document("stories", "a", "en", Path(text), "T", "S.", date=date(2024, 1, 2))
    # Twice: the second is made from the first's folder.
    for other in (doc, dataclasses.replace(doc, path=Path(text))):
        values = plain_document(other)
        assert values is not None
        again = document_from(marshal.loads(marshal.dumps(values)))  # noqa: S302 - made here
        assert again == other
        assert (str(again.path), again.path.parts, hash(again.path)) == (
            str(other.path),
            other.path.parts,
            hash(other.path),
        )
