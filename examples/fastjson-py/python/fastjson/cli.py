"""`fastjson` command: minify JSON from stdin (or files) to stdout."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from fastjson import JSONDecodeError, __version__, is_valid, minify


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as f:
        return f.read()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="fastjson",
        description="Minify JSON. Reads stdin when no file is given.",
    )
    parser.add_argument("files", nargs="*", default=["-"], metavar="FILE", help="input files ('-' for stdin)")
    parser.add_argument("--check", action="store_true", help="only validate; exit 1 if any input is invalid")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)

    status = 0
    for path in args.files:
        name = "<stdin>" if path == "-" else path
        try:
            text = _read(path)
        except OSError as e:
            print(f"fastjson: {name}: {e.strerror}", file=sys.stderr)
            status = 1
            continue
        if args.check:
            if not is_valid(text):
                print(f"fastjson: {name}: invalid JSON", file=sys.stderr)
                status = 1
            continue
        try:
            sys.stdout.write(minify(text) + "\n")
        except JSONDecodeError as e:
            print(f"fastjson: {name}: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
