//! An fp32 matrix multiply through a plain tiled WGSL compute shader (`matmul.wgsl`), per
//! adapter: a floor for what the GPU does with a general kernel, well below vendor libraries.
//!
//! Each adapter first multiplies a small case that is checked entry by entry against the CPU,
//! then runs the timed case and checks sampled entries of its result; a kernel that computes
//! wrong values reports an error, never a number. The inputs are multiples of 1/8 whose products
//! and sums are exact in fp32, so the GPU must match the CPU exactly whatever its summation
//! order.

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use trainfit_core::hardware::{GpuMatmul, Value};
use wgpu::util::DeviceExt;

use super::{backends, instance, run_with_deadline, AdapterRecord};
use crate::error::Error;

/// Matrix side of the benchmark: 2·2048³ ≈ 17 GFLOP per product, milliseconds on a discrete GPU
/// and under half a second on a slow integrated one; each 2048² fp32 matrix (16 MiB) fits the
/// 128 MiB storage binding of the WebGPU downlevel limits requested below.
pub const DEFAULT_MATMUL_N: u32 = 2048;

/// Tile side; must match `TILE` and `@workgroup_size` in `matmul.wgsl`.
const TILE: u32 = 16;

/// Side of the fully checked case: not a multiple of [`TILE`], so partial tiles are exercised.
const CHECK_N: u32 = 67;

/// Entries of the timed product compared with the CPU.
const SAMPLES: u32 = 16;

/// Largest difference from the CPU accepted. Results are exact (see the module comment); the
/// margin only absorbs a driver that flushes or fuses differently, far below any real error.
const TOLERANCE: f64 = 1e-3;

/// Time allowed beyond the budget for device creation, shader compilation, the correctness
/// check and read-back, before an adapter counts as hung. Pipeline creation on a cold driver
/// cache takes up to a few seconds (our measurement on lavapipe: under 0.3 s).
const SETUP_ALLOWANCE: Duration = Duration::from_secs(10);

/// Wall time one submitted batch of products should take, so that submission overhead is small
/// against the work while the budget is still checked often.
const BATCH_TARGET: Duration = Duration::from_millis(50);

/// Most products in one batch.
const MAX_BATCH: u32 = 256;

/// One adapter's benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct MatmulRun {
    /// The adapter.
    pub adapter: AdapterRecord,
    /// Its result, or why there is none (a wrong result, a hang, a device error).
    pub result: Result<GpuMatmul, Error>,
}

/// The benchmark on every real GPU adapter, each run with its result or its failure.
/// `budget` is the timed share of all adapters together, split evenly; each adapter also
/// spends a moment on setup and the correctness checks.
///
/// # Errors
///
/// Only when the adapters cannot be listed (see [`super::adapters`]).
pub fn matmul_benchmark(budget: Duration) -> Result<Vec<MatmulRun>, Error> {
    let chosen = choose(|_| true, false)?;
    let count = u32::try_from(chosen.len()).unwrap_or(u32::MAX).max(1);
    Ok(run_all(chosen, DEFAULT_MATMUL_N, budget / count))
}

/// Runs an `n`×`n` multiply on each adapter `filter` accepts, one after another, timing each
/// for `budget`. Software renderers are skipped unless `allow_software`; a device seen through
/// two backends runs once. Each adapter runs in its own thread and is abandoned if it has not
/// finished within `budget` plus a setup allowance.
///
/// # Errors
///
/// Only when the adapters cannot be listed (see [`super::adapters`]).
pub fn matmul_on_adapters(
    filter: impl Fn(&AdapterRecord) -> bool,
    n: u32,
    budget: Duration,
    allow_software: bool,
) -> Result<Vec<MatmulRun>, Error> {
    Ok(run_all(choose(filter, allow_software)?, n, budget))
}

/// The adapters to benchmark, each physical device once.
fn choose(
    filter: impl Fn(&AdapterRecord) -> bool,
    allow_software: bool,
) -> Result<Vec<(wgpu::Adapter, AdapterRecord)>, Error> {
    let adapters = run_with_deadline(SETUP_ALLOWANCE, || {
        let instance = instance()?;
        Ok(pollster::block_on(instance.enumerate_adapters(backends())))
    })?;
    let mut chosen: Vec<(wgpu::Adapter, AdapterRecord)> = Vec::new();
    for adapter in adapters {
        let record = AdapterRecord::of(&adapter);
        let wanted = (allow_software || !record.is_software()) && filter(&record);
        let seen = chosen
            .iter()
            .any(|(_, c)| c.backend != record.backend && c.same_device(&record));
        if wanted && !seen {
            chosen.push((adapter, record));
        }
    }
    Ok(chosen)
}

/// Benchmarks each adapter in turn, each in its own thread behind a deadline.
fn run_all(
    chosen: Vec<(wgpu::Adapter, AdapterRecord)>,
    n: u32,
    budget: Duration,
) -> Vec<MatmulRun> {
    chosen
        .into_iter()
        .map(|(adapter, record)| MatmulRun {
            result: run_with_deadline(budget + SETUP_ALLOWANCE, move || {
                run_on(&adapter, n, budget)
            }),
            adapter: record,
        })
        .collect()
}

/// The whole benchmark on one adapter.
fn run_on(adapter: &wgpu::Adapter, n: u32, budget: Duration) -> Result<GpuMatmul, Error> {
    if n == 0 {
        return Err(Error::InvalidParameter {
            name: "matrix side",
            value: 0,
            expected: "at least 1",
        });
    }
    let record = AdapterRecord::of(adapter);
    let deadline = Instant::now() + budget + SETUP_ALLOWANCE;
    let gpu = Gpu::new(adapter)?;
    let check = gpu.problem(CHECK_N)?;
    check.run_batch(1, deadline)?;
    check.verify_all(deadline)?;
    let problem = gpu.problem(n)?;
    let tflops = problem.time(budget, deadline)?;
    problem.verify_samples(deadline)?;
    Ok(GpuMatmul {
        backend: Some(record.profile_backend()),
        adapter: record.name,
        pci_bus_id: record.pci_bus_id,
        n,
        tflops: Value::measured(tflops),
    })
}

/// A device with the matmul pipeline, collecting the errors wgpu reports instead of letting its
/// default handler panic.
struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Gpu {
    fn new(adapter: &wgpu::Adapter) -> Result<Gpu, Error> {
        let desc = wgpu::DeviceDescriptor {
            label: Some("trainfit matmul"),
            // The WebGPU downlevel limits give 256 invocations per workgroup and 128 MiB storage
            // bindings: enough for 16×16 tiles and 2048² fp32 matrices (16 MiB).
            required_limits: wgpu::Limits::downlevel_defaults(),
            ..Default::default()
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&desc)).map_err(|e| Error::Gpu {
                step: "no device",
                cause: e.to_string(),
            })?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&errors);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            errors_of(&sink).push(e.to_string());
        }));
        let module = device.create_shader_module(wgpu::include_wgsl!("matmul.wgsl"));
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("matmul"),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let gpu = Gpu {
            device,
            queue,
            pipeline,
            errors,
        };
        gpu.check_errors()?;
        Ok(gpu)
    }

    /// The first error wgpu reported, if any.
    fn check_errors(&self) -> Result<(), Error> {
        match errors_of(&self.errors).first() {
            Some(e) => Err(Error::Gpu {
                step: "wgpu error",
                cause: e.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Waits for the queue's work, at most until `deadline`.
    fn wait(
        &self,
        submission: Option<wgpu::SubmissionIndex>,
        deadline: Instant,
    ) -> Result<(), Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::PastDeadline);
        }
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: submission,
                timeout: Some(left),
            })
            .map_err(|e| Error::Gpu {
                step: "waiting for the GPU",
                cause: e.to_string(),
            })?;
        self.check_errors()
    }

    /// Buffers and bindings for an `n`×`n` product.
    fn problem(&self, n: u32) -> Result<Problem<'_>, Error> {
        let too_large = || Error::TooLarge {
            what: "matrix side",
            value: u64::from(n),
        };
        let side = usize::try_from(n).map_err(|_| too_large())?;
        let elements = side.checked_mul(side).ok_or_else(too_large)?;
        let bytes = u64::try_from(elements)
            .ok()
            .and_then(|e| e.checked_mul(4))
            .ok_or_else(too_large)?;
        let input = |label, f: fn(u32, u32) -> f32| {
            let data = matrix(n, f);
            self.device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents: &data,
                    usage: wgpu::BufferUsages::STORAGE,
                })
        };
        let a = input("a", a_value);
        let b = input("b", b_value);
        let c = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("c"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let dims: Vec<u8> = [n, 0, 0, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
        let dims = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("dims"),
                contents: &dims,
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let layout = self.pipeline.get_bind_group_layout(0);
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("matmul"),
            layout: &layout,
            entries: &[entry(0, &a), entry(1, &b), entry(2, &c), entry(3, &dims)],
        });
        self.check_errors()?;
        Ok(Problem {
            gpu: self,
            n,
            c,
            bytes,
            bind_group,
        })
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

/// One product's buffers on a device.
struct Problem<'g> {
    gpu: &'g Gpu,
    n: u32,
    c: wgpu::Buffer,
    bytes: u64,
    bind_group: wgpu::BindGroup,
}

impl Problem<'_> {
    /// Runs `count` products in one submission and waits for them; returns the wall time.
    fn run_batch(&self, count: u32, deadline: Instant) -> Result<Duration, Error> {
        let groups = self.n.div_ceil(TILE);
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        for _ in 0..count {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&self.gpu.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            pass.dispatch_workgroups(groups, groups, 1);
        }
        let start = Instant::now();
        let submission = self.gpu.queue.submit([encoder.finish()]);
        self.gpu.wait(Some(submission), deadline)?;
        Ok(start.elapsed())
    }

    /// Achieved TFLOP/s: one warm-up product, then batches until `budget` is spent.
    fn time(&self, budget: Duration, deadline: Instant) -> Result<f64, Error> {
        self.run_batch(1, deadline)?;
        let one = self.run_batch(1, deadline)?;
        let batch = batch_size(one);
        let start = Instant::now();
        let mut products: u64 = 0;
        loop {
            self.run_batch(batch, deadline)?;
            products += u64::from(batch);
            if start.elapsed() >= budget {
                break;
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        if seconds <= 0.0 {
            return Err(Error::NoTime {
                benchmark: "the GPU matrix multiply",
            });
        }
        let n = f64::from(self.n);
        // 2·n³ floating-point operations per product: one multiply and one add per term.
        Ok(2.0 * n * n * n * products as f64 / seconds / 1e12)
    }

    /// Compares every entry with the CPU's product.
    fn verify_all(&self, deadline: Instant) -> Result<(), Error> {
        let c = self.read_back(deadline)?;
        verify(self.n, &c, all_positions(self.n))
    }

    /// Compares the corners and a spread of other entries with the CPU's product.
    fn verify_samples(&self, deadline: Instant) -> Result<(), Error> {
        let c = self.read_back(deadline)?;
        verify(self.n, &c, sample_positions(self.n))
    }

    /// Copies C to a mappable buffer and reads it.
    fn read_back(&self, deadline: Instant) -> Result<Vec<f32>, Error> {
        let device = &self.gpu.device;
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read back"),
            size: self.bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(&self.c, 0, &staging, 0, self.bytes);
        let submission = self.gpu.queue.submit([encoder.finish()]);
        let (tx, rx) = mpsc::channel();
        let slice = staging.slice(..);
        slice.map_async(wgpu::MapMode::Read, move |r| {
            // The receiver outlives this callback unless the wait below failed.
            let _ = tx.send(r);
        });
        self.gpu.wait(Some(submission), deadline)?;
        match rx.try_recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(Error::Gpu {
                    step: "could not map the result",
                    cause: e.to_string(),
                })
            }
            Err(_) => return Err(Error::ResultNotMapped),
        }
        let values = {
            let view = slice.get_mapped_range().map_err(|e| Error::Gpu {
                step: "could not read the result",
                cause: e.to_string(),
            })?;
            floats(&view)
        };
        staging.unmap();
        Ok(values)
    }
}

/// Products per batch so that a batch takes about [`BATCH_TARGET`], given one product's time.
fn batch_size(one: Duration) -> u32 {
    let one = one.as_secs_f64().max(1e-6);
    let fit = (BATCH_TARGET.as_secs_f64() / one).floor();
    if fit >= f64::from(MAX_BATCH) {
        MAX_BATCH
    } else if fit >= 1.0 {
        // In range 1..MAX_BATCH, so the conversion is exact.
        fit as u32
    } else {
        1
    }
}

/// Every (row, col) of an `n`×`n` matrix.
fn all_positions(n: u32) -> Vec<(u32, u32)> {
    (0..n).flat_map(|r| (0..n).map(move |c| (r, c))).collect()
}

/// The corners and [`SAMPLES`] entries spread by a fixed linear congruential walk (Numerical
/// Recipes' constants).
fn sample_positions(n: u32) -> Vec<(u32, u32)> {
    let last = n.saturating_sub(1);
    let mut out = vec![(0, 0), (0, last), (last, 0), (last, last)];
    let mut state: u32 = 12345;
    let mut next = || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 8) % n.max(1)
    };
    for _ in 0..SAMPLES {
        let row = next();
        let col = next();
        out.push((row, col));
    }
    out
}

/// Checks entries of `c`, the GPU's `n`×`n` product, against the CPU's.
fn verify(n: u32, c: &[f32], positions: Vec<(u32, u32)>) -> Result<(), Error> {
    for (row, col) in positions {
        let got = usize::try_from(u64::from(row) * u64::from(n) + u64::from(col))
            .ok()
            .and_then(|index| c.get(index).copied())
            .ok_or(Error::MissingEntry {
                device: "GPU",
                row: u64::from(row),
                col: u64::from(col),
            })?;
        let want = reference(n, row, col);
        if (f64::from(got) - want).abs() > TOLERANCE {
            return Err(Error::WrongProduct {
                device: "GPU",
                row: u64::from(row),
                col: u64::from(col),
                got,
                want,
            });
        }
    }
    Ok(())
}

/// The list of errors wgpu reported; a panic in another thread holding it leaves the list
/// itself intact, so a poisoned lock is still read.
fn errors_of(list: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    list.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Entry (i, k) of A: multiples of 1/8 in [-1, 1].
fn a_value(i: u32, k: u32) -> f32 {
    let v = (i
        .wrapping_mul(31)
        .wrapping_add(k.wrapping_mul(17))
        .wrapping_add(3))
        % 17;
    (v as f32 - 8.0) / 8.0
}

/// Entry (k, j) of B: multiples of 1/8 in [-7/8, 7/8], a pattern unlike A's so that a transposed
/// or swapped operand shows.
fn b_value(k: u32, j: u32) -> f32 {
    let v = (k
        .wrapping_mul(13)
        .wrapping_add(j.wrapping_mul(29))
        .wrapping_add(5))
        % 15;
    (v as f32 - 7.0) / 8.0
}

/// An `n`×`n` row-major matrix as little-endian bytes.
fn matrix(n: u32, f: fn(u32, u32) -> f32) -> Vec<u8> {
    (0..n)
        .flat_map(|r| (0..n).map(move |c| f(r, c)))
        .flat_map(f32::to_le_bytes)
        .collect()
}

/// Entry (row, col) of A·B computed on the CPU.
fn reference(n: u32, row: u32, col: u32) -> f64 {
    (0..n)
        .map(|k| f64::from(a_value(row, k)) * f64::from(b_value(k, col)))
        .sum()
}

fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|w| f32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_keep_sums_exact_in_fp32() {
        // Largest |entry of C| is below n, and every product is a multiple of 1/64, so with
        // n ≤ 2048 every partial sum fits in 2048·64 = 2^17 steps of 1/64 < 2^24.
        let n = DEFAULT_MATMUL_N;
        for (r, c) in [(0, 0), (5, 7), (n - 1, n - 1)] {
            let v = reference(n, r, c);
            assert!(v.abs() < f64::from(n));
            assert_eq!((v * 64.0).fract(), 0.0);
        }
    }

    fn cpu_product(n: u32) -> Vec<f32> {
        all_positions(n)
            .into_iter()
            .map(|(r, c)| reference(n, r, c) as f32)
            .collect()
    }

    #[test]
    fn verify_accepts_the_right_product_and_rejects_wrong_ones() {
        let n = 37;
        let good = cpu_product(n);
        assert_eq!(verify(n, &good, all_positions(n)), Ok(()));
        assert_eq!(verify(n, &good, sample_positions(n)), Ok(()));

        let mut off_by_one = good.clone();
        off_by_one[5 * 37 + 9] += 1.0;
        assert!(verify(n, &off_by_one, all_positions(n)).is_err());

        // A kernel that multiplied B·A instead of A·B.
        let swapped: Vec<f32> = all_positions(n)
            .into_iter()
            .map(|(r, c)| {
                (0..n)
                    .map(|k| f64::from(b_value(r, k)) * f64::from(a_value(k, c)))
                    .sum::<f64>() as f32
            })
            .collect();
        assert!(verify(n, &swapped, all_positions(n)).is_err());
        assert!(verify(n, &good[..10], all_positions(n)).is_err());
        assert!(verify(n, &vec![0.0; good.len()], sample_positions(n)).is_err());
    }

    #[test]
    fn samples_include_the_corners_and_stay_inside() {
        let s = sample_positions(100);
        assert_eq!(s.len(), 4 + SAMPLES as usize);
        assert!(s.contains(&(99, 99)));
        assert!(s.iter().all(|(r, c)| *r < 100 && *c < 100));
    }

    #[test]
    fn batch_size_is_bounded() {
        assert_eq!(batch_size(Duration::ZERO), MAX_BATCH);
        assert_eq!(batch_size(Duration::from_secs(1)), 1);
        assert_eq!(batch_size(Duration::from_millis(10)), 5);
    }
}
