"""Reading a model's answer: the think text and the guess, a strict format check, and why it failed.

Introduced in notebook 02. The course format is ``<think>reasoning</think>``, a newline,
``<guess>WORD</guess>`` and nothing after it. The prompt already ends in ``<think>``, so a completion
may or may not repeat it; both are accepted. Nothing here raises on model output, however garbled.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
import re

from wordle_helpers.prompts import GUESS_CLOSE, GUESS_OPEN, THINK_CLOSE, THINK_OPEN


class Failure(str, Enum):
    """Why a completion is not a well-formed, allowed guess; counted by later notebooks."""

    NO_GUESS = "no guess block"
    TWO_GUESSES = "more than one guess block"
    NO_THINK_END = "no </think>"
    TWO_THINKS = "more than one think block"
    BAD_LAYOUT = "not think, newline, guess"
    TEXT_AFTER_GUESS = "text after the guess"
    WRONG_LENGTH = "guess is not 5 letters"
    NON_LETTERS = "guess has non-letters"
    NOT_ALLOWED = "not an allowed word"

    def __str__(self) -> str:
        return self.value


_STRICT = re.compile(
    re.escape(THINK_OPEN)
    + r"(?P<think>(?:(?!</?think>|</?guess>).)*)"
    + re.escape(THINK_CLOSE)
    + r"\n"
    + re.escape(GUESS_OPEN)
    + r"(?P<guess>[^<]*)"
    + re.escape(GUESS_CLOSE)
    + r"\s*",
    re.S,
)
_LETTERS = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class ParsedAnswer:
    """What a completion says: ``think`` text, raw ``guess`` text, and ``word`` (lower-case, 5 letters a-z)
    when there is one. ``strict`` means the course layout exactly; ``failure`` is the first problem, or
    ``None`` for a strict, valid (and, when a word list was given, allowed) guess."""

    think: str | None
    guess: str | None
    word: str | None
    strict: bool
    failure: Failure | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def completion_text(completion: object) -> str:
    """The text of a completion given as a string or as chat messages (TRL's conversational format)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        content = completion.get("content", "")
        return content if isinstance(content, str) else ""
    if isinstance(completion, (list, tuple)):
        return "".join(completion_text(message) for message in completion if isinstance(message, dict))
    return ""


def with_think_prefix(text: str) -> str:
    """The completion with its opening ``<think>`` in place (the prompt's lead-in usually supplied it)."""
    stripped = text.lstrip()
    return stripped if stripped.startswith(THINK_OPEN) else THINK_OPEN + text


def _word_failure(guess: str) -> Failure | None:
    text = guess.strip()
    if text and not _LETTERS.fullmatch(text):
        return Failure.NON_LETTERS
    return None if len(text) == 5 else Failure.WRONG_LENGTH


def _blocks(text: str, opening: str, closing: str) -> list[str]:
    """Contents of every ``opening…closing`` block, innermost opening first; linear in the text's length."""
    found, position = [], 0
    while True:
        close = text.find(closing, position)
        if close == -1:
            return found
        start = text.rfind(opening, position, close)
        if start != -1:
            found.append(text[start + len(opening) : close])
        position = close + len(closing)


def _layout_failure(text: str, blocks: int) -> Failure:
    """The most telling reason why ``text`` (with its ``<think>``) does not match the strict layout."""
    if blocks == 0:
        return Failure.NO_GUESS
    if blocks > 1:
        return Failure.TWO_GUESSES
    if text.count(THINK_CLOSE) == 0:
        return Failure.NO_THINK_END
    if text.count(THINK_OPEN) > 1 or text.count(THINK_CLOSE) > 1:
        return Failure.TWO_THINKS
    after = text[text.rfind(GUESS_CLOSE) + len(GUESS_CLOSE) :]
    if after.strip():
        return Failure.TEXT_AFTER_GUESS
    return Failure.BAD_LAYOUT


def parse_answer(completion: object, allowed: Collection[str] | None = None) -> ParsedAnswer:
    """Parse a completion strictly and leniently at once (notebook 02).

    The strict part checks the course layout; the lenient part takes the last ``<guess>`` block
    wherever it stands (what evaluation plays). ``allowed`` (lower-case words) adds the word-list check.
    Never raises.
    """
    text = with_think_prefix(completion_text(completion))
    strict_match = _STRICT.fullmatch(text)
    blocks = _blocks(text, GUESS_OPEN, GUESS_CLOSE)
    thinks = _blocks(text, THINK_OPEN, THINK_CLOSE)
    think = strict_match.group("think") if strict_match else thinks[0] if thinks else None
    guess = strict_match.group("guess") if strict_match else blocks[-1] if blocks else None

    word = None
    word_problem = None
    if guess is not None:
        word_problem = _word_failure(guess)
        if word_problem is None:
            word = guess.strip().lower()
            if allowed is not None and word not in allowed:
                word_problem = Failure.NOT_ALLOWED
    failure = None if strict_match else _layout_failure(text, len(blocks))
    return ParsedAnswer(
        think=think.strip() if think is not None else None,
        guess=guess.strip() if guess is not None else None,
        word=word,
        strict=strict_match is not None,
        failure=failure or word_problem,
    )
