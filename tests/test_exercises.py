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
