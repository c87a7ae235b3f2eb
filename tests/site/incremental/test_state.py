"""The build cache keeps the state of recent builds and removes what no build used for a week."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

from sitegen.incremental.builder import build_site
from sitegen.incremental.state import STATE_MAX_AGE
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
