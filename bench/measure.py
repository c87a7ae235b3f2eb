"""Wall time and peak memory of one command, measured from a fresh helper process."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class Measure:
    """What one run of a command cost."""

    seconds: float
    peak_kb: int
    returncode: int


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except OSError:
            continue
        queue.extend(int(child) for child in children.split())
    return found


def pss_kb(pid: int) -> int:
    """Proportional set size of one process; shared pages are split between sharers."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        """Sample until `done` is set."""
        while not self.done.wait(SAMPLE_SECONDS):
            total = sum(pss_kb(pid) for pid in descendants(self.pid))
            self.peak_kb = max(self.peak_kb, total)


def run_here(command: list[str], log: Path, cwd: Path) -> Measure:
    """Run `command` as a child of this process; output goes to `log`."""
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        sampler = TreeSampler(child.pid)
        sampler.start()
        returncode = child.wait()
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    # ru_maxrss is the largest single process among waited-for children; the sampler adds
    # up a tree of workers. The peak is whichever is larger.
    maxrss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Measure(seconds, max(maxrss_kb, sampler.peak_kb), returncode)


def run_measured(command: list[str], log: Path, cwd: Path) -> Measure:
    """Run `command` under a fresh helper so no earlier child inflates its peak memory."""
    helper = [sys.executable, __file__, str(log), str(cwd), "--", *command]
    done = subprocess.run(helper, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measuring helper failed: {done.stderr.strip()}")
    fields = json.loads(done.stdout)
    return Measure(float(fields["seconds"]), int(fields["peak_kb"]), int(fields["returncode"]))


def main(argv: list[str]) -> int:
    """Helper entry: LOG CWD -- COMMAND...; prints the measure as JSON."""
    log, cwd, separator, *command = argv
    if separator != "--" or not command:
        print("usage: measure.py LOG CWD -- COMMAND...", file=sys.stderr)
        return 2
    measure = run_here(command, Path(log), Path(cwd))
    print(json.dumps(measure.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
