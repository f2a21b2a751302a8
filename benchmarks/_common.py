"""Helpers shared by the benchmark scripts: timing, machine description, result files."""

import os
import platform
import time
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(fn, repeats=3):
    """Run ``fn()`` ``repeats`` times; return (best wall time in s, last result)."""
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def machine():
    """One line describing this machine and the numeric stack."""
    import numpy
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    blas = ", ".join(sorted({f"{i['internal_api']} ({i['num_threads']} threads)"
                             for i in threadpool_info() if i["user_api"] == "blas"}))
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {numpy.__version__}, scipy {scipy.__version__}, "
            f"scikit-learn {sklearn.__version__}, BLAS: {blas or 'unknown'}")


def table(header, rows):
    """A Markdown table from a header list and rows of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(family, title, sections, quick):
    """Write ``results/<family>.md`` (``<family>_quick.md`` in quick mode) and print it.

    ``sections`` is a list of (heading, markdown text) pairs.
    """
    RESULTS.mkdir(exist_ok=True)
    name = f"{family}_quick.md" if quick else f"{family}.md"
    parts = [f"# {title}", "", f"Run on {date.today().isoformat()}; {machine()}.",
             "Times are the best of repeats, in seconds; ratio = anchor time / skstruct time.", ""]
    for heading, text in sections:
        parts += [f"## {heading}", "", text, ""]
    text = "\n".join(parts)
    (RESULTS / name).write_text(text)
    print(text)
    return RESULTS / name
