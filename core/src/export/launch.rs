//! Launchers: torchrun, SLURM and Kubeflow's `PyTorchJob`.
//!
//! Each runs one program on every rank: on a layout with only a data axis, the Hugging Face
//! training script with its `TrainingArguments` flags; with tensor, pipeline or context
//! parallelism, torchtitan with its TOML (the only one of the exported engines that expresses
//! every axis of the mesh planner's layouts with FSDP).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::text::{Command, Map, Value};
use super::{
    parallel, provenance, script_file, train, yaml_file, ExportFile, Job, Part, IMAGE_PLACEHOLDER,
};
use crate::error::Result;
use crate::plan::DeviceClass;

/// The program after `torchrun`'s own flags, and the files it reads.
fn program(job: &Job<'_>) -> Result<(Command, Vec<ExportFile>)> {
    if job.model_parallel() {
        let toml = parallel::torchtitan_toml(job)?;
        // torchtitan's entry point (torchtitan/train.py; run_train.sh runs it with torchrun).
        Ok((
            Command::new(&["-m", "torchtitan.train"])
                .arg("--job.config_file", job.file("torchtitan.toml")),
            vec![toml],
        ))
    } else {
        Ok((train::hf_program(job)?, train::hf_companions(job)?))
    }
}

/// Refuses devices a CUDA-style launcher cannot start one process each on.
fn torch_devices(job: &Job<'_>) -> Result<()> {
    if job.class() == DeviceClass::AppleGpu && job.world() > 1 {
        return Err(job.refuse(
            "devices",
            "PyTorch's MPS backend has no collective for several Apple GPUs; export mlx",
        ));
    }
    Ok(())
}

/// `torchrun.sh` (torch/distributed/run.py; pytorch.org/docs/stable/elastic/run.html).
pub(super) fn torchrun(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    torch_devices(job)?;
    let (prog, files) = program(job)?;
    let mut c = Command::new(&["torchrun"]);
    if job.nodes > 1 {
        c = c
            .arg("--nnodes", job.nodes)
            .arg("--nproc_per_node", job.per_node)
            .arg_shell(
                "--node_rank",
                "\"${NODE_RANK:?set NODE_RANK to the rank of this machine}\"",
            )
            .arg("--rdzv_backend", "c10d")
            .arg(
                "--rdzv_endpoint",
                format!("{}:{}", job.master_addr(), job.master_port()),
            )
            .arg("--rdzv_id", job.job_name());
    } else {
        c = c.word("--standalone").arg("--nproc_per_node", job.per_node);
    }
    c = c.extend(&prog);
    let mut out = vec![script_file(
        "torchrun.sh",
        &[
            &provenance(job),
            "torchrun: pytorch.org/docs/stable/elastic/run.html; run it on every machine with NODE_RANK set.",
        ],
        &c.script(),
    )];
    out.extend(files);
    Ok(out)
}

/// `train.sbatch`: one task per node, each running torchrun for the node's devices, with the
/// rendezvous on the job's first node (SLURM sbatch(1), srun(1); the c10d rendezvous of
/// pytorch.org/docs/stable/elastic/run.html, "multi-node").
pub(super) fn slurm(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    torch_devices(job)?;
    let (prog, files) = program(job)?;
    let mut header = format!(
        "#SBATCH --job-name={}\n#SBATCH --nodes={}\n#SBATCH --ntasks-per-node=1\n",
        super::text::shell_word(&job.job_name()),
        job.nodes
    );
    if matches!(
        job.class(),
        DeviceClass::NvidiaGpu | DeviceClass::AmdGpu | DeviceClass::IntelGpu
    ) {
        header.push_str(&format!("#SBATCH --gpus-per-node={}\n", job.per_node));
    }
    header.push_str("#SBATCH --exclusive\n");
    let port = job.master_port();
    let c = Command::new(&["srun", "torchrun"])
        .arg_shell("--nnodes", "\"$SLURM_NNODES\"")
        .arg("--nproc_per_node", job.per_node)
        .arg_shell("--rdzv_id", "\"$SLURM_JOB_ID\"")
        .arg("--rdzv_backend", "c10d")
        .arg_shell("--rdzv_endpoint", "\"$MASTER_ADDR:$MASTER_PORT\"")
        .extend(&prog);
    let body = match job.part {
        // Appended to phase A's script, which set the rendezvous.
        Part::B { .. } => c.script(),
        _ => format!(
            "# The first node of the allocation hosts the rendezvous.\nMASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\nMASTER_PORT={port}\nexport MASTER_ADDR MASTER_PORT\n\n{}",
            c.script()
        ),
    };
    // `#SBATCH` lines must come before the first command, so they go right after the shebang.
    let mut file = script_file("train.sbatch", &[&provenance(job)], &body);
    file.text = file.text.replacen(
        "#!/usr/bin/env bash\n",
        &format!("#!/usr/bin/env bash\n{header}"),
        1,
    );
    let mut out = vec![file];
    out.extend(files);
    Ok(out)
}

/// `pytorchjob.yaml`: a Kubeflow Training Operator `PyTorchJob` (kubeflow.org/v1;
/// www.kubeflow.org/docs/components/trainer/legacy-v1/user-guides/pytorch/). The operator sets
/// `PET_NNODES`, `PET_NPROC_PER_NODE`, `PET_NODE_RANK`, `PET_MASTER_ADDR` and `PET_MASTER_PORT`,
/// which torchrun reads as its flags' defaults (torch/distributed/argparse_util.py, `env`).
pub(super) fn kubeflow(job: &Job<'_>) -> Result<Vec<ExportFile>> {
    if job.class() == DeviceClass::AppleGpu {
        return Err(job.refuse(
            "device.class",
            "Kubernetes device plugins schedule NVIDIA, AMD and Intel GPUs, not Apple GPUs; export mlx",
        ));
    }
    let (prog, files) = program(job)?;
    let command: Vec<String> = Command::new(&["torchrun"]).extend(&prog).argv();
    let image = job
        .options
        .image
        .clone()
        .unwrap_or_else(|| String::from(IMAGE_PLACEHOLDER));
    // Extended resources of the vendors' device plugins.
    let gpu_resource = match job.class() {
        DeviceClass::NvidiaGpu => Some("nvidia.com/gpu"),
        DeviceClass::AmdGpu => Some("amd.com/gpu"),
        DeviceClass::IntelGpu => Some("gpu.intel.com/i915"),
        DeviceClass::AppleGpu | DeviceClass::Cpu => None,
    };
    let replica = |count: u64| -> Value {
        let mut container = Map::new()
            .put("name", "pytorch")
            .put("image", image.clone())
            .put("command", command.clone());
        if let Some(r) = gpu_resource {
            container = container.put(
                "resources",
                Map::new().put("limits", Map::new().put(r, job.per_node)),
            );
        }
        Map::new()
            .put("replicas", count)
            .put("restartPolicy", "OnFailure")
            .put(
                "template",
                Map::new().put(
                    "spec",
                    Map::new().put("containers", vec![Value::from(container)]),
                ),
            )
            .into()
    };
    let mut specs = Map::new().put("Master", replica(1));
    if job.nodes > 1 {
        specs = specs.put("Worker", replica(job.nodes - 1));
    }
    let doc = Map::new()
        .put("apiVersion", "kubeflow.org/v1")
        .put("kind", "PyTorchJob")
        .put("metadata", Map::new().put("name", job.job_name()))
        .put(
            "spec",
            Map::new()
                // `nprocPerNode` is a string in the v1 API (PyTorchJobSpec.NprocPerNode *string).
                .put("nprocPerNode", format!("{}", job.per_node))
                // The operator's defaults (the Python client's model requires the field).
                .put("runPolicy", Map::new())
                .put("pytorchReplicaSpecs", specs),
        );
    let mut out = vec![yaml_file(
        &job.file("pytorchjob.yaml"),
        &format!("# {}\n{}", provenance(job), kubeflow_run(job)),
        &doc.into(),
    )];
    if !files.is_empty() {
        // The program's config files must be in the image (or a mounted volume) at the
        // working directory; they are exported beside the job.
        out.extend(files);
    }
    Ok(out)
}

/// The header lines that say how to run a `PyTorchJob`: one job per phase, since a job's
/// containers run one command and restart it on failure (`restartPolicy: OnFailure`), which
/// would rerun phase A when phase B fails.
fn kubeflow_run(job: &Job<'_>) -> String {
    let a_name = super::text::shell_word(&job.job_name());
    match job.part {
        Part::Whole => String::from("# kubectl apply -f pytorchjob.yaml\n"),
        Part::A => format!(
            "# Phase A of two: kubectl apply -f pytorchjob.yaml; when it has succeeded\n# (kubectl wait --for=condition=Succeeded --timeout=-1s pytorchjob/{a_name}),\n# kubectl apply -f pytorchjob_phase_b.yaml. Phase B reads phase A's output directory: mount the same volume.\n"
        ),
        Part::B { .. } => String::from(
            "# Phase B: kubectl apply -f pytorchjob_phase_b.yaml after phase A's job (pytorchjob.yaml) has succeeded.\n",
        ),
    }
}
