"""The board driven from Python: typed guesses, clicks, mode switches; tiles, keys and messages asserted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from wordle_helpers.board import KEY_COLOUR, TILE_COLOURS, WordleBoard, describe_answer, load_model_player
from wordle_helpers.evaluation import GameState, ScriptedPlayer
from wordle_helpers.game import feedback
from wordle_helpers.profiles import get_profile

GREEN, YELLOW, GREY = TILE_COLOURS["✓"], TILE_COLOURS["-"], TILE_COLOURS["x"]


def scripted(*answers: str) -> ScriptedPlayer:
    """A model that gives ``answers`` in order, one per move (the last one repeated)."""
    calls: list[GameState] = []

    def answer(state: GameState) -> str:
        calls.append(state)
        return answers[min(len(calls), len(answers)) - 1]

    player = ScriptedPlayer(answer)
    player.calls = calls
    return player


def answer(word: str) -> str:
    return f"<think>reasoning about {word}</think>\n<guess>{word}</guess>"


@pytest.fixture()
def board(solver) -> WordleBoard:
    return WordleBoard(secrets=["frost"], model_player=lambda: scripted(answer("CRANE")), solver=lambda: solver, seed=0)


def type_and_enter(board: WordleBoard, word: str) -> None:
    board.entry.value = word
    board.entry._handle_custom_msg({"event": "submit"}, [])  # what the browser sends on Enter


def test_a_typed_guess_colours_tiles_and_keys(board: WordleBoard) -> None:
    type_and_enter(board, "arose")
    assert board.tile_states()[0] == ["absent", "correct", "correct", "correct", "absent"]
    assert board.tile_states()[1] == ["empty"] * 5
    keys = board.key_colours()
    assert keys["A"] == GREY and keys["R"] == GREEN and keys["S"] == GREEN and keys["Q"] == KEY_COLOUR
    assert board.entry.value == ""
    assert 'data-state="correct"' in board.grid.value and ">R<" in board.grid.value
    # A later yellow S does not repaint the green S key.
    board.entry.value = "stink"
    board.guess_button.click()
    assert board.tile_states()[1] == ["present", "present", "absent", "absent", "absent"]
    assert board.key_colours()["S"] == GREEN and board.key_colours()["T"] == YELLOW


def test_on_screen_keyboard_types_and_submits(board: WordleBoard) -> None:
    for letter in "FROSTY":
        board.keys[letter].click()
    assert board.entry.value == "FROST"  # five letters at most
    board.keyboard.children[2].children[-1].click()  # ⌫
    assert board.entry.value == "FROS"
    board.keys["T"].click()
    board.keyboard.children[2].children[0].click()  # Enter
    assert board.you.game.is_won
    assert "Solved in 1: FROST" in board.message


@pytest.mark.parametrize(
    ("typed", "says"),
    [("cran", "exactly 5"), ("zzzzz", "not in the allowed word list"), ("cr4ne", "letters only"), ("", "Type a five")],
)
def test_invalid_input_is_explained_and_changes_nothing(board: WordleBoard, typed: str, says: str) -> None:
    type_and_enter(board, "crane")
    before = (list(board.you.game.history), board.grid.value, board.key_colours())
    type_and_enter(board, typed)
    assert says in board.message
    assert 'data-kind="error"' in board.message_box.value
    assert (list(board.you.game.history), board.grid.value, board.key_colours()) == before


def test_repeats_hard_mode_and_game_over_are_refused(solver) -> None:
    board = WordleBoard(secrets=["frost"], solver=lambda: solver, seed=0)
    board.hard_mode.value = True
    assert "Hard mode on" in board.message
    type_and_enter(board, "arose")
    type_and_enter(board, "arose")
    assert "already guessed" in board.message and board.you.game.turns_used == 1
    type_and_enter(board, "crane")  # drops the known O and S
    assert "Hard mode: 3rd letter must be O" in board.message and board.you.game.turns_used == 1
    board.hard_mode.value = False
    assert "next game" in board.message and board.you.game.hard_mode  # not changed mid-game
    type_and_enter(board, "frost")
    type_and_enter(board, "ghost")
    assert "game is over" in board.message and board.you.game.turns_used == 2
    board.new_game_button.click()
    assert board.you.game.turns_used == 0 and not board.you.game.hard_mode
    assert board.tile_states() == [["empty"] * 5] * 6


def test_a_friend_types_a_hidden_secret(board: WordleBoard) -> None:
    board.secret_source.value = "typed"
    board.secret_entry.value = "qxzvb"
    board.new_game_button.click()
    assert "cannot be used" in board.message and board.you.game.secret == "frost"  # unchanged
    board.secret_entry.value = "Plant"
    board.new_game_button.click()
    assert board.you.game.secret == "plant" and board.secret_entry.value == ""  # hidden again
    shown = board.grid.value + board.message_box.value + board.status.value + board.think_box.value
    assert "plant" not in shown.lower()
    type_and_enter(board, "plant")
    assert board.you.game.is_won


def test_watching_the_solver_and_the_model(board: WordleBoard) -> None:
    board.player.value = "Solver"
    assert not board.step_button.disabled
    type_and_enter(board, "crane")
    assert "choose Player 'You'" in board.message and board.you.game.turns_used == 0
    board.auto_play()
    assert board.you.game.is_won and "Solved in" in board.message
    board.new_game()
    board.player.value = "Model"
    assert "not loaded" in board.status.value
    board.step()
    assert "ready" in board.status.value
    assert board.you.game.history == [("crane", feedback("crane", "frost"))]
    assert "reasoning about CRANE" in board.think_box.value
    assert "played CRANE" in board.message


def test_garbled_model_output_costs_its_turn_and_never_crashes(solver) -> None:
    garbled = ["", "<guess>", "\x00\ufffd" * 50, "<think>no closing tag <guess>QQQQQ</guess>", answer("CRANE")]
    model = scripted(*garbled)
    board = WordleBoard(secrets=["frost"], model_player=lambda: model, solver=lambda: solver, seed=0)
    board.player.value = "Model"
    board.auto_play()
    states = board.tile_states()
    assert states[:4] == [["lost"] * 5] * 4
    assert states[4] == ["absent", "correct", "absent", "absent", "absent"]
    assert states[5] == ["lost"] * 5  # CRANE again: a repeat is refused, the turn is lost
    assert board.you.game.is_over and not board.you.game.is_won
    assert "the word was FROST" in board.message
    # The model saw its turns being used up, as in evaluation.
    assert [state.guesses_left for state in model.calls] == [6, 5, 4, 3, 2, 1]


def test_without_a_checkpoint_the_board_says_how_and_still_plays(solver) -> None:
    profile = get_profile("smoke")
    profile = replace(profile, name="nocheckpoint")
    with pytest.raises(FileNotFoundError, match="wordle_helpers sft --profile nocheckpoint"):
        load_model_player(profile)
    board = WordleBoard(profile, secrets=["frost"], solver=lambda: solver, seed=0)
    board.player.value = "Model"
    board.step()
    assert "unavailable" in board.status.value and "wordle_helpers sft" in board.status.value
    assert "You can still play" in board.message and board.you.game.turns_used == 0
    board.player.value = "Solver"
    board.step()
    assert board.you.game.turns_used == 1


def test_duel_announces_the_winner(solver) -> None:
    model = scripted(answer("CRANE"), answer("FROST"))
    board = WordleBoard(secrets=["frost"], model_player=lambda: model, solver=lambda: solver, seed=0)
    board.duel.value = True
    assert board.rival is not None and board.rival.game.secret == board.you.game.secret
    assert board.duel_grid.layout.display is None and board.step_button.disabled
    type_and_enter(board, "arose")
    assert board.tile_states("model")[0] == ["absent", "correct", "absent", "absent", "absent"]
    assert "You played AROSE" in board.message and "Model played CRANE" in board.message
    type_and_enter(board, "ghost")
    assert board.rival.game.is_won and not board.you.game.is_over
    type_and_enter(board, "frost")
    assert "model wins the duel in 2 against your 3" in board.message


def test_duel_plays_out_the_model_after_you_finish(solver) -> None:
    model = scripted(answer("CRANE"), answer("GHOST"), answer("FROST"))
    board = WordleBoard(secrets=["frost"], model_player=lambda: model, solver=lambda: solver, seed=0)
    board.duel.value = True
    type_and_enter(board, "frost")
    assert board.rival.game.is_won and board.rival.game.turns_used == 3
    assert "You win the duel: 1 guesses against the model's 3" in board.message


def test_describe_answer_is_lenient_like_evaluation() -> None:
    allowed = frozenset({"crane", "frost"})
    assert describe_answer("<guess>CRANE</guess>", allowed) == ("crane", "played CRANE (format: no </think>)")
    word, note = describe_answer("no tags at all", allowed)
    assert word is None and "turn is lost" in note
