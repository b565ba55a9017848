"""Shared fixtures: the project's word lists and a solver built once per test session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
def benchmark_module():
    """Loads a script of ``benchmarks/`` by name (``"results"``, ``"gpu_memory"``) as a module."""
    folder = Path(__file__).resolve().parents[1] / "benchmarks"

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"benchmark_{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session")
def smoke_base():
    """The smoke profile's tiny base model (built once under outputs/smoke/base, reused after)."""
    from wordle_helpers.modeling import load_base_model
    from wordle_helpers.profiles import get_profile

    return load_base_model(get_profile("smoke"))


@pytest.fixture
def step_watch():
    """A trainer callback for the resume tests: records each finished step in ``steps`` and, once step
    ``stop_at`` is done, raises KeyboardInterrupt as a Ctrl-C or a kernel restart would (``None``: never)."""
    from transformers import TrainerCallback

    class StepWatch(TrainerCallback):
        def __init__(self) -> None:
            self.steps: list[int] = []
            self.stop_at: int | None = None

        def watch(self, stop_at: int | None) -> None:
            """Start watching a new run: no steps seen yet, stop after ``stop_at``."""
            self.steps, self.stop_at = [], stop_at

        def on_step_end(self, args, state, control, **kwargs):
            self.steps.append(state.global_step)
            if state.global_step == self.stop_at:
                raise KeyboardInterrupt

    return StepWatch()
