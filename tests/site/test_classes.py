"""`sitegen.classes.dataclass`: the standard decorator's classes, their methods compiled once
and kept beside the bytecode for the next process."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import zlib
from pathlib import Path

from sitegen.classes import KEPT_AT_MOST

ROOT = Path(__file__).resolve().parents[2]

# Classes made by both decorators, described in every way a difference would show.
SCRIPT = """
import dataclasses, inspect, json, sys, typing
from sitegen import classes

# What an earlier process kept: read now, so that what is added after was compiled here.
kept_before = set(classes._kept())
classes.KEPT_AT_MOST = int(sys.argv[1])


def kinds(make):
    @make(frozen=True)
    class Point:
        x: int
        y: "typing.Any" = 0

    @make(order=True)
    class Ranked:
        rank: int
        names: list = dataclasses.field(default_factory=list)

    @make(kw_only=True, slots=True)
    class Named:
        name: str
        size: int = 1

    return Point, Ranked, Named


def described(made):
    Point, Ranked, Named = made
    point = Point(1)
    try:
        point.x = 2
        frozen = None
    except dataclasses.FrozenInstanceError as error:
        frozen = str(error)
    return {
        "repr": [repr(point), repr(Ranked(1)), repr(Named(name="a"))],
        "eq": [point == Point(1), point == Point(1, 1), Ranked(1) == Ranked(1)],
        "order": [Ranked(1) < Ranked(2), Ranked(2, ["a"]) > Ranked(2)],
        "hash": hash(point) == hash((1, 0)),
        "frozen": frozen,
        "signatures": [str(inspect.signature(kind)) for kind in made],
        "annotations": [repr(kind.__init__.__annotations__) for kind in made],
        "methods": [sorted(k for k in vars(kind) if k.startswith("__")) for kind in made],
        "fields": [[f.name for f in dataclasses.fields(kind)] for kind in made],
        "slots": Named.__slots__,
        "match": [kind.__match_args__ for kind in made],
    }


ours = described(kinds(classes.dataclass))
theirs = described(kinds(dataclasses.dataclass))
compiled = set(classes._kept()) - kept_before
print(json.dumps({"ours": ours, "theirs": theirs, "compiled": len(compiled),
                  "path": classes._path()}))
"""


def _python(script: str, prefix: Path, *args: str, write: bool = True) -> str:
    """What a new Python prints running `script`, its bytecode kept below `prefix`."""
    environment = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _run(prefix: Path, *, kept: int = KEPT_AT_MOST, write: bool = True) -> dict[str, object]:
    result: dict[str, object] = json.loads(_python(SCRIPT, prefix, str(kept), write=write))
    return result


def _kept(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    assert zlib.crc32(data[4:]) == int.from_bytes(data[:4], "little")
    version, kept = marshal.loads(data[4:])  # noqa: S302 - written by the test's process
    assert version == sys.version
    return dict(kept)


def test_a_class_is_the_standard_decorators_whether_its_methods_are_compiled_or_kept(
    tmp_path: Path,
) -> None:
    first = _run(tmp_path)
    assert first["ours"] == first["theirs"]
    assert first["compiled"], "nothing was compiled with nothing kept"
    path = Path(str(first["path"]))
    assert path.is_relative_to(tmp_path)
    assert len(_kept(path)) == first["compiled"]

    second = _run(tmp_path)
    assert second["compiled"] == 0
    assert second["ours"] == second["theirs"] == first["ours"]
    # Annotations as the standard decorator writes them: objects, not the text `from
    # __future__ import annotations` in this package would have made of them.
    assert "<class 'int'>" in str(second["ours"]["annotations"])  # type: ignore[index]


def test_a_damaged_file_or_one_of_another_python_costs_a_compile_and_is_written_anew(
    tmp_path: Path,
) -> None:
    path = Path(str(_run(tmp_path)["path"]))
    good = path.read_bytes()
    path.write_bytes(good[:-40] + bytes(40))
    damaged = _run(tmp_path)
    assert damaged["compiled"]
    assert damaged["ours"] == damaged["theirs"]
    assert path.read_bytes() == good

    other = marshal.dumps(("2.7.18 (default)", _kept(path)))
    path.write_bytes(zlib.crc32(other).to_bytes(4, "little") + other)
    assert _run(tmp_path)["compiled"]
    assert _run(tmp_path)["compiled"] == 0


def test_nothing_is_written_when_python_writes_no_bytecode(tmp_path: Path) -> None:
    result = _run(tmp_path, write=False)
    assert result["compiled"]
    assert not Path(str(result["path"])).exists()
    assert _run(tmp_path, write=False)["compiled"] == result["compiled"]


def test_methods_not_used_give_way_once_there_are_too_many(tmp_path: Path) -> None:
    path = Path(str(_run(tmp_path)["path"]))
    everything = _kept(path)
    unused = {"def unused(): pass": compile("1", "<string>", "exec")}
    # One method missing, so that the next process compiles it and writes the file again,
    # and one no class uses, put first.
    missing = next(iter(everything))
    saved = {**unused, **{text: code for text, code in everything.items() if text != missing}}
    data = marshal.dumps((sys.version, saved))
    path.write_bytes(zlib.crc32(data).to_bytes(4, "little") + data)
    result = _run(tmp_path, kept=len(everything))
    assert result["compiled"] == 1
    assert _kept(path).keys() == everything.keys()


THREADS = """
import dataclasses, sys, threading
from sitegen import classes

failures = []


def theirs():
    try:
        for number in range(300):
            made = dataclasses.make_dataclass(f"Theirs{number}", [("theirs", int)], frozen=True)
            if made.__init__.__annotations__["theirs"] is not int:
                failures.append(made.__init__.__annotations__)
    except BaseException as error:
        failures.append(repr(error))


thread = threading.Thread(target=theirs)
thread.start()
for number in range(300):
    kind = type(f"Ours{number}", (), {"__annotations__": {"y": str}})
    made = classes.dataclass(frozen=True)(kind)
    assert made(y="a").y == "a"
thread.join()
assert not failures, failures[:3]
assert not any("theirs" in text for text in classes._kept()), "their methods were kept"
"""


def test_classes_made_in_other_threads_meanwhile_are_made_as_ever(tmp_path: Path) -> None:
    # The script asserts; a failing assertion fails the process.
    _python(THREADS, tmp_path)
