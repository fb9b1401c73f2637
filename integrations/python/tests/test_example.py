"""examples/hf_train.py run as a user would, in its own process."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("transformers")
from conftest import HERE, append, decision, line, tw  # noqa: E402

EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "hf_train.py")


def run(*args, env=None):
    env = {**os.environ, "PYTHONPATH": os.path.dirname(HERE), **(env or {})}
    return subprocess.run([sys.executable, EXAMPLE, *args], capture_output=True, text=True, env=env, timeout=300)


def test_example_resumes_in_process_with_the_decided_values(tmp_path):
    path = tmp_path / "decisions.jsonl"
    append(
        path,
        line(decision("halve_micro_batch", {"micro_batch": 2, "gradient_accumulation": 4}, step=0))
        + line(decision("halve_sequence", {"sequence": 16}, step=0)),
    )
    out = tmp_path / "out"
    r = run("--output-dir", str(out), "--max-steps", "6", "--read-existing", env={"TRAINFIT_DECISIONS": str(path)})
    assert r.returncode == 0, r.stderr[-3000:]
    lines = [x for x in r.stdout.splitlines() if x.startswith("trainfit example:")]
    assert lines == [
        "trainfit example: from the start: micro-batch 4 x accumulation 2, sequence 32",
        f"trainfit example: from {out}/checkpoint-1: micro-batch 2 x accumulation 4, sequence 16",
        "trainfit example: done at step 6",
    ], r.stdout
    record = json.loads((out / "checkpoint-1" / tw.RESUME_FILE).read_text())
    assert record["training_arguments"] == {"per_device_train_batch_size": 2, "gradient_accumulation_steps": 4}
    assert record["other"] == {"sequence": 16}
    state = json.loads((out / "checkpoint-6" / "trainer_state.json").read_text())
    # (trainer_state.json keeps the first run's train_batch_size: the Trainer restores the state
    # from the checkpoint; test_trainer.py counts the resumed run's batches.)
    assert state["global_step"] == 6

    # Run again: it resumes from checkpoint-6 (no resume file of its own) with the output
    # folder's record, and the decisions already in the file are not acted on again.
    append(path, line(decision("continue", step=6)))
    r = run("--output-dir", str(out), "--max-steps", "8", "--decisions", str(path))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"trainfit example: from {out}/checkpoint-6: micro-batch 2 x accumulation 4, sequence 16" in r.stdout
    assert "trainfit example: done at step 8" in r.stdout
