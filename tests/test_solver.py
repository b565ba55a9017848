"""Pattern matrix and solvers."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from wordle_helpers.__main__ import main
from wordle_helpers.game import feedback
from wordle_helpers.patterns import code_to_pattern
from wordle_helpers.solver import (
    EntropySolver,
    RandomCandidateSolver,
    cached_pattern_matrix,
    pattern_matrix,
)

letters = st.text(alphabet="abcdeilnorst", min_size=5, max_size=5)


@settings(max_examples=50, deadline=None)
@given(st.lists(letters, min_size=1, max_size=30), st.lists(letters, min_size=1, max_size=30))
def test_matrix_agrees_with_scalar_feedback(guesses: list[str], answers: list[str]) -> None:
    matrix = pattern_matrix(guesses, answers)
    assert matrix.dtype == np.uint8 and matrix.shape == (len(guesses), len(answers))
    for g, guess in enumerate(guesses):
        for a, answer in enumerate(answers):
            assert code_to_pattern(matrix[g, a]) == feedback(guess, answer)


def test_matrix_on_real_lists_random_pairs(allowed: list[str], answers: list[str], solver: EntropySolver) -> None:
    rng = np.random.default_rng(0)
    matrix = solver.lists.matrix
    for _ in range(3000):
        g, a = int(rng.integers(len(solver.guesses))), int(rng.integers(len(answers)))
        assert code_to_pattern(matrix[g, a]) == feedback(solver.guesses[g], answers[a])


def test_matrix_single_thread_equals_threaded(answers: list[str]) -> None:
    assert np.array_equal(pattern_matrix(answers[:300], answers, threads=1), pattern_matrix(answers[:300], answers, threads=2))


def test_cache_round_trip_and_rebuild(tmp_path: Path, answers: list[str]) -> None:
    guesses = answers[:50]
    first = cached_pattern_matrix(guesses, answers, tmp_path)
    files = list(tmp_path.glob("patterns-*.npy"))
    assert len(files) == 1
    files[0].write_bytes(b"not a numpy file")
    rebuilt = cached_pattern_matrix(guesses, answers, tmp_path)
    assert np.array_equal(first, rebuilt)
    other = cached_pattern_matrix(answers[:40], answers, tmp_path)
    assert other.shape == (40, len(answers))


def test_entropy_solver_wins_a_sample(solver: EntropySolver, answers: list[str]) -> None:
    rng = np.random.default_rng(1)
    sample = [answers[i] for i in rng.choice(len(answers), 300, replace=False)]
    for secret in sample:
        history = solver.play(secret)
        assert history[-1] == (secret, "✓✓✓✓✓")
        assert len(history) <= 6
        # Every entry is true feedback.
        assert all(feedback(g, secret) == p for g, p in history)


def test_entropy_solver_sweep_quality(solver: EntropySolver) -> None:
    report = solver.play_all()
    assert report.win_rate == 1.0 and report.max_guesses <= 6
    assert report.mean_guesses <= 3.5
    assert sum(report.histogram.values()) == report.games


def test_next_guess_from_text_history_matches_play(solver: EntropySolver) -> None:
    history = solver.play("cigar" if "cigar" in solver.answers else solver.answers[0])
    for turn in range(len(history)):
        assert solver.next_guess(history[:turn]) == history[turn][0]


def test_solver_prefers_a_possible_answer_on_ties(solver: EntropySolver) -> None:
    # Two candidates left: guessing one of them is always right.
    secret = solver.answers[10]
    pair = np.array([10, 11])
    assert solver.guesses[solver.best_guess_index(pair)] == secret


def test_solver_raises_on_impossible_history(solver: EntropySolver) -> None:
    with pytest.raises(ValueError, match="no answer fits"):
        solver.next_guess([("slate", "✓✓✓✓x"), ("crane", "✓✓✓✓x")])


def test_random_candidate_solver_is_seeded_and_consistent(allowed: list[str], answers: list[str], solver: EntropySolver) -> None:
    one = RandomCandidateSolver(allowed, answers, matrix=solver.lists.matrix, seed=5)
    two = RandomCandidateSolver(allowed, answers, matrix=solver.lists.matrix, seed=5)
    games = [one.play(s) for s in answers[:40]]
    assert games == [two.play(s) for s in answers[:40]]
    for history in games:
        for turn, (guess, _) in enumerate(history):
            assert guess in one.candidates(history[:turn])


def test_solver_needs_answers_to_be_guessable(answers: list[str]) -> None:
    solver = EntropySolver(answers[:5], answers[:20], cache_dir=None)
    assert set(answers[:20]) <= set(solver.guesses)


def test_solve_cli_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.csv"
    answers_file.write_text("\ufeffWord\nCRANE\nSLATE\nABBEY\nSPEED\nTRACE\n", encoding="utf-8")
    allowed_file = tmp_path / "allowed.txt"
    allowed_file.write_text("crane\nslate\nabbey\nspeed\ntrace\nsoare\n", encoding="utf-8")
    assert main(["solve", "--answers", str(answers_file), "--allowed", str(allowed_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"games", "win_rate", "mean_guesses", "max_guesses", "histogram", "seconds"}
    assert report["games"] == 5 and report["win_rate"] == 1.0
    assert sum(report["histogram"].values()) == 5


def test_solve_cli_reports_bad_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "answers.txt"
    bad.write_text("crane\nxx\n", encoding="utf-8")
    assert main(["solve", "--answers", str(bad)]) == 2
    error = capsys.readouterr().err
    assert "line 2: 'xx'" in error and "--skip-bad-lines" in error


def test_solve_cli_skips_bad_lines_when_asked(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                                              tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.txt"
    answers_file.write_text("crane\nxx\nslate\n", encoding="utf-8")
    allowed_file = tmp_path / "allowed.txt"
    allowed_file.write_text("soare\nabbey\ntr4ce\n", encoding="utf-8")
    assert main(["solve", "--answers", str(answers_file), "--allowed", str(allowed_file),
                 "--skip-bad-lines", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["games"] == 2
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 2 and "line 2: 'xx'" in skipped[0] and "line 3: 'tr4ce'" in skipped[1]
