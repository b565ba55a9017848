"""Stage 2, GRPO from the SFT checkpoint: TRL's GRPOTrainer with the course rewards (notebook 04).

GRPO samples a *group* of answers for each game state, scores each with the rewards, and pushes the model
toward the answers that scored above their group's mean. A group whose answers all score the same teaches
nothing, which is why the number of generations matters and why starting from a model that already
answers in the format (SFT) matters even more.

Training continues the SFT LoRA adapter. With ``beta > 0`` TRL keeps a frozen copy of that adapter (named
``ref``) as the KL reference, so the KL term holds the policy near the SFT model; GRPO from the base model
starts a fresh adapter, whose reference is the base model itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wordle_helpers.evaluation import GameRecord, GameState, ModelPlayer, play_games
from wordle_helpers.game import MAX_GUESSES
from wordle_helpers.modeling import (checkpoint_dir, common_training_args, library_deprecations_hidden,
                                     load_base_model)
from wordle_helpers.profiles import Profile
from wordle_helpers.prompts import build_messages
from wordle_helpers.rewards import combined_reward, history_cell, make_rewards, parse_history, with_constants

logger = logging.getLogger(__name__)


class MissingCheckpointError(FileNotFoundError):
    """GRPO needs the SFT adapter, which has not been trained yet."""


def group_advantages(rewards: list[float], scale: bool = True) -> list[float]:
    """GRPO's advantages for one group: reward minus the group mean, divided by the group's standard
    deviation when ``scale`` (all zeros when every answer scored the same) (notebook 04)."""
    values = np.asarray(rewards, dtype=float)
    centred = values - values.mean()
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    if not scale:
        return centred.tolist()
    return (centred / (std + 1e-4)).tolist() if std > 0 else [0.0] * len(values)


def render_prompt(messages: list[dict[str, str]], tokenizer) -> str:
    """The chat prompt as text, ending in the assistant lead-in (GRPOTrainer would add a new turn to
    conversational prompts, so the prompts are given to it already rendered)."""
    return tokenizer.apply_chat_template(messages, tokenize=False, continue_final_message=True)


def grpo_training_data(profile: Profile, tokenizer, split: str = "train", model=None):
    """GRPO rows for the profile: local states (default) or the hub's ``predibase/wordle-grpo``.

    With ``model`` and the profile's ``own_play_share`` above 0, that share of the rows are states from the
    model's own games (:func:`own_play_rows`) instead of teacher games.
    """
    import datasets as hf_datasets

    from wordle_helpers.datasets import grpo_dataset, load_hub_grpo

    if profile.data.use_hub:
        return load_hub_grpo(word_list="project")
    rows = grpo_dataset(split=split, rows=profile.data.grpo_rows, seed=profile.data.seed + 1)
    own = round(profile.grpo.own_play_share * len(rows)) if model is not None else 0

    def render(row: dict[str, object]) -> dict[str, object]:
        return {"prompt": render_prompt(build_messages(parse_history(row["past_guess_history"])), tokenizer)}

    columns = ["prompt", "secret", "past_guess_history", "word_list"]
    teacher = rows.select(range(len(rows) - own)).map(render, desc="rendering prompts").select_columns(columns)
    if not own:
        return teacher
    player = ModelPlayer(model, tokenizer, name="own play", batch_size=profile.evaluation.batch_size,
                         max_new_tokens=profile.evaluation.max_new_tokens)
    was_training = model.training
    model.eval()
    played = own_play_rows(player, tokenizer, own, seed=profile.data.seed + 13, split=split,
                           at_mistake=profile.grpo.own_play_at_mistake, at_repeat=profile.grpo.own_play_at_repeat)
    model.train(was_training)
    played = hf_datasets.Dataset.from_list(played).select_columns(columns)
    return hf_datasets.concatenate_datasets([teacher, played]).shuffle(seed=profile.data.seed)


def own_play_rows(player, tokenizer, rows: int, seed: int = 0, split: str = "train",
                  at_mistake: bool = False, at_repeat: bool = False) -> list[dict[str, object]]:
    """GRPO rows from ``player``'s own games on ``rows`` random ``split`` secrets (notebook 04).

    Each game gives one state, drawn from its turns: the words it played with their true feedback, and the
    non-words it wrote, listed as a game's prompt lists them. Teacher games never hold the model's own
    mistakes; these states do, and they are the ones it must play from. With ``at_mistake``, the state is
    the one where the player, past its opener, first wrote a word that breaks a hint or a non-word, if it did.
    With ``at_repeat``, a game where the player wrote an answer again (a word it played, or a non-word it was
    told is not in the list) gives the state where it first did so, before ``at_mistake`` is asked.
    """
    from wordle_helpers.datasets import ALLOWED_FILE
    from wordle_helpers.words import load_allowed, load_answers, split_secrets

    answers = load_answers()
    rng = np.random.default_rng(seed)
    secrets = [str(s) for s in rng.choice(np.array(split_secrets(answers)[split]), size=rows)]
    out = []
    for game in play_games(player, secrets, load_allowed(answers=answers), progress=True):
        drawn = int(rng.integers(len(game.turns)))  # drawn in both modes, so the random states stay the same
        first = next((k for k, t in enumerate(game.turns) if k > 0 and not t.consistent), None) if at_mistake else None
        repeated = next((k for k, again in enumerate(game.repeats) if again), None) if at_repeat else None
        turn = repeated if repeated is not None else first if first is not None else drawn
        so_far = GameRecord(game.secret, game.turns[:turn])
        messages = build_messages(so_far.history, guesses_left=MAX_GUESSES - turn, rejected=so_far.rejected)
        out.append({"prompt": render_prompt(messages, tokenizer), "secret": game.secret,
                    "past_guess_history": history_cell(so_far.history), "word_list": str(ALLOWED_FILE)})
    return out


def reward_functions(profile: Profile) -> list:
    """The course rewards in the order of the profile's ``reward_weights``, bound to its constants."""
    rewards = make_rewards(with_constants(**dict(profile.grpo.reward_constants)))
    return [rewards["format_reward"], rewards["feedback_reward"], rewards["info_gain_reward"]]


@dataclass(frozen=True)
class ScoredGroup:
    """A group of answers to one GRPO row: each reward's scores, the weighted totals and the advantages."""

    row: dict[str, object]
    answers: list[str]
    scores: dict[str, list[float]]
    totals: list[float]
    advantages: list[float]


def score_group(profile: Profile, row: dict[str, object], answers: list[str]) -> ScoredGroup:
    """Score ``answers`` to ``row`` as GRPO does: each of the profile's rewards, the total with its weights, and
    the group's advantages (notebook 04)."""
    rewards = {f.__name__: f for f in reward_functions(profile)}
    weights = dict(zip(rewards, profile.grpo.reward_weights))
    each = [combined_reward(a, row["past_guess_history"], weights, row.get("word_list"), rewards) for a in answers]
    scores = {name: [answer[name] for answer in each] for name in rewards}
    totals = [answer["total"] for answer in each]
    return ScoredGroup(row, list(answers), scores, totals, group_advantages(totals))


def sample_group(profile: Profile, player, rows: list[dict[str, object]], played: int = 2, tries: int = 10) -> ScoredGroup:
    """A group of ``num_generations`` answers from ``player`` to the first of ``rows`` with ``played`` guesses so far
    whose answers do not all score the same (such a group teaches something); the last one tried if none of the
    first ``tries`` does (notebook 04)."""
    histories = ((row, tuple(parse_history(row["past_guess_history"]))) for row in rows)
    candidates = [(row, history) for row, history in histories if len(history) == played][:tries]
    if not candidates:
        raise ValueError(f"none of the {len(rows)} rows has {played} guesses played; choose another number")
    for row, history in candidates:
        answers = player.answer([GameState(history, MAX_GUESSES - len(history))] * profile.grpo.num_generations)
        group = score_group(profile, row, answers)
        if len(set(group.totals)) > 1:
            break
    return group


class VllmUnavailableError(RuntimeError):
    """vLLM generation was asked for where it cannot run; the message says what is missing."""


def with_vllm(profile: Profile, mode: str = "colocate") -> Profile:
    """The profile with GRPO generation through vLLM: ``colocate`` (in the training process, sharing the
    GPU) or ``server`` (a separate ``trl vllm-serve --model MODEL`` process on its own GPU)."""
    from dataclasses import replace

    if mode not in ("colocate", "server"):
        raise ValueError(f"vLLM mode must be 'colocate' or 'server', got {mode!r}")
    return replace(profile, grpo=replace(profile.grpo, use_vllm=True, vllm_mode=mode))


def _check_vllm(profile: Profile) -> None:
    import importlib.util

    import torch

    if profile.model.is_tiny or not torch.cuda.is_available():
        raise VllmUnavailableError(
            f"vLLM generation needs a GPU and a hub model; profile {profile.name!r} "
            f"{'trains the tiny local model' if profile.model.is_tiny else 'runs here without a GPU'}. "
            "Drop --vllm (TRL then generates with transformers), or use the gpu profile on a GPU machine.")
    if importlib.util.find_spec("vllm") is None:
        raise VllmUnavailableError("vLLM is not installed: pip install vllm (a version your TRL supports), "
                                   "or drop --vllm to generate with transformers.")


def grpo_config(profile: Profile, output_dir: Path, max_steps: int | None = None):
    """TRL's ``GRPOConfig`` for the profile (CPU: ``use_cpu=True``, no bf16; vLLM generation when asked)."""
    from trl import GRPOConfig

    settings = profile.grpo
    if settings.use_vllm:
        _check_vllm(profile)
    common = common_training_args(profile, settings.logging_steps, settings.save_steps, settings.gradient_checkpointing)
    if settings.seed is not None:
        common.update(seed=settings.seed, data_seed=settings.seed)
    return GRPOConfig(
        output_dir=str(output_dir),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps if max_steps is None else max_steps,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=0.05,
        num_generations=settings.num_generations,
        max_completion_length=settings.max_completion_length,
        temperature=settings.temperature,
        beta=settings.beta,
        reward_weights=list(settings.reward_weights),
        **common,
        use_vllm=settings.use_vllm,
        vllm_mode=settings.vllm_mode,
    )


def _require_sft_adapter(profile: Profile, start: str) -> None:
    """When GRPO starts from SFT and there is no SFT adapter, stop at once with the command that makes one."""
    adapter = checkpoint_dir(profile, "sft") / "final"
    if start == "sft" and not (adapter / "adapter_config.json").exists():
        raise MissingCheckpointError(
            f"GRPO starts from the SFT checkpoint, and there is none at {adapter}. "
            f"Make it first with: python -m wordle_helpers sft --profile {profile.name}"
        )


def _starting_model(profile: Profile, start: str):
    """The model GRPO trains: the SFT adapter made trainable (``start="sft"``), or a fresh adapter on the
    base model (``start="base"``, the lesson of notebook 04)."""
    from peft import PeftModel

    from wordle_helpers.sft import lora_config

    adapter = checkpoint_dir(profile, "sft") / "final"  # its presence is checked by build_grpo_trainer
    model, tokenizer = load_base_model(profile)
    if start == "sft":
        with library_deprecations_hidden():
            return PeftModel.from_pretrained(model, str(adapter), is_trainable=True), tokenizer, None
    return model, tokenizer, lora_config(profile)


def stage_dir(profile: Profile, start: str = "sft") -> Path:
    """Where a GRPO run from ``start`` keeps its checkpoints: ``grpo`` (from SFT) or ``grpo-from-base``, with
    ``-seed<N>`` when the profile sets its own trainer seed."""
    name = "grpo" if start == "sft" else "grpo-from-base"
    return checkpoint_dir(profile, name if profile.grpo.seed is None else f"{name}-seed{profile.grpo.seed}")


def build_grpo_trainer(profile: Profile, start: str = "sft", max_steps: int | None = None, dataset=None):
    """A ``GRPOTrainer`` ready to train from ``start`` (``sft`` or ``base``)."""
    from trl import GRPOTrainer

    _require_sft_adapter(profile, start)  # first a file check, then vLLM, both before any loading
    args = grpo_config(profile, stage_dir(profile, start), max_steps)
    model, tokenizer, peft_config = _starting_model(profile, start)
    if dataset is None:  # own-play states only from the SFT model: the base model's games are all misses
        dataset = grpo_training_data(profile, tokenizer, model=model if start == "sft" else None)
    tokenizer.padding_side = "left"
    with library_deprecations_hidden():  # with a peft_config, TRL wraps the model in a PeftModel here
        return GRPOTrainer(model=model, reward_funcs=reward_functions(profile), args=args,
                           train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config)


def run_description(profile: Profile, start: str = "sft", max_steps: int | None = None) -> dict[str, object]:
    """What a GRPO run's checkpoints belong to: its starting point (the SFT adapter's weights, or the base
    model) and its settings. A retrained SFT adapter makes older GRPO checkpoints stale."""
    from dataclasses import asdict

    from wordle_helpers.modeling import base_key, file_digest

    adapter = checkpoint_dir(profile, "sft") / "final" / "adapter_model.safetensors"
    return {"start": start, "base": base_key(profile), "sft": file_digest(adapter) if start == "sft" else None,
            "grpo": asdict(profile.grpo), "data": asdict(profile.data), "max_steps": max_steps}


def train_grpo(profile: Profile, start: str = "sft", max_steps: int | None = None, resume: bool = True) -> Path:
    """Run GRPO and save the adapter to ``outputs/<profile>/grpo/final`` (or ``grpo-from-base/final``).

    Stops at once, naming the command to run, when the SFT checkpoint is missing. An interrupted run
    resumes from its last checkpoint, and a finished one with the same start and settings is reused as it
    is (``resume=False`` trains afresh); the training log is kept in ``log.json`` for the notebook's plots.
    """
    from wordle_helpers.modeling import (finish_run, finished_adapter, forget_stale_checkpoints,
                                         main_process_first, run_clock)

    _require_sft_adapter(profile, start)  # a file check, before torch or TRL is imported
    out = stage_dir(profile, start)
    with main_process_first():
        forget_stale_checkpoints(out, run_description(profile, start, max_steps))
        done = finished_adapter(out) if resume else None
        if done is None:
            started = time.perf_counter()
            trainer = build_grpo_trainer(profile, start, max_steps)  # and the own-play games, if any
            prepare_seconds = round(time.perf_counter() - started, 1)
    if done is not None:
        logger.info("GRPO already finished for these settings: %s", done)
        return done
    clock = run_clock(out, time.perf_counter(), resume)
    trainer.add_callback(clock)
    with library_deprecations_hidden():  # TRL reads it at every generation step
        trainer.train(resume_from_checkpoint=clock.checkpoint)
    log = [*trainer.state.log_history, {"prepare_seconds": prepare_seconds, "train_seconds": clock.seconds(),
                                        "resumed_at_step": clock.resumed_at_step}]
    return finish_run(trainer, out, "log.json", log)


def log_trend(log: Sequence[Mapping[str, float]], key: str = "reward",
              share: float = 0.2) -> tuple[float, float]:
    """The mean of ``key`` over the first and the last ``share`` of the logged steps that hold it: whether a
    noisy training curve rose (notebook 04)."""
    values = [float(entry[key]) for entry in log if key in entry and "step" in entry]
    if not values:
        raise ValueError(f"no logged step holds {key!r}; logged keys: {sorted({k for e in log for k in e})}")
    count = max(1, round(len(values) * share))
    return float(np.mean(values[:count])), float(np.mean(values[-count:]))


def training_log(profile: Profile, stage: str = "grpo") -> list[dict[str, float]]:
    """The saved log of a GRPO run: per logging step, each reward's mean, total reward, equal-reward
    fraction, completion length, learning rate (and KL when ``beta > 0``); last, ``prepare_seconds``, the time
    spent before training (loading, and the model's own games when the profile takes states from them),
    ``train_seconds``, the training's wall time (an interrupted run's up to its last checkpoint included), and
    ``resumed_at_step``."""
    path = checkpoint_dir(profile, stage) / "log.json"
    if not path.exists():
        raise FileNotFoundError(f"no GRPO log at {path}; run: python -m wordle_helpers grpo --profile {profile.name}")
    return json.loads(path.read_text())
