"""Evaluation: full multi-turn games for many secrets at once, with any player, and single-state checks.

Introduced in notebook 03 and used by every later notebook. A *player* answers a batch of game states
at once: the model (batched generation across games, left padding, greedy unless sampling is asked for),
the solver, a random allowed word, a random consistent answer, or a scripted list for tests. Every game is
a real game: the player sees its own earlier guesses with their true feedback; an answer that cannot be
parsed, or is not an allowed word, uses up the turn and is recorded with its failure kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
import math
import time

import numpy as np

from wordle_helpers.game import MAX_GUESSES, feedback
from wordle_helpers.parsing import Failure, parse_answer
from wordle_helpers.prompts import GUESS_CLOSE, answer_text, build_messages

History = list[tuple[str, str]]


@dataclass(frozen=True)
class GameState:
    """What a player sees: the valid guesses so far with feedback, how many turns remain, and the words it
    wrote earlier that were not allowed (each cost a turn)."""

    history: tuple[tuple[str, str], ...]
    guesses_left: int
    rejected: tuple[str, ...] = ()


@dataclass
class Turn:
    """One turn of a game: the raw answer, the word played (``None`` if invalid) and its feedback."""

    completion: str
    word: str | None
    pattern: str | None
    strict: bool
    failure: str | None
    consistent: bool
    attempt: str | None = None  # the five letters written, allowed or not
    attempt_allowed: bool = False  # whether ``attempt`` is an allowed word (played or not)


@dataclass
class GameRecord:
    """A finished game."""

    secret: str
    turns: list[Turn] = field(default_factory=list)

    @property
    def won(self) -> bool:
        return any(t.pattern == "✓" * 5 for t in self.turns)

    @property
    def guesses(self) -> int:
        return len(self.turns)

    @property
    def history(self) -> History:
        return [(t.word, t.pattern) for t in self.turns if t.word is not None and t.pattern is not None]

    @property
    def repeats(self) -> list[bool]:
        """Per turn, whether its five letters repeat an answer this game already holds (a word played again,
        whose feedback already said it is not the secret, or a non-word written again): a wasted turn."""
        written = [t.attempt for t in self.turns]
        return [word is not None and word in written[:k] for k, word in enumerate(written)]

    @property
    def rejected(self) -> tuple[str, ...]:
        """Five-letter answers that were not allowed words, in order, each once (a real word in an answer that
        lost its turn for another reason, such as two guess blocks, is not one)."""
        lost = (t.attempt for t in self.turns if t.word is None and t.attempt and not t.attempt_allowed)
        return tuple(dict.fromkeys(lost))


class Player:
    """Base class: ``answer(states)`` returns one completion text per state."""

    name = "player"

    def answer(self, states: Sequence[GameState]) -> list[str]:
        raise NotImplementedError


class WordPlayer(Player):
    """A player that chooses words; its answers are wrapped in the course format (always well formed)."""

    def __init__(self, name: str, choose: Callable[[History], str]) -> None:
        self.name = name
        self.choose = choose

    def answer(self, states: Sequence[GameState]) -> list[str]:
        return [answer_text("", self.choose(list(state.history))) for state in states]


class ScriptedPlayer(Player):
    """Plays fixed completions in order, per game slot: for tests and worked examples."""

    name = "scripted"

    def __init__(self, script: Callable[[GameState], str]) -> None:
        self.script = script

    def answer(self, states: Sequence[GameState]) -> list[str]:
        return [self.script(state) for state in states]


def solver_player(solver) -> WordPlayer:
    """The solver as a player."""
    return WordPlayer("solver", solver.next_guess)


def random_allowed_player(allowed: Sequence[str], seed: int = 0) -> WordPlayer:
    """A uniformly random allowed word every turn."""
    rng = np.random.default_rng(seed)
    return WordPlayer("random allowed word", lambda history: allowed[int(rng.integers(len(allowed)))])


def random_consistent_player(solver, seed: int = 0) -> WordPlayer:
    """A uniformly random answer that still fits every hint."""
    rng = np.random.default_rng(seed)
    return WordPlayer("random consistent", lambda history: solver.answers[int(rng.choice(solver.candidate_indices(history)))])


BASELINES = ("random", "consistent", "solver")


def make_player(profile, which: str, answers: Sequence[str], allowed: Sequence[str], seed: int = 0) -> Player:
    """A player by name (notebook 05 and ``evaluate --model``): a baseline (``random`` allowed word,
    ``consistent`` candidate, ``solver``) or a model (``base``, ``sft``, ``grpo``, ``grpo-from-base``, or a
    LoRA adapter folder), greedy, batched as the profile says."""
    if which in BASELINES:
        from wordle_helpers.solver import EntropySolver

        if which == "random":
            return random_allowed_player(list(allowed), seed)
        solver = EntropySolver(list(allowed), list(answers))
        return solver_player(solver) if which == "solver" else random_consistent_player(solver, seed)
    from wordle_helpers.modeling import load_model

    model, tokenizer = load_model(profile, which)
    return ModelPlayer(model, tokenizer, name=which, batch_size=profile.evaluation.batch_size,
                       max_new_tokens=profile.evaluation.max_new_tokens)


def tokens_that_may_close(tokenizer) -> list[bool]:
    """Per token id, whether its text holds a ``>``, so that it may end a guess block (``guess_blocks_done``)."""
    return [">" in (token or "") for token in tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))]


def guess_blocks_done(tokenizer, prompt_length: int, may_close: list[bool], blocks: int = 2):
    """A stopping criterion for ``generate``: an answer ends once it holds ``blocks`` complete guess blocks.

    With two guess blocks a turn is lost whatever the answer writes next (see ``playable_word``), so decoding
    further only costs time: a batch generates until its longest answer ends, and one answer that runs on to
    ``max_new_tokens`` would set the length of its whole batch. An answer's text is read again only at a token
    that ``may_close`` marks (:func:`tokens_that_may_close`). Notebook 03 introduces it with ``ModelPlayer``.
    """
    import torch
    from transformers import StoppingCriteria

    class GuessBlocksDone(StoppingCriteria):
        def __init__(self) -> None:
            self.done: list[bool] = []

        def __call__(self, input_ids, scores, **kwargs):
            self.done = self.done or [False] * len(input_ids)
            for row, last in enumerate(input_ids[:, -1].tolist()):
                if not self.done[row] and last < len(may_close) and may_close[last]:
                    text = tokenizer.decode(input_ids[row, prompt_length:], skip_special_tokens=True)
                    self.done[row] = text.count(GUESS_CLOSE) >= blocks
            return torch.tensor(self.done, device=input_ids.device)

    return GuessBlocksDone()


class ModelPlayer(Player):
    """A language model answering many game states per ``generate`` call (left padding, greedy by default).

    An answer stops at its end-of-turn token, at ``max_new_tokens``, or at its second complete guess block,
    where its turn is already lost (``guess_blocks_done``); the text it would have written after that is not
    recorded."""

    def __init__(
        self,
        model,
        tokenizer,
        name: str = "model",
        batch_size: int = 64,
        max_new_tokens: int = 96,
        do_sample: bool = False,
        temperature: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.model, self.tokenizer, self.name = model, tokenizer, name
        self.batch_size, self.max_new_tokens = batch_size, max_new_tokens
        self.do_sample, self.temperature, self.seed = do_sample, temperature, seed
        self.may_close = tokens_that_may_close(tokenizer)  # once: a large vocabulary takes a moment to scan

    def prompts(self, states: Sequence[GameState]) -> list[str]:
        return [
            self.tokenizer.apply_chat_template(
                build_messages(list(s.history), guesses_left=s.guesses_left, rejected=s.rejected), tokenize=False,
                continue_final_message=True
            )
            for s in states
        ]

    def answer(self, states: Sequence[GameState]) -> list[str]:
        """One completion per state. Sampling is seeded from ``seed`` in a forked generator, so the caller's
        random state and the tokenizer's padding side are as they were afterwards."""
        import torch

        texts = self.prompts(states)
        out: list[str] = []
        device = next(self.model.parameters()).device
        padding_side, self.tokenizer.padding_side = self.tokenizer.padding_side, "left"
        try:
            with torch.random.fork_rng(devices=[device.index or 0] if device.type == "cuda" else []):
                for start in range(0, len(texts), self.batch_size):
                    out += self._generate(texts[start : start + self.batch_size], self.seed + start, device)
        finally:
            self.tokenizer.padding_side = padding_side
        return out

    def _generate(self, texts: list[str], seed: int, device) -> list[str]:
        import torch

        batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        batch = {k: v.to(device) for k, v in batch.items()}
        options = {"do_sample": self.do_sample, "max_new_tokens": self.max_new_tokens,
                   "pad_token_id": self.tokenizer.pad_token_id}
        if self.do_sample:
            torch.manual_seed(seed)
            options["temperature"] = self.temperature
        else:
            options.update(temperature=None, top_p=None, top_k=None)
        stop = [guess_blocks_done(self.tokenizer, batch["input_ids"].shape[1], self.may_close)]
        with torch.no_grad():
            generated = self.model.generate(**batch, **options, stopping_criteria=stop)
        new_tokens = generated[:, batch["input_ids"].shape[1] :]
        return self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)


def playable_word(parsed, allowed: frozenset[str]) -> str | None:
    """The word an answer plays: its guess when that is an allowed word, even if the layout around it is off
    (counted as a format miss); ``None`` when nothing can be played. Evaluation and the board both use it."""
    return parsed.word if parsed.word in allowed and parsed.failure is not Failure.TWO_GUESSES else None


def _is_consistent(word: str | None, history: History) -> bool:
    return word is not None and all(feedback(g, word) == p for g, p in history)


def play_games(
    player: Player,
    secrets: Sequence[str],
    allowed: Sequence[str] | frozenset[str],
    max_guesses: int = MAX_GUESSES,
    progress: bool = False,
) -> list[GameRecord]:
    """Play one full game per secret, all games advancing one turn per round (one batch per round)."""
    allowed_set = frozenset(allowed)
    games = [GameRecord(secret=s.lower()) for s in secrets]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=max_guesses, desc=f"{player.name}: turns", leave=False)
    for _ in range(max_guesses):
        active = [g for g in games if not g.won and g.guesses < max_guesses]
        if not active:
            break
        states = [GameState(tuple(g.history), max_guesses - g.guesses, g.rejected) for g in active]
        answers = player.answer(states)
        for game, completion in zip(active, answers):
            parsed = parse_answer(completion, allowed_set)
            word = playable_word(parsed, allowed_set)
            pattern = feedback(word, game.secret) if word is not None else None
            failure = str(parsed.failure) if parsed.failure else None
            game.turns.append(Turn(completion, word, pattern, parsed.strict, failure, _is_consistent(word, game.history),
                                   parsed.word, parsed.word in allowed_set))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return games


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a proportion."""
    if trials == 0:
        return (0.0, 0.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def turn_reward_means(records: Sequence[GameRecord]) -> dict[str, float]:
    """Each course reward's mean over every turn of ``records``, each answer scored against the game's
    history before it (notebook 05)."""
    from wordle_helpers.rewards import COURSE_REWARDS, history_cell

    completions, histories = [], []
    for game in records:
        played: History = []
        for turn in game.turns:
            completions.append(turn.completion)
            histories.append(history_cell(played))
            if turn.word is not None:
                played = played + [(turn.word, turn.pattern)]
    if not completions:
        return {reward.__name__: 0.0 for reward in COURSE_REWARDS}
    columns = {"past_guess_history": histories, "word_list": [None] * len(completions)}
    return {reward.__name__: float(np.mean(reward(prompts=None, completions=completions, **columns)))
            for reward in COURSE_REWARDS}


def game_metrics(records: Sequence[GameRecord]) -> dict[str, object]:
    """Win rate with a 95% interval, mean guesses on wins, per-turn format/allowed/consistent rates,
    each reward's mean per turn, failure kinds, repeated answers (the share of turns, and the lost games that
    hold one), a guess histogram, and each secret's outcome (guesses to win, 0 for a loss)."""
    turns = [t for g in records for t in g.turns]
    wins = [g for g in records if g.won]
    rate = lambda n: n / len(turns) if turns else 0.0  # noqa: E731
    histogram = Counter(g.guesses for g in wins)
    repeats = [g.repeats for g in records]
    return {
        "games": len(records),
        "wins": len(wins),
        "win_rate": len(wins) / len(records) if records else 0.0,
        "win_rate_ci": list(wilson_interval(len(wins), len(records))),
        "mean_guesses": float(np.mean([g.guesses for g in wins])) if wins else None,
        "turns": len(turns),
        "format_rate": rate(sum(t.strict for t in turns)),
        "allowed_rate": rate(sum(t.word is not None for t in turns)),
        "consistent_rate": rate(sum(t.consistent for t in turns)),
        "rewards": turn_reward_means(records),
        "failures": dict(Counter(t.failure for t in turns if t.failure)),
        "repeat_rate": rate(sum(sum(r) for r in repeats)),
        "losses_with_repeat": sum(any(r) for g, r in zip(records, repeats) if not g.won),
        "histogram": {str(n): histogram.get(n, 0) for n in range(1, MAX_GUESSES + 1)} | {"fail": len(records) - len(wins)},
        "secrets": secret_outcomes(records),
    }


def secret_outcomes(records: Sequence[GameRecord]) -> dict[str, int]:
    """Each secret's outcome: the guesses it took to win, 0 for a loss (what :func:`paired_comparison` pairs)."""
    return {g.secret: (g.guesses if g.won else 0) for g in records}


def evaluate_games(player: Player, secrets: Sequence[str], allowed: Sequence[str], progress: bool = False) -> dict[str, object]:
    """:func:`play_games` then :func:`game_metrics`, with the wall time in ``seconds``."""
    start = time.perf_counter()
    records = play_games(player, secrets, allowed, progress=progress)
    metrics = game_metrics(records)
    metrics["seconds"] = round(time.perf_counter() - start, 2)
    metrics["player"] = player.name
    return metrics


def evaluate_states(player: Player, states: Sequence[Mapping[str, object]]) -> dict[str, float]:
    """One answer per GRPO-style state: strict format, allowed and consistent rates, and each reward's mean."""
    from wordle_helpers.rewards import COURSE_REWARDS, allowed_words, parse_history

    histories = [parse_history(s["past_guess_history"]) for s in states]
    answers = player.answer([GameState(tuple(h), MAX_GUESSES - len(h)) for h in histories])
    columns = {"past_guess_history": [s["past_guess_history"] for s in states], "word_list": [s.get("word_list") for s in states]}
    allowed = allowed_words(None)
    parsed = [parse_answer(a, allowed) for a in answers]
    result = {
        "states": len(states),
        "format_rate": float(np.mean([p.strict for p in parsed])),
        "allowed_rate": float(np.mean([p.word is not None and p.word in allowed for p in parsed])),
        "consistent_rate": float(np.mean([p.word in allowed and _is_consistent(p.word, h) for p, h in zip(parsed, histories)])),
    }
    for reward in COURSE_REWARDS:
        result[reward.__name__] = float(np.mean(reward(prompts=None, completions=answers, **columns)))
    result["answers"] = answers
    return result


def paired_comparison(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, float]:
    """Compare two runs game by game on the secrets both played (``metrics["secrets"]`` of each).

    Counts the secrets won by both, by only one, by neither, and gives the exact two-sided McNemar test's
    p-value: under "no real difference", the games won by only one run are equally likely to be either's.
    """
    common = sorted(set(before) & set(after))
    only_before = sum(before[s] > 0 and after[s] == 0 for s in common)
    only_after = sum(after[s] > 0 and before[s] == 0 for s in common)
    both = sum(before[s] > 0 and after[s] > 0 for s in common)
    discordant = only_before + only_after
    tail = sum(math.comb(discordant, k) for k in range(min(only_before, only_after) + 1))
    p_value = min(1.0, 2 * tail / 2**discordant) if discordant else 1.0
    n = len(common)
    return {
        "games": n,
        "both_won": both,
        "only_before": only_before,
        "only_after": only_after,
        "neither": n - both - only_before - only_after,
        "win_rate_before": (both + only_before) / n if n else 0.0,
        "win_rate_after": (both + only_after) / n if n else 0.0,
        "difference": (only_after - only_before) / n if n else 0.0,
        "p_value": p_value,
    }


def random_change_yardstick(profile, secrets: Sequence[str], allowed: Sequence[str], progress: bool = False) -> dict[str, object] | None:
    """What a change of the SFT adapter *at random* does to the same games, beside GRPO's change (notebook 05).

    GRPO's change is measured tensor by tensor (GRPO's adapter minus SFT's). For each of the profile's
    ``yardstick_scales`` and ``yardstick_seeds``, Gaussian noise of that multiple of each tensor's change is
    added to the SFT adapter and the secrets are played greedily. Every run, GRPO's included, is compared with
    SFT's games one by one: how many it played differently, how many outcomes changed, the paired test. A
    paired test says that two players differ on these secrets; if noise that alters as many games moves the
    win rate as much, the difference says little about what GRPO learnt. All runs use the unmerged adapter, so
    that they differ only by its weights. ``None`` when the SFT or the GRPO adapter is missing.
    """
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    from wordle_helpers.modeling import checkpoint_dir, load_model

    files = {stage: checkpoint_dir(profile, stage) / "final" / "adapter_model.safetensors" for stage in ("sft", "grpo")}
    if not all(path.exists() for path in files.values()):
        return None
    sft_state, grpo_state = load_file(str(files["sft"])), load_file(str(files["grpo"]))
    if sft_state.keys() != grpo_state.keys() or any(sft_state[k].shape != grpo_state[k].shape for k in sft_state):
        raise ValueError(f"the adapters in {files['sft'].parent} and {files['grpo'].parent} hold different tensors; "
                         "GRPO continues the SFT adapter, so train GRPO again from this SFT checkpoint")
    model, tokenizer = load_model(profile, "sft", merge=False)
    settings = profile.evaluation
    player = ModelPlayer(model, tokenizer, batch_size=settings.batch_size, max_new_tokens=settings.max_new_tokens)

    def play(state: Mapping[str, object], name: str) -> list[GameRecord]:
        set_peft_model_state_dict(model, state)
        player.name = name
        return play_games(player, secrets, allowed, progress=progress)

    def noisy(scale: float, seed: int) -> dict[str, object]:
        generator = torch.Generator().manual_seed(seed)
        state = {}
        for key, weight in sft_state.items():
            noise = torch.randn(weight.shape, generator=generator)
            noise *= scale * (grpo_state[key] - weight).float().norm() / noise.norm().clamp_min(1e-12)
            state[key] = (weight.float() + noise).to(weight.dtype)
        return state

    def compared(records: list[GameRecord], **labels: object) -> dict[str, object]:
        differently = sum([t.completion for t in a.turns] != [t.completion for t in b.turns] for a, b in zip(sft, records))
        return {**labels, "played_differently": differently, **paired_comparison(sft_outcomes, secret_outcomes(records))}

    try:
        sft = play(sft_state, "SFT")
        sft_outcomes = secret_outcomes(sft)
        runs = [compared(play(grpo_state, "SFT + GRPO"), change="GRPO")]
        for scale in settings.yardstick_scales:
            for seed in range(settings.yardstick_seeds):
                runs.append(compared(play(noisy(scale, seed), f"SFT + noise x{scale:g}"),
                                     change=f"noise x{scale:g}, seed {seed}", scale=scale, seed=seed))
    finally:
        set_peft_model_state_dict(model, sft_state)
    return {"games": len(secrets), "runs": runs}


def yardstick_table(yardstick: Mapping[str, object]) -> str:
    """Notebook 05's yardstick runs as a text table, GRPO first."""
    header = (f"{'change of the SFT adapter':<26}{'played differently':>20}{'only SFT won':>14}{'only it won':>13}"
              f"{'win points':>12}{'p':>8}")
    lines = [header, "-" * len(header)]
    for run in yardstick["runs"]:
        lines.append(f"{run['change']:<26}{run['played_differently']:>20}{run['only_before']:>14}{run['only_after']:>13}"
                     f"{100 * run['difference']:>+12.1f}{run['p_value']:>8.3f}")
    return "\n".join(lines)


def record_dict(record: GameRecord) -> dict[str, object]:
    """A game as plain data for JSON: the secret, whether it was won, and each turn's answer and outcome."""
    return {"secret": record.secret, "won": record.won, "guesses": record.guesses,
            "turns": [{"completion": t.completion, "word": t.word, "pattern": t.pattern, "strict": t.strict,
                       "failure": t.failure, "consistent": t.consistent} for t in record.turns]}


def compare_players(
    profile, names: Sequence[str], secrets: Sequence[str], answers: Sequence[str], allowed: Sequence[str],
    showcase: str = "frost", progress: bool = True,
) -> dict[str, object]:
    """Every player of ``names`` on the same ``secrets`` (notebook 05): metrics per player, the ``showcase``
    game of each, a paired comparison of ``sft`` and ``grpo`` when both played, and the wall time of each.

    A model without a checkpoint is listed under ``missing`` with the command that makes it.
    """
    results: dict[str, dict[str, object]] = {}
    games: dict[str, list[dict[str, object]]] = {}
    missing: dict[str, str] = {}
    for name in names:
        try:
            player = make_player(profile, name, answers, allowed)
        except FileNotFoundError as error:
            missing[name] = str(error)
            continue
        start = time.perf_counter()
        records = play_games(player, secrets, allowed, progress=progress)
        metrics = game_metrics(records)
        metrics["seconds"] = round(time.perf_counter() - start, 2)
        results[name] = metrics
        shown = play_games(player, [showcase], allowed)[0]
        games[name] = [record_dict(shown)] + [record_dict(r) for r in records[:4]]
    report: dict[str, object] = {"profile": profile.name, "secrets": len(secrets), "players": results,
                                 "games": games, "missing": missing}
    if "sft" in results and "grpo" in results:
        report["paired_sft_grpo"] = paired_comparison(results["sft"]["secrets"], results["grpo"]["secrets"])
    return report


def metrics_table(results: Mapping[str, Mapping[str, object]]) -> str:
    """A fixed-width text table of the main metrics, one row per player (notebook 05, ``make course``)."""
    header = f"{'player':<16}{'wins':>8}{'95% CI':>16}{'guesses':>9}{'format':>8}{'allowed':>9}{'consistent':>11}"
    lines = [header, "-" * len(header)]
    for name, m in results.items():
        low, high = m["win_rate_ci"]
        guesses = f"{m['mean_guesses']:.2f}" if m.get("mean_guesses") else "–"
        lines.append(f"{name:<16}{m['win_rate']:>8.1%}{f'{low:.1%}–{high:.1%}':>16}{guesses:>9}"
                     f"{m['format_rate']:>8.0%}{m['allowed_rate']:>9.0%}{m['consistent_rate']:>11.0%}")
    return "\n".join(lines)


def save_report(report: Mapping[str, object], path) -> None:
    """Write a :func:`compare_players` report as JSON (``outputs/<profile>/eval.json``)."""
    import json
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
