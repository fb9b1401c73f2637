"""(1) Reading the decisions file: every action, partial lines, late, rotated and truncated files."""

import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES, append, decision, line, tw


def test_every_action_is_read_in_order_and_classified(tmp_path):
    path = tmp_path / "decisions.jsonl"
    written = [decision(a, step=i) for i, a in enumerate(tw.ACTIONS)]
    append(path, b"".join(line(d) for d in written))
    state = tw.PollState()
    got = tw.poll(path, state)
    assert [d["action"] for d in got] == list(tw.ACTIONS)
    assert got == written
    assert state.skipped == []
    assert tw.poll(path, state) == []  # nothing new
    live_only = {"power_cap", "pause", "continue", "none_left"}
    for d in got:
        assert tw.needs_restart(d) == (d["action"] not in live_only), d["action"]
    # The set keys of the examples are all wire names this module knows.
    for changes in EXAMPLES.values():
        for key in changes or {}:
            assert key in tw.LIVE_KEYS | tw.RESTART_KEYS


def test_partial_lines_wait_for_their_newline(tmp_path):
    path = tmp_path / "decisions.jsonl"
    state = tw.PollState()
    # A reason with multi-byte characters, written a few bytes at a time: a write may stop in
    # the middle of a character as well as of a line.
    d = decision("halve_micro_batch", reason="peak 24.1 GB ≥ 95 % × 25.8 GB, micro-batch 4 → 2")
    data = line(d)
    cut = data.index("≥".encode()) + 1  # inside the 3-byte character
    append(path, data[:cut])
    assert tw.poll(path, state) == []
    append(path, data[cut:-1])  # all but the newline
    assert tw.poll(path, state) == []
    append(path, b"\n" + line(decision("pause"))[:10])
    assert tw.poll(path, state) == [d]
    assert state.partial == line(decision("pause"))[:10]
    assert state.skipped == []


def test_a_null_knob_is_an_absent_one(tmp_path):
    path = tmp_path / "decisions.jsonl"
    d = decision("halve_micro_batch", {"micro_batch": 2, "gradient_accumulation": 8, "sequence": None, "device": None})
    append(path, line(d))
    (got,) = tw.read_all(path)
    assert got["set"] == {"micro_batch": 2, "gradient_accumulation": 8}


def test_file_that_appears_late(tmp_path):
    path = tmp_path / "later" / "decisions.jsonl"
    state = tw.PollState()
    for _ in range(3):
        assert tw.poll(path, state) == []
    os.makedirs(path.parent)
    d = decision("pause", step=7)
    append(path, line(d))
    assert tw.poll(path, state) == [d]


def test_rotation_reads_the_old_file_to_its_end_first(tmp_path):
    path = tmp_path / "decisions.jsonl"
    a, b, c, e = (decision("continue", step=s) for s in range(4))
    append(path, line(a))
    state = tw.PollState()
    assert tw.poll(path, state) == [a]
    # The writer keeps its handle on the renamed file for a moment, then starts a new one.
    with open(path, "ab") as old:
        os.rename(path, str(path) + ".1")
        old.write(line(b))
        old.flush()
        assert tw.poll(path, state) == [b]  # no new file yet: the old one is followed
        old.write(line(c))
        old.write(b'{"schema": "trainfit.decision/1", "act')  # never finished
    append(path, line(e))
    assert tw.poll(path, state) == [c, e]
    assert [why for why, _ in state.skipped] == ["unfinished line of a rotated file"]
    # Deleted and created again.
    os.remove(path)
    f = decision("pause", step=9)
    append(path, line(f))
    assert tw.poll(path, state) == [f]


def test_truncated_file_is_read_from_the_start(tmp_path):
    path = tmp_path / "decisions.jsonl"
    append(path, line(decision("continue")) * 3)
    state = tw.PollState()
    assert len(tw.poll(path, state)) == 3
    d = decision("pause")
    with open(path, "r+b") as f:  # copytruncate, as logrotate does
        f.truncate(0)
    append(path, line(d))
    assert tw.poll(path, state) == [d]


def test_lines_that_are_not_decisions_are_skipped_and_listed(tmp_path):
    path = tmp_path / "decisions.jsonl"
    good = [decision("continue"), decision("pause", {"pause_s": 0.25}), decision("pause")]
    append(
        path,
        line(good[0])
        + b"\n   \n"  # blank lines are not errors
        + b"{not json\n"
        + b"[1, 2]\n"
        + b'{"schema": "trainfit.decision/2", "action": "pause"}\n'
        + b'{"schema": "trainfit.decision/1", "reason": "no action"}\n'
        + b'{"schema": "trainfit.decision/1", "action": "pause", "set": [1]}\n'
        + b"\xff\xfe\n"
        + line(decision("pause", {"pause_s": "soon"}))
        + line(decision("pause", {"pause_s": float("nan")}))
        + line(decision("halve_micro_batch", {"micro_batch": 0}))
        + line(decision("halve_micro_batch", {"micro_batch": True}))
        + line(decision("lower_precision", {"precision": 16}))
        + line(good[1])
        + line(good[2]),
    )
    state = tw.PollState()
    assert tw.poll(path, state) == good
    whys = [why for why, _ in state.skipped]
    assert len(whys) == 11, whys
    assert whys[0].startswith("not JSON")
    assert whys[1] == "not a JSON object"
    assert "trainfit.decision/2" in whys[2]
    assert whys[3] == "no action"
    assert whys[4] == "set is not an object"
    assert whys[5].startswith("not JSON")
    assert whys[6:] == [
        "set.pause_s is 'soon'",
        "set.pause_s is nan",
        "set.micro_batch is 0",
        "set.micro_batch is True",
        "set.precision is 16",
    ]


def test_after_existing_skips_an_earlier_runs_decisions(tmp_path):
    path = tmp_path / "decisions.jsonl"
    old = line(decision("halve_micro_batch", step=5))
    writing = line(decision("pause", step=9))
    append(path, old + old + writing[:20])
    state = tw.PollState.after_existing(path)
    assert tw.poll(path, state) == []
    new = decision("continue", step=10)
    append(path, writing[20:] + line(new))
    got = tw.poll(path, state)
    assert [d["action"] for d in got] == ["pause", "continue"]
    # A file that does not exist yet holds only new decisions.
    state = tw.PollState.after_existing(tmp_path / "none.jsonl")
    append(tmp_path / "none.jsonl", old)
    assert len(tw.poll(tmp_path / "none.jsonl", state)) == 1
    assert len(tw.read_all(path)) == 4


@pytest.mark.parametrize("action", [a for a in tw.ACTIONS if a not in ("continue", "none_left")])
def test_resume_record_of_each_action(action):
    d = decision(action)
    record = tw.resume_record([d], "out/checkpoint-7", 7)
    changes = EXAMPLES[action]
    assert record["schema"] == tw.RESUME_SCHEMA
    assert record["set"] == {k: v for k, v in changes.items() if k not in tw.LIVE_KEYS}
    ta, other = record["training_arguments"], record["other"]
    if "micro_batch" in changes:
        assert ta["per_device_train_batch_size"] == changes["micro_batch"]
    if "gradient_accumulation" in changes:
        assert ta["gradient_accumulation_steps"] == changes["gradient_accumulation"]
    expected = {
        "full_checkpointing": {"gradient_checkpointing": True},
        "adamw_8bit": {"optim": "adamw_bnb_8bit"},
        "lower_precision": {"bf16": True, "fp16": False},
        "cpu": {"use_cpu": True},
    }.get(action, {})
    for k, v in expected.items():
        assert ta[k] == v
    for key in ("sequence", "devices", "offload_optimizer", "global_batch"):
        if key in changes:
            assert other[key] == changes[key]
    assert record["not_expressible"] == {}


def test_later_decisions_win_and_selective_is_refused():
    record = tw.resume_record(
        [
            decision("halve_micro_batch", {"micro_batch": 4, "gradient_accumulation": 4}),
            decision("halve_micro_batch", {"micro_batch": 2, "gradient_accumulation": 8}),
            decision("full_checkpointing", {"checkpointing": "selective"}),
            decision("lower_precision", {"precision": "fp16"}),
        ],
        None,
        None,
    )
    assert record["training_arguments"] == {
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 8,
        "fp16": True,
        "bf16": False,
    }
    assert record["other"] == {"dtype": "float16", "precision": "fp16"}
    assert "selective" in record["not_expressible"]["checkpointing"]


def test_apply_decisions_without_torch():
    sampler = tw.ResizableBatchSampler(range(10), batch_size=4)
    assert [len(b) for b in sampler] == [4, 4, 2] and len(sampler) == 3
    settings = tw.LoopSettings(micro_batch=4, gradient_accumulation=2)
    slept = []
    applied = tw.apply_decisions(
        [
            decision("pause", {"pause_s": 0.25}),
            decision("halve_micro_batch", {"micro_batch": 2, "gradient_accumulation": 4}),
            decision("lower_precision"),
            decision("none_left"),
        ],
        settings,
        sampler,
        sleep=slept.append,
    )
    assert slept == [0.25] and applied.paused_s == 0.25
    assert (settings.micro_batch, settings.gradient_accumulation, sampler.batch_size) == (2, 4, 2)
    assert settings.samples_per_step == 8
    assert applied.changed == {"micro_batch": 2, "gradient_accumulation": 4}
    assert [d["action"] for d in applied.restart] == ["lower_precision"]
    assert [d["action"] for d in applied.none_left] == ["none_left"]
    assert [len(b) for b in sampler] == [2] * 5


def test_importing_the_module_imports_neither_torch_nor_transformers():
    code = (
        "import sys, trainfit_watch as tw; "
        "assert not {'torch', 'transformers'} & set(sys.modules), sorted(m for m in sys.modules if 'tor' in m); "
        "print(tw.RESUME_FILE)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=os.path.dirname(tw.__file__), capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and r.stdout.strip() == tw.RESUME_FILE, r.stderr
