"""Responsive images: several widths in WebP and the original format, cached by content hash."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

from sitegen.classes import dataclass
from sitegen.content.slugs import slugify
from sitegen.errors import ContentError, Problem
from sitegen.parallel import cores
from sitegen.unused import remove_unused

WIDTHS = (480, 960, 1440)
# Part of the cache key: changing how images are made must not reuse old files.
_RECIPE = "v2 webp80 jpeg82 lanczos, each width from the next wider"
_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
_WEBP = ("image/webp", "webp")
_ORIENTATION = 0x0112  # the EXIF tag
# Made images no build has used for this long are removed from the cache (replaced or
# deleted images, and those of an older recipe), so that a cache kept from build to build,
# as CI keeps it, does not grow with every image ever replaced.
IMAGES_MAX_AGE = 30 * 86400
SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "webp": {"quality": 80, "method": 4},
    "jpg": {"quality": 82, "optimize": True, "progressive": True},
    "png": {"optimize": True},
}


@dataclass(frozen=True)
class Variant:
    """One resized file of an image."""

    url: str
    width: int
    height: int
    mime: str
    cached: Path


@dataclass(frozen=True)
class ImageSet:
    """All variants of one source image."""

    name: str
    variants: tuple[Variant, ...]

    def srcset(self, mime: str) -> str:
        """The `srcset` attribute for one format."""
        return ", ".join(f"{v.url} {v.width}w" for v in self.variants if v.mime == mime)

    @property
    def fallback(self) -> Variant:
        """The largest variant in the original format, for `src` and Open Graph."""
        return max(self.variants, key=lambda v: (v.mime != "image/webp", v.width))

    @property
    def mimes(self) -> list[str]:
        """Formats offered, WebP first."""
        return sorted({v.mime for v in self.variants}, key=lambda m: m != "image/webp")


# The most of an image's name its variants' names keep.
STEM_AT_MOST = 100


def process_images(
    names: Iterable[str], files: dict[str, Path], cache: Path, *, write: bool = True
) -> dict[str, ImageSet]:
    """Make (or reuse from the cache) every variant of the named images, on every core.

    Without `write`, variants the cache lacks are worked out (names, sizes) but not made,
    and nothing is written: enough to check a site. With it, the entries used are marked as
    used, and those unused for `IMAGES_MAX_AGE` are removed."""
    wanted = sorted(set(names))
    result: dict[str, ImageSet] = {}
    problems: list[Problem] = []
    if wanted:
        # Pillow lets go of the GIL while it resizes and encodes, so threads use every core.
        from concurrent.futures import ThreadPoolExecutor  # only when images are made

        with ThreadPoolExecutor(max(1, min(cores(), len(wanted)))) as pool:
            made = pool.map(
                lambda name: _image_set_or_error(name, files[name], cache, write), wanted
            )
            for name, found in zip(wanted, made, strict=True):
                if isinstance(found, ContentError):
                    problems += found.problems
                else:
                    result[name] = found
    if problems:
        raise ContentError(problems)
    if write:
        forget_unused(cache / "images", result.values())
    return result


def forget_unused(folder: Path, used: Iterable[ImageSet], now: float | None = None) -> list[Path]:
    """Remove the entries other than those of `used` (which `image_set` marked as used when
    it found or made them) and leftovers of builds stopped while making one, when unused for
    `IMAGES_MAX_AGE`; the removed, in order."""
    entries = {variant.cached.parent for images in used for variant in images.variants}
    return remove_unused(folder, entries, IMAGES_MAX_AGE, now, folders=True)


def _image_set_or_error(name: str, path: Path, cache: Path, write: bool) -> ImageSet | ContentError:
    try:
        return image_set(name, path, cache, write=write)
    except ContentError as exc:
        return exc


def image_set(name: str, path: Path, cache: Path, *, write: bool = True) -> ImageSet:
    """The variants of one image, made on first use (only planned, without `write`)."""
    digest = _digest(path)
    folder = cache / "images" / digest
    meta = _made(folder, mark=write)
    if meta is None and write:
        _make_variants(path, folder)
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
    elif meta is None:
        meta = {"variants": _variants(path, None)}
    # Cut short enough that the variant's name stays within a file name's 255 bytes.
    stem = slugify(Path(name).stem)[:STEM_AT_MOST].rstrip("-") or "image"
    return ImageSet(
        name,
        tuple(
            Variant(
                f"/images/{stem}-{digest[:10]}-{v['width']}.{v['ext']}",
                v["width"],
                v["height"],
                v["mime"],
                folder / v["file"],
            )
            for v in meta["variants"]
        ),
    )


def _made(folder: Path, *, mark: bool) -> dict[str, Any] | None:
    """What a made cache entry holds, or None when there is none; with `mark`, the entry is
    first marked as used, so that another build removing unused entries meanwhile keeps it."""
    try:
        if mark:
            os.utime(folder)
        meta: dict[str, Any] = json.loads((folder / "meta.json").read_text("utf-8"))
    except FileNotFoundError:  # none, or removed as unused a moment ago: made again
        return None
    return meta


def _digest(path: Path) -> str:
    try:
        with path.open("rb") as file:
            digest = hashlib.file_digest(file, "sha256")
    except OSError as error:  # a folder, no permission, a device that refuses
        raise ContentError([Problem(path, None, f"cannot read: {error.strerror}")]) from None
    digest.update(_RECIPE.encode())
    return digest.hexdigest()[:32]


def _make_variants(path: Path, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        variants = _variants(path, work)
        (work / "meta.json").write_text(json.dumps({"variants": variants}), "utf-8")
        os.replace(work, folder)
    except OSError:
        # Another build made the same entry first; its files are identical.
        if not (folder / "meta.json").is_file():
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _variants(path: Path, work: Path | None) -> list[dict[str, object]]:
    """Every variant of an image: saved into `work`, or with `work` None only described."""
    # Imported only here: most builds find every image made already.
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as source:
            kind = _FORMATS.get(source.format or "")
            if kind is None:
                raise _unsupported(path, source.format or "unknown")
            # Only described, the picture is not read (a check of a site of photos would
            # otherwise decode every one): its size as EXIF orientation turns it.
            larger = ImageOps.exif_transpose(source) if work is not None else None
            full_width, full_height = larger.size if larger is not None else _turned(source)
            variants: list[dict[str, object]] = []
            # The widest first, and each narrower one from the one before: fewer pixels to
            # read (half the time for a photo 4,000 pixels wide), and the same picture.
            for width in sorted(_widths(full_width), reverse=True):
                height = max(1, round(full_height * width / full_width))
                # Once for every format of this width: resizing costs as much as encoding.
                resized = None
                if larger is not None:
                    resized = larger = larger.resize((width, height), Image.Resampling.LANCZOS)
                variants[:0] = [
                    _variant(resized, width, height, mime_ext, work)
                    for mime_ext in dict.fromkeys([_WEBP, kind])
                ]
            return variants
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        # The last: more pixels than Pillow opens, which a few bytes of header can claim.
        raise _unsupported(path, str(exc)) from exc


def _turned(source: Image.Image) -> tuple[int, int]:
    """The size of an image once turned as its EXIF orientation says, as `exif_transpose`
    turns it: orientations 5 to 8 swap width and height. (A PNG whose EXIF follows its
    pixels is read whole to find it, as `exif_transpose` reads it.)"""
    width, height = source.size
    turned = source.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8)
    return (height, width) if turned else (width, height)


def _widths(original: int) -> list[int]:
    return sorted({w for w in WIDTHS if w < original} | {min(original, WIDTHS[-1])})


def _variant(
    resized: Image.Image | None,
    width: int,
    height: int,
    mime_ext: tuple[str, str],
    work: Path | None,
) -> dict[str, object]:
    mime, ext = mime_ext
    file = f"{width}.{ext}"
    if resized is not None and work is not None:
        if ext == "jpg" and resized.mode != "RGB":
            resized = resized.convert("RGB")
        kind = {"jpg": "JPEG"}.get(ext, ext.upper())
        resized.save(work / file, format=kind, **SAVE_OPTIONS[ext])
    return {"width": width, "height": height, "mime": mime, "ext": ext, "file": file}


def _unsupported(path: Path, detail: str) -> ContentError:
    hint = "save it as JPEG, PNG or WebP"
    return ContentError([Problem(path, None, f"cannot use this image ({detail})", hint)])
