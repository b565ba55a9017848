"""The rules of Wordle: feedback, its text form, a game state with what it has revealed, hard mode.

Introduced in notebook 01. Everything later (prompts, rewards, evaluation, the board) goes through this
module, so the rules live in one place. Bad input raises a :class:`WordleInputError` (a ``ValueError``)
whose message says what was wrong and what to do; a rejected guess leaves the game unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
import re

import numpy as np

from wordle_helpers.patterns import (
    ABSENT,
    CORRECT,
    PRESENT,
    SOLVED_CODE,
    WORD_LENGTH,
    encode_words,
    pattern_codes,
    pattern_to_code,
)

MAX_GUESSES = 6
SYMBOLS = CORRECT + PRESENT + ABSENT
_ORDINALS = ("1st", "2nd", "3rd", "4th", "5th")


class WordleInputError(ValueError):
    """Base class for every rejected input to the game engine."""


class InvalidWordError(WordleInputError):
    """A guess or secret that is not five letters a-z, or not an allowed word."""


class RepeatedGuessError(InvalidWordError):
    """A word already guessed in this game, where the game refuses repeats (the board does)."""


class GameOverError(WordleInputError):
    """A guess made after the game has ended."""


class FeedbackFormatError(WordleInputError):
    """Feedback text or a pattern that cannot be read."""


class HardModeError(WordleInputError):
    """A guess that ignores a revealed hint while hard mode is on."""


def normalize_word(word: object, what: str = "guess") -> str:
    """Lower-case a five-letter word, or raise :class:`InvalidWordError` saying what is wrong (notebook 01)."""
    if not isinstance(word, str):
        raise InvalidWordError(f"the {what} must be a string of 5 letters, got {type(word).__name__}")
    text = word.strip()
    bad = sorted({ch for ch in text if not ("a" <= ch.lower() <= "z")})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise InvalidWordError(f"the {what} {text!r} contains characters other than a-z ({shown}); use letters only")
    if len(text) != WORD_LENGTH:
        raise InvalidWordError(
            f"the {what} {text!r} has {len(text)} letters; it must have exactly {WORD_LENGTH}"
        )
    return text.lower()


def validate_pattern(pattern: object) -> str:
    """Return ``pattern`` if it is five symbols from ``✓ - x``, else raise :class:`FeedbackFormatError`."""
    if not isinstance(pattern, str) or len(pattern) != WORD_LENGTH or any(s not in SYMBOLS for s in pattern):
        raise FeedbackFormatError(
            f"a feedback pattern is {WORD_LENGTH} symbols from {CORRECT!r} {PRESENT!r} {ABSENT!r}, got {pattern!r}"
        )
    return pattern


def feedback(guess: str, secret: str) -> str:
    """Wordle's feedback for ``guess`` against ``secret`` as five symbols ``✓``/``-``/``x`` (notebook 01).

    Greens are marked first; then, left to right, a letter is ``-`` while the secret still holds a copy of
    it that is neither green nor claimed by an earlier ``-``; otherwise ``x``. Input may be in any case.
    """
    guess = normalize_word(guess, "guess")
    secret = normalize_word(secret, "secret")
    result = [ABSENT] * WORD_LENGTH
    unmatched: dict[str, int] = {}
    for i, (g, s) in enumerate(zip(guess, secret)):
        if g == s:
            result[i] = CORRECT
        else:
            unmatched[s] = unmatched.get(s, 0) + 1
    for i, g in enumerate(guess):
        if result[i] != CORRECT and unmatched.get(g, 0) > 0:
            result[i] = PRESENT
            unmatched[g] -= 1
    return "".join(result)


def render_feedback(guess: str, pattern: str) -> str:
    """Render a guess and its pattern the course's way: ``C(x) R(✓) A(-) N(x) E(x)`` (notebook 01)."""
    guess = normalize_word(guess, "guess")
    validate_pattern(pattern)
    return " ".join(f"{letter.upper()}({symbol})" for letter, symbol in zip(guess, pattern))


_TILE = re.compile(r"([A-Za-z])\(([^()]*)\)")


def parse_feedback(text: str) -> tuple[str, str]:
    """Read ``C(x) R(✓) A(-) N(x) E(x)`` back into ``("crane", "x✓-xx")``; exact inverse of rendering.

    Raises :class:`FeedbackFormatError` naming the first thing that does not fit (notebook 01).
    """
    if not isinstance(text, str):
        raise FeedbackFormatError(f"feedback must be text like 'C(x) R(✓) A(-) N(x) E(x)', got {type(text).__name__}")
    tiles = text.split()
    if len(tiles) != WORD_LENGTH:
        raise FeedbackFormatError(
            f"feedback {text!r} has {len(tiles)} tiles; expected {WORD_LENGTH} like 'C(x) R(✓) A(-) N(x) E(x)'"
        )
    letters, symbols = [], []
    for number, tile in enumerate(tiles, start=1):
        match = _TILE.fullmatch(tile)
        if not match:
            raise FeedbackFormatError(f"tile {number} of {text!r} is {tile!r}; expected a letter and a symbol like 'R(✓)'")
        letter, symbol = match.groups()
        if symbol not in SYMBOLS or len(symbol) != 1:
            raise FeedbackFormatError(
                f"tile {number} of {text!r} has symbol {symbol!r}; use {CORRECT!r}, {PRESENT!r} or {ABSENT!r}"
            )
        letters.append(letter.lower())
        symbols.append(symbol)
    return "".join(letters), "".join(symbols)


@dataclass(frozen=True)
class Knowledge:
    """What a history of guesses has revealed about the secret (notebook 01).

    ``placed`` maps a position (0-4) to its known letter; ``present`` maps each letter known to be in the
    word more often than it is placed to the positions it is known *not* to occupy; ``absent`` holds
    letters with no copy at all; ``min_count``/``max_count`` bound how many copies of a letter there are
    (``max_count`` only where an ``x`` capped it); ``excluded`` lists, per letter, every spot it cannot be
    in. A word fits iff it agrees with all of these.
    """

    placed: dict[int, str]
    present: dict[str, frozenset[int]]
    absent: frozenset[str]
    min_count: dict[str, int]
    max_count: dict[str, int]
    excluded: dict[str, frozenset[int]]

    @classmethod
    def from_history(cls, history: Iterable[tuple[str, str]]) -> Knowledge:
        placed: dict[int, str] = {}
        not_at: dict[str, set[int]] = {}
        min_count: dict[str, int] = {}
        max_count: dict[str, int] = {}
        for guess, pattern in history:
            seen: dict[str, int] = {}
            capped: set[str] = set()
            for i, (letter, symbol) in enumerate(zip(guess, pattern)):
                if symbol == CORRECT:
                    placed[i] = letter
                    seen[letter] = seen.get(letter, 0) + 1
                elif symbol == PRESENT:
                    not_at.setdefault(letter, set()).add(i)
                    seen[letter] = seen.get(letter, 0) + 1
                else:
                    not_at.setdefault(letter, set()).add(i)
                    capped.add(letter)
            for letter, count in seen.items():
                min_count[letter] = max(min_count.get(letter, 0), count)
            for letter in capped:
                cap = seen.get(letter, 0)
                max_count[letter] = min(max_count.get(letter, cap), cap)
        absent = frozenset(letter for letter, cap in max_count.items() if cap == 0)
        placed_copies = list(placed.values())
        present = {
            letter: frozenset(not_at.get(letter, set()))
            for letter in sorted(min_count)
            if min_count[letter] > placed_copies.count(letter)
        }
        excluded = {letter: frozenset(spots) for letter, spots in sorted(not_at.items())}
        return cls(placed, present, absent, min_count, max_count, excluded)

    def fits(self, word: str) -> bool:
        """Whether ``word`` agrees with everything revealed (for histories real feedback produced)."""
        if any(word[i] != letter for i, letter in self.placed.items()):
            return False
        for letter, spots in self.excluded.items():
            if any(word[i] == letter for i in spots):
                return False
        for letter, low in self.min_count.items():
            if word.count(letter) < low:
                return False
        for letter, high in self.max_count.items():
            if word.count(letter) > high:
                return False
        return True

    def hard_mode_violation(self, guess: str) -> str | None:
        """The first revealed hint ``guess`` ignores, as Wordle's hard mode words it; ``None`` if it keeps all.

        Hard mode asks that green letters stay in place and that every revealed letter is used as often
        as it is known to occur; letters known absent may still be played.
        """
        for i in sorted(self.placed):
            if guess[i] != self.placed[i]:
                return f"{_ORDINALS[i]} letter must be {self.placed[i].upper()}"
        for letter in sorted(self.min_count):
            need = self.min_count[letter]
            if guess.count(letter) < need:
                times = "" if need == 1 else f" {need} times"
                return f"guess must contain {letter.upper()}{times}"
        return None


def consistent_words(words: Sequence[str], history: Sequence[tuple[str, str]]) -> list[str]:
    """The words that would have produced exactly this history as secrets, in their original order.

    This is the exact test (feedback of each earlier guess against the word equals the pattern seen),
    vectorised over the whole list (notebook 01).
    """
    if not words:
        return []
    keep = np.ones(len(words), dtype=bool)
    letters = encode_words([normalize_word(w, "word") for w in words])
    for guess, pattern in history:
        guess = normalize_word(guess, "guess")
        code = pattern_to_code(validate_pattern(pattern))
        keep &= pattern_codes(encode_words([guess]), letters, threads=1)[0] == code
    return [w for w, k in zip(words, keep) if k]


@dataclass
class WordleGame:
    """One game of Wordle: the secret, the guesses so far and their feedback (notebook 01).

    ``allowed`` is the set of words a guess may be (``None`` accepts any five letters). With
    ``hard_mode`` every guess after the first must use the hints revealed so far. :meth:`guess` checks
    everything before it changes anything, so a rejected guess leaves the game as it was.
    """

    secret: str
    allowed: Collection[str] | None = None
    hard_mode: bool = False
    max_guesses: int = MAX_GUESSES
    history: list[tuple[str, str]] = field(default_factory=list)
    # Turns used up without a guess (an answer that could not be played, as in evaluation).
    lost_turns: int = 0
    refuse_repeats: bool = False

    def __post_init__(self) -> None:
        self.secret = normalize_word(self.secret, "secret")
        if self.allowed is not None:
            self.allowed = frozenset(w.lower() for w in self.allowed)
        if self.max_guesses < 1:
            raise WordleInputError(f"max_guesses must be at least 1, got {self.max_guesses}")
        history, self.history = list(self.history), []
        for guess, pattern in history:
            if feedback(guess, self.secret) != validate_pattern(pattern):
                raise FeedbackFormatError(
                    f"history entry {guess!r} -> {pattern!r} is not the feedback for this secret"
                )
            self.history.append((normalize_word(guess), pattern))

    @property
    def guesses(self) -> list[str]:
        return [guess for guess, _ in self.history]

    @property
    def is_won(self) -> bool:
        return any(pattern == CORRECT * WORD_LENGTH for _, pattern in self.history)

    @property
    def turns_used(self) -> int:
        return len(self.history) + self.lost_turns

    @property
    def is_over(self) -> bool:
        return self.is_won or self.turns_used >= self.max_guesses

    @property
    def guesses_left(self) -> int:
        return 0 if self.is_over else self.max_guesses - self.turns_used

    @property
    def knowledge(self) -> Knowledge:
        return Knowledge.from_history(self.history)

    def check_guess(self, word: object) -> str:
        """Validate a guess without playing it; return it lower-cased or raise a :class:`WordleInputError`."""
        self._refuse_if_over()
        guess = normalize_word(word, "guess")
        if self.allowed is not None and guess not in self.allowed:
            raise InvalidWordError(f"{guess.upper()!r} is not in the allowed word list; try another word")
        if self.refuse_repeats and guess in self.guesses:
            raise RepeatedGuessError(f"{guess.upper()} was already guessed in this game; try a new word")
        if self.hard_mode:
            broken = self.knowledge.hard_mode_violation(guess)
            if broken:
                raise HardModeError(f"hard mode: {broken}")
        return guess

    def guess(self, word: object) -> str:
        """Play a guess and return its feedback pattern; raises before changing anything if it is invalid."""
        guess = self.check_guess(word)
        pattern = feedback(guess, self.secret)
        self.history.append((guess, pattern))
        return pattern

    def lose_turn(self) -> None:
        """Use up a turn without a guess (an unplayable answer, notebook 06); raises once the game is over."""
        self._refuse_if_over()
        self.lost_turns += 1

    def _refuse_if_over(self) -> None:
        if self.is_over:
            outcome = f"won in {self.turns_used}" if self.is_won else f"lost after {self.turns_used} turns"
            raise GameOverError(f"the game is over ({outcome}); start a new game to keep playing")

    def consistent(self, words: Sequence[str]) -> list[str]:
        """The words of ``words`` that still fit this game's history."""
        return consistent_words(words, self.history)

    def transcript(self) -> list[str]:
        """The history rendered one line per guess, ``Guess 1: CRANE -> Feedback: C(x) R(✓) …``."""
        return [
            f"Guess {n}: {guess.upper()} -> Feedback: {render_feedback(guess, pattern)}"
            for n, (guess, pattern) in enumerate(self.history, start=1)
        ]


def is_solved(pattern_or_code: str | int) -> bool:
    """Whether a pattern (text or integer code) means the guess was the secret."""
    if isinstance(pattern_or_code, str):
        return pattern_or_code == CORRECT * WORD_LENGTH
    return int(pattern_or_code) == SOLVED_CODE
