//! Prints the three configurations of a plan request, one line each (a development aid).
fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: plan_demo REQUEST.json");
    let text = std::fs::read_to_string(path).expect("readable request");
    let req: trainfit_core::plan::PlanRequest =
        serde_json::from_str(&text).expect("a plan request");
    let t = std::time::Instant::now();
    let p = trainfit_core::plan::plan(&req).expect("a plan");
    eprintln!("plan took {:?}", t.elapsed());
    use trainfit_core::math::gib;
    for c in &p.configurations {
        println!(
            "{:?}: {} {}M fits={} mb={} acc={} gb={} seq={} ckpt={:?} peak={:.2}GiB target={:.2}GiB tok/s={:?} total_h={:?} mfu={:?} steps={} warn={:?}",
            c.mode, c.model.name, c.model.parameters / 1_000_000, c.fits, c.micro_batch,
            c.gradient_accumulation, c.global_batch, c.sequence, c.checkpointing,
            gib(c.memory.peak_bytes), gib(c.memory_target_bytes),
            c.time.tokens_per_s.map(|x| x as u64), c.time.total_s.map(|s| s / 3600.0),
            c.time.mfu, c.time.steps,
            c.warnings.iter().map(|w| w.code.as_str()).collect::<Vec<_>>()
        );
        for f in &c.fallbacks {
            println!("   fallback {} -> {:.2} GiB", f.action, gib(f.peak_bytes));
        }
    }
    println!(
        "score {} device {:?} {:?}",
        p.score.value, p.device.precision, p.device.peak_tflops
    );
    println!(
        "warnings {:?}",
        p.warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>()
    );
}
