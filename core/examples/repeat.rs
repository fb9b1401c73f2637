//! Runs the benchmarks' requests a given number of times and nothing else, so that an instruction
//! count (`valgrind --tool=callgrind`) of N + 1 runs minus one run is N calls (a development aid;
//! docs/performance.md gives the commands).
//!
//! `cargo run --release -p trainfit-core --example repeat -- estimate|plan-lora|plan-pretrain N`

use serde_json::json;
use trainfit_core::plan::{plan, PlanRequest};
use trainfit_core::{estimate, model, EstimateRequest};

/// The request of `core/benches/plan.rs`: one RTX 4090 and `goal`.
fn plan_request(goal: serde_json::Value) -> PlanRequest {
    serde_json::from_value(json!({
        "profile": {"accelerators": [{
            "vendor": "nvidia", "name": "NVIDIA GeForce RTX 4090", "kind": "discrete",
            "compute_capability": "8.9",
            "memory_total_bytes": {"value": 24_564u64 << 20, "source": "measured"},
        }]},
        "goal": goal,
    }))
    .expect("the plan request parses")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_default();
    let n: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let mut sum = 0u64;
    match what.as_str() {
        "estimate" => {
            // The request of `core/benches/estimate.rs`.
            let spec = model::find("llama-3-8b").expect("llama-3-8b is in the catalogue");
            let request: EstimateRequest = serde_json::from_value(json!({
                "model": {"spec": spec}, "task": "lora", "precision": "bf16",
                "micro_batch": 4, "sequence": 2048, "checkpointing": "full",
                "lora": {"rank": 16, "targets": ["q_proj", "v_proj"]},
            }))
            .expect("the estimate request parses");
            for _ in 0..n {
                let e = estimate(std::hint::black_box(&request)).expect("an estimate");
                sum = sum.wrapping_add(e.peak_bytes);
            }
        }
        "plan-lora" | "plan-pretrain" => {
            let request = if what == "plan-lora" {
                plan_request(json!({"task": "lora", "model": {"catalogue": "llama-3.1-8b"}}))
            } else {
                plan_request(json!({"task": "pretrain"}))
            };
            for _ in 0..n {
                let p = plan(std::hint::black_box(&request)).expect("a plan");
                sum = sum.wrapping_add(p.configurations.len() as u64);
            }
        }
        _ => panic!("usage: repeat estimate|plan-lora|plan-pretrain N"),
    }
    println!("{sum}");
}
