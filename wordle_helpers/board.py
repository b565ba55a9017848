"""The Wordle board: play against the trained model, watch it or the solver, or duel it (notebook 06).

``WordleBoard`` is an ipywidgets application. It only renders and dispatches: every rule (what a valid
guess is, hard mode, repeats, when a game ends) is :class:`wordle_helpers.game.WordleGame`'s, and the model
plays exactly as in evaluation (the same prompt, the same parser; an answer that cannot be played costs the
model its turn). The model loads the first time it is asked to play, with its status shown; without a trained
checkpoint the board says how to make one and the rest keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
import html

import numpy as np

from wordle_helpers.evaluation import GameState, Player, playable_word
from wordle_helpers.game import CORRECT, PRESENT, WordleGame, WordleInputError
from wordle_helpers.parsing import parse_answer
from wordle_helpers.profiles import Profile

TILE_COLOURS = {CORRECT: "#6aaa64", PRESENT: "#c9b458", "x": "#787c7e"}
STATE_NAMES = {CORRECT: "correct", PRESENT: "present", "x": "absent"}
KEY_COLOUR = "#d3d6da"
KEY_ROWS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
# A letter's key shows the best thing known about it.
_RANK = {"x": 1, PRESENT: 2, CORRECT: 3}
PLAYERS = ("You", "Model", "Solver")
BOARD_CSS = """<style>
.wordle-grid { display: grid; grid-template-columns: repeat(5, 52px); gap: 5px; margin: 6px 0; }
.wordle-tile { width: 52px; height: 52px; display: flex; align-items: center; justify-content: center;
  font: bold 26px sans-serif; text-transform: uppercase; border: 2px solid #d3d6da; box-sizing: border-box;
  color: #ffffff; }
.wordle-tile.empty { color: #1a1a1b; background: #ffffff; }
.wordle-tile.lost { color: #9a9a9a; background: #f4f4f4; border-style: dashed; }
.wordle-side-title { font: bold 15px sans-serif; margin-top: 4px; }
.wordle-message { font: 14px sans-serif; min-height: 1.4em; }
.wordle-think { font: 12px monospace; white-space: pre-wrap; max-width: 420px; }
</style>"""


@dataclass
class Side:
    """One game shown on the board: its engine game and, per turn, the note shown beside a lost turn."""

    title: str
    game: WordleGame
    lost: list[int] = field(default_factory=list)  # row numbers of turns lost to an unplayable answer
    rejected: list[str] = field(default_factory=list)  # five-letter answers that were not allowed words

    def rows(self) -> list[tuple[str | None, str | None]]:
        """Each used turn in order: ``(guess, pattern)``, or ``(None, None)`` for a lost turn."""
        played = iter(self.game.history)
        return [(None, None) if row in self.lost else next(played) for row in range(self.game.turns_used)]

    def html(self) -> str:
        """The 6×5 grid; every tile carries its state as a class and a ``data-state`` attribute."""
        tiles = []
        rows = self.rows()
        for row in range(self.game.max_guesses):
            word, pattern = rows[row] if row < len(rows) else (None, None)
            for spot in range(5):
                if row < len(rows) and word is None:
                    tiles.append('<div class="wordle-tile lost" data-state="lost">?</div>')
                elif word is None:
                    tiles.append('<div class="wordle-tile empty" data-state="empty"></div>')
                else:
                    symbol = pattern[spot]
                    tiles.append(
                        f'<div class="wordle-tile {STATE_NAMES[symbol]}" data-state="{STATE_NAMES[symbol]}" '
                        f'style="background:{TILE_COLOURS[symbol]};border-color:{TILE_COLOURS[symbol]}">'
                        f"{word[spot].upper()}</div>"
                    )
        title = html.escape(self.title)
        return f'<div class="wordle-side-title">{title}</div><div class="wordle-grid" data-side="{title}">{"".join(tiles)}</div>'


def letter_states(history: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The best feedback each guessed letter has had (``✓`` over ``-`` over ``x``), for the keyboard."""
    states: dict[str, str] = {}
    for guess, pattern in history:
        for letter, symbol in zip(guess.upper(), pattern):
            if _RANK[symbol] > _RANK.get(states.get(letter, ""), 0):
                states[letter] = symbol
    return states


def describe_answer(completion: str, allowed: frozenset[str]) -> tuple[str | None, str]:
    """The word a model answer plays (lenient, as in evaluation) and a short note for the board."""
    return _describe(parse_answer(completion, allowed), allowed)


def _describe(parsed, allowed: frozenset[str]) -> tuple[str | None, str]:
    word = playable_word(parsed, allowed)
    if word is not None:
        note = "" if parsed.strict else f" (format: {parsed.failure})"
        return word, f"played {word.upper()}{note}"
    why = str(parsed.failure) if parsed.failure else "no guess"
    shown = f" {parsed.word.upper()!r}" if parsed.word else ""
    return None, f"answer could not be played ({why}{shown}); the turn is lost"


class WordleBoard:
    """The board: a grid, a keyboard, an entry box, game options and a player selector (notebook 06).

    ``model_player`` is called once, the first time the model must move, and returns a
    :class:`~wordle_helpers.evaluation.Player` (by default the profile's newest checkpoint, GRPO then SFT);
    if it raises, its message is shown and the model stays unavailable. ``solver`` likewise builds the
    solver. ``secrets`` are the random secrets (the test split by default).
    """

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        secrets: Sequence[str] | None = None,
        allowed: Sequence[str] | None = None,
        model_player: Callable[[], Player] | None = None,
        solver: Callable[[], object] | None = None,
        seed: int | None = None,
    ) -> None:
        import ipywidgets as widgets

        from wordle_helpers.words import load_allowed, load_answers, split_secrets

        answers = load_answers()
        self.allowed = frozenset(w.lower() for w in (allowed if allowed is not None else load_allowed(answers=answers)))
        self.secrets = [s.lower() for s in (secrets if secrets is not None else split_secrets(answers).test)]
        self.profile = profile
        self._model_loader = model_player or (lambda: load_model_player(profile))
        self._solver_loader = solver or _default_solver
        self._model: Player | None = None
        self._model_error: str | None = None
        self._solver = None
        self._rng = np.random.default_rng(seed)
        self.message = ""
        self.thinking = ""

        self.grid = widgets.HTML()
        self.duel_grid = widgets.HTML(layout=widgets.Layout(display="none"))
        self.entry = widgets.Text(placeholder="type a 5-letter word, then Enter", layout=widgets.Layout(width="230px"))
        self.entry.on_msg(self._on_entry_message)
        self.guess_button = widgets.Button(description="Guess", button_style="primary", layout=widgets.Layout(width="80px"))
        self.guess_button.on_click(lambda _: self.submit())
        self.new_game_button = widgets.Button(description="New game", layout=widgets.Layout(width="100px"))
        self.new_game_button.on_click(lambda _: self.new_game())
        self.secret_source = widgets.Dropdown(
            options=[("a random test secret", "random"), ("typed by a friend (hidden)", "typed")],
            value="random", description="Secret:", layout=widgets.Layout(width="330px"),
        )
        self.secret_entry = widgets.Password(placeholder="friend: type the secret here", layout=widgets.Layout(width="230px"))
        self.hard_mode = widgets.Checkbox(value=False, description="Hard mode", indent=False)
        self.player = widgets.ToggleButtons(options=list(PLAYERS), value="You", description="Player:")
        self.duel = widgets.Checkbox(value=False, description="Duel: you against the model", indent=False)
        self.step_button = widgets.Button(description="Step", tooltip="the chosen player makes one guess")
        self.step_button.on_click(lambda _: self.step())
        self.auto_button = widgets.Button(description="Auto-play", tooltip="the chosen player plays to the end")
        self.auto_button.on_click(lambda _: self.auto_play())
        self.status = widgets.HTML()
        self.message_box = widgets.HTML()
        self.think_box = widgets.HTML()
        self.keys: dict[str, object] = {}
        key_rows = []
        for number, letters in enumerate(KEY_ROWS):
            row = []
            if number == 2:
                row.append(self._key("Enter", self.submit, width="64px"))
            for letter in letters:
                self.keys[letter] = self._key(letter, lambda letter=letter: self.type_letter(letter))
                row.append(self.keys[letter])
            if number == 2:
                row.append(self._key("⌫", self.backspace, width="48px"))
            key_rows.append(widgets.HBox(row))
        self.keyboard = widgets.VBox(key_rows)
        self.hard_mode.observe(lambda change: self._hard_mode_changed(), names="value")
        self.player.observe(lambda change: self._player_changed(), names="value")
        self.duel.observe(lambda change: self.new_game(), names="value")

        boards = widgets.HBox([widgets.VBox([self.grid]), widgets.VBox([self.duel_grid]), self.think_box])
        self.widget = widgets.VBox([
            widgets.HTML(BOARD_CSS),
            widgets.HBox([self.secret_source, self.secret_entry, self.new_game_button]),
            widgets.HBox([self.hard_mode, self.duel]),
            widgets.HBox([self.player, self.step_button, self.auto_button]),
            self.status,
            boards,
            widgets.HBox([self.entry, self.guess_button]),
            self.message_box,
            self.keyboard,
        ])
        self.widget.add_class("wordle-board")
        self.you: Side
        self.rival: Side | None = None
        self.new_game()
        self._player_changed()

    # ------------------------------------------------------------------------------------------ display

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _key(self, label: str, action: Callable[[], None], width: str = "36px"):
        import ipywidgets as widgets

        button = widgets.Button(description=label, layout=widgets.Layout(width=width, height="40px"))
        button.style.button_color = KEY_COLOUR
        button.on_click(lambda _: action())
        return button

    def _say(self, text: str, kind: str = "info") -> None:
        self.message = text
        colour = {"info": "#1a1a1b", "error": "#b00020", "win": "#2e7d32"}[kind]
        self.message_box.value = f'<div class="wordle-message" data-kind="{kind}" style="color:{colour}">{html.escape(text)}</div>'

    def _refresh(self) -> None:
        self.grid.value = self.you.html()
        self.duel_grid.value = self.rival.html() if self.rival else ""
        self.duel_grid.layout.display = None if self.rival else "none"
        states = letter_states(self.you.game.history)
        for letter, key in self.keys.items():
            symbol = states.get(letter)
            key.style.button_color = TILE_COLOURS[symbol] if symbol else KEY_COLOUR
            key.style.text_color = "#ffffff" if symbol else "#1a1a1b"
        self.think_box.value = (f'<div class="wordle-think"><b>Reasoning</b>\n{html.escape(self.thinking)}</div>'
                                if self.thinking else "")

    def key_colours(self) -> dict[str, str]:
        """Each keyboard letter's current colour."""
        return {letter: key.style.button_color for letter, key in self.keys.items()}

    def tile_states(self, side: str = "you") -> list[list[str]]:
        """Per row, each tile's state: ``correct``, ``present``, ``absent``, ``lost`` or ``empty``."""
        chosen = self.you if side == "you" else self.rival
        if chosen is None:
            raise ValueError("there is no model board: switch Duel on first")
        rows = chosen.rows()
        return [
            ["empty"] * 5 if row >= len(rows) else ["lost"] * 5 if rows[row][0] is None
            else [STATE_NAMES[s] for s in rows[row][1]]
            for row in range(chosen.game.max_guesses)
        ]

    # ------------------------------------------------------------------------------------------ games

    def new_game(self) -> None:
        """Start a game on a random test secret or the friend's hidden word; a bad secret changes nothing."""
        if self.secret_source.value == "typed":
            typed = self.secret_entry.value.strip().lower()
            if not typed:
                self._say("Type the secret word in the hidden box first (or choose a random secret).", "error")
                return
            try:
                secret = WordleGame(typed, allowed=self.allowed).check_guess(typed)
            except WordleInputError as error:
                self._say(f"That secret cannot be used: {error}.", "error")
                return
            self.secret_entry.value = ""
        else:
            secret = str(self.secrets[int(self._rng.integers(len(self.secrets)))])
        self.you = Side("You" if self.duel.value else "Board", self._game(secret))
        self.rival = Side("Model", self._game(secret)) if self.duel.value else None
        self.thinking = ""
        self.entry.value = ""
        self._refresh()
        self._say("Duel: make your first guess; the model answers each one." if self.rival
                  else "New game: six guesses to find the word.")

    def _game(self, secret: str) -> WordleGame:
        return WordleGame(secret, allowed=self.allowed, hard_mode=self.hard_mode.value, refuse_repeats=True)

    def _hard_mode_changed(self) -> None:
        if self.you.game.turns_used == 0:
            for side in (self.you, self.rival):
                if side is not None:
                    side.game.hard_mode = self.hard_mode.value
            self._say(f"Hard mode {'on' if self.hard_mode.value else 'off'}.")
        else:
            self._say(f"Hard mode will be {'on' if self.hard_mode.value else 'off'} from the next game.")

    # ------------------------------------------------------------------------------------------ your moves

    def _on_entry_message(self, _widget, content, _buffers) -> None:
        if content.get("event") == "submit":
            self.submit()

    def type_letter(self, letter: str) -> None:
        """An on-screen key: add a letter to the entry box (five at most)."""
        if len(self.entry.value) < 5:
            self.entry.value += letter.upper()

    def backspace(self) -> None:
        self.entry.value = self.entry.value[:-1]

    def submit(self, text: str | None = None) -> None:
        """Play your guess (the entry box's text by default); an invalid one is explained and changes nothing."""
        word = (self.entry.value if text is None else text).strip()
        if self.player.value != "You" and not self.rival:
            self._say(f"The {self.player.value.lower()} is playing: choose Player 'You' to type guesses.", "error")
            return
        if not word:
            self._say("Type a five-letter word first.", "error")
            return
        game = self.you.game
        try:
            game.guess(word)
        except WordleInputError as error:
            self._say(str(error)[:1].upper() + str(error)[1:] + ".", "error")
            return
        self.entry.value = ""
        said = [f"You played {word.strip().upper()}."]
        if self.rival is not None:
            # The model answers each of your guesses; once your game is over it plays out its own.
            while not self.rival.game.is_over:
                note = self._model_move(self.rival)
                said.append(f"Model {note}." if note else "")
                if note is None or not self.you.game.is_over:
                    break
        if all(said[1:]):
            self._say(" ".join(said))
        self._refresh()
        self._announce()

    # ------------------------------------------------------------------------------------------ other players

    def _player_changed(self) -> None:
        watching = self.player.value != "You"
        self.step_button.disabled = self.auto_button.disabled = not watching or bool(self.rival)
        if self.player.value == "Model":
            self.status.value = self._model_status()
        elif self.player.value == "Solver":
            self.status.value = "Solver: greedy entropy over the answers that still fit."
        else:
            self.status.value = ""

    def _model_status(self) -> str:
        if self._model is not None:
            return f"Model: ready ({html.escape(self._model.name)})."
        if self._model_error is not None:
            return f"Model: unavailable. {html.escape(self._model_error)}"
        return "Model: not loaded yet; it loads on its first move."

    def model(self) -> Player | None:
        """The model player, loaded on first use with its status shown; ``None`` when there is none."""
        if self._model is None and self._model_error is None:
            self.status.value = "Model: loading…"
            try:
                self._model = self._model_loader()
            except Exception as error:  # any failure to load is shown, the board keeps working
                self._model_error = str(error)
            self.status.value = self._model_status()
        return self._model

    def step(self) -> None:
        """The chosen player (model or solver) makes one guess on the board."""
        if self.you.game.is_over:
            self._say("The game is over: press New game.", "error")
            return
        if self.player.value == "Model":
            note = self._model_move(self.you)
            if note is not None:
                self._say(f"Model {note}.")
                self._refresh()
                self._announce()
        elif self.player.value == "Solver":
            if self._solver is None:
                self._solver = self._solver_loader()
            word = self._solver.next_guess(list(self.you.game.history))
            self.you.game.guess(word)
            self.thinking = f"Solver: {word.upper()} fits every hint and splits the answers left best."
            self._say(f"Solver played {word.upper()}.")
            self._refresh()
            self._announce()
        else:
            self._say("Choose the model or the solver to watch it play; type your own guesses below.", "error")

    def auto_play(self) -> None:
        """The chosen player plays until the game ends."""
        while not self.you.game.is_over and self.player.value != "You":
            turns = self.you.game.turns_used
            self.step()
            if self.you.game.turns_used == turns:  # nothing happened (no model): stop
                break

    def _model_move(self, side: Side) -> str | None:
        """One model answer played on ``side``; returns what happened, or ``None`` when there is no model."""
        player = self.model()
        if player is None:
            self._say("No trained model: " + (self._model_error or "") + " You can still play and watch the solver.",
                      "error")
            return None
        game = side.game
        completion = player.answer([GameState(tuple(game.history), game.guesses_left, tuple(side.rejected))])[0]
        self.thinking = completion if completion.strip() else "(empty answer)"
        parsed = parse_answer(completion, self.allowed)
        word, note = _describe(parsed, self.allowed)
        if word is not None:
            try:
                game.guess(word)
            except WordleInputError as error:
                word, note = None, f"{word.upper()} cannot be played ({error}); the turn is lost"
        if word is None:
            side.lost.append(game.turns_used)
            game.lose_turn()
            attempt = parsed.word
            if attempt and attempt not in self.allowed and attempt not in side.rejected:
                side.rejected.append(attempt)  # shown to the model next turn, as in evaluation
        return note

    # ------------------------------------------------------------------------------------------ outcome

    def _announce(self) -> None:
        you = self.you.game
        if self.rival is None:
            if you.is_won:
                self._say(f"Solved in {you.turns_used}: {you.secret.upper()}!", "win")
            elif you.is_over:
                self._say(f"Out of guesses: the word was {you.secret.upper()}.", "error")
            return
        model = self.rival.game
        if not (you.is_over and model.is_over):
            return
        secret = you.secret.upper()
        if you.is_won and (not model.is_won or you.turns_used < model.turns_used):
            self._say(f"You win the duel: {you.turns_used} guesses against the model's "
                      f"{model.turns_used if model.is_won else 'none'}. The word was {secret}.", "win")
        elif model.is_won and (not you.is_won or model.turns_used < you.turns_used):
            self._say(f"The model wins the duel in {model.turns_used} against your "
                      f"{you.turns_used if you.is_won else 'none'}. The word was {secret}.", "error")
        elif you.is_won:
            self._say(f"A draw: both solved it in {you.turns_used}. The word was {secret}.", "info")
        else:
            self._say(f"Nobody solved it: the word was {secret}.", "info")


def _default_solver():
    # The teacher's solver: it plays only answers that still fit, so it is legal in hard mode too.
    from wordle_helpers.datasets import _default_solver as teacher

    return teacher()


def load_model_player(profile: Profile | None) -> Player:
    """The profile's newest trained model (GRPO, else SFT) as a greedy player; says how to train one if none."""
    from wordle_helpers.evaluation import ModelPlayer
    from wordle_helpers.grpo import MissingCheckpointError
    from wordle_helpers.modeling import checkpoint_dir, load_model
    from wordle_helpers.profiles import get_profile

    profile = profile or get_profile()
    for stage in ("grpo", "sft"):
        if (checkpoint_dir(profile, stage) / "final" / "adapter_config.json").exists():
            model, tokenizer = load_model(profile, stage)
            return ModelPlayer(model, tokenizer, name=f"{profile.name} {stage}", batch_size=1,
                               max_new_tokens=profile.evaluation.max_new_tokens)
    raise MissingCheckpointError(
        f"no trained checkpoint for profile {profile.name!r} yet; make one with "
        f"`python -m wordle_helpers sft --profile {profile.name}` (then `grpo`), or run notebooks 03-04."
    )
