"""The course rewards: values on worked examples, TRL's calling convention, and totality."""

from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st
import pytest

from wordle_helpers.game import feedback
from wordle_helpers.rewards import (
    HistoryFormatError,
    RewardConstantsError,
    combined_reward,
    feedback_reward,
    format_reward,
    history_cell,
    info_gain_reward,
    make_rewards,
    parse_history,
    win_reward,
    with_constants,
)

REWARDS = (format_reward, feedback_reward, info_gain_reward, win_reward)
HISTORY = history_cell([("crane", feedback("crane", "trait")), ("slate", feedback("slate", "trait"))])


def answer(word: str) -> str:
    return f"reasoning</think>\n<guess>{word}</guess>"


def call(reward, completions: list[object], history: object = HISTORY, **columns: object) -> list[float]:
    n = len(completions)
    return reward(prompts=[None] * n, completions=completions, past_guess_history=[history] * n,
                  secret=["trait"] * n, **columns)


def test_format_reward_values() -> None:
    completions = [answer("TRAIT"), answer("QQQQQ"), answer("TRA"), answer("TR4IT"), "no answer", "x<guess>TRAIT</guess>"]
    assert call(format_reward, completions) == [1.0, 0.5, 0.1, 0.1, 0.0, 0.0]


def test_feedback_reward_values() -> None:
    # CRANE -> x✓✓xx, SLATE -> xx✓-x: R and A placed; T present, not in spot 4; C N E S L absent.
    scores = call(feedback_reward, [answer("TRAIT"), answer("TRAIN"), answer("CRANE"), answer("QRAT")])
    assert scores[0] == pytest.approx(0.1 + 0.2 + 0.2 + 0.05 + 0.1)
    assert scores[1] == pytest.approx(0.1 + 0.2 + 0.2 + 0.05 - 0.5)
    assert scores[2] == pytest.approx(-0.5 + 0.2 + 0.2 - 0.5 - 0.5)
    assert scores[3] == 0.0  # no five-letter guess
    assert call(feedback_reward, [answer("TRAIT")], history="[]") == [0.1]
    # A present letter put back where it is known not to be.
    assert call(feedback_reward, [answer("XXXTX")])[0] == pytest.approx(0.05 * 3 - 0.2 + 0.05)


def test_info_gain_reward_values() -> None:
    first = call(info_gain_reward, [answer("SLATE"), answer("QQQQQ"), "garbage"], history="[]")
    assert 0.5 < first[0] < 1.0 and first[1:] == [0.0, 0.0]
    solved = call(info_gain_reward, [answer("TRAIT")], history=history_cell([("tract", feedback("tract", "trait")), ("trait", "✓✓✓✓✓")]))
    assert solved == [0.0]  # N ≤ 1


def test_win_reward() -> None:
    assert call(win_reward, [answer("TRAIT"), answer("CRANE"), "junk"]) == [1.0, 0.0, 0.0]


def test_rewards_take_chat_message_completions() -> None:
    completion = [{"role": "assistant", "content": answer("TRAIT")}]
    assert call(format_reward, [completion]) == [1.0]
    assert call(feedback_reward, [completion])[0] > 0.5


def test_rewards_receive_the_columns_they_need() -> None:
    # Without the history column, feedback and information rewards score the first-turn values.
    assert feedback_reward(prompts=[None], completions=[answer("TRAIT")]) == [0.1]
    # Extra TRL keyword arguments are ignored.
    assert format_reward(prompts=[None], completions=[answer("TRAIT")], trainer_state=object(), completion_ids=[[1]]) == [1.0]


def test_word_list_column_is_honoured(tmp_path) -> None:
    words = tmp_path / "words.csv"
    words.write_text("\ufeffWord\nTRAIT\n", encoding="utf-8")
    assert call(format_reward, [answer("TRAIT"), answer("CRANE")], word_list=[str(words)] * 2) == [1.0, 0.5]
    # A missing file falls back to the project's list instead of failing.
    assert call(format_reward, [answer("CRANE")], word_list=[str(tmp_path / "missing.csv")]) == [1.0]


def test_constants_are_configurable() -> None:
    strict = make_rewards(with_constants(known_absent=-1.0, feedback_needs_allowed_word=True))
    assert call(strict["feedback_reward"], [answer("TRAIN")])[0] == pytest.approx(0.1 + 0.2 + 0.2 + 0.05 - 1.0)
    assert call(strict["feedback_reward"], [answer("QRAIT")]) == [0.0]  # not a real word: no pay
    assert strict["feedback_reward"].__name__ == "feedback_reward"


def test_a_nonword_can_be_made_to_pay_for_the_hints_it_breaks() -> None:
    # Otherwise a non-word scores 0 where a real word that breaks the hints scores below 0: a way out for GRPO.
    constants = dict(known_absent=-1.0, feedback_needs_allowed_word=True)
    lenient = make_rewards(with_constants(**constants))["feedback_reward"]
    strict = make_rewards(with_constants(**constants, nonword_keeps_penalties=True))["feedback_reward"]
    assert call(lenient, [answer("NRAIT")]) == [0.0]
    assert call(strict, [answer("NRAIT")])[0] == pytest.approx(-1.0 + 0.2 + 0.2 + 0.05 + 0.1)  # N is known absent
    assert call(strict, [answer("QRAIT")]) == [0.0]  # breaks no hint: still earns nothing
    assert call(strict, [answer("TRAIN")]) == call(lenient, [answer("TRAIN")])  # real words score as before


@pytest.mark.parametrize(("changes", "message"), [
    ({"nonword_keeps_penalties": True}, "feedback_needs_allowed_word=True"),  # has no effect on its own
    ({"known_absnt": -1.0}, "unknown reward constant(s) known_absnt; valid names: format_ok"),
    ({"win": math.nan}, "win must be a finite number"),
    ({"known_absent": "-1"}, "known_absent must be a finite number"),
    ({"feedback_needs_allowed_word": 1}, "must be True or False"),
])
def test_reward_constants_that_cannot_work_are_refused_with_the_reason(changes: dict, message: str) -> None:
    with pytest.raises(RewardConstantsError) as error:
        with_constants(**changes)
    assert message in str(error.value)


def test_fits_all_hints_bonus_pays_only_guesses_that_could_be_the_secret() -> None:
    bonus = make_rewards(with_constants(fits_all_hints=1.0))["feedback_reward"]
    plain = call(feedback_reward, [answer("TRAIT"), answer("TRAIN")])
    with_bonus = call(bonus, [answer("TRAIT"), answer("TRAIN")])
    assert with_bonus[0] == pytest.approx(plain[0] + 1.0)  # TRAIT keeps every hint
    assert with_bonus[1] == pytest.approx(plain[1])  # TRAIN plays N, known absent
    assert call(bonus, [answer("TRAIT")], history="[]") == [0.1]  # nothing to keep on the first turn


def test_present_missing_charges_each_known_present_letter_left_out() -> None:
    charged = make_rewards(with_constants(present_missing=-0.4))["feedback_reward"]
    plain = call(feedback_reward, [answer("TRAIT"), answer("BRAID")])
    scored = call(charged, [answer("TRAIT"), answer("BRAID")])
    assert scored[0] == pytest.approx(plain[0])  # TRAIT plays the T known to be present
    assert scored[1] == pytest.approx(plain[1] - 0.4)  # BRAID leaves it out
    assert call(charged, [answer("BRAID")], history="[]") == [0.1]  # nothing known on the first turn


def test_repeated_guess_charges_a_word_already_played_in_the_game() -> None:
    charged = make_rewards(with_constants(repeated_guess=-1.0))["feedback_reward"]
    plain = call(feedback_reward, [answer("SLATE"), answer("CRANE"), answer("TRAIT")])
    scored = call(charged, [answer("SLATE"), answer("CRANE"), answer("TRAIT")])
    assert scored[0] == pytest.approx(plain[0] - 1.0)  # SLATE was the last guess
    assert scored[1] == pytest.approx(plain[1] - 1.0)  # CRANE the guess before it
    assert scored[2] == pytest.approx(plain[2])  # TRAIT is new


def test_notes_match_pays_only_notes_that_state_the_feedback_exactly() -> None:
    from wordle_helpers.prompts import knowledge_lines
    from wordle_helpers.rewards import notes_match, parse_history

    history = parse_history(HISTORY)
    right = "\n".join(knowledge_lines(history))
    assert right.startswith("fixed: _ R A _ _") and notes_match(right + "\nleft: 3 words", history)
    assert not notes_match(right.replace("no: ", "no: T "), history)  # T is in the word
    assert not notes_match(None, history)
    paid = make_rewards(with_constants(notes_match=0.5))["feedback_reward"]
    plain = call(feedback_reward, [answer("TRAIT")])
    good = f"{right}</think>\n<guess>TRAIT</guess>"
    assert call(paid, [good, answer("TRAIT")]) == pytest.approx([plain[0] + 0.5, plain[0]])
    assert call(paid, ["garbage</think>", {"bad": 1}]) == [0.0, 0.0]


def test_combined_reward_total() -> None:
    scores = combined_reward(answer("TRAIT"), HISTORY)
    assert scores["total"] == pytest.approx(scores["format_reward"] + scores["feedback_reward"] + scores["info_gain_reward"])


@pytest.mark.parametrize(
    "cell",
    ["[['CRANE', 'C(x) R(✓)']]", "not a list", "__import__('os').system('echo unsafe')", "[['CRANE', 'S(x) L(x) A(✓) T(x) E(x)']]",
     "[1, 2]", "[['CRANE']]", "[['CRAN', 'xxxxx']]", "[['CRANE', 'xx?xx']]", "[" * 5000, "[['CRANE', 'xxxxx']]" * 2000, "7"],
)
def test_parse_history_rejects_malformed_cells(cell: str) -> None:
    with pytest.raises(HistoryFormatError):
        parse_history(cell)


def test_parse_history_forms() -> None:
    expected = [("crane", "x✓-xx")]
    assert parse_history("[['CRANE', 'C(x) R(✓) A(-) N(x) E(x)']]") == expected
    assert parse_history([["crane", "x✓-xx"]]) == expected
    assert parse_history("") == [] and parse_history(None) == []


completion_text = st.one_of(
    st.text(),
    st.text(alphabet="<>/thinkguesTRAI✓x- \n", max_size=200),
    st.builds(lambda w: answer(w), st.text(max_size=8)),
    st.just(""),
    st.just("a" * 100_000),
    st.just("<guess>" * 15_000),
)
completion = st.one_of(completion_text, st.lists(st.fixed_dictionaries({"role": st.just("assistant"), "content": completion_text}), max_size=2),
                       st.none(), st.integers())
history = st.one_of(st.just(HISTORY), st.text(max_size=100), st.none(), st.integers(),
                    st.lists(st.lists(st.text(max_size=12), max_size=3), max_size=3), st.just("[" * 3000))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(completion, history, st.one_of(st.text(max_size=7), st.none())), min_size=1, max_size=4))
def test_rewards_never_raise_and_stay_finite(rows: list[tuple[object, object, object]]) -> None:
    completions = [r[0] for r in rows]
    columns = {"past_guess_history": [r[1] for r in rows], "secret": [r[2] for r in rows]}
    for reward in REWARDS:
        scores = reward(prompts=[None] * len(rows), completions=completions, **columns)
        assert len(scores) == len(rows)
        assert all(isinstance(s, float) and math.isfinite(s) for s in scores)


def test_rewards_survive_mismatched_columns() -> None:
    for reward in REWARDS:
        scores = reward(prompts=None, completions=[answer("TRAIT")] * 3, past_guess_history=[HISTORY], secret="trait")
        assert len(scores) == 3 and all(math.isfinite(s) for s in scores)
