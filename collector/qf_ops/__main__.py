"""`python -m qf_ops` regenerates every artefact; `--check` only reports stale ones."""

from __future__ import annotations

import argparse
import sys

from qf_ops import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qf_ops", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a generated file is missing or out of date"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = generate.stale()
        for path in stale:
            print(f"stale: {path.relative_to(generate.REPO)}")
        return 1 if stale else 0
    for path in generate.write():
        print(f"wrote {path.relative_to(generate.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
