"""Feedback patterns as small integers, and the vectorised feedback computation behind them.

Introduced in notebook 01. A pattern is five symbols, one per letter of the guess: ``✓`` (right letter,
right spot), ``-`` (in the word, elsewhere) and ``x`` (not in the word, or no unmatched copy left).
As an integer it is ``code = Σ_i d_i · 3**i`` with ``d_i`` = 0 for ``x``, 1 for ``-``, 2 for ``✓`` and
``i = 0`` the first letter, so every pattern fits in a ``uint8`` (0…242) and 242 means "solved".

Repeated letters follow real Wordle: greens are marked first; then, left to right, a letter is yellow
while the secret still has copies of it that are neither green nor already claimed by an earlier yellow.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
import os

import numpy as np

WORD_LENGTH = 5
CORRECT, PRESENT, ABSENT = "✓", "-", "x"
SYMBOLS = (ABSENT, PRESENT, CORRECT)  # index = digit in the integer encoding
NUM_PATTERNS = 3**WORD_LENGTH
SOLVED_CODE = NUM_PATTERNS - 1
_POWERS = np.array([3**i for i in range(WORD_LENGTH)], dtype=np.uint8)
_ALPHABET = 26


def pattern_to_code(pattern: str) -> int:
    """Turn a five-symbol pattern such as ``"x✓-xx"`` into its integer code (notebook 01)."""
    digits = [SYMBOLS.index(symbol) for symbol in pattern]
    return sum(d * 3**i for i, d in enumerate(digits))


def code_to_pattern(code: int) -> str:
    """Turn an integer code (0…242) back into its five-symbol pattern (notebook 01)."""
    code = int(code)
    if not 0 <= code < NUM_PATTERNS:
        raise ValueError(f"pattern code {code} is outside 0..{NUM_PATTERNS - 1}")
    symbols = []
    for _ in range(WORD_LENGTH):
        code, digit = divmod(code, 3)
        symbols.append(SYMBOLS[digit])
    return "".join(symbols)


def encode_words(words: Sequence[str]) -> np.ndarray:
    """Letters as indices 0…25, shape ``(len(words), 5)``, ``uint8``; words must be 5 letters a-z."""
    joined = "".join(words).lower().encode("ascii")
    array = np.frombuffer(joined, dtype=np.uint8).reshape(len(words), WORD_LENGTH) - ord("a")
    return np.ascontiguousarray(array)


def _letter_signature(letters: np.ndarray) -> tuple[int, ...]:
    """For one word, the index of the first position holding the same letter, per position.

    Words with the same signature repeat letters in the same places (``"x…"`` all distinct is
    ``(0, 1, 2, 3, 4)``, ``"speed"`` is ``(0, 1, 2, 2, 4)``), so one vectorised pass serves them all.
    """
    first: dict[int, int] = {}
    return tuple(first.setdefault(int(letter), i) for i, letter in enumerate(letters))


def _block_codes(guess_letters: np.ndarray, signature: tuple[int, ...], tables: _AnswerTables) -> np.ndarray:
    """Pattern codes of guesses that share one letter signature, against every answer."""
    green = [tables.is_letter[i][guess_letters[:, i]] for i in range(WORD_LENGTH)]  # (g, A) bool each
    codes = np.zeros((len(guess_letters), tables.size), dtype=np.uint8)
    classes: dict[int, list[int]] = {}
    for i, root in enumerate(signature):
        classes.setdefault(root, []).append(i)
    for positions in classes.values():
        letters = guess_letters[:, positions[0]]
        count = tables.counts[letters]  # copies of this letter in each answer, (g, A) uint8
        if len(positions) == 1:
            i = positions[0]
            present = ~green[i] & (count > 0)
            codes += green[i] * np.uint8(2 * _POWERS[i]) + present * _POWERS[i]
            continue
        # Repeated letter: copies left for yellows = count - greens of this letter, handed out left to right.
        left = count.astype(np.int16)
        for i in positions:
            left -= green[i]
        for i in positions:
            present = ~green[i] & (left > 0)
            left -= present
            codes += green[i] * np.uint8(2 * _POWERS[i]) + present * _POWERS[i]
    return codes


class _AnswerTables:
    """Per-answer lookup tables shared by every block of guesses."""

    def __init__(self, answer_letters: np.ndarray) -> None:
        self.size = len(answer_letters)
        alphabet = np.arange(_ALPHABET, dtype=np.uint8)[:, None]
        # is_letter[i][L, a]: answer a has letter L at position i.
        self.is_letter = [alphabet == answer_letters[None, :, i] for i in range(WORD_LENGTH)]
        # counts[L, a]: copies of letter L in answer a.
        self.counts = sum(table.astype(np.uint8) for table in self.is_letter)


def pattern_codes(guess_letters: np.ndarray, answer_letters: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Pattern codes for encoded guesses × encoded answers, ``uint8`` of shape ``(G, A)`` (notebook 01).

    Guesses are grouped by where they repeat letters; each group is one vectorised pass over blocks of
    rows, so the cost is a handful of table look-ups and additions per cell. Blocks run on ``threads``
    threads (NumPy releases the GIL), by default one per core.
    """
    guess_letters = np.asarray(guess_letters, dtype=np.uint8).reshape(-1, WORD_LENGTH)
    answer_letters = np.asarray(answer_letters, dtype=np.uint8).reshape(-1, WORD_LENGTH)
    out = np.empty((len(guess_letters), len(answer_letters)), dtype=np.uint8)
    if out.size == 0:
        return out
    tables = _AnswerTables(answer_letters)
    groups: dict[tuple[int, ...], list[int]] = {}
    for row, letters in enumerate(guess_letters):
        groups.setdefault(_letter_signature(letters), []).append(row)
    block_rows = max(1, 2**20 // len(answer_letters))  # about 1 MB of output per block stays in cache
    jobs = []
    for signature, rows in groups.items():
        rows_array = np.array(rows, dtype=np.intp)
        for start in range(0, len(rows_array), block_rows):
            jobs.append((signature, rows_array[start : start + block_rows]))

    def run(job: tuple[tuple[int, ...], np.ndarray]) -> None:
        signature, rows = job
        out[rows] = _block_codes(guess_letters[rows], signature, tables)

    workers = threads or os.cpu_count() or 1
    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            run(job)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, jobs))
    return out
