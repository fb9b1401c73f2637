"""A real `trainfit adjust` decision, wrapped as `trainfit watch` writes it, stops a Trainer run.

Needs the `trainfit` binary with the `adjust` subcommand (`cargo build -p trainfit-probe`):
TRAINFIT_BIN, else target/release/trainfit or target/debug/trainfit of this checkout.
"""

import json
import os
import subprocess
import time

import pytest

pytest.importorskip("transformers")
from conftest import HERE, Writer, line, tw  # noqa: E402
from test_trainer import Batches, Recorded, Script, Tokens, arguments, tiny_llama  # noqa: E402
from transformers import Trainer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def trainfit_bin():
    for path in (
        os.environ.get("TRAINFIT_BIN"),
        os.path.join(ROOT, "target", "release", "trainfit"),
        os.path.join(ROOT, "target", "debug", "trainfit"),
    ):
        if path and os.access(path, os.X_OK):
            return path
    return None


BIN = trainfit_bin()


def trainfit(*args, stdin=None):
    r = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"trainfit {' '.join(args)}: {r.stderr}"
    return r.stdout


def has_adjust():
    if BIN is None:
        return False
    return subprocess.run([BIN, "adjust", "--help"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(
    not has_adjust(), reason=f"no trainfit with `adjust` (TRAINFIT_BIN, target/*/trainfit; found {BIN})"
)


def test_a_real_out_of_memory_decision_stops_the_trainer(tmp_path):
    # A plan for the recorded RTX 4090 desktop (tests/data/profiles), the default goal.
    with open(os.path.join(ROOT, "tests", "data", "profiles", "rtx4090-desktop.json"), encoding="utf-8") as f:
        profile = json.load(f)
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(trainfit("plan", "--input", "-", "--json", stdin=json.dumps({"profile": profile, "goal": {}})))
    plan = json.loads(plan_path.read_text())
    balanced = next(c for c in plan["configurations"] if c["mode"] == "balanced")
    micro, accum = balanced["micro_batch"], balanced["gradient_accumulation"]

    # Out of memory at step 3: 2 GiB asked with 22 of 24 GiB in use.
    observation = {
        "kind": "out_of_memory",
        "step": 3,
        "requested_bytes": 2 * 2**30,
        "used_bytes": 22 * 2**30,
        "capacity_bytes": 24 * 2**30,
    }
    obs_path = tmp_path / "observation.json"
    obs_path.write_text(json.dumps(observation))
    d = json.loads(trainfit("adjust", "--plan", str(plan_path), "--mode", "balanced", "--observation", str(obs_path)))
    assert d["action"] not in ("continue", "none_left"), d
    assert tw.needs_restart(d), d
    # The envelope `trainfit watch` adds (issue 15 wire format).
    d.update({"schema": tw.SCHEMA, "time": time.time(), "step": 3, "observation": observation})

    path = tmp_path / "decisions.jsonl"
    writer = Writer(path)
    writer.start()
    model = tiny_llama()
    counter = Batches(model)
    callback = Recorded(path)
    args = arguments(
        tmp_path / "out", per_device_train_batch_size=micro, gradient_accumulation_steps=accum, max_steps=8
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Tokens(n=micro * accum * 8),
        callbacks=[counter, callback, Script(writer, {3: line(d)})],  # written after step 3's poll
    )
    trainer.train()
    writer.stop()

    assert [x["action"] for x in callback.seen] == [d["action"]]
    assert trainer.state.global_step == 4
    assert counter.per_step == [accum] * 4 and set(counter.sizes) == {micro}
    record = json.loads((tmp_path / "out" / "checkpoint-4" / tw.RESUME_FILE).read_text())
    ta, other, refused = tw.training_arguments(d["set"])
    assert record["training_arguments"] == ta and record["other"] == other and record["not_expressible"] == refused
    if d["action"] == "halve_micro_batch":
        # Half the micro-batch, the global batch kept.
        assert ta["per_device_train_batch_size"] == micro // 2
        assert ta["per_device_train_batch_size"] * ta.get("gradient_accumulation_steps", accum) == micro * accum
