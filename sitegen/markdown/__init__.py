"""Markdown to safe HTML: the converter, its fast path (the same HTML with less work), the
cache keys of bodies, the images a text names, and the processes that convert changed files
while a build reads the rest."""
