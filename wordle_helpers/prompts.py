"""Prompts in the course format: system rules, user turns with the game so far, the assistant lead-in.

Introduced in notebook 02. The wording is the course's own; the facts follow the format every dataset
uses: feedback rendered ``C(x) R(✓) A(-) N(x) E(x)``, earlier guesses one per line as
``Guess 1: CRANE -> Feedback: …``, and answers as ``<think>…</think>`` then ``<guess>WORD</guess>``.
"""

from __future__ import annotations

from collections.abc import Sequence

from wordle_helpers.game import MAX_GUESSES, feedback, render_feedback

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
GUESS_OPEN, GUESS_CLOSE = "<guess>", "</guess>"
# The assistant turn starts with this lead-in; the model continues after the opening <think>.
ASSISTANT_PREFILL = "Let me work through what I know.\n" + THINK_OPEN

_EXAMPLE_SECRET, _EXAMPLE_GUESS = "train", "crane"


def explain_feedback(guess: str, pattern: str) -> str:
    """One sentence saying what each symbol of a pattern means for these letters (notebook 02)."""

    def letters(symbol: str) -> str:
        chosen = [g.upper() for g, s in zip(guess, pattern) if s == symbol]
        return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " and " + chosen[-1] if chosen else ""

    parts = []
    for symbol, single, plural in (
        ("✓", "is in the right spot", "are in the right spots"),
        ("-", "is in the word but in another spot", "are in the word but in other spots"),
        ("x", "is not in the word", "are not in the word"),
    ):
        count = pattern.count(symbol)
        if count:
            parts.append(f"{letters(symbol)} {single if count == 1 else plural}")
    return "; ".join(parts) + "."

SYSTEM_PROMPT = f"""You are playing Wordle. Find the secret five-letter English word in at most {MAX_GUESSES} guesses.
Every guess must be a real five-letter English word.

After each guess, every letter gets one symbol:
✓  the letter is in the secret word, in this spot
-  the letter is in the secret word, but in another spot
x  the letter is not in the secret word (or the word has no more copies of it)

Example: if the secret word is {_EXAMPLE_SECRET.upper()} and you guess {_EXAMPLE_GUESS.upper()}, the feedback is
{render_feedback(_EXAMPLE_GUESS, feedback(_EXAMPLE_GUESS, _EXAMPLE_SECRET))}
{explain_feedback(_EXAMPLE_GUESS, feedback(_EXAMPLE_GUESS, _EXAMPLE_SECRET))}

Answer in exactly this form: your reasoning inside {THINK_OPEN} {THINK_CLOSE}, then a new line, then your
guess inside {GUESS_OPEN} {GUESS_CLOSE}, with nothing after it. For example:
{THINK_OPEN}Reasoning about which words still fit.{THINK_CLOSE}
{GUESS_OPEN}CRANE{GUESS_CLOSE}"""

FIRST_TURN = "Make your first guess: a five-letter English word."
NEXT_TURN = "Make your next guess."


def history_lines(history: Sequence[tuple[str, str]]) -> list[str]:
    """``Guess N: WORD -> Feedback: …`` for each ``(guess, pattern)`` pair (notebook 02)."""
    return [
        f"Guess {number}: {guess.upper()} -> Feedback: {render_feedback(guess, pattern)}"
        for number, (guess, pattern) in enumerate(history, start=1)
    ]


REJECTED_LINE = "Not in the word list: "
# The feedback so far, summed up under the guesses as the game's keyboard shows it (see user_turn).
HINTS_HEADER = "Hints:"


def user_turn(history: Sequence[tuple[str, str]], guesses_left: int | None = None,
              rejected: Sequence[str] = ()) -> str:
    """The user message for a game state: a first-guess request, or the guesses so far and a request.

    ``rejected`` are earlier answers that were not allowed words (each used up a turn): they are listed on
    a line of their own so the player can avoid writing them again. Under them, ``Hints:`` sums up what the
    feedback has shown (:func:`knowledge_lines`), as the game's keyboard does: the tiny model wrote these notes
    itself wrong for about a third of the states, and with the summary in the prompt its answers fit every hint
    more often (benchmarks/RESULTS.md). ``guesses_left`` defaults to the turns not yet used by ``history`` and
    ``rejected``.
    """
    if not history and not rejected:
        return FIRST_TURN
    lines = history_lines(history)
    if rejected:
        lines.append(REJECTED_LINE + ", ".join(word.upper() for word in rejected))
    hints = knowledge_lines(history)
    if hints:
        lines += ["", HINTS_HEADER, *hints]
    left = MAX_GUESSES - len(history) - len(rejected) if guesses_left is None else guesses_left
    return "Your guesses so far:\n" + "\n".join(lines) + f"\n\nYou have {left} guess{'es' if left != 1 else ''} left. {NEXT_TURN}"


def build_messages(
    history: Sequence[tuple[str, str]], prefill: bool = True, guesses_left: int | None = None,
    rejected: Sequence[str] = (),
) -> list[dict[str, str]]:
    """Chat messages for a game state: system rules, the user turn, and (by default) the assistant
    lead-in ending in ``<think>`` that the model continues. Any chat template renders them (notebook 02)."""
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_turn(history, guesses_left, rejected)},
    ]
    if prefill:
        messages.append({"role": "assistant", "content": ASSISTANT_PREFILL})
    return messages


def game_transcript(history: Sequence[tuple[str, str]], max_guesses: int = MAX_GUESSES,
                    reasoning: Sequence[Sequence[str]] | None = None) -> str:
    """A neutral plain-text record of a game, without any answer tags, for pretraining text (notebook 03).

    With ``reasoning`` (lines per guess, see :func:`reasoning_lines`), each guess is preceded by the notes a
    player would write before making it. It says how the game ended: solved on guess N, or not solved.
    """
    lines = ["Wordle game."]
    for number, line in enumerate(history_lines(history)):
        if reasoning is not None:
            lines += list(reasoning[number])
        lines.append(line)
    if history and history[-1][1] == "✓" * 5:
        lines.append(f"Solved in {len(history)}: {history[-1][0].upper()}.")
    elif len(history) >= max_guesses:
        lines.append(f"Not solved in {max_guesses} guesses.")
    return "\n".join(lines)


def knowledge_lines(history: Sequence[tuple[str, str]]) -> list[str]:
    """What a history has revealed, in the short form the SFT answers use (notebook 01).

    ``fixed: _ R _ _ E`` (placed letters), ``has: A not 3, E x2 not 1 4`` (letters in the word beyond the
    placed ones, with the 1-based spots they are known not to be in, ``x2`` when two more copies are
    needed), ``no: C N T`` (letters with no copy). Lines with nothing to say are left out.
    """
    from wordle_helpers.game import Knowledge

    known = Knowledge.from_history(history)
    lines = []
    if known.placed:
        lines.append("fixed: " + " ".join(known.placed.get(i, "_").upper() for i in range(5)))
    entries = []
    for letter, spots in known.present.items():
        extra = known.min_count[letter] - list(known.placed.values()).count(letter)
        text = letter.upper() + (f" x{extra}" if extra > 1 else "")
        if spots:
            text += " not " + " ".join(str(i + 1) for i in sorted(spots))
        entries.append(text)
    if entries:
        lines.append("has: " + ", ".join(entries))
    if known.absent:
        lines.append("no: " + " ".join(sorted(known.absent)).upper())
    return lines


def reasoning_lines(history: Sequence[tuple[str, str]], guess: str, words_left: int, guess_fits: bool,
                    notes: bool = True) -> list[str]:
    """The reasoning before ``guess``: what is known (with ``notes``), how many answers still fit, and why
    this guess. Pretraining transcripts keep the notes; the answers leave them to the prompt's hints."""
    word = guess.upper()
    lines = knowledge_lines(history) if notes else []
    lines.append(f"left: {words_left} word{'s' if words_left != 1 else ''}")
    if not history:
        reason = f"{word} tests common letters."
    elif words_left == 1 and guess_fits:
        reason = f"only {word} fits."
    elif guess_fits:
        reason = f"{word} fits every hint."
    else:
        reason = f"{word} tests new letters to split the {words_left} words."
    return lines + ["why: " + reason]


def think_text(history: Sequence[tuple[str, str]], guess: str, words_left: int, guess_fits: bool) -> str:
    """A short, true account of why ``guess`` is played: how many answers still fit, and why (notebook 01).

    ``words_left`` is how many answers still fit; ``guess_fits`` whether ``guess`` is one of them. What the
    feedback has shown is not repeated: the user turn sums it up under ``Hints:`` (:func:`user_turn`), and
    answers without that copy trained as well in less time (benchmarks/RESULTS.md).
    """
    return "\n".join(reasoning_lines(history, guess, words_left, guess_fits, notes=False))


def answer_text(think: str, guess: str) -> str:
    """The completion after the prompt's ``<think>``: reasoning, ``</think>``, newline, the guess block."""
    return f"{think}{THINK_CLOSE}\n{GUESS_OPEN}{guess.upper()}{GUESS_CLOSE}"
