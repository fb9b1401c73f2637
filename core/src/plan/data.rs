//! The data path of a configuration: the dataset, its download or first pass, whether streaming
//! keeps up with training, where the tokenised shards are cached, and the temporary disk that
//! tokenisation and shuffling need.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use super::configuration::Run;
use super::device::{DeviceClass, CPU_OS_RESERVE_BYTES};
use super::formulas::{bytes_per_token, TEXT_BYTES_PER_TOKEN};
use super::planner::Planner;
use super::TimeEstimate;
use crate::estimate::Estimate;
use crate::hardware::{system_memory_bytes, NetworkKind, Storage, StorageKind};
use crate::warning::{Warning, WarningCode};
use crate::wire::wire_names;

/// Text the Hugging Face `tokenizers` library tokenises per second on a server's CPU, bytes: "less
/// than 20 seconds to tokenize a GB of text on a server's CPU" (huggingface/tokenizers README),
/// 1e9 / 20 = 50 MB/s. The rate of the whole CPU; one DataLoader worker gets a share of it.
pub const TOKENIZER_BYTES_PER_S: f64 = 50e6;

/// Bytes of shuffle index per training sequence: Megatron-LM's GPT dataset keeps a sample index
/// (two integers per sequence: document and offset) and a shuffle index (one per sequence), each
/// at most 8 bytes (`megatron/core/datasets/gpt_dataset.py`, int32 or int64 by size); the
/// index, not a second copy of the shards, is what a global shuffle writes.
pub const SHUFFLE_INDEX_BYTES_PER_SEQUENCE: u64 = 16;

/// Sequential read rate assumed for an NVMe drive without a measurement, MB/s: a planner choice
/// at half of a PCIe 3.0 x4 link (3.94 GB/s; PCI Express Base Specification 3.0), as the write
/// rate in `scale.rs`.
const NVME_READ_MBS: f64 = 2000.0;

/// Sequential read rate assumed for a SATA SSD, MB/s: under SATA revision 3.0's 600 MB/s (6 Gb/s
/// with 8b/10b encoding); Samsung 870 EVO data sheet: sequential read up to 560 MB/s.
const SATA_SSD_READ_MBS: f64 = 550.0;

/// Sequential read rate assumed for a hard disk, MB/s: the same planner choice as its write rate
/// in `scale.rs`, at the low end of 7200 rpm desktop disks' sustained rates.
const HDD_READ_MBS: f64 = 150.0;

/// The training data a goal names.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// A public dataset from trainfit's table, whose size and tokens are known. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<KnownDataset>,
    /// Tokens in the dataset (a part of a named one, when smaller). Default: the named dataset's;
    /// else `bytes` at 4 bytes of text per token; else the run's tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Size as stored where it lives, bytes. Default: the named dataset's size per token times
    /// `tokens`; else 4 bytes per token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Where it lives. Default: `hub` for a named dataset, else `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<DataLocation>,
}

/// Where a dataset lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum DataLocation {
    /// On a local disk of this machine.
    Local,
    /// On a network file system (NFS, SMB, Lustre), read over the network every pass.
    NetworkMount,
    /// In an object store (S3, GCS, Azure Blob), downloaded or streamed over the network.
    ObjectStore,
    /// On the Hugging Face Hub, downloaded or streamed over the network.
    Hub,
}

wire_names!(DataLocation, "goal.dataset.location", {
    Local => "local",
    NetworkMount => "network_mount",
    ObjectStore => "object_store",
    Hub => "hub",
});

impl DataLocation {
    /// Whether the data comes over the network.
    fn remote(self) -> bool {
        self != DataLocation::Local
    }

    /// Whether a first pass copies the data to local disk (a download), rather than reading it
    /// where it is.
    fn downloads(self) -> bool {
        matches!(self, DataLocation::ObjectStore | DataLocation::Hub)
    }
}

/// A public pretraining dataset of trainfit's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum KnownDataset {
    /// FineWeb (HuggingFaceFW/fineweb): English web text from 96 Common Crawl snapshots.
    Fineweb,
    /// FineWeb-Edu (HuggingFaceFW/fineweb-edu): FineWeb's educational part.
    FinewebEdu,
    /// SlimPajama-627B (cerebras/SlimPajama-627B): deduplicated RedPajama-1T.
    Slimpajama,
    /// The Pile (EleutherAI): 22 English sources.
    Pile,
    /// OpenWebText: an open recreation of GPT-2's WebText.
    Openwebtext,
}

wire_names!(KnownDataset, "goal.dataset.name", {
    Fineweb => "fineweb",
    FinewebEdu => "fineweb_edu",
    Slimpajama => "slimpajama",
    Pile => "pile",
    Openwebtext => "openwebtext",
});

/// One dataset's published size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetFacts {
    /// Size as published (compressed where the source says so), bytes.
    pub bytes: u64,
    /// Tokens.
    pub tokens: u64,
    /// Tokenizer the tokens are counted with, as the source names it.
    pub tokenizer: &'static str,
    /// Whether `bytes` is compressed (parquet, compressed JSON lines), so larger as text.
    pub compressed: bool,
}

impl DatasetFacts {
    /// Bytes as stored per token.
    pub fn bytes_per_token(&self) -> f64 {
        self.bytes as f64 / self.tokens as f64
    }

    /// Bytes of text per token, what a tokenizer reads: the stored size per token when the
    /// source gives the size of the text itself; `None` for a compressed size.
    pub fn text_bytes_per_token(&self) -> Option<f64> {
        (!self.compressed).then(|| self.bytes_per_token())
    }
}

impl KnownDataset {
    /// The dataset's published size and tokens.
    pub fn facts(self) -> DatasetFacts {
        match self {
            // "15-trillion tokens, 44TB disk space" (Penedo et al. 2024, "The FineWeb Datasets",
            // and the FineWeb blog post, huggingface.co/spaces/HuggingFaceFW/blogpost-fineweb-v1);
            // parquet files, GPT-2 tokenizer.
            KnownDataset::Fineweb => DatasetFacts {
                bytes: 44_000_000_000_000,
                tokens: 15_000_000_000_000,
                tokenizer: "gpt2",
                compressed: true,
            },
            // 1.3T tokens (Penedo et al. 2024, abstract; GPT-2 tokenizer). Its size on disk is not
            // published: FineWeb's 44 TB per 15T tokens, the same pipeline and parquet layout,
            // gives 1.3e12 x 44/15 = 3.81 TB.
            KnownDataset::FinewebEdu => DatasetFacts {
                bytes: 3_813_333_333_333,
                tokens: 1_300_000_000_000,
                tokenizer: "gpt2",
                compressed: true,
            },
            // "59166 jsonl files and is ~895GB compressed", 627B tokens (cerebras/SlimPajama-627B
            // dataset card; Soboleva et al. 2023, the SlimPajama blog post). The card does not
            // name the tokenizer it counts with.
            KnownDataset::Slimpajama => DatasetFacts {
                bytes: 895_000_000_000,
                tokens: 627_000_000_000,
                tokenizer: "not named by the source",
                compressed: true,
            },
            // 825.18 GiB of text (Gao et al. 2020, "The Pile: An 800GB Dataset of Diverse Text
            // for Language Modeling", Table 1); Pythia's 299,892,736,000 tokens are "just under
            // 1 epoch on the Pile" (EleutherAI/pythia README; Biderman et al. 2023).
            KnownDataset::Pile => DatasetFacts {
                bytes: 886_030_278_328,
                tokens: 299_892_736_000,
                tokenizer: "gpt-neox",
                // Table 1's sizes are of the raw text ("Raw Size").
                compressed: false,
            },
            // 38 GB of text (Gokaslan and Cohen 2019, OpenWebText corpus); nanoGPT's prepare.py
            // gives 9,035,582,198 training and 4,434,897 validation GPT-2 tokens
            // (karpathy/nanoGPT, data/openwebtext/readme.md).
            KnownDataset::Openwebtext => DatasetFacts {
                bytes: 38_000_000_000,
                tokens: 9_040_017_095,
                tokenizer: "gpt2",
                compressed: false,
            },
        }
    }
}

/// Where the rate of a data source comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// `trainfit net test`'s measured receive rate.
    MeasuredNetwork,
    /// The fastest active network interface's link speed: an upper bound.
    LinkSpeed,
    /// `trainfit probe --benchmark`'s measured storage read rate.
    MeasuredStorage,
    /// The rate assumed for the disk's kind (NVMe, SATA SSD, HDD).
    AssumedStorage,
    /// The measured or catalogue memory bandwidth.
    Memory,
}

wire_names!(RateSource, "data rate source", {
    MeasuredNetwork => "measured_network",
    LinkSpeed => "link_speed",
    MeasuredStorage => "measured_storage",
    AssumedStorage => "assumed_storage",
    Memory => "memory",
});

/// Where the tokenised shards are best kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum CacheTier {
    /// In RAM: the page cache holds every shard after the first pass.
    Ram,
    /// On a local NVMe drive.
    Nvme,
    /// On a local SATA SSD.
    Ssd,
    /// On a local hard disk.
    Hdd,
    /// Nowhere: no local file system has room (or none is known).
    None,
}

wire_names!(CacheTier, "cache tier", {
    Ram => "ram",
    Nvme => "nvme",
    Ssd => "ssd",
    Hdd => "hdd",
    None => "none",
});

/// The data path of a configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct DataPlan {
    /// The dataset of the table, when the goal names one.
    pub dataset: Option<KnownDataset>,
    /// Where it lives.
    pub location: DataLocation,
    /// Tokens in the dataset.
    pub dataset_tokens: u64,
    /// Passes over the dataset the run makes: its tokens over the dataset's.
    pub epochs: f64,
    /// Bytes as stored per token (the table's size over its tokens, the goal's, or 4 bytes of
    /// text per token).
    pub stored_bytes_per_token: f64,
    /// Bytes the run takes from where the data lives: the dataset, or the part one run reads when
    /// it reads less than one pass.
    pub fetch_bytes: u64,
    /// Rate at which the data is read where it lives, MB/s; `null` when unknown.
    pub source_mbs: Option<f64>,
    /// Where that rate comes from.
    pub source_rate: Option<RateSource>,
    /// Seconds to download (hub, object store) or read once (local disk, network mount) the
    /// fetched bytes at that rate.
    pub first_pass_s: Option<f64>,
    /// Seconds to tokenise the fetched text once at the tokenizer's rate (50 MB/s).
    pub tokenise_s: f64,
    /// Tokens per second that streaming from the source delivers: its rate, or tokenising on the
    /// fly, whichever is slower.
    pub stream_tokens_per_s: Option<f64>,
    /// Whether streaming keeps up with the configuration's tokens per second.
    pub streaming_keeps_up: Option<bool>,
    /// Tokenised shards of the fetched tokens, bytes (2 or 4 bytes per token by vocabulary).
    pub tokenised_bytes: u64,
    /// RAM the page cache may use: system memory (within the cgroup limit) less the OS reserve
    /// and the run's own host memory, bytes.
    pub page_cache_bytes: Option<u64>,
    /// Where the tokenised shards are best cached: RAM when they fit the page cache, else the
    /// fastest local disk with room.
    pub cache: CacheTier,
    /// Mount point of the cache, for a disk.
    pub cache_mount: Option<String>,
    /// Read rate of the cache, MB/s.
    pub cache_read_mbs: Option<f64>,
    /// Where that rate comes from.
    pub cache_rate: Option<RateSource>,
    /// Whether reading the cached shards keeps up with training.
    pub cache_keeps_up: Option<bool>,
    /// Temporary disk for tokenisation and shuffling: the download (hub, object store), the
    /// tokenised shards and the shuffle index, bytes.
    pub temporary_bytes: u64,
    /// Free space on the largest local file system, bytes.
    pub disk_free_bytes: Option<u64>,
}

/// Assumed sequential read rate of a disk kind, MB/s.
fn assumed_read_mbs(kind: StorageKind) -> Option<f64> {
    match kind {
        StorageKind::Nvme => Some(NVME_READ_MBS),
        StorageKind::Ssd => Some(SATA_SSD_READ_MBS),
        StorageKind::Hdd => Some(HDD_READ_MBS),
        _ => None,
    }
}

/// Whether a file system can hold a cache: local, writable, not RAM-backed.
fn local_disk(s: &Storage) -> bool {
    s.read_only != Some(true)
        && s.mount_point != "/dev/shm"
        && !matches!(s.kind, Some(StorageKind::Ram | StorageKind::Network))
}

impl Planner<'_> {
    /// Network rate to the data, MB/s, and where it comes from: the measured receive rate of
    /// `trainfit net test`, else the fastest active interface's link speed.
    fn network_mbs(&self) -> Option<(f64, RateSource)> {
        let p = self.profile;
        let measured = p
            .benchmarks
            .network
            .iter()
            .filter_map(|n| n.receive_gbps.map(|v| v.value))
            .reduce(f64::max);
        if let Some(gbps) = measured {
            return Some((gbps * 125.0, RateSource::MeasuredNetwork));
        }
        p.network
            .iter()
            .filter(|n| n.up != Some(false))
            .filter(|n| !matches!(n.kind, Some(NetworkKind::Loopback | NetworkKind::Virtual)))
            .filter_map(|n| n.speed_mbps.map(|v| v.value))
            .max()
            // Megabits to megabytes.
            .map(|mbps| (mbps as f64 / 8.0, RateSource::LinkSpeed))
    }

    /// Read rate of a local file system, MB/s: a storage benchmark run under its mount point
    /// (the longest match), else the assumed rate of its kind.
    fn disk_read_mbs(&self, s: &Storage) -> Option<(f64, RateSource)> {
        let measured = self
            .profile
            .benchmarks
            .storage
            .iter()
            .filter(|b| b.path.starts_with(s.mount_point.as_str()))
            .filter_map(|b| b.read_mbs.map(|v| v.value))
            .reduce(f64::max);
        match measured {
            Some(m) => Some((m, RateSource::MeasuredStorage)),
            None => s
                .kind
                .and_then(assumed_read_mbs)
                .map(|a| (a, RateSource::AssumedStorage)),
        }
    }

    /// The largest writable local file system.
    fn largest_disk(&self) -> Option<&Storage> {
        self.profile
            .storage
            .iter()
            .filter(|s| local_disk(s))
            .filter(|s| s.available_bytes.is_some())
            .max_by_key(|s| s.available_bytes.map_or(0, |v| v.value))
    }

    /// The data path of a run with its final `memory` and `time`; warns when the data path, not
    /// the device, sets the pace, and when tokenisation and shuffling need more disk than is free.
    pub fn data(
        &self,
        run: &Run<'_>,
        memory: &Estimate,
        time: &TimeEstimate,
        warnings: &mut Vec<Warning>,
    ) -> DataPlan {
        let given = self.goal.dataset.clone().unwrap_or_default();
        let facts = given.name.map(KnownDataset::facts);
        let run_tokens = time.tokens;
        let location = given.location.unwrap_or(if given.name.is_some() {
            DataLocation::Hub
        } else {
            DataLocation::Local
        });
        let stored_bpt = match (facts, given.tokens, given.bytes) {
            (_, Some(t), Some(b)) => b as f64 / t as f64,
            (Some(f), _, _) => f.bytes_per_token(),
            _ => TEXT_BYTES_PER_TOKEN,
        };
        let dataset_tokens = given
            .tokens
            .or(facts.map(|f| f.tokens))
            .or(given.bytes.map(|b| (b as f64 / stored_bpt) as u64))
            .unwrap_or(run_tokens)
            .max(1);
        let epochs = run_tokens as f64 / dataset_tokens as f64;
        let fetch_tokens = run_tokens.min(dataset_tokens);
        let fetch_bytes = (fetch_tokens as f64 * stored_bpt) as u64;

        let disk = self.largest_disk();
        let source = if location.remote() {
            self.network_mbs()
        } else {
            disk.and_then(|d| self.disk_read_mbs(d))
        };
        let first_pass_s = source.map(|(mbs, _)| fetch_bytes as f64 / (mbs * 1e6));
        // The tokenizer reads text: the table's own text per token where its size is of the
        // text, else English's 4 bytes per GPT-style token.
        let text_bpt = facts
            .and_then(|f| f.text_bytes_per_token())
            .unwrap_or(TEXT_BYTES_PER_TOKEN);
        let tokenise_s = fetch_tokens as f64 * text_bpt / TOKENIZER_BYTES_PER_S;
        let tokenizer_tokens_per_s = TOKENIZER_BYTES_PER_S / text_bpt;
        let source_tokens_per_s = source.map(|(mbs, _)| mbs * 1e6 / stored_bpt);
        let stream_tokens_per_s = source_tokens_per_s.map(|s| s.min(tokenizer_tokens_per_s));
        let train = time.tokens_per_s;
        let streaming_keeps_up = stream_tokens_per_s.zip(train).map(|(s, t)| s >= t);

        let token_bytes = bytes_per_token(run.spec.vocab);
        let tokenised_bytes = fetch_tokens.saturating_mul(token_bytes);
        // The run's own host memory: all of it on a CPU or unified memory, else what the
        // estimate keeps on the host (offloaded states, pinned buffers).
        let d = self.dev;
        let host = if d.class == DeviceClass::Cpu || d.unified_memory {
            memory.peak_bytes
        } else {
            memory.host_bytes
        };
        let page_cache_bytes = system_memory_bytes(self.profile).map(|m| {
            m.value
                .saturating_sub(CPU_OS_RESERVE_BYTES)
                .saturating_sub(host)
        });
        let (cache, cache_mount, cache_source) = self.cache_for(tokenised_bytes, page_cache_bytes);
        let cache_keeps_up = cache_source
            .zip(train)
            .map(|((mbs, _), t)| mbs * 1e6 / token_bytes as f64 >= t);

        let sequences = fetch_tokens.div_ceil(run.knobs.sequence.max(1));
        let download = if location.downloads() { fetch_bytes } else { 0 };
        let temporary_bytes = download
            .saturating_add(tokenised_bytes)
            .saturating_add(sequences.saturating_mul(SHUFFLE_INDEX_BYTES_PER_SEQUENCE));
        let disk_free_bytes = disk.and_then(|s| s.available_bytes.map(|v| v.value));

        if let (Some(false), Some(stream), Some(t), Some((mbs, _))) =
            (streaming_keeps_up, stream_tokens_per_s, train, source)
        {
            // One warning per cause: time's data_loading_bottleneck (the measured storage reads
            // slower than training takes tokenised data) is this warning's with less in it,
            // which names the source, the tokenizer, and whether the cache the shards are read
            // from keeps up.
            warnings.retain(|w| w.code != WarningCode::DataLoadingBottleneck);
            warnings.push(Warning::data_path_bound(
                location.as_str(),
                stream,
                t,
                mbs,
                stored_bpt,
                tokenizer_tokens_per_s,
                tokenise_s,
                cache.as_str(),
                cache_keeps_up,
            ));
        }
        if let Some(free) = disk_free_bytes {
            if temporary_bytes > free {
                warnings.push(Warning::temporary_disk(
                    download,
                    tokenised_bytes,
                    temporary_bytes,
                    free,
                ));
            }
        }
        DataPlan {
            dataset: given.name,
            location,
            dataset_tokens,
            epochs,
            stored_bytes_per_token: stored_bpt,
            fetch_bytes,
            source_mbs: source.map(|(m, _)| m),
            source_rate: source.map(|(_, s)| s),
            first_pass_s,
            tokenise_s,
            stream_tokens_per_s,
            streaming_keeps_up,
            tokenised_bytes,
            page_cache_bytes,
            cache,
            cache_mount,
            cache_read_mbs: cache_source.map(|(m, _)| m),
            cache_rate: cache_source.map(|(_, s)| s),
            cache_keeps_up,
            temporary_bytes,
            disk_free_bytes,
        }
    }

    /// Where `bytes` of shards are best cached: RAM when they fit `page_cache`, else the fastest
    /// kind of local disk with room (NVMe, SATA SSD, HDD), with its mount and read rate.
    fn cache_for(
        &self,
        bytes: u64,
        page_cache: Option<u64>,
    ) -> (CacheTier, Option<String>, Option<(f64, RateSource)>) {
        if page_cache.is_some_and(|c| bytes <= c) {
            let p = self.profile;
            let gbs = p
                .benchmarks
                .memory_bandwidth_gbs
                .or(p.memory.bandwidth_gbs)
                .map(|v| (v.value * 1000.0, RateSource::Memory));
            return (CacheTier::Ram, None, gbs);
        }
        for (kind, tier) in [
            (StorageKind::Nvme, CacheTier::Nvme),
            (StorageKind::Ssd, CacheTier::Ssd),
            (StorageKind::Hdd, CacheTier::Hdd),
        ] {
            let best = self
                .profile
                .storage
                .iter()
                .filter(|s| local_disk(s) && s.kind == Some(kind))
                .filter(|s| s.available_bytes.is_some_and(|v| v.value >= bytes))
                .max_by_key(|s| s.available_bytes.map_or(0, |v| v.value));
            if let Some(s) = best {
                return (tier, Some(s.mount_point.clone()), self.disk_read_mbs(s));
            }
        }
        (CacheTier::None, None, None)
    }
}
