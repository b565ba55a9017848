"""The evaluation loop on scripted players: real multi-turn games, wasted turns, metrics."""

from __future__ import annotations

import pytest

from wordle_helpers.evaluation import (
    GameState,
    ModelPlayer,
    ScriptedPlayer,
    evaluate_games,
    evaluate_states,
    game_metrics,
    guess_blocks_done,
    play_games,
    random_allowed_player,
    random_consistent_player,
    solver_player,
    tokens_that_may_close,
    wilson_interval,
)


def answer(word: str) -> str:
    return f"r</think>\n<guess>{word}</guess>"


def test_scripted_games_use_true_feedback_and_waste_bad_turns(allowed: list[str]) -> None:
    seen: list[GameState] = []

    def script(state: GameState) -> str:
        seen.append(state)
        turn = 6 - state.guesses_left
        return ["no tags at all", answer("QQQQQ"), answer("SLATE"), answer("CIGAR")][min(turn, 3)]

    records = play_games(ScriptedPlayer(script), ["cigar", "abbey"], allowed)
    cigar, abbey = records
    assert cigar.won and cigar.guesses == 4
    assert [t.failure for t in cigar.turns[:2]] == ["no guess block", "not an allowed word"]
    assert cigar.turns[2].pattern == "xx-xx" and cigar.turns[2].word == "slate"
    # The player saw only the valid guesses, with the turns it had left.
    third = [s for s in seen if s.guesses_left == 4][0]
    assert third.history == () and third.rejected == ("qqqqq",)  # the non-word is shown, the garble is not
    fourth = [s for s in seen if s.guesses_left == 3][0]
    assert fourth.history == (("slate", "xx-xx"),)
    assert not abbey.won and abbey.guesses == 6
    metrics = game_metrics(records)
    assert metrics["games"] == 2 and metrics["wins"] == 1 and metrics["win_rate"] == 0.5
    assert metrics["secrets"] == {"cigar": 4, "abbey": 0}
    assert metrics["failures"] == {"no guess block": 2, "not an allowed word": 2}
    assert metrics["turns"] == 10 and metrics["format_rate"] == pytest.approx(8 / 10)
    assert metrics["mean_guesses"] == 4.0 and metrics["histogram"]["4"] == 1 and metrics["histogram"]["fail"] == 1


def test_only_non_words_are_shown_as_not_allowed(allowed: list[str]) -> None:
    seen: list[GameState] = []

    def script(state: GameState) -> str:
        seen.append(state)
        turn = 6 - state.guesses_left
        return [answer("SLATE") + "\n<guess>CIGAR</guess>", answer("CRANE") + "\n<guess>QQQQQ</guess>",
                answer("CIGAR")][min(turn, 2)]

    record = play_games(ScriptedPlayer(script), ["cigar"], allowed)[0]
    assert [t.failure for t in record.turns[:2]] == ["more than one guess block"] * 2 and record.won
    # Neither two-guess answer is played; only the non-word is listed, never the secret as "not allowed".
    assert seen[1].rejected == () and seen[2].rejected == ("qqqqq",) and record.rejected == ("qqqqq",)


def test_generation_stops_an_answer_at_its_second_guess_block(smoke_base) -> None:
    import torch

    _, tokenizer = smoke_base
    prompt = "<|im_start|>assistant\n<think>x</think>\n<guess>SLATE</guess>\n<guess>CRANE</guess>"
    completions = ["r</think>\n<guess>CRANE</guess>\ntext and more text",  # one block: runs on
                   "r</think>\n<guess>CRANE</guess>\n<guess>CIGAR</guess>\ntext",  # stops at its second block
                   "r</think>\n<guess>CRA</guess>NE <guess></guess> text"]  # garbled, two blocks: stops too

    def encode(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    rows = [encode(prompt + completion) for completion in completions]
    prompt_length = len(encode(prompt))
    assert all(row[:prompt_length] == encode(prompt) for row in rows)  # the prompt's blocks must not count
    width = max(map(len, rows))
    pad = tokenizer.pad_token_id
    ids = torch.tensor([row + [pad] * (width - len(row)) for row in rows])
    stop = guess_blocks_done(tokenizer, prompt_length, tokens_that_may_close(tokenizer))
    first_done = {}
    for end in range(prompt_length + 1, width + 1):  # one call per generated token, as generate makes them
        for row, done in enumerate(stop(ids[:, :end], None).tolist()):
            if done:
                first_done.setdefault(row, end)
    assert 0 not in first_done
    for row in (1, 2):
        text = tokenizer.decode(ids[row, prompt_length:first_done[row]])
        assert text.count("</guess>") == 2 and text.endswith("</guess>")
    assert stop(ids, None).tolist() == [False, True, True]  # a stopped answer stays stopped


def test_sampling_players_repeat_themselves_and_leave_the_callers_state_alone(smoke_base) -> None:
    import torch

    model, tokenizer = smoke_base
    states = [GameState((("slate", "xx-x✓"),), 5), GameState((), 6)] * 3
    player = ModelPlayer(model, tokenizer, batch_size=4, max_new_tokens=12, do_sample=True, seed=3)
    torch.manual_seed(11)
    expected_next = torch.rand(3)
    torch.manual_seed(11)
    side = tokenizer.padding_side
    first = player.answer(states)
    assert torch.equal(torch.rand(3), expected_next) and tokenizer.padding_side == side
    assert player.answer(states) == first
    other_seed = ModelPlayer(model, tokenizer, batch_size=4, max_new_tokens=12, do_sample=True, seed=4)
    assert other_seed.answer(states) != first


def test_lenient_play_of_badly_laid_out_answers(allowed: list[str]) -> None:
    record = play_games(ScriptedPlayer(lambda s: "thinking <guess>CIGAR</guess> done"), ["cigar"], allowed)[0]
    assert record.won and not record.turns[0].strict


def test_consistency_is_measured_against_earlier_feedback(allowed: list[str]) -> None:
    words = iter([answer("SLATE"), answer("CRANE"), answer("CIGAR")])
    record = play_games(ScriptedPlayer(lambda s: next(words)), ["cigar"], allowed)[0]
    # SLATE (first guess) fits; CRANE ignores that S, L, T, E are absent... E is absent, so it does not fit.
    assert [t.consistent for t in record.turns] == [True, False, True]


def test_repeated_answers_are_counted_per_turn_and_per_lost_game(allowed: list[str]) -> None:
    script = {"cigar": ["SLATE", "CRANE", "SLATE", "QZQZQ", "QZQZQ", "CIGAR"],
              "abbey": ["SLATE", "CRANE", "ROUND", "MIGHT", "QZQZQ", "PLUMB"],
              "frost": ["SLATE"] * 6}
    records = [play_games(ScriptedPlayer(lambda s, w=words: answer(w[6 - s.guesses_left])), [secret], allowed)[0]
               for secret, words in script.items()]
    cigar, abbey, frost = records
    assert cigar.won and cigar.repeats == [False, False, True, False, True, False]  # a non-word written again counts
    assert not any(abbey.repeats) and frost.repeats == [False] + [True] * 5
    metrics = game_metrics(records)
    assert metrics["repeat_rate"] == pytest.approx(7 / 18)
    assert metrics["losses_with_repeat"] == 1  # FROST; ABBEY lost without one, CIGAR was won


def test_evaluate_command_reports_the_metrics_as_text_and_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from wordle_helpers.__main__ import main

    assert main(["evaluate", "--profile", "smoke", "--model", "random", "--games", "6", "--split", "test"]) == 0
    text = capsys.readouterr().out
    assert "random on 6 test games" in text and "repeated answers:" in text
    assert main(["evaluate", "--profile", "smoke", "--model", "random", "--games", "6", "--split", "test", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["games"] == 6 and len(report["secrets"]) == 6
    assert 0 <= report["losses_with_repeat"] <= report["games"] - report["wins"] and 0 <= report["repeat_rate"] <= 1


@pytest.mark.parametrize("games, message", [("0", "0 is not a count"), ("-1", "-1 is not a count"),
                                            ("six", "'six' is not a whole number")])
def test_evaluate_command_refuses_a_game_count_below_one(games: str, message: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from wordle_helpers.__main__ import main

    with pytest.raises(SystemExit) as exit_info:  # argparse's usage error, before any game is played
        main(["evaluate", "--profile", "smoke", "--model", "random", "--games", games])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert f"argument --games: {message}" in captured.err and captured.out == ""


def test_baseline_players(solver, allowed: list[str], answers: list[str]) -> None:
    secrets = answers[:30]
    assert evaluate_games(solver_player(solver), secrets, allowed)["win_rate"] == 1.0
    consistent = evaluate_games(random_consistent_player(solver, seed=1), secrets, allowed)
    assert consistent["consistent_rate"] == 1.0 and consistent["win_rate"] > 0.8
    random = evaluate_games(random_allowed_player(allowed, seed=1), secrets, allowed)
    assert random["allowed_rate"] == 1.0 and random["win_rate"] < 0.2


def test_wilson_interval() -> None:
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.404, abs=1e-3) and high == pytest.approx(0.596, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 0.0)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0


def test_state_evaluation(solver) -> None:
    from wordle_helpers.game import feedback
    from wordle_helpers.rewards import history_cell

    states = [{"past_guess_history": history_cell([("slate", feedback("slate", "cigar"))])}] * 3
    result = evaluate_states(solver_player(solver), states)
    assert result["format_rate"] == 1.0 and result["allowed_rate"] == 1.0
    assert 0 < result["info_gain_reward"] <= 1
    garbage = evaluate_states(ScriptedPlayer(lambda s: "???"), states)
    assert garbage["format_rate"] == 0.0 and garbage["format_reward"] == 0.0


def test_turn_rewards_score_each_answer_against_its_own_history(allowed: list[str]) -> None:
    import json

    from wordle_helpers.evaluation import record_dict, turn_reward_means

    script = {0: "<think>open</think>\n<guess>CRANE</guess>", 1: "garbled", 2: "<think>x</think>\n<guess>FROST</guess>"}
    records = play_games(ScriptedPlayer(lambda state: script[6 - state.guesses_left]), ["frost"], allowed)
    means = turn_reward_means(records)
    assert means["format_reward"] == pytest.approx((1.0 + 0.0 + 1.0) / 3)
    # FROST after CRANE (R green): R kept in place +0.2, four untested letters +0.05 each = 0.4.
    # CRANE with no history scores 0.1; the garbled answer 0.0.
    assert means["feedback_reward"] == pytest.approx((0.1 + 0.0 + 0.4) / 3)
    assert json.loads(json.dumps(record_dict(records[0])))["turns"][1]["word"] is None


def test_compare_players_pairs_and_reports_missing_models(allowed: list[str], answers: list[str]) -> None:
    from dataclasses import replace

    from wordle_helpers.evaluation import compare_players, metrics_table
    from wordle_helpers.figures import plot_boards, plot_guess_histograms, plot_win_rates
    from wordle_helpers.profiles import get_profile

    profile = replace(get_profile("smoke"), name="nocheckpoint")
    secrets = ["frost", "crane", "plant", "ghost"]
    report = compare_players(profile, ["random", "solver", "grpo"], secrets, answers, allowed, progress=False)
    assert set(report["players"]) == {"random", "solver"}
    assert "wordle_helpers grpo --profile nocheckpoint" in report["missing"]["grpo"]
    solver = report["players"]["solver"]
    assert solver["win_rate"] == 1.0 and solver["consistent_rate"] > 0.5 and set(solver["secrets"]) == set(secrets)
    assert report["games"]["solver"][0]["secret"] == "frost" and report["games"]["solver"][0]["won"]
    assert "paired_sft_grpo" not in report
    table = metrics_table(report["players"])
    assert table.splitlines()[2].startswith("random") and "100.0%" in table.splitlines()[3]
    boards = plot_boards({"solver": report["games"]["solver"][0]})
    assert len(boards.axes[0].patches) == 30
    assert plot_win_rates(report["players"]).axes and plot_guess_histograms(report["players"]).axes
