//! The built-in catalogue of popular models: their Hugging Face `config.json` files as data
//! (`core/data/models/`, sources and published parameter counts in `SOURCES.md` there).

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{Family, ModelSpec};
use crate::error::{one_line, Error, Result, ECHO_CHARS};

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

/// Entries as `id => repo`; the config is `core/data/models/<id>.json`.
macro_rules! catalogue {
    ($($id:literal => $repo:literal,)*) => {
        &[$(CatalogueEntry {
            id: $id,
            repo: $repo,
            config: include_str!(concat!("../../data/models/", $id, ".json")),
        },)*]
    };
}

static CATALOGUE: &[CatalogueEntry] = catalogue! {
    "gpt2" => "openai-community/gpt2",
    "gpt2-medium" => "openai-community/gpt2-medium",
    "gpt2-large" => "openai-community/gpt2-large",
    "gpt2-xl" => "openai-community/gpt2-xl",
    "pythia-70m" => "EleutherAI/pythia-70m",
    "pythia-160m" => "EleutherAI/pythia-160m",
    "pythia-410m" => "EleutherAI/pythia-410m",
    "pythia-1b" => "EleutherAI/pythia-1b",
    "pythia-1.4b" => "EleutherAI/pythia-1.4b",
    "pythia-2.8b" => "EleutherAI/pythia-2.8b",
    "pythia-6.9b" => "EleutherAI/pythia-6.9b",
    "pythia-12b" => "EleutherAI/pythia-12b",
    "gpt-neox-20b" => "EleutherAI/gpt-neox-20b",
    "opt-125m" => "facebook/opt-125m",
    "opt-350m" => "facebook/opt-350m",
    "opt-1.3b" => "facebook/opt-1.3b",
    "opt-6.7b" => "facebook/opt-6.7b",
    "llama-2-7b" => "meta-llama/Llama-2-7b-hf",
    "llama-2-13b" => "meta-llama/Llama-2-13b-hf",
    "llama-2-70b" => "meta-llama/Llama-2-70b-hf",
    "llama-3-8b" => "meta-llama/Meta-Llama-3-8B",
    "llama-3-70b" => "meta-llama/Meta-Llama-3-70B",
    "llama-3.1-8b" => "meta-llama/Llama-3.1-8B",
    "llama-3.1-70b" => "meta-llama/Llama-3.1-70B",
    "llama-3.1-405b" => "meta-llama/Llama-3.1-405B",
    "llama-3.2-1b" => "meta-llama/Llama-3.2-1B",
    "llama-3.2-3b" => "meta-llama/Llama-3.2-3B",
    "llama-3.3-70b" => "meta-llama/Llama-3.3-70B-Instruct",
    "tinyllama-1.1b" => "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
    "smollm2-135m" => "HuggingFaceTB/SmolLM2-135M",
    "smollm2-360m" => "HuggingFaceTB/SmolLM2-360M",
    "smollm2-1.7b" => "HuggingFaceTB/SmolLM2-1.7B",
    "mistral-7b-v0.1" => "mistralai/Mistral-7B-v0.1",
    "mistral-7b-v0.3" => "mistralai/Mistral-7B-v0.3",
    "mistral-nemo-12b" => "mistralai/Mistral-Nemo-Base-2407",
    "mixtral-8x7b" => "mistralai/Mixtral-8x7B-v0.1",
    "mixtral-8x22b" => "mistralai/Mixtral-8x22B-v0.1",
    "qwen2-0.5b" => "Qwen/Qwen2-0.5B",
    "qwen2-1.5b" => "Qwen/Qwen2-1.5B",
    "qwen2-7b" => "Qwen/Qwen2-7B",
    "qwen2.5-0.5b" => "Qwen/Qwen2.5-0.5B",
    "qwen2.5-1.5b" => "Qwen/Qwen2.5-1.5B",
    "qwen2.5-3b" => "Qwen/Qwen2.5-3B",
    "qwen2.5-7b" => "Qwen/Qwen2.5-7B",
    "qwen2.5-14b" => "Qwen/Qwen2.5-14B",
    "qwen2.5-32b" => "Qwen/Qwen2.5-32B",
    "qwen2.5-72b" => "Qwen/Qwen2.5-72B",
    "qwen3-0.6b" => "Qwen/Qwen3-0.6B",
    "qwen3-1.7b" => "Qwen/Qwen3-1.7B",
    "qwen3-4b" => "Qwen/Qwen3-4B",
    "qwen3-8b" => "Qwen/Qwen3-8B",
    "qwen3-14b" => "Qwen/Qwen3-14B",
    "qwen3-32b" => "Qwen/Qwen3-32B",
    "qwen1.5-moe-a2.7b" => "Qwen/Qwen1.5-MoE-A2.7B",
    "qwen3-30b-a3b" => "Qwen/Qwen3-30B-A3B",
    "qwen3-235b-a22b" => "Qwen/Qwen3-235B-A22B",
    "gemma-2b" => "google/gemma-2b",
    "gemma-7b" => "google/gemma-7b",
    "gemma-2-2b" => "google/gemma-2-2b",
    "gemma-2-9b" => "google/gemma-2-9b",
    "gemma-2-27b" => "google/gemma-2-27b",
    "gemma-3-270m" => "google/gemma-3-270m",
    "gemma-3-1b" => "google/gemma-3-1b-pt",
    "phi-3-mini-4k" => "microsoft/Phi-3-mini-4k-instruct",
    "phi-3-medium-4k" => "microsoft/Phi-3-medium-4k-instruct",
    "phi-3.5-mini" => "microsoft/Phi-3.5-mini-instruct",
    "phi-2" => "microsoft/phi-2",
    "starcoder2-3b" => "bigcode/starcoder2-3b",
    "starcoder" => "bigcode/starcoder",
    "stablelm-3b-4e1t" => "stabilityai/stablelm-3b-4e1t",
    "stablelm-2-1_6b" => "stabilityai/stablelm-2-1_6b",
    "c4ai-command-r-v01" => "CohereForAI/c4ai-command-r-v01",
    "gpt-j-6b" => "EleutherAI/gpt-j-6b",
    "bloom-560m" => "bigscience/bloom-560m",
    "bloom-7b1" => "bigscience/bloom-7b1",
    "falcon-7b" => "tiiuae/falcon-7b",
    "olmo-1b" => "allenai/OLMo-1B-hf",
    "olmo-7b" => "allenai/OLMo-7B-hf",
    "olmo-2-7b" => "allenai/OLMo-2-1124-7B",
    "deepseek-v2-lite" => "deepseek-ai/DeepSeek-V2-Lite",
    "deepseek-v2" => "deepseek-ai/DeepSeek-V2",
    "deepseek-v3" => "deepseek-ai/DeepSeek-V3",
    "granite-3.3-2b-instruct" => "ibm-granite/granite-3.3-2b-instruct",
    "granite-3.3-8b-instruct" => "ibm-granite/granite-3.3-8b-instruct",
    "granite-3.1-3b-a800m" => "ibm-granite/granite-3.1-3b-a800m-instruct",
    "ernie-4.5-0.3b" => "baidu/ERNIE-4.5-0.3B-PT",
    "olmoe-1b-7b" => "allenai/OLMoE-1B-7B-0924",
    "phi-3.5-moe" => "microsoft/Phi-3.5-MoE-instruct",
    "smollm3-3b" => "HuggingFaceTB/SmolLM3-3B",
    "glm-4-9b-0414" => "THUDM/GLM-4-9B-0414",
    "glm-4-32b-0414" => "THUDM/GLM-4-32B-0414",
    "exaone-4.0-1.2b" => "LGAI-EXAONE/EXAONE-4.0-1.2B",
    "exaone-4.0-32b" => "LGAI-EXAONE/EXAONE-4.0-32B",
    "gpt-oss-20b" => "openai/gpt-oss-20b",
    "gpt-oss-120b" => "openai/gpt-oss-120b",
    "llama-4-scout-17b-16e" => "meta-llama/Llama-4-Scout-17B-16E",
    "llama-4-maverick-17b-128e" => "meta-llama/Llama-4-Maverick-17B-128E",
};

/// Every entry of the catalogue.
pub fn catalogue() -> &'static [CatalogueEntry] {
    CATALOGUE
}

/// The model named `name`: a catalogue id, a Hugging Face repository (`meta-llama/Llama-2-7b-hf`)
/// or its name alone (`Llama-2-7b-hf`), ignoring case and surrounding spaces.
///
/// # Errors
/// `UnknownModel` with up to three close names.
///
/// # Example
/// ```
/// let spec = trainfit_core::model::find("Qwen/Qwen2.5-7B").unwrap();
/// assert_eq!(spec.parameters().unwrap().total, 7_615_616_512);
/// let err = trainfit_core::model::find("llama-3-9b").unwrap_err();
/// assert!(err.to_string().contains("llama-3-8b"));
/// ```
pub fn find(name: &str) -> Result<ModelSpec> {
    let wanted = name.trim();
    let hit = CATALOGUE.iter().find(|e| {
        let short = e.repo.rsplit('/').next().unwrap_or(e.repo);
        [e.id, e.repo, short]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(wanted))
    });
    match hit {
        Some(e) => super::from_hf_config(e.config),
        None => Err(Error::UnknownModel {
            field: String::new(),
            name: one_line(name, ECHO_CHARS),
            suggestions: closest(wanted).into_iter().map(String::from).collect(),
        }),
    }
}

/// A catalogue model as every front end lists it: `trainfit models --json` and the npm
/// package's `models()` give the same array of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
#[serde(deny_unknown_fields)]
pub struct CatalogueModel {
    /// Catalogue id, e.g. `llama-3-8b`: what `{"catalogue": ...}` takes.
    pub id: String,
    /// Hugging Face repository, e.g. `meta-llama/Meta-Llama-3-8B`.
    pub repo: String,
    /// Architecture family.
    pub family: Family,
    /// All parameters.
    pub parameters: u64,
    /// Parameters each token runs through (fewer than `parameters` for mixture-of-experts).
    pub active_parameters: u64,
}

impl CatalogueEntry {
    /// The entry as it is listed, with its parameter counts.
    ///
    /// # Errors
    /// Those of [`super::from_hf_config`]; none for the built-in entries (a test imports every
    /// one).
    pub fn listing(&self) -> Result<CatalogueModel> {
        let spec = super::from_hf_config(self.config)?;
        let parameters = spec.parameters()?;
        Ok(CatalogueModel {
            id: String::from(self.id),
            repo: String::from(self.repo),
            family: spec.family,
            parameters: parameters.total,
            active_parameters: parameters.active,
        })
    }
}

/// The listing of every entry matching `query` (as [`search`]), in catalogue order.
///
/// # Errors
/// As [`CatalogueEntry::listing`].
pub fn list(query: &str) -> Result<Vec<CatalogueModel>> {
    search(query).iter().map(|e| e.listing()).collect()
}

/// Entries whose id or repository contains every word of `query` (ignoring case); all for an empty query.
pub fn search(query: &str) -> Vec<&'static CatalogueEntry> {
    let matches = every_word(query);
    CATALOGUE
        .iter()
        .filter(|e| matches(&alloc::format!("{} {}", e.id, e.repo)))
        .collect()
}

/// A test of whether a text contains every word of `query`, ignoring case (ASCII): the search
/// of both catalogues, models and accelerators.
pub(crate) fn every_word(query: &str) -> impl Fn(&str) -> bool {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    move |text| {
        let text = text.to_ascii_lowercase();
        words.iter().all(|w| text.contains(w.as_str()))
    }
}

/// Up to three ids close to `name`: those containing it (or contained in it) first, then the
/// nearest by edit distance, within half the name's length.
fn closest(name: &str) -> Vec<&'static str> {
    let name = name.to_ascii_lowercase();
    if name.is_empty() {
        return Vec::new();
    }
    let limit = (name.len() / 2).max(3);
    let mut scored: Vec<(bool, usize, &'static str)> = CATALOGUE
        .iter()
        .map(|e| {
            let contains = e.id.contains(name.as_str()) || name.contains(e.id);
            // The distance is at least the difference in length: past the limit it need not be
            // computed (a 100,000-character name would cost a second).
            let d = if name.len().abs_diff(e.id.len()) > limit {
                usize::MAX
            } else {
                distance(&name, e.id)
            };
            (!contains, d, e.id)
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .filter(|&(far, d, _)| !far || d <= limit)
        .take(3)
        .map(|(_, _, id)| id)
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
