"""Course datasets: the hub's ``predibase/wordle-grpo`` and ``predibase/wordle-sft``, and local generators.

Introduced in notebook 01. Hub rows are normalised to the local schema; local rows come from solver-played
games on training secrets and are cached under ``outputs/``. Columns:

- SFT: ``prompt`` (chat messages ending in the assistant lead-in, or rendered text on the hub) and
  ``completion`` (the text after ``<think>``: reasoning, ``</think>``, newline, ``<guess>WORD</guess>``).
- GRPO: ``prompt``, ``secret`` (lower case), ``past_guess_history`` (the hub's text form,
  ``[['CRANE', 'C(x) R(✓) A(-) N(x) E(x)'], …]``) and ``word_list`` (a local word file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
import hashlib
import json
import logging
from pathlib import Path
import urllib.error
import urllib.request

import datasets as hf_datasets
import numpy as np

from wordle_helpers.game import MAX_GUESSES, WordleInputError, normalize_word
from wordle_helpers.hub import hub_reachable
from wordle_helpers.patterns import SOLVED_CODE, code_to_pattern
from wordle_helpers.profiles import OUTPUT_DIR
from wordle_helpers.prompts import answer_text, build_messages, think_text
from wordle_helpers.rewards import HistoryFormatError, history_cell, parse_history
from wordle_helpers.solver import EntropySolver
from wordle_helpers.words import ALLOWED_FILE, WordListError, load_allowed, load_answers, read_word_file

logger = logging.getLogger(__name__)

# Given each SFT row's history, an answer to train in its place or None (see ``generate_sft_rows``).
Labeller = Callable[[list[list[tuple[str, str]]]], list[str | None]]

HUB_GRPO = "predibase/wordle-grpo"
HUB_SFT = "predibase/wordle-sft"
GRPO_COLUMNS = ("prompt", "secret", "past_guess_history", "word_list")
SFT_COLUMNS = ("prompt", "completion")
_LOCAL_SUFFIXES = {".csv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}


class HubUnavailableError(ConnectionError):
    """The dataset hub (or a file it points to) could not be reached; the message names the way round."""


# ---------------------------------------------------------------------------------------------- hub


def _offline_advice(name: str) -> str:
    if name == HUB_GRPO:
        return "use the local rows instead: wordle_helpers.datasets.grpo_dataset() (the laptop profile's default)"
    return "use the local rows instead: wordle_helpers.datasets.sft_dataset() (the laptop profile's default)"


def _load_raw(source: str | Path, split: str, timeout: float, hub_name: str) -> hf_datasets.Dataset:
    """Load a hub dataset, or a local copy of one (a .csv/.json/.jsonl/.parquet file or a folder of them)."""
    path = Path(source)
    if path.exists():
        files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix in _LOCAL_SUFFIXES)
        if not files or files[0].suffix not in _LOCAL_SUFFIXES:
            raise ValueError(f"{path} holds no .csv, .json, .jsonl or .parquet file to load as {hub_name}")
        builder = _LOCAL_SUFFIXES[files[0].suffix]
        return hf_datasets.load_dataset(builder, data_files=[str(f) for f in files], split="train")
    reachable, why = hub_reachable(timeout)
    if not reachable:
        raise HubUnavailableError(f"cannot load {source} from the hub: {why}. Offline, {_offline_advice(hub_name)}")
    try:
        return hf_datasets.load_dataset(str(source), split=split)
    except (OSError, ConnectionError) as error:
        raise HubUnavailableError(f"cannot load {source} from the hub ({error}). {_offline_advice(hub_name)}") from error


def _fetch_word_list(url: str, timeout: float) -> str:
    """Download a word-list URL once into ``outputs/cache/word_lists`` and return the local path."""
    target = OUTPUT_DIR / "cache" / "word_lists" / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".csv")
    if not target.exists():
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (URL comes from the dataset)
                data = response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise HubUnavailableError(
                f"cannot download the word list {url} ({error}); pass word_list='project' to use the project's "
                "allowed list, or word_list=PATH for a local copy"
            ) from error
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    read_word_file(target)  # fail now, with line numbers, if it is not a word list
    return str(target)


def _resolve_word_lists(
    values: Sequence[object], word_list: str | Path | None, timeout: float, base: Path | None
) -> dict[object, str]:
    """Map each distinct ``word_list`` cell to a local file: honoured (``None``) or overridden.

    A relative path in a local copy of the dataset is read relative to that copy's folder.
    """
    if word_list is not None:
        target = str(ALLOWED_FILE) if word_list == "project" else str(Path(word_list).resolve())
        if word_list != "project":
            read_word_file(target)
        return {value: target for value in set(values)}
    resolved: dict[object, str] = {}
    for value in set(values):
        if isinstance(value, str) and value.startswith(("http://", "https://", "file://")):
            resolved[value] = _fetch_word_list(value, timeout)
        elif isinstance(value, str) and value and (base / value if base else Path(value)).is_file():
            path = (base / value if base else Path(value)).resolve()
            read_word_file(path)
            resolved[value] = str(path)
        else:
            if value:
                logger.warning("word list %r is neither a URL nor a file; those rows use the project's list", value)
            resolved[value] = str(ALLOWED_FILE)
    return resolved


def _normalise_grpo_row(row: dict[str, object]) -> dict[str, object]:
    keep = True
    secret, history = "", ""
    try:
        secret = normalize_word(row.get("secret"), "secret")
        history = history_cell(parse_history(row.get("past_guess_history")))
    except (WordleInputError, HistoryFormatError):
        keep = False
    prompt = row.get("prompt")
    keep = keep and isinstance(prompt, (str, list)) and bool(prompt)
    return {"secret": secret, "past_guess_history": history, "_keep": keep}


def load_hub_grpo(
    source: str | Path = HUB_GRPO,
    split: str = "train",
    word_list: str | Path | None = None,
    timeout: float = 5.0,
) -> hf_datasets.Dataset:
    """``predibase/wordle-grpo`` (or a local copy in its schema) normalised to the local GRPO schema.

    Secrets are lower-cased; histories parsed safely and rewritten in the canonical text form; rows with a
    malformed secret or history are dropped and counted in the log. ``word_list``: ``None`` honours each
    row's list (a URL is downloaded once), ``"project"`` or a path overrides it. Offline it fails within
    ``timeout`` seconds with a :class:`HubUnavailableError` that names the local alternative (notebook 01).
    """
    raw = _load_raw(source, split, timeout, HUB_GRPO)
    missing = [c for c in ("prompt", "secret", "past_guess_history") if c not in raw.column_names]
    if missing:
        raise ValueError(f"{source} lacks the column(s) {missing}; expected {list(GRPO_COLUMNS)}")
    normalised = raw.map(_normalise_grpo_row, desc="normalising rows")
    kept = normalised.filter(lambda row: row["_keep"]).remove_columns("_keep")
    dropped = len(raw) - len(kept)
    if dropped:
        logger.warning("%s: dropped %d of %d rows with a malformed secret or history", source, dropped, len(raw))
    cells = kept["word_list"] if "word_list" in kept.column_names else [None] * len(kept)
    source_path = Path(source)
    base = (source_path if source_path.is_dir() else source_path.parent) if source_path.exists() else None
    mapping = _resolve_word_lists(cells, word_list, timeout, base)
    local = [mapping[c] for c in cells]
    if "word_list" in kept.column_names:
        kept = kept.remove_columns("word_list")
    kept = kept.add_column("word_list", local)
    return kept.select_columns(list(GRPO_COLUMNS))


def load_hub_sft(source: str | Path = HUB_SFT, split: str = "train", timeout: float = 5.0) -> hf_datasets.Dataset:
    """``predibase/wordle-sft`` (or a local copy in its schema) with rows lacking text dropped and counted.

    The rows are kept as published: notebook 01 shows how many of them fail the course's own format
    check (most lack ``</think>``). Offline it fails fast like :func:`load_hub_grpo` (notebook 01).
    """
    raw = _load_raw(source, split, timeout, HUB_SFT)
    missing = [c for c in SFT_COLUMNS if c not in raw.column_names]
    if missing:
        raise ValueError(f"{source} lacks the column(s) {missing}; expected {list(SFT_COLUMNS)}")
    kept = raw.filter(
        lambda row: all(isinstance(row[c], (str, list)) and len(row[c]) > 0 for c in SFT_COLUMNS)
    ).select_columns(list(SFT_COLUMNS))
    if len(kept) < len(raw):
        logger.warning("%s: dropped %d of %d rows without prompt or completion", source, len(raw) - len(kept), len(raw))
    return kept


# ---------------------------------------------------------------------------------------------- local


@dataclass(frozen=True)
class TeacherSettings:
    """How the local games are played: a mix of the entropy solver and a random-candidate player."""

    solver_share: float = 0.5  # chance per turn that the entropy solver (not a random candidate) moves
    random_opener_share: float = 0.5  # chance that the opener is a random answer instead of the solver's
    # Share of SFT rows whose prompt lists one or two earlier answers that were not words (near misses of the
    # teacher's guess), as evaluation shows them: the model learns to write something else after a miss.
    rejected_share: float = 0.25


@dataclass(frozen=True)
class TeacherTurn:
    """One move of a teacher game: the guess, how many answers fitted before it, and whether it was one."""

    guess: str
    pattern: str
    words_left: int
    fits: bool


def _teacher_games(secrets: Sequence[str], games: int, seed: int, teacher: TeacherSettings, solver: EntropySolver):
    """Yield ``(secret, turns)`` for ``games`` games on ``secrets``, deterministically for ``seed``."""
    rng = np.random.default_rng(seed)
    column = {a: i for i, a in enumerate(solver.answers)}
    matrix = solver.lists.matrix
    for secret in rng.choice(np.array(secrets), size=games):
        secret = str(secret)
        candidates = np.arange(len(solver.answers))
        turns: list[TeacherTurn] = []
        while len(turns) < 6:
            if not turns and rng.random() < teacher.random_opener_share:
                guess = solver.answers[int(rng.integers(len(solver.answers)))]
            elif turns and rng.random() >= teacher.solver_share:
                guess = solver.answers[int(rng.choice(candidates))]
            else:
                guess = solver.guesses[solver.best_guess_index(candidates)]
            row = matrix[solver.lists.guess_index[guess]]
            code = int(row[column[secret]])
            fits = guess in column and bool(np.any(candidates == column[guess]))
            turns.append(TeacherTurn(guess, code_to_pattern(code), len(candidates), fits))
            if code == SOLVED_CODE:
                break
            candidates = candidates[row[candidates] == code]
        yield secret, turns


def generate_sft_rows(
    secrets: Sequence[str], games: int, seed: int = 0, teacher: TeacherSettings = TeacherSettings(),
    solver: EntropySolver | None = None, labels: Labeller | None = None,
) -> list[dict[str, object]]:
    """SFT rows from teacher-played games on ``secrets``: one row per turn (notebook 01).

    The prompt sums up what is known under ``Hints:``; the completion's reasoning states how many answers
    still fit and why this guess, then ``<guess>WORD</guess>``. ``labels``, given every row's history, may
    name another answer to train in place of the teacher's guess (``None`` keeps it); a named answer must fit
    every hint (notebook 03: the tiny base model's own fitting words).
    """
    solver = solver or _default_solver()
    rng = np.random.default_rng(seed + 11)
    allowed = frozenset(solver.guesses)
    turns_played = []
    for secret, turns in _teacher_games(secrets, games, seed, teacher, solver):
        history = [(t.guess, t.pattern) for t in turns]
        for number, turn in enumerate(turns):
            rejected: list[str] = []
            if number < MAX_GUESSES - 2 and rng.random() < teacher.rejected_share:
                rejected = near_misses(turn.guess, allowed, rng, count=1 + int(rng.random() < 0.3))
            turns_played.append((secret, number, history[:number], turn, rejected))
    own = labels([past for _, _, past, _, _ in turns_played]) if labels else [None] * len(turns_played)
    rows = []
    for (secret, number, past, turn, rejected), word in zip(turns_played, own, strict=True):
        guess, fits = (word, True) if word else (turn.guess, turn.fits)
        rows.append({"prompt": build_messages(past, rejected=rejected),
                     "completion": answer_text(think_text(past, guess, turn.words_left, fits), guess),
                     "secret": secret, "turn": number + 1})
    return rows


def near_misses(word: str, allowed: frozenset[str], rng: np.random.Generator, count: int = 1) -> list[str]:
    """``count`` strings one or two letters away from ``word`` that are not allowed words: the kind of
    non-word a small model writes when it misspells a guess (notebook 03)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    found: list[str] = []
    while len(found) < count:
        chars = list(word)
        for spot in rng.choice(5, size=1 + int(rng.random() < 0.4), replace=False):
            chars[int(spot)] = letters[int(rng.integers(26))]
        candidate = "".join(chars)
        if candidate not in allowed and candidate not in found:
            found.append(candidate)
    return found


def generate_grpo_rows(
    secrets: Sequence[str], rows: int, seed: int = 0, teacher: TeacherSettings = TeacherSettings(),
    first_turn_share: float = 0.1, solver: EntropySolver | None = None,
) -> list[dict[str, object]]:
    """GRPO rows: game states at turns 1–5 from teacher games, mixing strong and weak play (notebook 01).

    A ``first_turn_share`` of rows are opening states (no history yet), so the opener is trained too;
    the rest are drawn uniformly from the unfinished states of the games.
    """
    solver = solver or _default_solver()
    rng = np.random.default_rng(seed + 7)
    out: list[dict[str, object]] = []
    games = _teacher_games(secrets, 10 * rows + 10, seed, teacher, solver)
    while len(out) < rows:
        secret, turns = next(games)
        history = [(t.guess, t.pattern) for t in turns]
        if rng.random() < first_turn_share:
            turn = 0
        else:
            # States at turns 2-5: one to four guesses made, game not yet won.
            unfinished = [t for t in range(1, min(len(history), 5))]
            if not unfinished:
                continue
            turn = int(rng.choice(unfinished))
        past = history[:turn]
        out.append({"prompt": build_messages(past), "secret": secret, "past_guess_history": history_cell(past),
                    "word_list": str(ALLOWED_FILE), "turn": turn + 1})
    return out


def _default_solver() -> EntropySolver:
    """The teacher: entropy play among the answers that still fit (see ``EntropySolver.candidates_only``)."""
    answers = load_answers()
    return EntropySolver(load_allowed(answers=answers), answers, candidates_only=True)


def _cached(kind: str, settings: dict[str, object], build) -> hf_datasets.Dataset:
    """Load ``outputs/data/<kind>-<hash>`` or build it with ``build()`` and save it there."""
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    folder = OUTPUT_DIR / "data" / f"{kind}-{key}"
    if (folder / "dataset_info.json").exists():
        return hf_datasets.load_from_disk(str(folder))
    dataset = hf_datasets.Dataset.from_list(build())
    dataset.save_to_disk(str(folder))
    return dataset


def sft_dataset(split: str = "train", games: int = 2000, seed: int = 0, teacher: TeacherSettings = TeacherSettings(),
                labels: Labeller | None = None, labels_key: str | None = None) -> hf_datasets.Dataset:
    """Local SFT rows from ``games`` teacher games on the ``split`` secrets, cached under ``outputs/data``.

    ``labels`` (see :func:`generate_sft_rows`) needs a ``labels_key`` naming what it depends on, for the cache.
    """
    from wordle_helpers.words import split_secrets

    if split == "test":
        raise ValueError("test secrets are for the final evaluation only; build training data from 'train'")
    secrets = split_secrets(load_answers())[split]
    if labels is not None and not labels_key:
        raise ValueError("sft_dataset(labels=...) needs a labels_key naming what the labels depend on (the cache key)")
    settings = {"split": split, "games": games, "seed": seed, "teacher": asdict(teacher), "secrets": _digest(secrets), "v": 3}
    if labels is not None:
        settings["labels"] = labels_key
    return _cached("sft", settings, lambda: generate_sft_rows(secrets, games, seed, teacher, labels=labels))


def grpo_dataset(split: str = "train", rows: int = 1000, seed: int = 0, teacher: TeacherSettings = TeacherSettings(),
                 first_turn_share: float = 0.1) -> hf_datasets.Dataset:
    """Local GRPO rows on the ``split`` secrets, cached under ``outputs/data``."""
    from wordle_helpers.words import split_secrets

    if split == "test":
        raise ValueError("test secrets are for the final evaluation only; build training data from 'train'")
    secrets = split_secrets(load_answers())[split]
    settings = {"split": split, "rows": rows, "seed": seed, "teacher": asdict(teacher),
                "first_turn_share": first_turn_share, "secrets": _digest(secrets), "v": 2}
    return _cached("grpo", settings, lambda: generate_grpo_rows(secrets, rows, seed, teacher, first_turn_share))


def _digest(words: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(words).encode()).hexdigest()[:12]


__all__ = [
    "HUB_GRPO", "HUB_SFT", "HubUnavailableError", "TeacherSettings", "WordListError", "generate_grpo_rows",
    "generate_sft_rows", "grpo_dataset", "load_hub_grpo", "load_hub_sft", "sft_dataset",
]
