"""Act on the decisions `trainfit watch --decisions FILE` writes, from inside a training loop.

The decisions file holds JSON lines (schema ``trainfit.decision/1``): each line is one
``Decision`` of trainfit's core (``action``, ``reason``, ``set``, ``configuration``,
``peak_bytes``) plus ``schema``, ``time``, ``step`` and the ``observation`` that caused it.
This module is standard library only: importing it imports neither ``transformers`` nor
``torch``; :class:`TrainfitCallback` is made, from ``transformers``, when it is first used.

- :func:`poll` reads the lines appended since the last call. It waits for a line's newline
  before taking it, reads nothing while the file does not exist, follows a rotated file (the old
  one is read to its end first) and starts over on a truncated one.
- :class:`TrainfitCallback` is a Hugging Face ``TrainerCallback``: at each optimizer step's end
  it applies what can be applied live (``pause``: sleep; ``power_cap``: log the ``nvidia-smi -pl``
  command; ``continue``: log) and, for any change of micro-batch, accumulation, sequence,
  recomputation, optimizer, precision, offload, devices or the CPU, saves a checkpoint, stops and
  writes ``trainfit-resume.json`` with the new ``TrainingArguments`` values into the checkpoint.
- :func:`apply_decisions` with :class:`LoopSettings` and :class:`ResizableBatchSampler` applies
  micro-batch and accumulation changes live in a hand-written PyTorch loop.

Why the Trainer cannot take a new accumulation live (transformers 5.23.0, ``trainer.py``):
``_run_epoch`` prefetches each optimizer step's micro-batches in groups of
``args.gradient_accumulation_steps`` but decides when to step the optimizer from a running
micro-batch counter, ``(step + 1) % args.gradient_accumulation_steps == 0``. Changed in the middle
of an epoch, the two disagree: the optimizer steps inside a group and a group's last micro-batches
leak into the next step (``integrations/python/tests/test_trainer.py`` shows it). The number of
update steps per epoch, ``max_steps`` and the learning-rate schedule are computed once in
``set_initial_training_values``. The micro-batch size is fixed in the ``DataLoader`` that
``accelerate`` prepares. So both go through a checkpoint and a restart.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

try:  # Python >= 3.8
    from typing import TypedDict
except ImportError:  # pragma: no cover
    TypedDict = dict  # type: ignore[misc,assignment]

__all__ = [
    "SCHEMA",
    "RESUME_SCHEMA",
    "RESUME_FILE",
    "ACTIONS",
    "LIVE_KEYS",
    "RESTART_KEYS",
    "Decision",
    "DecisionSet",
    "Observation",
    "PollState",
    "poll",
    "poll_shared",
    "read_all",
    "needs_restart",
    "training_arguments",
    "resume_record",
    "write_resume",
    "read_resume",
    "resume_record_for",
    "resumed_arguments",
    "LoopSettings",
    "ResizableBatchSampler",
    "Applied",
    "apply_decisions",
    "TrainfitCallback",  # noqa: F822 (made on first use by __getattr__)
]

log = logging.getLogger("trainfit_watch")

#: The ``schema`` of every line of the decisions file (fixed by issue 15's wire format).
SCHEMA = "trainfit.decision/1"
#: The ``schema`` of the resume file this module writes.
RESUME_SCHEMA = "trainfit.resume/1"
#: The resume file's name, written inside the checkpoint folder.
RESUME_FILE = "trainfit-resume.json"

#: Every ``action`` code of the wire format: the plan's fallbacks, then the watch-only ones.
ACTIONS = (
    "halve_micro_batch",
    "full_checkpointing",
    "adamw_8bit",
    "offload_optimizer",
    "halve_sequence",
    "mesh_layout",
    "lower_precision",
    "keep_optimizer_on_device",
    "more_accumulation",
    "power_cap",
    "pause",
    "fewer_devices",
    "cpu",
    "continue",
    "none_left",
)

#: ``set`` keys a running loop applies without restarting.
LIVE_KEYS = frozenset({"pause_s", "power_cap_w"})
#: ``set`` keys that change the run's shape (a restart from a checkpoint in the Trainer).
RESTART_KEYS = frozenset(
    {
        "micro_batch",
        "gradient_accumulation",
        "global_batch",
        "sequence",
        "checkpointing",
        "optimizer",
        "offload_optimizer",
        "precision",
        "devices",
        "device",
    }
)


class Observation(TypedDict, total=False):
    """What ``trainfit watch`` saw (wire: tagged by ``kind``)."""

    kind: str  # out_of_memory, memory_pressure, throttling, slow_step, device_lost, swap, battery
    step: int
    requested_bytes: int
    used_bytes: int
    capacity_bytes: int
    predicted_bytes: int
    reason: str  # throttling: "thermal" | "power"
    temperature_c: float
    clock_share: float
    measured_step_s: float
    predicted_step_s: float
    devices_left: int
    swap_used_bytes: int


class DecisionSet(TypedDict, total=False):
    """The knobs a decision changes (only those that change), with the request's wire names."""

    micro_batch: int
    gradient_accumulation: int
    global_batch: int
    sequence: int
    checkpointing: str  # "none" | "selective" | "full"
    optimizer: str  # adamw, adamw8bit, sgd, sgd_momentum, adafactor, lion
    offload_optimizer: bool
    precision: str  # fp32, bf16, fp16, amp_bf16, amp_fp16, mixed_bf16, mixed_fp16
    devices: int
    power_cap_w: float
    pause_s: float
    device: str  # "cpu"


class Decision(TypedDict, total=False):
    """One line of the decisions file."""

    schema: str
    time: float
    step: int
    observation: Observation
    action: str
    reason: str
    set: DecisionSet
    configuration: Dict[str, Any]
    peak_bytes: int


# --------------------------------------------------------------------------------------------
# Reading the decisions file


@dataclass
class PollState:
    """Where :func:`poll` is in the decisions file; keep one per file and pass it to each call.

    ``skipped`` lists ``(why, line)`` for each line that was not a decision.
    """

    handle: Optional[Any] = None
    identity: Optional[Tuple[int, int]] = None
    partial: bytes = b""
    skipped: List[Tuple[str, str]] = field(default_factory=list)

    @classmethod
    def after_existing(cls, path: "os.PathLike[str] | str") -> "PollState":
        """A state that skips the complete lines the file holds now (decisions of an earlier run).

        A line still being written is kept and delivered once its newline arrives. If the file
        does not exist yet, everything it will hold is new.
        """
        state = cls()
        if _open(path, state):
            data = state.handle.read()
            cut = data.rfind(b"\n") + 1
            state.partial = data[cut:]
        return state

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.handle = None
        self.identity = None
        self.partial = b""


def _open(path: "os.PathLike[str] | str", state: PollState) -> bool:
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return False
    st = os.fstat(handle.fileno())
    state.handle = handle
    state.identity = (st.st_dev, st.st_ino)
    state.partial = b""
    return True


# The JSON type of each `set` key of the wire format; a line with another type is skipped, so
# that nothing downstream fails on it in the middle of a training run.
_SET_TYPES: Dict[str, Tuple[type, ...]] = {
    "micro_batch": (int,),
    "gradient_accumulation": (int,),
    "global_batch": (int,),
    "sequence": (int,),
    "checkpointing": (str,),
    "optimizer": (str,),
    "offload_optimizer": (bool,),
    "precision": (str,),
    "devices": (int,),
    "power_cap_w": (int, float),
    "pause_s": (int, float),
    "device": (str,),
}


def _set_error(changes: Dict[str, Any]) -> Optional[str]:
    for key, value in changes.items():
        types = _SET_TYPES.get(key)
        if types is None:
            continue  # a key a later wire version adds: carried along as it is
        if isinstance(value, bool) and bool not in types:
            return f"set.{key} is {value!r}"
        if not isinstance(value, types):
            return f"set.{key} is {value!r}"
        if types == (int,) and value < 1 and key != "devices":
            return f"set.{key} is {value!r}"
        if float in types and not (math.isfinite(value) and value >= 0):
            return f"set.{key} is {value!r}"
    return None


def _parse(line: bytes, state: PollState) -> Optional[Decision]:
    text = line.strip()
    if not text:
        return None

    def skip(why: str) -> None:
        shown = text.decode("utf-8", "replace")
        state.skipped.append((why, shown))
        log.warning("trainfit: skipped a line of the decisions file (%s): %.200s", why, shown)

    try:
        obj = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        skip(f"not JSON: {e}")
        return None
    if not isinstance(obj, dict):
        skip("not a JSON object")
        return None
    if obj.get("schema") != SCHEMA:
        skip(f"schema is {obj.get('schema')!r}, this helper reads {SCHEMA!r}")
        return None
    if not isinstance(obj.get("action"), str):
        skip("no action")
        return None
    if "set" in obj and not isinstance(obj["set"], dict):
        skip("set is not an object")
        return None
    if "set" in obj:
        # schema/decision.schema.json allows null for a knob that stays: the same as absent.
        obj["set"] = {k: v for k, v in obj["set"].items() if v is not None}
    error = _set_error(obj.get("set") or {})
    if error is not None:
        skip(error)
        return None
    return obj  # type: ignore[return-value]


def _drain(state: PollState, out: List[Decision]) -> None:
    handle = state.handle
    if os.fstat(handle.fileno()).st_size < handle.tell():
        log.warning("trainfit: the decisions file was truncated; reading it from the start")
        handle.seek(0)
        state.partial = b""
    data = handle.read()
    if not data:
        return
    lines = (state.partial + data).split(b"\n")
    state.partial = lines.pop()
    for line in lines:
        decision = _parse(line, state)
        if decision is not None:
            out.append(decision)


def poll(decisions_path: "os.PathLike[str] | str", state: PollState) -> List[Decision]:
    """The decisions appended to ``decisions_path`` since the last call with ``state``, in order.

    Never blocks and never raises for a missing, partial, rotated or truncated file; lines that
    are not ``trainfit.decision/1`` objects are logged and listed in ``state.skipped``.
    """
    out: List[Decision] = []
    if state.handle is None and not _open(decisions_path, state):
        return out
    _drain(state, out)
    try:
        st = os.stat(decisions_path)
    except FileNotFoundError:
        # Renamed away and not yet replaced: keep reading the old file, as `tail -F` does.
        return out
    if (st.st_dev, st.st_ino) != state.identity:
        # Rotated: the old file has been read to its end above; a line it left unfinished will
        # not be finished there.
        if state.partial:
            state.skipped.append(("unfinished line of a rotated file", state.partial.decode("utf-8", "replace")))
            log.warning("trainfit: dropped an unfinished line of the rotated decisions file")
        state.close()
        if _open(decisions_path, state):
            _drain(state, out)
    return out


def read_all(decisions_path: "os.PathLike[str] | str") -> List[Decision]:
    """Every complete decision the file holds now."""
    state = PollState()
    try:
        return poll(decisions_path, state)
    finally:
        state.close()


# --------------------------------------------------------------------------------------------
# What a decision means for the Trainer's arguments

# TrainingArguments.optim of each optimizer wire name, as `trainfit export --format
# training_arguments` writes them (core/src/export/train.rs, hf_optim; transformers
# training_args.py OptimizerNames). The wire brief spells 8-bit AdamW "adamw_8bit" (the action
# code), the request schema "adamw8bit": both are read.
_HF_OPTIM: Dict[str, Tuple[str, Optional[str]]] = {
    "adamw": ("adamw_torch", None),
    "adamw8bit": ("adamw_bnb_8bit", None),
    "adamw_8bit": ("adamw_bnb_8bit", None),
    "sgd": ("sgd", None),
    # momentum 0.9: torchvision's classification recipe, the export's SGD_MOMENTUM.
    "sgd_momentum": ("sgd", "momentum=0.9"),
    "adafactor": ("adafactor", None),
    "lion": ("lion_32bit", None),
}

# The 16-bit type of each precision recipe (core/src/export/mod.rs, Job::half), and whether the
# weights themselves are 16-bit (Job::pure_half: the model is loaded in that dtype).
_HALF = {
    "fp32": (None, False),
    "bf16": ("bf16", True),
    "amp_bf16": ("bf16", False),
    "mixed_bf16": ("bf16", False),
    "fp16": ("fp16", True),
    "amp_fp16": ("fp16", False),
    "mixed_fp16": ("fp16", False),
}


def needs_restart(decision: Decision) -> bool:
    """Whether the decision changes a knob that a Hugging Face Trainer cannot change live."""
    return any(k not in LIVE_KEYS for k in (decision.get("set") or {}))


def training_arguments(changes: DecisionSet) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, str]]:
    """Split a decision's ``set`` into ``TrainingArguments`` values, values for the rest of the
    program, and values a ``TrainingArguments`` cannot express (with why).

    Returns ``(training_arguments, other, not_expressible)``.
    """
    ta: Dict[str, Any] = {}
    other: Dict[str, Any] = {}
    refused: Dict[str, str] = {}
    for key, value in changes.items():
        if key == "micro_batch":
            ta["per_device_train_batch_size"] = int(value)
        elif key == "gradient_accumulation":
            ta["gradient_accumulation_steps"] = int(value)
        elif key == "checkpointing":
            if value == "none":
                ta["gradient_checkpointing"] = False
            elif value == "full":
                ta["gradient_checkpointing"] = True
            else:
                refused[key] = (
                    f"{value!r}: transformers' gradient_checkpointing recomputes whole decoder "
                    "layers; selective recomputation (attention only) is Megatron-LM's"
                )
        elif key == "optimizer":
            if value in _HF_OPTIM:
                optim, optim_args = _HF_OPTIM[value]
                ta["optim"] = optim
                if optim_args is not None:
                    ta["optim_args"] = optim_args
            else:
                refused[key] = f"{value!r} is not an optimizer of the request schema"
        elif key == "precision":
            if value in _HALF:
                half, pure = _HALF[value]
                ta["bf16"] = half == "bf16"
                ta["fp16"] = half == "fp16"
                if pure:
                    # The weights themselves in 16 bits: from_pretrained(..., dtype=...).
                    other["dtype"] = "bfloat16" if half == "bf16" else "float16"
                other["precision"] = value
            else:
                refused[key] = f"{value!r} is not a precision of the request schema"
        elif key == "device":
            if value == "cpu":
                ta["use_cpu"] = True
            else:
                refused[key] = f"{value!r}: only 'cpu' is a device decision"
        elif key in ("pause_s", "power_cap_w"):
            continue  # applied live
        else:
            # sequence (the data pipeline's length: TRL's --max_length), global_batch (micro x
            # accumulation x data ranks), devices (the launcher's --nproc_per_node),
            # offload_optimizer (DeepSpeed zero_optimization.offload_optimizer.device = "cpu"),
            # and any key a later wire version adds.
            other[key] = value
    return ta, other, refused


def resume_record(
    decisions: Sequence[Decision], checkpoint: Optional[str], global_step: Optional[int]
) -> Dict[str, Any]:
    """The resume file's content for the restart-needing ``decisions`` (later ones win)."""
    merged: DecisionSet = {}
    for d in decisions:
        merged.update({k: v for k, v in (d.get("set") or {}).items() if k not in LIVE_KEYS})  # type: ignore[typeddict-item]
    ta, other, refused = training_arguments(merged)
    return {
        "schema": RESUME_SCHEMA,
        "checkpoint": checkpoint,
        "global_step": global_step,
        "set": dict(merged),
        "training_arguments": ta,
        "other": other,
        "not_expressible": refused,
        "decisions": list(decisions),
    }


def write_resume(folder: "os.PathLike[str] | str", record: Dict[str, Any]) -> str:
    """Writes ``record`` as ``folder/trainfit-resume.json`` (atomically) and returns the path."""
    path = os.path.join(folder, RESUME_FILE)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return path


def read_resume(folder: "os.PathLike[str] | str") -> Optional[Dict[str, Any]]:
    """The resume record in a checkpoint folder, or None when there is none."""
    path = os.path.join(folder, RESUME_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _merge(earlier: Dict[str, Any], later: Dict[str, Any]) -> Dict[str, Any]:
    merged = dict(later)
    for key in ("set", "training_arguments", "other", "not_expressible"):
        merged[key] = {**(earlier.get(key) or {}), **(later.get(key) or {})}
    # A knob that later became expressible is no longer refused.
    for key in list(merged["not_expressible"]):
        if key in (later.get("set") or {}) and key not in (later.get("not_expressible") or {}):
            del merged["not_expressible"][key]
    merged["decisions"] = list(earlier.get("decisions") or []) + list(later.get("decisions") or [])
    return merged


def _checkpoint_step(checkpoint: "os.PathLike[str] | str") -> Optional[int]:
    """The global step of a Trainer checkpoint: its trainer_state.json, else its folder name."""
    try:
        with open(os.path.join(checkpoint, "trainer_state.json"), encoding="utf-8") as f:
            return int(json.load(f)["global_step"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    name = os.path.basename(os.path.normpath(checkpoint))
    if name.startswith("checkpoint-") and name[len("checkpoint-") :].isdigit():
        return int(name[len("checkpoint-") :])
    return None


def resume_record_for(checkpoint: "os.PathLike[str] | str") -> Optional[Dict[str, Any]]:
    """The changes to resume a Trainer ``checkpoint`` with: its own resume file, else the output
    folder's (every change up to its step) when ``checkpoint`` was saved at or after it."""
    record = read_resume(checkpoint)
    if record is not None:
        return record
    record = read_resume(os.path.dirname(os.path.abspath(checkpoint)))
    if record is None:
        return None
    step = _checkpoint_step(checkpoint)
    if step is None or step < (record.get("global_step") or 0):
        return None
    return record


def resumed_arguments(args, checkpoint: "os.PathLike[str] | str | None"):
    """``args`` (a ``TrainingArguments``) with the values trainfit decided up to ``checkpoint``
    applied; ``args`` itself when there are none (or ``checkpoint`` is None)."""
    import dataclasses

    if checkpoint is None:
        return args
    record = resume_record_for(checkpoint)
    if record is None or not record["training_arguments"]:
        return args
    return dataclasses.replace(args, **record["training_arguments"])


def _power_cap_command(watts: float) -> List[str]:
    # nvidia-smi --power-limit (-pl) takes watts and needs root; without -i it sets every GPU.
    return ["nvidia-smi", "-pl", str(int(round(watts)))]


def _describe(d: Decision) -> str:
    step = f" at step {d['step']}" if "step" in d else ""
    return f"{d.get('action')}{step}: {d.get('reason', '')}"


def _apply_live(
    d: Decision,
    sleep: Callable[[float], None],
    run_power_cap: bool,
) -> float:
    """Applies a decision's live knobs; returns the seconds paused."""
    changes = d.get("set") or {}
    paused = 0.0
    if "power_cap_w" in changes:
        cmd = _power_cap_command(float(changes["power_cap_w"]))
        if run_power_cap:
            r = subprocess.run(cmd, capture_output=True, text=True, check=False)
            log.warning("trainfit: ran `%s` (exit %d) %s", shlex.join(cmd), r.returncode, _describe(d))
        else:
            log.warning("trainfit: to apply, run `sudo %s`: %s", shlex.join(cmd), _describe(d))
    if "pause_s" in changes:
        seconds = float(changes["pause_s"])
        if seconds > 0 and math.isfinite(seconds):
            log.warning("trainfit: pausing %.1f s: %s", seconds, _describe(d))
            sleep(seconds)
            paused = seconds
    return paused


def _distributed():
    """torch.distributed when a process group of more than one process is running, else None."""
    torch = sys.modules.get("torch")  # a training program has imported it; this module does not
    dist = getattr(torch, "distributed", None) if torch is not None else None
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    return dist if dist.get_world_size() > 1 else None


def poll_shared(decisions_path: "os.PathLike[str] | str", state: PollState) -> List[Decision]:
    """:func:`poll` for every process of a distributed run: global rank 0 reads the file and
    broadcasts what it read, so that every rank acts on the same decisions at the same step (a
    rank that stopped alone would leave the others waiting in a collective). Call it on every
    rank at the same point of the loop. An unreadable file reads as no decisions."""
    dist = _distributed()
    decisions: List[Decision] = []
    if dist is None or dist.get_rank() == 0:
        try:
            decisions = poll(decisions_path, state)
        except OSError as e:  # an unreadable file must not end the training run
            log.warning("trainfit: cannot read %s: %s", decisions_path, e)
    if dist is not None:
        box: List[Any] = [decisions]
        dist.broadcast_object_list(box, src=0)
        decisions = box[0]
    return decisions


# --------------------------------------------------------------------------------------------
# A hand-written PyTorch loop


class ResizableBatchSampler:
    """A ``DataLoader`` batch sampler whose ``batch_size`` may change between batches.

    It draws each batch's indices from ``sampler`` when the loader asks for the batch, so a new
    size applies from the next batch the loader requests (with ``num_workers > 0`` the loader
    has already asked for up to ``num_workers * prefetch_factor`` batches) and the epoch goes on
    in the same order: no sample is skipped or seen twice. Usage::

        sampler = ResizableBatchSampler(torch.utils.data.RandomSampler(ds), batch_size=8)
        loader = torch.utils.data.DataLoader(ds, batch_sampler=sampler)
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool = False):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[List[int]]:
        batch: List[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


@dataclass
class LoopSettings:
    """The knobs of a hand-written loop that :func:`apply_decisions` changes live."""

    micro_batch: int
    gradient_accumulation: int

    @property
    def samples_per_step(self) -> int:
        """Samples per optimizer step on this process (micro-batch x accumulation)."""
        return self.micro_batch * self.gradient_accumulation


@dataclass
class Applied:
    """What :func:`apply_decisions` did, and what it left to a restart."""

    decisions: List[Decision] = field(default_factory=list)
    #: knobs changed live, wire names: micro_batch, gradient_accumulation
    changed: Dict[str, Any] = field(default_factory=dict)
    #: seconds slept for ``pause`` decisions
    paused_s: float = 0.0
    #: the decisions whose other knobs need a restart (resume_record(applied.restart, ...))
    restart: List[Decision] = field(default_factory=list)
    #: ``none_left`` decisions: nothing fixes the observation; the loop should save its state
    none_left: List[Decision] = field(default_factory=list)


def apply_decisions(
    decisions: Sequence[Decision],
    settings: LoopSettings,
    batch_sampler: Optional[ResizableBatchSampler] = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    run_power_cap: bool = False,
) -> Applied:
    """Applies ``decisions`` to a hand-written loop: pauses, logs power caps, and changes
    ``settings`` (and ``batch_sampler.batch_size``) for micro-batch and accumulation.

    Call it at an optimizer-step boundary. Other knobs (sequence, recomputation, optimizer,
    precision, offload, devices, CPU) need the program to rebuild its model or optimizer: the
    decisions that change them are returned in ``Applied.restart``.
    """
    applied = Applied(decisions=list(decisions))
    for d in decisions:
        action = d.get("action")
        changes = d.get("set") or {}
        applied.paused_s += _apply_live(d, sleep, run_power_cap)
        if action == "none_left":
            log.error("trainfit: nothing left to try: %s", d.get("reason", ""))
            applied.none_left.append(d)
            continue
        if action == "continue":
            log.info("trainfit: no change needed: %s", _describe(d))
        live = {}
        if "micro_batch" in changes:
            live["micro_batch"] = int(changes["micro_batch"])
        if "gradient_accumulation" in changes:
            live["gradient_accumulation"] = int(changes["gradient_accumulation"])
        if live:
            before = settings.samples_per_step
            settings.micro_batch = live.get("micro_batch", settings.micro_batch)
            settings.gradient_accumulation = live.get("gradient_accumulation", settings.gradient_accumulation)
            if batch_sampler is not None:
                batch_sampler.batch_size = settings.micro_batch
            applied.changed.update(live)
            log.warning(
                "trainfit: micro-batch %d, accumulation %d (samples per step %d -> %d): %s",
                settings.micro_batch,
                settings.gradient_accumulation,
                before,
                settings.samples_per_step,
                _describe(d),
            )
        rest = set(changes) - LIVE_KEYS - {"micro_batch", "gradient_accumulation", "global_batch"}
        if rest:
            applied.restart.append(d)
            log.warning("trainfit: %s needs a restart: %s", ", ".join(sorted(rest)), _describe(d))
    return applied


# --------------------------------------------------------------------------------------------
# Hugging Face Trainer

_callback_class = None


def __getattr__(name: str):
    # TrainfitCallback is made on first use, so that importing this module imports neither
    # transformers nor torch (PEP 562 module __getattr__).
    global _callback_class
    if name != "TrainfitCallback":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _callback_class is None:
        _callback_class = _make_callback_class()
    return _callback_class


def _make_callback_class():
    try:
        from transformers import TrainerCallback
    except ImportError as e:
        raise ImportError("TrainfitCallback needs transformers (pip install transformers)") from e

    class TrainfitCallback(TrainerCallback):  # type: ignore[misc,valid-type]
        """A ``transformers.TrainerCallback`` that acts on ``trainfit watch``'s decisions.

        At each optimizer step's end it reads the new decisions. ``pause`` sleeps, ``power_cap``
        logs the ``nvidia-smi -pl`` command (runs it with ``run_power_cap=True``), ``continue`` is
        logged. Any other change saves a checkpoint and stops training; the new arguments are written
        to ``checkpoint-N/trainfit-resume.json`` (see :func:`resume_record`), and
        ``TrainfitCallback.resumed_arguments(args, checkpoint)`` gives the ``TrainingArguments`` to
        resume with. ``none_left`` saves a checkpoint and training goes on.

        Decisions already in the file when the callback is made are skipped (``skip_existing``),
        so a resumed run does not act on its predecessor's decisions again. Without
        ``decisions_path``, the path is read from the environment variable ``TRAINFIT_DECISIONS``.
        """

        def __init__(
            self,
            decisions_path: "os.PathLike[str] | str | None" = None,
            *,
            skip_existing: bool = True,
            run_power_cap: bool = False,
            sleep: Callable[[float], None] = time.sleep,
        ):
            if decisions_path is None:
                decisions_path = os.environ.get("TRAINFIT_DECISIONS")
                if not decisions_path:
                    raise ValueError("no decisions path given and TRAINFIT_DECISIONS is not set")
            self.decisions_path = os.fspath(decisions_path)
            self.state = PollState.after_existing(self.decisions_path) if skip_existing else PollState()
            self.run_power_cap = run_power_cap
            self.sleep = sleep
            #: every decision read, in order
            self.seen: List[Decision] = []
            #: restart-needing decisions waiting for the checkpoint
            self.pending: List[Decision] = []
            #: path of the last resume file written
            self.resume_path: Optional[str] = None

        def on_step_end(self, args, state, control, **kwargs):
            decisions = poll_shared(self.decisions_path, self.state)
            for d in decisions:
                self.seen.append(d)
                action = d.get("action")
                _apply_live(d, self.sleep, self.run_power_cap)
                if action == "continue":
                    log.info("trainfit: no change needed: %s", _describe(d))
                elif action == "none_left":
                    log.error("trainfit: nothing left to try; saving a checkpoint: %s", d.get("reason", ""))
                    control.should_save = True
                elif needs_restart(d):
                    self._check_global_batch(args, d)
                    self.pending.append(d)
            if self.pending:
                log.warning(
                    "trainfit: saving a checkpoint at step %d and stopping to restart with %s",
                    state.global_step,
                    ", ".join(f"{k}={v}" for k, v in resume_record(self.pending, None, None)["set"].items()),
                )
                control.should_save = True
                control.should_training_stop = True
            return control

        def on_save(self, args, state, control, **kwargs):
            if not self.pending:
                return control
            # Trainer._save_checkpoint: <output_dir>/checkpoint-<global_step> (PREFIX_CHECKPOINT_DIR).
            folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            if not os.path.isdir(folder):
                log.warning("trainfit: no checkpoint folder %s; writing the resume file in %s", folder, args.output_dir)
                folder = args.output_dir
            if state.is_world_process_zero:
                record = resume_record(self.pending, folder, state.global_step)
                # The output folder's copy holds every change since the run began, so that a later
                # checkpoint (saved by the resumed run, without a resume file) resumes with them too.
                earlier = read_resume(args.output_dir)
                if earlier is not None and (earlier.get("global_step") or 0) <= state.global_step:
                    record = _merge(earlier, record)
                if folder != args.output_dir:
                    write_resume(args.output_dir, record)
                self.resume_path = write_resume(folder, record)
                log.warning(
                    "trainfit: resume with trainer.train(resume_from_checkpoint=%r) and TrainingArguments %s%s",
                    folder,
                    record["training_arguments"],
                    f"; also set {record['other']}" if record["other"] else "",
                )
                if record["not_expressible"]:
                    log.error("trainfit: TrainingArguments cannot express %s", record["not_expressible"])
            self.pending = []
            return control

        resume_record_for = staticmethod(resume_record_for)
        resumed_arguments = staticmethod(resumed_arguments)

        @staticmethod
        def _check_global_batch(args, d: Decision) -> None:
            changes = d.get("set") or {}
            if "micro_batch" in changes and "gradient_accumulation" in changes:
                new = int(changes["micro_batch"]) * int(changes["gradient_accumulation"])
                now = args.per_device_train_batch_size * args.gradient_accumulation_steps
                if new != now:
                    log.warning(
                        "trainfit: the decision's micro-batch x accumulation is %d, this run's is %d: "
                        "the plan does not describe this run",
                        new,
                        now,
                    )

    TrainfitCallback.__module__ = __name__
    TrainfitCallback.__qualname__ = "TrainfitCallback"
    return TrainfitCallback
