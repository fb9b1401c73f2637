//! A small autograd tape: the ops of one block, what each saves for backward, and the live bytes
//! over its forward and backward passes.
//!
//! The save rules are PyTorch's (`tools/autograd/derivatives.yaml`): an op keeps an input only when
//! the gradient of another input needs it, so a frozen weight makes its linear keep nothing but the
//! weight, and a ReLU keeps its output. Every storage is rounded up to the 512 B blocks of the CUDA
//! caching allocator (`c10/cuda/CUDACachingAllocator.cpp`, `kMinBlockSize = 512`), which is what
//! `torch.cuda.max_memory_allocated()` counts.

use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::math::round_up;

/// CUDA caching allocator block size (`kMinBlockSize` in `CUDACachingAllocator.cpp`).
pub(crate) const BLOCK: u64 = 512;

/// A tensor value: a storage and a view of it. Whether it requires a gradient is not part of it:
/// `profile` works that out from the program's inputs, so one recording serves an input that
/// needs a gradient and one that does not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct V {
    sid: u32,
    /// Elements of the view.
    pub elems: u64,
    /// Bytes per element.
    pub dt: u64,
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

/// Not set yet: a storage no op has created or saved.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Storage {
    bytes: u64,
    kind: Kind,
    /// Requires grad as given: a trainable parameter, an input said to; activations are worked
    /// out from their op's inputs.
    grad: bool,
    /// The last op (in program order) that reads it; 0 when none does.
    last_use: u32,
    /// What the last `profile` worked out about it, kept beside the recording so that the walk
    /// reads one record per tensor and fills no buffer of its own.
    state: StorageState,
}

/// How the backward of an op treats its output gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    /// Allocates a fresh gradient for every input that requires one.
    Fresh,
    /// Hands the output gradient to every input unchanged (add, views).
    Pass,
}

/// When an op saves a tensor for backward, or allocates a backward temporary: PyTorch keeps what
/// the gradient of some input needs, so it depends on which inputs require a gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// Some input requires a gradient (so the output does, and the op has a backward).
    Any,
    /// The op's input of this index requires a gradient.
    Input(u8),
}

/// An input of an op as its backward sees it.
#[derive(Debug, Clone, Copy, Default)]
struct In {
    /// Its storage.
    sid: u32,
    /// A trainable parameter, whose gradient is kept, not passed on.
    param: bool,
    /// Bytes of its gradient: the view's, or for a parameter its storage's (or the recipe's
    /// gradient dtype's, `grad_bytes_override`).
    grad_bytes: u64,
}

/// The most inputs an op has (attention's q, k and v).
const MAX_INPUTS: usize = 3;

#[derive(Debug, Clone)]
struct Op {
    /// Its inputs, the first `n_inputs`.
    inputs: [In; MAX_INPUTS],
    n_inputs: u8,
    back: Back,
    bwd_temp_when: When,
    /// The storage of its output; `NONE` when it has none.
    out: u32,
    /// The storages it saves for backward, each with its condition, a range of `Tape::saves`.
    saves: (u32, u32),
    /// Extra bytes the backward kernel allocates and frees inside itself, and when.
    bwd_temp: u64,
    /// Extra bytes the forward allocates and frees inside itself.
    fwd_temp: u64,
}

impl Op {
    fn inputs(&self) -> &[In] {
        &self.inputs[..usize::from(self.n_inputs)]
    }
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
    /// Bytes the elementwise ops of the forward read and write (not the matrix multiplies), each
    /// op's divided by the share of bandwidth its size reaches; 0 unless the tape counted them
    /// ([`Tape::counting_traffic`]).
    pub elementwise_bytes: u64,
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
///
/// The ops are recorded once, each with what it may save for backward and on which condition;
/// `profile` then works out which tensors require a gradient from the inputs' and parameters'
/// flags, what is saved, and what each op creates, and walks the program once forward and once
/// backward. Profiling again after [`Tape::set_requires_grad`] gives the same block with an input
/// that needs no gradient (the first layer after a frozen embedding) without recording it again.
#[derive(Debug, Default)]
pub(crate) struct Tape {
    storages: Vec<Storage>,
    ops: Vec<Op>,
    /// What every op may save, in program order: the storage and the storage whose gradient
    /// decides it (`NONE`: any input's).
    saves: Vec<(u32, u32)>,
    /// The block's inputs (`Kind::External`).
    externals: Vec<u32>,
    grad_bytes_override: Option<u64>,
    /// Bytes of the lower-precision copies autocast made of trainable weights so far.
    autocast_weights: u64,
    /// Bytes the elementwise ops read and write so far; `None` when not counted (only the time
    /// model reads them, through [`Tape::counting_traffic`]'s programs).
    traffic: Option<u64>,
    scratch: Scratch,
}

/// What `profile` works out per op, in buffers kept between programs so that
/// one estimate allocates them once.
#[derive(Debug, Default)]
struct Scratch {
    ops: Vec<OpState>,
    /// Gradient buffers of the backward: bytes and references.
    bufs: Vec<(u64, u32)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct StorageState {
    /// Requires grad.
    grad: bool,
    /// The op that creates it, the one it is the output of or the first that saves it (masks
    /// and statistics are born with the op that saves them); `NONE` when none does.
    created: u32,
    /// Whether an op saves it (it is then freed after the backward of the first one that does).
    saved: bool,
    /// The buffer of `Scratch::bufs` holding its gradient during backward; `NONE` when none does.
    grad_of: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct OpState {
    /// Bytes of the tensors whose last use it is, the block's output excepted.
    dies: u64,
    /// Of those, the tensors nothing saves.
    dies_unsaved: u64,
    /// Bytes of the saved tensors its backward frees.
    freed: u64,
    /// Live bytes at its forward's peak, the saved tensors kept.
    peak: u64,
}

/// Room for the storages and ops of one block program: the largest of the golden cases
/// (`core/tests/suite/golden.rs`) has 183 storages, 143 ops and 95 saved tensors. A larger one grows
/// the buffers once per estimate.
const CAPACITY: usize = 192;

impl Tape {
    /// A tape that counts what the elementwise ops move ([`Profile::elementwise_bytes`]) for the
    /// time model. The memory estimate does not read it: a plain [`Tape::new`] skips the count
    /// (54,552 -> 52,804 instructions per estimate).
    pub fn counting_traffic() -> Self {
        Tape {
            traffic: Some(0),
            ..Tape::new()
        }
    }

    pub fn new() -> Self {
        Tape {
            storages: Vec::with_capacity(CAPACITY),
            ops: Vec::with_capacity(CAPACITY),
            saves: Vec::with_capacity(CAPACITY),
            externals: Vec::with_capacity(4),
            grad_bytes_override: None,
            autocast_weights: 0,
            traffic: None,
            scratch: Scratch {
                ops: Vec::with_capacity(CAPACITY),
                bufs: Vec::with_capacity(CAPACITY),
            },
        }
    }

    /// Empties the program, keeping every buffer, for the next block.
    pub fn reset(&mut self, grad_bytes: Option<u64>) {
        self.storages.clear();
        self.ops.clear();
        self.saves.clear();
        self.externals.clear();
        self.grad_bytes_override = grad_bytes;
        self.autocast_weights = 0;
        if self.traffic.is_some() {
            self.traffic = Some(0);
        }
    }

    // Inlined (with `fresh` and the others below) into the builders in other codegen units,
    // where it would be a call per tensor: 55,626 -> 54,573 instructions per estimate.
    #[inline]
    fn storage(&mut self, elems: u64, dt: u64, kind: Kind, grad: bool) -> V {
        self.storages.push(Storage {
            bytes: round_up(elems.saturating_mul(dt), BLOCK),
            kind,
            grad,
            last_use: 0,
            state: StorageState::default(),
        });
        V {
            sid: (self.storages.len() - 1) as u32,
            elems,
            dt,
        }
    }

    #[inline]
    fn fresh(&mut self, elems: u64, dt: u64) -> V {
        self.storage(elems, dt, Kind::Act, false)
    }

    /// A table shared by every block and live for the whole pass (rotary cos/sin, the causal mask).
    #[inline]
    pub fn shared(&mut self, elems: u64, dt: u64) -> V {
        self.storage(elems, dt, Kind::Shared, false)
    }

    /// The block's input, live before the block runs.
    #[inline]
    pub fn external(&mut self, elems: u64, dt: u64, grad: bool) -> V {
        let v = self.storage(elems, dt, Kind::External, grad);
        self.externals.push(v.sid);
        v
    }

    /// Whether the block's input `input` requires a gradient, for the next `profile`.
    pub fn set_requires_grad(&mut self, input: V, grad: bool) {
        let st = &mut self.storages[input.sid as usize];
        debug_assert!(st.kind == Kind::External, "only an input's flag is given");
        st.grad = grad;
    }

    /// A parameter of the block.
    #[inline]
    pub fn param(&mut self, elems: u64, dt: u64, trainable: bool) -> V {
        self.storage(elems, dt, Kind::Param { trainable }, trainable)
    }

    /// Records an op reading `inputs` and writing `out`, which saves each of `saves` for backward
    /// when its condition holds.
    // Inlined into each op, which knows its inputs, saves and backward, so that the calls,
    // arguments and loops fold away: about 60 instructions fewer per op recorded (callgrind of
    // `core/examples/repeat.rs`).
    #[inline(always)]
    fn push<const N: usize>(
        &mut self,
        inputs: [V; N],
        out: Option<V>,
        saves: &[(V, When)],
        back: Back,
    ) -> usize {
        const { assert!(N <= MAX_INPUTS, "at most MAX_INPUTS inputs") };
        let i = self.ops.len();
        // A slice, not the vector: its address stays in a register across the writes.
        let storages = &mut self.storages[..];
        let mut ins = [In::default(); MAX_INPUTS];
        for (slot, v) in ins.iter_mut().zip(inputs) {
            let st = &mut storages[v.sid as usize];
            st.last_use = i as u32;
            let param = st.kind == (Kind::Param { trainable: true });
            let grad_bytes = match (param, self.grad_bytes_override) {
                (true, Some(b)) => round_up(v.elems.saturating_mul(b), BLOCK),
                (true, None) => st.bytes,
                (false, _) => v.bytes(),
            };
            *slot = In {
                sid: v.sid,
                param,
                grad_bytes,
            };
        }
        debug_assert!(
            out.is_none_or(|o| storages[o.sid as usize].kind == Kind::Act),
            "an op's output is a fresh activation"
        );
        if let (Some(o), Some(w)) = (out, inputs.first()) {
            // Autocast's weight cache keeps the lower-precision copy of a trainable weight.
            if ins[0].param && o.dt < w.dt {
                self.autocast_weights += storages[o.sid as usize].bytes;
            }
        }
        let first_save = self.saves.len() as u32;
        // Each condition as the storage whose gradient decides it (`NONE`: any input's), so
        // that a walk reads one flag without going through the op's inputs.
        self.saves.extend(saves.iter().map(|&(v, when)| {
            let gate = match when {
                When::Any => NONE,
                When::Input(k) => inputs[usize::from(k)].sid,
            };
            (v.sid, gate)
        }));
        self.ops.push(Op {
            inputs: ins,
            n_inputs: N as u8,
            back,
            bwd_temp_when: When::Any,
            out: out.map_or(NONE, |o| o.sid),
            saves: (first_save, self.saves.len() as u32),
            bwd_temp: 0,
            fwd_temp: 0,
        });
        i
    }

    fn set_bwd_temp(&mut self, op: usize, bytes: u64) {
        self.ops[op].bwd_temp = bytes;
    }

    fn set_fwd_temp(&mut self, op: usize, bytes: u64) {
        self.ops[op].fwd_temp = bytes;
    }

    /// Counts the bytes an elementwise op reads from `inputs` and writes to `out`, divided by
    /// the share of memory bandwidth a transfer of that size reaches: the memory traffic the time
    /// model prices at full bandwidth (matrix multiplies are priced by their FLOPs instead).
    fn moved(&mut self, inputs: &[V], out: V) {
        let Some(traffic) = self.traffic else {
            return;
        };
        let bytes = inputs
            .iter()
            .fold(out.elems.saturating_mul(out.dt), |t, v| {
                t.saturating_add(v.elems.saturating_mul(v.dt))
            }) as f64;
        let at_full = bytes / crate::mesh::memory_efficiency(bytes);
        self.traffic = Some(traffic.saturating_add(at_full as u64));
    }

    /// `x @ w.T (+ b)`: keeps `x` when `w` trains and `w` when `x` needs a gradient.
    pub fn linear(&mut self, x: V, w: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, x.dt);
        let saves = [(x, When::Input(1)), (w, When::Input(0))];
        self.push([x, w], Some(out), &saves, Back::Fresh);
        out
    }

    /// A frozen bitsandbytes 4-bit linear: keeps only the packed weight, dequantises it to a
    /// temporary in forward and again in backward (`bnb.autograd.MatMul4Bit`).
    pub fn quantized_linear(&mut self, x: V, w: V, out_elems: u64, dequant_bytes: u64) -> V {
        let out = self.fresh(out_elems, x.dt);
        let op = self.push([x, w], Some(out), &[], Back::Fresh);
        let temp = round_up(dequant_bytes, BLOCK);
        self.set_fwd_temp(op, temp);
        self.set_bwd_temp(op, temp);
        out
    }

    /// Embedding lookup: keeps the indices; its backward builds a dense gradient of the table
    /// (`embedding_dense_backward`).
    pub fn embedding(&mut self, ids: V, table: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, table.dt);
        self.push(
            [ids, table],
            Some(out),
            &[(ids, When::Input(1))],
            Back::Fresh,
        );
        out
    }

    /// Elementwise product of two tensors (the smaller one broadcast).
    pub fn mul(&mut self, a: V, b: V) -> V {
        let a_big = a.elems >= b.elems;
        let (big, small, small_input) = if a_big { (a, b, 1u8) } else { (b, a, 0u8) };
        let dt = a.dt.max(b.dt);
        let out = self.fresh(big.elems, dt);
        let saves = [(b, When::Input(0)), (a, When::Input(1))];
        let op = self.push([a, b], Some(out), &saves, Back::Fresh);
        self.moved(&[a, b], out);
        // The gradient of a broadcast operand is the full-size product, then reduced.
        if small.elems < big.elems {
            self.set_bwd_temp(op, round_up(big.elems.saturating_mul(dt), BLOCK));
            self.ops[op].bwd_temp_when = When::Input(small_input);
        }
        out
    }

    /// Product with a Python scalar: keeps nothing.
    pub fn scale(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt);
        self.push([a], Some(out), &[], Back::Fresh);
        self.moved(&[a], out);
        out
    }

    /// Sum of two tensors of the same shape (residual connections): keeps nothing, passes the gradient on.
    pub fn add(&mut self, a: V, b: V) -> V {
        let dt = a.dt.max(b.dt);
        let out = self.fresh(a.elems.max(b.elems), dt);
        let back = if a.dt == b.dt && a.elems == b.elems {
            Back::Pass
        } else {
            Back::Fresh
        };
        self.push([a, b], Some(out), &[], back);
        self.moved(&[a, b], out);
        out
    }

    /// Adds a constant or a tensor that needs no gradient: keeps nothing.
    pub fn add_const(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt);
        self.push([a], Some(out), &[], Back::Pass);
        self.moved(&[a], out);
        out
    }

    /// Dtype conversion (`.to`, `.float()`); a no-op view when the dtype already matches.
    pub fn cast(&mut self, a: V, dt: u64) -> V {
        if a.dt == dt {
            return a;
        }
        let out = self.fresh(a.elems, dt);
        self.push([a], Some(out), &[], Back::Fresh);
        self.moved(&[a], out);
        out
    }

    /// A view (reshape, transpose, slice): same storage.
    pub fn view(&mut self, a: V, elems: u64) -> V {
        V { elems, ..a }
    }

    /// A copy into a new storage (`.contiguous()` of a transposed view, `cat`).
    pub fn copy(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt);
        self.push([a], Some(out), &[], Back::Fresh);
        self.moved(&[a], out);
        out
    }

    /// An elementwise op whose backward needs its input (`pow`, `silu`, `gelu`, `tanh` input form, `exp`).
    pub fn unary_keep_input(&mut self, a: V, out_dt: u64) -> V {
        let out = self.fresh(a.elems, out_dt);
        self.push([a], Some(out), &[(a, When::Input(0))], Back::Fresh);
        self.moved(&[a], out);
        out
    }

    /// An elementwise op whose backward needs its output (`tanh`, `rsqrt`, `relu`, `softmax`, `sigmoid`).
    pub fn unary_keep_output(&mut self, a: V, out_dt: u64) -> V {
        let out = self.fresh(a.elems, out_dt);
        self.push([a], Some(out), &[(out, When::Input(0))], Back::Fresh);
        self.moved(&[a], out);
        out
    }

    /// `pow(x, 2)`: keeps `x`; its backward `grad * 2 * x.pow(1)` makes two temporaries of `x`'s size.
    pub fn square(&mut self, a: V) -> V {
        let out = self.unary_keep_input(a, a.dt);
        let op = self.ops.len() - 1;
        self.set_bwd_temp(op, 2 * a.bytes());
        out
    }

    /// A reduction over the last dimension (`mean`, `sum`): keeps nothing; its backward expands the gradient.
    pub fn reduce(&mut self, a: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, a.dt);
        self.push([a], Some(out), &[], Back::Fresh);
        self.moved(&[a], out);
        out
    }

    /// Dropout with probability above zero: CUDA's fused kernel keeps a one-byte mask.
    pub fn dropout(&mut self, a: V) -> V {
        let out = self.fresh(a.elems, a.dt);
        let mask = self.fresh(a.elems, 1);
        self.push([a], Some(out), &[(mask, When::Input(0))], Back::Fresh);
        self.moved(&[a], out);
        self.moved(&[], mask);
        out
    }

    /// A tensor drawn in forward (`torch.empty_like(x).uniform_()`): no inputs, no gradient.
    pub fn noise(&mut self, elems: u64, dt: u64) -> V {
        let out = self.fresh(elems, dt);
        self.push([], Some(out), &[], Back::Pass);
        self.moved(&[], out);
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
        let out = self.fresh(out_elems, a.dt);
        let index = self.fresh(index_elems, 8);
        self.push([a], Some(out), &[(index, When::Input(0))], Back::Fresh);
        self.moved(&[out], out);
        out
    }

    /// `native_layer_norm`: keeps the input and the mean and rstd of each row.
    pub fn layer_norm(&mut self, x: V, w: Option<V>, rows: u64) -> V {
        let out = self.fresh(x.elems, x.dt);
        // Mean and rstd per row, in the input's dtype as the CUDA kernel returns them.
        let stats = self.fresh(rows, x.dt);
        let rstd = self.fresh(rows, x.dt);
        let saves = [(x, When::Any), (stats, When::Any), (rstd, When::Any)];
        match w {
            Some(w) => self.push([x, w], Some(out), &saves, Back::Fresh),
            None => self.push([x], Some(out), &saves, Back::Fresh),
        };
        self.moved(&[x], out);
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
        let out = self.fresh(q.elems, q.dt);
        let lse = self.fresh(lse_elems, 4);
        // The Philox seed and offset are two one-element tensors, kept for the backward's dropout replay.
        let seed = self.fresh(2, 8);
        let offset = self.fresh(1, 8);
        let mut saves = [q, k, v, out, lse, seed, offset, q].map(|t| (t, When::Any));
        let n = match bias {
            None => 7,
            Some(b) => {
                saves[7].0 = b;
                8
            }
        };
        let op = self.push([q, k, v], Some(out), &saves[..n], Back::Fresh);
        self.set_bwd_temp(op, bwd_workspace);
        out
    }

    /// Batched matmul of two activations (eager attention): keeps both.
    pub fn bmm(&mut self, a: V, b: V, out_elems: u64) -> V {
        let out = self.fresh(out_elems, a.dt);
        let saves = [(a, When::Input(1)), (b, When::Input(0))];
        self.push([a, b], Some(out), &saves, Back::Fresh);
        out
    }

    /// Adds a temporary of `bytes` to the backward of the op just recorded (whenever it runs).
    pub fn last_bwd_temp(&mut self, bytes: u64) {
        if let Some(op) = self.ops.last_mut() {
            debug_assert!(op.bwd_temp_when == When::Any, "one condition per op");
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
    ///
    /// It lives to the end of the op recorded last rather than through an op of its own that
    /// reads it: such an op would create nothing, so its live bytes never exceed the previous
    /// op's peak, and its backward does nothing; the profile is the same with one op fewer.
    pub fn hold(&mut self, v: V) {
        match self.ops.len().checked_sub(1) {
            Some(last) => {
                let st = &mut self.storages[v.sid as usize];
                st.last_use = st.last_use.max(last as u32);
            }
            None => {
                self.push([v], None, &[], Back::Pass);
            }
        }
    }

    /// A forward-only temporary the size of `bytes` at this point of the program.
    pub fn fwd_scratch(&mut self, bytes: u64) {
        let op = self.push([], None, &[], Back::Pass);
        self.set_fwd_temp(op, bytes);
    }

    /// Runs the program forward then backward from `output`, whose gradient arrives from above.
    ///
    /// Forward, in one pass: which tensors require a gradient (an op's output does when any of
    /// its inputs does), which each op saves, the activation bytes each op creates, which die at
    /// each op (a tensor lives from its creation to its last use, or to the end when saved or the
    /// output), what the backward of each op frees of the saved ones, and the live bytes with the
    /// saved tensors kept and with nothing kept. A tensor dies at or after the op that creates
    /// it, so each op's deaths are known when the pass reaches it; one saved after its last use
    /// (a mask an attention op keeps without reading it as an input) turns out to have stayed
    /// live since, so the peaks of the ops between are raised then (each op keeps its own).
    pub fn profile(&mut self, output: V) -> Profile {
        let out_sid = output.sid as usize;
        let Tape {
            storages,
            ops,
            saves,
            externals,
            scratch,
            ..
        } = self;
        // Slices, not the vectors: the records written below cannot then move the buffers, so
        // their addresses and lengths stay in registers.
        let (storages, ops, saves) = (&mut storages[..], &ops[..], &saves[..]);
        for st in storages.iter_mut() {
            st.state = StorageState {
                grad: st.grad,
                created: NONE,
                saved: false,
                grad_of: NONE,
            };
        }
        scratch.ops.clear();
        scratch.ops.resize(ops.len(), OpState::default());
        let op_states = &mut scratch.ops[..];
        let (mut saved_total, mut input_saved) = (0u64, 0u64);
        let (mut live, mut live_unsaved) = (0u64, 0u64);
        let (mut fwd_peak, mut fwd_peak_unsaved) = (0u64, 0u64);
        for (i, op) in ops.iter().enumerate() {
            let inputs = op.inputs();
            let any = inputs.iter().any(|v| storages[v.sid as usize].state.grad);
            let mut born = 0u64;
            if op.out != NONE {
                // A fresh activation no earlier op can have created or saved.
                let o = op.out as usize;
                let st = &mut storages[o];
                st.state.grad = any;
                st.state.created = i as u32;
                born = st.bytes;
                if o != out_sid {
                    let d = &mut op_states[(st.last_use as usize).max(i)];
                    d.dies += st.bytes;
                    d.dies_unsaved += st.bytes;
                }
            }
            let (first, end) = op.saves;
            for &(sid, gate) in &saves[first as usize..end as usize] {
                let keeps = if gate == NONE {
                    any
                } else {
                    storages[gate as usize].state.grad
                };
                if !keeps {
                    continue;
                }
                let sid = sid as usize;
                born += create(storages, sid, i, out_sid, op_states);
                let st = &mut storages[sid];
                if st.state.saved {
                    continue;
                }
                st.state.saved = true;
                match st.kind {
                    Kind::Act => {
                        saved_total += st.bytes;
                        op_states[i].freed += st.bytes;
                        if sid != out_sid {
                            let dies = st.last_use.max(st.state.created) as usize;
                            if dies >= i {
                                op_states[dies].dies_unsaved -= st.bytes;
                            } else {
                                // Saved after its last use (a mask passed to attention as its
                                // bias): it stayed live through the ops since, whose peaks grow.
                                live += st.bytes;
                                for k in &mut op_states[dies + 1..i] {
                                    k.peak += st.bytes;
                                    fwd_peak = fwd_peak.max(k.peak);
                                }
                            }
                        }
                    }
                    Kind::External => {
                        saved_total += st.bytes;
                        input_saved += st.bytes;
                        op_states[i].freed += st.bytes;
                    }
                    _ => {}
                }
            }
            let d = &mut op_states[i];
            live += born;
            live_unsaved += born;
            d.peak = live + op.fwd_temp;
            fwd_peak = fwd_peak.max(d.peak);
            fwd_peak_unsaved = fwd_peak_unsaved.max(live_unsaved + op.fwd_temp);
            live -= d.dies_unsaved;
            live_unsaved -= d.dies;
        }

        // Backward: the ops in reverse, gradient buffers with reference counts.
        let bufs = &mut scratch.bufs;
        bufs.clear();
        let mut live_grads = 0u64;
        let mut param_grads = 0u64;
        let mut saved_live = saved_total;
        let out_bytes = storages[out_sid].bytes;
        let out_grad = storages[out_sid].state.grad;
        if out_grad {
            bufs.push((out_bytes, 1));
            storages[out_sid].state.grad_of = 0;
            live_grads += out_bytes;
        }
        let mut bwd_peak = saved_live + live_grads;
        for (op, op_state) in ops.iter().zip(op_states.iter()).rev() {
            let g = if op.out == NONE {
                NONE
            } else {
                storages[op.out as usize].state.grad_of
            };
            if g != NONE {
                let g = g as usize;
                let inputs = op.inputs();
                let temp_runs = match op.bwd_temp_when {
                    When::Any => true,
                    When::Input(k) => storages[inputs[usize::from(k)].sid as usize].state.grad,
                };
                let mut transient = if temp_runs { op.bwd_temp } else { 0 };
                for v in inputs {
                    let state = &mut storages[v.sid as usize].state;
                    if !state.grad {
                        continue;
                    }
                    if v.param {
                        param_grads += v.grad_bytes;
                        continue;
                    }
                    let bytes = v.grad_bytes;
                    let fresh = op.back == Back::Fresh;
                    let new_buf = if fresh {
                        bufs.push((bytes, 1));
                        live_grads += bytes;
                        bufs.len() - 1
                    } else {
                        bufs[g].1 += 1;
                        g
                    };
                    let existing = state.grad_of;
                    if existing == NONE {
                        state.grad_of = new_buf as u32;
                    } else if bufs[existing as usize].1 == 1 && fresh {
                        // In-place accumulation: the new gradient lives until it is added.
                        transient += bytes;
                        live_grads -= release(bufs, new_buf);
                    } else {
                        bufs.push((bytes, 1));
                        live_grads += bytes;
                        let sum = bufs.len() - 1;
                        live_grads -= release(bufs, existing as usize);
                        live_grads -= release(bufs, new_buf);
                        state.grad_of = sum as u32;
                    }
                }
                bwd_peak = bwd_peak.max(saved_live + live_grads + param_grads + transient);
                live_grads -= release(bufs, g);
                storages[op.out as usize].state.grad_of = NONE;
            }
            saved_live -= op_state.freed;
            bwd_peak = bwd_peak.max(saved_live + live_grads + param_grads);
        }
        let input_grad = externals
            .iter()
            .map(|&sid| storages[sid as usize].state.grad_of)
            .filter(|&g| g != NONE)
            .map(|g| bufs[g as usize].0)
            .max()
            .unwrap_or(0);
        Profile {
            autocast_weights: self.autocast_weights,
            elementwise_bytes: self.traffic.unwrap_or(0),
            saved: saved_total,
            fwd_peak,
            fwd_peak_unsaved,
            input_saved,
            bwd_peak,
            param_grads,
            input_grad,
            out_grad,
            out_bytes,
        }
    }
}

/// Marks `sid` created by op `i` unless an earlier op did; returns the activation bytes born at
/// `i` and counts them dying at their last use (the block's output never dies).
fn create(
    storages: &mut [Storage],
    sid: usize,
    i: usize,
    out_sid: usize,
    ops: &mut [OpState],
) -> u64 {
    let st = &mut storages[sid];
    if st.state.created != NONE {
        return 0;
    }
    st.state.created = i as u32;
    if st.kind != Kind::Act {
        return 0;
    }
    if sid != out_sid {
        let d = &mut ops[(st.last_use as usize).max(i)];
        d.dies += st.bytes;
        d.dies_unsaved += st.bytes;
    }
    st.bytes
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
