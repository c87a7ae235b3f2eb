"""Compiled templates kept in `.cache/templates/<code version>/` for the next build."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import jinja2

from sitegen.incremental.fingerprint import code_version
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
