"""Word lists: invariants of the shipped lists, reading user files, and the secret split."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from wordle_helpers.words import (
    ALLOWED_FILE,
    ANSWERS_FILE,
    WordListError,
    load_allowed,
    read_word_file,
    split_secrets,
)

FIVE = re.compile(r"[a-z]{5}")


@pytest.mark.parametrize("path", [ANSWERS_FILE, ALLOWED_FILE])
def test_shipped_lists_are_clean(path: Path) -> None:
    lines = path.read_text(encoding="ascii").splitlines()
    assert all(FIVE.fullmatch(line) for line in lines)
    assert len(lines) == len(set(lines))
    assert lines == sorted(lines)


def test_shipped_list_sizes_and_subset(answers: list[str]) -> None:
    allowed = read_word_file(ALLOWED_FILE)
    assert 2_200 <= len(answers) <= 2_400
    assert 12_000 <= len(allowed) <= 14_000
    assert set(answers) <= set(allowed)


def test_reads_plain_list_any_case_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("\ufeffCRANE\r\nslate\n\n  Abbey  \ncrane\n", encoding="utf-8")
    assert read_word_file(path) == ["crane", "slate", "abbey"]


def test_reads_csv_word_column_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "words.csv"
    path.write_text("\ufeffWord\nCRANE\nSLATE\n", encoding="utf-8")
    assert read_word_file(path) == ["crane", "slate"]
    wide = tmp_path / "wide.csv"
    wide.write_text("rank,word,count\n1,Crane,10\n2,slate,5\n", encoding="utf-8")
    assert read_word_file(wide) == ["crane", "slate"]


def test_bad_lines_are_reported_with_numbers(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_text("crane\ncran\nslate\nsl4te\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"2 line\(s\).*line 2: 'cran' \(not 5 letters\).*line 4: 'sl4te'"):
        read_word_file(path)
    assert read_word_file(path, strict=False) == ["crane", "slate"]


def test_csv_bad_lines_use_file_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "words.csv"
    path.write_text("Word\nCRANE\n\nAB\n", encoding="utf-8")
    with pytest.raises(WordListError, match="line 4: 'AB'"):
        read_word_file(path)


def test_csv_without_word_column(tmp_path: Path) -> None:
    path = tmp_path / "words.csv"
    path.write_text("name,count\ncrane,1\n", encoding="utf-8")
    with pytest.raises(WordListError, match="no 'Word' column"):
        read_word_file(path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(WordListError, match="does not exist"):
        read_word_file(tmp_path / "nope.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(WordListError, match="no five-letter words"):
        read_word_file(empty)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00crane")
    with pytest.raises(WordListError, match="not UTF-8"):
        read_word_file(binary)


def test_allowed_always_contains_answers(tmp_path: Path) -> None:
    path = tmp_path / "allowed.txt"
    path.write_text("crane\n", encoding="utf-8")
    assert load_allowed(path, answers=["slate", "crane"]) == ["crane", "slate"]


def test_split_is_deterministic_disjoint_and_complete(answers: list[str]) -> None:
    split = split_secrets(answers)
    again = split_secrets(list(reversed(answers)))
    assert split == again
    parts = [set(split.train), set(split.validation), set(split.test)]
    assert sum(len(p) for p in parts) == len(set(answers))
    assert set().union(*parts) == set(answers)
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert len(split.test) == round(len(answers) * 0.10)
    assert split_secrets(answers, seed=1) != split
    assert split["test"] == split.test
    with pytest.raises(KeyError, match="unknown split"):
        split["dev"]


def test_split_rejects_bad_fractions(answers: list[str]) -> None:
    with pytest.raises(ValueError, match="fractions"):
        split_secrets(answers, validation_fraction=0.6, test_fraction=0.5)
