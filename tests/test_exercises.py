"""Every exercise's check accepts its reference answer and rejects a wrong one."""

from __future__ import annotations

from wordle_helpers.exercises import (
    EXERCISE_01_HISTORY,
    check_candidates,
    check_consistency_reward,
    reference_consistency_reward,
)
from wordle_helpers.game import consistent_words


def test_check_candidates(answers: list[str]) -> None:
    reference = consistent_words(answers, EXERCISE_01_HISTORY)
    assert check_candidates(reference, answers)
    assert not check_candidates(reference[:-1], answers)
    assert not check_candidates(reference + ["crane"], answers)


def test_check_consistency_reward() -> None:
    assert check_consistency_reward(reference_consistency_reward)

    def always_one(prompts, completions, **kwargs):
        return [1.0] * len(completions)

    def raises(prompts, completions, **kwargs):
        raise RuntimeError("boom")

    assert not check_consistency_reward(always_one)
    assert not check_consistency_reward(raises)


def test_check_keyboard() -> None:
    from wordle_helpers.board import letter_states
    from wordle_helpers.exercises import EXERCISE_06_HISTORY, check_keyboard

    reference = letter_states(EXERCISE_06_HISTORY)
    assert reference["S"] == "✓" and reference["T"] == "-" and reference["A"] == "x"
    assert check_keyboard(reference)
    assert check_keyboard({k.lower(): v for k, v in reference.items()})
    assert not check_keyboard({**reference, "S": "-"})  # the later yellow must not hide the earlier green
    assert not check_keyboard({k: v for k, v in reference.items() if k != "K"})


def test_check_paired_p_value() -> None:
    from math import comb

    from wordle_helpers.exercises import check_paired_p_value

    reference = 2 * sum(comb(14, k) for k in range(4)) / 2**14  # 3 won only before, 11 only after
    assert check_paired_p_value(reference, 3, 11)
    assert not check_paired_p_value(reference / 2, 3, 11)  # one-sided is not the answer
    assert check_paired_p_value(1.0, 5, 5)
