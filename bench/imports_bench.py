"""Benchmark the GIAS import's memory: it must not grow with the size of the file.

    .venv/bin/python bench/imports_bench.py [--sizes 10 100] [--dir /tmp]

Writes national-sized GIAS extracts (the real layout and Windows-1252 encoding, the
demo county's 248 schools spread through other LAs' rows; see
``tests/clusters/gias.py``) of each size in MB, then parses each one in a fresh
process as ``manage.py import_gias`` does (``clusters.importers.parse_gias`` over
the open file) and prints the time, the peak of Python allocations (tracemalloc)
and the process's peak resident memory (``resource.getrusage``). Parsing is the
part that grows with the file: the write step only sees the LA's schools.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def measure(path: Path) -> dict:
    import django

    django.setup()
    from clusters.importers import parse_gias

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with open(path, "rb") as handle:
        result = parse_gias(handle, "931", max_bytes=path.stat().st_size)
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    with open(path, "rb") as handle:
        parse_gias(handle, "931", max_bytes=path.stat().st_size)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "rows": result.rows_read,
        "kept": len(result.records),
        "errors": len(result.errors),
        "seconds": round(seconds, 2),
        "traced_peak_mb": round(traced / 1e6, 2),
        "rss_peak_mb": round(rss / 1024, 1),
        "rss_growth_mb": round((rss - baseline) / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100], metavar="MB")
    parser.add_argument("--dir", type=Path, default=Path("/tmp"))
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0

    from tests.clusters.gias import write_national_extract

    results = []
    for size in args.sizes:
        path = args.dir / f"gias-bench-{size}mb.csv"
        if not path.exists() or path.stat().st_size < size * 1_000_000:
            write_national_extract(path, size * 1_000_000)
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(child.stdout)
        results.append(row)
        print(
            f"{path.stat().st_size / 1e6:6.0f} MB, {row['rows']:,} rows, {row['kept']} kept: "
            f"{row['seconds']} s; peak traced {row['traced_peak_mb']} MB; "
            f"peak RSS {row['rss_peak_mb']} MB (+{row['rss_growth_mb']} MB while parsing)"
        )
    if len(results) > 1:
        grew = results[-1]["traced_peak_mb"] / max(results[0]["traced_peak_mb"], 0.01)
        print(f"traced peak, largest file / smallest file: {grew:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
