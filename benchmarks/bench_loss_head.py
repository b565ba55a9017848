"""Step time of the tiny model's trainers with TRL's fused LM head (the course's) and with the loss computed
directly (``modeling.own_loss_sft_trainer()``), its output head in float32 or, where pretraining runs in bf16
mixed precision, in bfloat16, side by side on the same batches.

    python benchmarks/bench_loss_head.py [--profile laptop] [--steps 150] [--rounds 2]

Each round trains the profile's pretraining and its SFT for ``--steps`` steps once with each loss, the order
turning from round to round (teacher labels for SFT, so no base model has to be built first); SFT trains in
float32, where the two heads are the same, so it runs the float32 head only. The first 20 steps of each run
are left out of the mean. Writes the "loss-head-<profile>" section of RESULTS.md.
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


def trainer_class(loss: str):
    """The trainer class for ``loss``: "fused" (TRL's), "float32" or "bfloat16" (the own loss's head)."""
    if loss == "fused":
        return trl.SFTTrainer
    return modeling.own_loss_sft_trainer(float32_head=loss == "float32")


def timed(profile, loss: str, stage: str) -> float:
    """Mean step time (s) of one short run of ``stage`` ("pretraining" or "sft") with the chosen loss."""
    watch = StepTimes()
    if stage == "sft":  # SFT takes its loss from the profile's setting
        shutil.rmtree(modeling.checkpoint_dir(profile, "sft"), ignore_errors=True)
        head = "trl" if loss == "fused" else "own"
        trainer, _ = sft.build_sft_trainer(dataclasses.replace(profile, sft=dataclasses.replace(profile.sft,
                                                                                               loss_head=head)))
        if (type(trainer).compute_loss is trl.SFTTrainer.compute_loss) != (loss == "fused"):
            raise RuntimeError(f"the SFT trainer does not compute the {loss} loss; see sft.sft_trainer_class")
        trainer.add_callback(watch)
        trainer.train()
        return statistics.mean(watch.seconds[WARM_UP:] or watch.seconds)
    trl_trainer = trl.SFTTrainer

    class Watched(trainer_class(loss)):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.add_callback(watch)

    trl.SFTTrainer = Watched  # what the base build looks up when it makes its trainer
    try:
        modeling.build_tiny_base(profile, force=True)
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
    bf16 = base.model.pretrain_bf16 and modeling.cpu_has_native_bf16()
    losses = {"pretraining": ["fused", "float32", "bfloat16"] if bf16 else ["fused", "float32"],
              "sft": ["fused", "float32"]}
    times: dict[tuple[str, str], list[float]] = {}
    try:
        for stage in ("pretraining", "sft"):
            if stage == "sft":
                modeling.build_tiny_base(profile)  # kept from the last pretraining run
            for round_ in range(options.rounds):
                turn = round_ % len(losses[stage])
                for loss in losses[stage][turn:] + losses[stage][:turn]:
                    seconds = timed(profile, loss, stage)
                    times.setdefault((stage, loss), []).append(seconds)
                    print(f"{stage}, {loss}: {seconds:.4f} s a step", flush=True)
    finally:
        shutil.rmtree(profile.output_dir, ignore_errors=True)

    def cell(stage: str, loss: str) -> str:
        if (stage, loss) not in times:
            return "(as float32)" if stage == "sft" else "(no bf16 here)"
        fused, own = min(times[(stage, "fused")]), min(times[(stage, loss)])
        return f"{1000 * own:.0f} ms ({100 * (own / fused - 1):+.0f}%)".replace("-", "−")

    rows = []
    for stage, label in (("pretraining", "pretraining (all parameters)"), ("sft", "SFT (LoRA)")):
        runs = "; ".join(f"{loss} " + ", ".join(f"{t:.3f}" for t in times[(stage, loss)])
                         for loss in losses[stage])
        rows.append(f"| {label} | {1000 * min(times[(stage, 'fused')]):.0f} ms | {cell(stage, 'float32')} | "
                    f"{cell(stage, 'bfloat16')} | {runs} |")
    runs_text = "one run each" if options.rounds == 1 else f"the fastest of {options.rounds} runs each"
    body = f"""
Mean step time of {options.steps} steps (the first {WARM_UP} left out), {runs_text}, the losses taking turns;
the profile's batch sizes and lengths, pretraining in {"bf16 mixed precision" if bf16 else "float32"}, SFT on
teacher labels in float32. In brackets: the change against TRL's head.

| stage | TRL's fused LM head | own loss, head in float32 | own loss, head in bfloat16 | every run (s) |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

All compute the same loss (a test compares them on a collated SFT batch). TRL's head computes each
token's entropy and top-1 for its logs and recomputes the head's projection in the backward pass, which the
direct loss leaves out. This machine is shared: compare the runs of one round, not single figures. In bf16
pretraining the bfloat16 head built a weaker base model and the float32 head as good a one as TRL's (section
"course-laptop"); the course keeps TRL's head.
"""
    write_section(f"loss-head-{base.name}", f"Loss head: TRL's fused head against the loss computed directly "
                                            f"({base.name} profile)", body)


if __name__ == "__main__":
    main()
