//! `export`: every format of every configuration of the fixture machines and the cluster is read
//! back by a real parser (serde_json, serde-saphyr for YAML, toml, shell-words and `bash -n` for
//! scripts) and its values checked against the plan; refusals name the format and the field;
//! the files themselves are pinned in insta snapshots (`core/tests/suite/snapshots/suite__export__*.snap`;
//! regenerate with `INSTA_UPDATE=always cargo test -p trainfit-core --test suite export::`).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use trainfit_core::export::{export, formats, ExportFile, ExportOptions, Format};
use trainfit_core::plan::{plan, Configuration, Mode, Plan, PlanRequest};
use trainfit_core::Error;

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/../tests/data/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    serde_json::from_str(&text).expect("JSON")
}

const MACHINES: [&str; 5] = [
    "cpu-laptop-16gb",
    "h100x8-node",
    "m2-pro-32gb",
    "rtx3060-laptop-6gb",
    "rtx4090-desktop",
];

fn plan_of(request: Value) -> Plan {
    let r: PlanRequest = serde_json::from_value(request).expect("plan request");
    plan(&r).expect("plan")
}

fn machine_plan(machine: &str, goal: Value) -> Plan {
    plan_of(json!({"profile": fixture(&format!("profiles/{machine}.json")), "goal": goal}))
}

fn cluster_plan() -> Plan {
    plan_of(fixture("plan-requests/h100x32-llama70b.json"))
}

/// A file's text parsed by the parser its engine uses a counterpart of, as JSON values (scripts:
/// each command's words).
fn parse(f: &ExportFile) -> Value {
    match f.media_type.as_str() {
        "application/json" => serde_json::from_str(&f.text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}\n{}", f.name, f.text)),
        "application/yaml" => serde_saphyr::from_str::<Value>(&f.text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}\n{}", f.name, f.text)),
        "application/toml" => {
            let v: toml::Value = toml::from_str(&f.text)
                .unwrap_or_else(|e| panic!("{}: not TOML: {e}\n{}", f.name, f.text));
            serde_json::to_value(v).unwrap()
        }
        "application/x-sh" => {
            bash_n(f);
            Value::Array(
                commands(&f.text)
                    .into_iter()
                    .map(|words| json!(words))
                    .collect(),
            )
        }
        "text/plain" => Value::String(f.text.clone()),
        "text/x-python" => python_calls(&f.text),
        other => panic!("{}: unexpected media type {other}", f.name),
    }
}

/// A Python script's calls written one keyword per line (`callee(`, then `    name = value,`
/// lines, then `)` at the call's indent), as `{callee: {name: value}}` with each value read as
/// JSON (Python's `True`, `False` and `None` as JSON's; code such as `torch.bfloat16` as a
/// string). Every line of the file is a comment, an import, blank, or part of a call or
/// assignment the check understands; anything else fails.
fn python_calls(text: &str) -> Value {
    let mut calls = serde_json::Map::new();
    let mut open: Vec<(String, String, serde_json::Map<String, Value>)> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some((_, ind, _)) = open.last() {
            if trimmed.starts_with(')') && indent == ind.as_str() {
                let (callee, _, kws) = open.pop().unwrap();
                calls.insert(callee, Value::Object(kws));
                continue;
            }
        }
        if trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed.starts_with("from ")
            || trimmed.starts_with("import ")
        {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('(') {
            // `x = f(` or `args = f(`: a call opens.
            let callee = head.rsplit(" = ").next().unwrap().trim().to_string();
            open.push((callee, indent.to_string(), serde_json::Map::new()));
            continue;
        }
        let Some((_, _, kws)) = open.last_mut() else {
            // A one-line statement: `dataset = load_dataset(...)`, `trainer.train()`.
            assert!(trimmed.ends_with(')'), "not a call: {line}");
            continue;
        };
        let body = trimmed
            .strip_suffix(',')
            .unwrap_or_else(|| panic!("no comma: {line}"));
        match body.split_once(" = ") {
            Some((k, v)) => {
                let v = match v {
                    "True" => json!(true),
                    "False" => json!(false),
                    "None" => Value::Null,
                    v => serde_json::from_str(v).unwrap_or_else(|_| json!(v)),
                };
                assert!(kws.insert(k.to_string(), v).is_none(), "{k} twice");
            }
            // A positional argument (`model`).
            None => assert!(
                body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{line}"
            ),
        }
    }
    assert!(open.is_empty(), "unclosed call");
    Value::Object(calls)
}

/// `bash -n`: the script parses.
fn bash_n(f: &ExportFile) {
    let mut child = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(f.text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}: bash -n: {}\n{}",
        f.name,
        String::from_utf8_lossy(&out.stderr),
        f.text
    );
}

/// The script's commands (continuation lines joined, comments and blank lines dropped), each
/// split into words as the shell would (shell-words); a quoted value may span lines.
fn commands(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\n", " ");
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in joined.lines() {
        if pending.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        pending.push_str(line);
        match shell_words::split(&pending) {
            Ok(words) => {
                out.push(words);
                pending.clear();
            }
            // An open quote: the value goes on to the next line.
            Err(_) => pending.push('\n'),
        }
    }
    assert!(pending.is_empty(), "unterminated quote: {pending}");
    out
}

/// The value after `flag` in a command's words.
fn flag<'a>(words: &'a [String], name: &str) -> Option<&'a str> {
    words
        .iter()
        .position(|w| w == name)
        .and_then(|i| words.get(i + 1))
        .map(String::as_str)
}

/// The last command of the script that runs `program`.
fn command_of(v: &Value, program: &str) -> Vec<String> {
    commands_of(v, program)
        .pop()
        .unwrap_or_else(|| panic!("no {program} command in {v}"))
}

fn file<'a>(files: &'a [ExportFile], name: &str) -> &'a ExportFile {
    files.iter().find(|f| f.name == name).unwrap_or_else(|| {
        panic!(
            "no {name} among {:?}",
            files.iter().map(|f| &f.name).collect::<Vec<_>>()
        )
    })
}

fn f64_of(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_f64().unwrap(),
    }
}

fn u64_of(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

fn num(s: Option<&str>) -> f64 {
    s.expect("flag").parse().expect("number")
}

/// Checks every value of one export against its configuration.
fn check(p: &Plan, c: &Configuration, format: Format, files: &[ExportFile]) {
    let parsed: BTreeMap<&str, Value> = files.iter().map(|f| (f.name.as_str(), parse(f))).collect();
    let layout = c.mesh.as_ref().map(|m| m.candidates[0].layout);
    let (micro, accumulation, data) = match layout {
        Some(l) => (l.micro_batch, l.micro_batches, l.data),
        None => (c.micro_batch, c.gradient_accumulation, c.devices),
    };
    let t = c.training.as_ref();
    match format {
        Format::TrainingArguments => {
            let a = &parsed["training_args.json"];
            let t = t.unwrap();
            assert_eq!(a["per_device_train_batch_size"], micro);
            assert_eq!(a["gradient_accumulation_steps"], accumulation);
            assert_eq!(a["learning_rate"].as_f64(), Some(t.learning_rate));
            assert_eq!(a["max_steps"], t.steps);
            assert_eq!(a["warmup_steps"], t.warmup_steps);
            assert_eq!(a["save_steps"], t.save_steps);
            assert_eq!(a["output_dir"], t.output_dir.as_str());
            // The launch line carries the same values as flags.
            let launch = command_of(&parsed["launch.sh"], "accelerate");
            assert_eq!(num(flag(&launch, "--learning_rate")), t.learning_rate);
            assert_eq!(num(flag(&launch, "--num_processes")), c.devices as f64);
            assert_eq!(num(flag(&launch, "--max_length")), c.sequence as f64);
            if let Some(r) = c.lora_rank {
                assert_eq!(num(flag(&launch, "--lora_r")), r as f64);
            }
        }
        Format::Deepspeed => {
            let d = &parsed["ds_config.json"];
            let t = t.unwrap();
            assert_eq!(d["train_batch_size"], c.global_batch);
            assert_eq!(d["train_micro_batch_size_per_gpu"], micro);
            assert_eq!(d["gradient_accumulation_steps"], accumulation);
            assert_eq!(micro * accumulation * data, c.global_batch);
            if c.optimizer.is_some_and(|o| o.as_str() == "adamw8bit") {
                // No optimizer section: the Trainer builds bitsandbytes' from `--optim`.
                assert!(d.get("optimizer").is_none(), "{d}");
                assert!(!c.offload.optimizer);
                let launch = command_of(&parsed["launch.sh"], "deepspeed");
                assert_eq!(flag(&launch, "--optim"), Some("adamw_bnb_8bit"));
            } else {
                assert_eq!(
                    d["optimizer"]["params"]["lr"].as_f64(),
                    Some(t.learning_rate)
                );
            }
            assert_eq!(d["scheduler"]["params"]["warmup_num_steps"], t.warmup_steps);
            let stage = d["zero_optimization"]["stage"].as_u64().unwrap();
            let want = match c.sharding.as_str() {
                "zero1" => 1,
                "zero2" | "fsdp_shard_grad_op" => 2,
                "zero3" | "fsdp_full_shard" => 3,
                _ if c.offload.parameters => 3,
                _ if c.offload.optimizer => 2,
                _ => 0,
            };
            assert_eq!(stage, want);
            if stage == 1 || stage == 2 {
                // DeepSpeed's buckets, allocated whole (one, two with overlap_comm), within what
                // the estimate counted for them: min(5e8, trainable) elements.
                let z = &d["zero_optimization"];
                let buckets = if z["overlap_comm"] == true { 2 } else { 1 };
                let size = z["reduce_bucket_size"].as_u64().unwrap();
                let budget = 500_000_000u64.min(c.memory.parameters.trainable);
                assert!(
                    size * buckets <= budget + 1,
                    "{size} x {buckets} > {budget}"
                );
                assert!(size * buckets >= budget, "{size} x {buckets} < {budget}");
            }
            assert_eq!(
                d["zero_optimization"].get("offload_optimizer").is_some(),
                c.offload.optimizer
            );
            let launch = command_of(&parsed["launch.sh"], "deepspeed");
            assert_eq!(flag(&launch, "--deepspeed"), Some("ds_config.json"));
        }
        Format::Accelerate => {
            let a = &parsed["accelerate_config.yaml"];
            assert_eq!(u64_of(&a["num_processes"]), c.devices);
            assert_eq!(
                u64_of(&a["num_machines"]),
                p.cluster
                    .as_ref()
                    .map_or(1, |cl| c.devices.div_ceil(cl.devices_per_machine))
            );
            let want = match c.sharding.as_str() {
                "fsdp_full_shard" | "fsdp_shard_grad_op" => "FSDP",
                "zero1" | "zero2" | "zero3" => "DEEPSPEED",
                _ if c.offload.optimizer || c.offload.parameters => "DEEPSPEED",
                _ if c.devices > 1 => "MULTI_GPU",
                _ => "NO",
            };
            assert_eq!(a["distributed_type"], want);
        }
        Format::Torchtitan => {
            let t_ = &parsed["torchtitan.toml"];
            let (tp, pp, cp) = layout.map_or((1, 1, 1), |l| (l.tensor, l.pipeline, l.context));
            let par = &t_["parallelism"];
            assert_eq!(par["tensor_parallel_degree"], tp);
            assert_eq!(par["pipeline_parallel_degree"], pp);
            assert_eq!(par["context_parallel_degree"], cp);
            assert_eq!(
                par["data_parallel_shard_degree"].as_u64().unwrap()
                    * par["data_parallel_replicate_degree"].as_u64().unwrap(),
                data
            );
            assert_eq!(t_["training"]["global_batch_size"], c.global_batch);
            assert_eq!(t_["training"]["seq_len"], c.sequence);
            assert_eq!(t_["training"]["steps"], t.unwrap().steps);
        }
        Format::Megatron => {
            let m = command_of(&parsed["megatron.sh"], "torchrun");
            let (tp, pp) = layout.map_or((1, 1), |l| (l.tensor, l.pipeline));
            assert_eq!(num(flag(&m, "--tensor-model-parallel-size")), tp as f64);
            assert_eq!(num(flag(&m, "--pipeline-model-parallel-size")), pp as f64);
            assert_eq!(num(flag(&m, "--micro-batch-size")), micro as f64);
            assert_eq!(num(flag(&m, "--global-batch-size")), c.global_batch as f64);
            assert_eq!(num(flag(&m, "--seq-length")), c.sequence as f64);
            assert_eq!(num(flag(&m, "--lr")), t.unwrap().learning_rate);
            assert_eq!(num(flag(&m, "--train-iters")), t.unwrap().steps as f64);
            if let Some(s) = c.model.shape {
                assert_eq!(num(flag(&m, "--num-layers")), s.layers as f64);
                assert_eq!(num(flag(&m, "--hidden-size")), s.hidden as f64);
            }
            // Every plan carries its model's architecture, and the flags state it.
            let a = c.model.architecture.expect("architecture");
            assert_eq!(num(flag(&m, "--num-layers")), a.layers as f64);
            assert_eq!(num(flag(&m, "--hidden-size")), a.hidden as f64);
            assert_eq!(num(flag(&m, "--num-attention-heads")), a.heads as f64);
            assert_eq!(num(flag(&m, "--ffn-hidden-size")), a.intermediate as f64);
            assert_eq!(
                flag(&m, "--num-query-groups").map_or(a.heads as f64, |g| g.parse().unwrap()),
                a.kv_heads as f64
            );
            assert_eq!(
                m.iter()
                    .any(|w| w == "--untie-embeddings-and-output-weights"),
                !a.tied_embeddings
            );
            assert!(num(flag(&m, "--max-position-embeddings")) >= c.sequence as f64);
        }
        Format::Peft => {
            let l = &parsed["lora_config.json"];
            let r = c.lora_rank.unwrap();
            assert_eq!(l["r"], r);
            // The memory model's default alpha: 2 x rank.
            assert_eq!(l["lora_alpha"], 2 * r);
            assert_eq!(l["target_modules"], "all-linear");
            assert_eq!(
                parsed.contains_key("bnb_config.json"),
                c.task.as_str() == "qlora"
            );
        }
        Format::Unsloth => {
            let py = &parsed["unsloth_train.py"];
            let t = t.unwrap();
            let load = &py["FastLanguageModel.from_pretrained"];
            assert_eq!(load["model_name"], c.model.name.as_str());
            assert_eq!(load["max_seq_length"], c.sequence);
            assert_eq!(load["load_in_4bit"], c.task.as_str() == "qlora");
            let recompute = match c.checkpointing.as_str() {
                "full" => json!("unsloth"),
                _ => json!(false),
            };
            match c.lora_rank {
                Some(r) => {
                    let lora = &py["FastLanguageModel.get_peft_model"];
                    assert_eq!(lora["r"], r);
                    // The memory model's default alpha: 2 x rank; PEFT's targets.
                    assert_eq!(lora["lora_alpha"], 2 * r);
                    assert_eq!(lora["target_modules"], "all-linear");
                    assert_eq!(lora["use_gradient_checkpointing"], recompute);
                    assert!(load.get("full_finetuning").is_none());
                }
                None => {
                    assert!(py.get("FastLanguageModel.get_peft_model").is_none());
                    assert_eq!(load["full_finetuning"], true);
                    assert_eq!(load["use_gradient_checkpointing"], recompute);
                }
            }
            let a = &py["SFTConfig"];
            assert_eq!(a["per_device_train_batch_size"], micro);
            assert_eq!(a["gradient_accumulation_steps"], accumulation);
            assert_eq!(a["learning_rate"].as_f64(), Some(t.learning_rate));
            assert_eq!(a["max_steps"], t.steps);
            assert_eq!(a["warmup_steps"], t.warmup_steps);
            assert_eq!(a["save_steps"], t.save_steps);
            assert_eq!(a["output_dir"], t.output_dir.as_str());
            assert_eq!(a["max_length"], c.sequence);
            if c.optimizer.is_some_and(|o| o.as_str() == "adamw8bit") {
                assert_eq!(a["optim"], "adamw_8bit");
            }
            let launch = &parsed["launch.sh"];
            if c.devices > 1 {
                let words = command_of(launch, "torchrun");
                assert_eq!(words.last().map(String::as_str), Some("unsloth_train.py"));
            } else {
                assert_eq!(
                    command_of(launch, "python"),
                    vec!["python", "unsloth_train.py"]
                );
            }
        }
        Format::Axolotl => {
            let a = &parsed["axolotl.yaml"];
            let t = t.unwrap();
            assert_eq!(u64_of(&a["micro_batch_size"]), micro);
            assert_eq!(u64_of(&a["gradient_accumulation_steps"]), accumulation);
            assert_eq!(u64_of(&a["sequence_len"]), c.sequence);
            assert_eq!(f64_of(&a["learning_rate"]), t.learning_rate);
            assert_eq!(u64_of(&a["max_steps"]), t.steps);
            assert_eq!(a["base_model"], c.model.name.as_str());
            if let Some(r) = c.lora_rank {
                assert_eq!(u64_of(&a["lora_r"]), r);
            }
        }
        Format::Torchrun | Format::Slurm => {
            let (name, launcher) = if format == Format::Torchrun {
                ("torchrun.sh", "torchrun")
            } else {
                ("train.sbatch", "srun")
            };
            let words = command_of(&parsed[name], launcher);
            let per_node = p
                .cluster
                .as_ref()
                .map_or(c.devices, |cl| cl.devices_per_machine.min(c.devices));
            assert_eq!(num(flag(&words, "--nproc_per_node")), per_node as f64);
            if format == Format::Slurm {
                let text = &file(files, name).text;
                let nodes = c.devices / per_node;
                assert!(
                    text.contains(&format!("#SBATCH --nodes={nodes}\n")),
                    "{text}"
                );
            }
            if layout.is_some_and(|l| l.tensor > 1 || l.pipeline > 1) {
                assert!(parsed.contains_key("torchtitan.toml"));
            } else {
                assert_eq!(
                    num(flag(&words, "--per_device_train_batch_size")),
                    micro as f64
                );
                assert_eq!(
                    num(flag(&words, "--gradient_accumulation_steps")),
                    accumulation as f64
                );
            }
        }
        Format::Kubeflow => {
            let k = &parsed["pytorchjob.yaml"];
            let per_node = p
                .cluster
                .as_ref()
                .map_or(c.devices, |cl| cl.devices_per_machine.min(c.devices));
            assert_eq!(k["kind"], "PyTorchJob");
            assert_eq!(k["spec"]["nprocPerNode"], per_node.to_string());
            let specs = &k["spec"]["pytorchReplicaSpecs"];
            let workers = specs.get("Worker").map_or(0, |w| u64_of(&w["replicas"]));
            assert_eq!(1 + workers, c.devices / per_node);
        }
        Format::Mlx => {
            let m = &parsed["mlx_lora.yaml"];
            let t = t.unwrap();
            assert_eq!(u64_of(&m["iters"]), t.steps);
            assert_eq!(u64_of(&m["batch_size"]), micro * data);
            assert_eq!(u64_of(&m["max_seq_length"]), c.sequence);
            assert_eq!(f64_of(&m["learning_rate"]), t.learning_rate);
            if let Some(r) = c.lora_rank {
                assert_eq!(u64_of(&m["lora_parameters"]["rank"]), r);
            }
        }
        Format::Vllm | Format::Sglang | Format::LlamaCpp => {
            let (name, program) = match format {
                Format::Vllm => ("vllm.sh", "vllm"),
                Format::Sglang => ("sglang.sh", "python"),
                _ => ("llama_server.sh", "llama-server"),
            };
            let s = c.serve.as_ref().unwrap();
            let words = command_of(&parsed[name], program);
            let ctx = match format {
                Format::Vllm => num(flag(&words, "--max-model-len")),
                Format::Sglang => num(flag(&words, "--context-length")),
                // llama-server's context is shared by its slots.
                _ => num(flag(&words, "--ctx-size")) / num(flag(&words, "--parallel")),
            };
            assert_eq!(ctx, s.context as f64);
            let concurrency = match format {
                Format::Vllm => {
                    num(flag(&words, "--max-num-seqs"))
                        * flag(&words, "--data-parallel-size").map_or(1.0, |d| d.parse().unwrap())
                }
                Format::Sglang => num(flag(&words, "--max-running-requests")),
                _ => num(flag(&words, "--parallel")),
            };
            assert_eq!(concurrency, s.concurrency as f64, "{name}");
        }
    }
}

/// Every format of every configuration: parsed and checked, or refused with the format named.
fn export_all(p: &Plan) -> (usize, usize) {
    let mut done = 0;
    let mut refused = 0;
    for c in &p.configurations {
        for info in formats() {
            match export(p, c.mode, info.format, &ExportOptions::default()) {
                Ok(files) => {
                    assert!(!files.is_empty());
                    for f in &files {
                        assert!(f.text.ends_with('\n'), "{}", f.name);
                    }
                    check(p, c, info.format, &files);
                    done += 1;
                }
                Err(e @ Error::Unsupported { .. }) => {
                    let msg = e.to_string();
                    // A training format for a serving configuration (or the reverse) is not a
                    // limit of the engine; count the others.
                    if e.field() != Some("task") {
                        refused += 1;
                    }
                    assert!(
                        msg.starts_with(&format!(
                            "format `{}` cannot express field `",
                            info.format
                        )),
                        "{msg}"
                    );
                }
                Err(e) => panic!("{} {}: {e}", c.mode, info.format),
            }
        }
    }
    (done, refused)
}

fn goals() -> Vec<(&'static str, Value)> {
    vec![
        ("pretrain", json!({"task": "pretrain"})),
        (
            "finetune",
            json!({"task": "finetune", "model": {"catalogue": "qwen2.5-0.5b"}}),
        ),
        (
            "lora",
            json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}),
        ),
        (
            "qlora",
            json!({"task": "qlora", "model": {"catalogue": "mistral-7b-v0.1"}}),
        ),
        (
            "serve",
            json!({"task": "serve", "model": {"catalogue": "llama-3.1-8b"}}),
        ),
    ]
}

#[test]
fn every_format_of_every_fixture_parses_and_carries_the_plan() {
    let mut total = (0, 0);
    for m in MACHINES {
        for (_, goal) in goals() {
            let (d, r) = export_all(&machine_plan(m, goal));
            total = (total.0 + d, total.1 + r);
        }
    }
    let (d, r) = export_all(&cluster_plan());
    total = (total.0 + d, total.1 + r);
    // Most pairs export; the refusals are what engines cannot run (MLX off Apple, DeepSpeed on
    // Apple, a generated shape in torchtitan, ...). 476 exports and 174 such refusals when
    // written.
    assert!(total.0 > 2 * total.1, "{total:?}");
}

#[test]
fn the_cluster_exports_its_mesh_to_torchtitan_and_launchers() {
    let p = cluster_plan();
    let c = &p.configurations[0];
    let l = c.mesh.as_ref().unwrap().candidates[0].layout;
    // The 70B fine-tune on 4 x 8 H100s: data 4 x tensor 2 x pipeline 4, FSDP over the data axis.
    assert_eq!((l.data, l.tensor, l.pipeline), (4, 2, 4));
    let files = export(&p, c.mode, Format::Slurm, &ExportOptions::default()).unwrap();
    let sbatch = &file(&files, "train.sbatch").text;
    assert!(
        sbatch.contains(
            "#SBATCH --nodes=4\n#SBATCH --ntasks-per-node=1\n#SBATCH --gpus-per-node=8\n"
        ),
        "{sbatch}"
    );
    let toml: toml::Value = toml::from_str(&file(&files, "torchtitan.toml").text).unwrap();
    assert_eq!(
        toml["parallelism"]["data_parallel_shard_degree"].as_integer(),
        Some(4)
    );
    assert_eq!(
        toml["parallelism"]["pipeline_parallel_schedule"].as_str(),
        Some("Interleaved1F1B")
    );
    // Llama 3.1 70B's 80 layers (num_hidden_layers in its config.json) over 4 stages x 4 model
    // chunks: 5 layers each, so torchtitan makes ceil(80 / 5) = 16 = 4 x 4 stages.
    assert_eq!(
        (l.pipeline, l.virtual_stages, l.lighter_ends),
        (4, 4, false)
    );
    assert_eq!(
        toml["parallelism"]["pipeline_parallel_layers_per_stage"].as_integer(),
        Some(5)
    );
    // Megatron shards optimizer states or runs FSDP2 without a pipeline; FSDP with 4 stages is
    // neither, and the refusal says so.
    let e = export(&p, c.mode, Format::Megatron, &ExportOptions::default()).unwrap_err();
    assert_eq!(e.field(), Some("mesh.candidates[0].layout.sharding"));
    assert!(
        e.to_string()
            .contains("fsdp_full_shard with 4 pipeline stages"),
        "{e}"
    );
}

#[test]
fn refusals_name_the_format_the_field_and_why() {
    let serve = machine_plan("rtx4090-desktop", goals()[4].1.clone());
    let e = export(
        &serve,
        Mode::Balanced,
        Format::Deepspeed,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "unsupported");
    assert_eq!(e.field(), Some("task"));
    assert!(
        e.to_string().starts_with(
            "format `deepspeed` cannot express field `task`: the configuration serves"
        ),
        "{e}"
    );

    let lora = machine_plan("rtx4090-desktop", goals()[2].1.clone());
    let e = export(
        &lora,
        Mode::Balanced,
        Format::Vllm,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("task"));

    // An uneven pipeline (lighter first and last stages) has no setting in Accelerate's
    // Megatron-LM plugin.
    let mut cluster = cluster_plan();
    let c = &mut cluster.configurations[0];
    let l = &mut c.mesh.as_mut().unwrap().candidates[0].layout;
    l.lighter_ends = true;
    l.virtual_stages = 1;
    l.sharding = trainfit_core::request::Sharding::None;
    let e = export(
        &cluster,
        Mode::Balanced,
        Format::Accelerate,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("mesh.candidates[0].layout.lighter_ends"));

    // Unequal devices: no launcher starts ranks of unequal layers and batch shares.
    let macs: Vec<Value> = ["m4-16gb", "m4-pro-48gb", "m2-ultra-192gb"]
        .iter()
        .map(|m| json!({"profile": fixture(&format!("clusters/{m}.json"))}))
        .collect();
    let hetero = plan_of(json!({
        "cluster": {"machines": macs, "links": [{"class": "thunderbolt"}]},
        "goal": {"task": "lora", "model": {"catalogue": "Llama-3.1-70B"}, "sequence": 2048,
                 "global_batch": 8},
    }));
    let e = export(
        &hetero,
        Mode::Extreme,
        Format::Torchrun,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("hetero"));

    // A mode the plan lacks is a bad argument, not a refusal.
    let e = export(
        &cluster_plan(),
        Mode::Conservative,
        Format::Torchtitan,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid_field");
}

#[test]
fn options_replace_placeholders_and_quote_safely() {
    let p = machine_plan("h100x8-node", goals()[2].1.clone());
    let hostile = "/data/it's \"mine\"\n$(rm -rf ~) <x>: yes";
    let o = ExportOptions {
        model: Some(String::from("/models/llama 3")),
        dataset: Some(String::from(hostile)),
        output_dir: Some(String::from("out: no")),
        ..ExportOptions::default()
    };
    for info in formats() {
        let Ok(files) = export(&p, Mode::Balanced, info.format, &o) else {
            continue;
        };
        for f in &files {
            let v = parse(f);
            let text = v.to_string();
            if f.name.ends_with(".sh") || f.name.ends_with(".sbatch") {
                // Each value is one word, exactly as given.
                let cmd = v.as_array().unwrap().last().unwrap();
                let words: Vec<&str> = cmd
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap())
                    .collect();
                if let Some(i) = words.iter().position(|w| *w == "--dataset_name") {
                    assert_eq!(words[i + 1], hostile);
                }
            } else if f.text.contains("dataset") || f.text.contains("DATASET") {
                // The hostile path is one string value somewhere in the document.
                assert!(
                    text.contains(&serde_json::to_string(hostile).unwrap())
                        || !text.contains("rm -rf"),
                    "{}: {text}",
                    f.name
                );
            }
        }
    }
    let files = export(&p, Mode::Balanced, Format::TrainingArguments, &o).unwrap();
    let a: Value = serde_json::from_str(&file(&files, "training_args.json").text).unwrap();
    assert_eq!(a["output_dir"], "out: no");
    let files = export(&p, Mode::Balanced, Format::Axolotl, &o).unwrap();
    let y: Value = serde_saphyr::from_str(&file(&files, "axolotl.yaml").text).unwrap();
    assert_eq!(y["datasets"][0]["path"], hostile);
    assert_eq!(y["base_model"], "/models/llama 3");
}

#[test]
fn formats_are_listed_once_each_with_a_description() {
    let list = formats();
    assert_eq!(list.len(), Format::ALL.len());
    for f in &list {
        assert!(!f.description.is_empty());
        assert_eq!(f.format.as_str().parse::<Format>().unwrap(), f.format);
    }
}

/// One machine's (or the cluster's) balanced configuration in every format, as text.
fn golden(p: &Plan, mode: Mode) -> String {
    let mut out = String::new();
    for info in formats() {
        out.push_str(&format!("===== {} =====\n", info.format));
        match export(p, mode, info.format, &ExportOptions::default()) {
            Ok(files) => {
                for f in files {
                    out.push_str(&format!(
                        "----- {} ({}) -----\n{}",
                        f.name, f.media_type, f.text
                    ));
                }
            }
            Err(e) => out.push_str(&format!("refused: {e}\n")),
        }
    }
    out
}

#[test]
fn golden_exports() {
    let goal_of = |m: &str| match m {
        "h100x8-node" => goals()[0].1.clone(),
        "m2-pro-32gb" | "rtx4090-desktop" => goals()[2].1.clone(),
        "rtx3060-laptop-6gb" => goals()[3].1.clone(),
        _ => goals()[1].1.clone(),
    };
    for m in MACHINES {
        let p = machine_plan(m, goal_of(m));
        insta::assert_snapshot!(format!("export_{m}"), golden(&p, Mode::Balanced));
    }
    insta::assert_snapshot!(
        "export_h100x32_llama70b",
        golden(&cluster_plan(), Mode::Balanced)
    );
    let serve = machine_plan("h100x8-node", goals()[4].1.clone());
    insta::assert_snapshot!("export_h100x8_serve", golden(&serve, Mode::Balanced));
}

/// `tests/export/validation.json` (written by `tests/export/validate.sh`, which loads the
/// exports with each engine's own code) covers every format: each was read by its engine with
/// no failure, or says why its engine does not install here.
#[test]
fn engine_validation_covers_every_format() {
    let v = fixture("../export/validation.json");
    for f in Format::ALL {
        let r = &v[f.as_str()];
        assert!(
            r.is_object(),
            "{f} missing from validation.json; run tests/export/validate.sh"
        );
        assert_eq!(r["failed"], json!([]), "{f}: the engine rejected exports");
        let validated = r["validated"].as_u64().unwrap();
        let why = r["engine"]["import_error"].as_str();
        assert!(
            validated > 0 || why.is_some_and(|w| !w.is_empty()),
            "{f}: neither validated nor a reason its engine is not installed"
        );
    }
}

/// A plan read from a file may hold any numbers: zeros and products beyond 64 bits are errors
/// naming the field, in every format, never a panic (a panic in wasm kills the module).
#[test]
fn hostile_numbers_are_errors_not_panics() {
    let lora = machine_plan("rtx4090-desktop", goals()[2].1.clone());
    let serve = machine_plan("h100x8-node", goals()[4].1.clone());
    let cluster = cluster_plan();
    type Edit = fn(&mut Plan);
    let edits: [(&str, Edit); 6] = [
        ("micro_batch", |p| {
            p.configurations.iter_mut().for_each(|c| c.micro_batch = 0)
        }),
        ("lora_rank", |p| {
            p.configurations
                .iter_mut()
                .for_each(|c| c.lora_rank = Some(0))
        }),
        ("sequence", |p| {
            p.configurations
                .iter_mut()
                .for_each(|c| c.sequence = u64::MAX)
        }),
        ("devices", |p| {
            p.configurations
                .iter_mut()
                .for_each(|c| c.devices = u64::MAX)
        }),
        ("cluster", |p| {
            if let Some(cl) = p.cluster.as_mut() {
                cl.devices_per_machine = 0;
            }
        }),
        ("layout", |p| {
            for c in &mut p.configurations {
                if let Some(m) = c.mesh.as_mut() {
                    m.candidates[0].layout.pipeline = 0;
                }
            }
        }),
    ];
    for base in [&lora, &serve, &cluster] {
        for (name, edit) in edits {
            let mut p = base.clone();
            edit(&mut p);
            for info in formats() {
                let r = std::panic::catch_unwind(|| {
                    export(&p, Mode::Balanced, info.format, &ExportOptions::default())
                });
                let r = r.unwrap_or_else(|_| panic!("{name}, {}: panicked", info.format));
                if let Err(e) = r {
                    assert!(
                        ["invalid_field", "overflow", "unsupported"].contains(&e.code()),
                        "{name}, {}: {e}",
                        info.format
                    );
                }
            }
        }
    }
}

/// Every plan carries its model's architecture, given or generated; the given models' figures
/// are their published `config.json`s' (huggingface.co/meta-llama/Llama-3.1-8B and
/// huggingface.co/Qwen/Qwen2.5-0.5B, config.json).
#[test]
fn plans_carry_the_architecture_of_given_models() {
    use trainfit_core::plan::Positions;
    let llama = machine_plan("rtx4090-desktop", goals()[2].1.clone());
    let a = llama.configurations[0].model.architecture.unwrap();
    // num_hidden_layers 32, hidden_size 4096, num_attention_heads 32, num_key_value_heads 8,
    // intermediate_size 14336, vocab_size 128256, max_position_embeddings 131072,
    // tie_word_embeddings false, rope.
    assert_eq!(
        (a.layers, a.hidden, a.heads, a.kv_heads, a.head_dim),
        (32, 4096, 32, 8, 128)
    );
    assert_eq!(
        (a.intermediate, a.vocab, a.max_positions),
        (14336, 128256, 131072)
    );
    assert!(!a.tied_embeddings && a.gated && a.moe.is_none());
    assert_eq!(a.positions, Positions::Rotary);
    let qwen = machine_plan("h100x8-node", goals()[1].1.clone());
    let a = qwen.configurations[0].model.architecture.unwrap();
    // 24 layers, hidden 896, 14 heads, 2 KV heads, intermediate 4864, vocab 151936, tied,
    // biases on q, k and v only (Qwen2's attention).
    assert_eq!((a.layers, a.hidden, a.heads, a.kv_heads), (24, 896, 14, 2));
    assert_eq!((a.intermediate, a.vocab), (4864, 151936));
    assert!(a.tied_embeddings);
    assert!(a.bias.qkv && !a.bias.attn_out && !a.bias.mlp);
    // Generated shapes carry it too, equal to their shape.
    let pre = machine_plan("h100x8-node", goals()[0].1.clone());
    for c in &pre.configurations {
        let (s, a) = (c.model.shape.unwrap(), c.model.architecture.unwrap());
        assert_eq!(
            (s.layers, s.hidden, s.heads, s.intermediate, s.vocab),
            (a.layers, a.hidden, a.heads, a.intermediate, a.vocab)
        );
    }
}

/// The h100x8 pretraining configuration's Megatron-LM export with another model's
/// architecture in place: the flags state it, and what pretrain_gpt.py cannot build is refused.
fn megatron_with(catalogue: &str) -> Result<Vec<String>, Error> {
    use trainfit_core::plan::{Architecture, ModelOrigin};
    let mut p = machine_plan("h100x8-node", goals()[0].1.clone());
    let spec = trainfit_core::model::find(catalogue).unwrap();
    for c in &mut p.configurations {
        c.model.architecture = Some(Architecture::of(&spec));
        c.model.shape = None;
        c.model.origin = ModelOrigin::Given;
        c.model.name = spec.name.clone();
    }
    let files = export(
        &p,
        Mode::Balanced,
        Format::Megatron,
        &ExportOptions::default(),
    )?;
    Ok(command_of(&parse(&files[0]), "torchrun"))
}

#[test]
fn megatron_states_a_given_architecture_or_refuses_it() {
    // Qwen2.5-0.5B: grouped queries, biases on q, k, v only, tied embeddings.
    let m = megatron_with("qwen2.5-0.5b").unwrap();
    assert_eq!(flag(&m, "--num-query-groups"), Some("2"));
    assert!(m.iter().any(|w| w == "--group-query-attention"));
    assert!(m.iter().any(|w| w == "--disable-bias-linear"));
    assert!(m.iter().any(|w| w == "--add-qkv-bias"));
    assert!(!m
        .iter()
        .any(|w| w == "--untie-embeddings-and-output-weights"));
    assert_eq!(flag(&m, "--rotary-base"), Some("<ROPE_THETA>"));
    assert_eq!(flag(&m, "--tokenizer-type"), Some("HuggingFaceTokenizer"));
    // Mixtral-8x7B (huggingface.co/mistralai/Mixtral-8x7B-v0.1, config.json): 8 local experts,
    // 2 per token, intermediate 14336.
    let m = megatron_with("mixtral-8x7b").unwrap();
    assert_eq!(flag(&m, "--num-experts"), Some("8"));
    assert_eq!(flag(&m, "--moe-router-topk"), Some("2"));
    assert_eq!(flag(&m, "--moe-ffn-hidden-size"), Some("14336"));
    assert!(m.iter().any(|w| w == "--swiglu"));
    // Gemma-2: GeGLU and soft-capped logits, which the flags do not build.
    let e = megatron_with("gemma-2-2b").unwrap_err();
    assert_eq!(e.field(), Some("model.architecture"));
    assert!(e.to_string().contains("soft-capped"), "{e}");
}

/// Unsloth: QLoRA on a CPU is refused (its CPU loader falls back to 16-bit weights where
/// bitsandbytes' CPU backend does not run), LoRA there exports; the 8-GPU node's LoRA runs one
/// process per GPU under torchrun.
#[test]
fn unsloth_runs_where_its_source_says_it_does() {
    let qlora = machine_plan("cpu-laptop-16gb", goals()[3].1.clone());
    let e = export(
        &qlora,
        Mode::Balanced,
        Format::Unsloth,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("task"));
    let lora = machine_plan("cpu-laptop-16gb", goals()[2].1.clone());
    export(
        &lora,
        Mode::Balanced,
        Format::Unsloth,
        &ExportOptions::default(),
    )
    .unwrap();
    let node = machine_plan("h100x8-node", goals()[2].1.clone());
    let c = node
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Balanced)
        .unwrap();
    match export(
        &node,
        Mode::Balanced,
        Format::Unsloth,
        &ExportOptions::default(),
    ) {
        Ok(files) => {
            let words = command_of(&parse(file(&files, "launch.sh")), "torchrun");
            assert_eq!(
                flag(&words, "--nproc_per_node"),
                Some(c.devices.to_string().as_str())
            );
        }
        // A sharded configuration is refused with its reason.
        Err(e) => {
            assert_ne!(c.sharding.as_str(), "none", "{e}");
            assert_eq!(e.field(), Some("sharding"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Two-phase pretraining: phase B's files.

/// The commands of a script that run `program`, in order.
fn commands_of(v: &Value, program: &str) -> Vec<Vec<String>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|w| w.iter().any(|x| x == program))
        .collect()
}

/// The `name = value,` keywords of a Python call in an exported script (`callee` as written).
fn python_call<'a>(v: &'a Value, callee: &str) -> &'a serde_json::Map<String, Value> {
    v[callee]
        .as_object()
        .unwrap_or_else(|| panic!("no {callee} call in {v}"))
}

/// Checks phase B's files of a two-phase export against `configuration.phase_b`: each file
/// read back by its parser, phase B's values (sequence, batches, steps, the linear schedule to 0
/// without warm-up, its output directory) and its start from phase A's last checkpoint.
fn check_phase_b(c: &Configuration, format: Format, files: &[ExportFile]) {
    let parsed: BTreeMap<&str, Value> = files.iter().map(|f| (f.name.as_str(), parse(f))).collect();
    let b = c.phase_b.as_ref().unwrap();
    let (ta, tb) = (c.training.as_ref().unwrap(), &b.training);
    assert_eq!(tb.schedule.as_str(), "linear");
    assert_eq!(tb.warmup_steps, 0);
    // Phase B keeps the peak of phase A's constant stage (WSD's decay stage).
    assert_eq!(tb.learning_rate, ta.learning_rate);
    let a_dir = ta.output_dir.as_str();
    let b_dir = tb.output_dir.as_str();
    assert_ne!(a_dir, b_dir);
    // The Hugging Face programs' phase B: the same launcher twice, the second from phase A's
    // output directory (where TRL's SFT script saves the model).
    let hf_launch = |script: &str, program: &str| {
        let runs = commands_of(&parsed[script], program);
        assert_eq!(runs.len(), 2, "{format}: {runs:?}");
        let (a, bw) = (&runs[0], &runs[1]);
        assert_eq!(flag(a, "--output_dir"), Some(a_dir));
        assert_eq!(flag(bw, "--output_dir"), Some(b_dir));
        assert_eq!(flag(bw, "--model_name_or_path"), Some(a_dir));
        assert_eq!(num(flag(bw, "--max_length")), b.sequence as f64);
        assert_eq!(
            num(flag(bw, "--per_device_train_batch_size")),
            b.micro_batch as f64
        );
        assert_eq!(
            num(flag(bw, "--gradient_accumulation_steps")),
            b.gradient_accumulation as f64
        );
        assert_eq!(num(flag(bw, "--max_steps")), tb.steps as f64);
        assert_eq!(num(flag(bw, "--warmup_steps")), 0.0);
        assert_eq!(flag(bw, "--lr_scheduler_type"), Some("linear"));
        assert_eq!(num(flag(bw, "--learning_rate")), tb.learning_rate);
        bw.clone()
    };
    match format {
        Format::TrainingArguments => {
            let j = &parsed["training_args_phase_b.json"];
            assert_eq!(j["output_dir"], b_dir);
            assert_eq!(j["per_device_train_batch_size"], b.micro_batch);
            assert_eq!(j["gradient_accumulation_steps"], b.gradient_accumulation);
            assert_eq!(j["max_steps"], tb.steps);
            assert_eq!(j["warmup_steps"], 0);
            assert_eq!(j["lr_scheduler_type"], "linear");
            assert_eq!(j["save_steps"], tb.save_steps);
            assert_eq!(parsed["training_args.json"]["output_dir"], a_dir);
            hf_launch("launch.sh", "accelerate");
        }
        Format::Deepspeed => {
            let d = &parsed["ds_config_phase_b.json"];
            assert_eq!(d["train_batch_size"], b.global_batch);
            assert_eq!(d["train_micro_batch_size_per_gpu"], b.micro_batch);
            assert_eq!(d["gradient_accumulation_steps"], b.gradient_accumulation);
            // WarmupDecayLR: linear from warmup_max_lr to 0 at total_num_steps
            // (deepspeed/runtime/lr_schedules.py).
            let s = &d["scheduler"];
            assert_eq!(s["type"], "WarmupDecayLR");
            assert_eq!(s["params"]["total_num_steps"], tb.steps);
            assert_eq!(s["params"]["warmup_num_steps"], 0);
            assert_eq!(s["params"]["warmup_min_lr"].as_f64(), Some(0.0));
            assert_eq!(
                s["params"]["warmup_max_lr"].as_f64(),
                Some(tb.learning_rate)
            );
            let bw = hf_launch("launch.sh", "deepspeed");
            assert_eq!(flag(&bw, "--deepspeed"), Some("ds_config_phase_b.json"));
            // ZeRO-3 phase A gathers its weights on save, so phase B can load them.
            let za = &parsed["ds_config.json"]["zero_optimization"];
            if za["stage"] == 3 {
                assert_eq!(za["stage3_gather_16bit_weights_on_model_save"], true);
            }
        }
        Format::Accelerate => {
            let a = &parsed["accelerate_config.yaml"];
            assert!(parsed.contains_key("accelerate_config_phase_b.yaml"));
            if a["distributed_type"] == "FSDP" {
                assert_eq!(a["fsdp_config"]["fsdp_state_dict_type"], "FULL_STATE_DICT");
            }
            let runs = commands_of(&parsed["launch.sh"], "accelerate");
            assert_eq!(
                flag(&runs[1], "--config_file"),
                Some("accelerate_config_phase_b.yaml")
            );
            hf_launch("launch.sh", "accelerate");
        }
        Format::Torchrun => {
            hf_launch("torchrun.sh", "torchrun");
        }
        Format::Slurm => {
            hf_launch("train.sbatch", "torchrun");
        }
        Format::Kubeflow => {
            let jb = &parsed["pytorchjob_phase_b.yaml"];
            assert!(jb["metadata"]["name"]
                .as_str()
                .unwrap()
                .ends_with("-phase-b"));
            let container =
                &jb["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0];
            let words: Vec<String> = container["command"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap().to_string())
                .collect();
            assert_eq!(flag(&words, "--model_name_or_path"), Some(a_dir));
            assert_eq!(num(flag(&words, "--max_length")), b.sequence as f64);
            assert_eq!(flag(&words, "--lr_scheduler_type"), Some("linear"));
        }
        Format::Megatron => {
            let runs = commands_of(&parsed["megatron.sh"], "torchrun");
            assert_eq!(runs.len(), 2);
            let (a, bw) = (&runs[0], &runs[1]);
            assert_eq!(flag(a, "--save"), Some(a_dir));
            assert!(!a.iter().any(|w| w == "--load"));
            assert_eq!(flag(bw, "--save"), Some(b_dir));
            assert_eq!(flag(bw, "--load"), Some(a_dir));
            assert!(bw.iter().any(|w| w == "--finetune"));
            assert!(bw.iter().any(|w| w == "--override-opt_param-scheduler"));
            assert_eq!(flag(bw, "--lr-decay-style"), Some("linear"));
            assert_eq!(num(flag(bw, "--min-lr")), 0.0);
            assert_eq!(num(flag(bw, "--lr-warmup-iters")), 0.0);
            assert_eq!(num(flag(bw, "--train-iters")), tb.steps as f64);
            assert_eq!(num(flag(bw, "--lr-decay-iters")), tb.steps as f64);
            assert_eq!(num(flag(bw, "--seq-length")), b.sequence as f64);
            assert_eq!(num(flag(bw, "--micro-batch-size")), b.micro_batch as f64);
            assert_eq!(num(flag(bw, "--global-batch-size")), b.global_batch as f64);
        }
        Format::Torchtitan => {
            let t = &parsed["torchtitan_phase_b.toml"];
            let s = &t["lr_scheduler"];
            assert_eq!(s["warmup_steps"], 0);
            assert_eq!(s["decay_type"], "linear");
            assert_eq!(s["decay_ratio"].as_f64(), Some(1.0));
            assert_eq!(s["min_lr_factor"].as_f64(), Some(0.0));
            assert_eq!(t["training"]["seq_len"], b.sequence);
            assert_eq!(t["training"]["steps"], tb.steps);
            assert_eq!(t["training"]["global_batch_size"], b.global_batch);
            assert_eq!(
                t["training"]["local_batch_size"],
                b.micro_batch * b.gradient_accumulation
            );
            assert_eq!(t["job"]["dump_folder"], b_dir);
            // torchtitan's last checkpoint of phase A: {dump_folder}/checkpoint/step-{steps}.
            let ck = &t["checkpoint"];
            assert_eq!(
                ck["initial_load_path"],
                format!("{a_dir}/checkpoint/step-{}", ta.steps)
            );
            assert_eq!(ck["initial_load_model_only"], true);
            assert_eq!(
                parsed["torchtitan.toml"]["checkpoint"]["last_save_model_only"],
                true
            );
            let runs = commands_of(&parsed["launch.sh"], "torchrun");
            assert_eq!(
                flag(&runs[1], "--job.config_file"),
                Some("torchtitan_phase_b.toml")
            );
        }
        Format::Axolotl => {
            let y = &parsed["axolotl_phase_b.yaml"];
            assert_eq!(y["base_model"], a_dir);
            assert_eq!(y["sequence_len"], b.sequence);
            assert_eq!(y["micro_batch_size"], b.micro_batch);
            assert_eq!(y["gradient_accumulation_steps"], b.gradient_accumulation);
            assert_eq!(y["max_steps"], tb.steps);
            assert_eq!(y["warmup_steps"], 0);
            assert_eq!(y["lr_scheduler"], "linear");
            assert_eq!(y["output_dir"], b_dir);
        }
        Format::Unsloth => {
            let py = &parsed["unsloth_train_phase_b.py"];
            let load = python_call(py, "FastLanguageModel.from_pretrained");
            assert_eq!(load["model_name"], a_dir);
            assert_eq!(load["max_seq_length"], b.sequence);
            let sft = python_call(py, "SFTConfig");
            assert_eq!(sft["lr_scheduler_type"], "linear");
            assert_eq!(sft["warmup_steps"], 0);
            assert_eq!(sft["max_steps"], tb.steps);
            assert_eq!(sft["output_dir"], b_dir);
            // Phase A saves the model phase B loads; launch.sh runs both scripts in order.
            let a_text = &file(files, "unsloth_train.py").text;
            assert!(a_text.contains("\ntrainer.save_model()\n"), "{a_text}");
            let runs: Vec<String> = parsed["launch.sh"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    c.as_array()
                        .unwrap()
                        .last()
                        .unwrap()
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            assert_eq!(
                runs,
                ["pipefail", "unsloth_train.py", "unsloth_train_phase_b.py"]
            );
        }
        other => panic!("{other} exported a two-phase configuration"),
    }
}

#[test]
fn two_phase_exports_carry_phase_b() {
    let two = |goal: Value| {
        let mut g = goal;
        g["phases"] = json!(2);
        g
    };
    let mut checked = BTreeMap::<String, usize>::new();
    let mut refusals = Vec::new();
    for m in MACHINES {
        for goal in [
            json!({"task": "pretrain"}),
            json!({"task": "pretrain", "model": {"catalogue": "qwen2.5-0.5b"}}),
        ] {
            let p = machine_plan(m, two(goal));
            for c in &p.configurations {
                assert!(c.phase_b.is_some(), "{m} {}", c.mode);
                for info in formats().into_iter().filter(|i| !i.format.serving()) {
                    match export(&p, c.mode, info.format, &ExportOptions::default()) {
                        Ok(files) => {
                            check_phase_b(c, info.format, &files);
                            *checked.entry(info.format.to_string()).or_default() += 1;
                        }
                        Err(e) => refusals.push((info.format, e)),
                    }
                }
            }
        }
    }
    // Every engine that pretrains exports phase B somewhere among the fixtures.
    for f in [
        "torchrun",
        "training_arguments",
        "accelerate",
        "deepspeed",
        "torchtitan",
        "megatron",
        "unsloth",
        "axolotl",
        "slurm",
        "kubeflow",
    ] {
        assert!(checked.get(f).is_some_and(|&n| n > 0), "{f}: {checked:?}");
    }
    // MLX and PEFT refuse pretraining itself, whatever the phases.
    for (format, e) in &refusals {
        if matches!(format, Format::Mlx | Format::Peft) {
            assert!(matches!(e.field(), Some("task" | "device.class")), "{e}");
        }
    }
}

#[test]
fn phase_b_follows_the_output_dir_and_job_name_options() {
    let mut goal = json!({"task": "pretrain"});
    goal["phases"] = json!(2);
    let p = machine_plan("rtx4090-desktop", goal);
    let options = ExportOptions {
        output_dir: Some("/runs/a".into()),
        job_name: Some("tf".into()),
        ..ExportOptions::default()
    };
    let files = export(&p, Mode::Balanced, Format::Kubeflow, &options).unwrap();
    let a = parse(file(&files, "pytorchjob.yaml"));
    let b = parse(file(&files, "pytorchjob_phase_b.yaml"));
    assert_eq!(a["metadata"]["name"], "tf");
    assert_eq!(b["metadata"]["name"], "tf-phase-b");
    let words = |v: &Value| -> Vec<String> {
        v["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(flag(&words(&a), "--output_dir"), Some("/runs/a"));
    assert_eq!(flag(&words(&b), "--output_dir"), Some("/runs/a-phase-b"));
    assert_eq!(flag(&words(&b), "--model_name_or_path"), Some("/runs/a"));
}

#[test]
fn golden_two_phase_exports() {
    let two = |goal: Value| {
        let mut g = goal;
        g["phases"] = json!(2);
        g
    };
    let generated = machine_plan("rtx4090-desktop", two(json!({"task": "pretrain"})));
    insta::assert_snapshot!(
        "export_rtx4090_pretrain_two_phase",
        golden(&generated, Mode::Balanced)
    );
    let given = machine_plan(
        "rtx4090-desktop",
        two(json!({"task": "pretrain", "model": {"catalogue": "qwen2.5-0.5b"}})),
    );
    insta::assert_snapshot!(
        "export_rtx4090_qwen_pretrain_two_phase",
        golden(&given, Mode::Balanced)
    );
}

#[test]
fn zero3_phase_a_saves_weights_phase_b_can_load() {
    // Llama 3.1 8B on the 8 x H100 node, conservative: ZeRO-3 in both phases.
    let p = machine_plan(
        "h100x8-node",
        json!({"task": "pretrain", "model": {"catalogue": "llama-3.1-8b"}, "phases": 2}),
    );
    let c = p.configuration(Mode::Conservative).unwrap();
    assert_eq!(c.sharding.as_str(), "zero3");
    assert_eq!(c.phase_b.as_ref().unwrap().optimizer.as_str(), "adamw");
    let i = p
        .configurations
        .iter()
        .position(|c| c.mode == Mode::Conservative)
        .unwrap();
    // Phase B on 8-bit AdamW (a plan file may say so) while it offloads the optimizer, which
    // DeepSpeed runs with its CPU Adam only: refused, naming phase B's field.
    let mut eight = p.clone();
    let b = eight.configurations[i].phase_b.as_mut().unwrap();
    assert!(b.offload.optimizer);
    b.optimizer = serde_json::from_value(json!("adamw8bit")).unwrap();
    let e = export(&eight, c.mode, Format::Deepspeed, &ExportOptions::default()).unwrap_err();
    assert_eq!(e.field(), Some("phase_b.offload.optimizer"));
    // On AdamW both phases export.
    let c = &p.configurations[i];
    let files = export(&p, c.mode, Format::Deepspeed, &ExportOptions::default()).unwrap();
    check_phase_b(c, Format::Deepspeed, &files);
    let za = &parse(file(&files, "ds_config.json"))["zero_optimization"];
    assert_eq!(za["stage"], 3);
    assert_eq!(za["stage3_gather_16bit_weights_on_model_save"], true);
    // Phase B's weights are not loaded by another phase: its config leaves the default.
    let zb = &parse(file(&files, "ds_config_phase_b.json"))["zero_optimization"];
    assert_eq!(zb["stage"], 3);
    assert!(zb
        .get("stage3_gather_16bit_weights_on_model_save")
        .is_none());
}
