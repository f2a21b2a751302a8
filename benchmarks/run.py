"""Run the benchmarks: ``python benchmarks/run.py [--quick] [FAMILY ...]``.

Each ``bench_<family>.py`` defines ``main(quick=False)``; results go to
``benchmarks/results/<family>.md`` (``<family>_quick.md`` with ``--quick``).
"""

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def families():
    return sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="*", help=f"among: {', '.join(families())} (default all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute in all")
    args = parser.parse_args(argv)
    chosen = args.family or families()
    unknown = set(chosen) - set(families())
    if unknown:
        parser.error(f"unknown families {sorted(unknown)}; choose among {families()}")
    sys.path.insert(0, str(HERE))
    for fam in chosen:
        t0 = time.perf_counter()
        importlib.import_module(f"bench_{fam}").main(quick=args.quick)
        print(f"[{fam}] done in {time.perf_counter() - t0:.1f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
