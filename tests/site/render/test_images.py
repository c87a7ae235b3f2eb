"""Images made side by side come out as one by one: same variants, problems in name order."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from sitegen.errors import ContentError
from sitegen.render.images import image_set, process_images


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
