"""SFT data and the loss mask, inspected on a real collated batch from TRL's SFTTrainer."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
import json
import math
import time

import pytest
import torch

from wordle_helpers.game import Knowledge, consistent_words, feedback
from wordle_helpers.profiles import get_profile
from wordle_helpers.prompts import ASSISTANT_PREFILL
from wordle_helpers.sft import (
    build_sft_trainer,
    choose_own_words,
    length_report,
    most_informative,
    own_fitting_words,
    sft_trainer_class,
    sft_training_data,
    to_conversation,
)


def test_to_conversation_moves_lead_in_into_the_completion() -> None:
    row = {"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                      {"role": "assistant", "content": ASSISTANT_PREFILL}], "completion": "r</think>\n<guess>CRANE</guess>"}
    conversation = to_conversation(row)
    assert [m["role"] for m in conversation["prompt"]] == ["system", "user"]
    assert conversation["completion"] == [{"role": "assistant", "content": ASSISTANT_PREFILL + row["completion"]}]


def test_length_report_counts_cut_rows() -> None:
    assert length_report([10, 20, 30], 25)["would_be_cut"] == 1
    assert length_report([10, 20, 30], 30)["would_be_cut"] == 0


@pytest.fixture(scope="module")
def trainer_and_report(smoke_base):
    model, tokenizer = smoke_base
    profile = get_profile("smoke")
    dataset = sft_training_data(profile).select(range(12))
    return build_sft_trainer(profile, model=model, tokenizer=tokenizer, dataset=dataset)


def test_max_length_comes_from_the_data_and_cuts_nothing(trainer_and_report) -> None:
    trainer, report = trainer_and_report
    assert report["would_be_cut"] == 0 and report["max_length"] >= report["max"]
    assert trainer.args.max_length == report["max_length"]


def test_the_trainer_pads_right_and_leaves_the_callers_tokenizer_alone(smoke_base) -> None:
    from wordle_helpers.modeling import load_base_model

    profile = get_profile("smoke")
    model, tokenizer = load_base_model(profile)
    trainer, _ = build_sft_trainer(profile, model=model, tokenizer=tokenizer,
                                   dataset=sft_training_data(profile).select(range(4)))
    assert trainer.processing_class.padding_side == "right"
    assert tokenizer.padding_side == "left"  # the caller's generation still pads on the left
    assert trainer.processing_class("GUESS").input_ids == tokenizer("GUESS").input_ids


def test_collated_batch_masks_prompt_and_trains_every_answer_token(trainer_and_report) -> None:
    trainer, _ = trainer_and_report
    tokenizer = trainer.processing_class
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
    end_of_turn = tokenizer.convert_tokens_to_ids("<|im_end|>")
    for ids, labels, mask in zip(batch["input_ids"], batch["labels"], batch["attention_mask"]):
        ids, labels = ids[mask.bool()].tolist(), labels[mask.bool()].tolist()
        trained = [i for i, label in zip(ids, labels) if label != -100]
        first = next(k for k, label in enumerate(labels) if label != -100)
        # Everything before the answer is masked; everything from the answer on is trained.
        assert all(label == -100 for label in labels[:first])
        assert all(label == i for label, i in zip(labels[first:], ids[first:]))
        text = tokenizer.decode(trained)
        assert text.startswith(ASSISTANT_PREFILL)
        assert "<guess>" in text and "</guess>" in text
        assert end_of_turn in trained  # the end-of-turn token is trained, so the model learns to stop
        prompt = tokenizer.decode(ids[:first])
        assert prompt.endswith("<|im_start|>assistant\n") and "<|im_start|>system" in prompt


def test_the_own_loss_trainer_computes_the_fused_heads_loss_on_the_answer_tokens(trainer_and_report) -> None:
    """The course trains with TRL's fused LM head; the tiny model's own-loss trainers (a speed option
    measured in benchmarks/bench_loss_head.py) compute the same number: the mean negative log-likelihood of
    the answer tokens only. Under bf16 autocast the float32 head keeps the head and the cross-entropy in
    float32."""
    import trl

    from wordle_helpers.modeling import own_loss_sft_trainer

    trainer, _ = trainer_and_report
    model = trainer.model
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
    targets = batch["labels"][:, 1:]
    trained = targets != -100
    assert 0 < trained.sum() < batch["attention_mask"].sum() - 4  # the prompts are left out

    def by_hand(logits: torch.Tensor) -> float:
        log_probs = torch.log_softmax(logits[:, :-1].float(), dim=-1)
        return -log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)[trained].mean().item()

    float32_head, bfloat16_head = own_loss_sft_trainer(), own_loss_sft_trainer(float32_head=False)
    with torch.no_grad():
        expected = by_hand(model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits)
        for loss in (trl.SFTTrainer.compute_loss(trainer, model, dict(batch)),
                     float32_head.compute_loss(trainer, model, dict(batch)),
                     bfloat16_head.compute_loss(trainer, model, dict(batch))):
            assert loss.item() == pytest.approx(expected, rel=1e-4)
        for trainer_class in (float32_head, bfloat16_head):  # evaluation asks for the outputs as well
            loss, outputs = trainer_class.compute_loss(trainer, model, dict(batch), return_outputs=True)
            assert loss.item() == pytest.approx(expected, rel=1e-4)
            assert outputs["logits"].shape[:2] == batch["input_ids"].shape
        with torch.autocast("cpu", dtype=torch.bfloat16):
            backbone = model.get_base_model().base_model
            hidden = backbone(input_ids=batch["input_ids"],
                              attention_mask=batch["attention_mask"]).last_hidden_state
            in_float32 = float32_head.compute_loss(trainer, model, dict(batch)).item()
            in_bfloat16 = bfloat16_head.compute_loss(trainer, model, dict(batch)).item()
        head = model.get_base_model().get_output_embeddings()
        assert in_float32 == pytest.approx(by_hand(head(hidden.float())), rel=1e-6)
        assert in_bfloat16 != pytest.approx(in_float32, rel=1e-6)  # the bfloat16 head rounds its logits


def test_the_profiles_loss_head_picks_the_trainer(trainer_and_report) -> None:
    import trl

    smoke = get_profile("smoke")
    own, fused = (replace(smoke, sft=replace(smoke.sft, loss_head=head)) for head in ("own", "trl"))
    assert sft_trainer_class(fused) is trl.SFTTrainer
    assert issubclass(sft_trainer_class(own), trl.SFTTrainer)
    assert sft_trainer_class(own).compute_loss is not trl.SFTTrainer.compute_loss
    trainer, _ = trainer_and_report  # built from the smoke profile's own setting
    # own_loss_sft_trainer() makes its class anew at each call
    assert type(trainer).__qualname__ == sft_trainer_class(smoke).__qualname__


def test_embedding_copy_learns_slower_than_the_adapter(trainer_and_report) -> None:
    trainer, _ = trainer_and_report
    settings = get_profile("smoke").sft
    groups = trainer.optimizer.param_groups
    assert [g["initial_lr"] if "initial_lr" in g else g["lr"] for g in groups] == [settings.learning_rate, settings.embedding_learning_rate]
    names = {id(p): n for n, p in trainer.model.named_parameters()}
    assert all("lora_" in names[id(p)] for p in groups[0]["params"])
    assert all("modules_to_save" in names[id(p)] for p in groups[1]["params"])


def _entropy(word: str, fitting: list[str]) -> float:
    counts = Counter(feedback(word, answer) for answer in fitting)
    return -sum(c / len(fitting) * math.log2(c / len(fitting)) for c in counts.values())


def test_most_informative_word_splits_the_fitting_answers_best(solver, answers) -> None:
    history = [("crane", feedback("crane", "moist"))]
    fitting = consistent_words(answers, history)
    words = fitting[:15]
    best = max(_entropy(w, fitting) for w in words)
    chosen = most_informative(words, history, solver)
    assert math.isclose(_entropy(chosen, fitting), best)
    assert chosen == min(w for w in words if math.isclose(_entropy(w, fitting), best))  # ties: alphabetical
    assert most_informative(list(reversed(words)), history, solver) == chosen


def test_own_word_label_is_the_most_informative_fitting_first_word(solver, answers) -> None:
    history = [("crane", feedback("crane", "moist"))]
    fitting = consistent_words(answers, history)
    best, second, third = sorted(fitting, key=lambda w: _entropy(w, fitting), reverse=True)[:3]
    not_fitting = next(a for a in answers if a not in fitting)
    written = [
        [answers[0].upper(), answers[1]],  # the opener is never labelled
        [f"{second.upper()} {best.upper()}", "<guess>", "\x00\ufffd garbled", f" {third}\n", ""],  # only first words count
        [not_fitting.upper(), "ZZZZZ", best[:4].upper(), "</think>"],  # nothing that fits every hint
    ]
    labels = choose_own_words([[], history, history], written, solver)
    assert labels == [None, most_informative([second, third], history, solver), None]
    assert labels[1] in (second, third) and labels[1] != best


def test_own_fitting_words_leave_the_callers_state_alone(smoke_base) -> None:
    model, tokenizer = smoke_base
    histories = [[], [("crane", feedback("crane", "moist"))], [("slate", feedback("slate", "moist"))]]
    side, tokenizer.padding_side = tokenizer.padding_side, "right"
    rng_state = torch.random.get_rng_state()
    model.train()
    try:
        labels = own_fitting_words(model, tokenizer, histories, samples=3, seed=1, batch_size=2)
        assert model.training  # generation ran in eval mode, and the mode is given back
        assert tokenizer.padding_side == "right"
    finally:
        model.eval()
        tokenizer.padding_side = side  # the fixture is shared
    assert len(labels) == 3 and labels[0] is None
    assert all(label is None or Knowledge.from_history(h).fits(label) for label, h in zip(labels, histories))
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # sampling does not move the caller's generator
    assert own_fitting_words(model, tokenizer, histories, samples=3, seed=1, batch_size=2) == labels  # repeatable


def test_own_words_need_the_tiny_base_model() -> None:
    gpu = get_profile("gpu")
    profile = replace(gpu, data=replace(gpu.data, own_word_samples=5))
    with pytest.raises(ValueError, match="own_word_samples needs the tiny base model.*set it to 0"):
        sft_training_data(profile)


def test_adapter_start_comes_from_the_profile_seed_alone() -> None:
    from wordle_helpers.modeling import load_base_model
    from wordle_helpers.sft import adapter_and_optimizer

    profile = get_profile("smoke")
    starts = []
    for draw in (1, 2):
        torch.manual_seed(draw)  # what ran before differs
        before = torch.random.get_rng_state()
        model, _ = adapter_and_optimizer(profile, load_base_model(profile)[0])
        assert torch.equal(torch.random.get_rng_state(), before)  # the caller's generator is left alone
        starts.append({n: p.detach().clone() for n, p in model.named_parameters() if "lora_A" in n})
    assert starts[0] and starts[0].keys() == starts[1].keys()
    assert all(torch.equal(starts[0][n], starts[1][n]) for n in starts[0])


def test_an_interrupted_sft_run_resumes_from_its_last_checkpoint(smoke_base, tmp_path, step_watch,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped after its first checkpoint (a kernel restart, Ctrl-C), SFT picks up from that checkpoint and trains
    only the steps left; the adapter it ends with is the one an uninterrupted run makes."""
    import shutil

    import wordle_helpers.profiles as profiles
    import wordle_helpers.sft as sft
    from wordle_helpers.modeling import file_digest

    smoke = get_profile("smoke")
    trained_base = smoke.output_dir / "base"  # built by the smoke_base fixture
    monkeypatch.setattr(profiles, "OUTPUT_DIR", tmp_path)
    runs = {name: replace(smoke, name=name) for name in ("whole", "interrupted")}
    for profile in runs.values():
        shutil.copytree(trained_base, tmp_path / profile.name / "base")
    assert smoke.sft.save_steps < smoke.sft.max_steps  # the smoke run saves a checkpoint halfway

    def watched(*args, **kwargs):
        trainer, report = build_sft_trainer(*args, **kwargs)
        trainer.add_callback(step_watch)
        return trainer, report

    whole = sft.train_sft(runs["whole"])
    out = tmp_path / "interrupted" / "sft"
    monkeypatch.setattr(sft, "build_sft_trainer", watched)
    step_watch.watch(stop_at=smoke.sft.save_steps + 1)
    with pytest.raises(KeyboardInterrupt):
        sft.train_sft(runs["interrupted"])
    assert step_watch.steps == list(range(1, smoke.sft.save_steps + 2))
    assert (out / f"checkpoint-{smoke.sft.save_steps}").exists() and not (out / "final").exists()
    record = out / f"checkpoint-{smoke.sft.save_steps}" / "wall_seconds.json"
    assert json.loads(record.read_text())["seconds"] > 0
    record.write_text(json.dumps({"seconds": 1000.0}))  # a long first run: the resumed one must add its time

    step_watch.watch(stop_at=None)
    start = time.perf_counter()
    resumed = sft.train_sft(runs["interrupted"])
    took = time.perf_counter() - start
    assert step_watch.steps == list(range(smoke.sft.save_steps + 1, smoke.sft.max_steps + 1))  # only the steps left
    assert file_digest(resumed / "adapter_model.safetensors") == file_digest(whole / "adapter_model.safetensors")
    # Its training time counts the first run's up to the checkpoint as well as its own.
    log = json.loads((out / "loss_log.json").read_text())
    assert log["resumed_at_step"] == smoke.sft.save_steps
    assert 1000.0 < log["train_seconds"] <= 1000.0 + took + 0.1, (took, log["train_seconds"])


def test_an_sft_run_on_other_own_words_is_not_reused(tmp_path, monkeypatch) -> None:
    import wordle_helpers.sft as sft
    from wordle_helpers.modeling import finished_adapter

    smoke = get_profile("smoke")
    assert sft.own_words_key(get_profile("gpu")) is None
    key = sft.own_words_key(smoke)
    assert key.startswith(f"own-{smoke.data.own_word_samples}-v{sft.OWN_WORDS_VERSION}-")
    sft._forget_stale_checkpoints(smoke, tmp_path)  # a run starts: recorded as trained on the current words
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "adapter_model.safetensors").write_bytes(b"")  # ... and finishes
    sft._forget_stale_checkpoints(smoke, tmp_path)  # the same words: the finished adapter stays
    assert finished_adapter(tmp_path) is not None
    monkeypatch.setattr(sft, "OWN_WORDS_VERSION", sft.OWN_WORDS_VERSION + 1)  # the words are found another way
    assert sft.own_words_key(smoke) != key
    sft._forget_stale_checkpoints(smoke, tmp_path)
    assert finished_adapter(tmp_path) is None and not (tmp_path / "final").exists()
