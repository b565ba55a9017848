"""GRPO: the missing-checkpoint error, advantages, and what TRL passes to the reward functions."""

from __future__ import annotations

import dataclasses
import time

import pytest

from wordle_helpers.evaluation import paired_comparison
from wordle_helpers.grpo import MissingCheckpointError, build_grpo_trainer, group_advantages, train_grpo
from wordle_helpers.profiles import get_profile


def test_missing_sft_checkpoint_stops_at_once_with_the_command(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wordle_helpers.profiles as profiles

    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    profile = dataclasses.replace(get_profile("smoke"), name="fresh")
    start = time.perf_counter()
    with pytest.raises(MissingCheckpointError, match="python -m wordle_helpers sft --profile fresh"):
        train_grpo(profile)
    assert time.perf_counter() - start < 5
    assert not (tmp_path / "fresh" / "base").exists()  # stopped before building or loading anything


def test_group_advantages() -> None:
    advantages = group_advantages([1.0, 2.0, 3.0])
    assert advantages[0] < 0 < advantages[2] and advantages[1] == pytest.approx(0.0)
    assert group_advantages([0.5, 0.5, 0.5]) == [0.0, 0.0, 0.0]  # an equal-reward group teaches nothing


def test_a_noisy_training_curve_shows_its_trend() -> None:
    """Notebook 04's reward curve: the first and last fifth of the run, and a running mean as the line."""
    from wordle_helpers.figures import plot_training_curves, running_mean
    from wordle_helpers.grpo import log_trend

    rewards = [1.0, 3.0] * 5  # steps 5 to 50; alternating, with a flat trend
    log = [{"step": 5 * (i + 1), "reward": r, "frac_reward_zero_std": 0.1} for i, r in enumerate(rewards)]
    log.append({"train_seconds": 12.0})  # the run's closing entry, not a step
    assert log_trend(log, "reward") == (2.0, 2.0)
    assert log_trend(log[:-1] + [{"step": 55, "reward": 9.0}], "reward", share=0.1) == (1.0, 9.0)
    with pytest.raises(ValueError, match="no logged step holds 'kl'.*reward"):
        log_trend(log, "kl")
    assert list(running_mean([1.0, 3.0, 1.0, 3.0, 5.0], 3)) == [2.0, 5 / 3, 7 / 3, 3.0, 4.0]
    assert list(running_mean([1.0, 3.0, 1.0, 3.0], 2)) == [1.0, 2.0, 2.0, 2.0]
    assert list(running_mean([4.0, 8.0], 1)) == [4.0, 8.0]
    axes = plot_training_curves({"GRPO": log}, ["reward"], "Rewards", smooth=4).axes[0]
    lines = axes.get_lines()
    assert len(lines) == 2 and lines[0].get_alpha() == 0.25  # the logged values faintly, their running mean
    assert list(lines[1].get_ydata()) == pytest.approx(list(running_mean(rewards, 4)))
    assert lines[1].get_label() == "reward" and "running mean of 4" in axes.get_title()
    assert len(plot_training_curves({"GRPO": log}, ["reward"], "Rewards").axes[0].get_lines()) == 1


def test_paired_comparison_counts_and_p_value() -> None:
    before = {f"s{i}": 0 for i in range(20)}
    after = {f"s{i}": (3 if i < 10 else 0) for i in range(20)}
    result = paired_comparison(before, after)
    assert (result["only_after"], result["only_before"], result["neither"]) == (10, 0, 10)
    assert result["p_value"] == pytest.approx(2 / 2**10)
    assert paired_comparison(after, after)["p_value"] == 1.0


def test_reward_functions_receive_the_dataset_columns(smoke_base, tmp_path) -> None:
    profile = get_profile("smoke")
    from wordle_helpers.sft import train_sft

    train_sft(profile)  # the smoke SFT adapter (seconds; reused when present)
    trainer = build_grpo_trainer(profile, max_steps=1)
    trainer.args.output_dir = str(tmp_path)
    seen: list[dict] = []
    originals = list(trainer.reward_funcs)

    def recorder(function):
        def record(prompts, completions, **kwargs):
            seen.append({"prompts": prompts, "completions": completions, **kwargs})
            return function(prompts=prompts, completions=completions, **kwargs)

        record.__name__ = function.__name__
        return record

    trainer.reward_funcs = [recorder(f) for f in originals]
    trainer.train()
    assert len(seen) == len(originals)
    call = seen[0]
    # Own-play states can share a prompt (the same guesses for two secrets), so a prompt maps to its rows' columns.
    rows: dict[str, set[tuple[str, str, str]]] = {}
    for row in trainer.train_dataset:
        rows.setdefault(row["prompt"], set()).add((row["secret"], row["past_guess_history"], row["word_list"]))
    assert len(call["completions"]) == profile.grpo.batch_size
    assert all(isinstance(c, str) for c in call["completions"])
    for prompt, secret, history, words in zip(call["prompts"], call["secret"], call["past_guess_history"], call["word_list"]):
        assert (secret, history, words) in rows[prompt]
        assert prompt.endswith("<think>")


def test_vllm_is_optional_and_refused_clearly_where_it_cannot_run(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    from wordle_helpers.__main__ import main
    from wordle_helpers.grpo import VllmUnavailableError, grpo_config, with_vllm
    from wordle_helpers.profiles import get_profile

    # Off by default everywhere; importing the package and building a config never imports vLLM.
    assert not any(get_profile(name).grpo.use_vllm for name in ("smoke", "laptop", "gpu"))
    code = ("import sys; from wordle_helpers.grpo import grpo_config; from wordle_helpers.profiles import get_profile; "
            "from pathlib import Path; grpo_config(get_profile('smoke'), Path('x')); print('vllm' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    server = with_vllm(get_profile("gpu"), "server")
    assert server.grpo.use_vllm and server.grpo.vllm_mode == "server"
    with pytest.raises(ValueError, match="colocate"):
        with_vllm(get_profile("gpu"), "remote")
    with pytest.raises(VllmUnavailableError, match="tiny local model"):
        grpo_config(with_vllm(get_profile("smoke")), tmp_path)
    assert main(["grpo", "--profile", "smoke", "--vllm", "colocate"]) == 2
    assert "vLLM generation needs a GPU" in capsys.readouterr().err


def test_a_retrained_sft_adapter_makes_old_grpo_checkpoints_stale(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wordle_helpers.profiles as profiles
    from wordle_helpers.grpo import run_description
    from wordle_helpers.modeling import forget_stale_checkpoints

    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    profile = dataclasses.replace(get_profile("smoke"), name="stale")
    adapter = tmp_path / "stale" / "sft" / "final" / "adapter_model.safetensors"
    adapter.parent.mkdir(parents=True)
    adapter.write_bytes(b"first adapter")
    out = tmp_path / "stale" / "grpo"
    first = run_description(profile)
    forget_stale_checkpoints(out, first)
    (out / "checkpoint-4").mkdir()
    (out / "final").mkdir()
    forget_stale_checkpoints(out, run_description(profile))  # same adapter, same settings: kept to resume
    assert (out / "checkpoint-4").exists() and (out / "final").exists()
    adapter.write_bytes(b"retrained adapter")
    assert run_description(profile) != first
    forget_stale_checkpoints(out, run_description(profile))
    assert not (out / "checkpoint-4").exists() and not (out / "final").exists()
    assert run_description(profile, start="base")["sft"] is None


def test_finished_runs_are_reused_and_not_trained_again(smoke_base) -> None:
    """Running a notebook twice must not add steps to a finished SFT or GRPO run (nor retrain GRPO)."""
    from wordle_helpers.modeling import file_digest
    from wordle_helpers.sft import train_sft

    def snapshot(final):
        weights = final / "adapter_model.safetensors"
        return file_digest(weights), weights.stat().st_mtime_ns, sorted(p.name for p in final.parent.glob("checkpoint-*"))

    profile = get_profile("smoke")
    for train in (train_sft, train_grpo):
        final = train(profile)
        before = snapshot(final)
        assert train(profile) == final
        assert snapshot(final) == before


def test_own_play_rows_hold_the_players_own_states(smoke_base, answers: list[str]) -> None:
    from wordle_helpers.evaluation import ScriptedPlayer
    from wordle_helpers.game import feedback
    from wordle_helpers.grpo import own_play_rows, render_prompt
    from wordle_helpers.prompts import answer_text, build_messages
    from wordle_helpers.rewards import parse_history
    from wordle_helpers.words import split_secrets

    _, tokenizer = smoke_base
    # A non-word first (it costs the turn and is listed afterwards), then CRANE, then SLATE until the end.
    script = ["qzqzq", "crane", "slate", "slate", "slate", "slate"]
    player = ScriptedPlayer(lambda state: answer_text("", script[len(state.history) + len(state.rejected)]))
    rows = own_play_rows(player, tokenizer, rows=30, seed=4)
    assert len(rows) == 30 and rows == own_play_rows(player, tokenizer, rows=30, seed=4)
    train = set(split_secrets(answers).train)
    turns_seen = set()
    for row in rows:
        assert row["secret"] in train
        history = parse_history(row["past_guess_history"])
        words = [w for w, _ in history]
        assert words == script[1 : 1 + len(words)] and all(p == feedback(w, row["secret"]) for w, p in history)
        rejected = ["qzqzq"] if "QZQZQ" in row["prompt"] else []
        assert rejected or not words  # every word played came after the non-word
        turn = len(words) + len(rejected)
        assert row["prompt"] == render_prompt(build_messages(history, guesses_left=6 - turn, rejected=rejected), tokenizer)
        turns_seen.add(turn)
    assert len(turns_seen) > 2  # states from several turns, not only the first


def test_own_play_rows_at_mistake_start_where_the_player_first_broke_a_hint(smoke_base) -> None:
    from wordle_helpers.evaluation import ScriptedPlayer
    from wordle_helpers.game import consistent_words
    from wordle_helpers.grpo import own_play_rows
    from wordle_helpers.prompts import answer_text
    from wordle_helpers.rewards import parse_history

    _, tokenizer = smoke_base
    script = ["qzqzq", "crane", "slate", "slate", "slate", "slate"]  # SLATE again breaks its own feedback
    player = ScriptedPlayer(lambda state: answer_text("", script[len(state.history) + len(state.rejected)]))
    rows = own_play_rows(player, tokenizer, rows=30, seed=4, at_mistake=True)
    assert sum(row["secret"] in script for row in rows) < 3
    for row in [r for r in rows if r["secret"] not in script]:  # a game the script wins may hold no mistake
        history = parse_history(row["past_guess_history"])
        words = [w for w, _ in history]
        slate_fits = bool(consistent_words(["slate"], history[:1]))  # SLATE after CRANE's feedback
        # The state before the first answer that breaks a hint: SLATE after CRANE, or SLATE played again.
        assert words == (["crane", "slate"] if slate_fits else ["crane"])


def test_own_play_rows_at_repeat_start_where_the_player_first_wrote_an_answer_again(smoke_base) -> None:
    from wordle_helpers.evaluation import ScriptedPlayer
    from wordle_helpers.grpo import own_play_rows
    from wordle_helpers.prompts import REJECTED_LINE, answer_text
    from wordle_helpers.rewards import parse_history

    _, tokenizer = smoke_base
    for script, past, rejected in ((["crane", "qzqzq", "qzqzq", "slate", "slate", "slate"], ["crane"], "QZQZQ"),
                                   (["crane", "slate", "slate", "qzqzq", "qzqzq", "qzqzq"], ["crane", "slate"], None)):
        player = ScriptedPlayer(lambda state, script=script: answer_text("", script[6 - state.guesses_left]))
        rows = own_play_rows(player, tokenizer, rows=30, seed=4, at_mistake=True, at_repeat=True)
        for row in [r for r in rows if r["secret"] not in script]:
            assert [w for w, _ in parse_history(row["past_guess_history"])] == past  # before the second QZQZQ / SLATE
            assert "You have 4 guesses left." in row["prompt"]
            assert (REJECTED_LINE + rejected in row["prompt"]) if rejected else REJECTED_LINE not in row["prompt"]
        mistakes = own_play_rows(player, tokenizer, rows=30, seed=4, at_mistake=True)  # the first mistake instead
        assert all(REJECTED_LINE not in row["prompt"] for row in mistakes)


def test_own_play_share_replaces_that_share_of_teacher_states(smoke_base) -> None:
    from wordle_helpers.grpo import grpo_training_data

    model, tokenizer = smoke_base
    smoke = get_profile("smoke")
    profile = dataclasses.replace(smoke, grpo=dataclasses.replace(smoke.grpo, own_play_share=0.0))
    teacher = grpo_training_data(profile, tokenizer, model=model)  # share 0: teacher states only
    mixed_profile = dataclasses.replace(profile, grpo=dataclasses.replace(profile.grpo, own_play_share=0.5))
    was_training = model.training
    mixed = grpo_training_data(mixed_profile, tokenizer, model=model)
    assert model.training == was_training  # the model's mode is put back after its games
    assert len(mixed) == len(teacher) == profile.data.grpo_rows and mixed.column_names == teacher.column_names
    key = lambda r: (r["prompt"], r["secret"], r["past_guess_history"])  # noqa: E731
    in_mixed = {key(r) for r in mixed}
    half = len(teacher) // 2
    assert all(key(teacher[i]) in in_mixed for i in range(half))  # the first half of the teacher rows stays
    assert sum(key(teacher[i]) in in_mixed for i in range(half, len(teacher))) < half  # the rest is replaced


def test_the_yardstick_plays_grpo_and_random_changes_against_sft(smoke_base, answers: list[str], allowed: list[str],
                                                                   tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from wordle_helpers.evaluation import random_change_yardstick, yardstick_table
    from wordle_helpers.sft import train_sft
    from wordle_helpers.words import split_secrets

    smoke = get_profile("smoke")
    train_sft(smoke)
    train_grpo(smoke)  # both reused when present
    secrets = list(split_secrets(answers).test)[:6]
    result = random_change_yardstick(smoke, secrets, allowed)
    settings = smoke.evaluation
    assert [run["change"] for run in result["runs"]] == ["GRPO"] + [
        f"noise x{scale:g}, seed {seed}" for scale in settings.yardstick_scales for seed in range(settings.yardstick_seeds)]
    for run in result["runs"]:
        assert run["games"] == 6 and run["both_won"] + run["only_before"] + run["only_after"] + run["neither"] == 6
        assert run["only_before"] + run["only_after"] <= run["played_differently"] <= 6
    assert "GRPO" in yardstick_table(result).splitlines()[2]

    # A GRPO adapter equal to SFT's: GRPO and noise of any multiple of its (zero) change play exactly as SFT.
    same = _trained_copy("same", tmp_path, monkeypatch)
    assert random_change_yardstick(same, secrets, allowed) is None  # no GRPO adapter yet
    shutil.copytree(tmp_path / "same" / "sft" / "final", tmp_path / "same" / "grpo" / "final")
    runs = random_change_yardstick(same, secrets, allowed)["runs"]
    assert all(run["played_differently"] == 0 and run["difference"] == 0 for run in runs)
    # A large change instead: GRPO's adapter and noise of that size both play other games than SFT.
    from safetensors.torch import load_file, save_file

    adapter = tmp_path / "same" / "grpo" / "final" / "adapter_model.safetensors"
    save_file({key: 4 * weight + 0.5 for key, weight in load_file(str(adapter)).items()}, str(adapter))
    runs = random_change_yardstick(same, secrets, allowed)["runs"]
    assert all(run["played_differently"] > 0 for run in runs)


def test_with_a_kl_term_the_reference_is_a_frozen_copy_of_the_sft_adapter(smoke_base) -> None:
    """The module's docstring and the profiles rely on it: beta > 0 holds GRPO near SFT, not near the base model."""
    from wordle_helpers.sft import train_sft

    smoke = get_profile("smoke")
    train_sft(smoke)
    with_kl = dataclasses.replace(smoke, grpo=dataclasses.replace(smoke.grpo, beta=0.04))
    model = build_grpo_trainer(with_kl, max_steps=1).model
    assert "ref" in model.peft_config
    pairs = [(name, param) for name, param in model.named_parameters() if ".default." in name]
    assert pairs and any("embed_tokens" in name for name, _ in pairs)  # the adapter's embedding copy too
    for name, param in pairs:
        reference = model.get_parameter(name.replace(".default.", ".ref."))
        assert not reference.requires_grad and bool((reference == param).all()), name


def _trained_copy(name: str, tmp_path, monkeypatch: pytest.MonkeyPatch, **grpo):
    """A copy of the smoke profile named ``name`` under ``tmp_path``, holding the smoke base model and SFT adapter."""
    import shutil

    import wordle_helpers.profiles as profiles
    from wordle_helpers.sft import train_sft

    smoke = get_profile("smoke")
    train_sft(smoke)  # reused when present
    trained = smoke.output_dir
    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    copy = dataclasses.replace(smoke, name=name, grpo=dataclasses.replace(smoke.grpo, **grpo))
    for stage in ("base", "sft"):
        shutil.copytree(trained / stage, tmp_path / name / stage)
    return copy


def test_the_grpo_log_ends_with_the_time_spent_before_and_in_training(smoke_base, tmp_path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from wordle_helpers.grpo import training_log

    timed = _trained_copy("timed", tmp_path, monkeypatch)
    train_grpo(timed, max_steps=1)
    log = training_log(timed)
    assert set(log[-1]) == {"prepare_seconds", "train_seconds", "resumed_at_step"}
    assert log[-1]["prepare_seconds"] >= 0
    assert log[-1]["train_seconds"] > 0 and log[-1]["resumed_at_step"] is None
    assert any("train_runtime" in entry for entry in log[:-1])  # TRL's own entries come first


def test_with_a_kl_term_the_final_adapter_leaves_out_the_reference_copy(smoke_base, tmp_path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """TRL saves its frozen reference adapter beside the trained one; that copy of the SFT adapter is not kept."""
    from wordle_helpers.modeling import load_model

    with_kl = _trained_copy("kl", tmp_path, monkeypatch, beta=0.04)
    final = train_grpo(with_kl, max_steps=1)
    assert (final / "adapter_model.safetensors").exists()
    assert sorted(p.name for p in final.iterdir() if p.is_dir()) == []
    load_model(with_kl, "grpo")  # and the adapter loads as evaluation loads it


def test_sample_group_shows_a_group_that_teaches_something() -> None:
    """Notebook 04's worked example: groups whose answers all score the same are passed over; the first group with
    a spread is scored with the profile's rewards and weights, and its advantages sum to zero."""
    from wordle_helpers.evaluation import ScriptedPlayer
    from wordle_helpers.grpo import sample_group

    profile = get_profile("laptop")
    rows = [{"past_guess_history": '[["slate", "✓-✓-x"]]', "word_list": None, "secret": "stalk"},  # one guess: skipped
            {"past_guess_history": '[["slate", "✓-✓-x"], ["stall", "✓✓✓✓x"]]', "word_list": None, "secret": "stalk"},
            {"past_guess_history": '[["crane", "xx✓xx"], ["plaid", "xx✓xx"]]', "word_list": None, "secret": "quays"}]
    seen = []

    def script(state):
        seen.append(state.history[-1][0])
        word = "stall" if state.history[-1][0] == "stall" else ("quays" if len(seen) % 2 else "meats")
        return f"<think>x</think>\n<guess>{word}</guess>"

    group = sample_group(profile, ScriptedPlayer(script), rows)
    assert group.row is rows[2] and len(group.answers) == profile.grpo.num_generations
    assert set(seen) == {"stall", "plaid"}  # the flat group of repeats was tried first, the one-guess row never
    assert group.scores["feedback_reward"] == [1.0 if "quays" in a else 0.0 for a in group.answers]
    assert group.totals == [1.0 + 2.0 * f for f in group.scores["feedback_reward"]]  # weights (1, 2, 0)
    assert abs(sum(group.advantages)) < 1e-9 and max(group.advantages) > 0 > min(group.advantages)
    with pytest.raises(ValueError, match="none of the 3 rows has 4 guesses played"):
        sample_group(profile, ScriptedPlayer(script), rows, played=4)


def test_a_grpo_trainer_seed_changes_the_trainer_seed_and_the_folder_only(tmp_path) -> None:
    from wordle_helpers.grpo import grpo_config, stage_dir

    profile = get_profile("smoke")
    seeded = dataclasses.replace(profile, grpo=dataclasses.replace(profile.grpo, seed=7))
    plain, other = grpo_config(profile, tmp_path), grpo_config(seeded, tmp_path)
    assert (plain.seed, plain.data_seed) == (profile.data.seed, profile.data.seed)
    assert (other.seed, other.data_seed) == (7, 7) and other.learning_rate == plain.learning_rate
    assert stage_dir(profile).name == "grpo" and stage_dir(seeded).name == "grpo-seed7"
    assert stage_dir(seeded, "base").name == "grpo-from-base-seed7"
