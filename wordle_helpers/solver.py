"""Solvers: a greedy information-gain player (the strong baseline and teacher) and a random-candidate player.

Introduced in notebook 01. Both work on the pattern matrix (allowed guesses × answers) so that each
decision is a few NumPy operations rather than a Python loop over words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
import hashlib
import math
from pathlib import Path
import time

import numpy as np

from wordle_helpers.game import MAX_GUESSES, feedback, normalize_word, validate_pattern
from wordle_helpers.patterns import (
    NUM_PATTERNS,
    SOLVED_CODE,
    code_to_pattern,
    encode_words,
    pattern_codes,
    pattern_to_code,
)
from wordle_helpers.profiles import OUTPUT_DIR

DEFAULT_CACHE_DIR = OUTPUT_DIR / "cache"


def pattern_matrix(guesses: Sequence[str], answers: Sequence[str], threads: int | None = None) -> np.ndarray:
    """Feedback of every guess against every answer: ``uint8`` array of shape ``(len(guesses), len(answers))``.

    Entry ``[g, a]`` encodes ``feedback(guesses[g], answers[a])`` as ``Σ_i d_i · 3**i`` with ``d_i`` = 0
    for ``x``, 1 for ``-``, 2 for ``✓`` and ``i = 0`` the first letter; 242 means solved. Decode one with
    :func:`wordle_helpers.patterns.code_to_pattern`. Built with vectorised NumPy in well under a second
    for the full lists (notebook 01).
    """
    guesses = [normalize_word(w, "guess") for w in guesses]
    answers = [normalize_word(w, "answer") for w in answers]
    return pattern_codes(encode_words(guesses), encode_words(answers), threads=threads)


def lists_digest(guesses: Sequence[str], answers: Sequence[str]) -> str:
    """A short hash of both word lists, used to key the on-disk matrix cache."""
    digest = hashlib.sha256()
    for words in (guesses, answers):
        digest.update("\n".join(words).encode("ascii"))
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def cached_pattern_matrix(
    guesses: Sequence[str], answers: Sequence[str], cache_dir: Path | str | None = DEFAULT_CACHE_DIR
) -> np.ndarray:
    """:func:`pattern_matrix`, stored as ``.npy`` under ``cache_dir`` keyed by a hash of both lists.

    A damaged or mismatched cache file is rebuilt, never trusted; ``cache_dir=None`` skips the cache.
    """
    if cache_dir is None:
        return pattern_matrix(guesses, answers)
    path = Path(cache_dir) / f"patterns-{lists_digest(guesses, answers)}.npy"
    if path.exists():
        try:
            matrix = np.load(path, allow_pickle=False)
            if matrix.shape == (len(guesses), len(answers)) and matrix.dtype == np.uint8:
                return matrix
        except (OSError, ValueError):
            pass
    matrix = pattern_matrix(guesses, answers)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{id(matrix)}.npy")
    np.save(tmp, matrix)
    tmp.replace(path)
    return matrix


def group_sizes_cost(rows: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """For each row, ``Σ cost[c]`` over the sizes ``c`` of the groups its patterns split the columns into.

    Small column counts sort each row and measure runs (cost ∝ rows × columns); large ones count all 243
    patterns per row. ``cost`` is a lookup table indexed by group size, at least ``columns + 1`` long.
    """
    n_rows, n = rows.shape
    if n == 0 or n_rows == 0:
        return np.zeros(n_rows)
    if n <= 160:
        ordered = np.sort(rows, axis=1).astype(np.int32)
        ordered += (np.arange(n_rows, dtype=np.int32) * NUM_PATTERNS)[:, None]
        flat = ordered.ravel()
        starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
        sizes = np.diff(np.append(starts, flat.size))
        return np.bincount(starts // n, weights=cost[sizes], minlength=n_rows)
    offsets = (np.arange(n_rows, dtype=np.int64) * NUM_PATTERNS)[:, None]
    counts = np.bincount((rows + offsets).ravel(), minlength=n_rows * NUM_PATTERNS)
    return cost[counts.reshape(n_rows, NUM_PATTERNS)].sum(axis=1)


def partition_entropy(rows: np.ndarray) -> np.ndarray:
    """Entropy in bits of how each row's patterns split the columns (equally likely answers)."""
    n = rows.shape[1]
    if n == 0:
        return np.zeros(len(rows))
    sizes = np.arange(n + 1, dtype=np.float64)
    xlogx = sizes * np.log2(np.maximum(sizes, 1))
    return math.log2(n) - group_sizes_cost(rows, xlogx) / n


@dataclass
class SolveReport:
    """Outcome of playing many games with one solver (the ``solve`` command's JSON)."""

    games: int
    wins: int
    mean_guesses: float
    max_guesses: int
    histogram: dict[str, int]
    seconds: float
    opener: str = ""

    @property
    def win_rate(self) -> float:
        return self.wins / self.games if self.games else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "games": self.games,
            "win_rate": self.win_rate,
            "mean_guesses": self.mean_guesses,
            "max_guesses": self.max_guesses,
            "histogram": self.histogram,
            "seconds": round(self.seconds, 3),
            "opener": self.opener,
        }


@dataclass
class _Lists:
    guesses: list[str]
    answers: list[str]
    matrix: np.ndarray
    guess_index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.guess_index = {w: i for i, w in enumerate(self.guesses)}

    def row(self, guess: str) -> np.ndarray:
        """Codes of ``guess`` against every answer, also for a word outside the guess list."""
        index = self.guess_index.get(guess)
        if index is not None:
            return self.matrix[index]
        return pattern_codes(encode_words([guess]), encode_words(self.answers), threads=1)[0]


class WordleSolver:
    """Base for solvers over a guess list and an answer list (notebook 01).

    ``candidates(history)`` gives the answers still possible; subclasses choose ``next_guess``.
    ``play(secret)`` plays a full game and returns its history.
    """

    name = "solver"

    def __init__(
        self,
        guesses: Sequence[str],
        answers: Sequence[str],
        matrix: np.ndarray | None = None,
        cache_dir: Path | str | None = DEFAULT_CACHE_DIR,
    ) -> None:
        guesses = [normalize_word(w, "guess") for w in guesses]
        answers = [normalize_word(w, "answer") for w in answers]
        missing = sorted(set(answers) - set(guesses))
        if missing:
            # Every answer must be guessable, or the solver could know the word and not be allowed to say it.
            guesses = guesses + missing
        if matrix is None:
            matrix = cached_pattern_matrix(guesses, answers, cache_dir)
        if matrix.shape != (len(guesses), len(answers)):
            raise ValueError(f"matrix shape {matrix.shape} does not match {len(guesses)} guesses × {len(answers)} answers")
        self.lists = _Lists(guesses, answers, matrix)

    @property
    def guesses(self) -> list[str]:
        return self.lists.guesses

    @property
    def answers(self) -> list[str]:
        return self.lists.answers

    def candidate_indices(self, history: Sequence[tuple[str, str]]) -> np.ndarray:
        """Indices of the answers consistent with ``history`` (a list of ``(guess, pattern)``)."""
        keep = np.ones(len(self.answers), dtype=bool)
        for guess, pattern in history:
            code = pattern_to_code(validate_pattern(pattern))
            keep &= self.lists.row(normalize_word(guess)) == code
        return np.flatnonzero(keep)

    def candidates(self, history: Sequence[tuple[str, str]]) -> list[str]:
        """The answers still possible after ``history``."""
        return [self.answers[i] for i in self.candidate_indices(history)]

    def next_guess(self, history: Sequence[tuple[str, str]]) -> str:
        raise NotImplementedError

    def play(self, secret: str, max_guesses: int = MAX_GUESSES) -> list[tuple[str, str]]:
        """Play one game against ``secret``; the history ends at the win or after ``max_guesses``."""
        secret = normalize_word(secret, "secret")
        history: list[tuple[str, str]] = []
        while len(history) < max_guesses:
            guess = self.next_guess(history)
            pattern = feedback(guess, secret)
            history.append((guess, pattern))
            if guess == secret:
                break
        return history

    def play_all(self, secrets: Sequence[str] | None = None, max_guesses: int = MAX_GUESSES) -> SolveReport:
        """Play every secret (by default every answer) and summarise the results."""
        secrets = list(self.answers if secrets is None else secrets)
        start = time.perf_counter()
        lengths, wins = [], 0
        for secret in secrets:
            history = self.play(secret, max_guesses)
            won = history[-1][0] == normalize_word(secret, "secret")
            wins += won
            lengths.append(len(history) if won else max_guesses + 1)
        seconds = time.perf_counter() - start
        won_lengths = [n for n in lengths if n <= max_guesses]
        histogram = {str(n): won_lengths.count(n) for n in range(1, max_guesses + 1)}
        histogram["fail"] = len(lengths) - len(won_lengths)
        return SolveReport(
            games=len(secrets),
            wins=wins,
            mean_guesses=float(np.mean(won_lengths)) if won_lengths else 0.0,
            max_guesses=max(won_lengths) if won_lengths else 0,
            histogram=histogram,
            seconds=seconds,
            opener=self.next_guess([]) if secrets else "",
        )


class EntropySolver(WordleSolver):
    """Greedy information-gain player (notebook 01): each turn, the guess whose feedback splits the
    remaining answers most evenly (highest entropy ``H`` in bits), with a bonus for a possible answer.

    The bonus is ``win_bonus_bits / n`` for ``n`` remaining answers: a possible answer wins now with
    chance ``1/n``, and a won turn is worth about ``win_bonus_bits`` bits of information (the slope of
    guesses-to-go against bits still missing, about 0.5 guesses per bit). This is the same as minimising
    the expected number of guesses under the estimate "a group of ``c`` answers takes ``1 + ½·log2 c``
    more guesses", and it is what makes ties go to possible answers. The opener is chosen once per word
    lists by looking one step further (:meth:`choose_opener`) and cached on disk. Decisions depend only
    on the candidate set, so they are memoised and a sweep over all answers reuses shared branches.

    With ``candidates_only`` every guess after the opener is a still-possible answer (hard-mode-like
    play): a little weaker, far cheaper per move, and every move fits the hints, which is what the
    training data should teach a small model.
    """

    name = "entropy solver"
    bits_per_guess = 2.0

    def __init__(
        self,
        guesses: Sequence[str],
        answers: Sequence[str],
        matrix: np.ndarray | None = None,
        cache_dir: Path | str | None = DEFAULT_CACHE_DIR,
        opener: str | None = None,
        opener_search: int = 12,
        candidates_only: bool = False,
    ) -> None:
        super().__init__(guesses, answers, matrix, cache_dir)
        self.candidates_only = candidates_only
        self._memo: dict[bytes, int] = {}
        self._answer_to_guess = np.array([self.lists.guess_index[a] for a in self.answers], dtype=np.intp)
        self._column = {a: i for i, a in enumerate(self.answers)}
        self._cache_dir = cache_dir
        self._opener_search = opener_search
        self._opener = normalize_word(opener, "opener") if opener is not None else None
        if self._opener is not None and self._opener not in self.lists.guess_index:
            raise ValueError(f"opener {self._opener!r} is not in the guess list")

    def _cost_table(self, n: int) -> np.ndarray:
        sizes = np.arange(n + 1, dtype=np.float64)
        return sizes * (1.0 + np.log2(np.maximum(sizes, 1.0)) / self.bits_per_guess)

    def expected_guesses(self, candidates: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Estimated guesses to finish when ``candidates`` (answer indices) remain, for each guess row in
        ``rows`` (default: every guess).

        ``1 + Σ_groups (c/n)·(1 + ½·log2 c)``, where the group a guess solves outright costs nothing more.
        Lower is better; the ordering equals entropy plus the win bonus described on the class.
        """
        n = len(candidates)
        table = self._cost_table(n)
        block = self.lists.matrix[:, candidates] if rows is None else self.lists.matrix[np.ix_(rows, candidates)]
        cost = group_sizes_cost(block, table)
        guess_rows = np.arange(len(self.guesses)) if rows is None else rows
        cost[np.isin(guess_rows, self._answer_to_guess[candidates])] -= table[1]
        return 1.0 + cost / n

    def best_guess_index(self, candidates: np.ndarray) -> int:
        """Row index (into ``guesses``) of the best guess for this candidate set."""
        if len(candidates) == 0:
            raise ValueError("no answer fits this history; check the feedback given to the solver")
        if len(candidates) <= 2:
            return int(self._answer_to_guess[candidates[0]])
        if len(candidates) == len(self.answers):
            return self.lists.guess_index[self.opener]
        key = candidates.astype(np.int32).tobytes()
        if key not in self._memo:
            if self.candidates_only:
                rows = self._answer_to_guess[candidates]
                self._memo[key] = int(rows[np.argmin(self.expected_guesses(candidates, rows))])
            else:
                self._memo[key] = int(np.argmin(self.expected_guesses(candidates)))
        return self._memo[key]

    @property
    def opener(self) -> str:
        """The first guess: given, cached for these lists, or found by :meth:`choose_opener`."""
        if self._opener is None:
            path = None
            if self._cache_dir is not None:
                key = lists_digest(self.guesses, self.answers)
                path = Path(self._cache_dir) / f"opener-{key}-{self.bits_per_guess:g}-{self._opener_search}.txt"
                cached = path.read_text(encoding="ascii").strip() if path.exists() else ""
                if cached in self.lists.guess_index:
                    self._opener = cached
                    return cached
            self._opener = self.choose_opener(self._opener_search)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(self._opener + "\n", encoding="ascii")
        return self._opener

    def choose_opener(self, top_k: int = 12) -> str:
        """The best first guess among the ``top_k`` by one-step score, judged two steps deep.

        For each contender, every feedback group is scored by its own best second guess, which is a far
        better guide to the whole game than the first split alone (a few seconds, once per word lists).
        """
        everything = np.arange(len(self.answers))
        first = self.expected_guesses(everything)
        contenders = np.argsort(first, kind="stable")[: max(1, top_k)]
        n = len(everything)
        best_word, best_score = "", math.inf
        for row_index in contenders:
            row = self.lists.matrix[row_index]
            total = 0.0
            for code in np.unique(row):
                if code == SOLVED_CODE:
                    continue
                group = np.flatnonzero(row == code)
                # A pair: guess one of them, half the time it is right (1.5 guesses); one word: 1 guess.
                follow = 1.0 if len(group) == 1 else 1.5 if len(group) == 2 else self.expected_guesses(group).min()
                total += len(group) * follow
            score = 1.0 + total / n
            if score < best_score:
                best_word, best_score = self.guesses[int(row_index)], score
        return best_word

    def next_guess(self, history: Sequence[tuple[str, str]]) -> str:
        return self.guesses[self.best_guess_index(self.candidate_indices(history))]

    def play(self, secret: str, max_guesses: int = MAX_GUESSES) -> list[tuple[str, str]]:
        # Same game as the base class, but walks the matrix by index instead of re-filtering by text.
        secret = normalize_word(secret, "secret")
        column = self._column.get(secret)
        if column is None:
            return super().play(secret, max_guesses)
        candidates = np.arange(len(self.answers))
        history: list[tuple[str, str]] = []
        while len(history) < max_guesses:
            row = self.best_guess_index(candidates)
            code = int(self.lists.matrix[row, column])
            history.append((self.guesses[row], code_to_pattern(code)))
            if code == SOLVED_CODE:
                break
            candidates = candidates[self.lists.matrix[row, candidates] == code]
        return history


class RandomCandidateSolver(WordleSolver):
    """A weaker player: each turn, a uniformly random answer that is still possible (notebook 01).

    Deterministic for a given ``seed`` and call order; used later for varied training states.
    """

    name = "random candidate"

    def __init__(
        self,
        guesses: Sequence[str],
        answers: Sequence[str],
        matrix: np.ndarray | None = None,
        cache_dir: Path | str | None = DEFAULT_CACHE_DIR,
        seed: int = 0,
    ) -> None:
        super().__init__(guesses, answers, matrix, cache_dir)
        self.rng = np.random.default_rng(seed)

    def next_guess(self, history: Sequence[tuple[str, str]]) -> str:
        candidates = self.candidate_indices(history)
        if len(candidates) == 0:
            raise ValueError("no answer fits this history; check the feedback given to the solver")
        return self.answers[int(self.rng.choice(candidates))]
