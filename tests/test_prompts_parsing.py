"""Prompts in the course format and the answer parser."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from wordle_helpers.game import feedback
from wordle_helpers.parsing import Failure, parse_answer
from wordle_helpers.prompts import (
    ASSISTANT_PREFILL,
    SYSTEM_PROMPT,
    build_messages,
    game_transcript,
    knowledge_lines,
    user_turn,
)


def test_system_prompt_states_rules_symbols_and_format() -> None:
    for fact in ("five-letter", "6 guesses", "✓", "-", "x", "<think>", "</think>", "<guess>", "</guess>"):
        assert fact in SYSTEM_PROMPT
    # The worked example is real feedback.
    assert "C(x) R(✓) A(✓) N(-) E(x)" in SYSTEM_PROMPT and feedback("crane", "train") == "x✓✓-x"


def test_user_turns() -> None:
    assert "first guess" in user_turn([])
    history = [("crane", feedback("crane", "abbey")), ("babes", feedback("babes", "abbey"))]
    text = user_turn(history)
    assert "Guess 1: CRANE -> Feedback: C(x) R(x) A(-) N(x) E(-)" in text
    assert "Guess 2: BABES -> Feedback: B(-) A(-) B(✓) E(✓) S(x)" in text
    assert "4 guesses left" in text


def test_user_turn_sums_up_the_hints_under_the_guesses() -> None:
    text = user_turn([("crane", "x✓-xx")])
    assert text.endswith("C(x) R(✓) A(-) N(x) E(x)\n\nHints:\nfixed: _ R _ _ _\nhas: A not 3\nno: C E N\n\n"
                         "You have 5 guesses left. Make your next guess.")
    # A repeated letter: one copy placed, another known to be elsewhere; the same notes an answer writes.
    history = [("crane", feedback("crane", "abbey")), ("babes", feedback("babes", "abbey"))]
    assert "\nHints:\n" + "\n".join(knowledge_lines(history)) + "\n\n" in user_turn(history)
    # Nothing known yet: no hints block, on the first turn or after non-words only.
    assert "Hints:" not in user_turn([]) and "Hints:" not in user_turn([], rejected=["qqqqq"])


def test_build_messages_ends_with_think_prefill() -> None:
    messages = build_messages([])
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert messages[-1]["content"] == ASSISTANT_PREFILL and ASSISTANT_PREFILL.endswith("<think>")
    assert [m["role"] for m in build_messages([], prefill=False)] == ["system", "user"]


def test_chat_template_renders_messages() -> None:
    from transformers import PreTrainedTokenizerFast
    from tokenizers import Tokenizer, models

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]")))
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
        "{% if not loop.last %}<|im_end|>\n{% endif %}{% endfor %}"
    )
    text = tokenizer.apply_chat_template(build_messages([]), tokenize=False, continue_final_message=True)
    assert text.endswith("<think>") and "<|im_start|>system" in text


def test_transcript_has_no_answer_tags() -> None:
    history = [("crane", feedback("crane", "abbey")), ("abbey", feedback("abbey", "abbey"))]
    text = game_transcript(history)
    assert "<think>" not in text and "<guess>" not in text
    assert text.splitlines()[-1] == "Solved in 2: ABBEY."
    lost = game_transcript([("crane", feedback("crane", "abbey"))] * 6)
    assert lost.endswith("Not solved in 6 guesses.")


@pytest.mark.parametrize(
    ("completion", "word", "strict", "failure"),
    [
        ("reasoning</think>\n<guess>CRANE</guess>", "crane", True, None),
        ("<think>reasoning</think>\n<guess>crane</guess>\n", "crane", True, None),
        ("r</think>\n<guess>CRANE</guess> and more", "crane", False, Failure.TEXT_AFTER_GUESS),
        ("r</think><guess>CRANE</guess>", "crane", False, Failure.BAD_LAYOUT),
        ("r</think>\n<guess>SLATE</guess><guess>CRANE</guess>", "crane", False, Failure.TWO_GUESSES),
        ("r <guess>CRANE</guess>", "crane", False, Failure.NO_THINK_END),
        ("r</think></think>\n<guess>CRANE</guess>", "crane", False, Failure.TWO_THINKS),
        ("no tags", None, False, Failure.NO_GUESS),
        ("r</think>\n<guess>CRAN</guess>", None, True, Failure.WRONG_LENGTH),
        ("r</think>\n<guess>CR4NE</guess>", None, True, Failure.NON_LETTERS),
        ("r</think>\n<guess>QQQQQ</guess>", "qqqqq", True, Failure.NOT_ALLOWED),
    ],
)
def test_parse_answer_kinds(completion: str, word: str | None, strict: bool, failure: Failure | None) -> None:
    parsed = parse_answer(completion, allowed={"crane", "slate"})
    assert (parsed.word, parsed.strict, parsed.failure) == (word, strict, failure)


def test_parse_answer_accepts_chat_messages() -> None:
    parsed = parse_answer([{"role": "assistant", "content": "r</think>\n<guess>CRANE</guess>"}])
    assert parsed.ok and parsed.think == "r"


@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")), st.none(), st.integers(),
                 st.lists(st.dictionaries(st.text(), st.text()))))
def test_parse_answer_never_raises(junk: object) -> None:
    parsed = parse_answer(junk)
    assert parsed.word is None or (len(parsed.word) == 5 and parsed.word.isalpha())


def test_user_turn_lists_rejected_words_and_counts_their_turns() -> None:
    history = [("crane", "x✓-xx")]
    text = user_turn(history, rejected=["adide", "aloal"])
    assert "Guess 1: CRANE -> Feedback:" in text and "\nNot in the word list: ADIDE, ALOAL\n" in text
    assert "You have 3 guesses left." in text
    assert user_turn([], rejected=["qqqqq"]).startswith("Your guesses so far:\nNot in the word list: QQQQQ")
    assert "Not in the word list" not in user_turn(history)
