"""Command line: ``python -m wordle_helpers COMMAND``.

- ``solve``: play every answer with the entropy solver and print one JSON object.
- ``course``: run the course headless (every notebook in order) for a profile.
- ``play``: serve the Wordle board (notebook 06) with Voilà.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from wordle_helpers.words import WordListError, load_allowed, load_answers


def _solve(args: argparse.Namespace) -> int:
    from wordle_helpers.solver import EntropySolver

    answers = load_answers(args.answers, strict=not args.skip_bad_lines)
    allowed = load_allowed(args.allowed, answers=answers, strict=not args.skip_bad_lines)
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


def _sft(args: argparse.Namespace) -> int:
    from wordle_helpers.profiles import get_profile
    from wordle_helpers.sft import train_sft

    final = train_sft(get_profile(args.profile), resume=not args.restart)
    print(f"SFT adapter saved to {final}")
    return 0


def _grpo(args: argparse.Namespace) -> int:
    from wordle_helpers.grpo import train_grpo, with_vllm
    from wordle_helpers.profiles import get_profile

    profile = get_profile(args.profile)
    if args.vllm:
        profile = with_vllm(profile, args.vllm)
    final = train_grpo(profile, start=args.start, resume=not args.restart)
    print(f"GRPO adapter saved to {final}")
    return 0


def _int_from(low: int, high: int | None, noun: str, advice: str):
    """argparse type for a whole number from ``low`` to ``high`` (no upper bound when ``None``); anything else is a
    usage error that says what was wrong, calls a number out of range not ``noun``, and gives ``advice``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; {advice}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is not {noun}; {advice}")
        return value
    return parse


def _evaluate(args: argparse.Namespace) -> int:
    from wordle_helpers.evaluation import evaluate_games, make_player
    from wordle_helpers.profiles import get_profile
    from wordle_helpers.words import split_secrets

    profile = get_profile(args.profile)
    answers = load_answers()
    allowed = load_allowed(answers=answers)
    secrets = list(split_secrets(answers)[args.split])
    games = args.games or profile.evaluation.games
    secrets = secrets[:games] if games <= len(secrets) else [secrets[i % len(secrets)] for i in range(games)]
    player = make_player(profile, args.model, answers, allowed)
    metrics = evaluate_games(player, secrets, allowed, progress=not args.json)
    metrics.update(profile=profile.name, model=args.model, split=args.split)
    if args.json:
        print(json.dumps(metrics))
    else:
        low, high = metrics["win_rate_ci"]
        print(f"{args.model} on {metrics['games']} {args.split} games: won {metrics['win_rate']:.1%} "
              f"(95% CI {low:.1%}-{high:.1%}), mean guesses on wins {metrics['mean_guesses']}")
        print(f"per turn: format {metrics['format_rate']:.1%}, allowed {metrics['allowed_rate']:.1%}, "
              f"consistent {metrics['consistent_rate']:.1%}; failures {metrics['failures']}")
        print(f"repeated answers: {metrics['repeat_rate']:.1%} of turns, in {metrics['losses_with_repeat']} of "
              f"{metrics['games'] - metrics['wins']} lost games")
    return 0


def _course(args: argparse.Namespace) -> int:
    from wordle_helpers.course import run_course

    return run_course(args.profile)


def _play(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from wordle_helpers.course import voila_command
    from wordle_helpers.profiles import get_profile

    profile = get_profile(args.profile)  # an unknown name stops here, before the server starts
    print(f"The Wordle board ({profile.name} profile): open http://{args.ip}:{args.port} in a browser (Ctrl-C stops it).",
          flush=True)
    try:
        return subprocess.call(voila_command(args.port, args.ip), env={**os.environ, "WORDLE_PROFILE": profile.name})
    except KeyboardInterrupt:  # Voilà got the same Ctrl-C and shuts itself down
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wordle_helpers", description="Wordle RFT course helpers")
    commands = parser.add_subparsers(dest="command", required=True)

    solve = commands.add_parser("solve", help="play every answer with the entropy solver")
    solve.add_argument("--answers", help="answer list (one word per line or a CSV with a Word column)")
    solve.add_argument("--allowed", help="allowed-guess list (same formats); answers are always allowed")
    solve.add_argument("--skip-bad-lines", action="store_true",
                       help="leave out lines that are not five-letter words (reported) instead of stopping")
    solve.add_argument("--json", action="store_true", help="print one JSON object")
    solve.set_defaults(func=_solve)

    sft = commands.add_parser("sft", help="stage 1: supervised fine-tuning with LoRA")
    sft.add_argument("--profile", default=None, help="smoke, laptop or gpu (default: $WORDLE_PROFILE or laptop)")
    sft.add_argument("--restart", action="store_true", help="train afresh, ignoring earlier checkpoints and a finished adapter")
    sft.set_defaults(func=_sft)

    grpo = commands.add_parser("grpo", help="stage 2: GRPO from the SFT checkpoint")
    grpo.add_argument("--profile", default=None, help="smoke, laptop or gpu (default: $WORDLE_PROFILE or laptop)")
    grpo.add_argument("--start", default="sft", choices=["sft", "base"], help="start from the SFT adapter (default) or the base model")
    grpo.add_argument("--restart", action="store_true", help="train afresh, ignoring earlier checkpoints and a finished adapter")
    grpo.add_argument("--vllm", choices=["colocate", "server"], default=None,
                      help="generate with vLLM (GPU only; pip install vllm): in the training process, or from a "
                           "separate `trl vllm-serve` server")
    grpo.set_defaults(func=_grpo)

    evaluate = commands.add_parser("evaluate", help="play full games and print the metrics")
    evaluate.add_argument("--profile", default=None, help="smoke, laptop or gpu (default: $WORDLE_PROFILE or laptop)")
    evaluate.add_argument("--model", default="sft", help="base, sft, grpo, a LoRA adapter folder, or solver/random/consistent")
    evaluate.add_argument("--split", default="validation", choices=["validation", "test"])
    games = _int_from(1, None, "a count", "give 1 or more (leave it out for the profile's)")
    evaluate.add_argument("--games", type=games, default=None, help="number of games (default: the profile's)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=_evaluate)

    course = commands.add_parser("course", help="run every notebook in order, headless")
    course.add_argument("--profile", default=None, help="profile name (default: $WORDLE_PROFILE or laptop)")
    course.set_defaults(func=_course)

    play = commands.add_parser("play", help="serve the Wordle board (notebook 06) in a browser with Voila")
    play.add_argument("--profile", default=None, help="profile name (default: $WORDLE_PROFILE or laptop)")
    port = _int_from(1, 65535, "a port", "give one from 1 to 65535, e.g. 8866")
    play.add_argument("--port", type=port, default=8866, help="port to serve on (default 8866)")
    play.add_argument("--ip", default="127.0.0.1", help="address to serve on (default 127.0.0.1, this machine only)")
    play.set_defaults(func=_play)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from wordle_helpers.grpo import VllmUnavailableError
    from wordle_helpers.modeling import ModelUnavailableError, StaleAdapterError
    from wordle_helpers.profiles import UnknownProfileError

    try:
        return args.func(args)
    except (WordListError, UnknownProfileError, ModelUnavailableError, StaleAdapterError, FileNotFoundError,
            VllmUnavailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
