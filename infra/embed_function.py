"""Copy infra/cloudfront/site-router.js into infra/template.yaml, which must carry it inline."""

from __future__ import annotations

import sys
from pathlib import Path

from sitegen.infra_template import TEMPLATE_PATH, embed_block

SOURCE = Path(__file__).resolve().parent / "cloudfront" / "site-router.js"


def main() -> int:
    """Rewrite the template's FunctionCode block; exit 0."""
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    updated = embed_block(text, "FunctionCode", SOURCE.read_text(encoding="utf-8"))
    if updated != text:
        TEMPLATE_PATH.write_text(updated, encoding="utf-8")
        print(f"updated {TEMPLATE_PATH.name} from {SOURCE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
