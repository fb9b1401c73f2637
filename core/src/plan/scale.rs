//! Scale of a configuration: tokens per parameter, the dataset, checkpoints and their interval,
//! and the disk the run needs against the disk the machine has.

use alloc::vec::Vec;

use super::configuration::Run;
use super::formulas::{
    bytes_per_token, compute_optimal_parameters, mtbf_s, young_daly_interval_s,
    CHINCHILLA_TOKENS_PER_PARAMETER, TEXT_BYTES_PER_TOKEN,
};
use super::planner::Planner;
use super::{Scale, TimeEstimate};
use crate::estimate::Estimate;
use crate::request::{Sharding, Task};
use crate::warning::Warning;

/// Sequential write rate assumed for an NVMe drive without a measurement, MB/s: a planner
/// choice at half of a PCIe 3.0 x4 link (8 GT/s per lane, 128b/130b encoding: 3.94 GB/s; PCI
/// Express Base Specification 3.0), since a consumer drive sustains well under its link once its
/// write cache fills.
const NVME_WRITE_MBS: f64 = 2000.0;

/// Sequential write rate assumed for a SATA SSD, MB/s: SATA revision 3.0 carries 600 MB/s (6 Gb/s
/// with 8b/10b encoding), and SATA SSDs write a little under it (Samsung 870 EVO data sheet:
/// sequential write up to 530 MB/s).
const SATA_SSD_WRITE_MBS: f64 = 500.0;

/// Sequential write rate assumed for a hard disk, MB/s: a planner choice at the low end of the
/// sustained rates 7200 rpm desktop disks' data sheets give, since those are measured on the
/// outer tracks and the rate falls towards the inner ones.
const HDD_WRITE_MBS: f64 = 150.0;

/// Checkpoints the disk holds at once: the last complete one and the one being written, so a
/// crash during a save loses nothing (a planner choice).
const CHECKPOINTS_ON_DISK: u64 = 2;

impl Planner<'_> {
    /// Fastest measured storage read rate, MB/s.
    pub fn storage_read_mbs(&self) -> Option<f64> {
        self.profile
            .benchmarks
            .storage
            .iter()
            .filter_map(|s| s.read_mbs.map(|v| v.value))
            .reduce(f64::max)
    }

    /// Fastest measured storage write rate, MB/s; without a measurement, the assumed rate of the
    /// root disk's kind.
    fn storage_write_mbs(&self) -> Option<f64> {
        let measured = self
            .profile
            .benchmarks
            .storage
            .iter()
            .filter_map(|s| s.write_mbs.map(|v| v.value))
            .reduce(f64::max);
        measured.or_else(|| {
            let root = self
                .profile
                .storage
                .iter()
                .find(|s| s.mount_point == "/" || s.mount_point == "C:\\")?;
            Some(match root.kind.as_deref()? {
                "nvme" => NVME_WRITE_MBS,
                "ssd" => SATA_SSD_WRITE_MBS,
                "hdd" => HDD_WRITE_MBS,
                _ => return None,
            })
        })
    }

    /// Free bytes on the largest writable local file system (not RAM-backed, not network).
    fn disk_free(&self) -> Option<u64> {
        self.profile
            .storage
            .iter()
            .filter(|s| s.read_only != Some(true) && s.mount_point != "/dev/shm")
            .filter(|s| !matches!(s.kind.as_deref(), Some("ram" | "network")))
            .filter_map(|s| s.available_bytes.map(|v| v.value))
            .max()
    }

    /// The scale of a run with its final `memory` and `time`; warns when the dataset and two
    /// checkpoints do not fit on the disk.
    pub fn scale(
        &self,
        run: &Run<'_>,
        memory: &Estimate,
        time: &TimeEstimate,
        warnings: &mut Vec<Warning>,
    ) -> Scale {
        let s = run.mode.settings();
        let d = self.dev;
        let params = run.params;
        let tokens = time.tokens;
        let ms = memory.model_states;
        let per_device_ckpt = if matches!(run.task, Task::Lora | Task::Qlora) {
            ms.adapter_bytes + ms.optimizer_states_bytes
        } else {
            ms.weights_bytes + ms.master_weights_bytes + ms.optimizer_states_bytes
        };
        let checkpoint_bytes = if run.knobs.sharding == Sharding::None {
            per_device_ckpt
        } else {
            per_device_ckpt * d.count
        };
        let write_mbs = self.storage_write_mbs();
        let checkpoint_write_s = write_mbs.map(|w| checkpoint_bytes as f64 / (w * 1e6));
        // Young/Daly, and at least the mode's number of checkpoints per run.
        let per_run = s.checkpoints_per_run as f64;
        let save_interval_s = match (checkpoint_write_s, time.total_s) {
            (Some(delta), Some(t)) => {
                Some(young_daly_interval_s(delta, mtbf_s(d.count)).min(t / per_run))
            }
            (None, Some(t)) => Some(t / per_run),
            _ => None,
        };
        let dataset_bytes = tokens * bytes_per_token(run.spec.vocab);
        let disk_needed = dataset_bytes + CHECKPOINTS_ON_DISK * checkpoint_bytes;
        let disk_free = self.disk_free();
        if let Some(free) = disk_free {
            if disk_needed > free && !self.serving() {
                warnings.push(Warning::disk_space(
                    dataset_bytes,
                    checkpoint_bytes,
                    disk_needed,
                    free,
                ));
            }
        }
        Scale {
            tokens_per_parameter: if params.trainable > 0 {
                tokens as f64 / params.total as f64
            } else {
                0.0
            },
            chinchilla_tokens: params.total.saturating_mul(CHINCHILLA_TOKENS_PER_PARAMETER),
            // The size this hardware trains compute-optimally within the time budget:
            // C = sustained FLOP/s × budget.
            compute_optimal_parameters: self.sustained_flops(run.mode).map_or(0, |f| {
                compute_optimal_parameters(f * time.budget_s, s.tokens_per_parameter) as u64
            }),
            dataset_bytes,
            text_bytes: (tokens as f64 * TEXT_BYTES_PER_TOKEN) as u64,
            checkpoint_bytes,
            checkpoint_write_s,
            save_interval_s,
            disk_needed_bytes: disk_needed,
            disk_free_bytes: disk_free,
        }
    }
}
