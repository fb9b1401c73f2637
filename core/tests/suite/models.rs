//! Model descriptions through the public API: every catalogue entry against its published parameter
//! counts (`core/data/models/SOURCES.md`) and against what Hugging Face transformers builds from the
//! same config (`data/transformers_linears.json`), the reference cases, LoRA and MoE counts, the
//! importer's defaults and errors, and properties (no panic on any input).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};
use trainfit_core::model::{
    self, catalogue, hf, Activation, Family, Linear, ModelSpec, NormKind, QkNorm,
};
use trainfit_core::Error;

const SOURCES: &str = include_str!("../../data/models/SOURCES.md");

fn spec(id: &str) -> ModelSpec {
    model::find(id).unwrap_or_else(|e| panic!("{id}: {e}"))
}

fn config(path_text: &str) -> ModelSpec {
    model::from_hf_config(path_text).unwrap()
}

/// A count as a source prints it: exact (`6,738,415,616`) or rounded billions (`30.5B`).
#[derive(Debug, Clone, PartialEq)]
enum Published {
    Exact(u64),
    /// Value in units of `10^-decimals` billion.
    Billions {
        scaled: i128,
        decimals: u32,
    },
}

impl Published {
    fn parse(cell: &str) -> Option<Published> {
        if cell == "-" {
            return None;
        }
        if let Some(b) = cell.strip_suffix('B') {
            let decimals = b.split_once('.').map_or(0, |(_, f)| f.len() as u32);
            let scaled = b.replace('.', "").parse().unwrap();
            return Some(Published::Billions { scaled, decimals });
        }
        Some(Published::Exact(cell.replace(',', "").parse().unwrap()))
    }

    /// Whether `x` prints as this count: equal, or within half a unit of the last printed digit.
    fn matches(&self, x: u64) -> bool {
        match *self {
            Published::Exact(n) => n == x,
            Published::Billions { scaled, decimals } => {
                let unit = 10i128.pow(9 - decimals);
                (i128::from(x) - scaled * unit).abs() * 2 <= unit
            }
        }
    }
}

struct Row {
    id: String,
    url: String,
    total: Published,
    non_embedding: Option<Published>,
    active: Option<Published>,
}

fn sources() -> Vec<Row> {
    SOURCES
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| id "))
        .map(|l| {
            let c: Vec<&str> = l.split('|').map(str::trim).collect();
            Row {
                id: c[1].into(),
                url: c[2].into(),
                total: Published::parse(c[3]).unwrap(),
                non_embedding: Published::parse(c[4]),
                active: Published::parse(c[5]),
            }
        })
        .collect()
}

#[test]
fn catalogue_has_forty_models_or_more() {
    assert!(catalogue().len() >= 40, "{}", catalogue().len());
}

#[test]
fn every_catalogue_entry_has_a_source_row_and_a_config_of_its_repository() {
    let rows = sources();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let cat: Vec<&str> = catalogue().iter().map(|e| e.id).collect();
    assert_eq!(ids, cat, "SOURCES.md rows and catalogue entries, in order");
    for (row, e) in rows.iter().zip(catalogue()) {
        let want = format!("https://huggingface.co/{}/blob/main/config.json", e.repo);
        assert_eq!(row.url, want, "{}", e.id);
        let cfg: Value = serde_json::from_str(e.config).unwrap();
        assert_eq!(cfg["_name_or_path"], e.repo, "{}", e.id);
        assert_eq!(spec(e.id).name, e.repo);
    }
}

#[test]
fn every_catalogue_entry_matches_its_published_counts() {
    for row in sources() {
        let p = spec(&row.id).parameters().unwrap();
        assert!(
            row.total.matches(p.total),
            "{}: total {} vs {:?}",
            row.id,
            p.total,
            row.total
        );
        if let Some(ne) = &row.non_embedding {
            assert!(
                ne.matches(p.non_embedding),
                "{}: {}",
                row.id,
                p.non_embedding
            );
        }
        if let Some(a) = &row.active {
            assert!(a.matches(p.active), "{}: active {}", row.id, p.active);
        }
        assert_eq!(p.total, p.embedding + p.non_embedding);
        assert_eq!(p.trainable, p.total);
        assert_eq!(
            p.active == p.total,
            spec(&row.id).moe.is_none(),
            "{}",
            row.id
        );
    }
}

#[test]
fn published_json_carries_the_same_counts_as_sources() {
    let published: Value =
        serde_json::from_str(include_str!("../../data/models/published.json")).unwrap();
    let billions = |key: &str, row: &Row, p: &Option<Published>| match p {
        Some(Published::Billions { scaled, decimals }) => {
            let v = published[&row.id][key].as_f64().unwrap();
            assert_eq!((v * 10f64.powi(*decimals as i32)).round() as i128, *scaled);
        }
        _ => assert!(published[&row.id][key].is_null(), "{} {key}", row.id),
    };
    for row in sources() {
        match row.total {
            Published::Exact(n) => assert_eq!(published[&row.id]["total"], n, "{}", row.id),
            _ => billions("total_billions", &row, &Some(row.total.clone())),
        }
        match &row.non_embedding {
            Some(Published::Exact(n)) => {
                assert_eq!(published[&row.id]["non_embedding"], *n, "{}", row.id)
            }
            other => billions("non_embedding_billions", &row, other),
        }
        billions("active_billions", &row, &row.active);
    }
    assert_eq!(published.as_object().unwrap().len(), catalogue().len());
}

/// Linear kinds as transformers lists them: (name, d_in, d_out, bias) -> instances.
fn grouped(linears: &[Linear]) -> BTreeMap<(String, u64, u64, bool), u64> {
    let mut m = BTreeMap::new();
    for l in linears {
        *m.entry((l.module.to_string(), l.d_in, l.d_out, l.bias))
            .or_insert(0) += l.count;
    }
    m
}

fn test_model(stem: &str) -> ModelSpec {
    let text = match stem {
        "gemma-3-4b" => include_str!("../data/models/gemma-3-4b.json"),
        "gemma-3-12b" => include_str!("../data/models/gemma-3-12b.json"),
        "gemma-3-27b" => include_str!("../data/models/gemma-3-27b.json"),
        "llama4-tiny" => include_str!("../data/models/llama4-tiny.json"),
        _ => return spec(stem),
    };
    config(text)
}

#[test]
fn linears_parameters_and_largest_tensor_match_what_transformers_builds() {
    // Generated by data/transformers_linears.py from transformers 4.57.6 on the meta device.
    let golden: Value =
        serde_json::from_str(include_str!("../data/transformers_linears.json")).unwrap();
    let models = golden["models"].as_object().unwrap();
    assert_eq!(
        models.len(),
        catalogue().len() + 4,
        "regenerate the golden file"
    );
    for (stem, want) in models {
        let s = test_model(stem);
        let mut expected = BTreeMap::new();
        for l in want["linears"].as_array().unwrap() {
            let key = (
                l[0].as_str().unwrap().to_string(),
                l[1].as_u64().unwrap(),
                l[2].as_u64().unwrap(),
                l[3].as_bool().unwrap(),
            );
            expected.insert(key, l[4].as_u64().unwrap());
        }
        if s.tied_embeddings {
            // transformers keeps an `lm_head` module whose weight is the token embedding; its
            // parameters are the embedding's, so `linears()` leaves it out.
            let width = s.embed_proj_dim.unwrap_or(s.hidden);
            let key = ("lm_head".to_string(), width, s.vocab, false);
            assert_eq!(expected.remove(&key), Some(1), "{stem}");
        }
        assert_eq!(grouped(&s.linears()), expected, "{stem}");
        // transformers registers DeepSeek-V3's e_score_correction_bias as a buffer; we count it.
        let router_bias = match s.moe {
            Some(m) if m.router_bias => m.experts * s.moe_layers(),
            _ => 0,
        };
        let p = s.parameters().unwrap();
        assert_eq!(
            p.total,
            want["total"].as_u64().unwrap() + router_bias,
            "{stem}"
        );
        assert_eq!(s.largest_tensor().unwrap(), want["largest"], "{stem}");
    }
}

#[test]
fn reference_param_count_cases() {
    // core/tests/data/memory_cases.json, each case naming its source: every decoder-only
    // param_count case.
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("../data/memory_cases.json")).unwrap();
    let ids = [
        ("PC-gpt2", "gpt2"),
        ("PC-llama2-7b", "llama-2-7b"),
        ("PC-llama3-8b", "llama-3-8b"),
        ("PC-mistral-7b", "mistral-7b-v0.1"),
        ("PC-qwen25-0.5b", "qwen2.5-0.5b"),
        ("PC-tinyllama", "tinyllama-1.1b"),
        ("PC-smollm2-135m", "smollm2-135m"),
        ("PC-pythia-70m", "pythia-70m"),
        ("PC-phi3-mini", "phi-3-mini-4k"),
    ];
    let mut seen = 0;
    for c in cases.iter().filter(|c| c["kind"] == "param_count") {
        let id = c["id"].as_str().unwrap();
        let Some((_, model)) = ids.iter().find(|(case, _)| *case == id) else {
            // BERT is an encoder: outside what trainfit describes.
            assert_eq!(id, "PC-bert-base-cased");
            continue;
        };
        seen += 1;
        let s = spec(model);
        // The case's inputs are the catalogue config's values.
        let cfg: Value =
            serde_json::from_str(catalogue().iter().find(|e| e.id == *model).unwrap().config)
                .unwrap();
        for (k, v) in c["inputs"].as_object().unwrap() {
            if cfg.get(k).is_some() && !v.is_string() {
                assert_eq!(&cfg[k], v, "{id}: {k}");
            }
        }
        assert_eq!(
            s.parameters().unwrap().total,
            c["expected"]["params"].as_u64().unwrap(),
            "{id}"
        );
    }
    assert_eq!(seen, ids.len());
}

#[test]
fn pythia_non_embedding_counts_exclude_embed_in_and_embed_out() {
    // Pythia README, "Non-Embedding Params" column.
    for (id, want) in [
        ("pythia-70m", 18_915_328u64),
        ("pythia-160m", 85_056_000),
        ("pythia-410m", 302_311_424),
        ("pythia-1b", 805_736_448),
        ("pythia-1.4b", 1_208_602_624),
        ("pythia-2.8b", 2_517_652_480),
        ("pythia-6.9b", 6_444_163_072),
        ("pythia-12b", 11_327_027_200),
    ] {
        assert_eq!(spec(id).parameters().unwrap().non_embedding, want, "{id}");
    }
}

/// LoRA adds `r * (d_in + d_out)` per adapted linear (LoRA paper, Sec. 4.1).
fn lora(spec: &ModelSpec, r: u64, targets: &[&str]) -> u64 {
    spec.linears()
        .iter()
        .filter(|l| targets.contains(&l.module) || (targets == ["all-linear"] && l.in_decoder))
        .map(|l| r * (l.d_in + l.d_out) * l.count)
        .sum()
}

#[test]
fn lora_parameter_counts() {
    // QL-lora-llama2-7b-r8-qv-trainable in memory_cases.json: 32 x 2 x 8 x (4096 + 4096).
    assert_eq!(
        lora(&spec("llama-2-7b"), 8, &["q_proj", "v_proj"]),
        4_194_304
    );
    // PEFT print_trainable_parameters in public notebooks: "trainable params: 19,988,480 || all
    // params: 6,758,404,096" (Llama-2-7B, r 8, all linear layers), "294,912 || 124,734,720"
    // (GPT-2, r 8, c_attn) and "41,943,040 || 7,283,675,136" (Mistral-7B, r 16, all linear).
    for (id, r, targets, trainable, all) in [
        (
            "llama-2-7b",
            8,
            &["all-linear"][..],
            19_988_480,
            6_758_404_096u64,
        ),
        ("gpt2", 8, &["c_attn"][..], 294_912, 124_734_720),
        (
            "mistral-7b-v0.1",
            16,
            &["all-linear"][..],
            41_943_040,
            7_283_675_136,
        ),
    ] {
        let s = spec(id);
        let n = lora(&s, r, targets);
        assert_eq!(n, trainable, "{id}");
        assert_eq!(n + s.parameters().unwrap().total, all, "{id}");
    }
}

#[test]
fn mixture_of_experts_totals_and_active_counts() {
    // Exact totals: Mixtral-8x7B and Qwen1.5-MoE-A2.7B safetensors metadata.
    assert_eq!(
        spec("mixtral-8x7b").parameters().unwrap().total,
        46_702_792_704
    );
    assert_eq!(
        spec("qwen1.5-moe-a2.7b").parameters().unwrap().total,
        14_315_784_192
    );
    // Model cards, active per token with embeddings: Mixtral-8x7B 12.9B, Qwen1.5-MoE 2.7B,
    // Mixtral-8x22B 39B, Qwen3-235B-A22B 22B.
    for (id, card) in [
        ("mixtral-8x7b", "12.9B"),
        ("qwen1.5-moe-a2.7b", "2.7B"),
        ("mixtral-8x22b", "39B"),
        ("qwen3-235b-a22b", "22B"),
    ] {
        let active = spec(id).parameters().unwrap().active;
        assert!(
            Published::parse(card).unwrap().matches(active),
            "{id}: {active}"
        );
    }
    // Qwen3-30B-A3B's card says 3.3B activated: 3,353,032,704 truncated to one decimal.
    assert_eq!(
        spec("qwen3-30b-a3b").parameters().unwrap().active / 100_000_000,
        33
    );
    // DeepSeek papers: V3 37B and V2 21B activated. Their counts leave out the input embedding
    // (a lookup), so the figure lies between the active count without and with it.
    for (id, card) in [("deepseek-v3", 37.0), ("deepseek-v2", 21.0)] {
        let s = spec(id);
        let active = s.parameters().unwrap().active as f64 / 1e9;
        let input = (s.vocab * s.hidden) as f64 / 1e9;
        assert!(
            active - input - 0.5 <= card && card <= active + 0.5,
            "{id}: {active}"
        );
    }
    // DeepSeek-V3: 3 dense layers, 58 with 256 routed experts of which 8 are active, and 1 shared.
    let s = spec("deepseek-v3");
    assert_eq!(s.moe_layers(), 58);
    let p = s.parameters().unwrap();
    assert_eq!(p.total, 671_026_419_200);
    assert_eq!(p.total - p.active, 58 * 248 * 3 * 7168 * 2048);
}

#[test]
fn moe_layers_use_their_real_module_names() {
    let names =
        |id: &str| -> Vec<&'static str> { spec(id).linears().iter().map(|l| l.module).collect() };
    // MixtralSparseMoeBlock: router `gate`, experts w1, w2, w3 (transformers 4.x).
    assert_eq!(
        names("mixtral-8x7b"),
        ["q_proj", "k_proj", "v_proj", "o_proj", "gate", "w1", "w3", "w2", "lm_head"]
    );
    let qwen = names("qwen1.5-moe-a2.7b");
    assert!(qwen.contains(&"shared_expert_gate") && qwen.contains(&"gate"));
    // DeepSeek's router is a bare parameter, not a linear layer.
    assert!(!names("deepseek-v3").contains(&"gate"));
    assert!(names("deepseek-v3").contains(&"q_a_proj"));
    assert!(names("deepseek-v2-lite").contains(&"q_proj"));
    let experts: u64 = spec("mixtral-8x7b")
        .linears()
        .iter()
        .filter(|l| l.routed_expert)
        .map(|l| l.count)
        .sum();
    assert_eq!(experts, 3 * 32 * 8);
}

#[test]
fn gemma_3_text_decoders_match_the_technical_report() {
    // Gemma 3 technical report, Table 1, non-embedding parameters: 1B 698M, 4B 3,209M,
    // 12B 10,759M, 27B 25,600M. The multimodal configs give only what differs from
    // Gemma3TextConfig's defaults in `text_config`.
    for (stem, millions) in [
        ("gemma-3-1b", 698u64),
        ("gemma-3-4b", 3209),
        ("gemma-3-12b", 10_759),
        ("gemma-3-27b", 25_600),
    ] {
        let ne = test_model(stem).parameters().unwrap().non_embedding;
        assert_eq!((ne + 500_000) / 1_000_000, millions, "{stem}: {ne}");
    }
    let s = test_model("gemma-3-4b");
    assert_eq!(s.name, "google/gemma-3-4b-pt");
    assert_eq!(
        (s.heads, s.kv_heads, s.head_dim, s.vocab),
        (8, 4, 256, 262_208)
    );
    let w = s.sliding_window.unwrap();
    assert_eq!((w.window, w.local_per_pattern, w.pattern), (1024, 5, 6));
    assert_eq!(w.local_layers(s.layers), 29);
}

#[test]
fn llama_4_totals_with_the_vision_side_match_the_model_cards() {
    // Model cards: Scout "17B activated parameters, 109B total", Maverick "17B activated, 400B
    // total". Both totals count the vision encoder and projector, which transformers builds
    // with 871,932,416 parameters for either (meta-device count of
    // Llama4ForConditionalGeneration less Llama4ForCausalLM, transformers 4.57.6 and 5.23.0);
    // trainfit describes the text decoder only.
    const VISION: u64 = 871_932_416;
    let scout = spec("llama-4-scout-17b-16e").parameters().unwrap();
    assert!(Published::parse("109B")
        .unwrap()
        .matches(scout.total + VISION));
    assert!(Published::parse("17B").unwrap().matches(scout.active));
    // Maverick's 401.58B with the vision side is printed as 400B: within half a percent.
    let maverick = spec("llama-4-maverick-17b-128e").parameters().unwrap();
    let card = 400e9;
    assert!(((maverick.total + VISION) as f64 - card).abs() / card < 0.005);
    assert!(Published::parse("17B").unwrap().matches(maverick.active));
    // Active by hand: all but one of the routed experts (3 x 5120 x 8192 each) idle in every
    // MoE layer, 48 x 15 for Scout and 24 x 127 for Maverick.
    let expert = 3 * 5120 * 8192;
    assert_eq!(scout.total - scout.active, 48 * 15 * expert);
    assert_eq!(maverick.total - maverick.active, 24 * 127 * expert);
}

#[test]
fn llama_4_reads_its_interleaved_layers() {
    // Scout: every layer a mixture of 16 experts, 3 chunked rotary layers of every 4 with
    // weightless q/k norms; Maverick: every other layer of 128 experts, no q/k norm.
    let s = spec("llama-4-scout-17b-16e");
    assert_eq!(s.family, Family::Llama4);
    assert_eq!(s.name, "meta-llama/Llama-4-Scout-17B-16E");
    assert_eq!((s.moe_layers(), s.ffn.intermediate), (48, 16384));
    let m = s.moe.unwrap();
    assert_eq!((m.experts, m.active, m.expert_intermediate), (16, 1, 8192));
    assert_eq!((m.shared_experts, m.shared_intermediate), (1, 8192));
    let w = s.sliding_window.unwrap();
    assert_eq!((w.window, w.local_per_pattern, w.pattern), (8192, 3, 4));
    assert_eq!(s.qk_norm, QkNorm::L2);
    let s = spec("llama-4-maverick-17b-128e");
    assert_eq!((s.moe_layers(), s.moe.unwrap().experts), (24, 128));
    assert_eq!(s.qk_norm, QkNorm::None);
    // The text config alone (`llama4_text`) reads the same; without moe_layers the step places
    // them, without no_rope_layers every fourth layer is global.
    let cfg: Value = serde_json::from_str(include_str!(
        "../../data/models/llama-4-maverick-17b-128e.json"
    ))
    .unwrap();
    let mut text = cfg["text_config"].clone();
    text["_name_or_path"] = json!("maverick-text");
    let t = hf::from_hf_value(&text).unwrap();
    assert_eq!(t.parameters().unwrap().total, 400_711_848_960);
    assert_eq!(t.sliding_window.unwrap().local_layers(48), 36);
    // A multimodal config without its text part, and chunked layers without a chunk size.
    let err = hf::from_hf_value(&json!({"model_type": "llama4"})).unwrap_err();
    assert!(err.to_string().contains("text_config"), "{err}");
    text["attention_chunk_size"] = Value::Null;
    let err = hf::from_hf_value(&text).unwrap_err();
    assert!(err.to_string().contains("attention_chunk_size"), "{err}");
}

#[test]
fn bitsandbytes_quantises_the_decoder_linear_weights() {
    // Llama-2-7B: 32 x (4 x 4096^2 + 3 x 4096 x 11008); embeddings, lm_head and norms stay 16-bit.
    let s = spec("llama-2-7b");
    assert_eq!(s.decoder_linear_weights().unwrap(), 6_476_005_376);
    // GPT-2's Conv1D layers count, its tied lm_head does not exist: 12 x 12 x 768^2.
    assert_eq!(spec("gpt2").decoder_linear_weights().unwrap(), 84_934_656);
    // The largest tensor of Llama-3-8B is its 128256 x 4096 embedding (and lm_head).
    assert_eq!(spec("llama-3-8b").largest_tensor().unwrap(), 525_336_576);
}

#[test]
fn import_reads_each_family_as_transformers_does() {
    let s = spec("mistral-7b-v0.1");
    let w = s.sliding_window.unwrap();
    assert_eq!((w.window, w.local_layers(s.layers)), (4096, 32));
    assert!(spec("mistral-7b-v0.3").sliding_window.is_none());
    // Qwen2.5 configs name a window but `use_sliding_window` is false.
    assert!(spec("qwen2.5-7b").sliding_window.is_none());
    let s = spec("gemma-2-9b");
    assert_eq!(s.sliding_window.unwrap().local_layers(s.layers), 21);
    assert_eq!(
        (s.final_logit_softcap, s.attn_logit_softcap),
        (Some(30.0), Some(50.0))
    );
    assert_eq!(s.norm.per_layer, 4);
    // Gemma-3-270m lists `layer_types`: 5 sliding layers of every 6.
    let w = spec("gemma-3-270m").sliding_window.unwrap();
    assert_eq!((w.window, w.local_per_pattern, w.pattern), (512, 5, 6));
    assert_eq!(spec("gpt2").ffn.activation, Activation::GeluNew);
    assert_eq!(spec("gpt-neox-20b").ffn.activation, Activation::GeluNew);
    assert_eq!(spec("gemma-7b").ffn.activation, Activation::GeluTanh);
    assert_eq!(spec("opt-125m").ffn.activation, Activation::Relu);
    assert_eq!(spec("pythia-70m").ffn.activation, Activation::Gelu);
    assert_eq!(spec("gpt2").dropout.attention, 0.1);
    let s = spec("opt-350m");
    assert_eq!((s.learned_positions, s.embed_proj_dim), (2050, Some(512)));
    assert!(!s.norm.final_norm);
    assert_eq!(spec("olmo-7b").norm.kind, NormKind::None);
    assert_eq!(spec("olmo-2-7b").qk_norm, QkNorm::Full);
    assert_eq!(spec("qwen3-8b").qk_norm, QkNorm::PerHead);
    let b = spec("qwen2.5-7b").bias;
    assert!(b.qkv && !b.attn_out && !b.mlp);
    assert_eq!(spec("deepseek-v3").family, Family::DeepseekV3);
    // Absent num_key_value_heads: LlamaConfig uses the heads, MistralConfig its default 8.
    let base = json!({"hidden_size": 512, "num_hidden_layers": 2, "num_attention_heads": 16,
        "intermediate_size": 1024, "vocab_size": 1000, "max_position_embeddings": 128});
    let with = |t: &str| {
        let mut v = base.clone();
        v["model_type"] = json!(t);
        hf::from_hf_value(&v).unwrap()
    };
    assert_eq!(with("llama").kv_heads, 16);
    assert_eq!(with("mistral").kv_heads, 8);
    assert_eq!(with("llama").head_dim, 32);
    // Qwen3Config and GemmaConfig default head_dim to 128 and 256; Qwen3Config's 32 key/value
    // heads do not divide 16 heads.
    let err = hf::from_hf_value(&json!({"model_type": "qwen3", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 16, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128}))
    .unwrap_err();
    assert!(
        err.to_string().contains("default of model_type qwen3"),
        "{err}"
    );
    let mut v = base.clone();
    v["model_type"] = json!("qwen3");
    v["num_key_value_heads"] = json!(4);
    assert_eq!(hf::from_hf_value(&v).unwrap().head_dim, 128);
    assert_eq!(with("gemma").head_dim, 256);
    assert_eq!(with("llama").name, "llama");
}

#[test]
fn phi_reads_one_norm_per_layer_a_parallel_block_and_a_biased_head() {
    let s = spec("phi-2");
    assert_eq!(s.family, Family::Phi);
    assert!(s.parallel_residual && s.bias.lm_head && !s.tied_embeddings);
    assert_eq!((s.norm.kind, s.norm.per_layer), (NormKind::LayerNorm, 1));
    assert_eq!(s.ffn.activation, Activation::GeluNew);
    assert_eq!(s.dropout.residual, 0.1);
    // Published in the safetensors metadata of microsoft/phi-2 (total_size 5,559,367,680 bytes in
    // float16); by hand: embed 51200 * 2560, 32 layers of four biased 2560 x 2560 projections,
    // fc1/fc2 with biases and one LayerNorm, the final LayerNorm, lm_head 2560 x 51200 + 51200.
    assert_eq!(s.parameters().unwrap().total, 2_779_683_840);
    // qk_layernorm adds nn.LayerNorm(head_dim) for queries and for keys, weight and bias each.
    let mut v: Value = serde_json::from_str(include_str!("../../data/models/phi-2.json")).unwrap();
    v["qk_layernorm"] = json!(true);
    let q = hf::from_hf_value(&v).unwrap();
    assert_eq!(q.qk_norm, QkNorm::PerHead);
    assert_eq!(q.parameters().unwrap().total, 2_779_683_840 + 32 * 4 * 80);
}

#[test]
fn starcoder2_reads_layernorm_biases_a_plain_mlp_and_a_window_on_every_layer() {
    let s = spec("starcoder2-3b");
    assert_eq!(s.family, Family::Starcoder2);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (24, 2, 128));
    assert!(!s.ffn.gated && s.tied_embeddings && s.bias.qkv && s.bias.attn_out && s.bias.mlp);
    assert_eq!((s.norm.kind, s.norm.per_layer), (NormKind::LayerNorm, 2));
    let w = s.sliding_window.unwrap();
    assert_eq!((w.window, w.local_layers(s.layers)), (4096, 30));
    assert_eq!(s.dropout.residual, 0.1);
    // By hand: embed 49152 * 3072; per layer q and o 3072 * 3072 + 3072, k and v 3072 * 256 + 256,
    // c_fc 3072 * 12288 + 12288, c_proj 12288 * 3072 + 3072, two LayerNorms 4 * 3072; the final
    // LayerNorm 2 * 3072; lm_head tied. The same count as transformers on the meta device.
    assert_eq!(s.parameters().unwrap().total, 3_030_371_328);
    // Starcoder2Config defaults: two key/value heads, biases on, no window.
    let d = hf::from_hf_value(&json!({"model_type": "starcoder2", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 8, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128}))
    .unwrap();
    assert_eq!(d.kv_heads, 2);
    assert!(d.bias.mlp && d.sliding_window.is_none());
}

#[test]
fn gpt_bigcode_reads_one_key_value_head_and_learned_positions() {
    let s = spec("starcoder");
    assert_eq!(s.family, Family::GptBigcode);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (48, 1, 128));
    assert_eq!((s.learned_positions, s.ffn.intermediate), (8192, 24576));
    assert!(s.tied_embeddings && s.bias.qkv && s.bias.mlp && !s.ffn.gated);
    assert_eq!(s.ffn.activation, Activation::GeluTanh);
    // By hand: wte 49152 * 6144 and wpe 8192 * 6144; per layer c_attn 6144 x (6144 + 2 * 128)
    // with bias, c_proj 6144 x 6144, c_fc 6144 x 24576, c_proj 24576 x 6144, all biased, two
    // LayerNorms; ln_f; lm_head tied. The model card's 15.5B; transformers on the meta device agrees.
    assert_eq!(s.parameters().unwrap().total, 15_517_456_384);
    let linears = s.linears();
    assert_eq!(linears[0].module, "c_attn");
    assert_eq!(linears[0].d_out, 6144 + 2 * 128);
    // `multi_query: false` keeps every head's keys and values.
    let mut v: Value =
        serde_json::from_str(include_str!("../../data/models/starcoder.json")).unwrap();
    v["multi_query"] = json!(false);
    assert_eq!(hf::from_hf_value(&v).unwrap().kv_heads, 48);
}

#[test]
fn granite_reads_the_llama_shape_with_its_own_defaults() {
    let s = spec("granite-3.3-8b-instruct");
    assert_eq!(s.family, Family::Granite);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (32, 8, 128));
    assert!(s.tied_embeddings && !s.bias.qkv && !s.bias.mlp);
    // By hand: embed 49159 * 4096 (tied); per layer q and o 4096 * 4096, k and v 4096 * 1024,
    // gate/up/down 3 * 4096 * 12800, two RMSNorms; the final RMSNorm. Safetensors metadata of
    // ibm-granite/granite-3.3-8b-instruct: 8,170,864,640.
    assert_eq!(s.parameters().unwrap().total, 8_170_864_640);
    // GraniteConfig defaults: key/value heads = heads, untied, biases per attention_bias / mlp_bias.
    let d = hf::from_hf_value(&json!({"model_type": "granite", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 8, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128, "mlp_bias": true,
        "attention_dropout": 0.1}))
    .unwrap();
    assert_eq!(d.kv_heads, 8);
    assert!(!d.tied_embeddings && d.bias.mlp && !d.bias.qkv);
    assert_eq!(d.dropout.attention, 0.1);
}

#[test]
fn granitemoe_counts_its_parallel_experts_outside_the_linear_layers() {
    let s = spec("granite-3.1-3b-a800m");
    assert_eq!(s.family, Family::Granitemoe);
    let m = s.moe.unwrap();
    assert_eq!((m.experts, m.active, m.expert_intermediate), (40, 8, 512));
    // GraniteMoeParallelExperts keeps the experts as 3-D parameters: only the router's `layer`
    // is a linear layer besides attention (transformers 4.57.6 on the meta device agrees).
    let names: Vec<&str> = s.linears().iter().map(|l| l.module).collect();
    assert_eq!(names, ["q_proj", "k_proj", "v_proj", "o_proj", "layer"]);
    // By hand: embed 49155 * 1536 (tied); per layer q and o 1536 * 1536, k and v 1536 * 512,
    // router 1536 * 40, 40 experts of 3 * 1536 * 512, two RMSNorms; the final RMSNorm. The
    // model card's 3.3B; its 800M active leave out the input embedding.
    let p = s.parameters().unwrap();
    assert_eq!(p.total, 3_298_793_472);
    assert_eq!(p.total - p.active, 32 * 32 * 3 * 1536 * 512);
    assert!(Published::parse("0.8B")
        .unwrap()
        .matches(p.active - p.embedding));
    // Experts stay in 16 bits under bitsandbytes: they are not nn.Linear.
    let attention = 32 * (2 * 1536 * 1536 + 2 * 1536 * 512 + 1536 * 40);
    assert_eq!(s.decoder_linear_weights().unwrap(), attention);
}

#[test]
fn ernie_4_5_reads_use_bias_a_tied_head_and_its_head_width() {
    let s = spec("ernie-4.5-0.3b");
    assert_eq!(s.family, Family::Ernie45);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (16, 2, 128));
    assert!(s.tied_embeddings && !s.bias.qkv);
    // By hand: embed 103424 * 1024 (tied); per layer q and o 1024 * 2048, k and v 1024 * 256,
    // gate/up/down 3 * 1024 * 3072, two RMSNorms; the final RMSNorm. Model card: 0.36B.
    assert_eq!(s.parameters().unwrap().total, 360_748_032);
    // Ernie4_5Config defaults: 2 key/value heads, head_dim 128, tied; `use_bias` on every
    // projection but the head.
    let d = hf::from_hf_value(&json!({"model_type": "ernie4_5", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 8, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128, "use_bias": true}))
    .unwrap();
    assert_eq!((d.kv_heads, d.head_dim), (2, 128));
    assert!(d.tied_embeddings && d.bias.qkv && d.bias.attn_out && d.bias.mlp && !d.bias.lm_head);
}

#[test]
fn olmoe_reads_64_experts_and_full_width_query_key_norms() {
    let s = spec("olmoe-1b-7b");
    assert_eq!(s.family, Family::Olmoe);
    assert_eq!(s.qk_norm, QkNorm::Full);
    let m = s.moe.unwrap();
    assert_eq!((m.experts, m.active, m.expert_intermediate), (64, 8, 1024));
    assert_eq!((m.shared_experts, m.dense_layers), (0, 0));
    // By hand: embed and lm_head 2 * 50304 * 2048; per layer four 2048 * 2048 projections,
    // q_norm and k_norm 2 * 2048, two RMSNorms, router 2048 * 64, 64 experts of 3 * 2048 * 1024;
    // the final RMSNorm. Active: 56 idle experts per layer fewer.
    let p = s.parameters().unwrap();
    assert_eq!(p.total, 6_919_161_856);
    assert_eq!(p.total - p.active, 16 * 56 * 3 * 2048 * 1024);
    let names: Vec<&str> = s.linears().iter().map(|l| l.module).collect();
    assert_eq!(
        names,
        [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate",
            "gate_proj",
            "up_proj",
            "down_proj",
            "lm_head"
        ]
    );
}

#[test]
fn phimoe_reads_layernorm_biases_a_biased_head_and_input_jitter() {
    let s = spec("phi-3.5-moe");
    assert_eq!(s.family, Family::Phimoe);
    assert_eq!((s.norm.kind, s.norm.bias), (NormKind::LayerNorm, true));
    assert!(s.bias.qkv && s.bias.attn_out && !s.bias.mlp && s.bias.lm_head);
    let m = s.moe.unwrap();
    assert_eq!((m.experts, m.active, m.expert_intermediate), (16, 2, 6400));
    assert!(m.input_jitter);
    // By hand: embed 32064 * 4096, lm_head 4096 * 32064 + 32064; per layer q and o
    // 4096 * 4096 + 4096, k and v 4096 * 1024 + 1024, router 4096 * 16, 16 experts of
    // 3 * 4096 * 6400, two LayerNorms 4 * 4096; the final LayerNorm. Active: 14 idle experts per
    // layer fewer (model card: 6.6B active).
    let p = s.parameters().unwrap();
    assert_eq!(p.total, 41_873_153_344);
    assert_eq!(p.total - p.active, 32 * 14 * 3 * 4096 * 6400);
    // PhimoeConfig defaults: 8 key/value heads, no input jitter, no head bias.
    let d = hf::from_hf_value(&json!({"model_type": "phimoe", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 16, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128, "num_local_experts": 4,
        "num_experts_per_tok": 2}))
    .unwrap();
    assert_eq!(d.kv_heads, 8);
    assert!(!d.moe.unwrap().input_jitter && !d.bias.lm_head);
}

#[test]
fn smollm3_reads_its_defaults_and_slides_on_the_layers_without_rotary() {
    let s = spec("smollm3-3b");
    assert_eq!(s.family, Family::Smollm3);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (16, 4, 128));
    assert!(s.tied_embeddings && s.sliding_window.is_none());
    // By hand: embed 128256 * 2048 (tied); per layer q and o 2048 * 2048, k and v 2048 * 512,
    // gate/up/down 3 * 2048 * 11008, two RMSNorms; the final RMSNorm. Model card: 3B.
    assert_eq!(s.parameters().unwrap().total, 3_075_098_624);
    // With `use_sliding_window`, SmolLM3Config slides on the layers without rotary: every fourth
    // by default, or those `no_rope_layers` marks 0.
    let mut v = json!({"model_type": "smollm3", "hidden_size": 512, "num_hidden_layers": 8,
        "num_attention_heads": 8, "intermediate_size": 1024, "vocab_size": 1000,
        "max_position_embeddings": 128, "use_sliding_window": true, "sliding_window": 64});
    let d = hf::from_hf_value(&v).unwrap();
    assert_eq!(d.kv_heads, 4);
    let w = d.sliding_window.unwrap();
    assert_eq!((w.window, w.local_layers(8)), (64, 2));
    v["no_rope_layers"] = json!([1, 0, 1, 0, 1, 0, 1, 0]);
    let w = hf::from_hf_value(&v).unwrap().sliding_window.unwrap();
    assert_eq!(w.local_layers(8), 4);
    v["no_rope_layers"] = json!([1, 0]);
    let err = hf::from_hf_value(&v).unwrap_err().to_string();
    assert!(
        err.contains("no_rope_layers") && err.contains("8 entries"),
        "{err}"
    );
}

#[test]
fn glm4_reads_sandwich_norms_a_fused_gate_up_and_biased_queries_keys_values() {
    let s = spec("glm-4-9b-0414");
    assert_eq!(s.family, Family::Glm4);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (32, 2, 128));
    assert_eq!(s.norm.per_layer, 4);
    assert!(s.bias.qkv && !s.bias.attn_out && !s.bias.mlp && !s.tied_embeddings);
    // By hand: embed and lm_head 151552 * 4096 each; per layer q 4096 * 4096 + 4096, k and v
    // 4096 * 256 + 256, o 4096 * 4096, gate_up_proj 4096 * 27392, down_proj 13696 * 4096, four
    // RMSNorms; the final RMSNorm. The same count as transformers on the meta device.
    assert_eq!(s.parameters().unwrap().total, 9_400_279_040);
    let fused = s.linears().into_iter().find(|l| l.module == "gate_up_proj");
    assert_eq!(fused.map(|l| (l.d_in, l.d_out)), Some((4096, 2 * 13696)));
    // Glm4Config defaults: two key/value heads, head_dim 128, attention_bias true.
    let d = hf::from_hf_value(&json!({"model_type": "glm4", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 8, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128}))
    .unwrap();
    assert_eq!((d.kv_heads, d.head_dim), (2, 128));
    assert!(d.bias.qkv);
}

#[test]
fn exaone4_reads_post_norms_per_head_qk_norms_and_its_sliding_layers() {
    let s = spec("exaone-4.0-1.2b");
    assert_eq!(s.family, Family::Exaone4);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (32, 8, 64));
    assert_eq!((s.qk_norm, s.norm.per_layer), (QkNorm::PerHead, 2));
    assert!(s.tied_embeddings && s.sliding_window.is_none());
    // The 32B model: three sliding layers (4096 tokens) to one global (`layer_types`, "LLLG").
    let big = spec("exaone-4.0-32b");
    let w = big.sliding_window.unwrap();
    assert_eq!((w.window, w.local_per_pattern, w.pattern), (4096, 3, 4));
    assert_eq!(w.local_layers(big.layers), 48);
    // Without layer_types the class default: every 4th layer global, a 4096-token window; null
    // turns the window off.
    let mut v = json!({"model_type": "exaone4", "hidden_size": 512, "num_hidden_layers": 8,
        "num_attention_heads": 32, "intermediate_size": 1024, "vocab_size": 1000,
        "max_position_embeddings": 128});
    let d = hf::from_hf_value(&v).unwrap();
    // Exaone4Config's default of 32 key/value heads; head_dim hidden_size / heads.
    assert_eq!((d.kv_heads, d.head_dim), (32, 16));
    assert_eq!(d.sliding_window.unwrap().local_layers(8), 6);
    v["sliding_window_pattern"] = json!(2);
    let w = hf::from_hf_value(&v).unwrap().sliding_window.unwrap();
    assert_eq!(w.local_layers(8), 4);
    v["sliding_window"] = Value::Null;
    assert!(hf::from_hf_value(&v).unwrap().sliding_window.is_none());
}

#[test]
fn gpt_oss_counts_its_bare_expert_router_and_sink_parameters() {
    let s = spec("gpt-oss-20b");
    assert_eq!(s.family, Family::GptOss);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (64, 8, 64));
    let m = s.moe.unwrap();
    assert_eq!((m.experts, m.active, m.expert_intermediate), (32, 4, 2880));
    assert_eq!(s.moe_layers(), 24);
    assert!(s.bias.qkv && s.bias.attn_out);
    let w = s.sliding_window.unwrap();
    assert_eq!((w.window, w.local_layers(s.layers)), (128, 12));
    // By hand: embed and lm_head 201088 * 2880 each; per layer q 2880 * 4096 + 4096, k and v
    // 2880 * 512 + 512, o 4096 * 2880 + 2880, 64 sinks, two RMSNorms, the router 32 * 2880 + 32
    // and 32 experts of 2880 * 5760 + 5760 (gate_up) and 2880 * 2880 + 2880 (down); the final
    // RMSNorm. The model card's 20.9B; transformers on the meta device agrees.
    let p = s.parameters().unwrap();
    assert_eq!(p.total, 20_914_757_184);
    // Each token uses 4 of the 32 experts: 24 layers x 28 idle experts x 24,891,840.
    assert_eq!(p.total - p.active, 24 * 28 * 24_891_840);
    // The experts are 3-D parameters, not linear layers: neither PEFT nor bitsandbytes sees them.
    assert!(s.linears().iter().all(|l| !l.routed_expert));
    // GptOssConfig defaults: windows on every other layer, 128 tokens; null turns them off.
    let mut v = json!({"model_type": "gpt_oss", "hidden_size": 256, "num_hidden_layers": 4,
        "num_attention_heads": 8, "intermediate_size": 256, "vocab_size": 1000,
        "max_position_embeddings": 128, "num_local_experts": 4, "num_experts_per_tok": 2});
    let d = hf::from_hf_value(&v).unwrap();
    assert_eq!((d.kv_heads, d.head_dim), (8, 64));
    assert_eq!(d.sliding_window.unwrap().local_layers(4), 2);
    v["sliding_window"] = Value::Null;
    assert!(hf::from_hf_value(&v).unwrap().sliding_window.is_none());
}

#[test]
fn import_errors_name_the_field_the_value_and_the_model_type() {
    let err = model::from_hf_config(r#"{"model_type": "t5", "d_model": 512}"#).unwrap_err();
    assert!(matches!(err, Error::UnsupportedModelType { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("\"t5\"") && msg.contains("llama") && msg.contains("deepseek_v3"),
        "{msg}"
    );

    let err = model::from_hf_config(r#"{"model_type": "llama", "hidden_size": 512}"#).unwrap_err();
    assert!(matches!(err, Error::MissingField { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("`num_attention_heads`") && msg.contains("llama"),
        "{msg}"
    );

    let err = model::from_hf_config(r#"{"model_type": "gpt2", "n_embd": 768}"#).unwrap_err();
    assert!(err.to_string().contains("`n_head`"), "{err}");

    for (text, field, value) in [
        (
            r#"{"model_type": "llama", "hidden_size": -3}"#,
            "hidden_size",
            "-3",
        ),
        (
            r#"{"model_type": "llama", "hidden_size": 0}"#,
            "hidden_size",
            "0",
        ),
        (
            r#"{"model_type": "llama", "hidden_size": "big"}"#,
            "hidden_size",
            "\"big\"",
        ),
        (
            r#"{"model_type": "opt", "hidden_size": 1.5}"#,
            "hidden_size",
            "1.5",
        ),
        (r#"{"model_type": 7}"#, "model_type", "7"),
    ] {
        let err = model::from_hf_config(text).unwrap_err();
        assert!(matches!(err, Error::InvalidField { .. }), "{err}");
        let msg = err.to_string();
        assert!(msg.contains(field) && msg.contains(value), "{msg}");
    }
    let err =
        model::from_hf_config(r#"{"model_type": "gemma3", "text_config": {"hidden_size": 0}}"#)
            .unwrap_err();
    assert!(
        err.to_string().contains("`text_config.hidden_size`"),
        "{err}"
    );
    let err = model::from_hf_config("{not json").unwrap_err();
    assert!(matches!(err, Error::Json { .. }), "{err}");
    assert!(model::from_hf_config("[1, 2]").is_err());
    let err = model::from_hf_config(r#"{"hidden_size": 5}"#).unwrap_err();
    assert!(err.to_string().contains("`model_type`"), "{err}");
}

#[test]
fn find_accepts_ids_and_repositories_and_suggests_close_names() {
    assert_eq!(spec("LLAMA-2-7B").name, "meta-llama/Llama-2-7b-hf");
    assert_eq!(
        spec(" meta-llama/llama-2-7b-hf ").name,
        "meta-llama/Llama-2-7b-hf"
    );
    assert_eq!(
        spec("Mistral-Nemo-Base-2407").name,
        "mistralai/Mistral-Nemo-Base-2407"
    );
    let err = model::find("llama-3-9b").unwrap_err();
    assert!(matches!(err, Error::UnknownModel { .. }));
    assert!(err.to_string().contains("llama-3-8b"), "{err}");
    let err = model::find("qwen3").unwrap_err();
    let Error::UnknownModel { suggestions, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(suggestions.len(), 3);
    assert!(
        suggestions.iter().all(|s| s.starts_with("qwen3")),
        "{suggestions:?}"
    );
    let Error::UnknownModel { suggestions, .. } = model::find("zzzzzzzzzzzzzzzz").unwrap_err()
    else {
        unreachable!()
    };
    assert!(suggestions.is_empty());
}

#[test]
fn search_matches_every_word() {
    let hits: Vec<_> = model::search("qwen2.5 7b").iter().map(|e| e.id).collect();
    assert_eq!(hits, ["qwen2.5-7b"]);
    let hits: Vec<_> = model::search("DeepSeek").iter().map(|e| e.id).collect();
    assert_eq!(hits, ["deepseek-v2-lite", "deepseek-v2", "deepseek-v3"]);
    assert_eq!(model::search("").len(), catalogue().len());
    assert!(model::search("no-such-model").is_empty());
}

#[test]
fn counts_too_large_for_64_bits_are_overflow_errors() {
    let mut s = spec("llama-2-7b");
    s.vocab = u64::MAX / 2;
    assert!(matches!(
        s.parameters().unwrap_err(),
        Error::Overflow { .. }
    ));
    assert!(s.largest_tensor().is_err());
    let mut s = spec("mixtral-8x7b");
    s.heads = u64::MAX;
    assert!(s.parameters().is_err() && s.decoder_linear_weights().is_err());
}

fn field() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0u64..5000).prop_map(Value::from),
        (0u64..8).prop_map(Value::from),
        Just(Value::from(1u64 << 31)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_]{0,12}".prop_map(Value::from),
        Just(json!(["sliding_attention", "full_attention"])),
        prop::collection::vec(0u64..6, 0..4).prop_map(|v| json!(v)),
    ]
}

/// Config fields the importer reads, across all families.
const KEYS: &str =
    "hidden_size num_hidden_layers num_attention_heads num_key_value_heads head_dim \
    intermediate_size vocab_size max_position_embeddings tie_word_embeddings n_embd n_layer \
    n_head n_positions n_inner ffn_dim word_embed_proj_dim num_local_experts \
    num_experts_per_tok num_experts moe_intermediate_size shared_expert_intermediate_size \
    decoder_sparse_step mlp_only_layers sliding_window use_sliding_window max_window_layers \
    layer_types sliding_window_pattern kv_lora_rank q_lora_rank qk_nope_head_dim \
    qk_rope_head_dim v_head_dim n_routed_experts n_shared_experts first_k_dense_replace \
    hidden_act hidden_activation activation_function attention_dropout \
    final_logit_softcapping do_layer_norm_before attention_bias mlp_bias _name_or_path";

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn import_never_panics_on_objects_with_numeric_fields(
        model_type in prop::sample::select(hf::SUPPORTED.to_vec()),
        nested in any::<bool>(),
        fields in prop::collection::vec(
            (prop::sample::select(KEYS.split_whitespace().collect::<Vec<_>>()), field()),
            0..30,
        )
    ) {
        let mut obj = serde_json::Map::new();
        for (k, v) in fields {
            obj.insert(k.into(), v);
        }
        let value = if nested && model_type == "gemma3" {
            json!({"model_type": "gemma3", "text_config": Value::Object(obj)})
        } else {
            obj.insert("model_type".into(), Value::from(model_type));
            Value::Object(obj)
        };
        if let Ok(spec) = hf::from_hf_value(&value) {
            // Whatever imports has consistent counts, or a clean overflow error (2^31 experts of
            // 2^31 layers can exceed 64 bits).
            if let Ok(p) = spec.parameters() {
                prop_assert_eq!(p.total, p.embedding + p.non_embedding);
                prop_assert!(p.active <= p.total);
                prop_assert!(spec.largest_tensor().unwrap() <= p.total);
                prop_assert!(spec.decoder_linear_weights().unwrap() <= p.total);
            }
        }
    }

    #[test]
    fn counts_never_panic_on_any_sizes(
        id in prop::sample::select(catalogue().iter().map(|e| e.id).collect::<Vec<_>>()),
        sizes in prop::collection::vec(any::<u64>(), 8)
    ) {
        let mut s = spec(id);
        s.hidden = sizes[0];
        s.heads = sizes[1];
        s.head_dim = sizes[2];
        s.ffn.intermediate = sizes[3];
        s.vocab = sizes[4];
        s.layers = sizes[5];
        if let Some(m) = s.moe.as_mut() {
            m.experts = sizes[6];
            m.expert_intermediate = sizes[7];
        }
        let _ = s.parameters();
        let _ = s.largest_tensor();
        let _ = s.decoder_linear_weights();
        let _ = s.linears();
    }
}

#[test]
fn stablelm_reads_layernorm_partial_rotary_options_and_its_defaults() {
    let s = spec("stablelm-2-1_6b");
    assert_eq!(s.family, Family::Stablelm);
    assert_eq!((s.heads, s.kv_heads, s.head_dim), (32, 32, 64));
    assert!(s.ffn.gated && !s.tied_embeddings && s.bias.qkv && !s.bias.attn_out && !s.bias.mlp);
    assert_eq!((s.norm.kind, s.norm.per_layer), (NormKind::LayerNorm, 2));
    // StableLmConfig defaults: 32 key/value heads, no qkv bias; the parallel residual drops the
    // second LayerNorm; qk_layernorm adds a bias-free LayerNorm per query and key head.
    let base = json!({"model_type": "stablelm", "hidden_size": 512, "num_hidden_layers": 2,
        "num_attention_heads": 64, "intermediate_size": 1024, "vocab_size": 1000,
        "max_position_embeddings": 128});
    let d = hf::from_hf_value(&base).unwrap();
    assert_eq!(d.kv_heads, 32);
    assert!(!d.bias.qkv && !d.parallel_residual && d.qk_norm == QkNorm::None);
    let mut p = base.clone();
    p["use_parallel_residual"] = json!(true);
    p["qk_layernorm"] = json!(true);
    let q = hf::from_hf_value(&p).unwrap();
    assert!(q.parallel_residual && q.norm.per_layer == 1 && q.qk_norm == QkNorm::Full);
    // One LayerNorm fewer (2 x 512 each) and (64 + 32) x 8 query/key norm weights per layer.
    let (a, b) = (d.parameters().unwrap().total, q.parameters().unwrap().total);
    assert_eq!(b + 2 * 1024, a + 2 * 96 * 8);
}

#[test]
fn cohere_reads_one_biasless_layernorm_and_cohere2_a_window_on_three_of_four_layers() {
    let s = spec("c4ai-command-r-v01");
    assert_eq!(s.family, Family::Cohere);
    assert!(s.parallel_residual && s.tied_embeddings && s.ffn.gated);
    assert_eq!(
        (s.norm.kind, s.norm.bias, s.norm.per_layer),
        (NormKind::LayerNorm, false, 1)
    );
    let base = json!({"model_type": "cohere2", "hidden_size": 512, "num_hidden_layers": 8,
        "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 1024,
        "vocab_size": 1000, "max_position_embeddings": 128});
    let w = hf::from_hf_value(&base).unwrap().sliding_window.unwrap();
    assert_eq!(
        (w.window, w.local_per_pattern, w.pattern, w.local_layers(8)),
        (4096, 3, 4, 6)
    );
    let mut nulled = base.clone();
    nulled["sliding_window"] = Value::Null;
    assert!(hf::from_hf_value(&nulled).unwrap().sliding_window.is_none());
    let mut typed = base.clone();
    typed["layer_types"] = json!([
        "sliding_attention",
        "full_attention",
        "sliding_attention",
        "full_attention",
        "sliding_attention",
        "full_attention",
        "sliding_attention",
        "full_attention"
    ]);
    let w = hf::from_hf_value(&typed).unwrap().sliding_window.unwrap();
    assert_eq!((w.local_per_pattern, w.pattern), (1, 2));
}

#[test]
fn gptj_rotates_part_of_each_head_and_biases_its_untied_head() {
    let s = spec("gpt-j-6b");
    assert_eq!(s.family, Family::Gptj);
    assert_eq!(
        (s.head_dim, s.rotary_dim, s.ffn.intermediate),
        (256, Some(64), 16384)
    );
    assert!(s.parallel_residual && !s.tied_embeddings && s.bias.lm_head && !s.bias.qkv);
    let lm = s.linears().into_iter().find(|l| !l.in_decoder).unwrap();
    assert_eq!((lm.module, lm.bias), ("lm_head", true));
    let d = hf::from_hf_value(&json!({"model_type": "gptj", "n_embd": 256, "n_layer": 2,
        "n_head": 4, "vocab_size": 1000, "n_positions": 128}))
    .unwrap();
    assert_eq!((d.rotary_dim, d.ffn.intermediate), (Some(64), 1024));
}

#[test]
fn falcon_reads_both_layouts_and_bloom_counts_its_embedding_layernorm() {
    let s = spec("falcon-7b");
    assert_eq!(
        (s.family, s.kv_heads, s.norm.per_layer),
        (Family::Falcon, 1, 1)
    );
    assert!(s.parallel_residual && !s.alibi && !s.bias.qkv);
    let new = hf::from_hf_value(&json!({"model_type": "falcon", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 16, "num_kv_heads": 4,
        "new_decoder_architecture": true, "vocab_size": 1000}))
    .unwrap();
    assert_eq!(
        (new.kv_heads, new.norm.per_layer, new.ffn.intermediate),
        (4, 2, 2048)
    );
    let qkv = new
        .linears()
        .into_iter()
        .find(|l| l.module == "query_key_value")
        .unwrap();
    assert_eq!(qkv.d_out, (16 + 2 * 4) * 32);
    let rw = hf::from_hf_value(&json!({"model_type": "falcon", "hidden_size": 512,
        "num_hidden_layers": 2, "num_attention_heads": 16, "alibi": true, "bias": true,
        "multi_query": false, "parallel_attn": false, "vocab_size": 1000}))
    .unwrap();
    assert!(rw.alibi && !rw.parallel_residual && rw.bias.qkv);
    assert_eq!((rw.kv_heads, rw.norm.per_layer), (16, 2));
    let b = spec("bloom-560m");
    assert!(b.alibi && b.tied_embeddings && !b.family.rotary());
    // The embedding LayerNorm (2 x 1024) is part of the published 559,214,592.
    assert_eq!(b.parameters().unwrap().total, 559_214_592);
}
