//! A small autograd tape: the ops of one block, what each saves for backward, and the live bytes
//! over its forward and backward passes.
//!
//! The save rules are PyTorch's (`tools/autograd/derivatives.yaml`): an op keeps an input only when
//! the gradient of another input needs it, so a frozen weight makes its linear keep nothing but the
//! weight, and a ReLU keeps its output. Every storage is rounded up to the 512 B blocks of the CUDA
//! caching allocator (`c10/cuda/CUDACachingAllocator.cpp`, `kMinBlockSize = 512`), which is what
//! `torch.cuda.max_memory_allocated()` counts.

use crate::error::{Error, Result};
use crate::math::round_up;

/// CUDA caching allocator block size (`kMinBlockSize` in `CUDACachingAllocator.cpp`).
pub(crate) const BLOCK: u64 = 512;

const MAX_IN: usize = 3;
const SAVED: usize = 8;

/// A tensor value: a storage and a view of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct V {
    sid: usize,
    /// Elements of the view.
    pub elems: u64,
    /// Bytes per element.
    pub dt: u64,
    /// Requires grad.
    pub grad: bool,
}

impl V {
    /// The same storage seen with `elems` elements.
    pub fn resized(self, elems: u64) -> V {
        V { elems, ..self }
    }

    /// Bytes of the view, rounded as an allocation.
    pub fn bytes(&self) -> u64 {
        round_up(self.elems.saturating_mul(self.dt), BLOCK)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Created by the block.
    Act,
    /// The block's input, live before it runs.
    External,
    /// Shared by all blocks, accounted once elsewhere.
    Shared,
    /// A parameter; never counted as activation memory.
    Param { trainable: bool },
}

#[derive(Debug, Clone, Copy)]
struct Storage {
    bytes: u64,
    kind: Kind,
}

/// How the backward of an op treats its output gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    /// Allocates a fresh gradient for every input that requires one.
    Fresh,
    /// Hands the output gradient to every input unchanged (add, views).
    Pass,
}

#[derive(Debug, Clone, Copy)]
struct Op {
    inputs: [Option<V>; MAX_IN],
    out: Option<V>,
    saved: [Option<usize>; SAVED],
    back: Back,
    /// Extra bytes the backward kernel allocates and frees inside itself.
    bwd_temp: u64,
    /// Extra bytes the forward allocates and frees inside itself.
    fwd_temp: u64,
}

/// Live-byte profile of one block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    /// Bytes autograd keeps from forward to backward (excluding parameters; including the block's input when saved).
    pub saved: u64,
    /// Peak bytes created by the block during its forward, saved ones included, above what was live before.
    pub fwd_peak: u64,
    /// Peak bytes created during forward when nothing is kept for backward (checkpointed forward, inference).
    pub fwd_peak_unsaved: u64,
    /// Bytes of the block's input when the block itself saves it.
    pub input_saved: u64,
    /// Bytes of 16-bit weight copies autocast made (its cache keeps them until the forward ends).
    pub autocast_weights: u64,
    /// Peak bytes during the block's backward: its saved tensors, gradients in flight, temporaries and
    /// the parameter gradients it has produced so far, including the incoming output gradient.
    pub bwd_peak: u64,
    /// Parameter gradient bytes the block leaves behind.
    pub param_grads: u64,
    /// Bytes of the gradient it passes to its input (0 when the input does not require grad).
    pub input_grad: u64,
    /// The output requires grad.
    pub out_grad: bool,
    /// Bytes of the output.
    pub out_bytes: u64,
}

/// Checked product of element counts.
pub(crate) fn elems(factors: &[u64]) -> Result<u64> {
    let mut n: u64 = 1;
    for &f in factors {
        n = n
            .checked_mul(f)
            .ok_or_else(|| Error::overflow("tensor size"))?;
    }
    Ok(n)
}

/// A forward program of one block.
#[derive(Debug, Default)]
pub(crate) struct Tape {
    storages: alloc::vec::Vec<Storage>,
    ops: alloc::vec::Vec<Op>,
    grad_bytes_override: Option<u64>,
    scratch: Scratch,
}

/// Buffers of `profile`, kept between programs so that one estimate allocates them once.
#[derive(Debug, Default)]
struct Scratch {
    created: alloc::vec::Vec<usize>,
    last_use: alloc::vec::Vec<usize>,
    first_saver: alloc::vec::Vec<usize>,
    births: alloc::vec::Vec<u64>,
    deaths: alloc::vec::Vec<u64>,
    deaths_unsaved: alloc::vec::Vec<u64>,
    grad_of: alloc::vec::Vec<Option<usize>>,
    bufs: alloc::vec::Vec<(u64, u32)>,
}

fn refill<T: Clone>(v: &mut alloc::vec::Vec<T>, n: usize, value: T) {
    v.clear();
    v.resize(n, value);
}

impl Tape {
    pub fn new() -> Self {
        Tape {
            storages: alloc::vec::Vec::with_capacity(192),
            ops: alloc::vec::Vec::with_capacity(160),
            grad_bytes_override: None,
            scratch: Scratch::default(),
        }
    }

    /// Empties the program, keeping every buffer, for the next block.
    pub fn reset(&mut self, grad_bytes: Option<u64>) {
        self.storages.clear();
        self.ops.clear();
        self.grad_bytes_override = grad_bytes;
    }

    fn storage(&mut self, elems: u64, dt: u64, kind: Kind) -> usize {
        self.storages.push(Storage {
            bytes: round_up(elems.saturating_mul(dt), BLOCK),
            kind,
        });
        self.storages.len() - 1
    }

    fn fresh(&mut self, elems: u64, dt: u64, grad: bool) -> V {
        let sid = self.storage(elems, dt, Kind::Act);
        V {
            sid,
            elems,
            dt,
            grad,
        }
    }

    /// A table shared by every block and live for the whole pass (rotary cos/sin, the causal mask).
    pub fn shared(&mut self, elems: u64, dt: u64) -> V {
        let sid = self.storage(elems, dt, Kind::Shared);
        V {
            sid,
            elems,
            dt,
            grad: false,
        }
    }

    /// The block's input, live before the block runs.
    pub fn external(&mut self, elems: u64, dt: u64, grad: bool) -> V {
        let sid = self.storage(elems, dt, Kind::External);
        V {
            sid,
            elems,
            dt,
            grad,
        }
    }

    /// A parameter of the block.
    pub fn param(&mut self, elems: u64, dt: u64, trainable: bool) -> V {
        let sid = self.storage(elems, dt, Kind::Param { trainable });
        V {
            sid,
            elems,
            dt,
            grad: trainable,
        }
    }

    fn push(&mut self, inputs: &[V], out: Option<V>, saved: &[V], back: Back) -> usize {
        let mut op = Op {
            inputs: [None; MAX_IN],
            out,
            saved: [None; SAVED],
            back,
            bwd_temp: 0,
            fwd_temp: 0,
        };
        for (slot, v) in op.inputs.iter_mut().zip(inputs) {
            *slot = Some(*v);
        }
        let mut n = 0;
        for v in saved {
            if !op.saved[..n].contains(&Some(v.sid)) {
                op.saved[n] = Some(v.sid);
                n += 1;
            }
        }
        self.ops.push(op);
        self.ops.len() - 1
    }

    fn set_bwd_temp(&mut self, op: usize, bytes: u64) {
        self.ops[op].bwd_temp = bytes;
    }

    fn set_fwd_temp(&mut self, op: usize, bytes: u64) {
        self.ops[op].fwd_temp = bytes;
    }

    /// `x @ w.T (+ b)`: keeps `x` when `w` trains and `w` when `x` needs a gradient.
    pub fn linear(&mut self, x: V, w: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, x.dt, x.grad || w.grad);
        let mut saved = [x; 2];
        let mut n = 0;
        if w.grad {
            saved[n] = x;
            n += 1;
        }
        if x.grad {
            saved[n] = w;
            n += 1;
        }
        self.push(&[x, w], Some(out), &saved[..n], Back::Fresh);
        out
    }

    /// A frozen bitsandbytes 4-bit linear: keeps only the packed weight, dequantises it to a
    /// temporary in forward and again in backward (`bnb.autograd.MatMul4Bit`).
    pub fn quantized_linear(&mut self, x: V, w: V, out_elems: u64, dequant_bytes: u64) -> V {
        let out = self.fresh(out_elems, x.dt, x.grad);
        let op = self.push(&[x, w], Some(out), &[], Back::Fresh);
        let temp = round_up(dequant_bytes, BLOCK);
        self.set_fwd_temp(op, temp);
        if x.grad {
            self.set_bwd_temp(op, temp);
        }
        out
    }

    /// Embedding lookup: keeps the indices; its backward builds a dense gradient of the table
    /// (`embedding_dense_backward`).
    pub fn embedding(&mut self, ids: V, table: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, table.dt, table.grad);
        let saved: &[V] = if table.grad { &[ids] } else { &[] };
        self.push(&[ids, table], Some(out), saved, Back::Fresh);
        out
    }

    /// Elementwise product of two tensors (the smaller one broadcast).
    pub fn mul(&mut self, a: V, b: V) -> V {
        let big = if a.elems >= b.elems { a } else { b };
        let dt = a.dt.max(b.dt);
        let out = self.fresh(big.elems, dt, a.grad || b.grad);
        let mut saved = [a; 2];
        let mut n = 0;
        if a.grad {
            saved[n] = b;
            n += 1;
        }
        if b.grad {
            saved[n] = a;
            n += 1;
        }
        let op = self.push(&[a, b], Some(out), &saved[..n], Back::Fresh);
        // The gradient of a broadcast operand is the full-size product, then reduced.
        let small = if a.elems >= b.elems { b } else { a };
        if small.grad && small.elems < big.elems {
            self.set_bwd_temp(op, round_up(big.elems.saturating_mul(dt), BLOCK));
        }
        out
    }

    /// Product with a Python scalar: keeps nothing.
    pub fn scale(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt, a.grad);
        self.push(&[a], Some(out), &[], Back::Fresh);
        out
    }

    /// Sum of two tensors of the same shape (residual connections): keeps nothing, passes the gradient on.
    pub fn add(&mut self, a: V, b: V) -> V {
        let dt = a.dt.max(b.dt);
        let out = self.fresh(a.elems.max(b.elems), dt, a.grad || b.grad);
        let back = if a.dt == b.dt && a.elems == b.elems {
            Back::Pass
        } else {
            Back::Fresh
        };
        self.push(&[a, b], Some(out), &[], back);
        out
    }

    /// Adds a constant or a tensor that needs no gradient: keeps nothing.
    pub fn add_const(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt, a.grad);
        self.push(&[a], Some(out), &[], Back::Pass);
        out
    }

    /// Dtype conversion (`.to`, `.float()`); a no-op view when the dtype already matches.
    pub fn cast(&mut self, a: V, dt: u64) -> V {
        if a.dt == dt {
            return a;
        }
        let out = self.fresh(a.elems, dt, a.grad);
        self.push(&[a], Some(out), &[], Back::Fresh);
        out
    }

    /// A view (reshape, transpose, slice): same storage.
    pub fn view(&mut self, a: V, elems: u64) -> V {
        V { elems, ..a }
    }

    /// A copy into a new storage (`.contiguous()` of a transposed view, `cat`).
    pub fn copy(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt, a.grad);
        self.push(&[a], Some(out), &[], Back::Fresh);
        out
    }

    /// An elementwise op whose backward needs its input (`pow`, `silu`, `gelu`, `tanh` input form, `exp`).
    pub fn unary_keep_input(&mut self, a: V, out_dt: u64) -> V {
        let out = self.fresh(a.elems, out_dt, a.grad);
        let saved: &[V] = if a.grad { &[a] } else { &[] };
        self.push(&[a], Some(out), saved, Back::Fresh);
        out
    }

    /// An elementwise op whose backward needs its output (`tanh`, `rsqrt`, `relu`, `softmax`, `sigmoid`).
    pub fn unary_keep_output(&mut self, a: V, out_dt: u64) -> V {
        let out = self.fresh(a.elems, out_dt, a.grad);
        let saved: &[V] = if a.grad { &[out] } else { &[] };
        self.push(&[a], Some(out), saved, Back::Fresh);
        out
    }

    /// `pow(x, 2)`: keeps `x`; its backward `grad * 2 * x.pow(1)` makes two temporaries of `x`'s size.
    pub fn square(&mut self, a: V) -> V {
        let out = self.unary_keep_input(a, a.dt);
        let op = self.ops.len() - 1;
        if a.grad {
            self.set_bwd_temp(op, 2 * a.bytes());
        }
        out
    }

    /// A reduction over the last dimension (`mean`, `sum`): keeps nothing; its backward expands the gradient.
    pub fn reduce(&mut self, a: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, a.dt, a.grad);
        self.push(&[a], Some(out), &[], Back::Fresh);
        out
    }

    /// Dropout with probability above zero: CUDA's fused kernel keeps a one-byte mask.
    pub fn dropout(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt, a.grad);
        let mask = self.fresh(a.elems, 1, false);
        let saved: &[V] = if a.grad { &[mask] } else { &[] };
        self.push(&[a], Some(out), saved, Back::Fresh);
        out
    }

    /// A tensor drawn in forward (`torch.empty_like(x).uniform_()`): no inputs, no gradient.
    pub fn noise(&mut self, elems: u64, dt: u64) -> V {
        let out = self.fresh(elems, dt, false);
        self.push(&[], Some(out), &[], Back::Pass);
        out
    }

    /// A tensor computed in forward from no input that needs a gradient (Llama 4's attention
    /// scales from the token positions): no gradient.
    pub fn constant(&mut self, elems: u64, dt: u64) -> V {
        self.noise(elems, dt)
    }

    /// Rows picked by an index (`x[index]`, `topk` values): keeps only the int64 index, of
    /// `index_elems` elements; its backward scatters the gradient into a zero tensor of `a`'s size.
    pub fn gather(&mut self, a: V, out_elems: u64, index_elems: u64) -> V {
        let out = self.fresh(out_elems, a.dt, a.grad);
        let index = self.fresh(index_elems, 8, false);
        let saved: &[V] = if a.grad { &[index] } else { &[] };
        self.push(&[a], Some(out), saved, Back::Fresh);
        out
    }

    /// `native_layer_norm`: keeps the input and the mean and rstd of each row.
    pub fn layer_norm(&mut self, x: V, w: Option<V>, rows: u64) -> V {
        let out = self.fresh(x.elems, x.dt, x.grad || w.is_some_and(|w| w.grad));
        // Mean and rstd per row, in the input's dtype as the CUDA kernel returns them.
        let stats = self.fresh(rows, x.dt, false);
        let rstd = self.fresh(rows, x.dt, false);
        let needs = x.grad || w.is_some_and(|w| w.grad);
        let saved: &[V] = if needs { &[x, stats, rstd] } else { &[] };
        match w {
            Some(w) => self.push(&[x, w], Some(out), saved, Back::Fresh),
            None => self.push(&[x], Some(out), saved, Back::Fresh),
        };
        out
    }

    /// Attention through a fused kernel (FlashAttention or memory-efficient): keeps q, k, v, the
    /// output and the fp32 log-sum-exp per query row, and the additive mask (`attn_bias`) when
    /// one is passed.
    pub fn fused_attention(
        &mut self,
        q: V,
        k: V,
        v: V,
        lse_elems: u64,
        bwd_workspace: u64,
        bias: Option<V>,
    ) -> V {
        let grad = q.grad || k.grad || v.grad;
        let out = self.fresh(q.elems, q.dt, grad);
        let lse = self.fresh(lse_elems, 4, false);
        // The Philox seed and offset are two one-element tensors, kept for the backward's dropout replay.
        let seed = self.fresh(2, 8, false);
        let offset = self.fresh(1, 8, false);
        let mut saved = [q, k, v, out, lse, seed, offset, q];
        let n = match (grad, bias) {
            (false, _) => 0,
            (true, None) => 7,
            (true, Some(b)) => {
                saved[7] = b;
                8
            }
        };
        let op = self.push(&[q, k, v], Some(out), &saved[..n], Back::Fresh);
        if grad {
            self.set_bwd_temp(op, bwd_workspace);
        }
        out
    }

    /// Batched matmul of two activations (eager attention): keeps both.
    pub fn bmm(&mut self, a: V, b: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, a.dt, a.grad || b.grad);
        let mut saved = [a; 2];
        let mut n = 0;
        if b.grad {
            saved[n] = a;
            n += 1;
        }
        if a.grad {
            saved[n] = b;
            n += 1;
        }
        self.push(&[a, b], Some(out), &saved[..n], Back::Fresh);
        out
    }

    /// Adds a temporary of `bytes` to the backward of the op just recorded.
    pub fn last_bwd_temp(&mut self, bytes: u64) {
        if let Some(op) = self.ops.last_mut() {
            op.bwd_temp = op.bwd_temp.saturating_add(round_up(bytes, BLOCK));
        }
    }

    /// Adds a temporary of `bytes` to the forward of the op just recorded, live with its output.
    pub fn last_fwd_temp(&mut self, bytes: u64) {
        if let Some(op) = self.ops.last_mut() {
            op.fwd_temp = op.fwd_temp.saturating_add(round_up(bytes, BLOCK));
        }
    }

    /// Makes the backward of the op just recorded hand its output gradient to its input unchanged.
    pub fn last_passes_grad(&mut self) {
        if let Some(op) = self.ops.last_mut() {
            op.back = Back::Pass;
        }
    }

    /// Keeps `v` alive up to this point of the forward: a Python variable still refers to it
    /// (Hugging Face keeps a block's input in `hidden_states` until the block returns).
    pub fn hold(&mut self, v: V) {
        self.push(&[v], None, &[], Back::Pass);
    }

    /// A forward-only temporary the size of `bytes` at this point of the program.
    pub fn fwd_scratch(&mut self, bytes: u64) {
        let op = self.push(&[], None, &[], Back::Pass);
        self.set_fwd_temp(op, bytes);
    }

    /// Runs the program forward then backward from `output`, whose gradient arrives from above.
    pub fn profile(&mut self, output: V) -> Profile {
        let mut sc = core::mem::take(&mut self.scratch);
        let p = self.walk(output, &mut sc);
        self.scratch = sc;
        p
    }

    fn walk(&self, output: V, sc: &mut Scratch) -> Profile {
        let n = self.storages.len();
        refill(&mut sc.created, n, usize::MAX);
        refill(&mut sc.last_use, n, 0);
        refill(&mut sc.first_saver, n, usize::MAX);
        let created = &mut sc.created;
        let last_use = &mut sc.last_use;
        // First op (in program order) that saves the storage: backward frees it after that op.
        let first_saver = &mut sc.first_saver;
        for (i, op) in self.ops.iter().enumerate() {
            for v in op.inputs.iter().flatten() {
                last_use[v.sid] = i;
            }
            if let Some(o) = op.out {
                if created[o.sid] == usize::MAX {
                    created[o.sid] = i;
                }
            }
            for s in op.saved.iter().flatten() {
                if first_saver[*s] == usize::MAX {
                    first_saver[*s] = i;
                }
                // Masks and statistics are born with the op that saves them.
                if created[*s] == usize::MAX && self.storages[*s].kind == Kind::Act {
                    created[*s] = i;
                }
            }
        }
        let saved = |sid: usize| first_saver[sid] != usize::MAX;
        // Saved storages that count as the block's memory: its own tensors and its input.
        let counted = |sid: usize| {
            saved(sid) && matches!(self.storages[sid].kind, Kind::Act | Kind::External)
        };

        // Forward: live from creation to last use, or to the end when saved or the output. Bytes
        // born and dying at each op, with and without the saved tensors kept.
        let ops = self.ops.len();
        refill(&mut sc.births, ops, 0);
        refill(&mut sc.deaths, ops, 0);
        refill(&mut sc.deaths_unsaved, ops, 0);
        let (births, deaths, deaths_unsaved) =
            (&mut sc.births, &mut sc.deaths, &mut sc.deaths_unsaved);
        for sid in 0..n {
            if self.storages[sid].kind != Kind::Act || created[sid] == usize::MAX {
                continue;
            }
            let bytes = self.storages[sid].bytes;
            let end = last_use[sid].max(created[sid]);
            births[created[sid]] += bytes;
            if sid != output.sid {
                deaths_unsaved[end] += bytes;
                if !saved(sid) {
                    deaths[end] += bytes;
                }
            }
        }
        let (mut live, mut live_unsaved) = (0u64, 0u64);
        let (mut fwd_peak, mut fwd_peak_unsaved) = (0u64, 0u64);
        for (i, op) in self.ops.iter().enumerate() {
            live += births[i];
            live_unsaved += births[i];
            fwd_peak = fwd_peak.max(live + op.fwd_temp);
            fwd_peak_unsaved = fwd_peak_unsaved.max(live_unsaved + op.fwd_temp);
            live -= deaths[i];
            live_unsaved -= deaths_unsaved[i];
        }
        let saved_total: u64 = (0..n)
            .filter(|&sid| counted(sid))
            .map(|sid| self.storages[sid].bytes)
            .sum();

        // Backward: the ops in reverse, gradient buffers with reference counts.
        refill(&mut sc.grad_of, n, None);
        sc.bufs.clear();
        let grad_of = &mut sc.grad_of;
        let bufs = &mut sc.bufs;
        let mut live_grads = 0u64;
        let mut param_grads = 0u64;
        let mut saved_live = saved_total;
        let out_bytes = self.storages[output.sid].bytes;
        if output.grad {
            bufs.push((out_bytes, 1));
            grad_of[output.sid] = Some(0);
            live_grads += out_bytes;
        }
        let mut bwd_peak = saved_live + live_grads;
        for i in (0..self.ops.len()).rev() {
            let op = &self.ops[i];
            let g = op.out.and_then(|o| grad_of[o.sid]);
            if let (Some(out), Some(g)) = (op.out, g) {
                let mut transient = op.bwd_temp;
                for v in op.inputs.iter().flatten() {
                    if !v.grad {
                        continue;
                    }
                    let st = self.storages[v.sid];
                    if let Kind::Param { trainable } = st.kind {
                        if trainable {
                            param_grads += match self.grad_bytes_override {
                                Some(b) => round_up(v.elems.saturating_mul(b), BLOCK),
                                None => st.bytes,
                            };
                        }
                        continue;
                    }
                    let fresh = op.back == Back::Fresh;
                    let new_buf = if fresh {
                        bufs.push((v.bytes(), 1));
                        live_grads += v.bytes();
                        bufs.len() - 1
                    } else {
                        bufs[g].1 += 1;
                        g
                    };
                    match grad_of[v.sid] {
                        None => grad_of[v.sid] = Some(new_buf),
                        Some(existing) if bufs[existing].1 == 1 && fresh => {
                            // In-place accumulation: the new gradient lives until it is added.
                            transient += v.bytes();
                            live_grads -= release(bufs, new_buf);
                        }
                        Some(existing) => {
                            bufs.push((v.bytes(), 1));
                            live_grads += v.bytes();
                            let sum = bufs.len() - 1;
                            live_grads -= release(bufs, existing);
                            live_grads -= release(bufs, new_buf);
                            grad_of[v.sid] = Some(sum);
                        }
                    }
                }
                bwd_peak = bwd_peak.max(saved_live + live_grads + param_grads + transient);
                live_grads -= release(bufs, g);
                grad_of[out.sid] = None;
            }
            for s in op.saved.iter().flatten() {
                if first_saver[*s] == i && counted(*s) {
                    saved_live = saved_live.saturating_sub(self.storages[*s].bytes);
                }
            }
            bwd_peak = bwd_peak.max(saved_live + live_grads + param_grads);
        }
        let input_grad = (0..n)
            .filter(|&sid| self.storages[sid].kind == Kind::External)
            .filter_map(|sid| grad_of[sid])
            .map(|b| bufs[b].0)
            .max()
            .unwrap_or(0);
        let input_saved = (0..n)
            .filter(|&sid| self.storages[sid].kind == Kind::External && saved(sid))
            .map(|sid| self.storages[sid].bytes)
            .sum();
        let autocast_weights = self
            .ops
            .iter()
            .filter_map(|op| match (op.inputs[0], op.out) {
                (Some(i), Some(o))
                    if matches!(self.storages[i.sid].kind, Kind::Param { trainable: true })
                        && o.dt < i.dt =>
                {
                    Some(self.storages[o.sid].bytes)
                }
                _ => None,
            })
            .sum();
        Profile {
            autocast_weights,
            saved: saved_total,
            fwd_peak,
            fwd_peak_unsaved,
            input_saved,
            bwd_peak,
            param_grads,
            input_grad,
            out_grad: output.grad,
            out_bytes,
        }
    }
}

fn release(bufs: &mut [(u64, u32)], id: usize) -> u64 {
    let b = &mut bufs[id];
    if b.1 == 0 {
        return 0;
    }
    b.1 -= 1;
    if b.1 == 0 {
        b.0
    } else {
        0
    }
}
