"""Stage 2 figures for a profile (default laptop): GRPO time, the share of groups without signal, and SFT
against SFT+GRPO on the same validation states and, paired, on the same validation secrets.

    python -m wordle_helpers grpo --profile laptop       # first: train (needs the SFT adapter)
    python benchmarks/bench_grpo.py [--profile laptop]   # then: measure; writes the "grpo-<profile>" section
"""

from __future__ import annotations

import argparse

import numpy as np

from results import write_section
from wordle_helpers.datasets import grpo_dataset
from wordle_helpers.evaluation import ModelPlayer, evaluate_games, evaluate_states, paired_comparison
from wordle_helpers.grpo import training_log
from wordle_helpers.modeling import load_model
from wordle_helpers.profiles import PROFILES, get_profile
from wordle_helpers.words import load_allowed, load_answers, split_secrets


def states_line(profile) -> str:
    """Where the profile's GRPO states come from, in words."""
    share = profile.grpo.own_play_share
    if not share:
        return "states from teacher games"
    where = ("where its answer first broke a hint (a random turn of a game without one)"
             if profile.grpo.own_play_at_mistake else "at a random turn")
    if profile.grpo.own_play_at_repeat:
        where = "where it first wrote an answer again in a game that holds one, else " + where
    return (f"{share:.0%} of the states from the SFT model's own greedy games on training secrets, {where}"
            + ("" if share == 1 else ", the rest from teacher games"))


def wall_label(prepare: float | None) -> str:
    """The wall-time row's label: what the time counts."""
    if prepare is None:
        return "GRPO wall time (training only: this run's log has no preparation time)"
    return f"GRPO wall time (training, and {prepare / 60:.1f} min before it: loading, own-play games)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="laptop", choices=list(PROFILES))
    profile = get_profile(parser.parse_args().profile)
    log = training_log(profile)
    # The whole training's time, an interrupted run's included (older logs lack it: TRL's, of the last run).
    runtime = next((e["train_seconds"] for e in log if "train_seconds" in e), None) or next(
        e["train_runtime"] for e in log if "train_runtime" in e)
    prepare = next((e["prepare_seconds"] for e in log if "prepare_seconds" in e), None)
    steps = [e for e in log if "frac_reward_zero_std" in e]
    equal = float(np.mean([e["frac_reward_zero_std"] for e in steps]))
    first, last = steps[0], steps[-1]
    answers = load_answers()
    allowed = load_allowed(answers=answers)
    validation = list(split_secrets(answers).validation)
    states = grpo_dataset(split="validation", rows=200, seed=5).to_list()
    results = {}
    for which in ("sft", "grpo"):
        model, tokenizer = load_model(profile, which)
        player = ModelPlayer(model, tokenizer, name=which, batch_size=profile.evaluation.batch_size,
                             max_new_tokens=profile.evaluation.max_new_tokens)
        state = evaluate_states(player, states)
        state["total"] = sum(state[k] for k in ("format_reward", "feedback_reward", "info_gain_reward"))
        results[which] = {"states": state, "games": evaluate_games(player, validation, allowed)}
        print(which, {k: v for k, v in results[which]["games"].items() if k != "secrets"}, flush=True)
    paired = paired_comparison(results["sft"]["games"]["secrets"], results["grpo"]["games"]["secrets"])

    def line(which: str) -> str:
        s, g = results[which]["states"], results[which]["games"]
        low, high = g["win_rate_ci"]
        return (f"| {which} | {s['format_rate']:.1%} | {s['allowed_rate']:.1%} | {s['consistent_rate']:.1%} | "
                f"{s['format_reward']:.2f} / {s['feedback_reward']:.2f} / {s['info_gain_reward']:.2f} | {s['total']:.2f} | "
                f"{g['win_rate']:.1%} ({low:.1%}–{high:.1%}) | {g['consistent_rate']:.1%} |")

    body = f"""
Profile `{profile.name}`: {profile.grpo.max_steps} GRPO steps, {profile.grpo.batch_size} completions per step
({profile.grpo.num_generations} per prompt), lr {profile.grpo.learning_rate}, beta {profile.grpo.beta},
reward weights {list(profile.grpo.reward_weights)}, reward overrides {dict(profile.grpo.reward_constants)},
{states_line(profile)}.

| measure | value | target |
| --- | --- | --- |
| {wall_label(prepare)} | {(runtime + (prepare or 0)) / 60:.1f} min | ≤ 15 min |
| groups with all-equal rewards, mean over the run | {equal:.1%} | < 50% |
| mean total reward, first → last logged step | {first['reward']:.2f} → {last['reward']:.2f} | |

Validation: 200 states (one answer each), and every validation secret ({len(validation)}) played as a full game.

| model | strict format | allowed | consistent | mean rewards (format / feedback / info) | total reward | game wins (95% CI) | consistent per turn in games |
| --- | --- | --- | --- | --- | --- | --- | --- |
{line('sft')}
{line('grpo')}

Paired on the same {paired['games']} secrets: won by both {paired['both_won']}, only after GRPO {paired['only_after']},
only before {paired['only_before']}, by neither {paired['neither']}; win-rate change
{100 * paired['difference']:+.1f} points, exact McNemar p = {paired['p_value']:.3g}. Target: ≥ +5 points.
"""
    write_section(f"grpo-{profile.name}", f"Stage 2: GRPO ({profile.name} profile)", body)


if __name__ == "__main__":
    main()
