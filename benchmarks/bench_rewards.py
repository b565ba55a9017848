"""Reward and data-generation throughput on this machine (notebook 02's rewards, notebook 01's data).

    python benchmarks/bench_rewards.py      # writes the "rewards" section of RESULTS.md

Completions are realistic model answers (a think block and a guess) on GRPO states with 1–3 earlier
guesses, scored in TRL-sized batches through the public reward functions.
"""

from __future__ import annotations

import time

import numpy as np

from results import write_section
from wordle_helpers.datasets import _default_solver, generate_grpo_rows, generate_sft_rows
from wordle_helpers.prompts import answer_text, think_text
from wordle_helpers.rewards import feedback_reward, format_reward, info_gain_reward, parse_history
from wordle_helpers.words import load_answers, split_secrets

BATCH = 64


def make_batches(count: int, seed: int) -> list[dict[str, list]]:
    solver = _default_solver()
    train = split_secrets(load_answers()).train
    states = [r for r in generate_grpo_rows(train, rows=4 * count // BATCH + 50, seed=seed, solver=solver)
              if 1 <= len(parse_history(r["past_guess_history"])) <= 3]
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count // BATCH):
        state = states[int(rng.integers(len(states)))]
        history = parse_history(state["past_guess_history"])
        # A GRPO group: several sampled answers to the same state.
        guesses = rng.choice(solver.answers, size=BATCH)
        completions = [answer_text(think_text(history, g, 10, False), g) for g in guesses]
        batches.append({"completions": completions, "past_guess_history": [state["past_guess_history"]] * BATCH,
                        "word_list": [state["word_list"]] * BATCH, "secret": [state["secret"]] * BATCH})
    return batches


def rate(reward, batches: list[dict[str, list]]) -> float:
    reward(prompts=None, **batches[0])  # warm caches (word lists, pattern matrix)
    start = time.perf_counter()
    for batch in batches:
        reward(prompts=None, **batch)
    return len(batches) * BATCH / (time.perf_counter() - start)


def main() -> None:
    batches = make_batches(20_000, seed=0)
    rates = {reward.__name__: rate(reward, batches) for reward in (format_reward, feedback_reward, info_gain_reward)}
    both = 1 / (1 / rates["format_reward"] + 1 / rates["feedback_reward"])
    solver = _default_solver()
    solver.opener  # found once, as in any real run
    train = split_secrets(load_answers()).train
    start = time.perf_counter()
    rows = generate_sft_rows(train, games=3000, seed=11, solver=solver)
    sft_rate = len(rows) / (time.perf_counter() - start)
    start = time.perf_counter()
    grpo = generate_grpo_rows(train, rows=3000, seed=12, solver=solver)
    grpo_rate = len(grpo) / (time.perf_counter() - start)
    for name, value in {**rates, "format+feedback": both, "sft rows": sft_rate, "grpo rows": grpo_rate}.items():
        print(f"{name}: {value:,.0f}/s", flush=True)
    body = f"""
Completions: a think block and a guess, scored in batches of {BATCH} (one GRPO group per state) on states
with 1–3 earlier guesses; {len(batches) * BATCH:,} completions per reward. Data generation starts from a
fresh solver memo (cold), with the matrix and opener cached.

| what | throughput | target |
| --- | --- | --- |
| `format_reward` | {rates['format_reward']:,.0f} completions/s | |
| `feedback_reward` | {rates['feedback_reward']:,.0f} completions/s | |
| format + feedback together | {both:,.0f} completions/s | ≥ 20,000/s |
| `info_gain_reward` | {rates['info_gain_reward']:,.0f} completions/s | ≥ 2,000/s |
| SFT rows generated ({len(rows):,} rows from 3,000 games) | {sft_rate:,.0f} rows/s | ≥ 1,000/s |
| GRPO rows generated ({len(grpo):,} states) | {grpo_rate:,.0f} rows/s | |
"""
    write_section("rewards", "Rewards and data generation", body)


if __name__ == "__main__":
    main()
