"""The ``rpt`` command line: ``rpt verify`` (more subcommands arrive with later steps)."""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Iterator

from .rewards import VERSION, VerifierInputError, verify


def _verify_line(line: str) -> dict:
    """One JSON line in, one verdict dict out; malformed input becomes an ``error`` verdict."""
    row: dict = {}
    try:
        parsed = json.loads(line)
        if not isinstance(parsed, dict):
            raise VerifierInputError("each line must be a JSON object with kind, completion, reference")
        row = parsed
        missing = [k for k in ("kind", "completion", "reference") if k not in row]
        if missing:
            raise VerifierInputError(f"missing field(s) {missing}; each line needs kind, completion, reference")
        out = verify(row["kind"], row["completion"], row["reference"]).to_dict()
    except (json.JSONDecodeError, VerifierInputError, KeyError, TypeError, ValueError) as exc:
        out = {"correct": False, "extracted": None, "reason": "error", "verifier": f"rpt@{VERSION}",
               "detail": f"{type(exc).__name__}: {exc}"}
    if "id" in row:
        out = {"id": row["id"], **out}
    return out


def _lines(stream: IO[str]) -> Iterator[str]:
    return (line for line in stream if line.strip())


def cmd_verify(args: argparse.Namespace) -> int:
    stream = sys.stdin if args.input in (None, "-") else open(args.input)
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        for verdict in pool.map(_verify_line, _lines(stream)):
            sys.stdout.write(json.dumps(verdict, default=str) + "\n")
    sys.stdout.flush()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rpt", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify", help="verify JSON lines {kind, completion, reference[, id]}")
    p.add_argument("input", nargs="?", help="JSONL file (default: stdin)")
    p.add_argument("--workers", type=int, default=8, help="parallel verifications (default 8)")
    p.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
