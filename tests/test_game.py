"""Game state: history, what has been learned, hard mode, and errors that change nothing."""

from __future__ import annotations

import copy

from hypothesis import given, settings, strategies as st
import pytest

from wordle_helpers.game import (
    FeedbackFormatError,
    GameOverError,
    HardModeError,
    InvalidWordError,
    Knowledge,
    WordleGame,
    WordleInputError,
    consistent_words,
    feedback,
)

ALLOWED = ["crane", "slate", "abbey", "babes", "kebab", "abyss", "speed", "erase", "eerie", "bxxxx", "trace",
           "react", "caret", "abbot", "steed", "spend"]


def test_play_to_a_win() -> None:
    game = WordleGame("abbey", allowed=ALLOWED)
    assert game.guess("BABES") == "--✓✓x"
    assert game.guess("abbey") == "✓✓✓✓✓"
    assert game.is_won and game.is_over
    assert game.guesses == ["babes", "abbey"]
    assert game.transcript()[0] == "Guess 1: BABES -> Feedback: B(-) A(-) B(✓) E(✓) S(x)"


def test_over_after_six_guesses() -> None:
    game = WordleGame("abbey")
    for _ in range(5):
        game.guess("crane")
        assert not game.is_over
    game.guess("crane")
    assert game.is_over and not game.is_won and game.guesses_left == 0


def _snapshot(game: WordleGame) -> list[tuple[str, str]]:
    return copy.deepcopy(game.history)


@pytest.mark.parametrize(
    ("bad", "error", "fragment"),
    [
        ("cran", InvalidWordError, "4 letters"),
        ("cr4ne", InvalidWordError, "a-z"),
        ("zzzzz", InvalidWordError, "not in the allowed word list"),
        (42, InvalidWordError, "must be a string"),
    ],
)
def test_bad_guesses_leave_state_unchanged(bad: object, error: type[Exception], fragment: str) -> None:
    game = WordleGame("abbey", allowed=ALLOWED)
    game.guess("crane")
    before = _snapshot(game)
    with pytest.raises(error, match=fragment):
        game.guess(bad)
    assert game.history == before


def test_guess_after_game_over() -> None:
    game = WordleGame("crane")
    game.guess("crane")
    before = _snapshot(game)
    with pytest.raises(GameOverError, match="won in 1"):
        game.guess("slate")
    assert game.history == before
    lost = WordleGame("crane", max_guesses=1)
    lost.guess("slate")
    with pytest.raises(GameOverError, match="lost after 1"):
        lost.guess("crane")


def test_all_errors_share_a_value_error_base() -> None:
    for cls in (InvalidWordError, GameOverError, FeedbackFormatError, HardModeError):
        assert issubclass(cls, WordleInputError) and issubclass(cls, ValueError)


def test_knowledge_from_history() -> None:
    game = WordleGame("abbey")
    game.guess("babes")  # --✓✓x
    know = game.knowledge
    assert know.placed == {2: "b", 3: "e"}
    assert know.present == {"a": frozenset({1}), "b": frozenset({0})}
    assert know.absent == frozenset({"s"})
    assert know.min_count == {"a": 1, "b": 2, "e": 1}
    assert know.max_count == {"s": 0}


def test_knowledge_caps_repeated_letters() -> None:
    # EERIE against CRANE: one E (green), the two leading E's are x, so exactly one E.
    know = Knowledge.from_history([("eerie", feedback("eerie", "crane"))])
    assert know.min_count["e"] == 1 and know.max_count["e"] == 1
    assert "e" not in know.absent
    assert know.excluded["e"] == frozenset({0, 1})


def test_hard_mode_names_the_broken_hint() -> None:
    game = WordleGame("abbey", hard_mode=True)
    game.guess("babes")  # B at 3 and E at 4 are green; A and a second B are in the word
    before = _snapshot(game)
    with pytest.raises(HardModeError, match="3rd letter must be B"):
        game.guess("crane")
    with pytest.raises(HardModeError, match="4th letter must be E"):
        game.guess("kebab")
    with pytest.raises(HardModeError, match="guess must contain A"):
        game.guess("bxbex")
    with pytest.raises(HardModeError, match="guess must contain B 2 times"):
        game.guess("axbey")
    assert game.history == before
    assert game.guess("abbey") == "✓✓✓✓✓"


def test_hard_mode_requires_present_letters_and_counts() -> None:
    game = WordleGame("speed", hard_mode=True)
    game.guess("erase")  # -xx--: E twice, S once, none placed
    with pytest.raises(HardModeError, match="guess must contain E 2 times"):
        game.guess("spend")
    with pytest.raises(HardModeError, match="guess must contain S"):
        game.guess("eerie")
    assert game.guess("steed") == "✓x✓✓✓"


def test_hard_mode_allows_absent_letters_and_off_by_default() -> None:
    game = WordleGame("abbey", hard_mode=False)
    game.guess("babes")
    game.guess("crane")  # ignores every hint: fine outside hard mode
    hard = WordleGame("crane", hard_mode=True)
    hard.guess("slate")  # A and E known; S, L, T absent
    assert hard.guess("stare") == "xx✓-✓"  # S and T again: allowed in hard mode


def test_history_must_match_secret() -> None:
    with pytest.raises(FeedbackFormatError, match="not the feedback"):
        WordleGame("crane", history=[("slate", "✓✓✓✓✓")])
    game = WordleGame("crane", history=[("slate", feedback("slate", "crane"))])
    assert len(game.history) == 1


def test_consistent_words_matches_definition(answers: list[str]) -> None:
    history = [("slate", feedback("slate", "crane")), ("crony", feedback("crony", "crane"))]
    fits = consistent_words(answers, history)
    assert "crane" in fits
    assert fits == [w for w in answers if all(feedback(g, w) == p for g, p in history)]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_knowledge_fits_equals_exact_consistency(answers: list[str], data: st.DataObject) -> None:
    secret = data.draw(st.sampled_from(answers))
    guesses = data.draw(st.lists(st.sampled_from(answers), min_size=1, max_size=3))
    history = [(g, feedback(g, secret)) for g in guesses]
    know = Knowledge.from_history(history)
    exact = set(consistent_words(answers, history))
    assert {w for w in answers if know.fits(w)} == exact
    assert secret in exact
