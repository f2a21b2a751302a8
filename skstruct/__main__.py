"""``python -m skstruct``: a tour that fits each family on built-in data.

Usage::

    python -m skstruct                 # every family present
    python -m skstruct --list          # the families present
    python -m skstruct --family NAME   # one family
"""

import argparse
import sys
import time

from skstruct import __version__
from skstruct._tour import available_families, load


def main(argv=None):
    families = available_families()
    parser = argparse.ArgumentParser(
        prog="python -m skstruct",
        description="Tour of skstruct: fit each family on built-in data and print what it found.",
    )
    parser.add_argument("--list", action="store_true", help="list the families and exit")
    parser.add_argument("--family", choices=families, metavar="NAME",
                        help="run one family: " + ", ".join(families))
    args = parser.parse_args(argv)

    if args.list:
        for name in families:
            print(f"{name:24s} {load(name).TITLE}")
        return 0

    print(f"skstruct {__version__} tour")
    for name in [args.family] if args.family else families:
        module = load(name)
        t0 = time.perf_counter()
        line = module.run()
        elapsed = time.perf_counter() - t0
        print(f"[{name}] {module.TITLE}\n    {line} ({elapsed:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
