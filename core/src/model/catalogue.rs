//! The built-in catalogue of popular models: their Hugging Face `config.json` files as data
//! (`core/data/models/`, sources and published parameter counts in `SOURCES.md` there).

use alloc::string::String;
use alloc::vec::Vec;

use super::ModelSpec;
use crate::error::{Error, ErrorKind, Result};

/// One catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Lookup key, lowercase, e.g. `llama-3-8b`.
    pub id: &'static str,
    /// Hugging Face repository, e.g. `meta-llama/Meta-Llama-3-8B`.
    pub repo: &'static str,
    /// The `config.json` text.
    pub config: &'static str,
}

const fn entry(id: &'static str, repo: &'static str, config: &'static str) -> CatalogueEntry {
    CatalogueEntry { id, repo, config }
}

static CATALOGUE: &[CatalogueEntry] = &[
    entry(
        "gpt2",
        "openai-community/gpt2",
        include_str!("../../data/models/gpt2.json"),
    ),
    entry(
        "gpt2-medium",
        "openai-community/gpt2-medium",
        include_str!("../../data/models/gpt2-medium.json"),
    ),
    entry(
        "gpt2-large",
        "openai-community/gpt2-large",
        include_str!("../../data/models/gpt2-large.json"),
    ),
    entry(
        "gpt2-xl",
        "openai-community/gpt2-xl",
        include_str!("../../data/models/gpt2-xl.json"),
    ),
    entry(
        "pythia-70m",
        "EleutherAI/pythia-70m",
        include_str!("../../data/models/pythia-70m.json"),
    ),
    entry(
        "pythia-160m",
        "EleutherAI/pythia-160m",
        include_str!("../../data/models/pythia-160m.json"),
    ),
    entry(
        "pythia-410m",
        "EleutherAI/pythia-410m",
        include_str!("../../data/models/pythia-410m.json"),
    ),
    entry(
        "pythia-1b",
        "EleutherAI/pythia-1b",
        include_str!("../../data/models/pythia-1b.json"),
    ),
    entry(
        "pythia-1.4b",
        "EleutherAI/pythia-1.4b",
        include_str!("../../data/models/pythia-1.4b.json"),
    ),
    entry(
        "pythia-2.8b",
        "EleutherAI/pythia-2.8b",
        include_str!("../../data/models/pythia-2.8b.json"),
    ),
    entry(
        "pythia-6.9b",
        "EleutherAI/pythia-6.9b",
        include_str!("../../data/models/pythia-6.9b.json"),
    ),
    entry(
        "pythia-12b",
        "EleutherAI/pythia-12b",
        include_str!("../../data/models/pythia-12b.json"),
    ),
    entry(
        "opt-125m",
        "facebook/opt-125m",
        include_str!("../../data/models/opt-125m.json"),
    ),
    entry(
        "opt-350m",
        "facebook/opt-350m",
        include_str!("../../data/models/opt-350m.json"),
    ),
    entry(
        "opt-1.3b",
        "facebook/opt-1.3b",
        include_str!("../../data/models/opt-1.3b.json"),
    ),
    entry(
        "opt-6.7b",
        "facebook/opt-6.7b",
        include_str!("../../data/models/opt-6.7b.json"),
    ),
    entry(
        "llama-2-7b",
        "meta-llama/Llama-2-7b-hf",
        include_str!("../../data/models/llama-2-7b.json"),
    ),
    entry(
        "llama-2-13b",
        "meta-llama/Llama-2-13b-hf",
        include_str!("../../data/models/llama-2-13b.json"),
    ),
    entry(
        "llama-2-70b",
        "meta-llama/Llama-2-70b-hf",
        include_str!("../../data/models/llama-2-70b.json"),
    ),
    entry(
        "llama-3-8b",
        "meta-llama/Meta-Llama-3-8B",
        include_str!("../../data/models/llama-3-8b.json"),
    ),
    entry(
        "llama-3-70b",
        "meta-llama/Meta-Llama-3-70B",
        include_str!("../../data/models/llama-3-70b.json"),
    ),
    entry(
        "llama-3.1-8b",
        "meta-llama/Llama-3.1-8B",
        include_str!("../../data/models/llama-3.1-8b.json"),
    ),
    entry(
        "llama-3.1-70b",
        "meta-llama/Llama-3.1-70B",
        include_str!("../../data/models/llama-3.1-70b.json"),
    ),
    entry(
        "llama-3.1-405b",
        "meta-llama/Llama-3.1-405B",
        include_str!("../../data/models/llama-3.1-405b.json"),
    ),
    entry(
        "llama-3.2-1b",
        "meta-llama/Llama-3.2-1B",
        include_str!("../../data/models/llama-3.2-1b.json"),
    ),
    entry(
        "llama-3.2-3b",
        "meta-llama/Llama-3.2-3B",
        include_str!("../../data/models/llama-3.2-3b.json"),
    ),
    entry(
        "tinyllama-1.1b",
        "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
        include_str!("../../data/models/tinyllama-1.1b.json"),
    ),
    entry(
        "mistral-7b-v0.1",
        "mistralai/Mistral-7B-v0.1",
        include_str!("../../data/models/mistral-7b-v0.1.json"),
    ),
    entry(
        "mistral-7b-v0.3",
        "mistralai/Mistral-7B-v0.3",
        include_str!("../../data/models/mistral-7b-v0.3.json"),
    ),
    entry(
        "mixtral-8x7b",
        "mistralai/Mixtral-8x7B-v0.1",
        include_str!("../../data/models/mixtral-8x7b.json"),
    ),
    entry(
        "qwen2.5-0.5b",
        "Qwen/Qwen2.5-0.5B",
        include_str!("../../data/models/qwen2.5-0.5b.json"),
    ),
    entry(
        "qwen2.5-1.5b",
        "Qwen/Qwen2.5-1.5B",
        include_str!("../../data/models/qwen2.5-1.5b.json"),
    ),
    entry(
        "qwen2.5-3b",
        "Qwen/Qwen2.5-3B",
        include_str!("../../data/models/qwen2.5-3b.json"),
    ),
    entry(
        "qwen2.5-7b",
        "Qwen/Qwen2.5-7B",
        include_str!("../../data/models/qwen2.5-7b.json"),
    ),
    entry(
        "qwen2.5-14b",
        "Qwen/Qwen2.5-14B",
        include_str!("../../data/models/qwen2.5-14b.json"),
    ),
    entry(
        "qwen2.5-32b",
        "Qwen/Qwen2.5-32B",
        include_str!("../../data/models/qwen2.5-32b.json"),
    ),
    entry(
        "qwen2.5-72b",
        "Qwen/Qwen2.5-72B",
        include_str!("../../data/models/qwen2.5-72b.json"),
    ),
    entry(
        "qwen3-0.6b",
        "Qwen/Qwen3-0.6B",
        include_str!("../../data/models/qwen3-0.6b.json"),
    ),
    entry(
        "qwen3-1.7b",
        "Qwen/Qwen3-1.7B",
        include_str!("../../data/models/qwen3-1.7b.json"),
    ),
    entry(
        "qwen3-4b",
        "Qwen/Qwen3-4B",
        include_str!("../../data/models/qwen3-4b.json"),
    ),
    entry(
        "qwen3-8b",
        "Qwen/Qwen3-8B",
        include_str!("../../data/models/qwen3-8b.json"),
    ),
    entry(
        "gemma-2b",
        "google/gemma-2b",
        include_str!("../../data/models/gemma-2b.json"),
    ),
    entry(
        "gemma-7b",
        "google/gemma-7b",
        include_str!("../../data/models/gemma-7b.json"),
    ),
    entry(
        "gemma-2-2b",
        "google/gemma-2-2b",
        include_str!("../../data/models/gemma-2-2b.json"),
    ),
    entry(
        "gemma-2-9b",
        "google/gemma-2-9b",
        include_str!("../../data/models/gemma-2-9b.json"),
    ),
    entry(
        "gemma-3-1b",
        "google/gemma-3-1b-pt",
        include_str!("../../data/models/gemma-3-1b.json"),
    ),
    entry(
        "phi-3-mini-4k",
        "microsoft/Phi-3-mini-4k-instruct",
        include_str!("../../data/models/phi-3-mini-4k.json"),
    ),
    entry(
        "smollm2-135m",
        "HuggingFaceTB/SmolLM2-135M",
        include_str!("../../data/models/smollm2-135m.json"),
    ),
    entry(
        "smollm2-360m",
        "HuggingFaceTB/SmolLM2-360M",
        include_str!("../../data/models/smollm2-360m.json"),
    ),
    entry(
        "smollm2-1.7b",
        "HuggingFaceTB/SmolLM2-1.7B",
        include_str!("../../data/models/smollm2-1.7b.json"),
    ),
    entry(
        "olmo-1b",
        "allenai/OLMo-1B-hf",
        include_str!("../../data/models/olmo-1b.json"),
    ),
    entry(
        "olmo-7b",
        "allenai/OLMo-7B-hf",
        include_str!("../../data/models/olmo-7b.json"),
    ),
    entry(
        "qwen1.5-moe-a2.7b",
        "Qwen/Qwen1.5-MoE-A2.7B",
        include_str!("../../data/models/qwen1.5-moe-a2.7b.json"),
    ),
    entry(
        "deepseek-v2-lite",
        "deepseek-ai/DeepSeek-V2-Lite",
        include_str!("../../data/models/deepseek-v2-lite.json"),
    ),
    entry(
        "qwen3-30b-a3b",
        "Qwen/Qwen3-30B-A3B",
        include_str!("../../data/models/qwen3-30b-a3b.json"),
    ),
    entry(
        "deepseek-v3",
        "deepseek-ai/DeepSeek-V3",
        include_str!("../../data/models/deepseek-v3.json"),
    ),
];

/// Every entry of the catalogue.
pub fn catalogue() -> &'static [CatalogueEntry] {
    CATALOGUE
}

/// The model named `name`: a catalogue id or Hugging Face repository, ignoring case.
///
/// # Errors
/// `UnknownModel` with up to three close names.
pub fn find(name: &str) -> Result<ModelSpec> {
    let wanted = name.trim();
    let hit = CATALOGUE
        .iter()
        .find(|e| e.id.eq_ignore_ascii_case(wanted) || e.repo.eq_ignore_ascii_case(wanted));
    match hit {
        Some(e) => super::from_hf_config(e.config),
        None => Err(Error::new(ErrorKind::UnknownModel {
            name: name.into(),
            suggestions: closest(wanted).join(", "),
        })),
    }
}

/// Entries whose id or repository contains every word of `query` (ignoring case); all for an empty query.
pub fn search(query: &str) -> Vec<&'static CatalogueEntry> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    CATALOGUE
        .iter()
        .filter(|e| {
            let hay = alloc::format!("{} {}", e.id, e.repo).to_ascii_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

/// Up to three ids closest to `name` by edit distance.
fn closest(name: &str) -> Vec<&'static str> {
    let name = name.to_ascii_lowercase();
    let mut scored: Vec<(usize, &'static str)> = CATALOGUE
        .iter()
        .map(|e| (distance(&name, e.id), e.id))
        .collect();
    scored.sort_unstable();
    let limit = (name.len() / 2).max(3);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(3)
        .map(|(_, id)| id)
        .collect()
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = alloc::vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        core::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
