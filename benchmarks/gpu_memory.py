"""GPU memory and speed at the 3B scale, without the hub: a model with Qwen/Qwen2.5-3B-Instruct's
architecture (its public config values, random weights) trained for a few SFT and GRPO steps with the `gpu`
profile's settings, through the same TRL trainers the course uses.

    python benchmarks/gpu_memory.py              # on a GPU machine: measures, writes the "gpu-memory" section
    python benchmarks/gpu_memory.py --only grpo-8-gc   # only the settings named (keys in --help)
    python benchmarks/gpu_memory.py --dry-run    # anywhere: a tiny config of the same architecture on the CPU,
                                                 # two steps per setting, nothing written

A GPU run keeps its figures in benchmarks/gpu_memory.json, one row per setting, and replaces only the rows of
the settings it measured, so a run cut short (or one with --only) fills in what is missing. The gpu profile's
own settings (LoRA SFT and 8-generation GRPO, both with gradient checkpointing) run first.

Settings measured: SFT with LoRA r=64 and full fine-tuning, each with and without gradient checkpointing;
GRPO (LoRA) with the reference plan's 2 generations and with ours (8 generations, 256-token completions),
each with and without gradient checkpointing. Reported per setting: peak GPU memory
(``torch.cuda.max_memory_allocated``; on the CPU dry run, the process's peak resident memory), tokens per
second and seconds per step. Token counts use the course's own letter-level tokenizer, which writes more
tokens per prompt than Qwen's, so the memory figures are on the safe side. Random weights generate random
text, so every GRPO completion runs to the full completion length: the worst case.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import date
import gc
import json
import resource
import time
from pathlib import Path

import torch
from transformers import TrainerCallback

# Qwen/Qwen2.5-3B-Instruct's config.json (public): the architecture, not the weights.
QWEN25_3B = dict(
    hidden_size=2048, intermediate_size=11008, num_hidden_layers=36, num_attention_heads=16, num_key_value_heads=2,
    vocab_size=151936, max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6,
    tie_word_embeddings=True, hidden_act="silu",
)
# The figures of GPU runs so far, one row per setting (a later run replaces the settings it measures).
FIGURES = Path(__file__).resolve().parent / "gpu_memory.json"
# The same architecture, small enough for a CPU dry run.
TINY = dict(QWEN25_3B, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, vocab_size=2048)


def settings() -> list[dict[str, object]]:
    """Every (stage, variant) to measure, the gpu profile's own two (gradient checkpointing on) first."""
    sft_lora = {"stage": "sft", "name": "SFT, LoRA r=64", "lora": True}
    sft_full = {"stage": "sft", "name": "SFT, full fine-tuning", "lora": False}
    grpo_2 = {"stage": "grpo", "name": "GRPO, reference plan (2 generations)", "generations": 2}
    grpo_8 = {"stage": "grpo", "name": "GRPO, course (8 generations, 256 tokens)", "generations": 8}
    order = [(sft_lora, True), (grpo_8, True), (sft_lora, False), (grpo_8, False), (grpo_2, True), (grpo_2, False),
             (sft_full, False), (sft_full, True)]
    return [{**run, "gc": gc_on, "key": key({**run, "gc": gc_on})} for run, gc_on in order]


def key(run: dict[str, object]) -> str:
    """A setting's short name, e.g. ``sft-lora-gc`` or ``grpo-8-nogc`` (what ``--only`` takes)."""
    variant = ("lora" if run["lora"] else "full") if run["stage"] == "sft" else str(run["generations"])
    return f"{run['stage']}-{variant}-{'gc' if run['gc'] else 'nogc'}"


def merged(earlier: list[dict[str, object]], new: list[dict[str, object]]) -> list[dict[str, object]]:
    """Earlier figures with this run's in place of the same settings', in ``settings()`` order."""
    by_key = {key(r): r for r in earlier} | {key(r): r for r in new}
    return [by_key[run["key"]] for run in settings() if run["key"] in by_key]


def _profile(run: dict[str, object], dry_run: bool, steps: int):
    from wordle_helpers.profiles import get_profile

    gpu = get_profile("gpu")
    sft = replace(gpu.sft, max_steps=steps, logging_steps=1, save_steps=10_000, gradient_checkpointing=bool(run["gc"]))
    grpo = replace(gpu.grpo, max_steps=steps, logging_steps=1, save_steps=10_000, gradient_checkpointing=bool(run["gc"]))
    if "generations" in run:
        # The reference plan: 2 generations, batch 2; the course: 8 generations (batch 8 = one prompt's group).
        grpo = replace(grpo, num_generations=int(run["generations"]), batch_size=int(run["generations"]),
                       grad_accum=1)
    if dry_run:
        sft = replace(sft, batch_size=2)
        grpo = replace(grpo, max_completion_length=16)
    # The course's local teacher rows (the hub datasets are not needed to measure memory; own-word labels are
    # the tiny base model's).
    return replace(gpu, sft=sft, grpo=grpo, data=replace(get_profile("smoke").data, own_word_samples=0))


def _model(dry_run: bool):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(**(TINY if dry_run else QWEN25_3B))
    on_gpu = torch.cuda.is_available() and not dry_run
    # Built in place on the GPU in bfloat16: 3B random weights initialised on the CPU take minutes.
    with torch.device("cuda" if on_gpu else "cpu"):
        return Qwen2ForCausalLM._from_config(config, dtype=torch.bfloat16 if on_gpu else torch.float32)


def _peak_reset() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gib() -> float:
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


class _StepClock(TrainerCallback):
    """Notes when each training step ends and the tokens trained so far (logged every step)."""

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.tokens: list[float] = []

    def on_step_end(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.ends.append(time.perf_counter())

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "num_tokens" in logs:
            self.tokens.append(float(logs["num_tokens"]))


def measure(run: dict[str, object], dry_run: bool, steps: int, tokenizer, work: Path) -> dict[str, object]:
    """Build the trainer for one setting, train ``steps`` steps, return its figures."""
    from trl import GRPOTrainer, SFTTrainer

    from wordle_helpers.grpo import grpo_config, grpo_training_data, reward_functions
    from wordle_helpers.sft import lora_config, sft_config, sft_training_data, token_lengths

    profile = _profile(run, dry_run, steps)
    _peak_reset()
    model = _model(dry_run)
    if run["stage"] == "sft":
        data = sft_training_data(profile).select(range(64))
        args = sft_config(profile, max(token_lengths(data, tokenizer)) + 8, work / "sft")
        tokenizer.padding_side = "right"
        trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                             peft_config=lora_config(profile) if run["lora"] else None)
    else:
        data = grpo_training_data(profile, tokenizer).select(range(32))
        args = grpo_config(profile, work / "grpo")
        tokenizer.padding_side = "left"
        trainer = GRPOTrainer(model=model, reward_funcs=reward_functions(profile), args=args, train_dataset=data,
                              processing_class=tokenizer, peft_config=lora_config(profile))
    clock = _StepClock()
    trainer.add_callback(clock)
    start = time.perf_counter()
    trainer.train()
    seconds, tokens = time.perf_counter() - start, clock.tokens[-1] if clock.tokens else float("nan")
    if len(clock.ends) > 1:  # past the first step, which also pays for warm-up (kernels, allocator, caches)
        seconds, steps_timed = clock.ends[-1] - clock.ends[0], len(clock.ends) - 1
        tokens = clock.tokens[-1] - clock.tokens[0] if len(clock.tokens) == len(clock.ends) else float("nan")
    else:
        steps_timed = steps
    result = {**run, "peak_gib": round(_peak_gib(), 2), "seconds_per_step": round(seconds / steps_timed, 2),
              "tokens_per_second": round(tokens / seconds, 1), "steps": steps,
              "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)}
    del trainer, model
    _peak_reset()
    return result


def table(results: list[dict[str, object]], where: str) -> str:
    """The results as a Markdown table, a row for every setting (those without figures say so)."""
    lines = [f"| setting | gradient checkpointing | peak memory ({where}) | tokens/s | s/step "
             "| trainable parameters |",
             "| --- | --- | --- | --- | --- | --- |"]
    by_key = {key(r): r for r in results}
    for run in settings():
        r = by_key.get(run["key"])
        checkpointing = "on" if run["gc"] else "off"
        if r is None or "error" in r:
            why = "not measured" if r is None else f"failed: {r['error']}"
            lines.append(f"| {run['name']} | {checkpointing} | {why} | | | |")
            continue
        lines.append(f"| {r['name']} | {checkpointing} | {r['peak_gib']:.1f} GiB | "
                     f"{r['tokens_per_second']:,.0f} | {r['seconds_per_step']:.2f} | {r['trainable_parameters']:,} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="tiny config on the CPU; writes nothing to RESULTS.md")
    parser.add_argument("--steps", type=int, default=None, help="training steps per setting (default 3; 2 dry)")
    parser.add_argument("--only", default=None,
                        help="comma-separated settings to measure (default all): "
                             + ", ".join(str(r["key"]) for r in settings()))
    parser.add_argument("--json", type=Path, default=None, help="also write this run's raw figures here")
    parser.add_argument("--figures", type=Path, default=FIGURES,
                        help="the figures of earlier GPU runs, which this one updates setting by setting "
                             "(default benchmarks/gpu_memory.json; untouched by a dry run)")
    args = parser.parse_args(argv)
    runs = settings()
    if args.only:
        wanted = [name.strip() for name in args.only.split(",") if name.strip()]
        unknown = sorted(set(wanted) - {r["key"] for r in runs})
        if unknown or not wanted:
            what = f"unknown setting(s) {', '.join(unknown)}" if unknown else "no setting named"
            parser.error(f"{what} in --only; choose from: {', '.join(r['key'] for r in runs)}")
        runs = [r for r in runs if r["key"] in wanted]
    if not args.dry_run and not torch.cuda.is_available():
        print("error: no GPU here. Run this on a GPU machine, or use --dry-run to check the code path on the CPU.")
        return 2
    from wordle_helpers.modeling import build_tiny_base, load_tokenizer
    from wordle_helpers.profiles import OUTPUT_DIR, get_profile

    steps = args.steps or (2 if args.dry_run else 3)
    tokenizer = load_tokenizer(build_tiny_base(get_profile("smoke")))
    work = OUTPUT_DIR / "gpu-memory"
    where = torch.cuda.get_device_name(0) if torch.cuda.is_available() and not args.dry_run else "CPU resident"
    earlier = [] if args.dry_run or not args.figures.exists() else json.loads(args.figures.read_text())
    results = []
    for run in runs:
        try:
            results.append(measure(run, args.dry_run, steps, tokenizer, work))
        except torch.OutOfMemoryError as error:  # a setting that does not fit is a result, not a crash
            results.append({**run, "error": f"out of memory ({str(error).splitlines()[0][:80]})"})
            _peak_reset()
        except Exception as error:  # so is one that fails otherwise: the other settings still get measured
            results.append({**run, "error": f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"})
            _peak_reset()
        results[-1].update(gpu=where, date=date.today().isoformat(), steps=steps)
        print(json.dumps(results[-1]), flush=True)
        # After each setting, so a run cut short keeps what it measured.
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        figures = merged(earlier, results)
        if not args.dry_run:
            args.figures.write_text(json.dumps(figures, indent=1) + "\n")
    print(table(results, where))
    if not args.dry_run:
        from results import write_section  # benchmarks/ is on the path when the script runs

        dates = sorted({str(r.get("date", "")) for r in figures} - {""})
        write_section("gpu-memory", "GPU memory and speed at the 3B scale",
                      f"GPU: {where}; {steps} steps per setting, timed from the end of the first (warm-up); random "
                      f"weights with Qwen2.5-3B's architecture; figures of {', '.join(dates)} "
                      f"(benchmarks/gpu_memory.json).\n\n{table(figures, where)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
