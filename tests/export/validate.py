"""Loads every export of the fixture plans with the engine's own code, where it installs here.

Usage: validate.py TRAINFIT_BIN OUT_JSON

For each fixture machine (tests/data/profiles) and goal, and the cluster request
(tests/data/plan-requests), the balanced configuration is exported in every format with
`trainfit export`; each file set is then read by the engine's own parser or config class:

  torchrun, slurm, kubeflow   torch.distributed.run's argument parser on the torchrun words, and
                              transformers' HfArgumentParser on the training flags (what is left
                              must be exactly the TRL script's model and data flags); kubeflow also
                              the PyTorchJob through the kubeflow-training models (Kubernetes types)
  training_arguments          transformers.TrainingArguments(**json) and the launch flags as above
  accelerate                  accelerate's load_config_from_file (refuses unknown keys)
  deepspeed                   deepspeed.runtime.config.DeepSpeedConfig (batch arithmetic checked)
  peft                        peft.LoraConfig(**json), transformers.BitsAndBytesConfig(**json)
  unsloth                     the script compiled; every keyword of its from_pretrained and
                              get_peft_model calls a named parameter of those functions in the
                              Unsloth and unsloth_zoo wheels' source (GPU and CPU classes, read
                              with ast: Unsloth imports only with its own torch and transformers);
                              SFTConfig(**keywords) with TRL; torchrun's parser on launch.sh
  axolotl                     axolotl's AxolotlInputConfig (pydantic)
  torchtitan                  torchtitan's ConfigManager on the TOML
  mlx                         mlx-lm's lora argument parser and CONFIG_DEFAULTS keys
  vllm                        vllm's EngineArgs argument parser
  sglang                      sglang's ServerArgs argument parser
  megatron, llama_cpp         no installable parser (see NOT_INSTALLABLE)

Where an engine does not import here, the format is reported with the import error.
"""

import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "tests" / "data"

FORMATS = [
    "torchrun", "training_arguments", "accelerate", "deepspeed", "torchtitan", "megatron", "peft",
    "unsloth", "axolotl", "slurm", "kubeflow", "mlx", "vllm", "sglang", "llama_cpp",
]

GOALS = {
    "pretrain": {"task": "pretrain"},
    "finetune": {"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}},
    "lora": {"task": "lora", "model": {"catalogue": "llama-3.1-8b"}},
    "qlora": {"task": "qlora", "model": {"catalogue": "mistral-7b-v0.1"}},
    "serve": {"task": "serve", "model": {"catalogue": "llama-3.1-8b"}},
}

# Engines with no parser that installs from PyPI on a machine without a GPU.
NOT_INSTALLABLE = {
    "megatron": "Megatron-LM's argument parser (megatron/training/arguments.py) is in the "
    "Megatron-LM repository, not in the megatron-core wheel on PyPI; set MEGATRON_LM to a "
    "checkout of it to validate",
    "llama_cpp": "llama-server is a C++ binary built from the llama.cpp repository; PyPI's "
    "llama-cpp-python has another server with other flags",
}

# The flags of TRL's sft script that are not TrainingArguments' (trl ModelConfig,
# ScriptArguments, SFTConfig.max_length).
TRL_FLAGS = {
    "--model_name_or_path", "--dataset_name", "--max_length", "--attn_implementation", "--dtype",
    "--use_peft", "--lora_r", "--lora_alpha", "--lora_dropout", "--lora_target_modules",
    "--load_in_4bit", "--bnb_4bit_quant_type", "--use_bnb_nested_quant",
}


def cases():
    """(case id, plan request)."""
    for path in sorted((DATA / "profiles").glob("*.json")):
        profile = json.loads(path.read_text())
        for goal, g in GOALS.items():
            yield f"{path.stem}/{goal}", {"profile": profile, "goal": g}
    for path in sorted((DATA / "plan-requests").glob("*.json")):
        yield f"{path.stem}", json.loads(path.read_text())


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True)


def commands(text):
    """The script's commands, each as its words (continuations joined)."""
    out, pending = [], ""
    for line in text.replace("\\\n", " ").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line
        try:
            out.append(shlex.split(pending))
            pending = ""
        except ValueError:
            pending += "\n"
    return out


def after(words, program):
    """The words after `program` (and `srun`) in the last command that runs it."""
    for words_ in reversed(words):
        if program in words_:
            return words_[words_.index(program) + 1:]
    raise AssertionError(f"no {program} command")


def check_training_flags(words, files):
    """HfArgumentParser reads the TrainingArguments flags; the rest are the TRL script's.

    `--deepspeed ds_config.json` names a file of the export: TrainingArguments reads it, so the
    flags are parsed in a folder holding it, and the Trainer's check that it agrees with the
    flags (HfTrainerDeepSpeedConfig.trainer_config_finalize) runs too."""
    from transformers import HfArgumentParser, TrainingArguments

    # The program: `-m module` or a script path.
    if words[0] == "-m":
        words = words[2:]
    else:
        words = words[1:]
    parser = HfArgumentParser(TrainingArguments)
    # No GPU here: TrainingArguments refuses bf16 and NCCL without one unless told to use the
    # CPU and gloo.
    words = words + ["--use_cpu", "true"]
    if "--ddp_backend" in words:
        words = words + ["--ddp_backend", "gloo"]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        if "ds_config.json" in files:
            cfg = json.loads(files["ds_config.json"])
            # This process is one rank; the Trainer computes the batch over its ranks, so the
            # config it checks carries one rank's batch (deepspeed() checks the plan's).
            one_rank = {**cfg, "train_batch_size": cfg["train_micro_batch_size_per_gpu"] * cfg["gradient_accumulation_steps"]}
            Path(d, "ds_config.json").write_text(json.dumps(one_rank))
        os.chdir(d)
        try:
            args, rest = parser.parse_args_into_dataclasses(args=words, return_remaining_strings=True)
        finally:
            os.chdir(cwd)
    flags = {w for w in rest if w.startswith("--")}
    unknown = flags - TRL_FLAGS
    assert not unknown, f"flags neither TrainingArguments' nor TRL's: {sorted(unknown)}"
    if args.deepspeed:
        assert args.deepspeed == "ds_config.json", args.deepspeed
        # The mismatch check runs when the Trainer finalises the config with the run's steps.
        args.hf_deepspeed_config.trainer_config_finalize(args, None, args.max_steps)
    return args


# What the shell would put in place of the scripts' expansions on the first machine of a 4-node
# job (the values only need the right type).
EXPANSIONS = [
    (re.compile(r"\$\{NODE_RANK:\?[^}]*\}"), "0"),
    (re.compile(r"\$SLURM_NNODES"), "4"),
    (re.compile(r"\$SLURM_JOB_ID"), "1"),
    (re.compile(r"\$MASTER_ADDR"), "node0"),
    (re.compile(r"\$MASTER_PORT"), "29500"),
]


def expand(words):
    out = []
    for w in words:
        for pattern, value in EXPANSIONS:
            w = pattern.sub(value, w)
        out.append(w)
    return out


def torchrun_words(words):
    """torch.distributed.run's parser on torchrun's words; the training program's words."""
    from torch.distributed.run import get_args_parser

    args = get_args_parser().parse_args(expand(words))
    program = [args.training_script] + list(args.training_script_args)
    if args.module:
        program = ["-m"] + program
    return args, program


def training_arguments(files, cpu):
    from transformers import TrainingArguments

    a = json.loads(files["training_args.json"])
    note = None
    if cpu:
        # No GPU here: TrainingArguments refuses bf16/fp16 and NCCL without one, so the check
        # runs as the CPU would.
        a = {**a, "use_cpu": True}
        if "ddp_backend" in a:
            a["ddp_backend"] = "gloo"
        note = "read with use_cpu=True and ddp_backend gloo (no GPU on the validating machine)"
    if "deepspeed" in a:
        ds = json.loads(files["ds_config.json"])
        # One rank here (see deepspeed()).
        ds["train_batch_size"] = ds["train_micro_batch_size_per_gpu"] * ds["gradient_accumulation_steps"]
        a["deepspeed"] = ds
    t = TrainingArguments(**a)
    if "deepspeed" in a:
        # DeepSpeed's config and these arguments agree (a mismatch raises here).
        t.hf_deepspeed_config.trainer_config_finalize(t, None, t.max_steps)
    launch = after(commands(files["launch.sh"]), "launch")
    # accelerate launch's own flags end where the program starts.
    i = launch.index("-m") if "-m" in launch else next(j for j, w in enumerate(launch) if w.endswith(".py"))
    check_training_flags(launch[i:], files)
    return note


def accelerate(files, cpu):
    from accelerate.commands.config.config_args import load_config_from_file

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "accelerate_config.yaml"
        p.write_text(files["accelerate_config.yaml"])
        load_config_from_file(str(p))
    return None


class DataParallel:
    """A model-parallel unit of `size` data-parallel ranks, for DeepSpeedConfig's batch check."""

    def __init__(self, size):
        self.size = size

    def get_data_parallel_world_size(self):
        return self.size

    def get_model_parallel_world_size(self):
        return 1

    def get_data_parallel_rank(self):
        return 0


def deepspeed(files, cpu):
    import deepspeed.runtime.config as ds_config
    from deepspeed.runtime.config import DeepSpeedConfig

    # DeepSpeedConfig asks deepspeed.comm for the rank before it asks the mpu for the
    # data-parallel size; deepspeed.comm needs its CPU ops compiled (ninja) to start here, so the
    # rank is given directly.
    ds_config.dist.get_rank = lambda *a, **k: 0
    cfg = json.loads(files["ds_config.json"])
    data = cfg["train_batch_size"] // (cfg["train_micro_batch_size_per_gpu"] * cfg["gradient_accumulation_steps"])
    c = DeepSpeedConfig(cfg, mpu=DataParallel(data))
    assert c.train_batch_size == cfg["train_batch_size"]
    assert c.zero_optimization_stage == cfg["zero_optimization"]["stage"]
    # The launch's TrainingArguments with this config: transformers checks they agree
    # (HfTrainerDeepSpeedConfig.trainer_config_process raises on a mismatch).
    launch = after(commands(files["launch.sh"]), "deepspeed")
    i = launch.index("-m") if "-m" in launch else next(j for j, w in enumerate(launch) if w.endswith(".py"))
    args = check_training_flags(launch[i:], files)
    assert args.deepspeed == "ds_config.json"
    return None


def peft(files, cpu):
    from peft import LoraConfig
    from transformers import BitsAndBytesConfig

    LoraConfig(**json.loads(files["lora_config.json"]))
    if "bnb_config.json" in files:
        BitsAndBytesConfig(**json.loads(files["bnb_config.json"]))
    return None


def launcher(files, cpu, script, program):
    """torchrun (or srun torchrun): torchrun's parser, then the program's flags."""
    words = after(commands(files[script]), program)
    if program == "srun":
        assert words[0] == "torchrun", words
        words = words[1:]
    _, prog = torchrun_words(words)
    if prog[:2] == ["-m", "torchtitan.train"]:
        return torchtitan(files, cpu)
    check_training_flags(prog, files)
    return None


def kubeflow(files, cpu):
    import yaml
    from kubeflow.training.api_client import ApiClient
    from kubeflow.training.models import KubeflowOrgV1PyTorchJob

    doc = yaml.safe_load(files["pytorchjob.yaml"])

    class Response:
        data = json.dumps(doc)

    job = ApiClient().deserialize(Response(), KubeflowOrgV1PyTorchJob)
    for spec in job.spec.pytorch_replica_specs.values():
        (container,) = spec.template.spec.containers
        assert container.command[0] == "torchrun"
        _, prog = torchrun_words(container.command[1:])
        if prog[:2] != ["-m", "torchtitan.train"]:
            check_training_flags(prog, files)
    return None


def axolotl(files, cpu):
    import yaml
    from axolotl.utils.schemas.config import AxolotlInputConfig

    cfg = yaml.safe_load(files["axolotl.yaml"])
    if "ds_config.json" in files:
        cfg["deepspeed"] = json.loads(files["ds_config.json"])
    AxolotlInputConfig(**cfg)
    return None


def torchtitan(files, cpu):
    from torchtitan.config import ConfigManager

    text = files["torchtitan.toml"]
    note = None
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "torchtitan.toml"
        p.write_text(text)
        c = ConfigManager().parse_args([f"--job.config_file={p}"])
        assert c.training.global_batch_size > 0
    return note


def mlx(files, cpu):
    import yaml
    from mlx_lm import lora

    cfg = yaml.safe_load(files["mlx_lora.yaml"])
    unknown = set(cfg) - set(lora.CONFIG_DEFAULTS)
    assert not unknown, f"keys mlx-lm does not know: {sorted(unknown)}"
    words = after(commands(files["mlx.sh"]), "mlx_lm.lora")
    lora.build_parser().parse_args(words)
    return None


def vllm(files, cpu):
    import vllm.platforms
    from vllm.platforms.cpu import CpuPlatform

    # vLLM finds no device here and refuses to build its arguments; its CPU platform stands in.
    vllm.platforms._current_platform = CpuPlatform()
    from vllm.engine.arg_utils import EngineArgs
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    words = after(commands(files["vllm.sh"]), "serve")
    parser = EngineArgs.add_cli_args(FlexibleArgumentParser())
    parser.add_argument("model_tag")
    args = parser.parse_args([words[0]] + words[1:])
    assert args.max_model_len > 0
    return "vLLM's CPU platform stands in for the GPU when its arguments are built"


def sglang(files, cpu):
    import argparse
    from sglang.srt.server_args import ServerArgs

    words = after(commands(files["sglang.sh"]), "sglang.launch_server")
    parser = argparse.ArgumentParser()
    ServerArgs.add_cli_args(parser)
    parser.parse_args(words)
    return None


def megatron(files, cpu):
    # Megatron-LM's own parser from a checkout (MEGATRON_LM); it uses typing.override (Python
    # 3.12), which typing_extensions provides on 3.11.
    import typing
    import typing_extensions

    typing.override = typing_extensions.override
    sys.path.insert(0, os.environ["MEGATRON_LM"])
    from megatron.training.arguments import parse_args

    words = after(commands(files["megatron.sh"]), "torchrun")
    args = words[words.index("pretrain_gpt.py") + 1:]
    note = None
    # A given model's rotary base and norm epsilon are placeholders (its config.json has them,
    # the plan's spec does not); any number stands in for the check.
    stand_in = {"--rotary-base": "10000", "--norm-epsilon": "0.00001"}
    for i, w in enumerate(args):
        if w.startswith("<") and w.endswith(">") and args[i - 1] in stand_in:
            args[i] = stand_in[args[i - 1]]
            note = "a given model's <ROPE_THETA> and <NORM_EPSILON> placeholders replaced by Megatron's defaults to read the rest"
    saved = sys.argv
    try:
        sys.argv = ["pretrain_gpt.py"] + args
        a = parse_args()
    finally:
        sys.argv = saved
    assert a.micro_batch_size > 0
    return note


UNSLOTH_VERSION = "2026.10.9"
WHEELS = HERE / "out" / "wheels"


def unsloth_signatures():
    """{(class, function): (named parameters, defaults)} of what unsloth_train.py calls, read
    with ast from the wheels setup.sh downloaded: FastLanguageModel.from_pretrained
    (unsloth/models/loader.py), FastLlamaModel.get_peft_model (unsloth/models/llama.py; the
    FastLanguageModel one is functools.wraps of it and passes its arguments on), and the CPU
    path's FastCPUModel (unsloth_zoo/cpu/loader.py)."""
    import ast
    import zipfile

    def tree(package, path):
        wheel = WHEELS / f"{package}-{UNSLOTH_VERSION}-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as z:
            return ast.parse(z.read(path).decode())

    def signature(t, cls, fn):
        for node in ast.walk(t):
            if isinstance(node, ast.ClassDef) and node.name == cls:
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == fn:
                        a = item.args
                        positional = a.posonlyargs + a.args
                        defaults = dict(zip([x.arg for x in positional[len(positional) - len(a.defaults):]], a.defaults))
                        defaults.update({x.arg: d for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
                        names = {x.arg for x in positional + a.kwonlyargs}
                        return names, {k: ast.unparse(v) for k, v in defaults.items()}
        raise AssertionError(f"{cls}.{fn} not in the wheel")

    loader = tree("unsloth", "unsloth/models/loader.py")
    llama = tree("unsloth", "unsloth/models/llama.py")
    cpu = tree("unsloth_zoo", "unsloth_zoo/cpu/loader.py")
    return {
        "gpu": {
            "FastLanguageModel.from_pretrained": signature(loader, "FastLanguageModel", "from_pretrained"),
            "FastLanguageModel.get_peft_model": signature(llama, "FastLlamaModel", "get_peft_model"),
        },
        "cpu": {
            "FastLanguageModel.from_pretrained": signature(cpu, "FastCPUModel", "from_pretrained"),
            "FastLanguageModel.get_peft_model": signature(cpu, "FastCPUModel", "get_peft_model"),
        },
    }


def unsloth(files, cpu):
    import ast
    from trl import SFTConfig

    text = files["unsloth_train.py"]
    compile(text, "unsloth_train.py", "exec")
    calls = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Call):
            calls[ast.unparse(node.func)] = node
    sigs = unsloth_signatures()
    # What the script's comment says of Unsloth's defaults, and where it differs from PEFT.
    gpu = sigs["gpu"]
    assert gpu["FastLanguageModel.from_pretrained"][1]["load_in_4bit"] == "True"
    assert gpu["FastLanguageModel.get_peft_model"][1]["use_gradient_checkpointing"] == "'unsloth'"
    assert gpu["FastLanguageModel.get_peft_model"][1]["random_state"] == "3407"
    for name in ("FastLanguageModel.from_pretrained", "FastLanguageModel.get_peft_model"):
        if name not in calls:
            assert name.endswith("get_peft_model"), f"no {name} call"
            continue
        given = {k.arg for k in calls[name].keywords}
        for device, table in sigs.items():
            unknown = given - table[name][0]
            assert not unknown, f"{name} ({device}, Unsloth {UNSLOTH_VERSION}) has no parameter {sorted(unknown)}"
    config = calls["SFTConfig"]
    assert not config.args
    kw = {k.arg: ast.literal_eval(k.value) for k in config.keywords}
    # No GPU here: the CPU and gloo stand in, as for TrainingArguments.
    kw["use_cpu"] = True
    if "ddp_backend" in kw:
        kw["ddp_backend"] = "gloo"
    a = SFTConfig(**kw)
    load = {k.arg: k.value for k in calls["FastLanguageModel.from_pretrained"].keywords}
    assert a.max_length == ast.literal_eval(load["max_seq_length"])
    words = commands(files["launch.sh"])[-1]
    if words[0] == "torchrun":
        _, prog = torchrun_words(words[1:])
        assert prog == ["unsloth_train.py"], prog
    else:
        assert words == ["python", "unsloth_train.py"], words
    return "read from the wheels' source with ast (not imported); SFTConfig with use_cpu=True"


CHECKS = {
    "megatron": megatron,
    "torchrun": lambda f, cpu: launcher(f, cpu, "torchrun.sh", "torchrun"),
    "slurm": lambda f, cpu: launcher(f, cpu, "train.sbatch", "srun"),
    "training_arguments": training_arguments,
    "accelerate": accelerate,
    "deepspeed": deepspeed,
    "peft": peft,
    "unsloth": unsloth,
    "kubeflow": kubeflow,
    "axolotl": axolotl,
    "torchtitan": torchtitan,
    "mlx": mlx,
    "vllm": vllm,
    "sglang": sglang,
}

# The module each check imports first: when it does not import, the format is not validated.
ENGINE = {
    "torchrun": "torch", "slurm": "torch", "training_arguments": "transformers",
    "accelerate": "accelerate", "deepspeed": "deepspeed", "peft": "peft", "unsloth": "trl",
    "kubeflow": "kubeflow.training", "axolotl": "axolotl.utils.schemas.config",
    "torchtitan": "torchtitan.config", "mlx": "mlx_lm.lora", "vllm": "vllm.engine.arg_utils",
    "sglang": "sglang.srt.server_args",
}


def importable(module):
    try:
        importlib.import_module(module)
        return None
    except BaseException as e:  # an engine may exit or raise anything on import
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]


def version_of(module):
    from importlib.metadata import version, PackageNotFoundError

    name = module.split(".")[0].replace("_", "-")
    for n in (name, {"kubeflow": "kubeflow-training", "mlx-lm": "mlx-lm"}.get(name, name)):
        try:
            return version(n)
        except PackageNotFoundError:
            pass
    return None


def one_process_group():
    """A one-process gloo group: transformers' DeepSpeed integration reads the world from it."""
    import torch.distributed

    os.environ.update(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT="29555")
    torch.distributed.init_process_group("gloo", rank=0, world_size=1)


def main():
    binary, out_json = sys.argv[1], Path(sys.argv[2])
    one_process_group()
    results = {f: {"validated": 0, "refused": 0, "failed": []} for f in FORMATS}
    engines = {}
    for f, module in ENGINE.items():
        why = importable(module)
        engines[f] = {"module": module, "version": version_of(module), "import_error": why}
    for f, why in NOT_INSTALLABLE.items():
        engines[f] = {"module": None, "version": None, "import_error": why}
    if not engines["unsloth"]["import_error"]:
        missing = [w for w in ("unsloth", "unsloth_zoo") if not (WHEELS / f"{w}-{UNSLOTH_VERSION}-py3-none-any.whl").exists()]
        engines["unsloth"] = {
            "module": "unsloth, unsloth_zoo wheels (source read with ast) and trl.SFTConfig",
            "version": f"unsloth {UNSLOTH_VERSION}, trl {version_of('trl')}",
            "import_error": f"wheels not downloaded: {missing}" if missing else None,
        }
    if os.environ.get("MEGATRON_LM"):
        engines["megatron"] = {
            "module": "megatron.training.arguments",
            "version": os.environ.get("MEGATRON_LM_COMMIT", "checkout"),
            "import_error": None,
        }
    with tempfile.TemporaryDirectory() as tmp:
        for case, request in cases():
            p = run([binary, "plan", "--input", "-", "--json"], json.dumps(request))
            assert p.returncode == 0, p.stderr
            plan = json.loads(p.stdout)
            cpu = True  # this machine has no GPU
            plan_path = Path(tmp) / "plan.json"
            plan_path.write_text(p.stdout)
            modes = [c["mode"] for c in plan["configurations"]]
            mode = "balanced" if "balanced" in modes else (modes[0] if modes else "balanced")
            for f in FORMATS:
                d = Path(tmp) / case.replace("/", "_") / f
                e = run([binary, "export", "--plan", str(plan_path), "--mode", mode, "--format", f, "-o", str(d)])
                if e.returncode != 0:
                    assert "cannot express" in e.stderr, e.stderr
                    results[f]["refused"] += 1
                    continue
                if engines[f]["import_error"]:
                    continue
                files = {x.name: x.read_text() for x in d.iterdir()}
                try:
                    note = CHECKS[f](files, cpu)
                    results[f]["validated"] += 1
                    if note:
                        results[f]["note"] = note
                except BaseException as err:  # record, go on
                    msg = f"{type(err).__name__}: {err}".splitlines()
                    results[f]["failed"].append({"case": f"{case} {mode}", "error": " ".join(msg)[:400]})
    for f in FORMATS:
        results[f]["engine"] = engines[f]
    out_json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    bad = {f: len(r["failed"]) for f, r in results.items() if r["failed"]}
    for f, r in results.items():
        state = "not installed: " + r["engine"]["import_error"] if r["engine"]["import_error"] else f"{r['validated']} validated, {len(r['failed'])} failed"
        print(f"{f:20} {state} ({r['refused']} refused)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
