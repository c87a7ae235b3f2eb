"""URL-safe names for tags and files."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Matched whole (`fullmatch`): "$" also matches before a final line break.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Letters that Unicode does not decompose into a base letter plus an accent.
_SPECIAL = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "œ": "oe"})


# Tags recur on many stories, and each is slugified wherever it is shown or checked.
@lru_cache(maxsize=1 << 14)
def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: 'Rückkehr zum Job' → 'ruckkehr-zum-job'."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
