"""Images made side by side come out as one by one: same variants, problems in name order."""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageFile, ImageStat

from sitegen.errors import ContentError
from sitegen.render.images import IMAGES_MAX_AGE, forget_unused, image_set, process_images


def _images(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    files = {}
    for number, (name, size) in enumerate(
        [("a.png", (500, 300)), ("b.jpg", (1000, 700)), ("c.webp", (1600, 900))]
    ):
        files[name] = folder / name
        Image.new("RGB", size, (40 * number, 90, 160)).save(files[name])
    # The same bytes under a second name share one cache entry, made at the same time.
    files["same-as-b.jpg"] = folder / "same-as-b.jpg"
    files["same-as-b.jpg"].write_bytes(files["b.jpg"].read_bytes())
    return files


def test_every_image_gets_the_variants_it_gets_alone(tmp_path: Path) -> None:
    files = _images(tmp_path / "images")
    threads = threading.active_count()
    made = process_images([*files, "a.png"], files, tmp_path / "parallel")
    alone = {name: image_set(name, path, tmp_path / "serial") for name, path in files.items()}
    assert list(made) == sorted(files)
    for name, images in made.items():
        assert [v.url for v in images.variants] == [v.url for v in alone[name].variants]
        for variant, single in zip(images.variants, alone[name].variants, strict=True):
            assert variant.cached.read_bytes() == single.cached.read_bytes()
    # Pages are rendered in forked processes, which only a process of one thread may start.
    assert threading.active_count() == threads


def test_problems_come_in_name_order_with_the_good_images_made(tmp_path: Path) -> None:
    files = _images(tmp_path / "images")
    for name in ("z-text.jpg", "m-gif.gif", "d-empty.png"):
        files[name] = tmp_path / "images" / name
    files["z-text.jpg"].write_text("not an image", "utf-8")
    Image.new("P", (10, 10)).save(files["m-gif.gif"])
    files["d-empty.png"].write_bytes(b"")
    with pytest.raises(ContentError) as caught:
        process_images(files, files, tmp_path / "cache")
    problems = caught.value.problems
    assert [p.path.name for p in problems] == ["d-empty.png", "m-gif.gif", "z-text.jpg"]
    assert problems[1].message == "cannot use this image (GIF)"
    assert all(p.message.startswith("cannot use this image (") for p in problems)
    assert len(list((tmp_path / "cache" / "images").glob("*/meta.json"))) == 3


def test_each_width_is_the_picture_resized_from_the_original(tmp_path: Path) -> None:
    """Narrower widths are resized from wider ones; they show what resizing the original
    shows, well below what encoding changes."""
    path = tmp_path / "photo.png"
    gradient = Image.linear_gradient("L").resize((2000, 1250)).convert("RGB")
    noise = Image.effect_noise((2000, 1250), 60).convert("RGB")
    Image.blend(gradient, noise, 0.4).save(path)
    images = image_set("photo.png", path, tmp_path / "cache")
    assert [(v.width, v.mime) for v in images.variants] == [
        (480, "image/webp"),
        (480, "image/png"),
        (960, "image/webp"),
        (960, "image/png"),
        (1440, "image/webp"),
        (1440, "image/png"),
    ]
    with Image.open(path) as original:
        for variant in images.variants:
            if variant.mime != "image/png":  # lossless: the resized pixels as they are
                continue
            with Image.open(variant.cached) as made:
                direct = original.resize(made.size, Image.Resampling.LANCZOS)
                assert made.size == (variant.width, variant.height)
                assert _psnr(made.convert("RGB"), direct) > 45


def _psnr(one: Image.Image, other: Image.Image) -> float:
    difference = ImageStat.Stat(ImageChops.difference(one, other))
    error = sum(rms * rms for rms in difference.rms) / len(difference.rms)
    return math.inf if error == 0 else 10 * math.log10(255 * 255 / error)


def test_images_unused_for_a_month_leave_the_cache_and_used_ones_stay(tmp_path: Path) -> None:
    files = _images(tmp_path / "images")
    cache = tmp_path / "cache"
    first = process_images(files, files, cache)
    entries = cache / "images"
    made = {name: first[name].variants[0].cached.parent for name in files}
    # A replaced image: its old entry is no longer used; a month and a day go by.
    Image.new("RGB", (500, 300), (1, 2, 3)).save(files["a.png"])
    month_ago = time.time() - IMAGES_MAX_AGE - 86400
    for entry in entries.iterdir():
        os.utime(entry, (month_ago, month_ago))
    (entries / ".tmp-stopped").mkdir()  # what a build stopped while making one left
    os.utime(entries / ".tmp-stopped", (month_ago, month_ago))
    checked = process_images(files, files, cache, write=False)
    # A check neither removes nor marks.
    assert sorted(entries.iterdir()) == sorted({*made.values(), entries / ".tmp-stopped"})
    assert {entry.stat().st_mtime for entry in entries.iterdir()} == {month_ago}
    second = process_images(files, files, cache)
    kept = {name: second[name].variants[0].cached.parent for name in files}
    assert kept["a.png"] != made["a.png"]
    assert sorted(entries.iterdir()) == sorted(set(kept.values()))
    assert all(v.cached.is_file() for images in second.values() for v in images.variants)
    assert [v.url for v in checked["b.jpg"].variants] == [v.url for v in second["b.jpg"].variants]
    # Used now, so a later build keeps them; an entry unused for less than a month stays too.
    assert all(entry.stat().st_mtime > month_ago + 86400 for entry in entries.iterdir())
    recent = time.time() - IMAGES_MAX_AGE + 86400
    os.utime(kept["a.png"], (recent, recent))
    os.utime(kept["c.webp"], (month_ago, month_ago))
    assert forget_unused(entries, [second["b.jpg"]]) == [kept["c.webp"]]
    assert sorted(entries.iterdir()) == sorted({kept["a.png"], kept["b.jpg"]})


def test_an_entry_in_use_is_kept_from_a_build_removing_unused_ones(tmp_path: Path) -> None:
    """Two builds share a cache: the one that finds an old entry marks it at once, so the
    other, finishing first without it, keeps it; one removed before it was found is made again."""
    files = _images(tmp_path / "images")
    cache = tmp_path / "cache"
    entry = image_set("b.jpg", files["b.jpg"], cache).variants[0].cached.parent
    month_ago = time.time() - IMAGES_MAX_AGE - 86400
    os.utime(entry, (month_ago, month_ago))
    found = image_set("b.jpg", files["b.jpg"], cache)
    assert forget_unused(cache / "images", []) == []
    assert all(variant.cached.is_file() for variant in found.variants)
    os.utime(entry, (month_ago, month_ago))
    assert forget_unused(cache / "images", []) == [entry]
    again = image_set("b.jpg", files["b.jpg"], cache)
    assert [v.url for v in again.variants] == [v.url for v in found.variants]
    assert all(variant.cached.is_file() for variant in again.variants)


@pytest.mark.parametrize(
    ("kind", "orientation"),
    [("JPEG", turn) for turn in range(1, 9)] + [("PNG", 6), ("WEBP", 8)],
)
def test_a_check_works_out_the_variants_a_build_makes_without_reading_the_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, orientation: int
) -> None:
    path = tmp_path / f"photo.{kind.lower()}"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (1000, 601), (10, 120, 200)).save(path, format=kind, exif=exif)

    def no_pixels(image: object) -> None:
        raise AssertionError("a check read the picture")

    with monkeypatch.context() as patched:
        patched.setattr(ImageFile.ImageFile, "load", no_pixels)
        planned = image_set("photo", path, tmp_path / "check", write=False)
    made = image_set("photo", path, tmp_path / "build")
    described = [(v.url, v.width, v.height, v.mime) for v in planned.variants]
    assert described == [(v.url, v.width, v.height, v.mime) for v in made.variants]
    turned = orientation >= 5
    widest = max(made.variants, key=lambda v: v.width)
    assert (widest.width, widest.height) == ((601, 1000) if turned else (1000, 601))
    with Image.open(widest.cached) as file:
        assert file.size == (widest.width, widest.height)


def test_a_long_image_name_gives_variant_names_a_file_system_takes(tmp_path: Path) -> None:
    name = "a" * 240 + ".png"
    path = tmp_path / name
    Image.new("RGB", (1000, 600), (10, 20, 30)).save(path)
    images = image_set(name, path, tmp_path / "cache")
    for variant in images.variants:
        file = variant.url.rsplit("/", 1)[1]
        assert len(file.encode()) <= 255
        assert file.startswith("a" * 100 + "-")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc")
def test_an_image_that_cannot_be_read_is_a_problem_at_its_file(tmp_path: Path) -> None:
    # A file that opens but refuses to be read from its start.
    path = tmp_path / "memory.png"
    path.symlink_to("/proc/self/mem")
    with pytest.raises(ContentError) as caught:
        process_images(["memory.png"], {"memory.png": path}, tmp_path / "cache")
    [problem] = caught.value.problems
    assert (problem.path, problem.message) == (path, "cannot read: Input/output error")
