"""Profiles: chosen by name or environment, frozen, and the gpu profile carries the reference recipe."""

from __future__ import annotations

import dataclasses

import pytest

from wordle_helpers.profiles import PROFILES, UnknownProfileError, get_profile


def test_default_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORDLE_PROFILE", raising=False)
    assert get_profile().name == "laptop"
    monkeypatch.setenv("WORDLE_PROFILE", "smoke")
    assert get_profile().name == "smoke"
    assert get_profile("gpu").name == "gpu"  # an explicit name wins


def test_unknown_profile_lists_valid_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UnknownProfileError, match="unknown profile 'huge'.*smoke, laptop, gpu"):
        get_profile("huge")
    monkeypatch.setenv("WORDLE_PROFILE", "typo")
    with pytest.raises(UnknownProfileError, match="'typo'"):
        get_profile()


def test_an_unknown_pretraining_optimizer_is_refused_with_the_valid_ones() -> None:
    laptop = get_profile("laptop").model
    with pytest.raises(ValueError, match="unknown pretrain_optimizer 'adam'.*adamw, muon"):
        dataclasses.replace(laptop, pretrain_optimizer="adam")
    assert dataclasses.replace(laptop, pretrain_optimizer="muon").pretrain_optimizer == "muon"


def test_an_unknown_sft_loss_head_is_refused_with_the_valid_ones() -> None:
    sft = get_profile("laptop").sft
    with pytest.raises(ValueError, match="unknown loss_head 'fused'.*trl, own"):
        dataclasses.replace(sft, loss_head="fused")
    assert dataclasses.replace(sft, loss_head="own").loss_head == "own"


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROFILES["laptop"].sft.learning_rate = 1.0  # type: ignore[misc]


def test_gpu_profile_is_the_reference_recipe() -> None:
    gpu = get_profile("gpu")
    assert gpu.model.name == "Qwen/Qwen2.5-3B-Instruct"
    assert gpu.sft.lora_r == 64 and set(gpu.sft.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert (gpu.sft.epochs, gpu.sft.learning_rate, gpu.sft.batch_size) == (10, 2e-5, 4)
    assert (gpu.grpo.epochs, gpu.grpo.learning_rate, gpu.grpo.batch_size, gpu.grpo.grad_accum) == (3, 1e-6, 2, 4)
    assert gpu.grpo.num_generations > 2


def test_profile_output_dirs_differ() -> None:
    assert len({p.output_dir for p in PROFILES.values()}) == len(PROFILES)


@pytest.mark.parametrize("name", list(PROFILES))
def test_every_profile_sets_reward_constants_the_rewards_accept(name: str) -> None:
    from wordle_helpers.rewards import with_constants

    changes = dict(PROFILES[name].grpo.reward_constants)
    constants = with_constants(**changes)  # raises on an unknown name, a bad value or a contradiction
    assert all(getattr(constants, key) == value for key, value in changes.items())


def test_laptop_grpo_pays_whole_guesses_that_could_still_be_the_secret() -> None:
    """The laptop profile's GRPO feedback reward is 1 for a real word that fits every hint and 0 otherwise: no part
    credit for a guess that breaks a hint, none for a non-word, and a word played again costs 0.5 (below a new word
    that breaks a hint); the gpu profile keeps the reference plan's letter-by-letter reward."""
    from wordle_helpers.grpo import reward_functions

    history = '[["crane", "xx✓xx"], ["plaid", "xx✓xx"]]'  # A is at spot 3; C R N E P L I D are out
    answers = {"fits": "<think>x</think>\n<guess>quays</guess>", "breaks one hint": "<think>x</think>\n<guess>meats</guess>",
               "played again": "<think>x</think>\n<guess>plaid</guess>", "not a word": "<think>x</think>\n<guess>qxays</guess>"}
    for name, expected in (("laptop", [1.0, 0.0, -0.5, 0.0]), ("gpu", None)):
        feedback = reward_functions(get_profile(name))[1]
        scores = feedback(prompts=None, completions=list(answers.values()), past_guess_history=[history] * len(answers))
        if expected is not None:
            assert scores == expected
        else:
            assert scores[:2] == pytest.approx([0.4, -0.15])  # A kept +0.2, four new letters +0.05 each; E −0.5
    assert get_profile("laptop").grpo.reward_weights[2] == 0.0  # information gain is left out of the total
