"""Markdown to safe HTML: the converter, its fast path (the same HTML with less work), the
cache keys of bodies, and the processes that convert changed files while a build reads the rest."""
