"""Cheap checks of every notebook before nbmake executes them: valid, stripped, parseable, well-shaped."""

from __future__ import annotations

import ast
from pathlib import Path
import re

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_parses(path: Path) -> None:
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), "name: NN_topic.ipynb, no spaces or brackets"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    for cell in code:
        assert not cell.outputs and cell.execution_count is None, "commit notebooks with outputs stripped"
        ast.parse(cell.source)
        assert "sys.path" not in cell.source, "the package is installed; no sys.path changes"
    assert "environment_report" in code[0].source, "the first code cell prints the profile and versions"
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "## What you saw" in text and "## Exercise" in text
    assert "check_" in code[-1].source, "the exercise ends with its check function"
