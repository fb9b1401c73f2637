"""Shared helpers: decisions as `trainfit watch` writes them (issue 15's wire format)."""

import json
import os
import sys
import threading
import time

# Tiny models: one thread each. With two threads on a busy 2-core machine, torch's OpenMP
# workers spin-wait for each other (12 Trainer steps: 1.2-1.6 s with one thread, 10-18 s with two,
# load average 12, measured 2026-12-02).
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # trainfit_watch
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "examples"))

import trainfit_watch as tw  # noqa: E402

# One decision per action code, with the `set` each action's wire description gives and reasons
# with numbers, as the core's `adjust` writes them.
EXAMPLES = {
    "halve_micro_batch": {"micro_batch": 2, "gradient_accumulation": 8},
    "full_checkpointing": {"checkpointing": "full"},
    "adamw_8bit": {"optimizer": "adamw8bit"},
    "offload_optimizer": {"offload_optimizer": True},
    "halve_sequence": {"sequence": 1024, "micro_batch": 8},
    "mesh_layout": {"devices": 8, "micro_batch": 1, "gradient_accumulation": 16},
    "lower_precision": {"precision": "bf16"},
    "keep_optimizer_on_device": {"offload_optimizer": False},
    "more_accumulation": {"gradient_accumulation": 16, "global_batch": 64},
    "power_cap": {"power_cap_w": 250},
    "pause": {"pause_s": 30},
    "fewer_devices": {"devices": 3, "gradient_accumulation": 6, "global_batch": 72},
    "cpu": {"device": "cpu"},
    "continue": None,
    "none_left": None,
}

OBSERVATIONS = {
    "pause": {"kind": "throttling", "reason": "thermal", "temperature_c": 91.0, "clock_share": 0.62},
    "power_cap": {"kind": "throttling", "reason": "power"},
    "fewer_devices": {"kind": "device_lost", "devices_left": 3},
    "cpu": {"kind": "device_lost", "devices_left": 0},
    "continue": {"kind": "slow_step", "measured_step_s": 1.02, "predicted_step_s": 0.95},
}
OOM = {
    "kind": "out_of_memory",
    "step": 120,
    "requested_bytes": 2147483648,
    "used_bytes": 23622320128,
    "capacity_bytes": 25757220864,
}


def decision(action, changes=None, step=None, observation=None, reason=None):
    """A decisions-file line's object (issue 15 wire: Decision + schema, time, step, observation)."""
    d = {
        "schema": tw.SCHEMA,
        "time": time.time(),
        "action": action,
        "reason": reason or f"{action}: 23.6 GB used of 25.8 GB at step 120, 2.1 GB more requested",
        "observation": observation or OBSERVATIONS.get(action, OOM),
    }
    if step is not None:
        d["step"] = step
    if action != "none_left":
        if changes is None:
            changes = EXAMPLES.get(action)
        if changes is not None:
            d["set"] = changes
        d["configuration"] = {"micro_batch": 2, "gradient_accumulation": 8, "sequence": 2048}
        d["peak_bytes"] = 21474836480
    return d


def line(d):
    return (json.dumps(d, ensure_ascii=False) + "\n").encode("utf-8")


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)
        f.flush()


class Writer(threading.Thread):
    """Appends to the decisions file when told, as `trainfit watch` would from its process."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.jobs = []
        self.cv = threading.Condition()
        self.done = 0

    def write(self, data):
        """Hands `data` to the thread and waits until it is in the file."""
        with self.cv:
            self.jobs.append(data)
            self.cv.notify_all()
            n = self.done + len(self.jobs)
            assert self.cv.wait_for(lambda: self.done >= n, timeout=10)

    def stop(self):
        with self.cv:
            self.jobs.append(None)
            self.cv.notify_all()
        self.join(timeout=10)

    def run(self):
        while True:
            with self.cv:
                self.cv.wait_for(lambda: self.jobs)
                data = self.jobs.pop(0)
            if data is None:
                return
            append(self.path, data)
            with self.cv:
                self.done += 1
                self.cv.notify_all()
