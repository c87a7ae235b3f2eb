"""The reference build that incremental, cached and parallel builds are compared with.

It is the simplest build that can be: every page rendered in this process, in memory, with
Markdown converted on the spot and nothing read from the build's cache, then every file
written into an empty folder (or only handed over: `files_written`). It shares the product's
steps (load, model, render, outputs, link check) but none of the machinery that makes builds
fast. Two things are kept for the process, each by what it was made from, as tests ask for
it many times over: templates as Jinja compiles them (in Jinja's own cache of their code,
which compiles a template again when its source differs) and the form's contract as read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import jinja2

from sitegen.content.load import load_content
from sitegen.errors import ContentError, Problem
from sitegen.incremental.prepared import prepare, site_files
from sitegen.incremental.write import MARKER, check_output_dir
from sitegen.markdown.texts import converted as render_markdown
from sitegen.markdown.texts import markdown_key
from sitegen.options import BuildOptions
from sitegen.render.form import Form, read_form
from sitegen.render.outputs import sitemaps
from sitegen.render.templates import Renderer, required_strings
from sitegen.site.links import link_problems, output_path
from sitegen.site.model import Site

Output = bytes | Path


@dataclass(frozen=True)
class RenderedSite:
    """Every output file in memory (bytes, or a cached file to copy), not yet written."""

    files: dict[str, Output]
    pages: int


def render_site(options: BuildOptions) -> RenderedSite:
    """Read and check everything, then render every file in memory; raise ContentError."""
    today = options.today or date.today()
    form = _form(options.contract.read_bytes(), options.contract)
    content = load_content(options.content, required_strings(options.templates, form))
    keys = {doc.path: markdown_key(doc.body) for doc in content.documents}
    prepared = prepare(content, keys, options, today, form, compiled=_COMPILED)
    site, renderer, images = prepared.site, prepared.renderer, prepared.images
    bodies = {page.url: render_markdown(page.document.body) for page in site.pages if page.document}
    texts = _render_pages(renderer, site, bodies)
    files: dict[str, Output] = {output_path(url): text.encode() for url, text in texts.items()}
    files |= dict(site_files(site, renderer, bodies, today, sitemaps(site.config, site.pages)))
    files |= dict(prepared.assets.files.items())
    files |= {v.url.lstrip("/"): v.cached for image in images.values() for v in image.variants}
    pages = {page.url: page for page in site.pages}
    problems = link_problems(pages, texts, set(files), options.templates)
    if problems:
        raise ContentError(problems)
    return RenderedSite(files, len(texts))


class _Compiled(jinja2.BytecodeCache):
    """Compiled templates in memory, by template (name and file); Jinja checks each against
    its source. The oldest go once there are `MOST`: every test has templates of its own."""

    MOST = 256

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code.pop(bucket.key, None)
        if len(self.code) >= self.MOST:
            del self.code[next(iter(self.code))]
        self.code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _Compiled()


@cache
def _form(contract: bytes, path: Path) -> Form:
    """The form as `read_form` reads the contract at `path`, which holds `contract`."""
    return read_form(path)


def build_site_in_memory(options: BuildOptions) -> None:
    """Render everything in memory, then write it into the new output folder."""
    check_output_dir(options.output, options.content, options.templates)
    assert not options.output.exists(), "the reference build writes into a new folder"
    files = files_written(options)
    options.output.mkdir(parents=True)
    for name, data in files.items():
        target = options.output / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        os.chmod(target, 0o644)


def files_written(options: BuildOptions) -> dict[str, bytes]:
    """What `build_site_in_memory` writes (the output folder's marker empty), by path, in
    order, without writing it: what tests compare an output folder with."""
    files = render_site(options).files
    written = {
        name: data.read_bytes() if isinstance(data, Path) else data for name, data in files.items()
    }
    written[MARKER] = b""
    return dict(sorted(written.items()))


def _render_pages(renderer: Renderer, site: Site, bodies: dict[str, str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    problems: set[Problem] = set()
    for page in site.pages:
        try:
            texts[page.url] = renderer.render(page, bodies.get(page.url, ""))
        except ContentError as exc:
            problems.update(exc.problems)
    if problems:
        raise ContentError(problems)
    return texts
