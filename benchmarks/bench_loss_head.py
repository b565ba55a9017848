"""Step time of the tiny model's trainers with TRL's fused LM head (the course's) and with the model's own
loss (``modeling.own_loss_sft_trainer()``), side by side on the same batches.

    python benchmarks/bench_loss_head.py [--profile laptop] [--steps 150] [--rounds 2]

Each round trains the profile's pretraining and its SFT for ``--steps`` steps once with each loss, in
alternating order (teacher labels for SFT, so no base model has to be built first); the first 20 steps
of each run are left out of the mean. Writes the "loss-head-<profile>" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import time

from results import write_section
from transformers import TrainerCallback
import trl
import wordle_helpers.modeling as modeling
import wordle_helpers.sft as sft
from wordle_helpers.profiles import PROFILES, get_profile

WARM_UP = 20


class StepTimes(TrainerCallback):
    """Seconds from each step's start to its end (the batch already fetched, checkpoints not included)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_step_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds.append(time.perf_counter() - self.started)


def timed(profile, fused: bool, stage: str) -> float:
    """Mean step time (s) of one short run of ``stage`` ("pretraining" or "sft") with the chosen loss."""
    watch = StepTimes()
    trl_trainer = trl.SFTTrainer
    chosen = trl_trainer if fused else modeling.own_loss_sft_trainer()

    class Watched(chosen):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.add_callback(watch)

    trl.SFTTrainer = Watched  # what the base build and SFT look up when they make their trainer
    try:
        if stage == "pretraining":
            modeling.build_tiny_base(profile, force=True)
        else:
            shutil.rmtree(modeling.checkpoint_dir(profile, "sft"), ignore_errors=True)
            trainer, _ = sft.build_sft_trainer(profile)
            trainer.train()
    finally:
        trl.SFTTrainer = trl_trainer
    return statistics.mean(watch.seconds[WARM_UP:] or watch.seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    # The tiny model only: a hub model keeps TRL's head, which spares the logits over 150,000 tokens.
    tiny = [name for name, profile in PROFILES.items() if profile.model.is_tiny]
    parser.add_argument("--profile", default="laptop", choices=tiny)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    if options.steps < 1 or options.rounds < 1:
        parser.error("--steps and --rounds take numbers of 1 or more")
    base = get_profile(options.profile)
    profile = dataclasses.replace(
        base, name=f"bench-loss-head-{base.name}",
        model=dataclasses.replace(base.model, pretrain_steps=options.steps),
        data=dataclasses.replace(base.data, own_word_samples=0),
        sft=dataclasses.replace(base.sft, max_steps=options.steps, save_steps=None))
    times: dict[tuple[str, bool], list[float]] = {}
    try:
        for stage in ("pretraining", "sft"):
            if stage == "sft":
                modeling.build_tiny_base(profile)  # kept from the last pretraining run
            for round_ in range(options.rounds):
                for fused in ((True, False) if round_ % 2 == 0 else (False, True)):
                    seconds = timed(profile, fused, stage)
                    times.setdefault((stage, fused), []).append(seconds)
                    loss = "fused head" if fused else "own loss"
                    print(f"{stage}, {loss}: {seconds:.4f} s a step", flush=True)
    finally:
        shutil.rmtree(profile.output_dir, ignore_errors=True)

    rows = []
    for stage, label in (("pretraining", "pretraining (all parameters)"), ("sft", "SFT (LoRA)")):
        fused, own = min(times[(stage, True)]), min(times[(stage, False)])
        runs = ", ".join(f"{a:.3f} / {b:.3f}" for a, b in zip(times[(stage, True)], times[(stage, False)]))
        saved = 100 * (1 - own / fused)
        rows.append(f"| {label} | {1000 * fused:.0f} ms | {1000 * own:.0f} ms | {saved:.0f}% | {runs} |")
    runs_text = "one run each" if options.rounds == 1 else f"the fastest of {options.rounds} runs each"
    body = f"""
Mean step time of {options.steps} steps (the first {WARM_UP} left out), {runs_text}, the two losses
alternating; the profile's batch sizes and lengths, SFT on teacher labels.

| stage | TRL's fused LM head | the model's own loss | time saved | every run (fused / own, s) |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

The two compute the same loss (a test compares them on a collated SFT batch). TRL's head computes each
token's entropy and top-1 for its logs and recomputes the head's projection in the backward pass, which
for a vocabulary of about a thousand tokens costs more than the logits it saves. The course keeps TRL's
head: the one course run built with the model's own loss made weaker models (section "course-laptop").
"""
    write_section(f"loss-head-{base.name}", f"Loss head: TRL's fused head against the model's own loss "
                                            f"({base.name} profile)", body)


if __name__ == "__main__":
    main()
