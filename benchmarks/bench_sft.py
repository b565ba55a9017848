"""Stage 1 figures for a profile (default laptop): build and SFT time, the model before and after SFT on
validation states and in full validation games, and batched against one-game-at-a-time evaluation.

    python -m wordle_helpers sft --profile laptop      # first: build the base model and train (≈ 25 min)
    python benchmarks/bench_sft.py [--profile laptop]  # then: measure; writes the "sft-<profile>" section
"""

from __future__ import annotations

import argparse
import json
import time

from results import targets_line, write_section
from wordle_helpers.datasets import generate_sft_rows, grpo_dataset
from wordle_helpers.evaluation import ModelPlayer, evaluate_games, evaluate_states, play_games
from wordle_helpers.modeling import base_dir, checkpoint_dir, hint_probe, load_model, spelling_probe
from wordle_helpers.profiles import PROFILES, get_profile
from wordle_helpers.rewards import parse_history
from wordle_helpers.sft import own_fitting_words
from wordle_helpers.words import load_allowed, load_answers, split_secrets

SPEED_REPEATS = 3


def own_word_labels(profile, model, tokenizer, secrets: list[str]) -> dict[str, float]:
    """The SFT data's own-word labels made again, timed: part of SFT's cost that its train runtime leaves out."""
    found: dict[str, float] = {"seconds": 0.0, "states": 0, "labelled": 0}

    def timed(histories):
        start = time.perf_counter()
        words = own_fitting_words(model, tokenizer, histories, profile.data.own_word_samples, seed=profile.data.seed)
        found.update(seconds=time.perf_counter() - start, states=sum(map(bool, histories)),
                     labelled=sum(w is not None for w in words))
        return words

    if profile.data.own_word_samples:
        generate_sft_rows(secrets, profile.data.sft_games, profile.data.seed, labels=timed)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="laptop", choices=list(PROFILES))
    profile = get_profile(parser.parse_args().profile)
    build = json.loads((base_dir(profile) / "build.json").read_text())
    sft_log = json.loads((checkpoint_dir(profile, "sft") / "loss_log.json").read_text())
    # The whole training's time, an interrupted run's included (older logs lack it: TRL's, of the last run).
    runtime = sft_log.get("train_seconds") or next(
        e["train_runtime"] for e in sft_log["log"] if "train_runtime" in e)
    answers = load_answers()
    allowed = load_allowed(answers=answers)
    validation = list(split_secrets(answers).validation)
    states = grpo_dataset(split="validation", rows=200, seed=5).to_list()
    settings = profile.evaluation

    rows = {}
    for which in ("base", "sft"):
        model, tokenizer = load_model(profile, which)
        if which == "base":
            spelling = spelling_probe(model, tokenizer, answers, allowed)
            hints = hint_probe(model, tokenizer, [parse_history(s["past_guess_history"]) for s in states], answers)
            labels = own_word_labels(profile, model, tokenizer, split_secrets(answers).train)
        player = ModelPlayer(model, tokenizer, name=which, batch_size=settings.batch_size, max_new_tokens=settings.max_new_tokens)
        rows[which] = {"states": evaluate_states(player, states), "games": evaluate_games(player, validation[:200], allowed)}
        print(which, {k: v for k, v in rows[which]["games"].items() if k != "secrets"}, flush=True)

    # Batched against one game at a time, same 64 secrets, same greedy model; each timed three times,
    # alternating, and the fastest of each kept (this machine is shared: a slower run measures the
    # neighbours, not the code).
    sample = validation[:64]
    batched_player = ModelPlayer(model, tokenizer, name="sft", batch_size=64, max_new_tokens=settings.max_new_tokens)
    single_player = ModelPlayer(model, tokenizer, name="sft", batch_size=1, max_new_tokens=settings.max_new_tokens)
    batched_times, single_times = [], []
    for _ in range(SPEED_REPEATS):
        start = time.perf_counter()
        batched = play_games(batched_player, sample, allowed)
        batched_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        single = [play_games(single_player, [secret], allowed)[0] for secret in sample]
        single_times.append(time.perf_counter() - start)
    batched_seconds, single_seconds = min(batched_times), min(single_times)
    same = sum(a.won == b.won for a, b in zip(batched, single))

    def runs(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in times)

    print(f"batched {runs(batched_times)} s, one at a time {runs(single_times)} s", flush=True)

    def line(which: str) -> str:
        s, g = rows[which]["states"], rows[which]["games"]
        low, high = g["win_rate_ci"]
        mean = f"{g['mean_guesses']:.2f}" if g["mean_guesses"] else "–"
        return (f"| {which} | {s['format_rate']:.1%} | {s['allowed_rate']:.1%} | {s['consistent_rate']:.1%} | "
                f"{s['format_reward']:.2f} / {s['feedback_reward']:.2f} / {s['info_gain_reward']:.2f} | "
                f"{g['win_rate']:.1%} ({low:.1%}–{high:.1%}) | {mean} | {g['consistent_rate']:.1%} |")

    states_sft, games_sft = rows["sft"]["states"], rows["sft"]["games"]
    sft_seconds = runtime + labels["seconds"]
    checks = {
        "build + SFT ≤ 30 min": (build["seconds"] + sft_seconds) / 60 <= 30,
        "strict format ≥ 98%": states_sft["format_rate"] >= 0.98,
        "allowed ≥ 90%": states_sft["allowed_rate"] >= 0.90,
        "consistent ≥ 65%": states_sft["consistent_rate"] >= 0.65,
        "wins ≥ 25%": games_sft["win_rate"] >= 0.25,
        "batched ≥ 5× faster": single_seconds / batched_seconds >= 5,
    }
    status = targets_line(checks)
    labels_line = (f"SFT labels past the opener: the base model's own most informative fitting word of "
                   f"{profile.data.own_word_samples} drill continuations\nwhere it writes one, for {labels['labelled']} of "
                   f"{labels['states']} states (the teacher's guess elsewhere)." if labels["states"] else
                   "SFT labels: the teacher's guesses.")
    body = f"""
{status}

Profile `{profile.name}`: tiny Qwen2 model ({profile.model.hidden_size} hidden, {profile.model.layers} layers),
{profile.model.pretrain_steps} pretraining steps of {profile.model.pretrain_batch} windows (answer list repeated {profile.model.answer_list_repeats} times,
{profile.model.drills_per_game} hint drills per teacher game),
LoRA r={profile.sft.lora_r}, {profile.sft.max_steps} SFT steps of batch {profile.sft.batch_size}.
{labels_line}
Spelling: continuing word lists, the base model writes {len(spelling['written'])} five-letter words, of which
{spelling['answer_rate']:.1%} are answers and {spelling['allowed_rate']:.1%} allowed words.
Hints: continuing a hint drill for each of the {len(hints['words'])} validation states past the first turn, the
base model's first word fits every hint for {hints['fit_rate']:.1%} of them ({hints['answer_rate']:.1%} are answers).

| stage | wall time | target |
| --- | --- | --- |
| base model build (tokenizer, data, pretraining in {build.get('precision', 'unrecorded precision')}) | {build['seconds'] / 60:.1f} min | |
| SFT: the base model's own words for the labels | {labels['seconds'] / 60:.1f} min | |
| SFT training | {runtime / 60:.1f} min | |
| build + SFT | {(build['seconds'] + sft_seconds) / 60:.1f} min | ≤ 30 min |

Validation: 200 states (one answer each), and 200 full games on validation secrets (greedy).

| model | strict format | allowed word | consistent | mean rewards (format / feedback / info) | game wins (95% CI) | guesses on wins | consistent per turn in games |
| --- | --- | --- | --- | --- | --- | --- | --- |
{line('base')}
{line('sft')}

Targets after SFT: ≥ 98% strict format, ≥ 90% allowed, ≥ 65% consistent on states; ≥ 25% wins in games.

Evaluation speed, same 64 validation secrets, same model, the fastest of {SPEED_REPEATS} alternating runs
each: batched {batched_seconds:.2f} s, one game at a time {single_seconds:.1f} s:
**{single_seconds / batched_seconds:.1f}× faster** (target ≥ 5×; all runs: batched {runs(batched_times)} s,
one at a time {runs(single_times)} s);
the two agree on {same} of 64 outcomes (greedy decoding; padding can change a near-tie).
"""
    write_section(f"sft-{profile.name}", f"Stage 1: SFT ({profile.name} profile)", body)


if __name__ == "__main__":
    main()
