"""Self-checks for the notebooks' exercises: each ``check_*`` says whether an answer is right and why.

A test runs every check against its reference answer, so the exercises stay solvable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from wordle_helpers.game import consistent_words, feedback
from wordle_helpers.rewards import history_cell, parse_history


def _report(ok: bool, good: str, bad: str) -> bool:
    print(("✅ " + good) if ok else ("❌ " + bad))
    return ok


def _read(answer: object, convert: Callable[[object], object], kind: str,
          text_ok: bool = False) -> tuple[object, str]:
    """``(converted answer, "")``, or ``(None, what was wrong)`` when ``answer`` is not ``kind`` (a learner's
    placeholder, a string where a list belongs): the check then says so instead of raising."""
    try:
        if isinstance(answer, (str, bytes)) and not text_ok:
            raise TypeError("text where a collection belongs")
        return convert(answer), ""
    except (TypeError, ValueError, AttributeError):
        shown = repr(answer)
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        return None, f"expected {kind}, got {type(answer).__name__} {shown}"


# Notebook 01: which answers still fit this history?
EXERCISE_01_HISTORY = [("slate", feedback("slate", "cigar")), ("crony", feedback("crony", "cigar"))]


def check_candidates(answer: Sequence[str], words: Sequence[str]) -> bool:
    """Notebook 01 exercise: ``answer`` must be exactly the words of ``words`` that fit ``EXERCISE_01_HISTORY``."""
    expected = set(consistent_words(list(words), EXERCISE_01_HISTORY))
    given, problem = _read(answer, lambda a: {w.lower() for w in a}, "a list of words")
    if problem:
        return _report(False, "", problem)
    missing, extra = sorted(expected - given), sorted(given - expected)
    return _report(
        not missing and not extra,
        f"right: {len(expected)} words fit",
        f"missing {missing[:5]}{'…' if len(missing) > 5 else ''}; should not be there {extra[:5]}",
    )


def reference_consistency_reward(prompts: object, completions: list[str], past_guess_history: list[str], **kwargs: object) -> list[float]:
    """Notebook 02 exercise, reference answer: 1.0 when the guess could still be the secret, else 0.0."""
    from wordle_helpers.parsing import parse_answer

    scores = []
    for completion, cell in zip(completions, past_guess_history):
        word = parse_answer(completion).word
        try:
            history = parse_history(cell)
        except ValueError:
            scores.append(0.0)
            continue
        scores.append(1.0 if word and all(feedback(g, word) == p for g, p in history) else 0.0)
    return scores


def check_consistency_reward(reward: Callable[..., list[float]], seed: int = 0) -> bool:
    """Notebook 02 exercise: ``reward`` must pay 1.0 exactly for guesses that fit every hint, never raise,
    and handle garbled completions."""
    rng = np.random.default_rng(seed)
    secrets = ["cigar", "abbey", "speed", "crane", "trait"]
    words = ["crane", "slate", "abbey", "babes", "trait", "tract", "cigar", "speed", "steed", "eerie"]
    completions, cells = [], []
    for _ in range(60):
        secret = secrets[int(rng.integers(len(secrets)))]
        history = [(w, feedback(w, secret)) for w in rng.choice(words, size=int(rng.integers(0, 3)), replace=False)]
        guess = words[int(rng.integers(len(words)))]
        completions.append(f"r</think>\n<guess>{guess.upper()}</guess>")
        cells.append(history_cell(history))
    completions += ["garbage", "", "r</think>\n<guess>C4ANE</guess>"]
    cells += ["[]", "not a list", "[]"]
    try:
        got = list(reward(prompts=None, completions=completions, past_guess_history=cells))
    except Exception as error:  # the exercise is exactly about not raising
        return _report(False, "", f"your reward raised {type(error).__name__}: {error}")
    expected = reference_consistency_reward(None, completions, cells)
    wrong = [i for i, (a, b) in enumerate(zip(got, expected)) if a != b]
    return _report(
        len(got) == len(expected) and not wrong,
        "right on all 63 completions",
        f"{len(wrong)} of {len(expected)} scores differ (first: completion {completions[wrong[0]]!r} with history "
        f"{cells[wrong[0]]}: expected {expected[wrong[0]]}, got {got[wrong[0]]})" if wrong else "wrong number of scores",
    )


def trained_token_count(batch: dict, row: int = 0) -> int:
    """Notebook 03 exercise, reference answer: tokens of ``row`` whose label is not -100 (the loss covers them)."""
    return int((batch["labels"][row] != -100).sum())


def check_trained_token_count(answer: int, batch: dict, row: int = 0) -> bool:
    """Notebook 03 exercise: how many tokens of the first collated example does the SFT loss train?"""
    expected = trained_token_count(batch, row)
    total = int(batch["attention_mask"][row].sum())
    given, problem = _read(answer, int, "a whole number", text_ok=True)
    if problem:
        return _report(False, "", problem)
    return _report(
        given == expected,
        f"right: {expected} of {total} tokens are trained; the prompt's {total - expected} are masked with -100",
        "not quite: count the labels that are not -100 (hint: (batch['labels'][0] != -100).sum())",
    )


def check_advantages(answer: Sequence[float], rewards: Sequence[float]) -> bool:
    """Notebook 04 exercise: GRPO advantages of one group, ``(r - mean) / std`` (sample standard deviation)."""
    from wordle_helpers.grpo import group_advantages

    expected = group_advantages(list(rewards))
    given, problem = _read(answer, lambda a: [float(x) for x in a], f"a list of {len(expected)} numbers")
    if problem:
        return _report(False, "", problem)
    ok = len(given) == len(expected) and all(abs(a - e) < 1e-2 for a, e in zip(given, expected))
    return _report(ok, "right: answers above the group mean get positive advantages, below it negative",
                   f"expected {[round(e, 2) for e in expected]}, got {[round(a, 2) for a in given]}")


# Notebook 06: the keyboard's colours after two guesses.
EXERCISE_06_HISTORY = [("arose", feedback("arose", "frost")), ("stink", feedback("stink", "frost"))]


def check_keyboard(answer: dict[str, str]) -> bool:
    """Notebook 06 exercise: the symbol each guessed letter's key shows after ``EXERCISE_06_HISTORY``
    (``✓`` beats ``-`` beats ``x``: a key shows the best thing known about its letter)."""
    from wordle_helpers.board import letter_states

    expected = letter_states(EXERCISE_06_HISTORY)
    given, problem = _read(answer, lambda a: {str(k).upper(): v for k, v in dict(a).items()},
                           "a dict from letter to symbol, e.g. {\"A\": \"x\"}")
    if problem:
        return _report(False, "", problem)
    wrong = sorted(k for k in expected.keys() | given.keys() if expected.get(k) != given.get(k))
    return _report(not wrong, "right: each key keeps the best colour its letter has earned",
                   f"these keys are wrong or missing: {', '.join(wrong)}")


def check_paired_p_value(answer: float, only_before: int, only_after: int) -> bool:
    """Notebook 05 exercise: the exact two-sided McNemar p-value when ``only_before`` secrets were won only
    before and ``only_after`` only after (the games won or lost by both say nothing about the change)."""
    from wordle_helpers.evaluation import paired_comparison

    before = {f"s{i}": 1 for i in range(only_before)} | {f"t{i}": 0 for i in range(only_after)}
    after = {f"s{i}": 0 for i in range(only_before)} | {f"t{i}": 1 for i in range(only_after)}
    expected = paired_comparison(before, after)["p_value"]
    given, problem = _read(answer, float, "a number", text_ok=True)
    if problem:
        return _report(False, "", problem)
    ok = abs(given - expected) < 1e-3
    return _report(ok, f"right: p = {expected:.4f}",
                   f"expected p = {expected:.4f}, got {given:.4f}: under no change, each of the "
                   f"{only_before + only_after} split games is a fair coin flip; double the smaller tail")
