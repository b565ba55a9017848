"""Write small fixtures in the exact schema of the hub datasets, from the project's own rows.

    python scripts/make_hub_fixtures.py      # writes data/fixtures/*

The rows are ours (our prompt wording, our games), including deliberately malformed ones like those the
hub copies contain, so the loaders' normalisation is tested offline through the same `datasets` code.
"""

from __future__ import annotations

import json
from pathlib import Path

from wordle_helpers.game import feedback
from wordle_helpers.prompts import answer_text, build_messages, think_text
from wordle_helpers.rewards import history_cell

OUT = Path(__file__).resolve().parents[1] / "data" / "fixtures"
WORD_LIST = "word_list_sample.csv"
WORDS = ["CRANE", "SLATE", "BRICK", "ABBEY", "SPEED", "STONE", "PLANT", "TRAIN", "GLORY", "ALLEY",
         "CHAOS", "NIGHT", "WRITE", "EERIE", "BABES", "KEBAB", "ABYSS", "ERASE", "SWEAT", "TRAIL"]


def chatml(messages: list[dict[str, str]]) -> str:
    """Render messages the way the hub's prompt column holds them (ChatML, open assistant turn)."""
    parts = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>" for m in messages[:-1]]
    return "\n".join(parts) + f"\n<|im_start|>assistant\n{messages[-1]['content']}"


def game(secret: str, guesses: list[str]) -> list[tuple[str, str]]:
    return [(g.lower(), feedback(g, secret)) for g in guesses]


def grpo_rows() -> list[dict[str, str]]:
    good = [
        ("ALLEY", ["CRANE", "SWEAT"]),
        ("BRICK", []),
        ("ABBEY", ["BABES"]),
        ("SPEED", ["ERASE", "STONE"]),
        ("GLORY", ["CRANE", "SLATE", "PLANT"]),
        ("NIGHT", ["TRAIN"]),
        ("CHAOS", ["CRANE", "SLATE", "ABYSS", "TRAIL"]),
        ("WRITE", ["CRANE"]),
    ]
    rows = []
    for secret, guesses in good:
        history = game(secret, guesses)
        cell = history_cell(history)
        rows.append({"prompt": chatml(build_messages(history)), "word_list": WORD_LIST,
                     "past_guess_history": cell, "secret": secret})
    # Malformed rows, as the hub copies have (a bad secret) and worse (broken histories).
    bad = [
        ("CRAN3", "[]"),
        ("", "[]"),
        ("TOOLONG", "[]"),
        ("STONE", "[['CRANE', 'C(x) R(✓)']]"),
        ("STONE", "not a list"),
        ("STONE", "__import__('os').system('echo unsafe')"),
        ("STONE", "[['CRANE', 'S(x) L(x) A(✓) T(x) E(x)']]"),
    ]
    for secret, cell in bad:
        rows.append({"prompt": chatml(build_messages([])), "word_list": WORD_LIST,
                     "past_guess_history": cell, "secret": secret})
    return rows


def sft_rows() -> list[dict[str, str]]:
    rows = []
    for secret, guesses in [("ALLEY", ["CRANE", "SWEAT"]), ("TRAIN", ["SLATE"]), ("STONE", [])]:
        history = game(secret, guesses)
        words_left = 3
        good = answer_text(think_text(history, secret, words_left, True), secret)
        rows.append({"prompt": chatml(build_messages(history)), "completion": good})
        # The hub's common flaw: reasoning that never closes with </think>.
        rows.append({"prompt": chatml(build_messages(history)),
                     "completion": good.replace("</think>", "")})
    return rows


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (("wordle_grpo_sample.jsonl", grpo_rows()), ("wordle_sft_sample.jsonl", sft_rows())):
        with open(OUT / name, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    # Like one known copy of the hub's word list: a byte-order mark, one upper-case `Word` column.
    (OUT / WORD_LIST).write_text("\ufeffWord\n" + "\n".join(sorted(WORDS)) + "\n", encoding="utf-8")
    print(f"wrote fixtures to {OUT}")


if __name__ == "__main__":
    main()
