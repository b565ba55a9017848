"""Every exercise's check accepts its reference answer and rejects a wrong one."""

from __future__ import annotations

import pytest

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


def test_check_trained_token_count() -> None:
    import torch

    from wordle_helpers.exercises import check_trained_token_count

    batch = {"labels": torch.tensor([[-100, -100, -100, 7, 8, 2], [-100, 5, 2, -100, -100, -100]]),
             "attention_mask": torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])}
    assert check_trained_token_count(3, batch)
    assert not check_trained_token_count(6, batch)  # every token: the prompt is not trained
    assert check_trained_token_count(2, batch, row=1)


def test_check_advantages() -> None:
    import numpy as np

    from wordle_helpers.exercises import check_advantages

    rewards = [2.1, 0.4, 1.3, 1.3, -0.5, 2.6]
    r = np.array(rewards)
    assert check_advantages(list((r - r.mean()) / r.std(ddof=1)), rewards)
    assert not check_advantages(list(r - r.mean()), rewards)  # not divided by the standard deviation
    assert not check_advantages(list((r - r.mean()) / r.std(ddof=1))[:-1], rewards)


def test_every_check_answers_a_wrong_kind_of_answer_with_what_it_expected(
        answers: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A placeholder, or a string where a list belongs, gets a ❌ naming the expected kind, not a traceback."""
    import torch

    from wordle_helpers.exercises import (
        check_advantages,
        check_keyboard,
        check_paired_p_value,
        check_trained_token_count,
    )

    batch = {"labels": torch.tensor([[-100, 7, 2]]), "attention_mask": torch.tensor([[1, 1, 1]])}
    checks = [
        (lambda a: check_candidates(a, answers), "a list of words", ["crane", None]),
        (lambda a: check_trained_token_count(a, batch), "a whole number", ["two", None]),
        (lambda a: check_advantages(a, [1.0, 0.0, 0.0]), "a list of 3 numbers", ["123", [1, "x", 0], None]),
        (check_keyboard, "a dict from letter to symbol", [["A", "x"], None]),
        (lambda a: check_paired_p_value(a, 3, 11), "a number", ["small", None]),
    ]
    for check, kind, wrong_answers in checks:
        for wrong in wrong_answers:
            assert check(wrong) is False
            shown = capsys.readouterr().out
            assert shown.startswith(f"❌ expected {kind}"), shown
            assert f", got {type(wrong).__name__} " in shown
    assert check_trained_token_count("2", batch)  # a number typed as text still counts
