"""Static files (CSS, JS, icons) published under names that carry a hash of their content."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from sitegen.classes import dataclass


@dataclass(frozen=True)
class Assets:
    """Fingerprinted URLs by source name, and the files to publish."""

    urls: dict[str, str]
    files: dict[str, bytes]

    def url(self, name: str) -> str:
        """The URL of `templates/static/<name>`; a missing file is an error."""
        if name not in self.urls:
            raise KeyError(f"no static file '{name}' in templates/static/")
        return self.urls[name]


def collect_assets(static_dir: Path) -> Assets:
    """Read every static file and name its output after its hash."""
    urls: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if static_dir.is_dir():
        for path in sorted(p for p in static_dir.rglob("*") if p.is_file()):
            name = path.relative_to(static_dir).as_posix()
            if name.startswith(".") or "/." in name:
                continue
            data = path.read_bytes()
            output = f"static/{fingerprint(name, data)}"
            urls[name] = f"/{output}"
            files[output] = data
    return Assets(urls, files)


def fingerprint(name: str, data: bytes) -> str:
    """`css/site.css` → `css/site.1a2b3c4d5e.css`."""
    path = PurePosixPath(name)
    digest = hashlib.sha256(data).hexdigest()[:10]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))
