"""Studying the rewards (notebook 02): how different players score on the same states, and a hack.

A *player* here picks one guess for a game state; scoring every player's guess on the same states shows
what each reward pays for, and whether the combination ranks good play above bad play.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from wordle_helpers.game import Knowledge
from wordle_helpers.prompts import answer_text
from wordle_helpers.rewards import COURSE_REWARDS, parse_history
from wordle_helpers.solver import EntropySolver

Player = Callable[[list[tuple[str, str]]], str]


def course_players(solver: EntropySolver, seed: int = 0) -> dict[str, Player]:
    """Three players for notebook 02: a random allowed word, a random consistent answer, the solver."""
    rng = np.random.default_rng(seed)

    def random_allowed(history: list[tuple[str, str]]) -> str:
        return solver.guesses[int(rng.integers(len(solver.guesses)))]

    def random_consistent(history: list[tuple[str, str]]) -> str:
        candidates = solver.candidate_indices(history)
        return solver.answers[int(rng.choice(candidates))]

    return {"random word": random_allowed, "random fitting word": random_consistent, "solver": solver.next_guess}


def score_players(
    states: Sequence[Mapping[str, object]],
    players: Mapping[str, Player],
    rewards: Sequence[Callable[..., list[float]]] = COURSE_REWARDS,
    weights: Mapping[str, float] | None = None,
) -> dict[str, dict[str, list[float]]]:
    """``table[reward][player]``: each reward of each player's guess on every state, plus ``total``.

    ``states`` are GRPO rows (``past_guess_history`` and optionally ``word_list``); each guess is wrapped
    in a well-formed answer so the scores reflect the word choice alone.
    """
    weights = dict(weights or {r.__name__: 1.0 for r in rewards})
    histories = [parse_history(state["past_guess_history"]) for state in states]
    columns = {
        "past_guess_history": [state["past_guess_history"] for state in states],
        "word_list": [state.get("word_list") for state in states],
    }
    table: dict[str, dict[str, list[float]]] = {r.__name__: {} for r in rewards}
    table["total"] = {}
    for name, player in players.items():
        completions = [answer_text("", player(history)) for history in histories]
        scores = {r.__name__: r(prompts=None, completions=completions, **columns) for r in rewards}
        for reward, values in scores.items():
            table[reward][name] = values
        table["total"][name] = [sum(weights[r] * scores[r][i] for r in scores) for i in range(len(states))]
    return table


def feedback_hack(history: list[tuple[str, str]]) -> str:
    """A five-letter non-word built to maximise the feedback reward alone (notebook 02's hacking demo).

    Greens stay in place; every other spot gets a present letter not excluded there (the same letter may
    be paid several times), else an untested letter. It uses every hint and is not a word, so format and information rewards see
    through it while the feedback reward alone would pay well for it.
    """
    known = Knowledge.from_history(history)
    tested = {letter for guess, _ in history for letter in guess}
    spare = [c for c in "qjzxvkwyfbghmpdcu" if c not in tested] or ["q"]
    word = []
    for spot in range(5):
        movable = [p for p in known.present if spot not in known.excluded.get(p, ())]
        if spot in known.placed:
            word.append(known.placed[spot])  # +0.2: a green kept
        elif movable:
            word.append(movable[0])  # +0.1: a present letter in a new spot (repeats are paid again)
        else:
            word.append(spare[spot % len(spare)])  # +0.05: an untested letter
    return "".join(word)


def summarise(table: Mapping[str, Mapping[str, Sequence[float]]]) -> list[dict[str, object]]:
    """Mean of every reward per player, as rows for a printed table."""
    players = list(next(iter(table.values())))
    return [
        {"player": player, **{reward: round(float(np.mean(table[reward][player])), 3) for reward in table}}
        for player in players
    ]


__all__ = ["course_players", "feedback_hack", "score_players", "summarise"]
