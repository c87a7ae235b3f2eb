"""The benchmark's table: every figure, its ratio to Hugo's cold build (or, with photos, to
its build that finds them made: see `hugo_reference`), and the goals."""

from __future__ import annotations

from collections.abc import Mapping

from bench.measure import Measure

Figure = Measure | float | str
Figures = Mapping[str, Mapping[str, Figure]]
ROWS = (
    ("cold", "cold build (no cache)"),
    ("photos", "cold, photos made *"),
    ("noop", "rebuild, nothing changed"),
    ("edit", "rebuild, one story edited"),
    ("retitle", "rebuild, one title edited"),
    ("redate", "rebuild, one date edited"),
    ("retag", "rebuild, one tag edited"),
    ("newtag", "rebuild, a new tag"),
    ("serve", "serve: save -> page served"),
    ("serve_retitle", "serve: title saved -> served"),
    ("serve_redate", "serve: date saved -> served"),
    ("serve_retag", "serve: tag saved -> served"),
    ("serve_newtag", "serve: new tag saved -> served"),
)
TOOLS = (("ours", "ask-for-help"), ("hugo", "hugo"))
SERVE_GOAL_SECONDS = 0.15
PHOTOS_NOTE = (
    "  * output and cache moved aside but for the photos' variants, on both sides. Every"
    " ratio but the cold build's time is to Hugo's build of this kind."
)


def seconds(figure: Figure | None) -> str:
    """A time figure, or why there is none."""
    if isinstance(figure, Measure):
        return f"{figure.seconds:.2f} s" if figure.returncode == 0 else "failed"
    if isinstance(figure, float):
        return f"{figure * 1000:.0f} ms"
    return "-" if figure is None else "n/a"


def time_of(figure: Figure | None) -> float | None:
    """Seconds of a successful figure."""
    if isinstance(figure, Measure):
        return figure.seconds if figure.returncode == 0 else None
    return figure if isinstance(figure, float) else None


def peak_of(figure: Figure | None) -> int | None:
    """Peak kB of a successful build."""
    if isinstance(figure, Measure) and figure.returncode == 0:
        return figure.peak_kb
    return None


def ratio(value: float | None, reference: float | None) -> str:
    """`value` as a multiple of `reference`."""
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}x"


def megabytes(kb: int | None) -> str:
    """kB as MB."""
    return "-" if kb is None else f"{kb / 1024:.0f} MB"


def size_table(size: int, figures: Figures) -> list[str]:
    """The rows for one corpus size."""
    head = f"{size:,} stories".ljust(30) + "".join(f"| {label:<43}" for _, label in TOOLS)
    sub = " " * 30 + f"| {'time':<10} {'x hugo':<12} {'peak':<9} {'x peak':<9}" * 2
    lines = [head, sub, "-" * len(sub)]
    notes = []
    for key, label in ROWS:
        if key == "photos" and key not in figures["ours"]:
            continue
        time_reference = hugo_reference(figures["hugo"], key, "time")
        peak_reference = hugo_reference(figures["hugo"], key, "peak")
        cells = []
        for tool, _ in TOOLS:
            figure = figures[tool].get(key)
            if isinstance(figure, str):
                notes.append(f"  {tool} {key}: {figure}")
            peak = peak_of(figure)
            cells.append(
                f"| {seconds(figure):<10} {ratio(time_of(figure), time_of(time_reference)):<12} "
                f"{megabytes(peak):<9} {ratio(peak, peak_of(peak_reference)):<9}"
            )
        lines.append(label.ljust(30) + "".join(cells))
    if "photos" in figures["ours"]:
        notes.append(PHOTOS_NOTE)
    return lines + notes


def verdict(value: float | None, goal: float, unit: str) -> str:
    """The measured value, the goal, and PASS or MISS by how much."""

    def shown(number: float) -> str:
        return f"{number * 1000:.0f} ms" if unit == " s" else f"{number:.2f}x"

    head = f"{'-' if value is None else shown(value):<10} goal <= {shown(goal):<9}"
    if value is None:
        return f"{head} not measured"
    if value <= goal:
        return f"{head} PASS"
    return f"{head} MISS by {value / goal:.1f}x"


def hugo_reference(hugo: Mapping[str, Figure], key: str, kind: str) -> Figure | None:
    """The Hugo build a figure is a multiple of: its cold build, except where its photos
    were made; then the cold build's time counts against Hugo's cold build, and every other
    figure against Hugo's build with the photos made, the smaller one."""
    photos = hugo.get("photos")
    measured = time_of(photos) if kind == "time" else peak_of(photos)
    if (key, kind) == ("cold", "time") or measured is None:
        return hugo.get("cold")  # also when that build failed
    return photos


def divide(value: float | None, reference: float | None) -> float | None:
    """`value / reference` when both exist."""
    return None if value is None or not reference else value / reference


Results = Mapping[str, Mapping[int, Figures]]  # shape -> corpus size -> tool -> figures
# Each goal: its label, the corpus size it is judged at (None: the largest), what it measures
# against Hugo ("time" or "peak"; "serve" is absolute), the figure, and the goal.
# Where the corpus has photos, every figure but the cold build's time is judged against
# Hugo's build with its photos made (`hugo_reference`): the photos are the same work on both
# sides, and Hugo resizes them far slower, which would hide how fast the pages are made.
GOALS = (
    ("cold build, 10,000", 10_000, "time", "cold", 1.25),
    ("cold build, 1,000", 1_000, "time", "cold", 1.5),
    ("cold build, 10,000, photos made", 10_000, "time", "photos", 1.25),
    ("cold build, 1,000, photos made", 1_000, "time", "photos", 1.5),
    ("rebuild after one edit, 10,000", 10_000, "time", "edit", 0.05),
    ("rebuild after a title edit, 10,000", 10_000, "time", "retitle", 0.05),
    ("rebuild after a date edit, 10,000", 10_000, "time", "redate", 0.05),
    ("rebuild after a tags edit, 10,000", 10_000, "time", "retag", 0.05),
    ("rebuild after a new tag, 10,000", 10_000, "time", "newtag", 0.05),
    ("rebuild, nothing changed, 10,000", 10_000, "time", "noop", 0.03),
    ("peak memory, cold build 10,000", 10_000, "peak", "cold", 0.1),
    ("serve: save -> served, 10,000", 10_000, "serve", "serve", SERVE_GOAL_SECONDS),
    ("serve: title -> served, 10,000", 10_000, "serve", "serve_retitle", SERVE_GOAL_SECONDS),
    ("serve: date -> served, 10,000", 10_000, "serve", "serve_redate", SERVE_GOAL_SECONDS),
    ("serve: tag -> served, 10,000", 10_000, "serve", "serve_retag", SERVE_GOAL_SECONDS),
    ("serve: new tag -> served, 10,000", 10_000, "serve", "serve_newtag", SERVE_GOAL_SECONDS),
)


def goal_value(figures: Figures, kind: str, key: str) -> float | None:
    """One shape's figure for a goal, as the goal counts it."""
    ours = figures["ours"]
    if kind == "serve":
        return time_of(ours.get(key))
    if key == "photos" and key not in ours:
        # A shape without photos has only cold builds, which find nothing made either way.
        key = "cold"
    reference = hugo_reference(figures["hugo"], key, kind)
    if kind == "peak":
        return divide(peak_of(ours.get(key)), peak_of(reference))
    return divide(time_of(ours.get(key)), time_of(reference))


def goals(results: Results) -> list[str]:
    """Each goal judged on the worst shape at its size, and every shape's figure beside it."""
    lines = []
    for label, size, kind, key, goal in GOALS:
        found = {
            shape: goal_value(sizes[size], kind, key)
            for shape, sizes in results.items()
            if size in sizes
        }
        measured = {shape: value for shape, value in found.items() if value is not None}
        worst = max(measured, key=lambda shape: measured[shape]) if measured else None
        unit = " s" if kind == "serve" else "x"
        value = measured[worst] if worst else None
        where = f"  worst: {worst}" if worst and len(measured) > 1 else ""
        lines.append(f"{label:<36}{verdict(value, goal, unit)}{where}")
        if len(measured) > 1:
            shown = (
                f"{shape} {value * 1000:.0f} ms" if unit == " s" else f"{shape} {value:.2f}x"
                for shape, value in measured.items()
            )
            lines.append(" " * 38 + ", ".join(shown))
    return lines


def table(results: Results) -> str:
    """Every shape's and size's rows, then the goals on the worst shape."""
    lines: list[str] = []
    for shape, sizes in results.items():
        for size in sorted(sizes):
            lines += [f"shape {shape}:", *size_table(size, sizes[size]), ""]
    lines += [
        "goals (ratios to Hugo's cold build of the same corpus, or with photos to its build"
        " with them made, but for the cold build's time; the worst shape counts)",
        "-" * 72,
    ]
    lines += goals(results)
    return "\n".join(lines)
