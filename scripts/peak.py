"""Run a command; print its wall time, exit status and the peak of the summed resident memory of
its whole process tree (sampled from /proc every 50 ms; pages a forked process shares are counted
in each process, so this overstates), and the largest address space any one process reached.
Used for the measurements in docs/manuscript-format.md#limits:

    python3 scripts/peak.py prlimit --as=2147483648 .venv/bin/press build -m BOOK -d OUT -q
"""
from __future__ import annotations

import subprocess
import sys
import time

from press.bench import process_tree as tree  # scripts/ is on the path: this file lies beside press/


def sample(pids: list[int], peaks: dict[int, int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                    elif line.startswith("VmPeak:"):
                        peaks[p] = max(peaks.get(p, 0), int(line.split()[1]))
        except OSError:
            pass
    return total


def main() -> int:
    started = time.monotonic()
    proc = subprocess.Popen(sys.argv[1:])
    peak, peaks = 0, {}
    while proc.poll() is None:
        peak = max(peak, sample(tree(proc.pid), peaks))
        time.sleep(0.05)
    print(f"exit {proc.returncode}  {time.monotonic() - started:.1f} s  peak tree RSS {peak / 1024:.0f} MiB, "
          f"largest process VmPeak {max(peaks.values(), default=0) / 1024:.0f} MiB", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
