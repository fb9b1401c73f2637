//! The data path and power-supply headroom of a plan, against their sources: the dataset table's
//! published sizes, the tokenizer's published rate, link-speed arithmetic, Intel's power-supply
//! sizing example; and the properties that a plan never needs more temporary disk than is free
//! without saying so, and never runs above the power supply's safe share without saying so.

use proptest::prelude::*;
use serde_json::{json, Value};
use trainfit_core::plan::{
    plan, CacheTier, Configuration, DataLocation, KnownDataset, Mode, Plan, PlanRequest,
    RateSource, PSU_SAFE_SHARE, TEXT_BYTES_PER_TOKEN,
};
use trainfit_core::warning::WarningCode;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/data/profiles/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn plan_of(profile: Value, goal: Value) -> Plan {
    let request: PlanRequest =
        serde_json::from_value(json!({"profile": profile, "goal": goal})).unwrap();
    plan(&request).unwrap()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

fn codes(c: &Configuration) -> Vec<WarningCode> {
    c.warnings.iter().map(|w| w.code).collect()
}

// ---------------------------------------------------------------------------------------------
// The dataset table.

#[test]
fn dataset_table_restates_its_sources() {
    // FineWeb: "15-trillion tokens, 44TB disk space": 44e12 / 15e12 = 2.933 bytes per token.
    let f = KnownDataset::Fineweb.facts();
    assert_eq!(
        (f.bytes, f.tokens),
        (44_000_000_000_000, 15_000_000_000_000)
    );
    assert!(close(f.bytes_per_token(), 2.9333, 1e-4));
    // FineWeb-Edu: 1.3T tokens at FineWeb's bytes per token: 1.3e12 x 2.9333 = 3.813e12 bytes.
    let e = KnownDataset::FinewebEdu.facts();
    assert_eq!(e.tokens, 1_300_000_000_000);
    assert!(close(e.bytes_per_token(), f.bytes_per_token(), 1e-9));
    // SlimPajama: 895 GB compressed for 627B tokens: 1.427 bytes per token.
    let s = KnownDataset::Slimpajama.facts();
    assert!(close(s.bytes_per_token(), 895.0 / 627.0, 1e-9));
    // The Pile: 825.18 GiB = 825.18 x 2^30 = 886,030,278,328 bytes; 299,892,736,000 tokens:
    // 2.954 bytes per token.
    let pile = KnownDataset::Pile.facts();
    assert_eq!(pile.bytes, (825.18 * (1u64 << 30) as f64) as u64);
    assert!(close(pile.bytes_per_token(), 2.9545, 1e-4));
    // OpenWebText: 38 GB of text, 9,035,582,198 + 4,434,897 tokens: 4.20 bytes per token, close
    // to the 4 bytes of English per GPT-style token the planner assumes for unknown text.
    let owt = KnownDataset::Openwebtext.facts();
    assert_eq!(owt.tokens, 9_035_582_198 + 4_434_897);
    assert!(close(owt.bytes_per_token(), 4.2035, 1e-4));
    assert!(close(owt.bytes_per_token(), TEXT_BYTES_PER_TOKEN, 0.06));
    for d in KnownDataset::ALL {
        assert!((1.0..5.0).contains(&d.facts().bytes_per_token()));
    }
}

// ---------------------------------------------------------------------------------------------
// Download, first pass, tokenisation.

#[test]
fn a_hub_download_runs_at_the_link_speed_or_the_measured_rate() {
    // The RTX 4090 desktop's up Ethernet link is 2500 Mbit/s: 2500 / 8 = 312.5 MB/s.
    let goal = json!({"dataset": {"name": "fineweb"}, "tokens": 1_000_000_000u64});
    let p = plan_of(fixture("rtx4090-desktop"), goal.clone());
    for c in &p.configurations {
        let d = c.data.as_ref().unwrap();
        assert_eq!(d.location, DataLocation::Hub);
        assert_eq!(d.source_rate, Some(RateSource::LinkSpeed));
        assert_eq!(d.source_mbs, Some(312.5));
        // The run's tokens (whole steps, at least 1e9) of FineWeb at 2.9333 bytes each: about
        // 2.93 GB, 9.4 s at 312.5 MB/s.
        let tokens = c.time.tokens as f64;
        assert!((1e9..1.01e9).contains(&tokens));
        assert!(close(d.fetch_bytes as f64, tokens * 44.0 / 15.0, 1e-6));
        assert!(close(
            d.first_pass_s.unwrap(),
            d.fetch_bytes as f64 / 312.5e6,
            1e-9
        ));
        // Tokenising 1e9 tokens of 4 bytes at 50 MB/s: 4e9 / 50e6 = 80 s.
        assert!(close(d.tokenise_s, tokens * 4.0 / 50e6, 1e-9));
        assert!(close(d.tokenise_s, 80.0, 0.01));
        // Tokenised with a 32,000-token vocabulary: 2 bytes per token.
        assert_eq!(d.tokenised_bytes, c.time.tokens * 2);
        // Temporary disk: the download, the shards and 16 bytes per sequence of index.
        let sequences = c.time.tokens.div_ceil(c.sequence);
        assert_eq!(
            d.temporary_bytes,
            d.fetch_bytes + d.tokenised_bytes + 16 * sequences
        );
        assert_eq!(d.epochs, tokens / 15e12);
    }
    // A measured `trainfit net test` of 0.8 Gbit/s wins over the link: 0.8 x 125 = 100 MB/s.
    let mut profile = fixture("rtx4090-desktop");
    profile["benchmarks"]["network"] = json!([{"peer": "10.0.0.2:5201",
        "receive_gbps": {"value": 0.8, "source": "measured"}}]);
    let p = plan_of(profile, goal);
    let d = p.configurations[0].data.as_ref().unwrap();
    assert_eq!(d.source_rate, Some(RateSource::MeasuredNetwork));
    assert!(close(d.source_mbs.unwrap(), 100.0, 1e-12));
}

#[test]
fn local_data_reads_at_the_disks_rate_and_needs_no_download() {
    // No dataset: the run's tokens on the largest local disk, an NVMe drive, read at the 2000
    // MB/s assumed for NVMe without a benchmark; a measured read under its mount wins.
    let p = plan_of(fixture("rtx4090-desktop"), json!({}));
    let d = p.configurations[0].data.as_ref().unwrap();
    assert_eq!(d.location, DataLocation::Local);
    assert_eq!(d.source_rate, Some(RateSource::AssumedStorage));
    assert_eq!(d.source_mbs, Some(2000.0));
    assert_eq!(d.epochs, 1.0);
    assert_eq!(d.stored_bytes_per_token, TEXT_BYTES_PER_TOKEN);
    // Nothing is downloaded: shards and index only.
    assert!(d.temporary_bytes < d.tokenised_bytes + d.tokenised_bytes / 100);
    let mut profile = fixture("rtx4090-desktop");
    profile["benchmarks"]["storage"] = json!([{"path": "/data/trainfit-bench", "size_bytes": 1u64 << 30,
        "read_mbs": {"value": 3200.0, "source": "measured"}}]);
    let p = plan_of(profile, json!({}));
    let d = p.configurations[0].data.as_ref().unwrap();
    assert_eq!(d.source_rate, Some(RateSource::MeasuredStorage));
    assert_eq!(d.source_mbs, Some(3200.0));
}

#[test]
fn shards_go_to_ram_when_the_page_cache_holds_them_else_the_fastest_disk_with_room() {
    // 64 GB desktop, no cgroup limit: 66,561,433,600 - 2 GiB (OS reserve) - the run's host memory.
    let p = plan_of(
        fixture("rtx4090-desktop"),
        json!({"tokens": 1_000_000_000u64}),
    );
    let c = &p.configurations[0];
    let d = c.data.as_ref().unwrap();
    assert_eq!(
        d.page_cache_bytes,
        Some(66_561_433_600 - (2u64 << 30) - c.memory.host_bytes)
    );
    assert_eq!(d.cache, CacheTier::Ram);
    // 100B tokens make 200 GB of shards, beyond the page cache: the NVMe drive with the most
    // room (both have 400 GiB; the first of equals is kept).
    let p = plan_of(
        fixture("rtx4090-desktop"),
        json!({"tokens": 100_000_000_000u64}),
    );
    let d = p.configurations[0].data.as_ref().unwrap();
    assert_eq!(d.cache, CacheTier::Nvme);
    assert!(d.cache_mount.is_some());
    assert_eq!(d.cache_read_mbs, Some(2000.0));
    // 2000 MB/s of 2-byte tokens: 1e9 tokens/s, far above any one GPU's training rate.
    assert_eq!(d.cache_keeps_up, Some(true));
}

#[test]
fn a_slow_link_makes_the_data_path_set_the_pace_and_says_so() {
    // A measured 1 Mbit/s: 0.125 MB/s of the Pile at 2.9545 bytes per token is
    // 125,000 / 2.9545 = 42,308 tokens/s, below what the RTX 4090 trains.
    let mut profile = fixture("rtx4090-desktop");
    profile["benchmarks"]["network"] = json!([{"peer": "10.0.0.2:5201",
        "receive_gbps": {"value": 0.001, "source": "measured"}}]);
    let p = plan_of(profile, json!({"dataset": {"name": "pile"}}));
    for c in &p.configurations {
        let d = c.data.as_ref().unwrap();
        let stream = d.stream_tokens_per_s.unwrap();
        assert!(close(
            stream,
            125_000.0 / (886_030_278_328.0 / 299_892_736_000.0),
            1e-9
        ));
        assert!(close(stream, 42_308.0, 1e-4));
        let train = c.time.tokens_per_s.unwrap();
        assert!(train > stream, "{train}");
        assert_eq!(d.streaming_keeps_up, Some(false));
        let w = c
            .warnings
            .iter()
            .find(|w| w.code == WarningCode::DataPathBound)
            .expect("data_path_bound");
        assert!(w.message.contains("42308 tokens/s"), "{}", w.message);
        assert!(w.message.contains("pre-tokenise"), "{}", w.message);
    }
}

#[test]
fn tokenisation_on_the_fly_caps_streaming_at_the_tokenizers_rate() {
    // On a 100 Gbit/s link (12,500 MB/s) streaming is bounded by the tokenizer: 50 MB/s of text
    // at 4 bytes per token = 12.5M tokens/s.
    let mut profile = fixture("h100x8-node");
    profile["benchmarks"]["network"] = json!([{"peer": "10.0.0.2:5201",
        "receive_gbps": {"value": 100.0, "source": "measured"}}]);
    let p = plan_of(
        profile,
        json!({"dataset": {"name": "slimpajama", "location": "object_store"}}),
    );
    let d = p.configurations[0].data.as_ref().unwrap();
    assert_eq!(d.location, DataLocation::ObjectStore);
    assert_eq!(d.stream_tokens_per_s, Some(12_500_000.0));
}

#[test]
fn tokenisation_reads_the_tables_text_per_token_where_it_is_text() {
    // OpenWebText's 38 GB are of text: 38e9 / 9,040,017,095 = 4.2035 bytes of text per GPT-2
    // token, so the tokenizer's 50 MB/s of text is 50e6 / 4.2035 = 11.895M tokens/s (not the
    // 12.5M of the 4-byte rule), and tokenising the run's tokens takes tokens x 4.2035 / 50e6 s.
    let mut profile = fixture("h100x8-node");
    profile["benchmarks"]["network"] = json!([{"peer": "10.0.0.2:5201",
        "receive_gbps": {"value": 100.0, "source": "measured"}}]);
    let p = plan_of(
        profile.clone(),
        json!({"dataset": {"name": "openwebtext", "location": "object_store"}}),
    );
    let text_bpt = 38e9 / 9_040_017_095.0;
    for c in &p.configurations {
        let d = c.data.as_ref().unwrap();
        assert!(close(
            d.stream_tokens_per_s.unwrap(),
            50e6 / text_bpt,
            1e-12
        ));
        assert!(close(d.stream_tokens_per_s.unwrap(), 11_894_759.0, 1e-7));
        let fetched = c.time.tokens.min(d.dataset_tokens) as f64;
        assert!(close(d.tokenise_s, fetched * text_bpt / 50e6, 1e-12));
    }
    // The Pile's 825.18 GiB are raw text too: 2.9545 bytes per GPT-NeoX token.
    let pile = KnownDataset::Pile.facts();
    assert_eq!(pile.text_bytes_per_token(), Some(pile.bytes_per_token()));
    // FineWeb's 44 TB are parquet, compressed: its text per token is not known, and the
    // tokenizer reads the 4 bytes of the rule.
    assert_eq!(KnownDataset::Fineweb.facts().text_bytes_per_token(), None);
    let p = plan_of(
        profile,
        json!({"dataset": {"name": "fineweb", "location": "object_store"}}),
    );
    let d = p.configurations[0].data.as_ref().unwrap();
    assert_eq!(d.stream_tokens_per_s, Some(50e6 / TEXT_BYTES_PER_TOKEN));
}

#[test]
fn a_slow_disk_is_one_warning_not_two() {
    // The RTX 4090 desktop with its data disk measured at 0.1 MB/s: the local dataset streams
    // at 1e5 / 4 = 25,000 tokens/s of text, below what it trains (about 100,000 tokens/s), and
    // training reads 2-byte tokens faster than 0.1 MB/s; both the data path and time's storage
    // check see the same slow disk, and the plan says it once, with the data path's numbers.
    let mut profile = fixture("rtx4090-desktop");
    profile["benchmarks"]["storage"] = json!([{"path": "/data/trainfit-bench", "size_bytes": 1u64 << 30,
        "read_mbs": {"value": 0.1, "source": "measured"}}]);
    let p = plan_of(profile, json!({}));
    for c in &p.configurations {
        let d = c.data.as_ref().unwrap();
        assert_eq!(d.source_mbs, Some(0.1));
        assert_eq!(d.stream_tokens_per_s, Some(25_000.0));
        assert_eq!(d.streaming_keeps_up, Some(false));
        // Training reads more than the disk gives: the condition of data_loading_bottleneck.
        let need_mbs = c.time.tokens_per_s.unwrap() * 2.0 / 1e6;
        assert!(need_mbs > 0.1, "{need_mbs}");
        let both: Vec<WarningCode> = codes(c)
            .into_iter()
            .filter(|w| {
                matches!(
                    w,
                    WarningCode::DataPathBound | WarningCode::DataLoadingBottleneck
                )
            })
            .collect();
        assert_eq!(both, [WarningCode::DataPathBound], "{}", c.mode);
    }
    // A slow disk the data is not on (a benchmark of another mount) leaves the data path
    // alone, and time's warning is the only one.
    let mut profile = fixture("rtx4090-desktop");
    profile["benchmarks"]["storage"] = json!([{"path": "/mnt/usb/trainfit-bench", "size_bytes": 1u64 << 30,
        "read_mbs": {"value": 0.1, "source": "measured"}}]);
    let p = plan_of(profile, json!({}));
    let c = &p.configurations[0];
    assert_eq!(c.data.as_ref().unwrap().streaming_keeps_up, Some(true));
    assert!(codes(c).contains(&WarningCode::DataLoadingBottleneck));
    assert!(!codes(c).contains(&WarningCode::DataPathBound));
}

#[test]
fn serving_has_no_data_path() {
    let p = plan_of(
        fixture("rtx4090-desktop"),
        json!({"task": "serve", "model": {"catalogue": "qwen2.5-0.5b"}}),
    );
    assert!(p.configurations.iter().all(|c| c.data.is_none()));
}

#[test]
fn a_dataset_larger_than_the_free_disk_warns_with_its_numbers() {
    // The whole Pile from the hub: 886.0 GB of download and 299.9B tokens x 2 bytes = 599.8 GB
    // of shards, against 400 GiB = 429.5 GB free.
    let p = plan_of(
        fixture("rtx4090-desktop"),
        json!({"dataset": {"name": "pile"}, "tokens": 400_000_000_000u64}),
    );
    let c = &p.configurations[0];
    let d = c.data.as_ref().unwrap();
    assert_eq!(d.dataset_tokens, 299_892_736_000);
    assert!(d.epochs > 1.33);
    assert_eq!(d.fetch_bytes, 886_030_278_328);
    assert_eq!(d.tokenised_bytes, 299_892_736_000 * 2);
    assert_eq!(d.disk_free_bytes, Some(400u64 << 30));
    let w = c
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::TemporaryDisk)
        .expect("temporary_disk");
    assert!(w.message.contains("download 886.0 GB"), "{}", w.message);
    assert!(
        w.message.contains("tokenised shards 599.8 GB"),
        "{}",
        w.message
    );
    assert!(w.message.contains("429.5 GB are free"), "{}", w.message);
}

#[test]
fn bad_dataset_and_power_supply_fields_are_refused() {
    for goal in [
        json!({"dataset": {"tokens": 0}}),
        json!({"dataset": {"bytes": 0}}),
        json!({"psu_w": 0.0}),
        json!({"psu_w": -850.0}),
        json!({"psu_w": 1e6}),
    ] {
        let request: PlanRequest = serde_json::from_value(
            json!({"profile": fixture("rtx4090-desktop"), "goal": goal.clone()}),
        )
        .unwrap();
        let err = plan(&request).unwrap_err().to_string();
        assert!(err.contains("goal."), "{goal}: {err}");
    }
    let bad: Result<PlanRequest, _> = serde_json::from_value(
        json!({"profile": fixture("rtx4090-desktop"), "goal": {"dataset": {"name": "c5"}}}),
    );
    assert!(bad.is_err());
}

// ---------------------------------------------------------------------------------------------
// Power-supply headroom.

/// One GPU of `tdp` W whose limit can be set down to 100 W, a CPU whose RAPL limit reads
/// `cpu` W, on a desktop.
fn workstation(tdp: f64, cpu: f64) -> Value {
    json!({
        "host": {"form_factor": "desktop"},
        "cpu": {"sockets": {"value": 1, "source": "measured"}},
        "memory": {"total_bytes": {"value": 68719476736u64, "source": "measured"}},
        "power": {"cpu_package_limit_w": {"value": cpu, "source": "measured"}},
        "accelerators": [{
            "vendor": "nvidia", "name": "NVIDIA RTX A6000", "kind": "discrete",
            "compute_capability": "8.6",
            "memory_total_bytes": {"value": 51527024640u64, "source": "measured"},
            "tdp_w": {"value": tdp, "source": "user"},
            "power_min_limit_w": {"value": 100.0, "source": "measured"}
        }]
    })
}

#[test]
fn intels_sizing_example_sits_at_the_safe_share() {
    // Intel: a 300 W GPU, a 300 W CPU and 150 W for the rest, 750 W, on an 1,100 W ATX 2.x
    // supply: 750 / 1100 = 0.682, the safe share itself. Extreme runs the GPU uncapped.
    let p = plan_of(workstation(300.0, 300.0), json!({"psu_w": 1100.0}));
    let c = p
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Extreme)
        .unwrap();
    let s = c.power.system.as_ref().unwrap();
    assert_eq!((s.accelerators_w, s.cpu_w, s.rest_w), (300.0, 300.0, 150.0));
    assert_eq!(s.total_w, 750.0);
    assert!(close(s.load_share, 750.0 / 1100.0, 1e-12));
    assert!(close(s.safe_share, PSU_SAFE_SHARE, 1e-12));
    assert!(!codes(c).contains(&WarningCode::PsuHeadroom));
    assert_eq!(c.power.power_cap_w, None);
    // The same system on a 750 W ATX 3.0 supply: full rating, no warning.
    let p = plan_of(
        workstation(300.0, 300.0),
        json!({"psu_w": 750.0, "psu_atx3": true}),
    );
    let c = p
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Extreme)
        .unwrap();
    assert_eq!(c.power.system.as_ref().unwrap().safe_share, 1.0);
    assert!(!codes(c).contains(&WarningCode::PsuHeadroom));
}

#[test]
fn a_small_supply_gets_the_cap_that_fits() {
    // On 1,000 W (not ATX 3.0): 0.6818 x 1000 = 681.8 W for the system, less CPU 300 W and rest
    // 150 W: 231.8 W for the GPU, which extreme (uncapped, 300 W) exceeds. The plan caps it at
    // 231.8 W and its speed follows: cbrt(231.8 / 300) = 0.918.
    let p = plan_of(workstation(300.0, 300.0), json!({"psu_w": 1000.0}));
    let c = p
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Extreme)
        .unwrap();
    let cap = c.power.power_cap_w.unwrap();
    assert!(close(cap, 1000.0 * 750.0 / 1100.0 - 450.0, 1e-9));
    assert!(close(cap, 231.8, 1e-3));
    assert!(close(c.time.power_cap_speed, (cap / 300.0).cbrt(), 1e-9));
    assert!(close(c.time.power_cap_speed, 0.918, 1e-3));
    let s = c.power.system.as_ref().unwrap();
    assert!(close(s.total_w, 681.8, 1e-3));
    let w = c
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::PsuHeadroom)
        .expect("psu_headroom");
    assert!(w.message.contains("about 750 W"), "{}", w.message);
    assert!(w.message.contains("nvidia-smi -pl 232"), "{}", w.message);
    // Conservative's own cap (40 % of 300 = 120 W) is below the supply's: unchanged, no warning.
    let c = p
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Conservative)
        .unwrap();
    assert_eq!(c.power.power_cap_w, Some(120.0));
    assert!(!codes(c).contains(&WarningCode::PsuHeadroom));
    // On 750 W: 511.4 - 450 = 61.4 W, under the 100 W lowest limit: the cap stops at 100 W and
    // the system still draws 550 W, so the warning names the supply that would do: 550 / 0.6818
    // = 807 W.
    let p = plan_of(workstation(300.0, 300.0), json!({"psu_w": 750.0}));
    let c = p
        .configurations
        .iter()
        .find(|c| c.mode == Mode::Extreme)
        .unwrap();
    assert_eq!(c.power.power_cap_w, Some(100.0));
    let w = c
        .warnings
        .iter()
        .find(|w| w.code == WarningCode::PsuHeadroom)
        .expect("psu_headroom");
    assert!(w.message.contains("at least 807 W"), "{}", w.message);
}

#[test]
fn the_profiles_rating_is_used_and_the_goals_wins() {
    let mut profile = workstation(300.0, 300.0);
    profile["power"]["psu_w"] = json!({"value": 1000.0, "source": "user"});
    let p = plan_of(profile.clone(), json!({}));
    assert_eq!(
        p.configurations[2].power.system.as_ref().unwrap().psu_w,
        1000.0
    );
    let p = plan_of(profile, json!({"psu_w": 1600.0}));
    assert_eq!(
        p.configurations[2].power.system.as_ref().unwrap().psu_w,
        1600.0
    );
    // Without a rating there is no system section.
    let p = plan_of(workstation(300.0, 300.0), json!({}));
    assert!(p.configurations.iter().all(|c| c.power.system.is_none()));
}

#[test]
fn cpu_estimates_by_class_without_a_reading() {
    // The RTX 4090 desktop has no RAPL reading: 170 W (Ryzen 9 7950X TDP); an uncapped 450 W
    // GPU, and 150 W for the rest: 770 W on an 850 W supply, above 0.6818 x 850 = 579.5 W.
    let p = plan_of(fixture("rtx4090-desktop"), json!({"psu_w": 850.0}));
    let c = &p.configurations[2];
    let s = c.power.system.as_ref().unwrap();
    assert_eq!((s.cpu_w, s.total_w), (170.0, 770.0));
    assert!(codes(c).contains(&WarningCode::PsuHeadroom));
    // The 8-GPU node has two sockets: 2 x 225 W (EPYC 7742 TDP).
    let p = plan_of(fixture("h100x8-node"), json!({"psu_w": 10_200.0}));
    let s = p.configurations[0].power.system.as_ref().unwrap();
    assert_eq!(s.cpu_w, 450.0);
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A plan never needs more temporary disk than is free without a `temporary_disk` warning,
    /// and never warns when it fits.
    #[test]
    fn temporary_disk_beyond_the_free_space_always_warns(
        free_gib in 1u64..2000,
        tokens_e8 in 1u64..20_000,
        which in 0usize..5,
        location in 0usize..4,
    ) {
        let mut profile = fixture("rtx4090-desktop");
        for s in profile["storage"].as_array_mut().unwrap() {
            s["available_bytes"]["value"] = json!(free_gib << 30);
        }
        let name = KnownDataset::ALL[which];
        let location = DataLocation::ALL[location];
        let p = plan_of(profile, json!({"tokens": tokens_e8 * 100_000_000,
            "dataset": {"name": name.as_str(), "location": location.as_str()}}));
        for c in &p.configurations {
            let d = c.data.as_ref().unwrap();
            let warned = codes(c).contains(&WarningCode::TemporaryDisk);
            prop_assert_eq!(d.temporary_bytes > d.disk_free_bytes.unwrap(), warned);
            prop_assert!(d.first_pass_s.unwrap().is_finite() && d.tokenise_s.is_finite());
        }
    }

    /// With a rating, a configuration either stays within the safe share of the supply or says
    /// so; a cap the supply sets never goes below the device's lowest limit.
    #[test]
    fn the_system_stays_within_the_supply_or_warns(
        psu in 200.0f64..3000.0,
        tdp in 150.0f64..700.0,
        cpu in 15.0f64..400.0,
        atx3 in proptest::bool::ANY,
    ) {
        let p = plan_of(workstation(tdp, cpu), json!({"psu_w": psu, "psu_atx3": atx3}));
        for c in &p.configurations {
            let s = c.power.system.as_ref().unwrap();
            let over = s.total_w > s.safe_share * s.psu_w * (1.0 + 1e-9);
            prop_assert!(!over || codes(c).contains(&WarningCode::PsuHeadroom));
            if let Some(cap) = c.power.power_cap_w {
                prop_assert!(cap >= 100.0 && cap <= tdp);
            }
        }
    }
}
