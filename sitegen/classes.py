"""`dataclass`, with the methods it writes compiled once and kept, as Python keeps modules.

The standard decorator writes each class's `__init__`, `__eq__`, `__repr__` and the rest as
source text and compiles it, every time the class is defined: four fifths of its time, some
0.4 ms a frozen class, and the build defines some forty before a rebuild after an edit can
start (19 ms of one that took 160). Here the compiled methods are kept beside the package's
bytecode, by their source text, and read back by the next process: the class is the one the
standard decorator makes, from code compiled from the same text.

Kept as Python keeps bytecode: in `__pycache__` (or below `sys.pycache_prefix`), named for
the interpreter, not written when `sys.dont_write_bytecode` is set, and a file that cannot be
read or written costs the compile, nothing else."""

from __future__ import annotations

import _thread
import contextlib
import dataclasses
import marshal
import os
import sys
import zlib
from collections.abc import Callable
from types import CodeType
from typing import Any, TypeVar, cast, dataclass_transform, overload

_Class = TypeVar("_Class", bound=type)
# At most this many methods are kept, some three times what the generator's classes have:
# those of classes since changed give way to new ones. Every process reads them all.
KEPT_AT_MOST = 1000
_NAME = "classes.{tag}.marshal"
# The methods read from the file or compiled in this process, by their source text; None
# until the first class is defined.
_compiled: dict[str, CodeType] | None = None
# Those compiled in this process and not yet written, and those read back and used.
_new: dict[str, CodeType] = {}
_used: set[str] = set()
# Held while a class is made, and the file written: the `exec` of `dataclasses` is the
# process's, and so are the methods kept (a build makes its images in a thread of its own).
_making = _thread.RLock()
# The thread making one, which alone takes methods from the file (0: none).
_maker = 0


@overload
def dataclass(cls: _Class, /) -> _Class: ...
@overload
def dataclass(cls: None = None, /, **options: Any) -> Callable[[_Class], _Class]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: _Class | None = None, /, **options: Any) -> Any:
    """`dataclasses.dataclass(cls, **options)`, its methods compiled once for every process."""

    def make(cls: _Class) -> _Class:
        # `dataclasses` compiles each method by calling `exec` on its text: while this class
        # is made, its module's `exec` is ours, ahead of the built-in one.
        global _maker
        with _making:
            outer, _maker = _maker, _thread.get_ident()
            vars(dataclasses)["exec"] = _exec
            try:
                made = cast(_Class, dataclasses.dataclass(**options)(cls))
            finally:
                vars(dataclasses).pop("exec", None)
                _maker = outer
            if _new:
                _write()
        return made

    return make if cls is None else make(cls)


def _exec(
    source: str | bytes | CodeType, globals: dict[str, Any] | None = None, locals: Any = None
) -> None:
    """`exec`, with a text compiled by an earlier process taken as it compiled it. Another
    thread making a class with `dataclasses` meanwhile has its text compiled as ever."""
    if isinstance(source, str) and _thread.get_ident() == _maker:
        compiled = _kept()
        code = compiled.get(source)
        if code is None:
            code = compiled[source] = _new[source] = _compiled_text(source)
        _used.add(source)
    else:
        code = source if isinstance(source, CodeType) else _compiled_text(source)
    exec(code, globals, locals)  # noqa: S102 - compiled from the text dataclasses wrote


def _compiled_text(source: str | bytes) -> CodeType:
    """As `exec` in `dataclasses` compiles a text: named "<string>", with no future features
    (here, `annotations` would make the methods' annotations text)."""
    return compile(source, "<string>", "exec", dont_inherit=True)


def _kept() -> dict[str, CodeType]:
    global _compiled
    if _compiled is None:
        _compiled = _read(_path())
    return _compiled


def _path() -> str | None:
    """Where the methods are kept, beside this package's bytecode; None when Python keeps
    none (an interpreter without a cache tag)."""
    # None, by the language's definition, in an interpreter that keeps no bytecode.
    tag: str | None = sys.implementation.cache_tag
    if tag is None:
        return None
    folder = os.path.dirname(os.path.abspath(__file__))
    if sys.pycache_prefix:
        # Below the prefix by the folder's path without its drive, as Python puts bytecode.
        below = os.path.splitdrive(folder)[1].lstrip(os.sep)
        return os.path.join(sys.pycache_prefix, below, _NAME.format(tag=tag))
    return os.path.join(folder, "__pycache__", _NAME.format(tag=tag))


def _read(path: str | None) -> dict[str, CodeType]:
    """The methods kept at `path` for this interpreter; none when the file is missing, of
    another interpreter or damaged (marshal would read damaged bytes as whatever they spell)."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as file:
            data = file.read()
        view = memoryview(data)[4:]
        if len(data) < 4 or zlib.crc32(view) != int.from_bytes(data[:4], "little"):
            return {}
        version, kept = marshal.loads(view)  # noqa: S302 - our own file, checked
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if version != sys.version or type(kept) is not dict:
        return {}
    return {
        text: code for text, code in kept.items() if type(text) is str and type(code) is CodeType
    }


def _write() -> None:
    """Keep the methods compiled so far, those used in this process last; those not used for
    longest give way when there are too many. Written whole and put in place at once, so
    that a process reading it meanwhile finds the last file or this one."""
    path = _path()
    compiled = _kept()
    _new.clear()
    if path is None or sys.dont_write_bytecode:
        return
    old = [text for text in compiled if text not in _used]
    order = [*old, *(text for text in compiled if text in _used)][-KEPT_AT_MOST:]
    data = marshal.dumps((sys.version, {text: compiled[text] for text in order}))
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(zlib.crc32(data).to_bytes(4, "little") + data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
