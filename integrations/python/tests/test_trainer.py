"""(2) A real tiny Hugging Face Trainer run on the CPU with TrainfitCallback, a writer thread
appending decisions while it trains."""

import dataclasses
import json
import logging
import time

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from conftest import Writer, append, decision, line, tw  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainerCallback, TrainingArguments  # noqa: E402
from transformers.training_args import OptimizerNames  # noqa: E402

SEQ = 16
VOCAB = 64


class Tokens(torch.utils.data.Dataset):
    """Random token sequences (labels = inputs: causal LM); a fixed seed makes them repeatable."""

    def __init__(self, n=256, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, VOCAB, (n, SEQ), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def tiny_llama():
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=SEQ,
    )
    return LlamaForCausalLM(config)


def arguments(out, **kw):
    base = dict(
        output_dir=str(out),
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
        max_steps=12,
        learning_rate=1e-3,
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
        seed=0,
    )
    base.update(kw)
    return TrainingArguments(**base)


class Batches(TrainerCallback):
    """Counts the micro-batches (and their sizes) of each optimizer step through a forward hook."""

    def __init__(self, model):
        self.sizes = []  # batch size of each forward call
        self.per_step = []  # forward calls between optimizer steps
        self._since = 0
        model.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, module, args, kwargs):
        if module.training:
            self.sizes.append(int(kwargs["input_ids"].shape[0]))
            self._since += 1

    def on_optimizer_step(self, args, state, control, **kw):
        self.per_step.append(self._since)
        self._since = 0


class Script(TrainerCallback):
    """Tells the writer what to append at which step; `before` runs before TrainfitCallback's
    on_step_end, `after` after it."""

    def __init__(self, writer, when):
        self.writer, self.when = writer, when

    def on_step_end(self, args, state, control, **kw):
        data = self.when.get(state.global_step)
        if data is not None:
            self.writer.write(data)


class Before(Script):
    pass


class After(Script):
    pass


class Recorded(tw.TrainfitCallback):
    """TrainfitCallback that records when each of its polls ended and what it slept."""

    def __init__(self, *a, **kw):
        self.polls = {}  # step -> (start, end) of on_step_end
        self.slept = []

        def sleep(s):
            self.slept.append(s)
            time.sleep(s)

        super().__init__(*a, sleep=sleep, **kw)

    def on_step_end(self, args, state, control, **kw):
        start = time.monotonic()
        control = super().on_step_end(args, state, control, **kw)
        self.polls[state.global_step] = (start, time.monotonic())
        return control


def test_trainer_pauses_then_stops_with_a_checkpoint_and_the_new_arguments(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="trainfit_watch")
    path = tmp_path / "decisions.jsonl"
    # An earlier run's decision is in the file already: it must not be acted on again.
    append(path, line(decision("halve_micro_batch", {"micro_batch": 1, "gradient_accumulation": 16}, step=2)))
    writer = Writer(path)
    writer.start()
    halve = line(decision("halve_micro_batch", {"micro_batch": 2, "gradient_accumulation": 4}, step=6))
    before = Before(
        writer,
        {
            3: line(decision("pause", {"pause_s": 0.5}, step=3)),
            4: line(decision("power_cap", {"power_cap_w": 250}, step=4)) + line(decision("continue", step=4)),
            6: halve[:25],  # half a line: nothing to do yet
        },
    )
    after = After(writer, {6: halve[25:]})  # the rest, once the callback has read at step 6

    model = tiny_llama()
    counter = Batches(model)
    callback = Recorded(path)
    args = arguments(tmp_path / "out")
    trainer = Trainer(model=model, args=args, train_dataset=Tokens(), callbacks=[counter, before, callback, after])
    t0 = time.monotonic()
    trainer.train()
    print(f"first run: {time.monotonic() - t0:.2f} s for {trainer.state.global_step} steps")

    # The pause slept 0.5 s in step 3's callback.
    assert callback.slept == [0.5]
    start, end = callback.polls[3]
    assert end - start >= 0.5
    # power_cap is logged with its command, not run; continue is logged; neither stops.
    assert "nvidia-smi -pl 250" in caplog.text
    assert "no change needed" in caplog.text
    # The half line was there at step 6, the whole one at step 7: it stopped at step 7 of 12.
    assert [d["action"] for d in callback.seen] == ["pause", "power_cap", "continue", "halve_micro_batch"]
    assert trainer.state.global_step == 7
    assert counter.per_step == [2] * 7 and set(counter.sizes) == {4}
    checkpoint = tmp_path / "out" / "checkpoint-7"
    for name in ("trainer_state.json", "model.safetensors", "optimizer.pt", "scheduler.pt", tw.RESUME_FILE):
        assert (checkpoint / name).exists(), name
    assert callback.resume_path == str(checkpoint / tw.RESUME_FILE)
    record = json.loads((checkpoint / tw.RESUME_FILE).read_text())
    assert record["training_arguments"] == {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 4}
    assert record["global_step"] == 7 and record["checkpoint"] == str(checkpoint)
    assert record["decisions"][0]["reason"] == json.loads(halve)["reason"]

    # Resume with the new arguments: batches of 2, 4 per step, global batch 8 kept, steps 8..12.
    # The callback of the new run skips the decisions already in the file.
    new_args = tw.TrainfitCallback.resumed_arguments(args, checkpoint)
    assert (new_args.per_device_train_batch_size, new_args.gradient_accumulation_steps) == (2, 4)
    assert new_args.max_steps == 12 and new_args.output_dir == args.output_dir
    model = tiny_llama()
    counter = Batches(model)
    callback = Recorded(path)
    trainer = Trainer(model=model, args=new_args, train_dataset=Tokens(), callbacks=[counter, callback])
    trainer.train(resume_from_checkpoint=str(checkpoint))
    assert trainer.state.global_step == 12
    assert callback.seen == []
    assert counter.per_step == [4] * 5 and set(counter.sizes) == {2}
    writer.stop()


def test_resume_arguments_are_real_training_arguments(tmp_path):
    """The names the resume file uses are fields and values of the installed transformers."""
    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    optims = {o.value for o in OptimizerNames}
    for action in tw.ACTIONS:
        ta, _, _ = tw.training_arguments(decision(action).get("set") or {})
        assert set(ta) <= names, action
    for optimizer in ("adamw", "adamw8bit", "sgd", "sgd_momentum", "adafactor", "lion"):
        ta, _, refused = tw.training_arguments({"optimizer": optimizer})
        assert ta["optim"] in optims and not refused
        args = arguments(tmp_path, **ta)  # TrainingArguments accepts them
        assert args.optim == ta["optim"]
    for precision in ("fp32", "bf16", "amp_bf16", "mixed_bf16"):
        ta, _, _ = tw.training_arguments({"precision": precision})
        assert set(ta) <= names
        arguments(tmp_path, **ta)  # bf16 on the CPU is accepted with use_cpu


def test_trainer_gradient_accumulation_cannot_change_live(tmp_path):
    """Why accumulation goes through a restart: changed mid-epoch in the Trainer, the optimizer
    steps out of step with the prefetched groups (transformers trainer.py, _run_epoch)."""

    class Change(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step == 1:
                args.gradient_accumulation_steps = 4

    model = tiny_llama()
    counter = Batches(model)
    trainer = Trainer(
        model=model,
        args=arguments(tmp_path, max_steps=4),
        train_dataset=Tokens(64),
        callbacks=[counter, Change()],
    )
    trainer.train()
    # A live change would give [2, 4, 4, 4]. The group fetched after the change holds 4
    # micro-batches, but the running counter steps the optimizer after its second (step 3 of the
    # epoch): that step has 2 micro-batches, and every later step spans two groups.
    assert counter.per_step == [2, 2, 4, 4]
