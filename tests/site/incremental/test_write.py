"""The output folder: folders a build did not make are refused, and stale files go."""

from __future__ import annotations

import contextlib
import errno
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.errors import OutputError
from sitegen.incremental import write
from sitegen.incremental.write import (
    MARKER,
    check_output_dir,
    make_folder,
    modes_kept,
    remove_stale,
    write_new,
)


def test_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.txt").write_text("precious")
    with pytest.raises(OutputError, match=r"not empty and was not made by build\.py"):
        check_output_dir(tmp_path / "home")


def test_accepts_its_own_or_an_empty_folder(tmp_path: Path) -> None:
    check_output_dir(tmp_path / "new")
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "x.html").write_text("x")
    (tmp_path / "ours" / MARKER).touch()
    check_output_dir(tmp_path / "ours")


@pytest.mark.parametrize("why", [errno.EBUSY, errno.EACCES, errno.EROFS])
def test_a_folder_that_cannot_be_removed_is_left_unless_it_is_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: int
) -> None:
    """A mount point, or a folder in one this user may not change: a folder still holding
    files is left as it is, whatever removing it would have said; an empty one that cannot
    go is an error, as before."""
    out = tmp_path / "public"
    for name in ("held/kept.html", "held/gone.html", "emptied/gone.html"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name)
    rmdir = os.rmdir

    def refusing(path: str) -> None:
        if os.path.basename(path) in {"held", "emptied"}:
            raise OSError(why, os.strerror(why), path)
        rmdir(path)

    monkeypatch.setattr(os, "rmdir", refusing)
    with pytest.raises(OSError, match="emptied") as raised:
        remove_stale(out, {"held/kept.html"})
    assert raised.value.errno == why
    assert (out / "held" / "kept.html").is_file()
    assert not (out / "held" / "gone.html").exists()


def test_refuses_to_write_over_the_sources(tmp_path: Path) -> None:
    content = tmp_path / "site" / "content"
    content.mkdir(parents=True)
    with pytest.raises(OutputError, match="must not contain"):
        check_output_dir(tmp_path / "site", content)


def test_stale_files_and_the_folders_they_leave_empty_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "public"
    names = ("a/index.html", "a/b/c/kept.html", "a/b/gone.html", "b.txt", "old/deep/x.txt")
    for name in (*names, MARKER):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name)
    (out / "empty" / "too").mkdir(parents=True)
    # A link to a folder elsewhere is neither followed nor removed.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.txt").write_text("x")
    (out / "linked").symlink_to(elsewhere, target_is_directory=True)
    keep = {"a/index.html", "a/b/c/kept.html", "b.txt", MARKER}
    assert remove_stale(out, keep) == 2
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        MARKER,
        "a",
        "a/b",
        "a/b/c",
        "a/b/c/kept.html",
        "a/index.html",
        "b.txt",
        "linked",
    ]
    assert (elsewhere / "x.txt").read_text() == "x"


def test_removing_named_files_leaves_what_sweeping_for_them_would(tmp_path: Path) -> None:
    made = {}
    for way in ("named", "swept"):
        out = tmp_path / way
        names = ("a/index.html", "a/b/c/gone.html", "a/b/kept.html", "d/e/gone.html", "f.txt")
        for name in names:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(name)
        gone = {"a/b/c/gone.html", "d/e/gone.html", "never/was.html"}
        if way == "named":
            assert write.remove_files(out, gone) == 2
        else:
            assert remove_stale(out, set(names) - gone) == 2
        made[way] = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert made["named"] == made["swept"]
    assert "d" not in made["named"]
    assert "a/b" in made["named"]


def test_make_folder_makes_missing_parents_and_accepts_one_that_exists(tmp_path: Path) -> None:
    with umask(0o077):
        make_folder(str(tmp_path / "en" / "stories" / "one"))
        make_folder(str(tmp_path / "en" / "stories" / "one"))
        make_folder(str(tmp_path / "en" / "asked") + os.sep, chmod=False)
    assert (tmp_path / "en" / "stories" / "one").is_dir()
    # Readable whatever the umask, parents too; unless told the mode is kept anyway.
    for made in ("en", "en/stories", "en/stories/one"):
        assert (tmp_path / made).stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "en" / "asked").stat().st_mode & 0o777 == 0o700
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(FileExistsError):
        make_folder(str(tmp_path / "taken"))


def test_write_new_writes_every_byte_and_replaces_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "page.html")
    data = bytes(range(256)) * 64
    write = os.write
    # A write may take fewer bytes than it was given (a signal, a full pipe): the rest follows.
    monkeypatch.setattr(os, "write", lambda fd, chunk: write(fd, bytes(chunk[:1000])))
    previous = os.umask(0o077)
    try:
        write_new(path, b"old and longer than the new text" * 1000)
        written = write_new(path, data)
    finally:
        os.umask(previous)
    assert (tmp_path / "page.html").read_bytes() == data
    assert written == (tmp_path / "page.html").stat().st_mtime_ns
    assert (tmp_path / "page.html").stat().st_mode & 0o777 == 0o644
    with pytest.raises(FileNotFoundError):
        write_new(str(tmp_path / "missing" / "page.html"), data)


def umask(mask: int) -> contextlib.AbstractContextManager[None]:
    """The process's umask set to `mask` for a while."""

    @contextlib.contextmanager
    def scope() -> Iterator[None]:
        previous = os.umask(mask)
        try:
            yield
        finally:
            os.umask(previous)

    return scope()


# A default ACL (`setfacl -d -m u::rwx,g::rx,o::-`) as the kernel stores it: version 2, then
# (tag, permissions, id) for the owner, the group and others.
NO_OTHERS = struct.pack("<I", 2) + b"".join(
    struct.pack("<HHI", tag, perm, 0xFFFFFFFF) for tag, perm in ((1, 7), (4, 5), (0x20, 0))
)


@pytest.mark.parametrize(
    ("mask", "kept"),
    [(0o022, True), (0o002, True), (0o027, False), (0o077, False), (0o200, False), (0o100, False)],
)
def test_modes_are_kept_when_the_umask_takes_none_of_their_bits(
    tmp_path: Path, mask: int, kept: bool
) -> None:
    with umask(mask):
        assert modes_kept(tmp_path) is kept
        # What it stands for: a file made with 0o644 and a folder with 0o755, and no more.
        made = tmp_path / f"made-{mask:o}"
        os.close(os.open(made, os.O_WRONLY | os.O_CREAT, 0o644))
        folder = tmp_path / f"folder-{mask:o}"
        os.mkdir(folder, 0o755)
    whole = made.stat().st_mode & 0o777 == 0o644 and folder.stat().st_mode & 0o777 == 0o755
    assert whole is kept


def test_the_umask_is_learnt_without_proc_and_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_proc(*args: object, **kwargs: object) -> object:
        raise FileNotFoundError("/proc/self/status")

    monkeypatch.setattr(write, "open", no_proc, raising=False)
    with umask(0o077):
        assert not modes_kept(tmp_path)
        assert os.umask(0o077) == 0o077
    with umask(0o022):
        assert modes_kept(tmp_path)
        assert os.umask(0o022) == 0o022


def test_a_default_acl_takes_the_umasks_place(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    try:
        os.setxattr(folder, "system.posix_acl_default", NO_OTHERS)
    except (AttributeError, OSError) as exc:
        pytest.skip(f"no POSIX ACLs here: {exc}")
    with umask(0o022):
        assert not modes_kept(folder)
        assert modes_kept(tmp_path)
        write_new(str(folder / "asked.html"), b"<p>", chmod=False)
        write_new(str(folder / "set.html"), b"<p>")
    # Without the mode set again the ACL's mask holds: what `modes_kept` guards against.
    assert (folder / "asked.html").stat().st_mode & 0o777 == 0o640
    assert (folder / "set.html").stat().st_mode & 0o777 == 0o644


def test_a_folder_made_whole_keeps_the_group_bit_its_parent_passes_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its mode is not set again when it has every bit already: set by one outside the
    folder's group, the mode would lose the group bit."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o2775)
    changed: list[str] = []
    chmod = os.chmod

    def noted(path: str, mode: int) -> None:
        changed.append(path)
        chmod(path, mode)

    monkeypatch.setattr(os, "chmod", noted)
    with umask(0o022):
        make_folder(str(shared / "en" / "stories"))
    with umask(0o077):
        make_folder(str(shared / "de"))
    assert changed == [str(shared / "de")]
    for made in ("en", "en/stories", "de"):
        assert (shared / made).stat().st_mode & 0o7777 == 0o2755
