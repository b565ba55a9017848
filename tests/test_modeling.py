"""The tiny model's tokenizer and chat template, and model loading errors."""

from __future__ import annotations

import json
from pathlib import Path
import time

import pytest

from wordle_helpers.game import feedback
from wordle_helpers.modeling import (
    FORMAT_TAGS,
    ModelUnavailableError,
    load_base_model,
    load_model,
    tokenizer_texts,
    train_tokenizer,
)
from wordle_helpers.profiles import get_profile
from wordle_helpers.prompts import answer_text, build_messages, game_transcript, knowledge_lines, think_text


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(tokenizer_texts(150, seed=0), vocab_size=600)


SAMPLES = [
    game_transcript([("slate", feedback("slate", "cigar")), ("cigar", "✓✓✓✓✓")]),
    answer_text(think_text([("slate", feedback("slate", "cigar"))], "cigar", 1, True), "cigar"),
    "Words: ABACK ZESTY QUEUE",
    "odd text: ünïcödé, tabs\tand 123 numbers <think> </guess>",
]


def test_ids_identical_after_save_and_autotokenizer_reload(tokenizer, tmp_path: Path) -> None:
    from transformers import AutoTokenizer, Qwen2Config

    tokenizer.save_pretrained(tmp_path)
    Qwen2Config(vocab_size=len(tokenizer)).save_pretrained(tmp_path)  # a model_type=qwen2 folder
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert type(reloaded).__name__ == "Qwen2Tokenizer"
    texts = SAMPLES + [tokenizer.apply_chat_template(build_messages([]), tokenize=False, continue_final_message=True)]
    for text in texts:
        assert reloaded(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert reloaded.eos_token == "<|im_end|>" and reloaded.chat_template == tokenizer.chat_template


def test_every_capital_letter_is_its_own_token(tokenizer) -> None:
    for word in ["CRANE", "ABBEY", "QUEUE", "ZESTY"]:
        for text in (f"Guess 1: {word} -> Feedback:", f"<guess>{word}</guess>", f"why: {word} fits"):
            tokens = tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])
            assert all(letter in tokens for letter in word), (text, tokens)
            assert not [t for t in tokens if sum(c.isupper() for c in t) > 1]


def test_answer_tags_are_single_tokens(tokenizer) -> None:
    for tag in FORMAT_TAGS:
        assert len(tokenizer(tag)["input_ids"]) == 1


def test_chat_template_generation_markers(tokenizer) -> None:
    messages = build_messages([], prefill=False) + [{"role": "assistant", "content": "x</think>\n<guess>CRANE</guess>"}]
    out = tokenizer.apply_chat_template(messages, return_assistant_tokens_mask=True, return_dict=True)
    marked = [i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert tokenizer.decode(marked) == "x</think>\n<guess>CRANE</guess><|im_end|>"
    prompt = tokenizer.apply_chat_template(build_messages([]), tokenize=False, continue_final_message=True)
    assert prompt.endswith("<|im_start|>assistant\nLet me work through what I know.\n<think>")


def test_gpu_model_offline_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    start = time.perf_counter()
    with pytest.raises(ModelUnavailableError, match=r"Qwen/Qwen2.5-3B-Instruct.*huggingface-cli download.*WORDLE_PROFILE=laptop"):
        load_base_model(get_profile("gpu"))
    assert time.perf_counter() - start < 10


def test_missing_adapter_names_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import wordle_helpers.profiles as profiles

    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    fresh = dataclasses.replace(get_profile("smoke"), name="fresh")
    for stage in ("sft", "grpo"):
        with pytest.raises(FileNotFoundError, match=f"python -m wordle_helpers {stage} --profile fresh"):
            load_model(fresh, stage)
    with pytest.raises(FileNotFoundError, match="no LoRA adapter at .*nowhere.*one of: base, sft, grpo, grpo-from-base"):
        load_model(fresh, str(tmp_path / "nowhere"))
    assert not (tmp_path / "fresh").exists()  # nothing was built or loaded


def test_adapter_of_another_base_model_is_refused_before_any_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import wordle_helpers.profiles as profiles
    from wordle_helpers.__main__ import main
    from wordle_helpers.modeling import StaleAdapterError

    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    for stage in ("sft", "grpo"):
        final = tmp_path / "smoke" / stage / "final"
        final.mkdir(parents=True)
        (final / "adapter_config.json").write_text("{}")
        (final.parent / "run.json").write_text(json.dumps({"base": "an-older-build"}))
    with pytest.raises(StaleAdapterError, match=r"an-older-build.*retrain it with: python -m wordle_helpers sft --profile smoke"):
        load_model(get_profile("smoke"), "sft")
    with pytest.raises(StaleAdapterError, match=r"grpo --profile smoke \(after: python -m wordle_helpers sft"):
        load_model(get_profile("smoke"), "grpo")
    assert main(["evaluate", "--profile", "smoke", "--model", "sft", "--json"]) == 2
    assert "retrain it with" in capsys.readouterr().err
    assert not (tmp_path / "smoke" / "base").exists()  # the new base model was not built


def test_smoke_base_model_is_qwen2_safetensors(smoke_base) -> None:
    model, _ = smoke_base
    assert model.config.model_type == "qwen2"
    folder = get_profile("smoke").output_dir / "base"
    assert (folder / "model.safetensors").exists() and not list(folder.glob("*.bin"))
    # As saved, not as the shared fixture's tokenizer may have been left by another test.
    assert load_base_model(get_profile("smoke"))[1].padding_side == "left"


def test_the_build_records_its_precision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bf16 mixed precision only where asked for and the CPU has it natively, and build.json says which ran."""
    import dataclasses

    import torch

    import wordle_helpers.modeling as modeling
    import wordle_helpers.profiles as profiles

    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    monkeypatch.setattr(modeling, "cpu_has_native_bf16", lambda: True)
    smoke = get_profile("smoke")
    recorded = {}
    for asked in (True, False):
        profile = dataclasses.replace(smoke, model=dataclasses.replace(smoke.model, pretrain_bf16=asked))
        build = json.loads((modeling.build_tiny_base(profile) / "build.json").read_text())
        recorded[asked] = build["precision"], build["threads"]
    assert recorded == {True: ("bf16 mixed", torch.get_num_threads()), False: ("float32", torch.get_num_threads())}


def test_tiny_chat_template_replaces_the_system_prompt_with_one_line(tokenizer) -> None:
    from wordle_helpers.modeling import TINY_SYSTEM_TURN
    from wordle_helpers.prompts import SYSTEM_PROMPT

    history = [("crane", "x✓-xx")]
    text = tokenizer.apply_chat_template(build_messages(history), tokenize=False, continue_final_message=True)
    assert text.startswith(f"<|im_start|>system\n{TINY_SYSTEM_TURN}<|im_end|>\n<|im_start|>user\n")
    assert SYSTEM_PROMPT.splitlines()[0] not in text and "Guess 1: CRANE -> Feedback: C(x) R(✓) A(-)" in text
    custom = [{"role": "system", "content": "anything else"}, *build_messages(history)[1:]]
    assert tokenizer.apply_chat_template(custom, tokenize=False, continue_final_message=True) == text


def test_hint_drills_list_only_answers_that_fit_every_hint(answers: list[str]) -> None:
    from wordle_helpers.game import Knowledge
    from wordle_helpers.modeling import _teacher_games, fitting_word_texts

    played = _teacher_games(40, seed=3)
    drills = fitting_word_texts(played, seed=3)
    assert 30 <= len(drills) <= 40  # one per game that was not won at once
    for drill in drills:
        lines = drill.splitlines()
        assert lines[0] == "Hints:" and lines[-1].startswith("Words that fit every hint: ")
        words = lines[-1].split(": ", 1)[1].split()
        assert 1 <= len(words) <= 12 and all(w.lower() in answers for w in words)
        notes = lines[1:-1]
        states = [[(t.guess, t.pattern) for t in game][:k] for game in played for k in range(1, len(game) + 1)]
        matching = [Knowledge.from_history(h) for h in states if knowledge_lines(h) == notes]
        assert matching, f"no game state has the notes {notes}"
        assert any(all(known.fits(w.lower()) for w in words) for known in matching)


def test_pretraining_text_repeats_the_answer_list_in_new_orders(answers: list[str]) -> None:
    from collections import Counter

    from wordle_helpers.modeling import _teacher_games, pretraining_texts

    played = _teacher_games(20, seed=4)
    lists = {repeats: [t for t in pretraining_texts(20, 4, played, answer_repeats=repeats) if t.startswith("Words: ")]
             for repeats in (1, 3)}
    counts = {r: Counter(w.lower() for line in lines for w in line.split()[1:]) for r, lines in lists.items()}
    # Every answer once per repeat, plus once in the allowed list; other allowed words once either way.
    assert all(counts[3][a] == 4 and counts[1][a] == 2 for a in answers)
    assert {w for w, n in counts[3].items() if n == 1} == {w for w, n in counts[1].items() if n == 1}
    first_lines = [line for line in lists[3] if set(line.split()[1:]) <= {a.upper() for a in answers}]
    assert len(set(first_lines)) == len(first_lines)  # each repeat in its own order


def test_pretraining_text_holds_the_asked_number_of_distinct_drills_per_game() -> None:
    from wordle_helpers.modeling import _teacher_games, pretraining_texts

    played = _teacher_games(20, seed=4)
    drills = {k: [t for t in pretraining_texts(20, 4, played, drills_per_game=k) if t.startswith("Hints:")] for k in (1, 3)}
    assert len(drills[3]) == 3 * len(drills[1]) > 0
    assert len(set(drills[3])) > 2 * len(drills[1])  # new turns and words, not copies


def test_pretraining_labels_skip_a_drills_hints_and_train_its_words(tokenizer) -> None:
    from wordle_helpers.modeling import END_OF_TEXT, hint_drill, pretraining_dataset

    drill = hint_drill([("crane", feedback("crane", "trait"))], "TRAIT DRAIN")
    texts = [drill, "Words: ABACK ZESTY", game_transcript([("slate", feedback("slate", "cigar"))])]
    rows = pretraining_dataset(texts, tokenizer).to_list()
    end = tokenizer.convert_tokens_to_ids(END_OF_TEXT)
    for text, row in zip(texts, rows):
        assert row["input_ids"] == tokenizer(text, add_special_tokens=False)["input_ids"] + [end]
    ids, labels = rows[0]["input_ids"], rows[0]["labels"]
    trained = [i for i, label in zip(ids, labels) if label != -100]
    assert labels[0] == -100 and tokenizer.decode(trained) == "Words that fit every hint: TRAIT DRAIN" + END_OF_TEXT
    assert all(label == i for i, label in zip(ids, labels) if label != -100)
    assert all(row["labels"] == row["input_ids"] for row in rows[1:])  # word lists and transcripts: every token
    kept = pretraining_dataset(texts[:1], tokenizer, train_drill_hints=True).to_list()[0]
    assert kept["labels"] == kept["input_ids"]


def test_hint_rates_count_words_that_fit_and_answers(answers: list[str]) -> None:
    from wordle_helpers.modeling import hint_drill, hint_rates

    history = [("crane", feedback("crane", "trait"))]  # x✓✓xx
    assert hint_drill(history) == "Hints:\nfixed: _ R A _ _\nno: C E N\nWords that fit every hint:"
    rates = hint_rates([history] * 4, ["trait", "brain", "qrazz", ""], answers)
    # BRAIN plays N, known absent; QRAZZ fits the hints but is no answer; an empty answer fits nothing.
    assert rates["fit_rate"] == 0.5 and rates["answer_rate"] == 0.5
    assert hint_rates([], [], answers)["fit_rate"] == 0.0


def test_spelling_rates_count_answers_and_allowed_words_on_the_first_line(answers: list[str]) -> None:
    from wordle_helpers.modeling import spelling_rates

    allowed = ["crane", "slate", "aahed"]
    texts = [" SLATE AAHED BRATE TOO LONGER\nCRANE CRANE", " crane 12345", ""]
    rates = spelling_rates(texts, ["crane", "slate"], allowed)
    assert rates["written"] == ["slate", "aahed", "brate", "crane"]
    assert rates["answer_rate"] == 0.5 and rates["allowed_rate"] == 0.75
    assert spelling_rates(["", "no such 12345 tokens"], answers, allowed) == {"written": [], "answer_rate": 0.0, "allowed_rate": 0.0}


def test_spelling_probe_is_repeatable_and_leaves_the_global_seed_alone(answers: list[str]) -> None:
    import torch

    from wordle_helpers.modeling import load_base_model, spelling_probe
    from wordle_helpers.words import load_allowed

    model, tokenizer = load_base_model(get_profile("smoke"))
    allowed = load_allowed(answers=answers)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = spelling_probe(model, tokenizer, answers, allowed, lines=6, seed=1, max_new_tokens=30)
    assert torch.equal(torch.rand(3), expected)
    assert first == spelling_probe(model, tokenizer, answers, allowed, lines=6, seed=1, max_new_tokens=30)
    assert set(first) == {"written", "answer_rate", "allowed_rate"}


def test_prefilled_continuations_are_what_generate_writes_from_scratch(smoke_base) -> None:
    import copy

    import torch

    from wordle_helpers.modeling import continue_prefilled, hint_drill, prefill

    model, tokenizer = smoke_base
    prompts = [hint_drill([("crane", feedback("crane", "moist"))]), "Words: CRANE", hint_drill([])]
    side, tokenizer.padding_side = tokenizer.padding_side, "right"
    try:
        prefilled = prefill(model, tokenizer, prompts)
        assert tokenizer.padding_side == "right"  # the batch is padded left; the caller's tokenizer keeps its side
        batch = dict(prefilled[0])
        assert (batch["attention_mask"] == 0).any()  # left padding, whose positions the cache must get right
        options = {"do_sample": False, "max_new_tokens": 10, "pad_token_id": tokenizer.pad_token_id,
                   "output_scores": True, "return_dict_in_generate": True}
        with torch.no_grad():
            plain = model.generate(**batch, **options)
            reused = model.generate(**batch, cache=copy.deepcopy(prefilled[1]), **options)
        for scratch, cached in zip(plain.scores, reused.scores, strict=True):  # every step's scores, not just the pick
            torch.testing.assert_close(cached, scratch, atol=1e-4, rtol=1e-4)
        expected = tokenizer.batch_decode(plain.sequences[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
        cached = prefilled[1].get_seq_length()
        assert continue_prefilled(model, tokenizer, prefilled, 10, do_sample=False) == expected
        assert continue_prefilled(model, tokenizer, prefilled, 10, do_sample=False) == expected  # the cache is reusable
        assert prefilled[1].get_seq_length() == cached == batch["input_ids"].shape[1] - 1
        one_token = prefill(model, tokenizer, ["W"])  # nothing to read ahead: generate reads the prompt itself
        assert one_token[1] is None and len(continue_prefilled(model, tokenizer, one_token, 3, do_sample=False)) == 1
    finally:
        tokenizer.padding_side = side


def test_hint_probe_answers_each_game_state_past_the_first_turn(smoke_base, answers: list[str]) -> None:
    from wordle_helpers.modeling import hint_probe, hint_rates

    model, tokenizer = smoke_base
    histories = [[], [("crane", feedback("crane", "trait"))], [("slate", feedback("slate", "trait"))]]
    result = hint_probe(model, tokenizer, histories, answers)
    assert len(result["words"]) == 2  # the first-turn state has no hints to keep
    assert result == hint_rates(histories[1:], result["words"], answers)
    assert hint_probe(model, tokenizer, [[]], answers)["words"] == []


@pytest.mark.parametrize("optimizer", ["adamw", "muon"])
def test_an_interrupted_build_resumes_and_makes_the_same_base_model(tmp_path: Path, step_watch, optimizer: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The base build is the longest step of the course: stopped halfway, it resumes from its last checkpoint
    (the optimizer's state with it), trains only the steps left and saves the model an uninterrupted build saves,
    byte for byte."""
    import dataclasses

    import trl

    import wordle_helpers.modeling as modeling
    import wordle_helpers.profiles as profiles

    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    smoke = get_profile("smoke")
    smoke = dataclasses.replace(smoke, model=dataclasses.replace(smoke.model, pretrain_optimizer=optimizer))
    total, stop_at = smoke.model.pretrain_steps, smoke.model.pretrain_steps // 2

    class WatchedTrainer(trl.SFTTrainer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.add_callback(step_watch)

    monkeypatch.setattr(trl, "SFTTrainer", WatchedTrainer)
    whole = modeling.build_tiny_base(dataclasses.replace(smoke, name="whole"))
    interrupted = dataclasses.replace(smoke, name="interrupted")
    step_watch.watch(stop_at=stop_at)
    with pytest.raises(KeyboardInterrupt):
        modeling.build_tiny_base(interrupted)
    work = tmp_path / "interrupted" / "base-build"
    assert step_watch.steps == list(range(1, stop_at + 1))
    last = max(int(folder.name.split("-")[1]) for folder in work.glob("checkpoint-*"))
    assert 0 < last < stop_at  # the step that was stopped had not been saved yet
    assert not (tmp_path / "interrupted" / "base" / "build.json").exists()
    spent = json.loads((work / f"checkpoint-{last}" / "wall_seconds.json").read_text())["seconds"]
    assert spent > 0  # the tokenizer, the corpus and the first steps took time

    step_watch.watch(stop_at=None)
    start = time.perf_counter()
    resumed = modeling.build_tiny_base(interrupted)
    took = time.perf_counter() - start
    assert step_watch.steps == list(range(last + 1, total + 1))  # only the steps after the last checkpoint
    assert not work.exists()  # checkpoints go once the model is saved
    digests = [modeling.file_digest(folder / "model.safetensors") for folder in (whole, resumed)]
    assert digests[0] == digests[1] != "missing"
    # The resumed build's time counts the first run's up to its last checkpoint as well as its own.
    builds = [json.loads((folder / "build.json").read_text()) for folder in (whole, resumed)]
    assert builds[0]["resumed_at_step"] is None and builds[1]["resumed_at_step"] == last
    assert took - 1.0 <= builds[1]["seconds"] - spent <= took + 0.1, (spent, took, builds[1]["seconds"])


def test_the_run_clock_resumes_from_the_last_checkpoint_and_survives_a_missing_record(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A resumed run (build, SFT, GRPO) adds the time recorded in the checkpoint it resumes; a checkpoint
    without that record (made before runs kept one, or cut off while writing it) still resumes, its time
    counted from then on."""
    from wordle_helpers.modeling import run_clock

    work = tmp_path / "base-build"
    assert run_clock(work, time.perf_counter()).checkpoint is None  # nothing to resume: a fresh build
    for step, seconds in ((50, 12.5), (150, 42.0)):  # 150 is the last, though not in alphabetical order
        (work / f"checkpoint-{step}").mkdir(parents=True)
        (work / f"checkpoint-{step}" / "wall_seconds.json").write_text(json.dumps({"seconds": seconds}))
    clock = run_clock(work, time.perf_counter())
    assert (Path(clock.checkpoint).name, clock.resumed_at_step, clock.earlier) == ("checkpoint-150", 150, 42.0)
    assert 42.0 <= clock.seconds() < 43.0
    assert run_clock(work, time.perf_counter(), resume=False).checkpoint is None  # training afresh

    (work / "checkpoint-150" / "wall_seconds.json").write_text('{"seco')  # cut off while being written
    clock = run_clock(work, time.perf_counter())
    assert (clock.resumed_at_step, clock.earlier) == (150, 0.0)
    assert "no wall time recorded" in caplog.text


def test_the_library_deprecation_is_hidden_within_the_block_only(smoke_base) -> None:
    """transformers warns whenever PEFT or TRL read ``is_gradient_checkpointing``; the helpers that call them
    hide that warning, and leave the warning filters as they found them."""
    import warnings

    from wordle_helpers.modeling import library_deprecations_hidden, load_base_model
    from wordle_helpers.sft import adapter_and_optimizer

    def deprecations(caught: list[warnings.WarningMessage]) -> int:
        return sum("is_gradient_checkpointing" in str(w.message) for w in caught)

    model, _ = smoke_base
    filters = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert model.is_gradient_checkpointing is False and deprecations(caught) == 1
        with library_deprecations_hidden():
            assert model.is_gradient_checkpointing is False
        assert deprecations(caught) == 1
        fresh, _ = load_base_model(get_profile("smoke"))  # get_peft_model wraps it in place
        adapter_and_optimizer(get_profile("smoke"), fresh)
        assert deprecations(caught) == 1
        assert model.is_gradient_checkpointing is False and deprecations(caught) == 2  # outside: warned again
    assert warnings.filters == filters


def test_pretraining_speed_counts_the_steps_done_in_the_time_taken() -> None:
    """``make course`` prints how fast the machine runs the base model's pretraining step, at both ends."""
    from dataclasses import replace
    import math

    import torch

    from wordle_helpers.modeling import pretraining_speed

    smoke = get_profile("smoke")
    rng = torch.random.get_rng_state()
    ticks = iter([0.0, 0.5, 1.0, 1.5, 2.5, 3.0])  # four steps, the fourth ends past the two seconds
    speed, precision = pretraining_speed(smoke, seconds=2.0, clock=lambda: next(ticks))
    assert speed == pytest.approx(4 / 2.5) and precision in ("bf16 mixed", "float32")
    assert next(ticks) == 3.0  # no step after the time is up
    # Its random model and tokens leave the caller's random draws alone.
    assert torch.equal(torch.random.get_rng_state(), rng)
    real, _ = pretraining_speed(smoke, seconds=0.05)
    assert math.isfinite(real) and real > 0
    # A profile that builds in float32 is timed in float32, whatever the CPU offers.
    full = replace(smoke, model=replace(smoke.model, pretrain_bf16=False))
    assert pretraining_speed(full, seconds=0.05)[1] == "float32"


def test_muon_with_adamw_splits_the_parameters_and_follows_the_schedule() -> None:
    """Muon takes the hidden layers' weight matrices, AdamW the embeddings (decayed) and the norms (not); the
    trainer's learning-rate schedule moves both; a saved state resumes the very same steps."""
    import copy

    import torch
    from transformers import Qwen2ForCausalLM

    from wordle_helpers.modeling import muon_with_adamw, tiny_config

    settings = get_profile("smoke").model
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(tiny_config(settings, 64))
    optimizer = muon_with_adamw(model, lr=1e-2, weight_decay=0.01)
    assert isinstance(optimizer, torch.optim.Optimizer)
    names = {id(p): n for n, p in model.named_parameters()}
    muon = [names[id(p)] for p in optimizer.muon.param_groups[0]["params"]]
    embeddings, vectors = ([names[id(p)] for p in g["params"]] for g in optimizer.adamw.param_groups)
    assert sorted(muon + embeddings + vectors) == sorted(names.values())
    assert muon and all(".layers." in n and n.endswith("proj.weight") for n in muon)
    assert embeddings == ["model.embed_tokens.weight"]  # the output head shares it
    assert vectors and all(model.get_parameter(n).ndim == 1 for n in vectors)
    assert [g["weight_decay"] for g in optimizer.adamw.param_groups] == [0.01, 0.0]

    tokens = torch.randint(0, 64, (2, 16))

    def step() -> float:
        loss = model(input_ids=tokens, labels=tokens).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 ** step)
    losses = [step()]
    schedule.step()
    assert [g["lr"] for g in optimizer.muon.param_groups + optimizer.adamw.param_groups] == [5e-3] * 3
    saved_model, saved_state = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    assert set(saved_state) == {"muon", "adamw"} and saved_state["muon"]["state"]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    losses += [step() for _ in range(5)]
    assert losses[-1] < losses[0]
    assert all(not torch.equal(before[n], p) for n, p in model.named_parameters())

    # Resumed from the saved state, the same steps make the same model.
    after = copy.deepcopy(model.state_dict())
    model.load_state_dict(saved_model)
    optimizer = muon_with_adamw(model, lr=5e-3, weight_decay=0.01)
    optimizer.load_state_dict(saved_state)
    [step() for _ in range(5)]
    assert all(torch.equal(after[n], p) for n, p in model.state_dict().items())
