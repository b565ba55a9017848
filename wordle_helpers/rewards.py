"""The course's reward functions, in TRL's signature, and the constants they use.

Introduced in notebook 02. Each reward is ``f(prompts, completions, **columns) -> list[float]``: TRL passes
the prompts, the completions (plain strings or chat-message lists) and every dataset column by name
(``secret``, ``past_guess_history``, ``word_list`` …). They never raise and always return finite floats,
one per completion, whatever the model wrote or the dataset holds; a row whose inputs cannot be read
gets the reward's neutral value.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
import logging
import math
from pathlib import Path

import numpy as np

from wordle_helpers.game import (
    Knowledge,
    WordleInputError,
    normalize_word,
    parse_feedback,
    validate_pattern,
)
from wordle_helpers.parsing import Failure, ParsedAnswer, parse_answer

logger = logging.getLogger(__name__)

History = list[tuple[str, str]]
_MAX_HISTORY_CHARS = 20_000


@dataclass(frozen=True)
class RewardConstants:
    """Every number the rewards use, in one place; the defaults are the reference plan's values."""

    format_ok: float = 1.0  # strict format and an allowed word
    format_not_allowed: float = 0.5  # strict format, five letters, not in the word list
    format_wrong_length: float = 0.1  # strict format, but the guess is not five letters a-z
    format_broken: float = 0.0  # no parseable answer in the course format
    green_kept: float = 0.2  # a known-green letter kept in its spot
    yellow_moved: float = 0.1  # a known-present letter tried in a new spot
    yellow_same_spot: float = -0.2  # a present letter put back where it is known not to be
    known_absent: float = -0.5  # a letter known to be absent
    new_letter: float = 0.05  # a letter not tested yet
    present_missing: float = 0.0  # per copy of a known-present letter the guess leaves out (not in the reference plan)
    fits_all_hints: float = 0.0  # bonus when the whole guess could still be the secret (not in the reference plan)
    notes_match: float = 0.0  # bonus when the reasoning's notes are exactly right (not in the reference plan)
    repeated_guess: float = 0.0  # a word the game has played already: it cannot win (not in the reference plan)
    no_history: float = 0.1  # feedback reward on the first turn
    no_guess: float = 0.0  # feedback and information reward without a valid guess
    feedback_needs_allowed_word: bool = False  # pay for using feedback only when the guess is a real word
    # With feedback_needs_allowed_word: a non-word scores as a real word would when that is below 0 (and 0
    # otherwise), so that writing a non-word is no way out of the penalties a real word would pay.
    nonword_keeps_penalties: bool = False
    win: float = 1.0
    loss: float = 0.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type == "bool":
                if not isinstance(value, bool):
                    raise RewardConstantsError(f"reward constant {item.name} must be True or False, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise RewardConstantsError(f"reward constant {item.name} must be a finite number, got {value!r}")
        if self.nonword_keeps_penalties and not self.feedback_needs_allowed_word:
            raise RewardConstantsError(
                "nonword_keeps_penalties only changes how non-words score when feedback_needs_allowed_word is on "
                "(without it a non-word already scores as a real word); set feedback_needs_allowed_word=True too, "
                "or leave nonword_keeps_penalties off")


class RewardConstantsError(ValueError):
    """Reward constants that cannot work together, or a name or value the rewards do not know."""


REFERENCE_CONSTANTS = RewardConstants()


class HistoryFormatError(ValueError):
    """A ``past_guess_history`` cell that cannot be read as a list of ``[guess, feedback]`` pairs."""


def parse_history(cell: object) -> History:
    """Read a ``past_guess_history`` cell into ``[(guess, pattern), …]`` (notebook 02).

    Accepts a list of pairs or its Python-literal text (the hub's form, read with ``ast.literal_eval``,
    never ``eval``); feedback may be rendered (``C(x) R(✓) …``) or bare (``x✓xxx``). Raises
    :class:`HistoryFormatError` saying what is wrong.
    """
    value = cell
    if isinstance(cell, str):
        if len(cell) > _MAX_HISTORY_CHARS:
            raise HistoryFormatError(f"history text is {len(cell):,} characters; a game's history is far shorter")
        text = cell.strip()
        if not text:
            return []
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as error:
            raise HistoryFormatError(f"history {cell[:80]!r} is not a Python list literal ({type(error).__name__})") from None
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise HistoryFormatError(f"history must be a list of [guess, feedback] pairs, got {type(value).__name__}")
    history: History = []
    for number, entry in enumerate(value, start=1):
        if not (isinstance(entry, (list, tuple)) and len(entry) == 2 and all(isinstance(x, str) for x in entry)):
            raise HistoryFormatError(f"history entry {number} is {entry!r:.80}; expected [guess, feedback]")
        guess_text, feedback_text = entry
        try:
            guess = normalize_word(guess_text, "guess")
            if "(" in feedback_text:
                letters, pattern = parse_feedback(feedback_text)
                if letters != guess:
                    raise HistoryFormatError(f"history entry {number}: feedback letters {letters!r} differ from guess {guess!r}")
            else:
                pattern = validate_pattern(feedback_text.strip())
        except WordleInputError as error:
            raise HistoryFormatError(f"history entry {number}: {error}") from None
        history.append((guess, pattern))
    if len(history) > 6:
        raise HistoryFormatError(f"history has {len(history)} guesses; a game has at most 6")
    return history


def history_cell(history: Sequence[tuple[str, str]]) -> str:
    """A history in the hub's text form: ``[['CRANE', 'C(x) R(✓) A(-) N(x) E(x)'], …]``."""
    from wordle_helpers.game import render_feedback

    return repr([[guess.upper(), render_feedback(guess, pattern)] for guess, pattern in history])


@lru_cache(maxsize=8)
def _word_set(path: str | None) -> frozenset[str]:
    from wordle_helpers.words import load_allowed, read_word_file

    return frozenset(read_word_file(path) if path else load_allowed())


def allowed_words(word_list: object = None) -> frozenset[str]:
    """The allowed guesses for a row: its ``word_list`` file when it names a readable local file, else the
    project's list. Read once per file and kept for the process."""
    if isinstance(word_list, str) and word_list and Path(word_list).is_file():
        try:
            return _word_set(str(Path(word_list).resolve()))
        except ValueError:
            logger.warning("word list %s is unreadable; using the project's list", word_list)
    return _word_set(None)


@lru_cache(maxsize=2)
def _information_solver() -> object:
    from wordle_helpers.solver import WordleSolver
    from wordle_helpers.words import load_allowed, load_answers

    answers = load_answers()
    return WordleSolver(load_allowed(answers=answers), answers)


def _row_word_lists(kwargs: dict[str, object], count: int) -> list[frozenset[str]]:
    """The allowed-word set of each row, resolving each distinct ``word_list`` cell once per batch."""
    cells = [_column(kwargs, "word_list", i) for i in range(count)]
    resolved = {cell: allowed_words(cell) for cell in {c if isinstance(c, str) else None for c in cells}}
    return [resolved[c if isinstance(c, str) else None] for c in cells]


def _column(kwargs: dict[str, object], name: str, index: int) -> object:
    values = kwargs.get(name)
    if isinstance(values, (list, tuple)) and index < len(values):
        return values[index]
    return None


def _safe(reward: Callable[..., list[float]]) -> Callable[..., list[float]]:
    """Make a per-row reward total: any row that fails scores 0.0; results are finite floats."""

    def total(prompts: object = None, completions: object = None, **kwargs: object) -> list[float]:
        rows = list(completions) if isinstance(completions, (list, tuple)) else []
        neutral = 0.0
        try:
            values = reward(prompts, rows, **kwargs)
        except Exception:  # a reward must never stop training; the row-level fallback keeps the rest
            logger.exception("%s failed on a batch; scoring rows one by one", reward.__name__)
            values = []
            for index, row in enumerate(rows):
                one = {k: [_column(kwargs, k, index)] if isinstance(v, (list, tuple)) else v for k, v in kwargs.items()}
                try:
                    values.append(reward(prompts, [row], **one)[0])
                except Exception:
                    values.append(neutral)
        return [float(v) if isinstance(v, (int, float)) and math.isfinite(v) else float(neutral) for v in values]

    total.__name__ = reward.__name__
    total.__qualname__ = reward.__qualname__
    total.__doc__ = reward.__doc__
    return total


def _history_for_row(kwargs: dict[str, object], index: int, cache: dict[str, History | None]) -> tuple[str, History | None]:
    """The row's parsed history (``None`` if unreadable) and a key for it; GRPO groups share one parse."""
    cell = _column(kwargs, "past_guess_history", index)
    key = cell if isinstance(cell, str) else repr(cell)
    if key not in cache:
        try:
            cache[key] = parse_history(cell)
        except HistoryFormatError:
            cache[key] = None
    return key, cache[key]


def format_score(parsed: ParsedAnswer, constants: RewardConstants = REFERENCE_CONSTANTS) -> float:
    """The format reward of one parsed answer (see :func:`format_reward`)."""
    if not parsed.strict:
        return constants.format_broken
    if parsed.failure in (Failure.WRONG_LENGTH, Failure.NON_LETTERS):
        return constants.format_wrong_length
    if parsed.failure is Failure.NOT_ALLOWED:
        return constants.format_not_allowed
    return constants.format_ok


def feedback_score(word: str | None, history: History, constants: RewardConstants = REFERENCE_CONSTANTS) -> float:
    """Use of earlier feedback by one guess, letter by letter (see :func:`feedback_reward`)."""
    if word is None:
        return constants.no_guess
    if not history:
        return constants.no_history
    known = Knowledge.from_history(history)
    score = 0.0
    for spot, letter in enumerate(word):
        if known.placed.get(spot) == letter:
            score += constants.green_kept
        elif letter in known.absent:
            score += constants.known_absent
        elif known.min_count.get(letter, 0) > 0:
            score += constants.yellow_same_spot if spot in known.excluded.get(letter, ()) else constants.yellow_moved
        else:
            score += constants.new_letter
    if constants.present_missing:
        score += constants.present_missing * sum(max(0, low - word.count(letter)) for letter, low in known.min_count.items())
    if constants.fits_all_hints and known.fits(word):
        score += constants.fits_all_hints
    if constants.repeated_guess and any(word == guess for guess, _ in history):
        score += constants.repeated_guess
    return score


def notes_match(think: str | None, history: History) -> bool:
    """Whether the notes in ``think`` (its ``fixed:``, ``has:`` and ``no:`` lines, in the course's answer
    format) state exactly what ``history`` revealed (notebook 04)."""
    from wordle_helpers.prompts import knowledge_lines

    if think is None:
        return False
    notes = [line.strip() for line in think.splitlines() if line.strip().startswith(("fixed:", "has:", "no:"))]
    return notes == knowledge_lines(history)


def make_rewards(constants: RewardConstants = REFERENCE_CONSTANTS) -> dict[str, Callable[..., list[float]]]:
    """The course rewards bound to ``constants``, keyed by name (notebook 02; GRPO in notebook 04)."""

    @_safe
    def format_reward(prompts: object, completions: list[object], **kwargs: object) -> list[float]:
        """1.0 for the strict format with an allowed word; 0.5 right shape but not allowed; 0.1 guess not
        five letters; 0.0 no parseable answer."""
        word_lists = _row_word_lists(kwargs, len(completions))
        return [format_score(parse_answer(c, words), constants) for c, words in zip(completions, word_lists)]

    @_safe
    def feedback_reward(prompts: object, completions: list[object], **kwargs: object) -> list[float]:
        """Per letter of the guess: +0.2 known green kept, +0.1 present letter in a new spot, −0.2 present
        letter in a spot it is known not to be, −0.5 letter known absent, +0.05 untested letter, plus
        ``present_missing`` per known-present letter left out, ``fits_all_hints`` when the guess could
        still be the secret, ``repeated_guess`` when the game has played it already, and ``notes_match``
        when the reasoning's notes state exactly what the feedback revealed (all 0 in the reference plan).
        0.1 with no history yet; 0.0 without a five-letter guess
        (or, if configured, without an allowed word, less what it breaks with ``nonword_keeps_penalties``);
        an unreadable history scores 0.0."""
        cache: dict[str, History | None] = {}
        word_lists = _row_word_lists(kwargs, len(completions)) if constants.feedback_needs_allowed_word else []
        scores = []
        for i, completion in enumerate(completions):
            _, history = _history_for_row(kwargs, i, cache)
            if history is None:
                scores.append(0.0)
                continue
            parsed = parse_answer(completion)
            word = parsed.word
            if word_lists and word not in word_lists[i]:
                score = constants.no_guess
                if constants.nonword_keeps_penalties and word:
                    score += min(0.0, feedback_score(word, history, constants))
            else:
                score = feedback_score(word, history, constants)
            if constants.notes_match and history and notes_match(parsed.think, history):
                score += constants.notes_match
            scores.append(score)
        return scores

    @_safe
    def info_gain_reward(prompts: object, completions: list[object], **kwargs: object) -> list[float]:
        """Information the guess would reveal, normalised: ``(log2 N − Σ p·log2|group|) / log2 N`` over the N
        *answers* still consistent with the history (the answer list, not the whole guess list: closer to the
        real game, where only answers can be secret), grouping them by the pattern this guess would show.
        0 for a guess that is not an allowed word, for N ≤ 1, or for an unreadable history."""
        solver = _information_solver()
        cache: dict[str, History | None] = {}
        candidate_cache: dict[str, np.ndarray] = {}
        word_lists = _row_word_lists(kwargs, len(completions))
        scores = []
        for i, completion in enumerate(completions):
            key, history = _history_for_row(kwargs, i, cache)
            word = parse_answer(completion).word
            if history is None or word is None or word not in word_lists[i]:
                scores.append(constants.no_guess)
                continue
            if key not in candidate_cache:
                candidate_cache[key] = solver.candidate_indices(history)
            candidates = candidate_cache[key]
            n = len(candidates)
            if n <= 1:
                scores.append(0.0)
                continue
            counts = np.bincount(solver.lists.row(word)[candidates], minlength=243)
            counts = counts[counts > 0].astype(np.float64)
            expected_log = float((counts * np.log2(counts)).sum() / n)
            scores.append((math.log2(n) - expected_log) / math.log2(n))
        return scores

    @_safe
    def win_reward(prompts: object, completions: list[object], **kwargs: object) -> list[float]:
        """``win`` when the guess is the row's ``secret``, else ``loss`` (full games; evaluation)."""
        scores = []
        for i, completion in enumerate(completions):
            secret = _column(kwargs, "secret", i)
            word = parse_answer(completion).word
            solved = isinstance(secret, str) and word is not None and word == secret.strip().lower()
            scores.append(constants.win if solved else constants.loss)
        return scores

    return {f.__name__: f for f in (format_reward, feedback_reward, info_gain_reward, win_reward)}


_REFERENCE = make_rewards()
format_reward = _REFERENCE["format_reward"]
feedback_reward = _REFERENCE["feedback_reward"]
info_gain_reward = _REFERENCE["info_gain_reward"]
win_reward = _REFERENCE["win_reward"]
COURSE_REWARDS = (format_reward, feedback_reward, info_gain_reward)


def with_constants(**changes: float | bool) -> RewardConstants:
    """The reference constants with some changed, e.g. ``with_constants(known_absent=-1.0)``.

    Raises :class:`RewardConstantsError` for a name the rewards do not use (listing the valid ones), a value
    of the wrong kind, or settings that contradict each other.
    """
    known = [item.name for item in fields(RewardConstants)]
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise RewardConstantsError(f"unknown reward constant(s) {', '.join(unknown)}; valid names: {', '.join(known)}")
    return replace(REFERENCE_CONSTANTS, **changes)


def combined_reward(
    completion: object,
    history_cell_value: object,
    weights: dict[str, float] | None = None,
    word_list: object = None,
    rewards: dict[str, Callable[..., list[float]]] | None = None,
) -> dict[str, float]:
    """Every course reward for one completion, plus their weighted ``total`` (notebook 02)."""
    rewards = rewards or _REFERENCE
    weights = weights or {"format_reward": 1.0, "feedback_reward": 1.0, "info_gain_reward": 1.0}
    columns = {"past_guess_history": [history_cell_value], "word_list": [word_list]}
    scores = {name: rewards[name](None, [completion], **columns)[0] for name in weights}
    scores["total"] = sum(weights[name] * scores[name] for name in weights)
    return scores
