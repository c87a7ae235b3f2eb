"""A first build into a new or empty folder writes the same files as into one to sweep."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen.incremental.outfolder import Outputs
from sitegen.incremental.pagework import stage
from sitegen.incremental.state import BuildState
from sitegen.incremental.write import MARKER

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


def test_a_new_folder_is_the_staged_folder_renamed(tmp_path: Path) -> None:
    output = tmp_path / "deeper" / "public"
    staging = tmp_path / "staging"
    staging.mkdir()
    outputs = Outputs(output, staging, BuildState(), {})
    assert outputs.laid_out
    outputs.make_folders(["/en/", "/en/about/"])
    assert (outputs.files_at / "en" / "about").is_dir()
    outputs.add_files(FILES)
    staged = {
        Path(p).relative_to(outputs.files_at).as_posix() for p, _, _ in outputs.staged.values()
    }
    assert staged == {name for name, _ in FILES}
    outputs.commit()
    assert _tree(output) == {MARKER: b"", **dict(FILES)}
    assert outputs.written == 3
    # Recorded with their size and time as written, which the rename kept.
    for name, (_, size, written) in outputs.state.files.items():
        assert ((output / name).stat().st_size, (output / name).stat().st_mtime_ns) == (
            size,
            written,
        )
    _, size, mtime_ns = outputs.state.files["en/index.html"]
    assert size == len(b"<p>home")
    assert mtime_ns == (output / "en" / "index.html").stat().st_mtime_ns
    assert (output / "en" / "index.html").stat().st_mode & 0o777 == 0o644
    assert not staging.exists()


@pytest.mark.parametrize("what", ["folder", "file"])
def test_an_output_made_while_the_build_ran_is_not_renamed_over(tmp_path: Path, what: str) -> None:
    output = tmp_path / "public"
    staging = tmp_path / "staging"
    staging.mkdir()
    outputs = Outputs(output, staging, BuildState(), {})
    outputs.add_files(FILES)
    if what == "file":
        output.write_bytes(b"in the way")
        with pytest.raises(FileExistsError):
            outputs.commit()
        assert output.read_bytes() == b"in the way"
        return
    output.mkdir()
    outputs.commit()
    assert _tree(output) == {MARKER: b"", **dict(FILES)}


def test_an_existing_folder_is_staged_flat(tmp_path: Path) -> None:
    output = tmp_path / "public"
    output.mkdir()
    staging = tmp_path / "staging"
    staging.mkdir()
    outputs = Outputs(output, staging, BuildState(), {})
    assert not outputs.laid_out
    outputs.make_folders(["/en/about/"])
    outputs.add_files(FILES)
    assert [Path(p).parent for p, _, _ in outputs.staged.values()] == [staging] * 3
    assert not (staging / "en").exists()


@pytest.mark.parametrize("laid_out", [True, False], ids=["laid out", "flat"])
def test_staged_files_are_readable_whatever_the_umask(tmp_path: Path, laid_out: bool) -> None:
    previous = os.umask(0o077)
    try:
        name, size, written = stage(tmp_path, "en/index.html", b"<p>home", laid_out=laid_out)
    finally:
        os.umask(previous)
    staged = Path(name)
    assert staged.read_bytes() == b"<p>home"
    assert (staged.stat().st_size, staged.stat().st_mtime_ns) == (size, written)
    assert staged.stat().st_mode & 0o777 == 0o644
    assert (staged.parent == tmp_path / "en") is laid_out


def test_a_parent_that_passes_down_its_group_gets_the_files_one_by_one(tmp_path: Path) -> None:
    shared = tmp_path / "www"
    shared.mkdir()
    shared.chmod(0o2775)
    staging = tmp_path / "staging"
    staging.mkdir()
    outputs = Outputs(shared / "public", staging, BuildState(), {})
    assert not outputs.laid_out
    outputs.add_files(FILES)
    outputs.commit()
    assert _tree(shared / "public") == {MARKER: b"", **dict(FILES)}
    # Folders made in place inherit the group's bit, as they did before any staging.
    assert (shared / "public" / "en").stat().st_mode & 0o2000


def test_a_parent_with_a_default_acl_gets_the_files_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    assert Outputs(tmp_path / "public", staging, BuildState(), {}).laid_out

    def acl(path: object, name: str) -> bytes:
        assert name == "system.posix_acl_default"
        return b"\x02\x00\x00\x00"

    monkeypatch.setattr(os, "getxattr", acl, raising=False)
    assert not Outputs(tmp_path / "public", staging, BuildState(), {}).laid_out


@pytest.mark.parametrize("laid_out", [True, False], ids=["renamed whole", "one by one"])
def test_every_folder_made_for_the_output_is_readable_whatever_the_umask(
    tmp_path: Path, laid_out: bool
) -> None:
    output = tmp_path / "www" / "new" / "public"
    staging = tmp_path / "staging"
    staging.mkdir()
    if not laid_out:
        staging.chmod(0o2755)  # a group passed down: the files go in one by one
    previous = os.umask(0o077)
    try:
        outputs = Outputs(output, staging, BuildState(), {})
        assert outputs.laid_out is laid_out
        outputs.make_folders(["/en/about/"])
        outputs.add_files(FILES)
        outputs.commit()
    finally:
        os.umask(previous)
    made = [tmp_path / "www", tmp_path / "www" / "new", output, output / "en", output / "en/about"]
    assert [folder.stat().st_mode & 0o777 for folder in made] == [0o755] * len(made)
