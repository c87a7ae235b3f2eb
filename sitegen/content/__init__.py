"""Reading the content folder: site settings, YAML with line numbers, front matter, the
document schema, UI strings and the names of files, every problem reported at its line."""
