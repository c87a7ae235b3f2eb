"""A first build into a new or empty folder writes the same files as into one to sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.cache import BuildState
from sitegen.outfiles import Outputs
from sitegen.write import MARKER

FILES = [("en/index.html", b"<p>home"), ("en/about/index.html", b"<p>about"), ("robots.txt", b"")]


def _first_build(output: Path, staging: Path) -> Outputs:
    staging.mkdir()
    outputs = Outputs(output, staging, BuildState(), {})
    outputs.add_files(FILES)
    outputs.commit()
    return outputs


def _tree(output: Path) -> dict[str, bytes]:
    return {
        p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("existing", [False, True], ids=["new folder", "empty folder"])
def test_a_new_or_empty_folder_gets_every_file(tmp_path: Path, existing: bool) -> None:
    output = tmp_path / "public"
    if existing:
        output.mkdir()
    outputs = _first_build(output, tmp_path / "staging")
    assert _tree(output) == {MARKER: b"", **dict(FILES)}
    assert (outputs.written, outputs.removed) == (3, 0)
    assert set(outputs.state.files) == {name for name, _ in FILES}
    assert not (tmp_path / "staging").exists()


def test_a_folder_of_an_earlier_build_loses_what_this_one_does_not_make(tmp_path: Path) -> None:
    output = tmp_path / "public"
    (output / "en" / "gone").mkdir(parents=True)
    (output / MARKER).touch()
    (output / "en" / "gone" / "index.html").write_bytes(b"old")
    (output / "en" / "index.html").write_bytes(b"<p>home")
    outputs = _first_build(output, tmp_path / "staging")
    assert _tree(output) == {MARKER: b"", **dict(FILES)}
    assert not (output / "en" / "gone").exists()
    assert (outputs.written, outputs.removed) == (2, 1)
