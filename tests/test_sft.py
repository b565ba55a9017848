"""SFT data and the loss mask, inspected on a real collated batch from TRL's SFTTrainer."""

from __future__ import annotations

import pytest

from wordle_helpers.profiles import get_profile
from wordle_helpers.prompts import ASSISTANT_PREFILL
from wordle_helpers.sft import build_sft_trainer, length_report, sft_training_data, to_conversation


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


def test_embedding_copy_learns_slower_than_the_adapter(trainer_and_report) -> None:
    trainer, _ = trainer_and_report
    settings = get_profile("smoke").sft
    groups = trainer.optimizer.param_groups
    assert [g["initial_lr"] if "initial_lr" in g else g["lr"] for g in groups] == [settings.learning_rate, settings.embedding_learning_rate]
    names = {id(p): n for n, p in trainer.model.named_parameters()}
    assert all("lora_" in names[id(p)] for p in groups[0]["params"])
    assert all("modules_to_save" in names[id(p)] for p in groups[1]["params"])
