"""Command line: ``python -m wordle_helpers COMMAND``.

- ``solve``: play every answer with the entropy solver and print one JSON object.
- ``course``: run the course headless (every notebook in order) for a profile.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from wordle_helpers.words import WordListError, load_allowed, load_answers


def _solve(args: argparse.Namespace) -> int:
    from wordle_helpers.solver import EntropySolver

    answers = load_answers(args.answers)
    allowed = load_allowed(args.allowed, answers=answers)
    solver = EntropySolver(allowed, answers)
    report = solver.play_all()
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(
            f"{report.games} games with opener {report.opener.upper()}: {report.win_rate:.1%} won, "
            f"mean {report.mean_guesses:.4f} guesses, worst {report.max_guesses}, {report.seconds:.1f} s"
        )
        print("guesses: " + "  ".join(f"{k}: {v}" for k, v in report.histogram.items()))
    return 0


def _course(args: argparse.Namespace) -> int:
    from wordle_helpers.course import run_course

    return run_course(args.profile)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wordle_helpers", description="Wordle RFT course helpers")
    commands = parser.add_subparsers(dest="command", required=True)

    solve = commands.add_parser("solve", help="play every answer with the entropy solver")
    solve.add_argument("--answers", help="answer list (one word per line or a CSV with a Word column)")
    solve.add_argument("--allowed", help="allowed-guess list (same formats); answers are always allowed")
    solve.add_argument("--json", action="store_true", help="print one JSON object")
    solve.set_defaults(func=_solve)

    course = commands.add_parser("course", help="run every notebook in order, headless")
    course.add_argument("--profile", default=None, help="profile name (default: $WORDLE_PROFILE or laptop)")
    course.set_defaults(func=_course)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WordListError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
