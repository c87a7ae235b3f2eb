"""Read the content folder: settings, UI strings, documents and image names, all validated."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

from sitegen.classes import dataclass
from sitegen.content.config import DEFAULT_CONFIG, SiteConfig, parse_site_config
from sitegen.content.frontmatter import split
from sitegen.content.i18n import StringsFile, Use, check_languages, check_uses
from sitegen.content.schema import Document, validate
from sitegen.content.slugs import SLUG, slugify
from sitegen.content.yamltext import Field, load_flat_strings
from sitegen.errors import ContentError, Problem

KINDS = ("stories", "campaigns", "pages")
# Editors' and the system's files that are not content: `.#x.md`, `#x.md#`, `~x.md`.
_HIDDEN = (".", "#", "~")
# O_BINARY: Windows would translate otherwise. O_NONBLOCK: opening a named pipe would wait for
# a writer (see `read_bytes`); a regular file reads the same.
_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
# Most documents are read in one piece; the next read finds the end.
_CHUNK = 1 << 16
_T = TypeVar("_T")
DEFAULTS = Path(__file__).resolve().parent / "defaults"


# These two are named tuples: made when the module is imported, on every rebuild after an
# edit too, where each dataclass would cost a millisecond.
class Loaded(NamedTuple):
    """Documents read by another process, and the settings and images it read them with;
    `keys` holds what that process worked out of their texts, which it need not send (and
    the documents may come without)."""

    config: SiteConfig
    images: dict[str, Path]
    found: dict[Path, Document | tuple[Problem, ...]]
    keys: dict[Path, str]


class ReadElsewhere(NamedTuple):
    """Documents other processes read meanwhile: which, what waits for what they found, and
    (once that is taken) each document sent with its `Loaded.keys` entry."""

    paths: frozenset[Path]
    results: Callable[[], Iterable[Loaded]]
    sent: Mapping[Path, tuple[Document, str]]


@dataclass(frozen=True)
class Content:
    """Everything read from the content folder."""

    config: SiteConfig
    strings: tuple[StringsFile, ...]
    documents: tuple[Document, ...]
    images: dict[str, Path]


def load_content(
    content_dir: Path,
    uses: Iterable[Use] = (),
    *,
    reuse: Mapping[Path, Document] | None = None,
    elsewhere: ReadElsewhere | None = None,
) -> Content:
    """Read and check the whole content folder; raise every problem found at once.

    `reuse` holds documents already read from files that have not changed since. The files
    `elsewhere` names are read by other processes meanwhile (`load_documents`); what they
    did not read, or read with other settings or images, is read here after all. `uses`, the
    UI strings that must be defined, is gone through once, after the documents are read."""
    if not content_dir.is_dir():
        raise ContentError([Problem(content_dir, None, "the content folder does not exist")])
    config = load_config(content_dir)
    problems: list[Problem] = []
    strings = load_strings(content_dir, config, problems)
    if strings:
        problems += check_languages(strings)
    images = find_images(content_dir / "images")
    files = _content_files(content_dir)
    reuse = reuse or {}
    away = elsewhere.paths if elsewhere else frozenset()
    found = load_documents(
        content_dir, [p for p in files if p not in reuse and p not in away], config, images
    )
    if elsewhere:
        for loaded in elsewhere.results():
            if loaded.config == config and loaded.images == images:
                found.update((path, doc) for path, doc in loaded.found.items() if path in away)
    if strings:
        # After the documents: what `uses` needs may come from another process meanwhile.
        problems += check_uses(strings, uses)
    documents = []
    for path in files:
        document = reuse[path] if path in reuse else found.get(path)
        if document is None:  # read elsewhere, but not found there
            document = load_documents(content_dir, [path], config, images)[path]
        if isinstance(document, tuple):
            problems += document
        else:
            documents.append(document)
    if problems:
        raise ContentError(problems)
    return Content(config, tuple(strings or ()), tuple(documents), images)


def load_documents(
    content_dir: Path, paths: Iterable[Path], config: SiteConfig, images: dict[str, Path]
) -> dict[Path, Document | tuple[Problem, ...]]:
    """Each file's document, or the problems that keep it from being one."""
    found: dict[Path, Document | tuple[Problem, ...]] = {}
    for path in paths:
        try:
            found[path] = load_document(content_dir, path, config, images)
        except ContentError as exc:
            found[path] = tuple(exc.problems)
    return found


def load_config(content_dir: Path) -> SiteConfig:
    """The site settings, or the built-in defaults when there is no site.yaml."""
    path = content_dir / "site.yaml"
    return parse_site_config(read_text(path), path) if path.is_file() else DEFAULT_CONFIG


def load_strings(
    content_dir: Path, config: SiteConfig, problems: list[Problem]
) -> list[StringsFile]:
    """The UI strings of every language (built-in English without an i18n folder)."""
    folder = content_dir / "i18n"
    if not folder.is_dir():
        folder = DEFAULTS / "i18n"
    files = []
    for code in config.codes:
        path = folder / f"{code}.yaml"
        if not path.is_file():
            hint = f"copy another language's file to {code}.yaml and translate it"
            problems.append(Problem(path, None, f"no UI strings for language '{code}'", hint))
            continue
        fields = _collect(problems, partial(_strings_file, path))
        if fields is not None:
            files.append(StringsFile(code, path, fields))
    for extra in sorted(set(folder.glob("*.yaml")) - {folder / f"{c}.yaml" for c in config.codes}):
        hint = "add the language to site.yaml, or remove the file"
        problems.append(Problem(extra, None, f"'{extra.stem}' is not a language of the site", hint))
    return files


def load_document(
    content_dir: Path, path: Path, config: SiteConfig, images: dict[str, Path]
) -> Document:
    """Read one Markdown file and validate its front matter against its kind's schema."""
    relative = path.relative_to(content_dir)
    kind = relative.parts[0]
    slug, lang = parse_name(kind, relative, path, config)
    fields, body, body_line = split(read_text(path), path)
    return validate(
        kind, slug, lang, path, fields, body=(body, body_line), images=frozenset(images)
    )


def parse_name(kind: str, relative: Path, path: Path, config: SiteConfig) -> tuple[str, str]:
    """The slug and language of `stories/<slug>.<lang>.md` (no language: the default one)."""
    stem = relative.name.removesuffix(".md")
    slug, _, lang = stem.rpartition(".") if "." in stem else (stem, "", config.default_language)
    if lang not in config.codes:
        hint = f"the site's languages are {', '.join(config.codes)}; no suffix means the default"
        raise ContentError([Problem(path, None, f"unknown language '{lang}' in the name", hint)])
    parts = [*relative.parts[1:-1], slug]
    if kind != "pages" and len(parts) > 1:
        hint = f"move it directly into {kind}/"
        raise ContentError([Problem(path, None, f"{kind} cannot be in subfolders", hint)])
    if len(parts) > PAGE_DEPTH:
        hint = f"pages may be up to {PAGE_DEPTH} folders deep; move it up"
        raise ContentError([Problem(path, None, "the page is in too many subfolders", hint)])
    for part in parts:
        if not (SLUG.fullmatch(part) or (kind == "pages" and part == "404" and len(parts) == 1)):
            hint = f"rename it, e.g. to '{slugify(part) or 'my-page'}'"
            message = f"'{part}' must be lowercase letters, digits and single hyphens"
            raise ContentError([Problem(path, None, message, hint)])
    return "/".join(parts), lang


# How many folders deep a page may be below pages/ (its own name counted): deeper, its
# output folders would outgrow what the file system (and Python's own walks of them) takes.
PAGE_DEPTH = 32


def find_images(folder: Path) -> dict[str, Path]:
    """Image files by name."""
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_file() and _visible(p)}


def read_text(path: Path) -> str:
    """A file's text; it must be UTF-8."""
    try:
        return read_bytes(path).decode("utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise ContentError([unreadable(path, exc)]) from exc


def unreadable(path: Path, error: UnicodeDecodeError | OSError) -> Problem:
    """Why a file's text cannot be read, as a problem."""
    if isinstance(error, UnicodeDecodeError):
        hint = "save the file with UTF-8 encoding"
        return Problem(path, None, f"not UTF-8 text ({error.reason})", hint)
    return Problem(path, None, f"cannot read: {error.strerror}")


def read_bytes(path: Path) -> bytes:
    """A file's bytes, through its descriptor alone: what `Path.read_bytes` asks first (the
    file's size, a terminal, its position) costs more than reading a small file twice over.

    Only a regular file: a named pipe or a device called `*.md` would keep a build waiting
    (or reading) for good."""
    descriptor = os.open(path, _READ)
    try:
        mode = os.fstat(descriptor).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # reading a folder says what it is
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        chunks = []
        while chunk := os.read(descriptor, _CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def _strings_file(path: Path) -> dict[str, Field]:
    return load_flat_strings(read_text(path), path)


def _content_files(content_dir: Path) -> list[Path]:
    return [
        path
        for kind in KINDS
        for path in sorted(_markdown_files(content_dir / kind), key=lambda path: path.parts)
    ]


def _markdown_files(folder: Path) -> Iterator[Path]:
    """The visible files `folder.rglob("*.md")` finds, known as files from the folder's list
    rather than by asking for each (a tenth of the time). As with rglob, folders are entered
    but not links to them, and a folder that cannot be read is passed over. Without recursion,
    so that no depth of folders is too deep."""
    waiting = [folder]
    while waiting:
        try:
            with os.scandir(waiting.pop()) as listed:
                entries = list(listed)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if entry.is_dir() and not entry.is_symlink():
                waiting.append(Path(entry.path))
            elif (
                os.path.normcase(name).endswith(".md")
                and not name.startswith(_HIDDEN)
                and entry.is_file()
            ):
                yield Path(entry.path)


def _visible(path: Path) -> bool:
    return not path.name.startswith(_HIDDEN)


def _collect(problems: list[Problem], step: Callable[[], _T]) -> _T | None:
    try:
        return step()
    except ContentError as exc:
        problems.extend(exc.problems)
        return None
