"""Train with the Hugging Face Trainer under `trainfit watch`, following its decisions.

    trainfit watch --plan plan.json --decisions decisions.jsonl -- \\
        python hf_train.py --output-dir out --decisions decisions.jsonl

When trainfit decides on a change the Trainer cannot make live (micro-batch, accumulation,
sequence, ...), TrainfitCallback saves a checkpoint and stops; this script then resumes from it
in the same process with the new values. Run again, it resumes from the last checkpoint with
every value trainfit decided so far. The model is a tiny random Llama and the data random tokens
so that it runs anywhere (integrations/python/tests/test_example.py runs it); put yours in
`model_and_data`.
"""

import argparse
import os

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

import trainfit_watch as tw


class RandomTokens(torch.utils.data.Dataset):
    def __init__(self, n, sequence, vocab, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, vocab, (n, sequence), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def model_and_data(sequence, dtype=None):
    """The model (in `dtype` when trainfit chose 16-bit weights) and the data cut to `sequence`."""
    config = LlamaConfig(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    if dtype is not None:
        model = model.to(getattr(torch, dtype))
    return model, RandomTokens(512, sequence, config.vocab_size)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--output-dir", required=True)
    p.add_argument(
        "--decisions", default=os.environ.get("TRAINFIT_DECISIONS"), help="trainfit watch's --decisions file"
    )
    p.add_argument("--max-steps", type=int, default=40)
    p.add_argument("--batch", type=int, default=4, help="per-device micro-batch")
    p.add_argument("--accumulation", type=int, default=2)
    p.add_argument("--sequence", type=int, default=32)
    p.add_argument("--read-existing", action="store_true", help="also act on decisions already in the file")
    a = p.parse_args(argv)

    args = TrainingArguments(
        output_dir=a.output_dir,
        per_device_train_batch_size=a.batch,
        gradient_accumulation_steps=a.accumulation,
        max_steps=a.max_steps,
        learning_rate=1e-3,
        save_strategy="steps",
        save_steps=a.max_steps,
        logging_strategy="no",
        report_to="none",
        use_cpu=not torch.cuda.is_available(),
        disable_tqdm=True,
    )
    # One callback for every resumption in this process: it reads on from where it stopped.
    callback = tw.TrainfitCallback(a.decisions, skip_existing=not a.read_existing)
    while True:
        checkpoint = get_last_checkpoint(a.output_dir) if os.path.isdir(a.output_dir) else None
        run_args = tw.TrainfitCallback.resumed_arguments(args, checkpoint)
        record = tw.TrainfitCallback.resume_record_for(checkpoint) if checkpoint else None
        other = (record or {}).get("other", {})
        sequence = int(other.get("sequence", a.sequence))
        for key in sorted(set(other) - {"sequence", "dtype", "precision", "global_batch"}):
            print(f"trainfit example: {key}={other[key]} is for the launcher, not this script")
        model, data = model_and_data(sequence, other.get("dtype"))
        print(
            f"trainfit example: from {checkpoint or 'the start'}: micro-batch"
            f" {run_args.per_device_train_batch_size} x accumulation {run_args.gradient_accumulation_steps},"
            f" sequence {sequence}",
            flush=True,
        )
        trainer = Trainer(model=model, args=run_args, train_dataset=data, callbacks=[callback])
        callback.resume_path = None
        trainer.train(resume_from_checkpoint=checkpoint)
        if callback.resume_path is None:  # finished (or stopped for another reason)
            print(f"trainfit example: done at step {trainer.state.global_step}", flush=True)
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
