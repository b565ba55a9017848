"""Word lists: the project's own answers and allowed guesses, user files, and the secret splits.

Introduced in notebook 01. ``data/answers.txt`` and ``data/allowed.txt`` are built by
``scripts/build_word_lists.py`` (``make data``); data/README.md says where they come from.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
import io
import logging
from pathlib import Path
import re

import numpy as np

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
ANSWERS_FILE = DATA_DIR / "answers.txt"
ALLOWED_FILE = DATA_DIR / "allowed.txt"
DEFAULT_SPLIT_SEED = 2026
_WORD = re.compile(r"[a-z]{5}")
_MAX_REPORTED = 10


class WordListError(ValueError):
    """A word file that is missing, empty, or has lines that are not five-letter words."""


@dataclass(frozen=True)
class BadLine:
    """One rejected line of a word file: its 1-based number, its text and why."""

    number: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.text!r} ({self.reason})"


def _read_text(path: Path) -> str:
    if not path.exists():
        raise WordListError(f"word file {path} does not exist; check the path")
    try:
        # utf-8-sig drops a byte-order mark if there is one.
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise WordListError(f"word file {path} is not UTF-8 text ({error}); save it as UTF-8") from error


def _rows(text: str, column: str, path: Path) -> list[tuple[int, str]]:
    """(line number, cell) pairs: the ``column`` cells of a CSV, or every line of a plain list."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    is_csv = "," in first or first.strip().lower() == column.lower()
    if not is_csv:
        return [(n, line) for n, line in enumerate(lines, start=1)]
    reader = csv.reader(io.StringIO(text))
    header_number = next(n for n, line in enumerate(lines, start=1) if line.strip())
    rows = list(reader)
    header = [cell.strip() for cell in rows[header_number - 1]]
    matches = [i for i, name in enumerate(header) if name.lower() == column.lower()]
    if not matches:
        raise WordListError(
            f"{path} looks like a CSV but has no {column!r} column (found {header}); "
            f"add a header named {column!r} or give one word per line"
        )
    index = matches[0]
    # csv.reader counts records, not lines; for one-record-per-line files (all word lists) they agree.
    return [
        (n, row[index] if index < len(row) else "")
        for n, row in enumerate(rows, start=1)
        if n > header_number and any(cell.strip() for cell in row)
    ]


def read_word_file(path: str | Path, column: str = "Word", strict: bool = True) -> list[str]:
    """Read five-letter words from a file: one per line, or a CSV with a ``Word`` column (notebook 01).

    Any case, with or without a byte-order mark; blank lines are skipped and duplicates keep their first
    place. Lines that are not five letters a-z are reported with their line numbers: ``strict`` raises a
    :class:`WordListError` listing them, otherwise they are logged and left out.
    """
    path = Path(path)
    words: list[str] = []
    seen: set[str] = set()
    bad: list[BadLine] = []
    for number, cell in _rows(_read_text(path), column, path):
        word = cell.strip().lower()
        if not word:
            continue
        if not _WORD.fullmatch(word):
            reason = "not 5 letters" if word.isalpha() else "not letters a-z"
            bad.append(BadLine(number, cell.strip(), reason))
            continue
        if word not in seen:
            seen.add(word)
            words.append(word)
    if bad:
        shown = "; ".join(str(line) for line in bad[:_MAX_REPORTED])
        more = f"; and {len(bad) - _MAX_REPORTED} more" if len(bad) > _MAX_REPORTED else ""
        message = f"{path}: {len(bad)} line(s) are not five-letter words: {shown}{more}"
        if strict:
            raise WordListError(message + "; fix or remove them, or skip them (solve --skip-bad-lines on the command "
                                           "line, strict=False in Python)")
        logger.warning("%s (skipped)", message)
    if not words:
        raise WordListError(f"{path} holds no five-letter words; give one word per line or a CSV with a {column!r} column")
    return words


def load_answers(path: str | Path | None = None, strict: bool = True) -> list[str]:
    """The answer words (possible secrets): the project's list, or a file of your own (notebook 01);
    ``strict`` as in :func:`read_word_file`."""
    return read_word_file(ANSWERS_FILE if path is None else path, strict=strict)


def load_allowed(path: str | Path | None = None, answers: list[str] | None = None, strict: bool = True) -> list[str]:
    """The allowed guesses, always including ``answers`` when given, so every secret can be guessed;
    ``strict`` as in :func:`read_word_file`."""
    allowed = read_word_file(ALLOWED_FILE if path is None else path, strict=strict)
    if answers:
        known = set(allowed)
        allowed = allowed + [w for w in answers if w not in known]
    return allowed


@dataclass(frozen=True)
class SecretSplit:
    """Answers split into train, validation and test secrets; disjoint, each sorted (notebook 01).

    Training data is made from ``train`` only; ``validation`` is for choosing settings; ``test`` is read
    only by the final evaluation.
    """

    train: tuple[str, ...]
    validation: tuple[str, ...]
    test: tuple[str, ...]
    seed: int

    def __getitem__(self, name: str) -> tuple[str, ...]:
        if name not in ("train", "validation", "test"):
            raise KeyError(f"unknown split {name!r}; use 'train', 'validation' or 'test'")
        return getattr(self, name)


def split_secrets(
    answers: list[str] | tuple[str, ...],
    seed: int = DEFAULT_SPLIT_SEED,
    validation_fraction: float = 0.10,
    test_fraction: float = 0.10,
) -> SecretSplit:
    """Split answers deterministically: the same words and seed give the same split in any order.

    The words are sorted before a seeded shuffle, so the split depends on the set of words, not on the
    file's order (notebook 01).
    """
    if not 0 <= validation_fraction < 1 or not 0 <= test_fraction < 1 or validation_fraction + test_fraction >= 1:
        raise ValueError(
            f"fractions must be in [0, 1) and sum below 1, got validation={validation_fraction}, test={test_fraction}"
        )
    unique = sorted(set(answers))
    order = np.random.default_rng(seed).permutation(len(unique))
    shuffled = [unique[i] for i in order]
    n_test = round(len(unique) * test_fraction)
    n_validation = round(len(unique) * validation_fraction)
    test = shuffled[:n_test]
    validation = shuffled[n_test : n_test + n_validation]
    train = shuffled[n_test + n_validation :]
    return SecretSplit(tuple(sorted(train)), tuple(sorted(validation)), tuple(sorted(test)), seed)
