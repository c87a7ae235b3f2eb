"""The build cache keeps the state of recent builds and removes what no build used for a week."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from sitegen.incremental import state as state_module
from sitegen.incremental.builder import build_site
from sitegen.incremental.state import (
    STATE_MAX_AGE,
    BuildState,
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


def test_a_whole_build_saves_the_documents_it_pickled_while_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pickled: list[dict[str, object]] = []
    pickle_them = state_module._pickled
    save = state_module.save_state
    # Per save: whether it saved the state whole, and how many times the documents had been
    # pickled when it began.
    saves: list[tuple[bool, int]] = []

    def noted(documents: dict[str, object]) -> bytes:
        pickled.append(documents)
        return pickle_them(documents)

    def noted_save(path: Path, state: BuildState, *, whole: bool = True) -> None:
        saves.append((whole, len(pickled)))
        save(path, state, whole=whole)

    monkeypatch.setattr(state_module, "_pickled", noted)
    monkeypatch.setattr("sitegen.incremental.builder.save_state", noted_save)
    build_site(options(tmp_path, "public", date(2024, 6, 1)))
    assert saves == [(True, 1)]  # pickled while pages were rendered
    assert len(pickled) == 1  # and not again when saved
    saved = load_state(_saved_state(tmp_path))
    load_model(_saved_state(tmp_path), saved)
    assert saved.documents == pickled[0]
    assert len(saved.documents) > 10


def test_documents_replaced_after_they_were_pickled_are_saved_as_they_are_now(
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
    saved = pickle.loads(model.read_bytes())  # noqa: S301 - made by the build above
    model.write_bytes(pickle.dumps((*saved[:2], saved[2][:-40], *saved[3:])))
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
