//! The driver of the vector-unit leaves in Verilator: each leaf runs alone with its memories
//! modelled here in Rust, with the contract's one-cycle read latency (docs/lpu.md).
//!
//! Contract of [`run`]:
//! - Cycle 0 drives `start` with the leaf's inputs; the inputs stay as given until `done`.
//! - A read issued in cycle `c` (`a_ren`, `w_en`, `rq_en`) is answered in cycle `c + 1` from the
//!   memory as it was before the writes of cycle `c`; in every other cycle the data inputs carry
//!   random garbage (ChaCha8, seeded), so a leaf that samples them at the wrong time fails.
//! - A write (`a_we`) lands in the scratchpad at the edge ending its cycle; every write is
//!   recorded with its cycle.
//! - An enable outside the memory, a read or write before `start` or after `done`, or no
//!   `done` within a bound is an `Error::Mismatch` naming the leaf and the cycle.
//! - [`Run::cycles`] is the cycle of `done` (cycle 0 = `start`).

use crate::error::{Error, Result};
use crate::model::quant::{QTensor, QuantModel};
use crate::rtl::lpu::vector::{ports, Leaf};
use crate::sim::verilator::{BuildOptions, Design, Model, Sim};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The Verilator design of one leaf (its own file, so a change to one leaf rebuilds only it).
pub fn design(leaf: Leaf) -> Result<Design> {
    let v = leaf.verilog()?;
    Ok(Design { top: leaf.module().into(), sources: vec![(format!("{}.v", leaf.module()), v.text)], ports: ports(leaf), clock: "clock".into() })
}

/// Generates and builds (or finds cached) one leaf in Verilator.
pub fn build(leaf: Leaf, opts: &BuildOptions) -> Result<Model> {
    design(leaf)?.build(opts)
}

/// The weight store of the contract for an `r x c` matrix unit: words of `r*c` signed bytes
/// (lane `l = row%r * c + col%c`) and one 24-bit requant word per row.
#[derive(Debug, Clone, Default)]
pub struct WeightStore {
    pub r: usize,
    pub c: usize,
    pub words: Vec<Vec<i8>>,
    pub rq: Vec<u32>,
}

/// Where a tensor was placed in a [`WeightStore`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placed {
    pub base: usize,
    pub rq_base: usize,
    pub chunks: usize,
}

impl WeightStore {
    pub fn new(r: usize, c: usize) -> Self {
        WeightStore { r, c, ..Default::default() }
    }

    /// Appends `t` after `gap` empty words (and `gap` unused requant words), by the contract's
    /// formula: `w[row][col]` at word `base + (row / r) * chunks + col / c`, lane
    /// `(row % r) * c + col % c`; padding lanes 0.
    pub fn push(&mut self, t: &QTensor, gap: usize) -> Placed {
        let (r, c) = (self.r, self.c);
        self.words.extend((0..gap).map(|_| vec![0i8; r * c]));
        self.rq.extend(std::iter::repeat_n(0xff_ffff, gap));
        let base = self.words.len();
        let chunks = t.cols.div_ceil(c);
        let tiles = t.rows.div_ceil(r);
        self.words.extend((0..tiles * chunks).map(|_| vec![0i8; r * c]));
        for row in 0..t.rows {
            for col in 0..t.cols {
                self.words[base + (row / r) * chunks + col / c][(row % r) * c + col % c] = t.row(row)[col];
            }
        }
        let rq_base = self.rq.len();
        self.rq.extend(t.rq.iter().map(|q| q.mult as u32 | (q.shift << 16)));
        Placed { base, rq_base, chunks }
    }
}

/// The memories a leaf sees: scratchpad (65536 signed 16-bit elements) and weight store.
#[derive(Debug, Clone)]
pub struct Memories {
    pub scratch: Vec<i16>,
    pub store: WeightStore,
}

impl Memories {
    pub fn new(store: WeightStore) -> Self {
        Memories { scratch: vec![0; 1 << 16], store }
    }
}

/// What one run of a leaf did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The cycle of `done` (cycle 0 = `start`).
    pub cycles: u64,
    /// `(cycle, address, value)` of every scratchpad write, in order.
    pub writes: Vec<(u64, u16, i16)>,
    /// The sampler's `token` in the `done` cycle.
    pub token: Option<u64>,
}

fn bad(leaf: Leaf, cycle: u64, what: String) -> Error {
    Error::Mismatch(format!("{} cycle {cycle}: {what}", leaf.module()))
}

/// Resets a fresh simulation (two cycles of `reset`, every input low), then checks three idle
/// cycles: every enable, `busy` and `done` low.
pub fn reset(sim: &mut Sim, leaf: Leaf) -> Result<()> {
    for p in ports(leaf) {
        if p.direction == crate::manifest::Direction::Input && p.name != "clock" && p.width <= 64 {
            sim.set(&p.name, 0)?;
        }
    }
    sim.set("reset", 1)?;
    sim.tick();
    sim.tick();
    sim.set("reset", 0)?;
    // Idle after reset: every enable low, no done.
    let outs: Vec<&str> = ["a_ren", "w_en", "rq_en", "a_we", "done", "busy"]
        .into_iter()
        .filter(|n| ports(leaf).iter().any(|p| p.name == *n))
        .collect();
    for cycle in 0..3 {
        sim.eval();
        for n in &outs {
            if sim.get(n)? != 0 {
                return Err(bad(leaf, cycle, format!("{n} high while idle after reset")));
            }
        }
        sim.tick();
    }
    Ok(())
}

/// Loads the sampler's xorshift32 state (one cycle of `seed_load`).
pub fn load_seed(sim: &mut Sim, state: u32) -> Result<()> {
    sim.set("seed", state as u64)?;
    sim.set("seed_load", 1)?;
    sim.tick();
    sim.set("seed_load", 0)?;
    Ok(())
}

/// Runs `leaf` once with `inputs` (port name, value) against `mem`; see the module docs.
/// `seed` drives the garbage on idle data inputs.
pub fn run(sim: &mut Sim, leaf: Leaf, inputs: &[(&str, u64)], mem: &mut Memories, seed: u64) -> Result<Run> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for &(name, v) in inputs {
        sim.set(name, v)?;
    }
    // Elements per scratchpad read and write (Norm K wide: word reads, chunk writes).
    let kw = match leaf {
        Leaf::NormWide(k) | Leaf::EmbedWide(k) | Leaf::SamplerWide(k) => k as usize,
        _ => 1,
    };
    let sampler = matches!(leaf, Leaf::Sampler | Leaf::SamplerWide(_));
    let has_w = matches!(leaf, Leaf::Embed | Leaf::EmbedWide(_));
    let has_read = !has_w;
    let has_write = !sampler;
    let len = inputs.iter().find(|(n, _)| *n == "len").map(|x| x.1).unwrap_or(0);
    let bound = 4 * len + 64;
    // Answers due in the next cycle.
    let (mut a_next, mut w_next, mut rq_next): (Option<Vec<i16>>, Option<Vec<i8>>, Option<u32>) = (None, None, None);
    let mut writes = Vec::new();
    let mut cycle = 0u64;
    let mut done_at = None;
    let mut token = None;
    // Cycles after done in which the leaf must stay quiet.
    let quiet = 3;
    let snoops = matches!(leaf, Leaf::Norm | Leaf::NormWide(_)) || sampler;
    if snoops {
        sim.set("sn_we", 0)?;
    }
    if sim.port("sk_we").is_ok() {
        sim.set("sk_we", 0)?;
    }
    loop {
        sim.set("start", (cycle == 0) as u64)?;
        if snoops {
            // The core pulses sn_clear with every unit's start, this one's included.
            sim.set("sn_clear", (cycle == 0) as u64)?;
        }
        if has_read {
            let v = a_next.take().unwrap_or_else(|| (0..kw).map(|_| rng.random::<i16>()).collect());
            let words: Vec<u32> = v.chunks(2).map(|p| p[0] as u16 as u32 | p.get(1).map_or(0, |&h| (h as u16 as u32) << 16)).collect();
            sim.set_words("a_rdata", &words)?;
        }
        if has_w {
            let v = w_next.take().unwrap_or_else(|| (0..kw).map(|_| rng.random::<i8>()).collect());
            let mut words = vec![0u32; kw.div_ceil(4)];
            for (j, b) in v.iter().enumerate() {
                words[j / 4] |= (*b as u8 as u32) << (8 * (j % 4));
            }
            sim.set_words("w_byte", &words)?;
            let v = rq_next.take().map(|x| x as u64).unwrap_or_else(|| rng.random::<u32>() as u64 & 0xff_ffff);
            sim.set("rq_data", v)?;
        }
        sim.eval();
        let active = done_at.is_none();
        if has_read && sim.get("a_ren")? == 1 {
            if !active {
                return Err(bad(leaf, cycle, "a_ren after done".into()));
            }
            let a = sim.get("a_raddr")? as usize;
            if a % kw != 0 && !sampler {
                return Err(bad(leaf, cycle, format!("read of element {a}, not a multiple of {kw}")));
            }
            // The sampler reads single elements too: lane 0 is the element, the other lanes
            // are garbage unless the address is a multiple of K (as the core's chunk read).
            let mut v = mem.scratch[a..a + 1].to_vec();
            for j in 1..kw {
                v.push(if a % kw == 0 { mem.scratch[a + j] } else { rng.random() });
            }
            a_next = Some(v);
        }
        if has_w && sim.get("w_en")? == 1 {
            if !active {
                return Err(bad(leaf, cycle, "w_en after done".into()));
            }
            let (a, l) = (sim.get("w_addr")? as usize, sim.get("w_lane")? as usize);
            let bytes = mem.store.words.get(a).and_then(|w| w.get(l..l + kw)).ok_or_else(|| {
                bad(leaf, cycle, format!("weight read of word {a} lanes {l}..{} outside the store ({} words of {} lanes)", l + kw, mem.store.words.len(), mem.store.r * mem.store.c))
            })?;
            w_next = Some(bytes.to_vec());
        }
        if has_w && sim.get("rq_en")? == 1 {
            if !active {
                return Err(bad(leaf, cycle, "rq_en after done".into()));
            }
            let a = sim.get("rq_addr")? as usize;
            let w = mem.store.rq.get(a).ok_or_else(|| bad(leaf, cycle, format!("requant read of {a} outside the store ({} words)", mem.store.rq.len())))?;
            rq_next = Some(*w);
        }
        if has_write && sim.get("a_we")? == 1 {
            if !active {
                return Err(bad(leaf, cycle, "a_we after done".into()));
            }
            let a = sim.get("a_waddr")? as u16;
            if a as usize % kw != 0 {
                return Err(bad(leaf, cycle, format!("write of element {a}, not a multiple of {kw}")));
            }
            let words = sim.get_words("a_wdata")?;
            for j in 0..kw {
                let v = (words[j / 2] >> (16 * (j % 2))) as u16 as i16;
                mem.scratch[a as usize + j] = v;
                writes.push((cycle, a + j as u16, v));
            }
        }
        let done = sim.get("done")? == 1;
        if done {
            if !active {
                return Err(bad(leaf, cycle, "a second done".into()));
            }
            done_at = Some(cycle);
            if sampler {
                token = Some(sim.get("token")?);
            }
        }
        if cycle > 0 && active && sim.get("busy")? == 0 && !done && len != 0 {
            return Err(bad(leaf, cycle, "busy low before done".into()));
        }
        sim.tick();
        cycle += 1;
        if let Some(d) = done_at {
            if sampler && token != Some(sim.get("token")?) {
                return Err(bad(leaf, cycle, "token changed after done".into()));
            }
            if cycle > d + quiet {
                break;
            }
        }
        if cycle > bound && done_at.is_none() {
            return Err(bad(leaf, cycle, format!("hang: no done after {cycle} cycles (len {len})")));
        }
    }
    Ok(Run { cycles: done_at.unwrap_or(0), writes, token })
}

/// Drives the snoop ports of Norm or the Sampler as the core does before a `pre` run: `noise`
/// random writes, an `sn_clear` pulse (another unit's start), then `writes` (address, value)
/// in order, one per cycle with random idle cycles between them, the last in the cycle just
/// before the next [`run`]'s start. Returns the cycles driven.
pub fn snoop(sim: &mut Sim, writes: &[(u16, i16)], noise: usize, seed: u64) -> Result<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    // (clear, write) per cycle; idle cycles carry garbage on the address and data inputs.
    let mut plan: Vec<(bool, Option<(u16, i16)>)> = (0..noise).map(|_| (false, Some((rng.random(), rng.random())))).collect();
    plan.push((true, None));
    for (i, &w) in writes.iter().enumerate() {
        plan.push((false, Some(w)));
        if i + 1 < writes.len() {
            plan.extend((0..rng.random_range(0..3)).map(|_| (false, None)));
        }
    }
    let has_addr = sim.port("sn_addr").is_ok();
    for &(clear, w) in &plan {
        sim.set("sn_clear", clear as u64)?;
        sim.set("sn_we", w.is_some() as u64)?;
        let (a, v) = w.unwrap_or((rng.random(), rng.random()));
        if has_addr {
            sim.set("sn_addr", a as u64)?;
        }
        sim.set("sn_data", v as u16 as u64)?;
        sim.tick();
    }
    sim.set("sn_clear", 0)?;
    sim.set("sn_we", 0)?;
    Ok(plan.len() as u64)
}

/// Drives the chunk snoop ports of a wide Norm (`sk_we`, `sk_data`, K = `chunks[i].len()`
/// elements each) as the core does before a `pre` run: `noise` random element writes, an
/// `sn_clear` pulse, then the chunks in order, one per cycle with random idle cycles between
/// them (garbage on the data inputs), the last in the cycle just before the next [`run`]'s
/// start. Returns the cycles driven.
pub fn snoop_chunks(sim: &mut Sim, chunks: &[Vec<i16>], noise: usize, seed: u64) -> Result<u64> {
    let all: Vec<(u16, Vec<i16>, u64)> = chunks.iter().map(|c| (0, c.clone(), (1u64 << c.len()) - 1)).collect();
    snoop_masked_chunks(sim, &all, noise, seed)
}

/// [`snoop_chunks`] with each chunk's element address and lane mask `(addr, lanes, mask)`
/// (bit `j` of `mask`: lane `j` written, `sk_wm`; the address on `sk_addr` where the leaf has
/// it, the Sampler), as the matrix unit's wide writes with a partial last group.
pub fn snoop_masked_chunks(sim: &mut Sim, chunks: &[(u16, Vec<i16>, u64)], noise: usize, seed: u64) -> Result<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc4u64);
    let k = chunks.first().map_or(1, |c| c.1.len());
    let has_addr = sim.port("sk_addr").is_ok();
    let words = |v: &[i16]| -> Vec<u32> { v.chunks(2).map(|p| p[0] as u16 as u32 | p.get(1).map_or(0, |&h| (h as u16 as u32) << 16)).collect() };
    // (clear, element write, chunk write) per cycle.
    let mut plan: Vec<(bool, bool, Option<&(u16, Vec<i16>, u64)>)> = (0..noise).map(|_| (false, true, None)).collect();
    plan.push((true, false, None));
    for (i, c) in chunks.iter().enumerate() {
        plan.push((false, false, Some(c)));
        if i + 1 < chunks.len() {
            plan.extend((0..rng.random_range(0..3)).map(|_| (false, false, None)));
        }
    }
    for &(clear, elem, chunk) in &plan {
        sim.set("sn_clear", clear as u64)?;
        sim.set("sn_we", elem as u64)?;
        sim.set("sn_data", rng.random::<u16>() as u64)?;
        sim.set("sk_we", chunk.is_some() as u64)?;
        let garbage: Vec<i16> = (0..k).map(|_| rng.random()).collect();
        sim.set_words("sk_data", &words(chunk.map_or(&garbage, |c| &c.1)))?;
        if has_addr {
            sim.set("sk_addr", chunk.map_or_else(|| rng.random::<u16>(), |c| c.0) as u64)?;
        }
        sim.set("sk_wm", chunk.map_or_else(|| rng.random::<u16>() as u64, |c| c.2))?;
        sim.tick();
    }
    sim.set("sn_clear", 0)?;
    sim.set("sn_we", 0)?;
    sim.set("sk_we", 0)?;
    Ok(plan.len() as u64)
}

/// The inputs of [`Leaf::Embed`] for `tok` at `pos` with `wte`/`wpe` placed in a store of
/// `(r, c)` lanes.
pub fn embed_inputs(q: &QuantModel, wte: Placed, wpe: Placed, (r, c): (usize, usize), tok: usize, pos: usize, dst: usize) -> Vec<(&'static str, u64)> {
    vec![
        ("tok", tok as u64),
        ("pos", pos as u64),
        ("len", q.cfg.n_embd as u64),
        ("dst", dst as u64),
        ("wte_base", wte.base as u64),
        ("wpe_base", wpe.base as u64),
        ("chunks", wte.chunks as u64),
        ("wte_rq", wte.rq_base as u64),
        ("wpe_rq", wpe.rq_base as u64),
        ("lg_r", r.trailing_zeros() as u64),
        ("lg_c", c.trailing_zeros() as u64),
    ]
}

/// The inputs of [`Leaf::Norm`]; `pre`: the sum of squares from the snooped writes.
pub fn norm_inputs(k: &crate::numeric::NormConsts, src: usize, dst: usize, len: usize, pre: bool) -> Vec<(&'static str, u64)> {
    vec![
        ("pre", pre as u64),
        ("src", src as u64),
        ("dst", dst as u64),
        ("len", len as u64),
        ("eps_term", k.eps_term),
        ("gain", k.gain as u64),
        ("gain_shift", k.gain_shift as u64),
        ("out_frac", k.out_frac as u64),
    ]
}

/// The inputs of [`Leaf::Add`].
pub fn add_inputs(src_a: usize, src_b: usize, dst: usize, len: usize) -> Vec<(&'static str, u64)> {
    vec![("src_a", src_a as u64), ("src_b", src_b as u64), ("dst", dst as u64), ("len", len as u64)]
}

/// The inputs of [`Leaf::Sampler`].
pub fn sampler_inputs(src: usize, len: usize, logit_frac: u32, temp_k: u16, pre: bool) -> Vec<(&'static str, u64)> {
    vec![("src", src as u64), ("len", len as u64), ("logit_frac", logit_frac as u64), ("temp_k", temp_k as u64), ("pre", pre as u64)]
}

/// Compares a leaf's output vector with the model's, naming the first differing element.
pub fn check(expected: &[i16], got: &[i16], what: &str) -> Result<()> {
    if expected.len() != got.len() {
        return Err(Error::Mismatch(format!("{what}: {} elements written, {} expected", got.len(), expected.len())));
    }
    let diff: Vec<usize> = (0..expected.len()).filter(|&i| expected[i] != got[i]).collect();
    match diff.first() {
        None => Ok(()),
        Some(&i) => Err(Error::Mismatch(format!(
            "{what}: element {i} = {} but the model gives {} ({} element(s) differ)",
            got[i],
            expected[i],
            diff.len()
        ))),
    }
}
