"""Stage 1, supervised fine-tuning: TRL's SFTTrainer with a PEFT LoRA adapter (notebook 03).

Rows are conversational prompt-completion pairs: the prompt is the system and user turns, the completion
is the assistant turn (the lead-in ending in ``<think>``, the reasoning, the guess, and the chat
template's end-of-turn token). The loss covers the completion only; the prompt is masked.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wordle_helpers.modeling import (checkpoint_dir, common_training_args, library_deprecations_hidden,
                                     load_base_model, own_loss_sft_trainer)
from wordle_helpers.profiles import Profile
from wordle_helpers.prompts import ASSISTANT_PREFILL

if TYPE_CHECKING:
    from wordle_helpers.solver import EntropySolver

logger = logging.getLogger(__name__)


def to_conversation(row: dict[str, object]) -> dict[str, object]:
    """A local SFT row as TRL's conversational prompt-completion: ``[system, user]`` → ``[assistant]``."""
    messages = list(row["prompt"])
    lead_in = messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else ASSISTANT_PREFILL
    prompt = [m for m in messages if m["role"] != "assistant"]
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": lead_in + str(row["completion"])}]}


# How the base model's own words are found: a new version whenever that changes what they are, so that the rows
# cached with older words, and SFT runs trained on them, are not reused.
OWN_WORDS_VERSION = 3


def own_words_key(profile: Profile) -> str | None:
    """What the profile's own-word labels depend on (notebook 03): the SFT rows' cache key, and part of what an SFT
    run is recorded as trained on; ``None`` for a profile without them."""
    from wordle_helpers.modeling import base_key

    samples = profile.data.own_word_samples
    return f"own-{samples}-v{OWN_WORDS_VERSION}-{base_key(profile)}" if samples else None


def sft_training_data(profile: Profile, model=None, tokenizer=None):
    """The profile's SFT rows: local generated rows (default) or the hub's ``predibase/wordle-sft``.

    With ``data.own_word_samples`` (tiny base model only), rows past the opener are labelled with the base
    model's own most informative fitting word where it writes one (:func:`own_fitting_words`); ``model`` and
    ``tokenizer`` are the base model, loaded when not given and the rows are not cached yet.
    """
    from wordle_helpers.datasets import load_hub_sft, sft_dataset

    data = profile.data
    if data.use_hub:
        return load_hub_sft()
    labels = key = None
    if data.own_word_samples:
        if not profile.model.is_tiny:
            raise ValueError(f"profile {profile.name!r}: own_word_samples needs the tiny base model, whose pretraining "
                             "text holds the hint drills it continues; set it to 0 for a hub model")

        def labels(histories):
            base, base_tokenizer = (model, tokenizer) if model is not None else load_base_model(profile)
            return own_fitting_words(base, base_tokenizer, histories, data.own_word_samples, seed=data.seed)

        key = own_words_key(profile)
    rows = sft_dataset(games=data.sft_games, seed=data.seed, labels=labels, labels_key=key)
    return rows.map(to_conversation, remove_columns=rows.column_names, desc="to conversations")


def most_informative(words: list[str], history: list[tuple[str, str]], solver: EntropySolver) -> str:
    """Of ``words``, the one whose feedback best splits the answers that still fit ``history`` (the solver's
    measure: entropy of the pattern partition); ties go to the alphabetically first (notebook 03)."""
    from wordle_helpers.solver import partition_entropy

    ordered = sorted(set(words))
    fitting = solver.candidate_indices(history)
    rows = np.stack([solver.lists.matrix[solver.lists.guess_index[w]][fitting] for w in ordered])
    return ordered[int(np.argmax(partition_entropy(rows)))]


def own_fitting_words(model, tokenizer, histories: list[list[tuple[str, str]]], samples: int, seed: int = 0,
                      batch_size: int = 500) -> list[str | None]:
    """The tiny base model's own guess for each game state past the opener, where it has one (notebook 03).

    The base model continues each state's hint drill ``samples`` times: greedily, then by sampling at
    temperature 1; :func:`choose_own_words` picks the label. Labels the model already writes let SFT teach the
    answer format without new words, and the SFT model trained on them keeps to the hints more often
    (benchmarks/RESULTS.md). The drills go in batches of similar length, each read once for all its samples
    (:func:`~wordle_helpers.modeling.prefill`): about five times faster than one batch of random lengths per sample.
    """
    import torch
    from tqdm.auto import tqdm

    from wordle_helpers.modeling import continue_prefilled, hint_drill, prefill

    drills = {i: hint_drill(history) for i, history in enumerate(histories) if history}
    ids = tokenizer(list(drills.values()), add_special_tokens=False)["input_ids"] if drills else []
    todo = [i for _, i in sorted(zip(map(len, ids), drills))]  # shortest drills first, in state order within a length
    written: list[list[str]] = [[] for _ in histories]
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[]), tqdm(total=samples * len(todo), desc="base model's own words") as bar:
            for number, start in enumerate(range(0, len(todo), batch_size)):
                chunk = todo[start:start + batch_size]
                prefilled = prefill(model, tokenizer, [drills[i] for i in chunk])
                for attempt in range(samples):
                    torch.manual_seed(seed + samples * number + attempt)
                    options = ({"do_sample": False, "temperature": None, "top_p": None, "top_k": None} if attempt == 0
                               else {"do_sample": True, "temperature": 1.0, "top_p": 1.0, "top_k": 0})
                    for i, text in zip(chunk, continue_prefilled(model, tokenizer, prefilled, 8, **options)):
                        written[i].append(text)
                    bar.update(len(chunk))
    finally:
        model.train(was_training)
    return choose_own_words(histories, written)


def choose_own_words(histories: list[list[tuple[str, str]]], written: list[list[str]],
                     solver: EntropySolver | None = None) -> list[str | None]:
    """Each state's label from what the base model wrote after its hint drill (notebook 03): of the first
    words that are answers and fit every hint of the history, the most informative (:func:`most_informative`);
    ``None`` where none does, and for the opener (empty history). Garbled text simply does not count."""
    from wordle_helpers.datasets import _default_solver
    from wordle_helpers.game import Knowledge

    solver = solver or _default_solver()
    answers = set(solver.answers)
    labels: list[str | None] = []
    for history, texts in zip(histories, written, strict=True):
        knowledge = Knowledge.from_history(history) if history else None
        firsts = {next(iter(text.split()), "").lower() for text in texts}
        pool = [word for word in firsts if knowledge and word in answers and knowledge.fits(word)]
        labels.append(most_informative(pool, history, solver) if pool else None)
    return labels


def token_lengths(dataset, tokenizer) -> list[int]:
    """Tokens in each full training sequence (prompt and completion, as the chat template renders them)."""
    lengths = []
    for row in dataset:
        if isinstance(row["prompt"], str):
            lengths.append(len(tokenizer(row["prompt"] + row["completion"])["input_ids"]) + 1)
        else:
            rendered = tokenizer.apply_chat_template(row["prompt"] + row["completion"], tokenize=True, return_dict=True)
            lengths.append(len(rendered["input_ids"]))
    return lengths


def length_report(lengths: list[int], max_length: int) -> dict[str, int]:
    """How long the sequences are and how many a ``max_length`` would cut."""
    ordered = sorted(lengths)
    return {
        "rows": len(lengths),
        "max": ordered[-1],
        "p99": ordered[int(0.99 * (len(ordered) - 1))],
        "median": ordered[len(ordered) // 2],
        "max_length": max_length,
        "would_be_cut": sum(n > max_length for n in lengths),
    }


def lora_config(profile: Profile):
    """The profile's LoRA adapter.

    The tiny model also trains a copy of its (small) token embedding, tied to the output head as in the
    base model, so that the chat and answer-tag tokens it never saw in pretraining become usable; the
    adapter saves that copy with the LoRA weights.
    """
    from peft import LoraConfig

    settings = profile.sft
    extra = {"modules_to_save": ["embed_tokens"], "ensure_weight_tying": True} if settings.train_embeddings else {}
    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=list(settings.target_modules),
        task_type="CAUSAL_LM",
        **extra,
    )


def sft_config(profile: Profile, max_length: int, output_dir: Path):
    """TRL's ``SFTConfig`` for the profile (CPU: ``use_cpu=True``, no bf16)."""
    from trl import SFTConfig

    settings = profile.sft
    return SFTConfig(
        output_dir=str(output_dir),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        learning_rate=settings.learning_rate,
        lr_scheduler_type=settings.scheduler,
        warmup_steps=settings.warmup_fraction,
        max_length=max_length,
        completion_only_loss=True,
        # Rows run from 100 to 350 tokens: batches of similar lengths spend a third less time on padding.
        train_sampling_strategy="group_by_length" if settings.group_by_length else "random",
        **common_training_args(profile, settings.logging_steps, settings.save_steps, settings.gradient_checkpointing),
    )


def sft_trainer_class(profile: Profile) -> type:
    """TRL's ``SFTTrainer``, or its subclass that computes the loss directly where the profile's
    ``sft.loss_head`` is ``"own"`` (:func:`~wordle_helpers.modeling.own_loss_sft_trainer`; notebook 03)."""
    from trl import SFTTrainer

    return own_loss_sft_trainer() if profile.sft.loss_head == "own" else SFTTrainer


def build_sft_trainer(profile: Profile, model=None, tokenizer=None, dataset=None):
    """An ``SFTTrainer`` ready to train, plus the length report (max length taken from the data)."""
    if model is None or tokenizer is None:
        model, tokenizer = load_base_model(profile)
    dataset = dataset if dataset is not None else sft_training_data(profile)
    lengths = token_lengths(dataset, tokenizer)
    max_length = max(lengths) + 8
    report = length_report(lengths, max_length)
    args = sft_config(profile, max_length, checkpoint_dir(profile, "sft"))
    tokenizer = copy.deepcopy(tokenizer)  # SFTTrainer pads right; the caller's tokenizer keeps its own side
    tokenizer.padding_side = "right"
    model, optimizer = adapter_and_optimizer(profile, model)
    trainer_class = sft_trainer_class(profile)
    trainer = trainer_class(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                            optimizers=(optimizer, None))
    return trainer, report


def adapter_and_optimizer(profile: Profile, model):
    """The model with its LoRA adapter, and AdamW with two rates: the adapter's, and a much smaller one for
    the trained embedding copy (tiny model), whose drift would otherwise erase what the base model knows."""
    import torch
    from peft import get_peft_model

    settings = profile.sft
    # The adapter's random start comes from the profile's seed, not from whatever ran before (a notebook's
    # sampling, the own-word labels), so the CLI and the notebook train the same model.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(profile.data.seed)
        with library_deprecations_hidden():
            model = get_peft_model(model, lora_config(profile))
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    embedding = [p for name, p in trainable if "modules_to_save" in name]
    adapter = [p for name, p in trainable if "modules_to_save" not in name]
    groups = [{"params": adapter, "lr": settings.learning_rate}]
    if embedding:
        groups.append({"params": embedding, "lr": settings.embedding_learning_rate})
    return model, torch.optim.AdamW(groups, lr=settings.learning_rate, weight_decay=0.0)


def train_sft(profile: Profile, resume: bool = True) -> Path:
    """Run SFT for the profile and save the adapter to ``outputs/<profile>/sft/final`` (notebook 03).

    An interrupted run resumes from its last checkpoint, and a finished one with the same base model and
    settings is reused as it is (``resume=False`` trains afresh); the loss log is kept in ``loss_log.json``
    with the training's wall time (``train_seconds``: an interrupted run's up to its last checkpoint too).
    """
    from wordle_helpers.modeling import (build_tiny_base, finish_run, finished_adapter, main_process_first,
                                         run_clock)

    out = checkpoint_dir(profile, "sft")
    with main_process_first():
        if profile.model.is_tiny:
            build_tiny_base(profile)  # first, so that stale checkpoints are recognised against the current base
        _forget_stale_checkpoints(profile, out)
        done = finished_adapter(out) if resume else None
        if done is None:
            trainer, report = build_sft_trainer(profile)
    if done is not None:
        logger.info("SFT already finished for these settings: %s", done)
        return done
    logger.info("sequence lengths: %s", report)
    if trainer.is_world_process_zero():
        print(f"sequence lengths: {report}")
    clock = run_clock(out, time.perf_counter(), resume)
    trainer.add_callback(clock)
    trainer.train(resume_from_checkpoint=clock.checkpoint)
    log = [entry for entry in trainer.state.log_history if "loss" in entry or "train_runtime" in entry]
    times = {"train_seconds": clock.seconds(), "resumed_at_step": clock.resumed_at_step}
    return finish_run(trainer, out, "loss_log.json", {"lengths": report, "log": log, **times})


def _forget_stale_checkpoints(profile: Profile, out: Path) -> None:
    """SFT checkpoints belong to one base model, one set of settings and one teacher."""
    from dataclasses import asdict

    from wordle_helpers.datasets import TeacherSettings
    from wordle_helpers.modeling import base_key, forget_stale_checkpoints

    forget_stale_checkpoints(out, {"base": base_key(profile), "sft": asdict(profile.sft), "data": asdict(profile.data),
                                   "teacher": asdict(TeacherSettings()), "labels": own_words_key(profile)})


def loss_log(profile: Profile) -> dict[str, object]:
    """The saved loss log of the profile's SFT run."""
    path = checkpoint_dir(profile, "sft") / "loss_log.json"
    if not path.exists():
        raise FileNotFoundError(f"no SFT loss log at {path}; run: python -m wordle_helpers sft --profile {profile.name}")
    return json.loads(path.read_text())
