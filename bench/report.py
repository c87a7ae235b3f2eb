"""The benchmark's table: every figure, its ratio to Hugo's cold build, and the goals."""

from __future__ import annotations

from collections.abc import Mapping

from bench.measure import Measure

Figure = Measure | float | str
Figures = Mapping[str, Mapping[str, Figure]]
ROWS = (
    ("cold", "cold build (no cache)"),
    ("noop", "rebuild, nothing changed"),
    ("edit", "rebuild, one story edited"),
    ("serve", "serve: save -> page served"),
)
TOOLS = (("ours", "ask-for-help"), ("hugo", "hugo"))
SERVE_GOAL_SECONDS = 0.3
GROWTH_SLACK = 1.05


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
    hugo_cold = figures["hugo"].get("cold")
    hugo_time, hugo_peak = time_of(hugo_cold), peak_of(hugo_cold)
    head = f"{size:,} stories".ljust(30) + "".join(f"| {label:<43}" for _, label in TOOLS)
    sub = " " * 30 + f"| {'time':<10} {'x hugo cold':<12} {'peak':<9} {'x peak':<9}" * 2
    lines = [head, sub, "-" * len(sub)]
    notes = []
    for key, label in ROWS:
        cells = []
        for tool, _ in TOOLS:
            figure = figures[tool].get(key)
            if isinstance(figure, str):
                notes.append(f"  {tool} {key}: {figure}")
            peak = peak_of(figure)
            cells.append(
                f"| {seconds(figure):<10} {ratio(time_of(figure), hugo_time):<12} "
                f"{megabytes(peak):<9} {ratio(peak, hugo_peak):<9}"
            )
        lines.append(label.ljust(30) + "".join(cells))
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


def divide(value: float | None, reference: float | None) -> float | None:
    """`value / reference` when both exist."""
    return None if value is None or not reference else value / reference


def goals(results: Mapping[int, Figures]) -> list[str]:
    """The issue's goals, judged at the largest size (and its growth from the smallest)."""
    big, small = max(results), min(results)
    ours, hugo = results[big]["ours"], results[big]["hugo"]
    hugo_time = time_of(hugo.get("cold"))
    rows = [
        (f"cold build, {big:,}", divide(time_of(ours.get("cold")), hugo_time), 1.5, "x"),
        (
            f"rebuild, nothing changed, {big:,}",
            divide(time_of(ours.get("noop")), hugo_time),
            0.1,
            "x",
        ),
        (
            f"rebuild after one edit, {big:,}",
            divide(time_of(ours.get("edit")), hugo_time),
            0.1,
            "x",
        ),
        (f"serve: save -> served, {big:,}", time_of(ours.get("serve")), SERVE_GOAL_SECONDS, " s"),
        (
            f"peak memory, cold build {big:,}",
            divide(peak_of(ours.get("cold")), peak_of(hugo.get("cold"))),
            0.25,
            "x",
        ),
    ]
    if big != small:
        growth = divide(time_of(ours.get("cold")), time_of(results[small]["ours"].get("cold")))
        rows.append((f"cost growth {small:,} -> {big:,}", growth, big / small * GROWTH_SLACK, "x"))
    return [f"{label:<40}{verdict(value, goal, unit)}" for label, value, goal, unit in rows]


def table(results: Mapping[int, Figures]) -> str:
    """Every size's rows, then the goals."""
    lines: list[str] = []
    for size in sorted(results):
        lines += [*size_table(size, results[size]), ""]
    lines += ["goals (ratios to Hugo's cold build of the same corpus)", "-" * 72]
    lines += goals(results)
    return "\n".join(lines)
