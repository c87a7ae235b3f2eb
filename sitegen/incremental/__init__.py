"""Builds that redo only what changed: the build cache, digests of every input, the saved
state, pages rendered on every core into a staging folder, and the output folder's update."""
