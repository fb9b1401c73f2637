//! The accelerator catalogue: peak throughput, memory bandwidth and power of GPUs and Apple chips
//! by name, each with its published source. Values the probe fills from here are marked
//! [`Source::Catalogue`](super::Source::Catalogue).
//!
//! Data: vendor datasheets and whitepapers, dense (no-sparsity) rates, each entry's `source`
//! naming its document, plus Apple's binned M3 Max and M4 Max parts, whose bandwidth differs by
//! GPU core count (apple.com tech specs).

use alloc::vec::Vec;
use serde::Serialize;

use super::profile::Vendor;

/// Peak dense throughput per dtype, TFLOP/s (TOP/s for int8); `None` where the part has no such unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct SpecTflops {
    /// fp32 (non-tensor).
    pub fp32: Option<f64>,
    /// TF32 tensor.
    pub tf32: Option<f64>,
    /// fp16 tensor, fp32 accumulate.
    pub fp16: Option<f64>,
    /// bf16 tensor, fp32 accumulate.
    pub bf16: Option<f64>,
    /// fp8 tensor.
    pub fp8: Option<f64>,
    /// int8 tensor, TOP/s.
    pub int8: Option<f64>,
}

/// One catalogue entry, as the npm package's `accelerators()` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", derive(tsify::Tsify))]
pub struct AcceleratorSpec {
    /// Display name.
    pub name: &'static str,
    /// Vendor.
    pub vendor: Vendor,
    /// Architecture, lowercase: `turing`, `ampere`, `hopper`, `cdna3`, `rdna3`, `xe-hpg`, `apple-m4`.
    pub architecture: &'static str,
    /// Memory per device in GiB (the largest configuration for Apple chips, whose memory varies).
    pub memory_gib: f64,
    /// Peak memory bandwidth, GB/s.
    pub bandwidth_gbs: f64,
    /// Peak throughput.
    pub tflops: SpecTflops,
    /// Board power (TDP), W.
    pub tdp_w: Option<f64>,
    /// GPU cores (Apple).
    pub gpu_cores: Option<u32>,
    /// Neural Engine cores (Apple).
    pub neural_engine_cores: Option<u32>,
    /// The throughput figures are derived (clock × units) rather than published.
    pub estimated: bool,
    /// Where the numbers come from.
    pub source: &'static str,
    /// Token sets: a device name matches when it holds every token of one set.
    #[serde(skip)]
    names: &'static [&'static [&'static str]],
}

/// Words that change which part a name means. A name carrying one matches only an entry whose
/// token set carries it too, so `RTX 3060 Ti`, `RTX 4090 Laptop` or `M2 Max` never fall back
/// to the plain part.
const QUALIFIERS: &[&str] = &[
    "ti", "super", "laptop", "mobile", "max", "pro", "ultra", "xt", "xtx", "gre", "q",
];

/// Allowed difference between the memory a device reports and its catalogue entry's, as a
/// fraction: drivers report a little less than the marketed size (an H100 80GB shows 79.6 GiB),
/// while a different memory size means a different part (A100 40GB PCIe vs 80GB).
const MEMORY_TOLERANCE: f64 = 0.10;

/// Every entry.
pub fn accelerators() -> &'static [AcceleratorSpec] {
    CATALOGUE
}

/// Entries whose name, vendor or architecture contains every word of `query` (ignoring case),
/// in catalogue order; all for an empty query. As [`crate::model::search`] does for models.
pub fn search(query: &str) -> Vec<&'static AcceleratorSpec> {
    let matches = crate::model::catalogue::every_word(query);
    CATALOGUE
        .iter()
        .filter(|spec| {
            matches(&alloc::format!(
                "{} {} {}",
                spec.name,
                spec.vendor,
                spec.architecture
            ))
        })
        .collect()
}

/// The entry a device name denotes, if any.
///
/// `memory_bytes` (the memory the device reports, or else a size written in the name such as
/// `80GB`) rules out parts of another memory size; it is ignored for Apple chips, whose memory
/// is configurable. `gpu_cores` picks between binned
/// variants of an Apple chip. Among matching entries the most specific (most tokens) wins.
pub fn find_accelerator(
    name: &str,
    memory_bytes: Option<u64>,
    gpu_cores: Option<u32>,
) -> Option<&'static AcceleratorSpec> {
    let mut words: [&str; 24] = [""; 24];
    let mut n = 0;
    let lower = alloc::string::String::from(name).to_lowercase();
    for w in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !w.is_empty() && n < words.len() {
            words[n] = w;
            n += 1;
        }
    }
    let words = &words[..n];
    // A size in the name (`A100-SXM4-40GB`) tells the part apart when the memory is not known.
    let named_gib = words
        .iter()
        .find_map(|w| w.strip_suffix("gb").and_then(|n| n.parse::<f64>().ok()));
    let memory_gib = memory_bytes.map(crate::math::gib).or(named_gib);
    let mut best: Option<(&AcceleratorSpec, usize, bool)> = None;
    for spec in CATALOGUE {
        let Some(tokens) = spec
            .names
            .iter()
            .filter(|set| set.iter().all(|t| words.contains(t)))
            .filter(|set| {
                words
                    .iter()
                    .all(|w| !QUALIFIERS.contains(w) || set.contains(w))
            })
            .map(|set| set.len())
            .max()
        else {
            continue;
        };
        if spec.vendor != Vendor::Apple {
            if let Some(gib) = memory_gib {
                if (gib - spec.memory_gib).abs() > spec.memory_gib * MEMORY_TOLERANCE {
                    continue;
                }
            }
        }
        let cores_match = match (gpu_cores, spec.gpu_cores) {
            (Some(have), Some(want)) => have == want,
            _ => false,
        };
        let better = match best {
            None => true,
            Some((_, t, c)) => tokens > t || (tokens == t && cores_match && !c),
        };
        if better {
            best = Some((spec, tokens, cores_match));
        }
    }
    best.map(|(spec, _, _)| spec)
}

/// One entry per part, its numbers from the datasheet its `source` names; token sets written by
/// hand.
static CATALOGUE: &[AcceleratorSpec] = &[
    AcceleratorSpec {
        name: "NVIDIA T4",
        vendor: Vendor::Nvidia,
        architecture: "turing",
        memory_gib: 16.0,
        bandwidth_gbs: 320.0,
        tflops: SpecTflops { fp32: Some(8.1), tf32: None, fp16: Some(65.0), bf16: None, fp8: None, int8: Some(130.0) },
        tdp_w: Some(70.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA T4 Tensor Core GPU datasheet (nvidia.com/content/dam/en-zz/Solutions/Data-Center/tesla-t4/t4-tensor-core-datasheet-951643.pdf)",
        names: &[&["t4"]],
    },
    AcceleratorSpec {
        name: "NVIDIA V100 SXM2 32GB",
        vendor: Vendor::Nvidia,
        architecture: "volta",
        memory_gib: 32.0,
        bandwidth_gbs: 900.0,
        tflops: SpecTflops { fp32: Some(15.7), tf32: None, fp16: Some(125.0), bf16: None, fp8: None, int8: None },
        tdp_w: Some(300.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA V100 datasheet (images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf)",
        names: &[&["v100", "sxm2"]],
    },
    AcceleratorSpec {
        name: "NVIDIA V100 PCIe 32GB",
        vendor: Vendor::Nvidia,
        architecture: "volta",
        memory_gib: 32.0,
        bandwidth_gbs: 900.0,
        tflops: SpecTflops { fp32: Some(14.0), tf32: None, fp16: Some(112.0), bf16: None, fp8: None, int8: None },
        tdp_w: Some(250.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA V100 datasheet",
        names: &[&["v100", "pcie"]],
    },
    AcceleratorSpec {
        name: "NVIDIA A10",
        vendor: Vendor::Nvidia,
        architecture: "ampere",
        memory_gib: 24.0,
        bandwidth_gbs: 600.0,
        tflops: SpecTflops { fp32: Some(31.2), tf32: Some(62.5), fp16: Some(125.0), bf16: Some(125.0), fp8: None, int8: Some(250.0) },
        tdp_w: Some(150.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA A10 datasheet (nvidia.com/content/dam/en-zz/Solutions/Data-Center/a10/pdf/datasheet-new/nvidia-a10-datasheet.pdf)",
        names: &[&["a10"]],
    },
    AcceleratorSpec {
        name: "NVIDIA A100 SXM4 40GB",
        vendor: Vendor::Nvidia,
        architecture: "ampere",
        memory_gib: 40.0,
        bandwidth_gbs: 1555.0,
        tflops: SpecTflops { fp32: Some(19.5), tf32: Some(156.0), fp16: Some(312.0), bf16: Some(312.0), fp8: None, int8: Some(624.0) },
        tdp_w: Some(400.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA A100 datasheet (nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf)",
        names: &[&["a100", "sxm4"]],
    },
    AcceleratorSpec {
        name: "NVIDIA A100 SXM4 80GB",
        vendor: Vendor::Nvidia,
        architecture: "ampere",
        memory_gib: 80.0,
        bandwidth_gbs: 2039.0,
        tflops: SpecTflops { fp32: Some(19.5), tf32: Some(156.0), fp16: Some(312.0), bf16: Some(312.0), fp8: None, int8: Some(624.0) },
        tdp_w: Some(400.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA A100 datasheet",
        names: &[&["a100", "sxm4"]],
    },
    AcceleratorSpec {
        name: "NVIDIA A100 PCIe 80GB",
        vendor: Vendor::Nvidia,
        architecture: "ampere",
        memory_gib: 80.0,
        bandwidth_gbs: 1935.0,
        tflops: SpecTflops { fp32: Some(19.5), tf32: Some(156.0), fp16: Some(312.0), bf16: Some(312.0), fp8: None, int8: Some(624.0) },
        tdp_w: Some(300.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA A100 datasheet",
        names: &[&["a100", "pcie"]],
    },
    AcceleratorSpec {
        name: "NVIDIA L4",
        vendor: Vendor::Nvidia,
        architecture: "ada",
        memory_gib: 24.0,
        bandwidth_gbs: 300.0,
        tflops: SpecTflops { fp32: Some(30.3), tf32: Some(60.0), fp16: Some(121.0), bf16: Some(121.0), fp8: Some(242.5), int8: Some(242.5) },
        tdp_w: Some(72.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA L4 datasheet (resources.nvidia.com/en-us-data-center-overview/l4-gpu-datasheet)",
        names: &[&["l4"]],
    },
    AcceleratorSpec {
        name: "NVIDIA L40S",
        vendor: Vendor::Nvidia,
        architecture: "ada",
        memory_gib: 48.0,
        bandwidth_gbs: 864.0,
        tflops: SpecTflops { fp32: Some(91.6), tf32: Some(183.0), fp16: Some(362.0), bf16: Some(362.0), fp8: Some(733.0), int8: Some(733.0) },
        tdp_w: Some(350.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA L40S datasheet (resources.nvidia.com/en-us-l40s/l40s-datasheet-28413)",
        names: &[&["l40s"]],
    },
    AcceleratorSpec {
        name: "NVIDIA H100 SXM5 80GB",
        vendor: Vendor::Nvidia,
        architecture: "hopper",
        memory_gib: 80.0,
        bandwidth_gbs: 3350.0,
        tflops: SpecTflops { fp32: Some(67.0), tf32: Some(494.7), fp16: Some(989.4), bf16: Some(989.4), fp8: Some(1978.9), int8: Some(1978.9) },
        tdp_w: Some(700.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA H100 Tensor Core GPU datasheet (resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet)",
        names: &[&["h100", "hbm3"], &["h100", "sxm5"], &["h100", "sxm"]],
    },
    AcceleratorSpec {
        name: "NVIDIA H100 PCIe 80GB",
        vendor: Vendor::Nvidia,
        architecture: "hopper",
        memory_gib: 80.0,
        bandwidth_gbs: 2000.0,
        tflops: SpecTflops { fp32: Some(51.0), tf32: Some(378.0), fp16: Some(756.0), bf16: Some(756.0), fp8: Some(1513.0), int8: Some(1513.0) },
        tdp_w: Some(350.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA H100 datasheet (PCIe column)",
        names: &[&["h100", "pcie"]],
    },
    AcceleratorSpec {
        name: "NVIDIA H200 SXM 141GB",
        vendor: Vendor::Nvidia,
        architecture: "hopper",
        memory_gib: 141.0,
        bandwidth_gbs: 4800.0,
        tflops: SpecTflops { fp32: Some(67.0), tf32: Some(494.7), fp16: Some(989.4), bf16: Some(989.4), fp8: Some(1978.9), int8: Some(1978.9) },
        tdp_w: Some(700.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA H200 product page/datasheet (nvidia.com/en-us/data-center/h200/)",
        names: &[&["h200"]],
    },
    AcceleratorSpec {
        name: "NVIDIA B200 (HGX, per GPU)",
        vendor: Vendor::Nvidia,
        architecture: "blackwell",
        memory_gib: 180.0,
        bandwidth_gbs: 7700.0,
        tflops: SpecTflops { fp32: Some(75.0), tf32: Some(1100.0), fp16: Some(2250.0), bf16: Some(2250.0), fp8: Some(4500.0), int8: Some(4500.0) },
        tdp_w: Some(1000.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA HGX B200 specifications table (nvidia.com/en-us/data-center/hgx/): per-GPU FP8 9 PF, FP16/BF16 4.5 PF, TF32 2.2 PF (all sparse), FP32 75 TF, 180 GB HBM3e, 7.7 TB/s, up to 1000 W",
        names: &[&["b200"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 2080 Ti",
        vendor: Vendor::Nvidia,
        architecture: "turing",
        memory_gib: 11.0,
        bandwidth_gbs: 616.0,
        tflops: SpecTflops { fp32: Some(13.4), tf32: None, fp16: Some(53.8), bf16: None, fp8: None, int8: Some(215.2) },
        tdp_w: Some(250.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA Turing architecture whitepaper (reference-clock column)",
        names: &[&["rtx", "2080", "ti"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 3060 12GB",
        vendor: Vendor::Nvidia,
        architecture: "ampere",
        memory_gib: 12.0,
        bandwidth_gbs: 360.0,
        tflops: SpecTflops { fp32: Some(12.7), tf32: Some(12.7), fp16: Some(25.5), bf16: Some(25.5), fp8: None, int8: Some(101.9) },
        tdp_w: Some(170.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: true,
        source: "Derived from NVIDIA Ampere GA102 whitepaper per-SM rates x 28 SMs x 1.777 GHz boost; memory/TDP from nvidia.com spec page",
        names: &[&["rtx", "3060"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 3090",
        vendor: Vendor::Nvidia,
        architecture: "ampere",
        memory_gib: 24.0,
        bandwidth_gbs: 936.0,
        tflops: SpecTflops { fp32: Some(35.6), tf32: Some(35.6), fp16: Some(71.0), bf16: Some(71.0), fp8: None, int8: Some(284.0) },
        tdp_w: Some(350.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA Ampere GA102 whitepaper (RTX 3090 column)",
        names: &[&["rtx", "3090"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 4060",
        vendor: Vendor::Nvidia,
        architecture: "ada",
        memory_gib: 8.0,
        bandwidth_gbs: 272.0,
        tflops: SpecTflops { fp32: Some(15.1), tf32: Some(15.1), fp16: Some(30.2), bf16: Some(30.2), fp8: Some(60.4), int8: Some(120.9) },
        tdp_w: Some(115.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: true,
        source: "Derived from NVIDIA Ada Lovelace whitepaper per-SM rates x 24 SMs x 2.46 GHz boost; spec page for memory/TDP",
        names: &[&["rtx", "4060"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 4070",
        vendor: Vendor::Nvidia,
        architecture: "ada",
        memory_gib: 12.0,
        bandwidth_gbs: 504.0,
        tflops: SpecTflops { fp32: Some(29.1), tf32: Some(29.1), fp16: Some(58.3), bf16: Some(58.3), fp8: Some(116.6), int8: Some(233.2) },
        tdp_w: Some(200.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: true,
        source: "Derived from Ada whitepaper per-SM rates x 46 SMs x 2.475 GHz; spec page",
        names: &[&["rtx", "4070"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 4080",
        vendor: Vendor::Nvidia,
        architecture: "ada",
        memory_gib: 16.0,
        bandwidth_gbs: 716.8,
        tflops: SpecTflops { fp32: Some(48.7), tf32: Some(48.7), fp16: Some(97.5), bf16: Some(97.5), fp8: Some(194.9), int8: Some(389.9) },
        tdp_w: Some(320.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: true,
        source: "NVIDIA Ada Lovelace whitepaper (RTX 4080 16GB column) / derived 76 SMs x 2.505 GHz",
        names: &[&["rtx", "4080"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 4090",
        vendor: Vendor::Nvidia,
        architecture: "ada",
        memory_gib: 24.0,
        bandwidth_gbs: 1008.0,
        tflops: SpecTflops { fp32: Some(82.6), tf32: Some(82.6), fp16: Some(165.2), bf16: Some(165.2), fp8: Some(330.3), int8: Some(660.6) },
        tdp_w: Some(450.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "NVIDIA Ada Lovelace GPU architecture whitepaper, Appendix (RTX 4090 column)",
        names: &[&["rtx", "4090"]],
    },
    AcceleratorSpec {
        name: "NVIDIA GeForce RTX 5090",
        vendor: Vendor::Nvidia,
        architecture: "blackwell",
        memory_gib: 32.0,
        bandwidth_gbs: 1792.0,
        tflops: SpecTflops { fp32: Some(104.8), tf32: Some(104.8), fp16: Some(209.5), bf16: Some(209.5), fp8: Some(419.0), int8: Some(838.0) },
        tdp_w: Some(575.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: true,
        source: "Derived: 170 SMs x 4 tensor cores x 256 FP16 FLOP/clk x 2.407 GHz boost (RTX Blackwell whitepaper pattern); memory/TDP from nvidia.com spec page",
        names: &[&["rtx", "5090"]],
    },
    AcceleratorSpec {
        name: "AMD Instinct MI210",
        vendor: Vendor::Amd,
        architecture: "cdna2",
        memory_gib: 64.0,
        bandwidth_gbs: 1638.4,
        tflops: SpecTflops { fp32: Some(22.6), tf32: None, fp16: Some(181.0), bf16: Some(181.0), fp8: None, int8: Some(181.0) },
        tdp_w: Some(300.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "AMD Instinct MI210 product page/datasheet (amd.com)",
        names: &[&["mi210"]],
    },
    AcceleratorSpec {
        name: "AMD Instinct MI250X",
        vendor: Vendor::Amd,
        architecture: "cdna2",
        memory_gib: 128.0,
        bandwidth_gbs: 3276.8,
        tflops: SpecTflops { fp32: Some(47.9), tf32: None, fp16: Some(383.0), bf16: Some(383.0), fp8: None, int8: Some(383.0) },
        tdp_w: Some(560.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "AMD Instinct MI250X product page/datasheet (amd.com/en/products/accelerators/instinct/mi200/mi250x.html)",
        names: &[&["mi250x"]],
    },
    AcceleratorSpec {
        name: "AMD Instinct MI300X",
        vendor: Vendor::Amd,
        architecture: "cdna3",
        memory_gib: 192.0,
        bandwidth_gbs: 5300.0,
        tflops: SpecTflops { fp32: Some(163.4), tf32: Some(653.7), fp16: Some(1307.4), bf16: Some(1307.4), fp8: Some(2614.9), int8: Some(2614.9) },
        tdp_w: Some(750.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "AMD Instinct MI300X datasheet/product page (amd.com/en/products/accelerators/instinct/mi300/mi300x.html)",
        names: &[&["mi300x"]],
    },
    AcceleratorSpec {
        name: "AMD Radeon RX 7900 XTX",
        vendor: Vendor::Amd,
        architecture: "rdna3",
        memory_gib: 24.0,
        bandwidth_gbs: 960.0,
        tflops: SpecTflops { fp32: Some(61.4), tf32: None, fp16: Some(122.8), bf16: Some(122.8), fp8: None, int8: None },
        tdp_w: Some(355.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: false,
        source: "AMD Radeon RX 7900 XTX product page (amd.com) - 'peak single precision 61.4 TFLOPs, peak half precision 122.8 TFLOPs'",
        names: &[&["7900", "xtx"]],
    },
    AcceleratorSpec {
        name: "Intel Arc A770 16GB",
        vendor: Vendor::Intel,
        architecture: "xe-hpg",
        memory_gib: 16.0,
        bandwidth_gbs: 560.0,
        tflops: SpecTflops { fp32: Some(17.2), tf32: None, fp16: Some(137.6), bf16: Some(137.6), fp8: None, int8: Some(275.2) },
        tdp_w: Some(225.0),
        gpu_cores: None,
        neural_engine_cores: None,
        estimated: true,
        source: "Intel Arc A770 product brief / ark.intel.com (graphics clock 2100 MHz; 512 XMX engines)",
        names: &[&["arc", "a770"]],
    },
    AcceleratorSpec {
        name: "Apple M1",
        vendor: Vendor::Apple,
        architecture: "apple-m1",
        memory_gib: 16.0,
        bandwidth_gbs: 68.25,
        tflops: SpecTflops { fp32: Some(2.6), tf32: None, fp16: Some(2.6), bf16: None, fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(8),
        neural_engine_cores: Some(16),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m1"]],
    },
    AcceleratorSpec {
        name: "Apple M1 Pro",
        vendor: Vendor::Apple,
        architecture: "apple-m1",
        memory_gib: 32.0,
        bandwidth_gbs: 200.0,
        tflops: SpecTflops { fp32: Some(5.3), tf32: None, fp16: Some(5.3), bf16: None, fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(16),
        neural_engine_cores: Some(16),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m1", "pro"]],
    },
    AcceleratorSpec {
        name: "Apple M1 Max",
        vendor: Vendor::Apple,
        architecture: "apple-m1",
        memory_gib: 64.0,
        bandwidth_gbs: 400.0,
        tflops: SpecTflops { fp32: Some(10.6), tf32: None, fp16: Some(10.6), bf16: None, fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(32),
        neural_engine_cores: Some(16),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m1", "max"]],
    },
    AcceleratorSpec {
        name: "Apple M1 Ultra",
        vendor: Vendor::Apple,
        architecture: "apple-m1",
        memory_gib: 128.0,
        bandwidth_gbs: 800.0,
        tflops: SpecTflops { fp32: Some(21.2), tf32: None, fp16: Some(21.2), bf16: None, fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(64),
        neural_engine_cores: Some(32),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m1", "ultra"]],
    },
    AcceleratorSpec {
        name: "Apple M2",
        vendor: Vendor::Apple,
        architecture: "apple-m2",
        memory_gib: 24.0,
        bandwidth_gbs: 100.0,
        tflops: SpecTflops { fp32: Some(3.6), tf32: None, fp16: Some(3.6), bf16: Some(3.6), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(10),
        neural_engine_cores: Some(16),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m2"]],
    },
    AcceleratorSpec {
        name: "Apple M2 Pro",
        vendor: Vendor::Apple,
        architecture: "apple-m2",
        memory_gib: 32.0,
        bandwidth_gbs: 200.0,
        tflops: SpecTflops { fp32: Some(6.8), tf32: None, fp16: Some(6.8), bf16: Some(6.8), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(19),
        neural_engine_cores: Some(16),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m2", "pro"]],
    },
    AcceleratorSpec {
        name: "Apple M2 Max",
        vendor: Vendor::Apple,
        architecture: "apple-m2",
        memory_gib: 96.0,
        bandwidth_gbs: 400.0,
        tflops: SpecTflops { fp32: Some(13.6), tf32: None, fp16: Some(13.6), bf16: Some(13.6), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(38),
        neural_engine_cores: Some(16),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m2", "max"]],
    },
    AcceleratorSpec {
        name: "Apple M2 Ultra",
        vendor: Vendor::Apple,
        architecture: "apple-m2",
        memory_gib: 192.0,
        bandwidth_gbs: 800.0,
        tflops: SpecTflops { fp32: Some(27.2), tf32: None, fp16: Some(27.2), bf16: Some(27.2), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(76),
        neural_engine_cores: Some(32),
        estimated: false,
        source: "philipturner/metal-benchmarks README GPU table (clock x cores x 128 ALUs x 2); bandwidth/memory from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m2", "ultra"]],
    },
    AcceleratorSpec {
        name: "Apple M3",
        vendor: Vendor::Apple,
        architecture: "apple-m3",
        memory_gib: 24.0,
        bandwidth_gbs: 100.0,
        tflops: SpecTflops { fp32: Some(3.6), tf32: None, fp16: Some(3.6), bf16: Some(3.6), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(10),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.398 GHz (Apple does not publish M3 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m3"]],
    },
    AcceleratorSpec {
        name: "Apple M3 Pro",
        vendor: Vendor::Apple,
        architecture: "apple-m3",
        memory_gib: 36.0,
        bandwidth_gbs: 150.0,
        tflops: SpecTflops { fp32: Some(6.4), tf32: None, fp16: Some(6.4), bf16: Some(6.4), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(18),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.398 GHz (Apple does not publish M3 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m3", "pro"]],
    },
    AcceleratorSpec {
        name: "Apple M3 Max (40-core GPU)",
        vendor: Vendor::Apple,
        architecture: "apple-m3",
        memory_gib: 128.0,
        bandwidth_gbs: 400.0,
        tflops: SpecTflops { fp32: Some(14.3), tf32: None, fp16: Some(14.3), bf16: Some(14.3), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(40),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.398 GHz (Apple does not publish M3 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m3", "max"]],
    },
    AcceleratorSpec {
        name: "Apple M3 Max (30-core GPU)",
        vendor: Vendor::Apple,
        architecture: "apple-m3",
        memory_gib: 128.0,
        bandwidth_gbs: 300.0,
        tflops: SpecTflops { fp32: Some(10.72), tf32: None, fp16: Some(10.72), bf16: Some(10.72), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(30),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.398 GHz (Apple does not publish M3 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra); binned 30-core GPU: bandwidth from apple.com tech specs, TFLOP/s scaled by cores (30/40)",
        names: &[&["apple", "m3", "max"]],
    },
    AcceleratorSpec {
        name: "Apple M3 Ultra",
        vendor: Vendor::Apple,
        architecture: "apple-m3",
        memory_gib: 512.0,
        bandwidth_gbs: 819.0,
        tflops: SpecTflops { fp32: Some(28.6), tf32: None, fp16: Some(28.6), bf16: Some(28.6), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(80),
        neural_engine_cores: Some(32),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.398 GHz (Apple does not publish M3 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m3", "ultra"]],
    },
    AcceleratorSpec {
        name: "Apple M4",
        vendor: Vendor::Apple,
        architecture: "apple-m4",
        memory_gib: 32.0,
        bandwidth_gbs: 120.0,
        tflops: SpecTflops { fp32: Some(4.0), tf32: None, fp16: Some(4.0), bf16: Some(4.0), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(10),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.578 GHz (Apple does not publish M4 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m4"]],
    },
    AcceleratorSpec {
        name: "Apple M4 Pro",
        vendor: Vendor::Apple,
        architecture: "apple-m4",
        memory_gib: 64.0,
        bandwidth_gbs: 273.0,
        tflops: SpecTflops { fp32: Some(8.1), tf32: None, fp16: Some(8.1), bf16: Some(8.1), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(20),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.578 GHz (Apple does not publish M4 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m4", "pro"]],
    },
    AcceleratorSpec {
        name: "Apple M4 Max (40-core GPU)",
        vendor: Vendor::Apple,
        architecture: "apple-m4",
        memory_gib: 128.0,
        bandwidth_gbs: 546.0,
        tflops: SpecTflops { fp32: Some(16.2), tf32: None, fp16: Some(16.2), bf16: Some(16.2), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(40),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.578 GHz (Apple does not publish M4 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra)",
        names: &[&["apple", "m4", "max"]],
    },
    AcceleratorSpec {
        name: "Apple M4 Max (32-core GPU)",
        vendor: Vendor::Apple,
        architecture: "apple-m4",
        memory_gib: 128.0,
        bandwidth_gbs: 410.0,
        tflops: SpecTflops { fp32: Some(12.96), tf32: None, fp16: Some(12.96), bf16: Some(12.96), fp8: None, int8: None },
        tdp_w: None,
        gpu_cores: Some(32),
        neural_engine_cores: Some(16),
        estimated: true,
        source: "ESTIMATE: cores x 128 FP32 lanes x 2 x ~1.578 GHz (Apple does not publish M4 GPU TFLOPs; +-15%); memory/bandwidth from apple.com tech specs; Neural Engine cores: Apple tech specs (16 per die, 32 for Ultra); binned 32-core GPU: bandwidth from apple.com tech specs, TFLOP/s scaled by cores (32/40)",
        names: &[&["apple", "m4", "max"]],
    },
];
