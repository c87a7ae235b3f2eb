"""The generator of the Ask for Help site, one subpackage per part of the pipeline:
`content` (read and check) → `markdown` → `site` (the model) → `render` → `incremental` (the
build that redoes only what changed), and the tools around it, `serve` and `publish`."""
