"""Texts of plain paragraphs, converted without Python-Markdown.

Many texts are prose and nothing else: lines of words and punctuation in paragraphs. For them
Markdown has nothing to do but wrap each paragraph in `<p>`, and sanitising finds nothing to
change, yet the whole pipeline costs some 0.15 ms a text. A line counts as plain when no
character of it can start Markdown (emphasis, code, links, HTML, entities, escapes, tables,
attribute lists) or change how HTML is written (`&`, `<`, `>`, a no-break space), when it
starts with a letter or an opening quote or bracket (so it cannot open a heading, list, quote,
code block or rule, nor underline a heading), and when it does not end in a space (two make a
line break). `tests/site/markdown/test_plain.py` compares the result with the whole pipeline's.
"""

from __future__ import annotations

import re

_PUNCTUATION = re.escape(
    ".,;:!?'\"()/%+=@$€£-"
    "\u2013\u2014\u2026"  # dashes, an ellipsis
    "\u2018\u2019\u201a\u201c\u201d\u201e\u00ab\u00bb"  # quotation marks of the three languages
)
_PLAIN_LINE = re.compile(
    rf"(?:[^\W\d_]|[\"'(\u2018\u201a\u201c\u201e\u00ab])"  # how the line starts
    rf"(?:[^\W_]|[ {_PUNCTUATION}])*"
    rf"(?<! )",
)


def plain_paragraphs(text: str) -> str | None:
    """The HTML of a text of plain paragraphs, or None if it holds anything else."""
    if text.startswith("    ") and not text.split("\n", 1)[0].strip(" "):
        # Four spaces and nothing else on the first line open an empty code block: Markdown
        # blanks such lines only after a line break.
        return None
    paragraphs: list[str] = []
    lines: list[str] = []
    match = _PLAIN_LINE.fullmatch
    for line in text.split("\n"):
        if not line.strip(" "):
            if lines:
                paragraphs.append("<p>" + "\n".join(lines) + "</p>")
                lines = []
        elif match(line) is None:
            return None
        else:
            lines.append(line)
    if lines:
        paragraphs.append("<p>" + "\n".join(lines) + "</p>")
    return "\n".join(paragraphs)
