"""GRPO with several trainer seeds from one SFT adapter: how much of GRPO's paired gain is the draw of one run.

    python -m wordle_helpers sft --profile laptop              # first: the SFT adapter every seed starts from
    python benchmarks/grpo_seeds.py [--profile laptop] [--seeds 0 1 2]   # writes the "grpo-seeds-<profile>" section

Each seed trains the profile's GRPO run unchanged but for the trainer's seed (sampling and batch order; the same SFT
adapter and the same states) into ``outputs/<profile>/grpo-seed<N>``, reusing a finished run there. Then the SFT model
and each GRPO model play every validation secret and the test secrets notebook 05 plays, and each GRPO model is
compared with the SFT model game by game. 7 to 17 minutes per seed for the laptop profile on two cores.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from results import write_section
from wordle_helpers.datasets import grpo_dataset
from wordle_helpers.evaluation import evaluate_games, evaluate_states, make_player, paired_comparison
from wordle_helpers.grpo import stage_dir, train_grpo
from wordle_helpers.profiles import PROFILES, get_profile
from wordle_helpers.words import load_allowed, load_answers, split_secrets


def measure(profile, which: str, states: list[dict], secrets: dict[str, list[str]], answers: list[str],
            allowed: list[str]) -> dict:
    """States answered and games played by one model (``sft``, or a GRPO adapter folder)."""
    player = make_player(profile, which, answers, allowed)
    result = {"states": evaluate_states(player, states)}
    for split, names in secrets.items():
        result[split] = evaluate_games(player, names, allowed)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="laptop", choices=list(PROFILES))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--validation-games", type=int, default=0, help="the first N validation secrets (default: all)")
    args = parser.parse_args()
    if args.validation_games < 0 or min(args.seeds) < 0:
        parser.error("--seeds and --validation-games take numbers of 0 or more (0 games: every validation secret)")
    profile = get_profile(args.profile)
    answers = load_answers()
    allowed = load_allowed(answers=answers)
    split = split_secrets(answers)
    validation = list(split.validation)
    secrets = {"validation": validation[: args.validation_games or len(validation)],
               "test": list(split.test)[: profile.evaluation.games]}
    states = grpo_dataset(split="validation", rows=profile.evaluation.states, seed=5).to_list()
    sft = measure(profile, "sft", states, secrets, answers, allowed)
    rows, gains = [], {"validation": [], "test": []}
    for seed in args.seeds:
        seeded = replace(profile, grpo=replace(profile.grpo, seed=seed))
        train_grpo(seeded)
        after = measure(profile, str(stage_dir(seeded) / "final"), states, secrets, answers, allowed)
        cells = []
        for name in ("validation", "test"):
            pair = paired_comparison(sft[name]["secrets"], after[name]["secrets"])
            gains[name].append(100 * pair["difference"])
            cells.append(f"{pair['win_rate_before']:.1%} → {pair['win_rate_after']:.1%} ({pair['only_before']} / "
                         f"{pair['only_after']}, {100 * pair['difference']:+.1f}, p = {pair['p_value']:.2g})")
        rows.append(f"| {seed} | {after['states']['allowed_rate']:.1%} | {after['states']['consistent_rate']:.1%} | "
                    f"{cells[0]} | {cells[1]} |")
        print(rows[-1], flush=True)
    played = (f"all {len(validation)}" if len(secrets["validation"]) == len(validation)
              else f"{len(secrets['validation'])} of the {len(validation)}")
    body = f"""
The profile's GRPO run from its SFT adapter, unchanged but for the trainer's seed (sampling and batch order): the same
SFT adapter and the same states for every seed. Validation: {len(states)} states and {played}
validation secrets; test: the {len(secrets['test'])} test secrets notebook 05 plays. Paired with the SFT model (games won
only by SFT / only after GRPO, change in points, exact McNemar p). The SFT model: {sft['states']['allowed_rate']:.1%}
real words and {sft['states']['consistent_rate']:.1%} answers that fit every hint on the states.

| trainer seed | real words (states) | consistent (states) | validation wins, paired | test wins, paired |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Mean change over the {len(args.seeds)} seed{"s" if len(args.seeds) > 1 else ""}: validation {np.mean(gains['validation']):+.1f} points, test
{np.mean(gains['test']):+.1f} points (target: ≥ +5 points on the test secrets).
"""
    write_section(f"grpo-seeds-{profile.name}", f"Stage 2: GRPO with several trainer seeds ({profile.name} profile)", body)


if __name__ == "__main__":
    main()
