"""Shared fixtures: the project's word lists and a solver built once per test session."""

from __future__ import annotations

import pytest

from wordle_helpers.solver import EntropySolver
from wordle_helpers.words import load_allowed, load_answers


@pytest.fixture(scope="session")
def answers() -> list[str]:
    return load_answers()


@pytest.fixture(scope="session")
def allowed(answers: list[str]) -> list[str]:
    return load_allowed(answers=answers)


@pytest.fixture(scope="session")
def solver(allowed: list[str], answers: list[str], tmp_path_factory: pytest.TempPathFactory) -> EntropySolver:
    return EntropySolver(allowed, answers, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def smoke_base():
    """The smoke profile's tiny base model (built once under outputs/smoke/base, reused after)."""
    from wordle_helpers.modeling import load_base_model
    from wordle_helpers.profiles import get_profile

    return load_base_model(get_profile("smoke"))
