"""Content errors as text and as GitHub Actions annotations."""

from __future__ import annotations

from pathlib import Path

from sitegen.errors import ContentError, Problem


def test_an_annotation_escapes_its_message_and_properties(tmp_path: Path) -> None:
    problem = Problem(tmp_path / "a,b:c.md", 7, "100% wrong\r\nhere", "fix it")
    assert problem.annotation(tmp_path) == (
        "::error file=a%2Cb%3Ac.md,line=7,title=Content error::"
        "a,b:c.md:7: 100%25 wrong%0D%0Ahere%0A  hint: fix it"
    )


def test_a_problem_without_a_line_is_annotated_at_its_file(tmp_path: Path) -> None:
    error = ContentError([Problem(tmp_path / "i18n" / "de.yaml", None, "no UI strings")])
    assert error.annotations(tmp_path) == (
        "::error file=i18n/de.yaml,title=Content error::i18n/de.yaml: no UI strings"
    )
    assert error.summary() == "1 error; nothing was written."
