"""Models: the hub model for GPUs, and the tiny model built locally for CPUs, with its tokenizer.

Introduced in notebook 03. ``load_base_model(profile)`` returns ``(model, tokenizer)``:

- ``gpu``: ``from_pretrained`` of the profile's hub id or local path; offline and not cached, it fails
  within seconds and says how to get the model, or to use the ``laptop`` profile.
- ``laptop`` / ``smoke``: a tiny Qwen2-architecture model built under ``outputs/<profile>/base`` the first
  time (minutes on a laptop CPU) and reused after: a byte-level BPE tokenizer trained on the project's
  own text with Qwen2's pre-tokenizer, so it reloads as Qwen2's own class with identical ids; capital letters
  never merge, so each letter of a guess is its own token; a ChatML chat template with ``{% generation %}``
  markers; and a base model pretrained, every parameter, on plain Wordle text (word lists, the answer list
  many times over, and game transcripts) that never shows the chat or ``<think>``/``<guess>`` answer format.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict
import hashlib
import json
import logging
from pathlib import Path
import re
import shutil
import time
from typing import TYPE_CHECKING
import warnings

import numpy as np

from wordle_helpers.game import is_solved
from wordle_helpers.profiles import ModelSettings, Profile
from wordle_helpers.prompts import (
    GUESS_CLOSE,
    GUESS_OPEN,
    HINTS_HEADER,
    SYSTEM_PROMPT,
    THINK_CLOSE,
    THINK_OPEN,
    answer_text,
    game_transcript,
    knowledge_lines,
    reasoning_lines,
    user_turn,
)

if TYPE_CHECKING:  # only for annotations: datasets is imported where it is used, not at start-up
    from datasets import Dataset

logger = logging.getLogger(__name__)

END_OF_TEXT, TURN_START, TURN_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
# The answer tags, single tokens of the tiny tokenizer; the base model never sees them (nor the chat markers).
FORMAT_TAGS = (THINK_OPEN, THINK_CLOSE, GUESS_OPEN, GUESS_CLOSE)
BUILD_VERSION = 6

# The tiny model's system turn is always this line, whatever the system message says: a model of a million
# parameters cannot read the rules (it learns them from examples), and the course's 300-token system prompt
# would take three quarters of every training example and of every prompt it reads. The hub model's own
# chat template shows the full system prompt.
TINY_SYSTEM_TURN = "Play Wordle."

CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['role'] == 'system' -%}"
    "{{- '" + TINY_SYSTEM_TURN + "<|im_end|>' + '\\n' -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{% generation %}{{- message['content'] + '<|im_end|>' -}}{% endgeneration %}{{- '\\n' -}}"
    "{%- else -%}"
    "{{- message['content'] + '<|im_end|>' + '\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)


class ModelUnavailableError(OSError):
    """The profile's model is neither on disk nor reachable; the message says what to do."""


class StaleAdapterError(RuntimeError):
    """A trained adapter belongs to another base model than the profile's current one; the message says
    which command retrains it."""


# ---------------------------------------------------------------------------------------------- text


def _teacher_games(games: int, seed: int) -> list[list]:
    """Teacher games on training secrets (never validation or test), as lists of turns."""
    from wordle_helpers.datasets import TeacherSettings, _default_solver, _teacher_games as play
    from wordle_helpers.words import load_answers, split_secrets

    train = split_secrets(load_answers()).train
    return [turns for _, turns in play(train, games, seed, TeacherSettings(), _default_solver())]


def annotated_transcript(turns: list) -> str:
    """A teacher game as plain text, each guess preceded by the player's notes (what is known, how many
    answers fit, why this guess): the reasoning of the SFT answers, without chat or answer tags."""
    history = [(t.guess, t.pattern) for t in turns]
    notes = [reasoning_lines(history[:k], t.guess, t.words_left, t.fits) for k, t in enumerate(turns)]
    return game_transcript(history, reasoning=notes)


def word_list_lines(words: list[str], per_line: int = 12, seed: int = 0) -> list[str]:
    """Word lists as plain text lines, ``Words: CRANE SLATE …``, shuffled by ``seed``."""
    order = np.random.default_rng(seed).permutation(len(words))
    shuffled = [words[i].upper() for i in order]
    return ["Words: " + " ".join(shuffled[i : i + per_line]) for i in range(0, len(shuffled), per_line)]


DRILL_WORDS = "Words that fit every hint:"


def hint_drill(history: list, words: str = "") -> str:
    """A hint drill's text: the notes on ``history``, then ``Words that fit every hint:`` and ``words``."""
    return "\n".join([HINTS_HEADER, *knowledge_lines(history), f"{DRILL_WORDS} {words}".rstrip()])


def fitting_word_texts(played: list[list], seed: int, per_text: int = 12) -> list[str]:
    """One hint drill per game: the hints after a random turn, then answers that fit them all.

    ``Hints:`` / ``fixed: _ A _ O R`` / ``no: E G L`` / ``Words that fit every hint: MAJOR RAZOR …`` —
    many (hints → fitting word) pairs for few tokens, so the tiny model learns its vocabulary under
    constraints, the skill a guess needs and a game shows only once per turn.
    """
    from wordle_helpers.datasets import _default_solver

    solver = _default_solver()
    rng = np.random.default_rng(seed)
    texts = []
    for turns in played:
        history = [(t.guess, t.pattern) for t in turns]
        if is_solved(history[-1][1]):
            history = history[:-1]
        if not history:
            continue
        known = history[: int(rng.integers(1, len(history) + 1))]
        fitting = solver.candidate_indices(known)
        chosen = rng.permutation(fitting)[:per_text]
        words = " ".join(solver.answers[i].upper() for i in chosen)
        texts.append(hint_drill(known, words))
    return texts


def pretraining_texts(games: int, seed: int, played: list[list] | None = None, answer_repeats: int = 1,
                      drills_per_game: int = 1) -> list[str]:
    """The base model's corpus: annotated game transcripts, hint drills and word lists; no chat, no tags.

    ``played`` reuses teacher games already played with the same ``games`` and ``seed``. The answer list
    comes ``answer_repeats`` times, each in a new order: a tiny model learns to spell the answers only after
    seeing each of them some hundreds of times (benchmarks/RESULTS.md), and a guess must be one of them.
    Each game gives ``drills_per_game`` hint drills, each from a turn and words drawn afresh: finding words
    that fit the hints is the skill the tiny model learns slowest.
    """
    from wordle_helpers.words import load_allowed, load_answers

    answers = load_answers()
    played = played or _teacher_games(games, seed)
    texts = [annotated_transcript(turns) for turns in played]
    for k in range(drills_per_game):
        texts += fitting_word_texts(played, seed + k)
    for r in range(answer_repeats):
        texts += word_list_lines(answers, seed=seed + r)
    texts += word_list_lines(load_allowed(answers=answers), seed=seed)
    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order]


def tokenizer_texts(games: int, seed: int) -> list[str]:
    """Text the tokenizer is trained on: every kind of text the course shows a model (the answers with their
    reasoning written out in full, notes included, as the transcripts have it)."""
    played = _teacher_games(games, seed + 1)
    histories = [[(t.guess, t.pattern) for t in turns] for turns in played]
    texts = [SYSTEM_PROMPT] * 50 + pretraining_texts(games, seed + 1, played)
    for history in histories:
        for turn in range(len(history)):
            guess = history[turn][0]
            texts.append(user_turn(history[:turn]))
            texts.append(answer_text("\n".join(reasoning_lines(history[:turn], guess, 10, True)), guess))
    return texts


# ---------------------------------------------------------------------------------------------- tokenizer


def train_tokenizer(texts: list[str], vocab_size: int):
    """A byte-level BPE tokenizer with Qwen2's normaliser and pre-tokenizer, as Qwen2's own class.

    Capital letters are blanked out of the training text, so no merge contains one: every letter of
    a guessed word is a token of its own (a tiny model cannot count letters inside merged tokens).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import AddedToken
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX, Qwen2Tokenizer

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[END_OF_TEXT, TURN_START, TURN_END, *FORMAT_TAGS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    blanked = (re.sub(r"[A-Z]", " ", text) for text in texts)
    backend.train_from_iterator(blanked, trainer=trainer)
    spec = json.loads(backend.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in spec["merges"]]
    tokenizer = Qwen2Tokenizer(
        vocab=spec["vocab"], merges=merges, unk_token=END_OF_TEXT, eos_token=TURN_END, pad_token=END_OF_TEXT,
        additional_special_tokens=[TURN_START],
    )
    tokenizer.add_tokens([AddedToken(tag, special=False, normalized=False) for tag in FORMAT_TAGS])
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.model_max_length = 4096
    return tokenizer


# ---------------------------------------------------------------------------------------------- training


def common_training_args(profile: Profile, logging_steps: int, save_steps: int | None,
                         checkpointing: bool = False, cpu_bf16: bool = False) -> dict[str, object]:
    """Trainer arguments every stage shares: device and precision, seeding, logging, checkpoints
    (``save_steps=None`` saves none), activation checkpointing (TRL turns it on unless told; it only pays
    where memory is short). On a CPU: ``use_cpu=True``, and bf16 mixed precision only when ``cpu_bf16`` asks
    for it and the CPU has native bfloat16."""
    import torch

    on_gpu = torch.cuda.is_available() and not profile.model.is_tiny
    saving = {"save_strategy": "no"} if save_steps is None else {
        "save_strategy": "steps", "save_steps": save_steps, "save_total_limit": 2}
    return {
        "use_cpu": not on_gpu,
        "bf16": on_gpu or (cpu_bf16 and cpu_has_native_bf16()),
        "report_to": "none",
        "logging_steps": logging_steps,
        "seed": profile.data.seed,
        "data_seed": profile.data.seed,
        "dataloader_num_workers": 0,
        "disable_tqdm": False,
        "activation_checkpointing": checkpointing,
        **saving,
    }


def own_loss_sft_trainer(float32_head: bool = True):
    """An ``SFTTrainer`` whose loss is the masked cross-entropy of the answer tokens computed directly,
    instead of through TRL's fused LM head (which also computes each token's entropy and top-1 for its logs
    and recomputes the head in the backward pass): the laptop profile's SFT trainer (``sft.loss_head="own"``;
    notebook 03), whose steps it makes about a fifth faster (``benchmarks/bench_loss_head.py``); the base build
    keeps TRL's head, which is as fast there.

    ``float32_head=True`` projects the backbone's last hidden states through the output head and takes the
    cross-entropy in float32, outside autocast; ``False`` is the model's own forward and loss (transformers'
    ``Trainer.compute_loss``), whose head runs in bfloat16 under bf16 mixed precision. In float32 training
    the two are the same. The bfloat16 head built a weaker base model; the float32 head as good a one as
    TRL's, in pretraining steps no faster (benchmarks/RESULTS.md, "course-laptop" and "loss-head")."""
    import torch
    import torch.nn.functional as F
    from transformers import Trainer
    from trl import SFTTrainer

    if not float32_head:
        return type("OwnLossSFTTrainer", (SFTTrainer,), {"compute_loss": Trainer.compute_loss})

    class Float32HeadSFTTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            # An evaluation wants the logits too, and a data-parallel wrapper must see the forward to share the
            # gradients (the direct loss calls the backbone inside it): TRL's own loss there, the same number.
            if return_outputs or self.accelerator.unwrap_model(model) is not model:
                return SFTTrainer.compute_loss(self, model, inputs, return_outputs, num_items_in_batch)
            inputs = {**inputs, "use_cache": False}
            labels = inputs.pop("labels")
            # Under a PEFT adapter, the model it wraps (its layers carry the adapter).
            core = model.get_base_model() if hasattr(model, "get_base_model") else model
            hidden = core.base_model(**inputs).last_hidden_state[:, :-1]
            targets = labels[:, 1:]
            trained = targets != -100
            head = core.get_output_embeddings()  # the module: a trained embedding copy is the one it uses
            with torch.autocast(hidden.device.type, enabled=False):
                logits = head(hidden[trained].float())
                total = F.cross_entropy(logits, targets[trained], reduction="sum")
            count = trained.sum() if num_items_in_batch is None else num_items_in_batch
            return total / torch.as_tensor(count, device=total.device).clamp(min=1)

    return Float32HeadSFTTrainer


def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AMX or AVX-512 BF16): there, mixed precision makes
    the tiny model's pretraining about a quarter faster; elsewhere it would be emulated and slower."""
    import torch

    try:
        return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    except AttributeError:  # a torch without these probes
        return False


def base_key(profile: Profile) -> str:
    """What identifies the profile's base model: the key of its tiny build (the one on disk once built, since a
    build with another key is rebuilt), or the hub id or path."""
    return _build_key(profile) if profile.model.is_tiny else profile.model.name


def forget_stale_checkpoints(out: Path, run: dict[str, object]) -> None:
    """Checkpoints in ``out`` belong to the run described by ``run`` (starting model, settings): when it
    changed, the old checkpoints and final adapter are removed so that training starts afresh instead of
    resuming someone else's run."""
    key = json.dumps(run, sort_keys=True)
    run_file = out / "run.json"
    leftovers = any(out.glob("checkpoint-*")) or (out / "final").exists()
    if leftovers and (not run_file.exists() or run_file.read_text() != key):
        logger.warning("the starting model or the settings changed since the last run in %s; starting afresh", out)
        for old in [*out.glob("checkpoint-*"), out / "final"]:
            shutil.rmtree(old, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    run_file.write_text(key)


def finished_adapter(out: Path) -> Path | None:
    """``out/final`` when a run in ``out`` finished (its adapter is saved), else ``None``. Call it after
    :func:`forget_stale_checkpoints`, which removes a final adapter that belongs to other settings."""
    final = out / "final"
    return final if (final / "adapter_model.safetensors").exists() else None


def file_digest(path: Path) -> str:
    """A short hash of a file's bytes (an adapter's weights), or ``"missing"``."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"


@contextmanager
def library_deprecations_hidden():
    """Within the block, hide the FutureWarning transformers gives whenever PEFT or TRL read its deprecated
    ``is_gradient_checkpointing``: library internals a learner cannot act on, printed a dozen times across
    notebooks 03-05. The warning filters are as before once the block ends."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated",
                                category=FutureWarning)
        yield


def main_process_first():
    """A context in which, under ``accelerate launch``, rank 0 goes first (builds the tiny base, caches data,
    clears stale checkpoints) and the other ranks wait and then reuse its results; a no-op in one process."""
    from accelerate import PartialState

    return PartialState().main_process_first()


def finish_run(trainer, out: Path, log_name: str, log: object) -> Path:
    """Save the trained adapter to ``out/final`` (safetensors only) and the training log, once, from rank 0;
    every rank records what it trained in ``out/ranks/rank-N.json`` (steps and a checksum of its trainable
    weights, equal on every rank when data-parallel training kept them in sync)."""
    import torch

    final = out / "final"
    trainer.save_model(str(final))  # every rank calls it; the trainer writes from the main process only
    state = trainer.accelerator.state
    checksum = sum(float(p.detach().double().sum()) for p in trainer.model.parameters() if p.requires_grad)
    ranks = out / "ranks"
    if trainer.is_world_process_zero():
        shutil.rmtree(ranks, ignore_errors=True)
        trainer.processing_class.save_pretrained(str(final))
        (final / "training_args.bin").unlink(missing_ok=True)  # a pickle; the adapter itself is safetensors
        if (final / "ref" / "adapter_config.json").exists():  # GRPO with beta > 0: TRL's frozen reference, a
            shutil.rmtree(final / "ref")                      # copy of the starting adapter, already saved there
        (out / log_name).write_text(json.dumps(log, indent=1))
    trainer.accelerator.wait_for_everyone()
    ranks.mkdir(parents=True, exist_ok=True)
    (ranks / f"rank-{state.process_index}.json").write_text(json.dumps({
        "rank": state.process_index, "world_size": state.num_processes, "steps": trainer.state.global_step,
        "trainable_checksum": checksum, "threads": torch.get_num_threads()}))
    return final


# ---------------------------------------------------------------------------------------------- tiny base


def _build_key(profile: Profile) -> str:
    model = asdict(profile.model)
    if model["pretrain_optimizer"] == "adamw":  # the optimizer every build used before it was a setting
        del model["pretrain_optimizer"]
    settings = {"model": model, "seed": profile.data.seed, "version": BUILD_VERSION}
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def base_dir(profile: Profile) -> Path:
    """Where the profile's tiny base model lives."""
    return profile.output_dir / "base"


def pretraining_dataset(texts: list[str], tokenizer, train_drill_hints: bool = False) -> Dataset:
    """The base model's corpus as token ids and labels, each text ended by end-of-text (notebook 03).

    A hint drill's hints are drawn at random, so predicting them teaches nothing a guess needs; unless
    ``train_drill_hints``, their labels are -100 and a drill trains from ``Words that fit every hint:`` on.
    Transcripts and word lists train on every token.
    """
    from datasets import Dataset

    end = tokenizer.convert_tokens_to_ids(END_OF_TEXT)
    encoded = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
    ids, labels = [], []
    for text, tokens, offsets in zip(texts, encoded["input_ids"], encoded["offset_mapping"]):
        cut = text.find(DRILL_WORDS) if text.startswith(HINTS_HEADER) and not train_drill_hints else -1
        ids.append([*tokens, end])
        labels.append([-100 if start < cut else token for token, (start, _) in zip(tokens, offsets)] + [end])
    return Dataset.from_dict({"input_ids": ids, "labels": labels})


def run_clock(out: Path, started: float, resume: bool = True):
    """A trainer callback that keeps a run's wall time across interruptions (the base build, SFT, GRPO): each
    checkpoint in ``out`` records the seconds spent so far (``wall_seconds.json``), and a resumed run starts
    from those of its last checkpoint. ``checkpoint`` is the one to resume from (``None``: a fresh run, or
    ``resume=False``), ``resumed_at_step`` its step; ``seconds()`` is the run's time so far, counted from
    ``started`` in this process. The time an interrupted run spent after its last checkpoint is not
    counted."""
    from transformers import TrainerCallback
    from transformers.trainer_utils import get_last_checkpoint

    class RunClock(TrainerCallback):
        def __init__(self) -> None:
            last = get_last_checkpoint(str(out)) if resume and out.is_dir() else None
            self.checkpoint = last
            self.resumed_at_step = int(Path(last).name.split("-")[1]) if last else None
            self.earlier = 0.0
            if last:
                try:
                    record = json.loads((Path(last) / "wall_seconds.json").read_text())
                    self.earlier = float(record["seconds"])
                except (OSError, ValueError, KeyError, TypeError):  # no record, or one cut off mid-write
                    logger.warning("no wall time recorded in %s; the time counts from this run on", last)

        def seconds(self) -> float:
            return round(self.earlier + time.perf_counter() - started, 1)

        def on_save(self, args, state, control, **kwargs):
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and folder.is_dir():
                (folder / "wall_seconds.json").write_text(json.dumps({"seconds": self.seconds()}))

    return RunClock()


def tiny_config(settings: ModelSettings, vocab_size: int, **tokens: int | None):
    """The tiny base model's Qwen2 configuration for a profile's model settings (notebook 03)."""
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=settings.hidden_size,
        intermediate_size=settings.intermediate_size,
        num_hidden_layers=settings.layers,
        num_attention_heads=settings.heads,
        num_key_value_heads=settings.kv_heads,
        max_position_embeddings=settings.max_positions,
        tie_word_embeddings=True,
        bos_token_id=None,
        **tokens,
    )


def muon_with_adamw(model, lr: float, weight_decay: float):
    """One optimizer for the trainer: Muon on the hidden layers' weight matrices, AdamW on the embeddings (which
    the output head shares; decayed) and the norms (not), with one learning rate whose schedule moves both
    (Muon's step scaled to the size of AdamW's). Notebook 03's base model, with ``pretrain_optimizer="muon"``."""
    import torch

    class MuonWithAdamW(torch.optim.Optimizer):
        def __init__(self) -> None:
            matrices, embeddings, vectors = [], [], []
            for name, parameter in model.named_parameters():
                if parameter.requires_grad:
                    embedding = "embed" in name or "lm_head" in name
                    (vectors if parameter.ndim < 2 else embeddings if embedding else matrices).append(parameter)
            self.muon = torch.optim.Muon(matrices, lr=lr, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw")
            self.adamw = torch.optim.AdamW([{"params": embeddings, "weight_decay": weight_decay},
                                            {"params": vectors, "weight_decay": 0.0}], lr=lr)
            # The same group dicts: a learning-rate scheduler on this optimizer sets both optimizers' rates.
            super().__init__([*self.muon.param_groups, *self.adamw.param_groups], {})

        @torch.no_grad()
        def step(self, closure=None):
            loss = closure() if closure is not None else None
            self.muon.step()
            self.adamw.step()
            return loss

        def state_dict(self):
            return {"muon": self.muon.state_dict(), "adamw": self.adamw.state_dict()}

        def load_state_dict(self, state_dict) -> None:
            self.muon.load_state_dict(state_dict["muon"])
            self.adamw.load_state_dict(state_dict["adamw"])

    return MuonWithAdamW()


def pretraining_optimizer(model, settings: ModelSettings, lr: float, weight_decay: float):
    """The base build's optimizer for ``settings.pretrain_optimizer``: ``None`` for ``adamw`` (the trainer's own),
    :func:`muon_with_adamw` for ``muon``."""
    return muon_with_adamw(model, lr, weight_decay) if settings.pretrain_optimizer == "muon" else None


def pretraining_speed(profile: Profile, seconds: float = 2.0, clock=time.perf_counter) -> tuple[float, str]:
    """How fast this machine trains the profile's tiny base model right now, in steps a second, and in which
    precision (as ``build.json`` names it): a freshly initialised model of its size on random tokens, the
    build's batch, window, precision and optimizer (a bare step, without the trainer around it; the build takes
    ``pretrain_steps`` of them). ``make course`` measures it as it starts and ends, since the speed of a shared
    machine moves the course's times by a third and more. It is a snapshot of ``seconds``: over a half-hour
    build the trainer's own rate (its progress bar, the summary's ``base model build`` line) is steadier."""
    import torch
    from transformers import Qwen2ForCausalLM

    settings = profile.model
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = Qwen2ForCausalLM(tiny_config(settings, settings.vocab_size))
        shape = (settings.pretrain_batch, settings.pretrain_max_length)
        tokens = torch.randint(0, settings.vocab_size, shape)
    optimizer = pretraining_optimizer(model, settings, settings.pretrain_lr, 0.0) or torch.optim.AdamW(
        model.parameters())
    # The build's own rule for bf16 mixed precision.
    mixed = common_training_args(profile, 1, None, cpu_bf16=settings.pretrain_bf16)["bf16"]

    def step() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=mixed):
            loss = model(input_ids=tokens, labels=tokens).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    step()  # the first step allocates; not timed
    steps, began = 0, clock()
    while True:
        step()
        steps += 1
        if (elapsed := clock() - began) >= seconds:
            return steps / elapsed, ("bf16 mixed" if mixed else "float32")


def build_tiny_base(profile: Profile, force: bool = False) -> Path:
    """Train the tokenizer and pretrain the tiny base model (TRL SFTTrainer, all parameters, plain text).

    Deterministic for the profile's settings and seed; skipped when a build with the same settings exists.
    An interrupted build resumes from its last checkpoint (one every twentieth of the steps, under
    ``outputs/<profile>/base-build``) and ends with the model an uninterrupted build makes. ``build.json`` records
    the settings' key, the precision, the loss log and the build's wall time (of a resumed build, the time up to
    the checkpoint it resumed as well).
    """
    import torch
    from transformers import Qwen2ForCausalLM
    from trl import SFTConfig, SFTTrainer

    target = base_dir(profile)
    marker = target / "build.json"
    key = _build_key(profile)
    if not force and marker.exists() and json.loads(marker.read_text()).get("key") == key:
        return target
    settings = profile.model
    seed = profile.data.seed
    started = time.perf_counter()
    logger.info("building the tiny base model for profile %s", profile.name)
    tokenizer = train_tokenizer(tokenizer_texts(settings.tokenizer_games, seed), settings.vocab_size)
    torch.manual_seed(seed)
    config = tiny_config(settings, len(tokenizer), eos_token_id=tokenizer.convert_tokens_to_ids(END_OF_TEXT),
                         pad_token_id=tokenizer.pad_token_id)
    model = Qwen2ForCausalLM(config)
    texts = pretraining_texts(settings.pretrain_games, seed, answer_repeats=settings.answer_list_repeats,
                              drills_per_game=settings.drills_per_game)
    work = profile.output_dir / "base-build"
    if force:
        shutil.rmtree(work, ignore_errors=True)
    forget_stale_checkpoints(work, {"build": key})  # a checkpoint of other settings is not resumed
    checkpoint_every = max(1, settings.pretrain_steps // 20)
    args = SFTConfig(
        output_dir=str(work),
        max_steps=settings.pretrain_steps,
        per_device_train_batch_size=settings.pretrain_batch,
        learning_rate=settings.pretrain_lr,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        weight_decay=0.01,
        max_length=settings.pretrain_max_length,
        # Several games per window: the model learns to play the current game with other Wordle text in
        # view, as it must later with the system prompt's worked example above the game.
        packing=True,
        packing_strategy="wrapped",
        # End-of-text while pretraining (each text ends with it); the chat's <|im_end|> stays unseen.
        eos_token=END_OF_TEXT,
        **common_training_args(profile, checkpoint_every, save_steps=checkpoint_every,
                               cpu_bf16=settings.pretrain_bf16),
    )
    # Recorded with the build: bf16 mixed precision and float32 round differently, so the same settings and seed
    # build another model on a CPU without native bfloat16 (benchmarks/RESULTS.md, "course-laptop").
    precision, threads = ("bf16 mixed" if args.bf16 else "float32"), torch.get_num_threads()
    logger.info("pretraining in %s on %d threads", precision, threads)
    dataset = pretraining_dataset(texts, tokenizer, train_drill_hints=settings.train_drill_hints)
    clock = run_clock(work, started)
    optimizer = pretraining_optimizer(model, settings, args.learning_rate, args.weight_decay)
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         callbacks=[clock], optimizers=(optimizer, None))
    trainer.train(resume_from_checkpoint=clock.checkpoint)
    tokenizer.eos_token = TURN_END  # the chat's end of turn, from here on
    model.config.eos_token_id = tokenizer.convert_tokens_to_ids(TURN_END)
    model.generation_config.eos_token_id = [tokenizer.convert_tokens_to_ids(TURN_END), tokenizer.convert_tokens_to_ids(END_OF_TEXT)]
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    if target.exists():
        shutil.rmtree(target)
    model.save_pretrained(target, safe_serialization=True)
    tokenizer.save_pretrained(target)
    history = [entry for entry in trainer.state.log_history if "loss" in entry]
    marker.write_text(json.dumps({"key": key, "profile": profile.name, "texts": len(texts), "precision": precision,
                                  "threads": threads, "seconds": clock.seconds(),
                                  "resumed_at_step": clock.resumed_at_step, "log": history}, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return target


def prefill(model, tokenizer, prompts: list[str]) -> tuple[dict, object]:
    """Plain-text prompts as one left-padded batch, and the model's cache of all but their last token (notebook
    03): :func:`continue_prefilled` then writes several continuations of the same prompts reading each prompt once.
    The tokenizer's own padding side is left as it was.
    """
    import torch

    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    try:
        batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    finally:
        tokenizer.padding_side = side
    batch = {k: v.to(next(model.parameters()).device) for k, v in batch.items()}
    if batch["input_ids"].shape[1] < 2:
        return batch, None
    mask = batch["attention_mask"][:, :-1]
    # Positions counted from each prompt's first real token, as generate counts them: a left-padded prompt's
    # cached keys must sit where generate then places its next tokens.
    positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
    with torch.no_grad():
        cache = model(input_ids=batch["input_ids"][:, :-1], attention_mask=mask, position_ids=positions,
                      use_cache=True, logits_to_keep=1).cache
    return batch, cache


def continue_prefilled(model, tokenizer, prefilled: tuple[dict, object], max_new_tokens: int,
                       **options: object) -> list[str]:
    """What ``model`` writes after each prompt of a :func:`prefill` batch; the prefilled cache is left as it was."""
    import copy

    import torch

    batch, cache = prefilled
    with torch.no_grad():
        generated = model.generate(**batch, cache=copy.deepcopy(cache), **options, max_new_tokens=max_new_tokens,
                                   pad_token_id=tokenizer.pad_token_id)
    return tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)


def _continuations(model, tokenizer, prompts: list[str], max_new_tokens: int, **options: object) -> list[str]:
    """What ``model`` writes after each plain-text prompt, in one left-padded batch (the base-model probes)."""
    return continue_prefilled(model, tokenizer, prefill(model, tokenizer, prompts), max_new_tokens, **options)


def spelling_probe(model, tokenizer, answers: list[str], allowed: list[str], lines: int = 50, seed: int = 0,
                   max_new_tokens: int = 60) -> dict[str, object]:
    """Does a base model know how the answers are spelled? (notebook 03)

    It continues ``lines`` word-list lines (``Words: CRANE``) by sampling at temperature 1; the result is the
    share of the five-letter words it writes that are answers and that are allowed words, and those words.
    A model that has only learnt what English words look like writes plausible non-words (``BRATE``, ``POUNT``).
    """
    import torch

    rng = np.random.default_rng(seed)
    starts = [answers[int(i)].upper() for i in rng.integers(len(answers), size=lines)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        texts = _continuations(model, tokenizer, [f"Words: {word}" for word in starts], max_new_tokens,
                               do_sample=True, temperature=1.0, top_k=0, top_p=1.0)
    return spelling_rates(texts, answers, allowed)


def hint_probe(model, tokenizer, histories: list, answers: list[str]) -> dict[str, object]:
    """Can a base model find words that fit a game's hints? (notebook 03)

    For each non-empty history it continues a hint drill (``Hints:``, the notes, ``Words that fit every
    hint:``) greedily; the result is the share of first words that fit every hint, the share of them that are
    answers, and the first words. It measures the skill a guess needs after the first turn, before SFT.
    """
    histories = [list(h) for h in histories if h]
    if not histories:
        return hint_rates([], [], answers)
    texts = _continuations(model, tokenizer, [hint_drill(h) for h in histories], 12,
                           do_sample=False, temperature=None, top_p=None, top_k=None)
    firsts = [next(iter(text.split()), "").lower() for text in texts]
    return hint_rates(histories, firsts, answers)


def hint_rates(histories: list, words: list[str], answers: list[str]) -> dict[str, object]:
    """The shares of ``words`` (one per history) that fit their history's hints and that are answers."""
    from wordle_helpers.game import Knowledge

    count = max(1, len(words))
    answer_set = set(answers)
    fits = [len(w) == 5 and w.isalpha() and Knowledge.from_history(h).fits(w) for h, w in zip(histories, words)]
    return {"words": list(words), "fit_rate": sum(fits) / count, "answer_rate": sum(w in answer_set for w in words) / count}


def spelling_rates(texts: list[str], answers: list[str], allowed: list[str]) -> dict[str, object]:
    """The five-letter words on the first line of each continuation, and the shares that are answers and
    allowed words (0 when there are none)."""
    written = [w.lower() for text in texts for w in text.split("\n")[0].split() if len(w) == 5 and w.isalpha()]
    answer_set, allowed_set = set(answers), set(allowed)
    count = max(1, len(written))
    return {"written": written, "answer_rate": sum(w in answer_set for w in written) / count,
            "allowed_rate": sum(w in allowed_set for w in written) / count}


# ---------------------------------------------------------------------------------------------- loading


def _hub_model_path(name: str, timeout: float = 5.0) -> tuple[str, bool]:
    """(what to pass to from_pretrained, local_files_only) for a hub id or a local folder."""
    from huggingface_hub import try_to_load_from_cache

    from wordle_helpers.hub import hub_reachable

    if Path(name).is_dir():
        return name, True
    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return name, True
    reachable, why = hub_reachable(timeout)
    if not reachable:
        raise ModelUnavailableError(
            f"the model {name} is not on this machine and the hub cannot be reached ({why}). "
            f"Download it on a connected machine (huggingface-cli download {name}) and copy the cache or a folder "
            f"here (a local folder works as the model name), or run the course offline with WORDLE_PROFILE=laptop."
        )
    return name, False


def load_tokenizer(path: str | Path, local_only: bool = True):
    """The tokenizer saved with a model (or a hub id), with left padding for batched generation."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=local_only)
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base_model(profile: Profile):
    """``(model, tokenizer)`` of the profile's base model (notebook 03); builds the tiny one if missing."""
    import torch
    from transformers import AutoModelForCausalLM

    if profile.model.is_tiny:
        path, local_only = str(build_tiny_base(profile)), True
        dtype = torch.float32
    else:
        path, local_only = _hub_model_path(profile.model.name)
        dtype = getattr(torch, profile.model.dtype) if torch.cuda.is_available() else torch.float32
    tokenizer = load_tokenizer(path, local_only)
    device_map = "auto" if torch.cuda.is_available() and not profile.model.is_tiny else None
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, device_map=device_map, local_files_only=local_only)
    return model, tokenizer


def checkpoint_dir(profile: Profile, stage: str) -> Path:
    """``outputs/<profile>/<stage>``: where a stage's adapter and checkpoints live."""
    return profile.output_dir / stage


def load_model(profile: Profile, which: str = "base", merge: bool = True):
    """``(model, tokenizer)`` for ``which``: ``base``, ``sft``, ``grpo``, ``grpo-from-base`` or a folder
    holding a LoRA adapter.

    A missing adapter raises ``FileNotFoundError`` naming the command that makes it; a course stage's
    adapter trained on another base model than the profile's current one (its settings or the course's
    build version changed since) raises :class:`StaleAdapterError`, before the new base model is built.
    """
    if which == "base":
        return load_base_model(profile)
    commands = {"sft": "sft", "grpo": "grpo", "grpo-from-base": "grpo --start base"}
    if which not in commands:  # a folder named by the caller
        adapter = Path(which)
        if not (adapter / "adapter_config.json").exists():  # checked first: fail before any loading
            raise FileNotFoundError(f"no LoRA adapter at {adapter} (it holds no adapter_config.json); give a folder "
                                    f"that sft or grpo saved, or one of: base, {', '.join(commands)}")
        return _with_adapter(profile, adapter, merge)
    adapter = checkpoint_dir(profile, which) / "final"
    command = f"python -m wordle_helpers {commands[which]} --profile {profile.name}"
    if not (adapter / "adapter_config.json").exists():
        raise FileNotFoundError(f"no trained adapter at {adapter}; make one with: {command}")
    run_file = adapter.parent / "run.json"
    if run_file.exists():
        trained_on = json.loads(run_file.read_text()).get("base")
        current = base_key(profile)
        if trained_on != current:
            raise StaleAdapterError(
                f"the adapter at {adapter} was trained on base model {trained_on}, but the profile's base model is "
                f"now {current} (its settings or the course's build version changed); retrain it with: {command}"
                + (f" (after: python -m wordle_helpers sft --profile {profile.name})" if which == "grpo" else ""))
    return _with_adapter(profile, adapter, merge)


def _with_adapter(profile: Profile, adapter: Path, merge: bool):
    """The profile's base model with the LoRA adapter in ``adapter`` loaded (and merged)."""
    from peft import PeftModel

    model, tokenizer = load_base_model(profile)
    with library_deprecations_hidden():
        model = PeftModel.from_pretrained(model, str(adapter))
    if merge:
        model = model.merge_and_unload()
    return model, tokenizer
