"""(3) The plain-PyTorch loop of examples/plain_loop.py, with a writer thread appending decisions."""

import copy
import json
import time

import pytest

torch = pytest.importorskip("torch")
import plain_loop  # noqa: E402
from conftest import Writer, decision, line, tw  # noqa: E402

N, FEATURES = 96, 8


class Data(torch.utils.data.Dataset):
    """A linear regression with noise, in float64; records the indices it serves."""

    def __init__(self):
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(N, FEATURES, generator=g, dtype=torch.float64)
        w = torch.randn(FEATURES, 1, generator=g, dtype=torch.float64)
        self.y = self.x @ w + 0.1 * torch.randn(N, 1, generator=g, dtype=torch.float64)
        self.served = []

    def __len__(self):
        return N

    def __getitem__(self, i):
        self.served.append(int(i))
        return self.x[i], self.y[i]


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(FEATURES, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()


def run(path, tmp_path, script, steps=6, writer=None):
    """Runs the example loop (micro-batch 8 x accumulation 2); `script` maps a step to bytes the
    writer appends after that step's poll (seen at the next step)."""
    data, m = Data(), model()
    trace = []  # (step, micro_batch, gradient_accumulation, parameters after the step)
    slept = []
    sizes = []  # the batch size of each forward pass
    m.register_forward_pre_hook(lambda module, args: sizes.append(len(args[0])))

    def on_step(step, settings, applied):
        trace.append((step, settings.micro_batch, settings.gradient_accumulation, copy.deepcopy(m.state_dict())))
        if writer is not None and step in script:
            writer.write(script[step])

    done, resume = plain_loop.train(
        m,
        data,
        torch.nn.functional.mse_loss,
        path,
        micro_batch=8,
        gradient_accumulation=2,
        steps=steps,
        checkpoint_dir=str(tmp_path / "ckpt"),
        on_step=on_step,
        sleep=lambda s: (slept.append(s), time.sleep(s)),
    )
    return done, resume, trace, data.served, slept, sizes


def test_loop_halves_the_micro_batch_live_and_restarts_for_precision(tmp_path):
    path = tmp_path / "late" / "decisions.jsonl"  # appears only when the writer first writes
    path.parent.mkdir()
    # The same run with no decisions: the reference trajectory.
    _, _, reference, ref_served, _, ref_sizes = run(path, tmp_path / "ref", {})
    assert len(reference) == 6 and ref_sizes == [8] * 12

    writer = Writer(path)
    writer.start()
    script = {
        1: line(decision("pause", {"pause_s": 0.2}, step=1)),
        2: line(decision("halve_micro_batch", {"micro_batch": 4, "gradient_accumulation": 4}, step=2)),
        4: line(decision("lower_precision", {"precision": "bf16"}, step=4)),
    }
    done, resume, trace, served, slept, sizes = run(path, tmp_path, script, writer=writer)
    writer.stop()

    assert slept == [0.2]
    # `trace` holds the settings after each step's poll. The halving, written after step 2's
    # poll, was read at step 3's: steps 1-3 ran 8 x 2, steps 4-5 ran 4 x 4.
    assert [(s, mb, ga) for s, mb, ga, _ in trace] == [(1, 8, 2), (2, 8, 2), (3, 4, 4), (4, 4, 4), (5, 4, 4)]
    assert sizes == [8] * 6 + [4] * 8
    # Same samples in the same order (16 per step, none skipped or repeated)...
    assert served == ref_served[: 5 * 16] and len(set(served)) == len(served)
    # ... so the same parameters after every step: the live change keeps the step's gradient the
    # mean over its 16 samples (float64; only the summation order differs).
    for (_, _, _, got), (_, _, _, want) in zip(trace, reference[: len(trace)], strict=True):
        for name in want:
            torch.testing.assert_close(got[name], want[name], rtol=1e-12, atol=1e-12)
    # A changed parameter shows the check can fail: the trajectory moves from step to step.
    assert not torch.equal(reference[3][3]["0.weight"], reference[2][3]["0.weight"])

    # The precision change, read at step 5, needs a restart: a checkpoint and the resume file.
    assert done == 5
    folder = tmp_path / "ckpt" / "checkpoint-5"
    assert resume == str(folder / tw.RESUME_FILE)
    state = torch.load(folder / "state.pt")
    assert state["step"] == 5
    torch.testing.assert_close(state["model"]["0.weight"], trace[-1][3]["0.weight"])
    record = json.loads((folder / tw.RESUME_FILE).read_text())
    assert record["set"] == {"precision": "bf16"}
    assert record["training_arguments"] == {"bf16": True, "fp16": False}
    assert record["other"] == {"dtype": "bfloat16", "precision": "bf16", "micro_batch": 4, "gradient_accumulation": 4}


def test_loop_with_prefetching_workers_keeps_the_samples_per_step(tmp_path):
    """With worker processes the loader has asked for batches ahead: the old size arrives for a
    few more batches, and counting samples (not batches) still closes each step at 16."""
    data = Data()
    settings = tw.LoopSettings(micro_batch=8, gradient_accumulation=2)
    sampler = tw.ResizableBatchSampler(range(N), 8)
    loader = torch.utils.data.DataLoader(data, batch_sampler=sampler, num_workers=1, prefetch_factor=2)
    sizes, steps, seen = [], [], 0
    for _, y in loader:
        sizes.append(len(y))
        seen += len(y)
        if seen >= settings.samples_per_step:
            steps.append(seen)
            seen = 0
            if len(steps) == 1:
                tw.apply_decisions(
                    [decision("halve_micro_batch", {"micro_batch": 4, "gradient_accumulation": 4})], settings, sampler
                )
    assert steps == [16] * (N // 16)
    assert sizes[:2] == [8, 8] and sizes[-1] == 4 and 8 in sizes[2:]  # old size still in flight
    assert sum(sizes) == N
