"""Evaluation figures for a profile (default laptop): the speed of batched full games, and the course's
test-set comparison written by notebook 05 (``outputs/<profile>/eval.json``).

    make course                                       # first: runs notebooks 01-06 (05 writes eval.json)
    python benchmarks/bench_eval.py [--profile laptop]  # then: measure; writes the "eval-<profile>" section
"""

from __future__ import annotations

import argparse
import json
import time

from results import targets_line, write_section
from wordle_helpers.evaluation import make_player, metrics_table, play_games, yardstick_table
from wordle_helpers.modeling import checkpoint_dir
from wordle_helpers.profiles import PROFILES, get_profile
from wordle_helpers.words import load_allowed, load_answers, split_secrets

GAMES = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="laptop", choices=list(PROFILES))
    profile = get_profile(parser.parse_args().profile)
    answers = load_answers()
    allowed = load_allowed(answers=answers)
    test = list(split_secrets(answers).test)
    secrets = [test[i % len(test)] for i in range(GAMES)]
    which = "grpo" if (checkpoint_dir(profile, "grpo") / "final").exists() else "sft"
    player = make_player(profile, which, answers, allowed)
    start = time.perf_counter()
    play_games(player, secrets, allowed)
    seconds = time.perf_counter() - start
    print(f"{GAMES} games with {which}: {seconds:.1f} s", flush=True)

    report_path = profile.output_dir / "eval.json"
    if report_path.exists():
        report = json.loads(report_path.read_text())
        paired = report.get("paired_sft_grpo")
        comparison = f"```\n{metrics_table(report['players'])}\n```\n"
        if paired:
            comparison += (f"\nSFT → SFT+GRPO on the same {paired['games']} test secrets: won by both {paired['both_won']}, "
                           f"only SFT {paired['only_before']}, only SFT+GRPO {paired['only_after']}, neither "
                           f"{paired['neither']}; {100 * paired['difference']:+.1f} points, exact McNemar p = "
                           f"{paired['p_value']:.3g}.\n")
        if report.get("yardstick"):
            comparison += ("\nThe yardstick of notebook 05: the SFT adapter changed at random (Gaussian noise on each "
                           "tensor, the given multiple of the norm of GRPO's change to it), the same secrets played "
                           "again, each run compared with SFT game by game (unmerged adapters):\n\n"
                           f"```\n{yardstick_table(report['yardstick'])}\n```\n")
        grpo = report["players"].get("grpo", {})
        checks = {"test wins after SFT+GRPO ≥ 30%": grpo.get("win_rate", 0) >= 0.30,
                  "≥ SFT + 5 points, paired": bool(paired) and paired["difference"] >= 0.05}
    else:
        comparison, checks = "No `eval.json` yet: run notebook 05 (or `make course`) first.\n", {}
    checks[f"{GAMES} evaluation games ≤ 1 min"] = seconds <= 60
    status = targets_line(checks)
    body = f"""
{status}

Test-set comparison from notebook 05 (`outputs/{profile.name}/eval.json`; every player on the same
{report['secrets'] if report_path.exists() else '–'} held-out test secrets, greedy):

{comparison}
Evaluation speed: {GAMES} full games ({len(test)} test secrets, cycled) with the `{which}` model, batched
{profile.evaluation.batch_size} games per generate call: **{seconds:.1f} s** (target ≤ 60 s).
"""
    write_section(f"eval-{profile.name}", f"Evaluation on held-out test secrets ({profile.name} profile)", body)


if __name__ == "__main__":
    main()
