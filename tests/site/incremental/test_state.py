"""The build cache keeps the state of recent builds and removes what no build used for a week."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from sitegen.incremental import noop
from sitegen.incremental import state as state_module
from sitegen.incremental.builder import build_site
from sitegen.incremental.state import (
    STATE_MAX_AGE,
    BuildState,
    DocumentEntry,
    load_model,
    load_state,
    save_state,
    stage_documents,
)
from sitegen.options import BuildOptions
from sitegen.unused import remove_unused

FIXTURE = Path(__file__).resolve().parents[1] / "fixture"
WEEK_AGO = time.time() - STATE_MAX_AGE - 60


def age(path: Path, mtime: float = WEEK_AGO) -> Path:
    os.utime(path, (mtime, mtime))
    return path


def touch(path: Path, mtime: float = WEEK_AGO) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"state")
    return age(path, mtime)


def test_prune_removes_only_old_files_not_kept(tmp_path: Path) -> None:
    old, recent, kept = tmp_path / "a.files", tmp_path / "b.model", tmp_path / "c.files"
    for path in (old, recent, kept):
        touch(path)
    age(recent, time.time() - 3600)
    leftover = touch(tmp_path / ".tmp-x1y2")
    (tmp_path / "folder").mkdir()
    assert remove_unused(tmp_path, {kept}, STATE_MAX_AGE) == [leftover, old]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.model", "c.files", "folder"]
    assert remove_unused(tmp_path / "missing", set(), STATE_MAX_AGE) == []


def options(tmp_path: Path, output: str, today: date) -> BuildOptions:
    return BuildOptions(
        content=FIXTURE, output=tmp_path / output, cache=tmp_path / "cache", today=today, jobs=1
    )


def states(tmp_path: Path) -> set[str]:
    return {path.name for path in (tmp_path / "cache" / "builds").iterdir()}


def test_a_build_removes_the_state_of_builds_a_week_past(tmp_path: Path) -> None:
    build_site(options(tmp_path, "public", date(2024, 6, 1)))
    first = states(tmp_path)
    assert sorted(name.rpartition(".")[2] for name in first) == ["files", "kit", "model", "noop"]
    for name in first:
        age(tmp_path / "cache" / "builds" / name)
    build_site(options(tmp_path, "public", date(2024, 6, 2)))
    second = states(tmp_path)
    assert len(second) == 4
    assert second.isdisjoint(first)


def test_a_state_read_again_counts_as_used(tmp_path: Path) -> None:
    build_site(options(tmp_path, "one", date(2024, 6, 1)))
    used = states(tmp_path)
    for name in used:
        age(tmp_path / "cache" / "builds" / name)
    # Nothing changed: the state is only read, and that keeps it.
    assert build_site(options(tmp_path, "one", date(2024, 6, 1))).written == 0
    build_site(options(tmp_path, "two", date(2024, 6, 1)))
    assert used < states(tmp_path)
    assert len(states(tmp_path)) == 8


def _saved_state(tmp_path: Path) -> Path:
    (files,) = (tmp_path / "cache" / "builds").glob("*.files")
    return files.with_suffix("")


def test_a_whole_build_saves_the_documents_it_wrote_out_while_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[dict[str, DocumentEntry]] = []
    write_them = state_module._dumped
    save = state_module.save_state
    # Per save: whether it saved the state whole, and how many times the documents had been
    # written out when it began.
    saves: list[tuple[bool, int]] = []

    def noted(documents: dict[str, DocumentEntry]) -> bytes:
        written.append(documents)
        return write_them(documents)

    def noted_save(path: Path, state: BuildState, *, whole: bool = True) -> None:
        saves.append((whole, len(written)))
        save(path, state, whole=whole)

    monkeypatch.setattr(state_module, "_dumped", noted)
    monkeypatch.setattr("sitegen.incremental.builder.save_state", noted_save)
    build_site(options(tmp_path, "public", date(2024, 6, 1)))
    assert saves == [(True, 1)]  # written out while pages were rendered
    assert len(written) == 1  # and not again when saved
    saved = load_state(_saved_state(tmp_path))
    load_model(_saved_state(tmp_path), saved)
    assert saved.documents == written[0]
    assert len(saved.documents) > 10


def test_documents_replaced_after_they_were_written_out_are_saved_as_they_are_now(
    tmp_path: Path,
) -> None:
    build_site(options(tmp_path, "public", date(2024, 6, 1)))
    path = _saved_state(tmp_path)
    state = load_state(path)
    load_model(path, state)
    first = sorted(state.documents)[0]
    stage_documents(state)
    state.documents = {first: state.documents[first]}
    save_state(path, state)
    again = load_state(path)
    load_model(path, again)
    assert list(again.documents) == [first]


def test_a_model_whose_documents_cannot_be_read_is_no_model(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURE, content)
    built = dataclasses.replace(options(tmp_path, "public", date(2024, 6, 1)), content=content)
    build_site(built)
    path = _saved_state(tmp_path)
    model = path.with_suffix(".model")
    saved = noop.loaded(model.read_bytes())
    assert isinstance(saved, tuple)
    model.write_bytes(noop.dumped((*saved[:2], saved[2][:-40], *saved[3:])))
    state = load_state(path)
    assert state.inputs
    load_model(path, state)
    assert (state.inputs, state.files, state.documents) == ({}, {}, {})
    # A new story needs the model: the build reads none, builds whole and saves one again.
    story = (content / "stories" / "one.en.md").read_text("utf-8")
    (content / "stories" / "added.en.md").write_text(
        story.replace("\ntitle:", "\ntitle: Added,"), "utf-8"
    )
    result = build_site(built)
    assert result.written >= 1
    again = load_state(path)
    load_model(path, again)
    assert str(content / "stories" / "added.en.md") in again.documents


class _Text(str):
    """Text of a class of its own, which marshal cannot hold."""


def test_the_model_keeps_documents_and_pages_of_every_kind_and_value(tmp_path: Path) -> None:
    from datetime import datetime

    from sitegen.content.schema import Document, SourceRef
    from sitegen.incremental.state import PageRecord
    from sitegen.markdown.texts import DocumentWithImages

    plain = Document("stories", "a", "en", Path("/c/a.md"), "A", "Summary.", date=date(2024, 1, 2))
    documents = [
        plain,
        DocumentWithImages(
            "stories",
            "b",
            "en",
            Path("/c/b.md"),
            "B",
            "S.",
            updated=date(2020, 2, 29),
            tags=("x", "Y"),
            source=SourceRef("A paper", "https://example.org/"),
            lines=(("title", 2),),
            body_images=("y.png",),
        ),
        # Values marshal cannot hold as they are: kept pickled.
        dataclasses.replace(plain, path=Path("/c/c.md"), title=_Text("C")),
        dataclasses.replace(plain, path=Path("/c/d.md"), date=datetime(2024, 5, 6, 7, 8)),
    ]
    state = BuildState()
    state.documents = {
        str(doc.path): ((n, n + 1) if n else (-1, -1), f"context {n}", doc, f"key {n}")
        for n, doc in enumerate(documents)
    }
    state.pages = {"/a/": PageRecord("k", "d", ("/b/", "/c/")), "/b/": PageRecord("k", "e", ())}
    path = tmp_path / "builds" / "state"
    save_state(path, state)
    again = load_state(path)
    load_model(path, again)

    def kinds(entry: object) -> object:
        if dataclasses.is_dataclass(entry):
            fields = dataclasses.fields(entry)
            return (type(entry), *(kinds(getattr(entry, field.name)) for field in fields))
        if isinstance(entry, tuple):
            return tuple(kinds(value) for value in entry)
        return (type(entry), entry)

    assert list(again.documents) == list(state.documents)
    assert kinds(tuple(again.documents.values())) == kinds(tuple(state.documents.values()))
    assert again.pages == state.pages


def test_a_saved_file_damaged_anywhere_by_one_bit_is_no_saved_file(tmp_path: Path) -> None:
    build_site(options(tmp_path, "public", date(2024, 6, 1)))
    path = _saved_state(tmp_path)
    model = path.with_suffix(".model")
    whole = model.read_bytes()
    # Marshal reads some such damage as a tuple holding itself, whose hash ends the process.
    for place in range(0, len(whole), max(1, len(whole) // 97)):
        for bit in (0, 5):
            damaged = bytearray(whole)
            damaged[place] ^= 1 << bit
            with pytest.raises(ValueError, match="damaged"):
                noop.opened(bytes(damaged))
            model.write_bytes(damaged)
            state = load_state(path)
            load_model(path, state)
            assert (state.inputs, state.documents) == ({}, {})
    model.write_bytes(whole)
    state = load_state(path)
    load_model(path, state)
    assert state.documents
