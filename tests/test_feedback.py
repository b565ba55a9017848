"""Feedback rules, including real Wordle's repeated-letter rule, and the text form of feedback."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, strategies as st
import pytest

from wordle_helpers.game import (
    FeedbackFormatError,
    InvalidWordError,
    feedback,
    parse_feedback,
    render_feedback,
)
from wordle_helpers.patterns import code_to_pattern, pattern_to_code

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=5, max_size=5)
# Few letters make repeated letters common, which is where the rules are subtle.
repetitive_words = st.text(alphabet="abe", min_size=5, max_size=5)
any_word = st.one_of(words, repetitive_words)
patterns = st.text(alphabet="✓-x", min_size=5, max_size=5)


@pytest.mark.parametrize(
    ("secret", "guess", "expected"),
    [
        # Two B's guessed, two in the secret: one green, one yellow.
        ("abbey", "babes", "--✓✓x"),
        # KEBAB: green B at 3; the last B takes the secret's other B; A and E are yellow.
        ("abbey", "kebab", "x-✓--"),
        # ABYSS: A, B green; Y elsewhere; the secret has no S.
        ("abbey", "abyss", "✓✓-xx"),
        # ERASE against SPEED: both E's yellow (the secret has two), S yellow, R and A absent.
        ("speed", "erase", "-xx--"),
        # EERIE against CRANE: the last E is green and uses the secret's only E, so the first two are x.
        ("crane", "eerie", "xx-x✓"),
        ("crane", "crane", "✓✓✓✓✓"),
        ("crane", "CRANE", "✓✓✓✓✓"),
        # More copies guessed than exist: only the leftmost unmatched one is yellow.
        ("hello", "lllll", "xx✓✓x"),
        ("ladle", "lllaa", "✓-x-x"),
    ],
)
def test_hand_worked_cases(secret: str, guess: str, expected: str) -> None:
    assert feedback(guess, secret) == expected


@given(any_word, any_word)
def test_all_green_iff_equal(guess: str, secret: str) -> None:
    assert (feedback(guess, secret) == "✓✓✓✓✓") == (guess == secret)


@given(any_word, any_word)
def test_marked_copies_never_exceed_secret_count(guess: str, secret: str) -> None:
    pattern = feedback(guess, secret)
    marked = Counter(g for g, s in zip(guess, pattern) if s in "✓-")
    for letter, count in marked.items():
        assert count <= secret.count(letter)
    # And as many copies as both words share are marked: real Wordle never under-reports either.
    for letter in set(guess):
        assert marked[letter] == min(guess.count(letter), secret.count(letter))


@given(any_word, any_word)
def test_greens_exactly_where_letters_match(guess: str, secret: str) -> None:
    pattern = feedback(guess, secret)
    assert [s == "✓" for s in pattern] == [g == t for g, t in zip(guess, secret)]


@given(any_word, any_word)
def test_yellows_go_left_to_right(guess: str, secret: str) -> None:
    pattern = feedback(guess, secret)
    for letter in set(guess):
        marks = [s for g, s in zip(guess, pattern) if g == letter and s != "✓"]
        # Among non-green copies of a letter, every yellow comes before every x.
        assert marks == sorted(marks, key=lambda s: s == "x")


@given(any_word, patterns)
def test_render_parse_round_trip(word: str, pattern: str) -> None:
    text = render_feedback(word, pattern)
    assert parse_feedback(text) == (word, pattern)
    assert render_feedback(*parse_feedback(text)) == text


def test_render_format() -> None:
    assert render_feedback("crane", "x✓-xx") == "C(x) R(✓) A(-) N(x) E(x)"


@given(patterns)
def test_pattern_code_round_trip(pattern: str) -> None:
    code = pattern_to_code(pattern)
    assert 0 <= code < 243
    assert code_to_pattern(code) == pattern


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("C(x) R(✓) A(-) N(x)", "has 4 tiles"),
        ("C(x) R(✓) A(-) N(x) E(?)", "tile 5"),
        ("C(x) R(✓) A(-) N(x) EE(x)", "tile 5"),
        ("C(x) R(✓) A(-) N(x) E()", "tile 5"),
        ("C(x) R(✓) 4(-) N(x) E(x)", "tile 3"),
        ("", "has 0 tiles"),
    ],
)
def test_parse_rejects_malformed_feedback(text: str, fragment: str) -> None:
    with pytest.raises(FeedbackFormatError, match=fragment):
        parse_feedback(text)


def test_parse_rejects_non_text() -> None:
    with pytest.raises(FeedbackFormatError):
        parse_feedback(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("guess", "fragment"),
    [("cran", "has 4 letters"), ("cranes", "has 6 letters"), ("cr4ne", "other than a-z"), ("", "has 0 letters"),
     ("crâne", "other than a-z")],
)
def test_feedback_rejects_bad_words(guess: str, fragment: str) -> None:
    with pytest.raises(InvalidWordError, match=fragment):
        feedback(guess, "crane")


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        feedback("x", "crane")
