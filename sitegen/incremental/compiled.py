"""Compiled templates kept in `.cache/templates/<code version>/` for the next build."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import jinja2

from sitegen.incremental.fingerprint import (
    TEMPLATE_SUFFIXES,
    References,
    code_version,
    template_references,
)
from sitegen.incremental.noop import file_size
from sitegen.incremental.state import STATE_MAX_AGE
from sitegen.unused import remove_unused

# Compiled templates of other versions of this code are removed when not used for this long.
COMPILED_MAX_AGE = STATE_MAX_AGE


def compiled_templates(cache: Path) -> jinja2.BytecodeCache:
    """Where templates are compiled into and found again, by a hash of their source; the
    folder's name stands for this code (and these settings)."""
    folder = cache / "templates" / code_version()
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    os.utime(folder, (now, now))  # in use
    remove_unused(folder.parent, {folder}, COMPILED_MAX_AGE, now, folders=True)
    return _BytecodeCache(str(folder))


def compile_ahead(
    templates_dir: Path, compiled: jinja2.BytecodeCache, part: int = 0, parts: int = 1
) -> References:
    """Compile the templates of the site's pages into `compiled`, as the build's renderer
    would: waiting workers do it while the build reads the content, and the build and the
    workers it forks then load each template rather than compile it (in a build of
    everything, some 60 ms of the build's own time while pages are rendered). The templates
    of e-mails and of the links' pages are not the site's. One that does not compile is left
    to the build, which says why.

    With `parts`, only share `part` of them (from 0), dealt largest file first: the build
    forks its render workers once every share is compiled, and all of them on one worker
    took some 100 ms, longer than the build then takes to make the model of 1,000 stories.

    What each of these templates uses, for the build (`remember_references`): found from
    the tree each is compiled from, it need not parse them again."""
    # Here, not at the top: the renderer's module imports much that this one need not.
    from sitegen.render.emails import email_templates, link_templates
    from sitegen.render.templates import make_environment

    environment = make_environment(templates_dir, compiled)
    others = {*email_templates(templates_dir), *link_templates(templates_dir)}
    skipped = {path.relative_to(templates_dir).as_posix() for path in others}
    names = environment.list_templates(filter_func=lambda n: n.endswith(TEMPLATE_SUFFIXES))
    # One that cannot be looked at counts as empty: compiling it then says why.
    sizes = {name: file_size(templates_dir / name) for name in names if name not in skipped}
    dealt = sorted(sizes, key=lambda name: (-sizes[name], name))
    mine = dealt[part::parts]
    # Parsed ahead (`parse_ahead`): each tree is the one compiled next.
    found = template_references(environment, mine)
    for name in mine:
        with contextlib.suppress(jinja2.TemplateError, OSError, UnicodeDecodeError):
            environment.get_template(name)
    return found


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates in a folder; one that cannot be written (the folder was removed
    while a long-lived builder ran) costs a compile next time, not the page."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
