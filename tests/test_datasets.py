"""Hub loaders on the committed fixture, offline behaviour, and the local generators' rows."""

from __future__ import annotations

import logging
from pathlib import Path
import re
import shutil
import time

import pytest

from wordle_helpers import datasets as course_data
from wordle_helpers.datasets import (
    HUB_GRPO,
    HubUnavailableError,
    generate_grpo_rows,
    generate_sft_rows,
    load_hub_grpo,
    load_hub_sft,
)
from wordle_helpers.game import consistent_words
from wordle_helpers.parsing import parse_answer
from wordle_helpers.prompts import answer_text, think_text
from wordle_helpers.rewards import format_reward, parse_history
from wordle_helpers.solver import EntropySolver
from wordle_helpers.words import ALLOWED_FILE, split_secrets

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
GRPO_FIXTURE = FIXTURES / "wordle_grpo_sample.jsonl"
SFT_FIXTURE = FIXTURES / "wordle_sft_sample.jsonl"


@pytest.fixture(scope="module")
def teacher(solver: EntropySolver) -> EntropySolver:
    return EntropySolver(solver.guesses, solver.answers, matrix=solver.lists.matrix, opener=solver.opener, candidates_only=True)


def test_grpo_fixture_loads_and_drops_malformed_rows(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        dataset = load_hub_grpo(GRPO_FIXTURE)
    assert dataset.column_names == ["prompt", "secret", "past_guess_history", "word_list"]
    assert len(dataset) == 8
    assert "dropped 7 of 15" in caplog.text
    assert all(re.fullmatch(r"[a-z]{5}", s) for s in dataset["secret"])
    for cell in dataset["past_guess_history"]:
        parse_history(cell)  # canonical and readable
    # The word list cell (a relative file with a byte-order mark) is honoured as a local path.
    assert set(dataset["word_list"]) == {str((FIXTURES / "word_list_sample.csv").resolve())}


def test_grpo_word_list_override() -> None:
    dataset = load_hub_grpo(GRPO_FIXTURE, word_list="project")
    assert set(dataset["word_list"]) == {str(ALLOWED_FILE)}


def test_word_list_urls_are_fetched_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course_data, "OUTPUT_DIR", tmp_path / "outputs")
    copy = tmp_path / "grpo.jsonl"
    url = (FIXTURES / "word_list_sample.csv").resolve().as_uri()
    copy.write_text(GRPO_FIXTURE.read_text(encoding="utf-8").replace('"word_list_sample.csv"', f'"{url}"'), encoding="utf-8")
    dataset = load_hub_grpo(copy)
    (path,) = set(dataset["word_list"])
    assert path.startswith(str(tmp_path / "outputs")) and Path(path).read_text(encoding="utf-8-sig").startswith("Word")
    unreachable = tmp_path / "unreachable.jsonl"
    unreachable.write_text(copy.read_text(encoding="utf-8").replace(url, "http://127.0.0.1:9/words.csv"), encoding="utf-8")
    with pytest.raises(HubUnavailableError, match="word_list='project'"):
        load_hub_grpo(unreachable)


def test_sft_fixture_keeps_rows_as_published() -> None:
    dataset = load_hub_sft(SFT_FIXTURE)
    assert dataset.column_names == ["prompt", "completion"] and len(dataset) == 6
    strict = [parse_answer(c).strict for c in dataset["completion"]]
    assert strict.count(False) == 3  # the rows whose reasoning never closes


def test_hub_offline_fails_fast_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    # A closed local port stands in for an unreachable hub: no traffic leaves the machine.
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    start = time.perf_counter()
    with pytest.raises(HubUnavailableError, match=r"predibase/wordle-grpo.*grpo_dataset\(\)"):
        load_hub_grpo(HUB_GRPO, timeout=2.0)
    with pytest.raises(HubUnavailableError, match=r"predibase/wordle-sft.*sft_dataset\(\)"):
        load_hub_sft(timeout=2.0)
    assert time.perf_counter() - start < 10
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubUnavailableError, match="HF_HUB_OFFLINE"):
        load_hub_grpo(HUB_GRPO)


def test_local_source_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="no .csv"):
        load_hub_grpo(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "secret": "crane"}\n')
    with pytest.raises(ValueError, match="past_guess_history"):
        load_hub_grpo(bad)


def _check_think_is_true(think: str, history: list[tuple[str, str]], secret: str, answers: list[str]) -> None:
    """Every fact the hints and the reasoning state holds for the secret, and the count matches an exact recount."""
    facts = dict(line.split(": ", 1) for line in think.splitlines())
    if "fixed" in facts:
        for spot, letter in enumerate(facts["fixed"].split()):
            assert letter == "_" or secret[spot] == letter.lower()
    if "has" in facts:
        for entry in facts["has"].split(", "):
            letter, *rest = entry.split()
            assert letter.lower() in secret
            if "not" in rest:
                for spot in rest[rest.index("not") + 1 :]:
                    assert secret[int(spot) - 1] != letter.lower()
    if "no" in facts:
        assert not set(facts["no"].lower().split()) & set(secret)
    count = int(facts["left"].split()[0])
    assert count == len(consistent_words(answers, history))


def test_labels_replace_the_teacher_guess_and_keep_everything_else(teacher: EntropySolver, answers: list[str]) -> None:
    train = split_secrets(answers).train
    plain = generate_sft_rows(train, games=40, seed=3, solver=teacher)
    seen: list[list[tuple[str, str]]] = []

    def last_fitting_answer(histories):
        seen.extend(histories)
        return [teacher.candidates(h)[-1] if h else None for h in histories]

    own = generate_sft_rows(train, games=40, seed=3, solver=teacher, labels=last_fitting_answer)
    assert len(seen) == len(own) == len(plain)
    for row, before, history in zip(own, plain, seen):
        assert (row["prompt"], row["secret"], row["turn"]) == (before["prompt"], before["secret"], before["turn"])
        assert len(history) == row["turn"] - 1
        if not history:
            assert row == before
            continue
        fitting = teacher.candidates(history)
        assert parse_answer(row["completion"]).guess == fitting[-1].upper()
        assert row["completion"] == answer_text(think_text(history, fitting[-1], len(fitting), True), fitting[-1])
    with pytest.raises(ValueError, match="labels_key"):
        course_data.sft_dataset(games=5, labels=last_fitting_answer)


def test_every_generated_sft_row_is_true_and_well_formed(teacher: EntropySolver, answers: list[str]) -> None:
    train = split_secrets(answers).train
    rows = generate_sft_rows(train, games=150, seed=3, solver=teacher)
    assert len(rows) > 300
    assert format_reward(prompts=None, completions=[r["completion"] for r in rows]) == [1.0] * len(rows)
    for row in rows:
        assert row["secret"] in train
        lines = row["prompt"][1]["content"].splitlines()
        history = [(m.group(1).lower(), "".join(re.findall(r"\((.)\)", m.group(2))))
                   for m in (re.match(r"Guess \d: (\w+) -> Feedback: (.*)", line) for line in lines) if m]
        assert len(history) == row["turn"] - 1
        hints = lines[lines.index("Hints:") + 1 : lines.index("", lines.index("Hints:"))] if history else []
        think = parse_answer(row["completion"]).think
        assert [line.split(":")[0] for line in think.splitlines()] == ["left", "why"]  # the hints stay in the prompt
        _check_think_is_true("\n".join([*hints, think]), history, row["secret"], answers)
    assert generate_sft_rows(train, games=150, seed=3, solver=teacher) == rows  # deterministic


def test_grpo_rows_vary_and_use_train_secrets(teacher: EntropySolver, answers: list[str]) -> None:
    split = split_secrets(answers)
    rows = generate_grpo_rows(split.train, rows=400, seed=1, solver=teacher)
    assert len(rows) == 400
    turns = {r["turn"] for r in rows}
    assert turns == {1, 2, 3, 4, 5}
    assert not {r["secret"] for r in rows} & set(split.test)
    histories = {r["past_guess_history"] for r in rows}
    assert len(histories) > 300  # states vary
    for row in rows:
        history = parse_history(row["past_guess_history"])
        assert len(history) == row["turn"] - 1
        assert row["secret"] in consistent_words([row["secret"]], history)
        assert all(pattern != "✓✓✓✓✓" for _, pattern in history)


def test_cached_datasets_reload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(course_data, "OUTPUT_DIR", tmp_path)
    first = course_data.sft_dataset(games=30, seed=2)
    assert list((tmp_path / "data").iterdir())
    again = course_data.sft_dataset(games=30, seed=2)
    assert first.to_list() == again.to_list()
    grpo = course_data.grpo_dataset(rows=40, seed=2)
    assert len(grpo) == 40 and set(grpo.column_names) >= {"prompt", "secret", "past_guess_history", "word_list"}
    with pytest.raises(ValueError, match="test secrets"):
        course_data.sft_dataset(split="test")
    shutil.rmtree(tmp_path / "data")


def test_some_sft_prompts_show_near_miss_non_words(allowed: list[str], answers: list[str]) -> None:
    import re

    import numpy as np

    from wordle_helpers.datasets import generate_sft_rows, near_misses

    misses = near_misses("crane", frozenset(allowed), np.random.default_rng(0), count=2)
    assert len(set(misses)) == 2 and not set(misses) & set(allowed)
    assert all(sum(a != b for a, b in zip(m, "crane")) in (1, 2) for m in misses)
    rows = generate_sft_rows(answers[:50], 40, seed=2)
    shown = [r for r in rows if "Not in the word list: " in r["prompt"][1]["content"]]
    assert 0.1 < len(shown) / len(rows) < 0.4
    for row in shown:
        user = row["prompt"][1]["content"]
        words = re.search(r"Not in the word list: (.*)\n", user).group(1).split(", ")
        guess = re.search(r"<guess>(\w+)</guess>", row["completion"]).group(1)
        assert guess.lower() not in [w.lower() for w in words] and not {w.lower() for w in words} & set(allowed)
        assert f"You have {6 - user.count('Guess ') - len(words)} guess" in user
