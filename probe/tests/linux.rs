//! The Linux readers on file trees recorded from real machines (`tests/fixtures/<name>/`, sources
//! in `tests/fixtures/README.md`), on an empty tree, and on this machine.

use std::path::PathBuf;

use trainfit_core::hardware::{
    Accelerator, AcceleratorKind, Backend, BatteryStatus, Container, CpuFlag, FormFactor,
    HardwareProfile, MemorySource, NetworkInterface, NetworkKind, Os, Reader, Storage, StorageKind,
    SwapKind, Value, Vendor, Virtualization,
};
use trainfit_core::math::GIB;
use trainfit_probe::linux::{read, statvfs_space};
use trainfit_probe::root::Root;

const KIB: u64 = 1024;

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Reads a fixture; `space` stands in for statvfs, `(mount, total, available)`.
fn probe(name: &str, space: &[(&str, u64, u64)]) -> HardwareProfile {
    let table: Vec<(String, u64, u64)> = space
        .iter()
        .map(|(m, t, a)| (m.to_string(), *t, *a))
        .collect();
    let fake = move |mount: &str| {
        table
            .iter()
            .find(|(m, _, _)| m == mount)
            .map(|(_, t, a)| (*t, *a))
    };
    let mut profile = HardwareProfile::default();
    read(&Root::at(fixture_dir(name)), &fake, &mut profile);
    profile
}

fn val<T: Copy>(v: Option<Value<T>>) -> Option<T> {
    v.map(|v| v.value)
}

fn mount<'a>(p: &'a HardwareProfile, point: &str) -> &'a Storage {
    p.storage
        .iter()
        .find(|s| s.mount_point == point)
        .unwrap_or_else(|| panic!("no mount {point} in {:?}", mounts(p)))
}

fn mounts(p: &HardwareProfile) -> Vec<&str> {
    p.storage.iter().map(|s| s.mount_point.as_str()).collect()
}

fn iface<'a>(p: &'a HardwareProfile, name: &str) -> &'a NetworkInterface {
    p.network
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no interface {name}"))
}

fn gpu<'a>(p: &'a HardwareProfile, bdf: &str) -> &'a Accelerator {
    p.accelerators
        .iter()
        .find(|a| a.pci_bus_id.as_deref() == Some(bdf))
        .unwrap_or_else(|| panic!("no accelerator at {bdf}"))
}

fn sensor(p: &HardwareProfile, label: &str) -> (Option<f64>, Option<f64>) {
    let s = p
        .thermal
        .iter()
        .find(|s| s.label == label)
        .unwrap_or_else(|| panic!("no sensor {label}"));
    (val(s.temperature_c), val(s.critical_c))
}

/// Whether `text` holds something shaped like an Ethernet MAC address (`xx:xx:xx:xx:xx:xx`).
fn has_mac(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        (0..6).all(|k| {
            let at = i + k * 3;
            at + 2 <= b.len()
                && b[at].is_ascii_hexdigit()
                && b[at + 1].is_ascii_hexdigit()
                && (k == 5 || b.get(at + 2) == Some(&b':'))
        })
    })
}

const FIXTURES: [&str; 9] = [
    "nvidia-workstation",
    "nvidia-8gpu-node",
    "amd-discrete",
    "amd-apu",
    "intel-arc",
    "laptop-battery",
    "container-cgroup",
    "vm-virtio",
    "cpu-only",
];

#[test]
fn every_fixture_reads_without_errors_and_leaks_no_identifiers() {
    assert!(has_mac("addr 00:00:5e:00:53:01 end"));
    assert!(!has_mac("0000:01:00.0 and 10:30:00"));
    for name in FIXTURES {
        let p = probe(name, &[]);
        assert_eq!(p.errors, vec![], "{name}");
        let json = serde_json::to_string(&p).unwrap();
        assert!(
            !has_mac(&json),
            "{name}: a hardware address reached the profile"
        );
        assert!(
            !json.contains("GPU-0000"),
            "{name}: a GPU UUID reached the profile"
        );
        assert!(!json.contains("\"uuid\":\""), "{name}");
    }
}

#[test]
fn nvidia_workstation() {
    let p = probe(
        "nvidia-workstation",
        &[
            ("/", 1_967_317_549_056, 1_021_544_857_600),
            ("/data", 3_936_818_417_664, 2_204_632_166_400),
            ("/dev/shm", 33_280_716_800, 33_280_716_800),
        ],
    );
    assert_eq!(p.host.os, Some(Os::Linux));
    assert_eq!(p.host.os_name.as_deref(), Some("Ubuntu 22.04.4 LTS"));
    assert_eq!(p.host.kernel.as_deref(), Some("6.5.0-28-generic"));
    assert_eq!(p.host.wsl, Some(false));
    assert_eq!(p.host.container, None);
    assert_eq!(p.host.virtualization, None);
    assert_eq!(p.host.form_factor, Some(FormFactor::Desktop));
    // Not the live root: arch and available_parallelism are the live machine's to say.
    assert_eq!(p.host.arch, None);
    assert_eq!(p.cpu.available_parallelism, None);

    let cpu = &p.cpu;
    assert_eq!(
        cpu.brand.as_deref(),
        Some("AMD Ryzen 9 7950X 16-Core Processor")
    );
    assert_eq!(cpu.vendor.as_deref(), Some("AuthenticAMD"));
    // The recorded cpuinfo keeps cores 0 and 1 and their SMT siblings 16 and 17.
    assert_eq!(val(cpu.logical_cores), Some(4));
    assert_eq!(val(cpu.physical_cores), Some(2));
    assert_eq!(val(cpu.sockets), Some(1));
    assert_eq!(val(cpu.performance_cores), None);
    assert_eq!(val(cpu.max_mhz), Some(5881));
    assert_eq!(val(cpu.cgroup_quota_cores), None);
    assert_eq!(
        cpu.flags,
        [
            CpuFlag::Avx,
            CpuFlag::Avx2,
            CpuFlag::Fma,
            CpuFlag::F16c,
            CpuFlag::Avx512f,
            CpuFlag::Avx512bw,
            CpuFlag::Avx512Vnni,
            CpuFlag::Avx512Bf16
        ]
    );
    assert_eq!(cpu.numa_nodes.len(), 1);
    assert_eq!(cpu.numa_nodes[0].cpus.as_deref(), Some("0-31"));
    assert_eq!(val(cpu.numa_nodes[0].memory_bytes), Some(65_001_400 * KIB));

    let m = &p.memory;
    assert_eq!(val(m.total_bytes), Some(65_001_400 * KIB));
    assert_eq!(val(m.available_bytes), Some(61_842_020 * KIB));
    assert_eq!(
        val(m.cgroup_limit_bytes),
        None,
        "memory.max is `max` at every level"
    );
    assert_eq!(val(m.cgroup_usage_bytes), Some(2_412_728_320));
    assert_eq!(val(m.swap_total_bytes), Some(2_097_148 * KIB));
    assert_eq!(val(m.swap_used_bytes), Some(0));
    assert_eq!(m.swap_devices.len(), 1);
    assert_eq!(m.swap_devices[0].name, "/swapfile");
    assert_eq!(m.swap_devices[0].kind, Some(SwapKind::File));
    assert_eq!(val(m.shm_bytes), Some(33_280_716_800));
    assert_eq!(m.unified, None);

    assert_eq!(p.accelerators.len(), 1);
    let g = gpu(&p, "0000:01:00.0");
    assert_eq!(g.vendor, Vendor::Nvidia);
    assert_eq!(g.name, "NVIDIA GeForce RTX 4090");
    assert_eq!(g.driver_version.as_deref(), Some("550.54.14"));
    assert_eq!(g.backend, Some(Backend::Cuda));
    assert_eq!(g.sources, [Reader::Sysfs]);
    // Memory, kind and the rest are NVML's to fill.
    assert_eq!(g.memory_total_bytes, None);
    assert_eq!(g.kind, AcceleratorKind::Unknown);
    assert_eq!(g.uuid, None);
    let link = g.pcie.unwrap();
    // Idle at 2.5 GT/s (gen 1) on a 16 GT/s (gen 4) x16 link.
    assert_eq!(
        (
            link.gen_current,
            link.gen_max,
            link.width_current,
            link.width_max
        ),
        (Some(1), Some(4), Some(16), Some(16))
    );
    assert_eq!(g.numa_node, None, "numa_node -1 is unknown");

    assert_eq!(mounts(&p), ["/", "/data"], "no /boot/efi, snaps, tmpfs");
    let root = mount(&p, "/");
    assert_eq!(root.device.as_deref(), Some("nvme0n1"));
    assert_eq!(root.kind, Some(StorageKind::Nvme));
    assert_eq!(root.file_system.as_deref(), Some("ext4"));
    assert_eq!(val(root.total_bytes), Some(1_967_317_549_056));
    assert_eq!(val(root.available_bytes), Some(1_021_544_857_600));
    assert_eq!(root.read_only, Some(false));
    assert_eq!(root.removable, Some(false));

    let eth = iface(&p, "enp14s0");
    assert_eq!(eth.kind, Some(NetworkKind::Ethernet));
    assert_eq!(
        (eth.up, val(eth.speed_mbps), eth.mtu),
        (Some(true), Some(2500), Some(1500))
    );
    let wifi = iface(&p, "wlp15s0");
    assert_eq!(
        (wifi.kind, wifi.up, val(wifi.speed_mbps)),
        (Some(NetworkKind::Wifi), Some(false), None)
    );
    assert_eq!(iface(&p, "docker0").kind, Some(NetworkKind::Virtual));
    assert_eq!(
        val(iface(&p, "docker0").speed_mbps),
        None,
        "speed -1 is unknown"
    );
    let lo = iface(&p, "lo");
    assert_eq!((lo.kind, lo.up), (Some(NetworkKind::Loopback), Some(true)));

    assert_eq!(p.power.has_battery, Some(false));
    assert_eq!(p.power.on_battery, Some(false));
    assert_eq!(p.power.ac_online, None);
    assert_eq!(p.power.rapl_readable, Some(false), "energy_uj is root-only");
    assert_eq!(
        p.power.cpu_package_limit_w, None,
        "AMD RAPL has no limit constraint"
    );

    assert_eq!(sensor(&p, "k10temp Tctl"), (Some(45.25), None));
    assert_eq!(sensor(&p, "nvme Composite"), (Some(38.85), Some(84.85)));
}

#[test]
fn nvidia_8gpu_node() {
    let p = probe("nvidia-8gpu-node", &[]);
    assert_eq!(p.host.form_factor, Some(FormFactor::Server));
    assert_eq!(p.host.os_name.as_deref(), Some("Ubuntu 20.04.6 LTS"));

    // Recorded: cores 0 and 1 of each socket and their SMT siblings (8 of the 256 CPUs).
    let cpu = &p.cpu;
    assert_eq!(
        cpu.brand.as_deref(),
        Some("AMD EPYC 7742 64-Core Processor")
    );
    assert_eq!(val(cpu.sockets), Some(2));
    assert_eq!(val(cpu.physical_cores), Some(4));
    assert_eq!(val(cpu.logical_cores), Some(8));
    assert_eq!(val(cpu.max_mhz), Some(2250));
    // Zen 2 has AVX2 but no AVX-512; its `sme` (Secure Memory Encryption) is not arm64 SME.
    assert_eq!(
        cpu.flags,
        [CpuFlag::Avx, CpuFlag::Avx2, CpuFlag::Fma, CpuFlag::F16c]
    );
    let nodes: Vec<(u32, Option<&str>, Option<u64>)> = cpu
        .numa_nodes
        .iter()
        .map(|n| (n.node, n.cpus.as_deref(), val(n.memory_bytes)))
        .collect();
    assert_eq!(
        nodes,
        [
            (0, Some("0-63,128-191"), Some(528_195_236 * KIB)),
            (1, Some("64-127,192-255"), Some(528_405_656 * KIB)),
        ]
    );
    assert_eq!(val(cpu.cgroup_quota_cores), None, "cfs_quota_us -1");

    // cgroup v1: the unlimited sentinel at every level.
    assert_eq!(val(p.memory.total_bytes), Some(1_056_600_892 * KIB));
    assert_eq!(val(p.memory.cgroup_limit_bytes), None);
    assert_eq!(val(p.memory.cgroup_usage_bytes), Some(5_378_048_000));

    // Eight A100s from /proc/driver/nvidia (no nvidia-drm), the ASPEED BMC console skipped.
    let bus: Vec<&str> = p
        .accelerators
        .iter()
        .filter_map(|a| a.pci_bus_id.as_deref())
        .collect();
    assert_eq!(
        bus,
        [
            "0000:07:00.0",
            "0000:0f:00.0",
            "0000:47:00.0",
            "0000:4e:00.0",
            "0000:87:00.0",
            "0000:90:00.0",
            "0000:b7:00.0",
            "0000:bd:00.0"
        ]
    );
    for (i, a) in p.accelerators.iter().enumerate() {
        assert_eq!(a.vendor, Vendor::Nvidia);
        assert_eq!(a.name, "NVIDIA A100-SXM4-80GB");
        assert_eq!(a.driver_version.as_deref(), Some("535.161.08"));
        assert_eq!(a.numa_node, Some(if i < 4 { 0 } else { 1 }));
        let link = a.pcie.unwrap();
        assert_eq!((link.gen_current, link.width_current), (Some(4), Some(16)));
        assert_eq!(a.sources, [Reader::Sysfs]);
    }

    let ib0 = iface(&p, "ib0");
    assert_eq!(ib0.kind, Some(NetworkKind::Infiniband));
    assert_eq!(
        (ib0.up, val(ib0.speed_mbps), ib0.mtu),
        (Some(true), Some(200_000), Some(4092))
    );
    let ib1 = iface(&p, "ib1");
    assert_eq!(
        (ib1.kind, ib1.up, val(ib1.speed_mbps)),
        (Some(NetworkKind::Infiniband), Some(false), None)
    );
    assert_eq!(val(iface(&p, "enp226s0").speed_mbps), Some(25_000));

    assert_eq!(mounts(&p), ["/", "/raid", "/mnt/datasets"]);
    let raid = mount(&p, "/raid");
    assert_eq!(
        (raid.device.as_deref(), raid.kind),
        (Some("md1"), Some(StorageKind::Nvme))
    );
    let nfs = mount(&p, "/mnt/datasets");
    assert_eq!(
        (nfs.device.as_deref(), nfs.kind),
        (None, Some(StorageKind::Network))
    );
    assert_eq!(nfs.file_system.as_deref(), Some("nfs4"));

    // Two k10temp chips (one per socket), told apart by their hwmon.
    assert_eq!(sensor(&p, "k10temp hwmon0 Tctl").0, Some(38.0));
    assert_eq!(sensor(&p, "k10temp hwmon1 Tctl").0, Some(36.5));
}

#[test]
fn amd_discrete() {
    let p = probe("amd-discrete", &[]);
    assert_eq!(p.accelerators.len(), 2);

    let xtx = gpu(&p, "0000:03:00.0");
    assert_eq!(xtx.vendor, Vendor::Amd);
    assert_eq!(xtx.name, "AMD Radeon RX 7900 XTX");
    assert_eq!(xtx.kind, AcceleratorKind::Discrete);
    assert_eq!(val(xtx.memory_total_bytes), Some(25_753_026_560));
    assert_eq!(xtx.memory_source, Some(MemorySource::AmdgpuVram));
    assert_eq!(
        val(xtx.memory_free_bytes),
        Some(25_753_026_560 - 1_103_056_896)
    );
    assert_eq!(val(xtx.vram_bytes), Some(25_753_026_560));
    assert_eq!(val(xtx.gtt_bytes), Some(33_270_251_520));
    assert_eq!(xtx.architecture.as_deref(), Some("gfx1100"));
    assert_eq!(val(xtx.compute_units), Some(96));
    assert_eq!(xtx.backend, Some(Backend::Rocm));
    let link = xtx.pcie.unwrap();
    assert_eq!((link.gen_current, link.width_current), (Some(4), Some(16)));

    // The Ryzen 7900X's own Raphael iGPU: integrated, matched to its KFD node by render minor.
    let igpu = gpu(&p, "0000:13:00.0");
    assert_eq!(igpu.kind, AcceleratorKind::Integrated);
    assert_eq!(igpu.name, "AMD GPU [1002:164e]");
    assert_eq!(igpu.architecture.as_deref(), Some("gfx1036"));
    assert_eq!(val(igpu.compute_units), Some(2));
    assert_eq!(val(igpu.vram_bytes), Some(512 << 20));

    // A discrete card does the work: the iGPU's shared memory does not make the machine unified.
    assert_eq!(p.memory.unified, None);
    assert_eq!(sensor(&p, "amdgpu junction"), (Some(45.0), Some(110.0)));
}

#[test]
fn amd_apu_uses_gtt_without_double_counting() {
    let p = probe("amd-apu", &[]);
    assert_eq!(p.host.form_factor, Some(FormFactor::Laptop));
    assert_eq!(
        p.host.os_name.as_deref(),
        Some("Fedora Linux 40 (Workstation Edition)")
    );
    assert_eq!(
        p.cpu.brand.as_deref(),
        Some("AMD Ryzen 7 7840U w/ Radeon  780M Graphics")
    );

    // card0 is simpledrm's firmware framebuffer (no PCI class): not a GPU.
    assert_eq!(p.accelerators.len(), 1);
    let apu = gpu(&p, "0000:c1:00.0");
    assert_eq!(
        apu.name, "AMD Radeon 780M Graphics",
        "from the recorded amdgpu.ids"
    );
    assert_eq!(apu.kind, AcceleratorKind::Integrated);
    assert_eq!(val(apu.vram_bytes), Some(536_870_912));
    assert_eq!(val(apu.gtt_bytes), Some(16_396_013_568));
    assert_eq!(val(apu.memory_total_bytes), Some(16_396_013_568));
    assert_eq!(apu.memory_source, Some(MemorySource::AmdgpuGtt));
    assert_ne!(
        val(apu.memory_total_bytes),
        Some(536_870_912 + 16_396_013_568),
        "VRAM and GTT come from the same DIMMs"
    );
    assert_eq!(
        val(apu.memory_free_bytes),
        Some(16_396_013_568 - 122_683_392)
    );
    assert_eq!(apu.architecture.as_deref(), Some("gfx1103"));
    assert_eq!(val(apu.compute_units), Some(12));
    assert_eq!(p.memory.unified, Some(true));
    assert_eq!(val(p.memory.total_bytes), Some(32_023_468 * KIB));

    assert_eq!(p.memory.swap_devices[0].kind, Some(SwapKind::Zram));
    assert_eq!(mounts(&p), ["/", "/home"]);
    assert_eq!(mount(&p, "/home").kind, Some(StorageKind::Nvme));
    assert_eq!(iface(&p, "wlp1s0").kind, Some(NetworkKind::Wifi));

    // On the charger, held at the firmware's 80 % limit.
    let power = &p.power;
    assert_eq!(power.has_battery, Some(true));
    assert_eq!(power.ac_online, Some(true));
    assert_eq!(power.on_battery, Some(false));
    assert_eq!(val(power.battery_percent), Some(80.0));
    assert_eq!(power.battery_status, Some(BatteryStatus::NotCharging));
    assert_eq!(val(power.battery_draw_w), None);
    assert_eq!(sensor(&p, "acpitz"), (Some(46.85), Some(120.85)));
}

#[test]
fn intel_arc() {
    let p = probe("intel-arc", &[]);
    assert_eq!(p.accelerators.len(), 2);

    let arc = gpu(&p, "0000:03:00.0");
    assert_eq!(arc.vendor, Vendor::Intel);
    assert_eq!(arc.name, "Intel Arc A770 Graphics");
    assert_eq!(arc.kind, AcceleratorKind::Discrete);
    assert_eq!(val(arc.memory_total_bytes), Some(16 * GIB));
    assert_eq!(arc.memory_source, Some(MemorySource::XeVram));
    assert_eq!(arc.architecture.as_deref(), Some("xe-hpg"));
    assert_eq!(arc.backend, Some(Backend::Xpu));
    // The GPU function reports the link to the card's own switch, not the slot's.
    let link = arc.pcie.unwrap();
    assert_eq!((link.gen_current, link.width_current), (Some(1), Some(1)));

    let igpu = gpu(&p, "0000:00:02.0");
    assert_eq!(igpu.name, "Intel UHD Graphics 730");
    assert_eq!(igpu.kind, AcceleratorKind::Integrated);
    assert_eq!(igpu.memory_total_bytes, None, "shares system memory");
    assert_eq!(
        igpu.pcie, None,
        "an iGPU has no PCIe link (`Unknown`, width 0)"
    );

    assert_eq!(val(p.power.cpu_package_limit_w), Some(65.0));
    assert_eq!(
        p.cpu.flags,
        [
            CpuFlag::Avx,
            CpuFlag::Avx2,
            CpuFlag::Fma,
            CpuFlag::F16c,
            CpuFlag::AvxVnni
        ]
    );
}

#[test]
fn laptop_on_battery_with_hybrid_cpu() {
    let p = probe("laptop-battery", &[]);
    assert_eq!(p.host.form_factor, Some(FormFactor::Laptop));

    // i7-1260P: 4 P-cores with two threads each, 8 single-thread E-cores.
    let cpu = &p.cpu;
    assert_eq!(val(cpu.logical_cores), Some(16));
    assert_eq!(val(cpu.physical_cores), Some(12));
    assert_eq!(val(cpu.performance_cores), Some(4));
    assert_eq!(val(cpu.efficiency_cores), Some(8));
    assert_eq!(val(cpu.max_mhz), Some(4700));
    assert_eq!(
        cpu.flags,
        [
            CpuFlag::Avx,
            CpuFlag::Avx2,
            CpuFlag::Fma,
            CpuFlag::F16c,
            CpuFlag::AvxVnni
        ]
    );

    let power = &p.power;
    assert_eq!(
        power.has_battery,
        Some(true),
        "the mouse battery does not count"
    );
    assert_eq!(power.ac_online, Some(false));
    assert_eq!(power.on_battery, Some(true));
    assert_eq!(val(power.battery_percent), Some(64.0));
    assert_eq!(power.battery_status, Some(BatteryStatus::Discharging));
    // No power_now on this battery: current_now × voltage_now = 1.003 A × 8.123 V.
    let draw = val(power.battery_draw_w).unwrap();
    assert!((draw - 1.003 * 8.123).abs() < 1e-9, "{draw}");
    assert_eq!(power.rapl_readable, Some(false));
    assert_eq!(val(power.cpu_package_limit_w), Some(28.0));

    // / is LVM on LUKS on NVMe: dm-1 → dm-0 → nvme0n1p3 → nvme0n1.
    let root = mount(&p, "/");
    assert_eq!(
        (root.device.as_deref(), root.kind),
        (Some("dm-1"), Some(StorageKind::Nvme))
    );
    let usb = mount(&p, "/media/ana/KINGSTON");
    assert_eq!(usb.removable, Some(true));
    assert_eq!(usb.device.as_deref(), Some("sda"));
    assert_eq!(mounts(&p), ["/", "/media/ana/KINGSTON"]);

    assert_eq!(p.memory.swap_devices[0].name, "/dev/dm-2");
    assert_eq!(p.memory.swap_devices[0].kind, Some(SwapKind::Partition));
    assert_eq!(
        val(p.memory.swap_used_bytes),
        Some((4_194_300 - 3_768_572) * KIB)
    );

    let wifi = iface(&p, "wlp0s20f3");
    assert_eq!(
        (wifi.kind, wifi.up, val(wifi.speed_mbps)),
        (Some(NetworkKind::Wifi), Some(true), None)
    );
    let igpu = gpu(&p, "0000:00:02.0");
    assert_eq!(
        (igpu.name.as_str(), igpu.kind),
        ("Intel Iris Xe Graphics", AcceleratorKind::Integrated)
    );
    assert_eq!(sensor(&p, "acpitz"), (Some(25.0), Some(105.0)));
    assert_eq!(sensor(&p, "x86_pkg_temp"), (Some(52.0), None));
}

#[test]
fn container_with_cgroup_limits() {
    let p = probe(
        "container-cgroup",
        &[
            ("/", 502_392_610_816, 301_427_712_000),
            ("/workspace", 502_392_610_816, 301_427_712_000),
            ("/dev/shm", 64 << 20, 64 << 20),
        ],
    );
    assert_eq!(p.host.container, Some(Container::Docker));
    // The host's memory, and the 8 GiB the container may use.
    assert_eq!(val(p.memory.total_bytes), Some(65_775_980 * KIB));
    assert_eq!(val(p.memory.cgroup_limit_bytes), Some(8 * GIB));
    assert_eq!(val(p.memory.cgroup_usage_bytes), Some(1_318_912_000));
    assert_eq!(val(p.cpu.cgroup_quota_cores), Some(2.0));
    assert_eq!(
        val(p.memory.shm_bytes),
        Some(64 << 20),
        "Docker's 64 MB default"
    );

    // The overlay root is kept; the host files Docker binds into /etc are not.
    assert_eq!(mounts(&p), ["/", "/workspace"]);
    let root = mount(&p, "/");
    assert_eq!(root.file_system.as_deref(), Some("overlay"));
    assert_eq!((root.device.as_deref(), root.kind), (None, None));
    assert_eq!(val(root.total_bytes), Some(502_392_610_816));
    assert_eq!(mount(&p, "/workspace").kind, Some(StorageKind::Nvme));

    assert_eq!(
        iface(&p, "eth0").kind,
        Some(NetworkKind::Virtual),
        "a veth end"
    );
    assert_eq!(p.accelerators, vec![]);
}

#[test]
fn vm_with_virtio_disks() {
    let p = probe("vm-virtio", &[]);
    assert_eq!(p.host.virtualization, Some(Virtualization::Kvm));
    assert_eq!(p.host.form_factor, None, "chassis type 1 (Other)");
    assert_eq!(p.host.container, None);

    // virtio-blk says rotational=1 whatever backs it: virtual, not hdd.
    assert_eq!(mounts(&p), ["/", "/data"]);
    for point in ["/", "/data"] {
        assert_eq!(mount(&p, point).kind, Some(StorageKind::Virtual), "{point}");
    }
    assert_eq!(mount(&p, "/").device.as_deref(), Some("vda"));
    assert_eq!(mount(&p, "/data").device.as_deref(), Some("vdb"));

    let cpu = &p.cpu;
    assert_eq!(cpu.brand.as_deref(), Some("Intel Xeon Processor (Icelake)"));
    assert_eq!(
        (
            val(cpu.logical_cores),
            val(cpu.physical_cores),
            val(cpu.sockets)
        ),
        (Some(4), Some(4), Some(1))
    );
    // No cpufreq in the guest: the clock comes from `cpu MHz` (2593.906), marked estimated.
    assert_eq!(cpu.max_mhz, Some(Value::estimated(2594)));
    assert!(cpu.flags.contains(&CpuFlag::Avx512f));

    // QEMU's standard VGA is not an accelerator.
    assert_eq!(p.accelerators, vec![]);
    assert_eq!(
        val(iface(&p, "enp1s0").speed_mbps),
        None,
        "virtio-net reports -1"
    );
    assert_eq!(p.power.has_battery, Some(false));
}

#[test]
fn cpu_only_desktop() {
    let p = probe("cpu-only", &[]);
    assert_eq!(p.accelerators, vec![]);
    assert_eq!(val(p.memory.total_bytes), Some(16_303_100 * KIB));
    assert_eq!(
        p.cpu.brand.as_deref(),
        Some("Intel(R) Core(TM) i5-10400F CPU @ 2.90GHz")
    );
    assert_eq!(
        p.cpu.flags,
        [CpuFlag::Avx, CpuFlag::Avx2, CpuFlag::Fma, CpuFlag::F16c]
    );

    assert_eq!(mounts(&p), ["/", "/mnt/storage", "/srv/backup"]);
    let ssd = mount(&p, "/");
    assert_eq!(
        (ssd.device.as_deref(), ssd.kind),
        (Some("sda"), Some(StorageKind::Ssd))
    );
    let hdd = mount(&p, "/mnt/storage");
    assert_eq!(
        (hdd.device.as_deref(), hdd.kind),
        (Some("sdb"), Some(StorageKind::Hdd))
    );
    assert_eq!(mount(&p, "/srv/backup").read_only, Some(true));

    assert_eq!(p.memory.swap_devices[0].kind, Some(SwapKind::Partition));
    assert_eq!(val(p.power.cpu_package_limit_w), Some(65.0));
    assert_eq!(p.power.has_battery, Some(false));
    assert_eq!(p.host.form_factor, Some(FormFactor::Desktop));
}

#[test]
fn an_empty_root_records_errors_and_does_not_panic() {
    let dir = std::env::temp_dir().join(format!("trainfit-linux-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut p = HardwareProfile::default();
    read(&Root::at(&dir), &|_: &str| None, &mut p);
    let _ = std::fs::remove_dir_all(&dir);

    let sources: Vec<&str> = p.errors.iter().map(|e| e.source.as_str()).collect();
    for expected in [
        "/proc/cpuinfo",
        "/proc/meminfo",
        "/proc/sys/kernel/osrelease",
        "/etc/os-release",
        "/proc/mounts",
        "/sys/class/net",
    ] {
        assert!(sources.contains(&expected), "{expected} in {sources:?}");
    }
    assert_eq!(p.host.os, Some(Os::Linux));
    assert_eq!(p.cpu.logical_cores, None);
    assert_eq!(p.memory.total_bytes, None);
    assert_eq!(p.memory.shm_bytes, None);
    assert_eq!(
        p.power.has_battery, None,
        "no power_supply class: unknown, not false"
    );
    assert!(p.accelerators.is_empty() && p.storage.is_empty() && p.network.is_empty());
}

#[test]
fn i915_local_memory_and_garbage_files() {
    // An Arc card on Intel's out-of-tree i915, which puts lmem_total_bytes on the DRM card;
    // and files holding nonsense, which must read as unknown.
    let dir = std::env::temp_dir().join(format!("trainfit-linux-i915-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let put = |path: &str, text: &str| {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    put("sys/class/drm/card0/device.link", "../../../0000:03:00.0\n");
    put("sys/class/drm/card0/device/vendor", "0x8086\n");
    put("sys/class/drm/card0/device/device", "0x56a0\n");
    put("sys/class/drm/card0/device/class", "0x030000\n");
    put("sys/class/drm/card0/device/current_link_speed", "garbage\n");
    put("sys/class/drm/card0/lmem_total_bytes", "16225243136\n");
    put("proc/meminfo", "MemTotal: lots kB\nMemAvailable:\n");
    put("proc/cpuinfo", "processor\t: x\n\nnonsense\n");
    put("proc/self/cgroup", "0::/\n");
    put("sys/fs/cgroup/cgroup.controllers", "memory\n");
    put("sys/fs/cgroup/memory.max", "-5\n");
    put("sys/fs/cgroup/cpu.max", "max max\n");
    put("sys/devices/cpu_core/cpus", "7-3\n");
    put("sys/devices/cpu_atom/cpus", "0-4294967295\n");
    let mut p = HardwareProfile::default();
    read(&Root::at(&dir), &|_: &str| None, &mut p);
    let _ = std::fs::remove_dir_all(&dir);

    let arc = &p.accelerators[0];
    assert_eq!(val(arc.memory_total_bytes), Some(16_225_243_136));
    assert_eq!(arc.memory_source, Some(MemorySource::I915Lmem));
    assert_eq!(arc.kind, AcceleratorKind::Discrete);
    assert_eq!(arc.pcie, None);
    assert_eq!(p.memory.total_bytes, None);
    assert_eq!(p.memory.cgroup_limit_bytes, None);
    assert_eq!(p.cpu.cgroup_quota_cores, None);
    assert_eq!(p.cpu.logical_cores, None);
    assert_eq!(p.cpu.performance_cores, None);
}

/// This machine, read live: the counts match `/proc` read directly.
#[cfg(target_os = "linux")]
#[test]
fn this_machine() {
    let mut p = HardwareProfile::default();
    read(&Root::system(), &statvfs_space, &mut p);

    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap();
    let processors = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().map(str::trim) == Some("processor"))
        .count() as u32;
    assert_eq!(val(p.cpu.logical_cores), Some(processors));

    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(val(p.memory.total_bytes), Some(kib * KIB));

    assert_eq!(p.host.os, Some(Os::Linux));
    assert_eq!(p.host.arch.as_deref(), Some(std::env::consts::ARCH));
    assert!(val(p.cpu.available_parallelism).is_some_and(|n| n >= 1 && n <= processors));
    let root = mount(&p, "/");
    assert!(val(root.total_bytes).is_some_and(|t| t > 0));
    let json = serde_json::to_string(&p).unwrap();
    assert!(!has_mac(&json), "a hardware address reached the profile");
}
