"""New stories, campaigns and pages: their files' names and first text, as drafts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sitegen.content.config import SiteConfig
from sitegen.content.slugs import SLUG, slugify
from sitegen.errors import SiteError

FOLDERS = {"story": "stories", "campaign": "campaigns", "page": "pages"}
# What the editor replaces; the file stays a draft (draft: true) until they do.
_SUMMARY = "A sentence or two for listings, feeds and link previews."


def check_slug(kind: str, slug: str) -> None:
    """Refuse a name that is not URL-safe; a page may sit in folders (`ask/thanks`)."""
    parts = slug.split("/") if kind == "page" else [slug]
    if all(SLUG.fullmatch(part) for part in parts):
        return
    example = "/".join(slugify(part) for part in parts).strip("/") or f"my-{kind}"
    raise SiteError(
        f"'{slug}' cannot be the name of a {kind}: use lowercase letters a-z, digits and"
        f" single hyphens, such as '{example}'"
    )


def languages(option: str | None, config: SiteConfig) -> list[str]:
    """The languages of `--lang en,de` in the site's order; all of the site's by default."""
    if option is None:
        return list(config.codes)
    asked = [code.strip() for code in option.split(",") if code.strip()]
    unknown = [code for code in asked if code not in config.codes]
    if unknown or not asked:
        shown = ", ".join(unknown) or repr(option)
        raise SiteError(f"--lang {shown}: the site's languages are {', '.join(config.codes)}")
    return [code for code in config.codes if code in asked]


def taken(folder: Path, slug: str, config: SiteConfig) -> list[Path]:
    """The files already there under this name, in any language."""
    base = folder / slug
    names = [base.with_name(f"{base.name}.md")]
    names += [base.with_name(f"{base.name}.{code}.md") for code in config.codes]
    if base.parent.is_dir():
        names += sorted(base.parent.glob(f"{base.name}.*.md"))
    return [path for path in dict.fromkeys(names) if path.exists()]


def new_files(kind: str, slug: str, langs: Sequence[str], today: date) -> dict[str, str]:
    """Each new file's path below the content folder, and its text."""
    leaf = slug.rpartition("/")[2]
    text = _text(kind, leaf.replace("-", " ").capitalize(), today)
    return {f"{FOLDERS[kind]}/{slug}.{lang}.md": text for lang in langs}


def _text(kind: str, title: str, today: date) -> str:
    fields = [f'title: "{title}"']
    fields += [f"date: {today}"] if kind != "page" else [f"updated: {today}"]
    fields += [f'summary: "{_SUMMARY}"']
    fields += ["tags: []"] if kind != "page" else []
    fields += ["draft: true"]
    return "---\n" + "\n".join(fields) + f"\n---\n\nWrite the {kind} here, in Markdown.\n"
