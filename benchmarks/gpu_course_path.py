"""The `gpu` profile's own code path on a GPU, end to end, without the hub: the course's loading, SFT, GRPO and
batched game evaluation with the `gpu` settings, on a small local stand-in model instead of
Qwen/Qwen2.5-3B-Instruct (the profile takes any hub id or local folder as its model).

    python benchmarks/gpu_course_path.py            # on a GPU machine: writes the "gpu-course-path" section
    python benchmarks/gpu_course_path.py --dry-run  # anywhere: the same steps on the CPU, nothing written

What it checks on the GPU: the base model loads in the profile's dtype (bfloat16) onto the GPU from a local
folder; TRL's SFTTrainer and GRPOTrainer train the profile's LoRA adapter (r=64 on every linear layer,
gradient checkpointing, bf16) for a few steps each; the adapters load back and play full games batched on
the GPU; and the profile's real model id fails within seconds, with its advice, when the hub cannot be
reached. The stand-in is the smoke profile's tiny base model (a Qwen2 architecture with the course's own
tokenizer), so the games it plays say nothing about the win rate: the figures are the wiring and the times.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import json
import sys
import time
from pathlib import Path

import torch

STEPS_SFT, STEPS_GRPO = 4, 2


def check_profile(folder: Path, games: int):
    """The `gpu` profile with the stand-in model, the smoke profile's small data and a few steps per stage."""
    from wordle_helpers.profiles import get_profile

    gpu, smoke = get_profile("gpu"), get_profile("smoke")
    return replace(
        gpu, name="gpu-course-path",
        model=replace(gpu.model, name=str(folder)),
        data=replace(smoke.data, own_word_samples=0),
        sft=replace(gpu.sft, max_steps=STEPS_SFT, logging_steps=1, save_steps=STEPS_SFT),
        grpo=replace(gpu.grpo, max_steps=STEPS_GRPO, logging_steps=1, save_steps=STEPS_GRPO,
                     max_completion_length=48),
        evaluation=replace(gpu.evaluation, games=games, batch_size=min(games, gpu.evaluation.batch_size),
                           max_new_tokens=48),
    )


def _timed(step):
    start = time.perf_counter()
    value = step()
    return value, round(time.perf_counter() - start, 2)


def _where(model) -> dict[str, str]:
    parameter = next(model.parameters())
    return {"device": str(parameter.device), "dtype": str(parameter.dtype).removeprefix("torch.")}


def offline_failure() -> dict[str, object]:
    """The real `gpu` model id where the hub cannot be reached: how long until the error, and what it says."""
    from wordle_helpers.modeling import ModelUnavailableError, load_base_model
    from wordle_helpers.profiles import get_profile

    start = time.perf_counter()
    try:
        load_base_model(get_profile("gpu"))
    except ModelUnavailableError as error:
        return {"raised": True, "seconds": round(time.perf_counter() - start, 2), "message": str(error)}
    return {"raised": False, "seconds": round(time.perf_counter() - start, 2),
            "message": "the model loaded: it is on this machine or the hub answered"}


def run_checks(games: int) -> dict[str, object]:
    """Every step of the path, with its device, dtype, time and outcome."""
    from wordle_helpers.evaluation import evaluate_games, make_player
    from wordle_helpers.grpo import train_grpo
    from wordle_helpers.modeling import base_dir, build_tiny_base, load_base_model
    from wordle_helpers.profiles import get_profile
    from wordle_helpers.sft import train_sft
    from wordle_helpers.words import load_allowed, load_answers, split_secrets

    build_tiny_base(get_profile("smoke"))
    profile = check_profile(base_dir(get_profile("smoke")), games)
    result: dict[str, object] = {"gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                                 "torch": torch.__version__}
    (model, _), seconds = _timed(lambda: load_base_model(profile))
    result["base"] = {**_where(model), "seconds": seconds}
    del model
    adapter, seconds = _timed(lambda: train_sft(profile, resume=False))
    log = json.loads((adapter.parent / "loss_log.json").read_text())
    result["sft"] = {"seconds": seconds, "steps": STEPS_SFT,
                     "losses": [e["loss"] for e in log["log"] if "loss" in e],
                     "adapter": sorted(p.name for p in adapter.iterdir())}
    adapter, seconds = _timed(lambda: train_grpo(profile, resume=False))
    log = json.loads((adapter.parent / "log.json").read_text())
    result["grpo"] = {"seconds": seconds, "steps": STEPS_GRPO,
                      "rewards": [e["reward"] for e in log if "reward" in e],
                      "adapter": sorted(p.name for p in adapter.iterdir())}
    answers = load_answers()
    allowed = load_allowed(answers=answers)
    secrets = list(split_secrets(answers)["validation"])[:games]
    for stage in ("sft", "grpo"):
        player = make_player(profile, stage, answers, allowed)
        metrics = evaluate_games(player, secrets, allowed)
        result[f"games_{stage}"] = {**_where(player.model), "seconds": metrics["seconds"],
                                    "games": metrics["games"], "format_rate": metrics["format_rate"],
                                    "failures": metrics["failures"]}
        del player
    result["offline"] = offline_failure()
    return result


def report(result: dict[str, object]) -> str:
    """The checks as Markdown lines."""
    base, sft, grpo = result["base"], result["sft"], result["grpo"]
    offline = result["offline"]
    lines = [
        f"- Base model from a local folder: on `{base['device']}` in {base['dtype']} ({base['seconds']} s).",
        f"- SFT (TRL SFTTrainer, LoRA r=64, gradient checkpointing): {sft['steps']} steps in {sft['seconds']} s, "
        f"losses {', '.join(f'{x:.2f}' for x in sft['losses'])}; saved {', '.join(sft['adapter'])}.",
        f"- GRPO (TRL GRPOTrainer from the SFT adapter, 8 generations, KL 0.04): {grpo['steps']} steps in "
        f"{grpo['seconds']} s, mean rewards {', '.join(f'{x:.2f}' for x in grpo['rewards'])}; saved "
        f"{', '.join(grpo['adapter'])}.",
    ]
    for stage in ("sft", "grpo"):
        games = result[f"games_{stage}"]
        lines.append(f"- {stage.upper()} adapter loaded and merged, {games['games']} full games batched on "
                     f"`{games['device']}` in {games['dtype']}: {games['seconds']} s.")
    lines.append(f"- `Qwen/Qwen2.5-3B-Instruct` with the hub out of reach: "
                 + (f"failed after {offline['seconds']} s with: \"{offline['message']}\"" if offline["raised"]
                    else offline["message"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="the same steps on the CPU; writes nothing to RESULTS.md")
    parser.add_argument("--games", type=int, default=64, help="full games per adapter (default 64)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    args = parser.parse_args(argv)
    if not args.dry_run and not torch.cuda.is_available():
        print("error: no GPU here. Run this on a GPU machine, or use --dry-run to check the code path on the CPU.",
              file=sys.stderr)
        return 2
    result = run_checks(args.games)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(report(result))
    if not args.dry_run:
        from results import write_section  # benchmarks/ is on the path when the script runs

        write_section("gpu-course-path", "The gpu profile's code path on a GPU",
                      f"GPU: {result['gpu']}; torch {result['torch']}; the smoke profile's tiny base model stands "
                      f"in for Qwen2.5-3B (the hub is out of reach there).\n\n{report(result)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
