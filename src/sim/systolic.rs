//! The tiling driver of the systolic array: multiplies any M x K by K x N matrix pair on an
//! R x C array simulated in Verilator, and the checker that compares the result with the golden
//! model ([`crate::rtl::matmul::model::matmul_ref`]).
//!
//! Contract of [`run`]:
//! - A is cut into R-row tiles and B into C-column tiles (edge tiles padded with zeros); each of
//!   the ceil(M/R) x ceil(N/C) output tiles is one operation of K beats, beat k carrying column k
//!   of the A tile on `a_in` and row k of the B tile on `b_in`, `in_first` on k = 0 and `in_last`
//!   on k = K-1. Tiles go in row-major order, back to back.
//! - A beat is presented with `in_valid` high and held until a cycle where `in_ready` is high.
//!   With a stall rate P > 0, each cycle a beat would be presented is instead, with probability
//!   P, an idle cycle (`in_valid` low) carrying random garbage on the data and flag inputs, which
//!   the array must ignore. Stalls come from a ChaCha8 RNG seeded with the run's seed.
//! - Every `out_valid` cycle delivers one row; rows must come in order 0..R-1 per tile and tiles
//!   in the order their last beats were accepted. Rows and columns of padding are dropped.
//! - The driver fails with `Error::Mismatch` on a protocol violation (`in_ready` low on a beat
//!   without `in_last`, `in_ready` depending on `in_valid`, an `in_last` beat accepted sooner
//!   than the spacing rule allows or refused although the rule is met, a row out of order or with no tile outstanding, a row later
//!   or earlier than the documented latency when one is given) and on a hang: more cycles than
//!   `hang_bound` allows for the shapes and the stalls injected.
//! - Statistics: cycles from the end of reset to the last row, useful MACs (M·K·N) and the array
//!   utilisation, useful MACs / (R·C·cycles).

use crate::error::{Error, Result};
use crate::rtl::matmul::model::{signed_range, wrap_signed, Mat};
use crate::rtl::matmul::SystolicConfig;
use crate::sim::verilator::{BuildOptions, Design, Model, PortId, Sim};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// The generated array of `cfg` as a Verilator design (Verilog from
/// [`crate::rtl::matmul::verilog`], ports from the manifest's port list).
pub fn design(cfg: &SystolicConfig) -> Result<Design> {
    let v = crate::rtl::matmul::verilog(cfg)?;
    Ok(Design {
        top: cfg.top_name(),
        sources: vec![(crate::rtl::matmul::verilog_file(cfg), v.text)],
        ports: crate::rtl::matmul::top::ports(cfg),
        clock: "clock".into(),
    })
}

/// Generates and builds (or finds cached) the array of `cfg` in Verilator.
pub fn build(cfg: &SystolicConfig, opts: &BuildOptions) -> Result<Model> {
    design(cfg)?.build(opts)
}

/// Largest M, K or N the driver and the CLI accept.
pub const MAX_SHAPE: usize = 4096;

/// How a run is driven.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Probability (0 <= P < 1) that a cycle which could carry a beat is left idle instead.
    pub stall_rate: f64,
    /// Seeds the stall and garbage RNG; reported in every mismatch.
    pub seed: u64,
    /// Minimum number of cycles between two accepted `in_last` beats (the spacing rule).
    pub last_spacing: u64,
    /// When known: row i of a tile whose last beat was accepted at cycle t must appear at cycle
    /// t + `row0_latency` + i. `None` checks only the order of rows.
    pub row0_latency: Option<u64>,
}

impl RunOptions {
    /// The documented timing of the generated array for `cfg`, without stalls: the spacing rule
    /// [`SystolicConfig::min_last_spacing`] and row latency [`SystolicConfig::row_out_latency`].
    pub fn new(cfg: &SystolicConfig, seed: u64) -> Self {
        RunOptions {
            stall_rate: 0.0,
            seed,
            last_spacing: cfg.min_last_spacing() as u64,
            row0_latency: Some(cfg.row_out_latency(0) as u64),
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Cycles from the end of reset to the cycle of the last output row, inclusive.
    pub cycles: u64,
    /// M·K·N multiply-accumulates of the product itself (padding excluded).
    pub useful_macs: u64,
    /// useful MACs / (R·C·cycles).
    pub utilisation: f64,
    pub tiles: u64,
    pub beats: u64,
    /// Idle cycles the driver injected.
    pub stall_cycles: u64,
    /// Cycles from the acceptance of the first tile's last beat to its row 0.
    pub first_row_latency: u64,
}

/// The first difference between an expected and a simulated matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Shape { expected: (usize, usize), got: (usize, usize), seed: u64 },
    Element { i: usize, j: usize, expected: i64, got: i64, seed: u64, differing: usize },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Shape { expected, got, seed } => write!(
                f,
                "result shape {}x{} differs from the expected {}x{} (seed {seed})",
                got.0, got.1, expected.0, expected.1
            ),
            Mismatch::Element { i, j, expected, got, seed, differing } => write!(
                f,
                "C[{i}][{j}] = {got} but the model gives {expected} ({differing} element(s) differ; seed {seed})"
            ),
        }
    }
}

impl std::error::Error for Mismatch {}

impl From<Mismatch> for Error {
    fn from(m: Mismatch) -> Self {
        Error::Mismatch(m.to_string())
    }
}

/// Compares a simulated result with the model's, naming the first differing element (row-major
/// order), both values, how many elements differ and the seed.
pub fn check(expected: &Mat, got: &Mat, seed: u64) -> Result<(), Mismatch> {
    if (expected.rows(), expected.cols()) != (got.rows(), got.cols()) {
        return Err(Mismatch::Shape { expected: (expected.rows(), expected.cols()), got: (got.rows(), got.cols()), seed });
    }
    let differing = expected.data().iter().zip(got.data()).filter(|(e, g)| e != g).count();
    match expected.data().iter().zip(got.data()).position(|(e, g)| e != g) {
        None => Ok(()),
        Some(p) => {
            let (i, j) = (p / expected.cols(), p % expected.cols());
            Err(Mismatch::Element { i, j, expected: expected.at(i, j), got: got.at(i, j), seed, differing })
        }
    }
}

/// Validates a stall rate: 0 <= P < 1 (at 1 no beat would ever be sent).
pub fn check_stall_rate(p: f64) -> Result<f64> {
    if (0.0..1.0).contains(&p) {
        Ok(p)
    } else {
        Err(Error::invalid("stall-rate", p, "allowed: 0 <= P < 1"))
    }
}

/// Validates one of M, K, N.
pub fn check_shape(name: &str, v: usize) -> Result<usize> {
    crate::error::check_range(name, v, 1, MAX_SHAPE)
}

/// The most cycles a correct array may take for `tiles` tiles of `k` beats with `stalls` idle
/// cycles injected: every tile takes at most max(K, spacing) + 1 cycles between last beats, plus
/// the stalls, plus draining R + C rows, plus the documented pipeline latency and a margin.
pub fn hang_bound(cfg: &SystolicConfig, opts: &RunOptions, tiles: u64, k: u64, stalls: u64) -> u64 {
    let (r, c) = (cfg.rows as u64, cfg.cols as u64);
    tiles * (k.max(opts.last_spacing) + 1) + stalls + 2 * (r + c) + opts.row0_latency.unwrap_or(0) + 64
}

struct Ports {
    in_valid: PortId,
    in_ready: PortId,
    in_first: PortId,
    in_last: PortId,
    a_in: PortId,
    b_in: PortId,
    out_valid: PortId,
    out_row: PortId,
    c_out: PortId,
    reset: PortId,
}

impl Ports {
    fn find(sim: &Sim, cfg: &SystolicConfig) -> Result<Self> {
        let p = Ports {
            in_valid: sim.port("in_valid")?,
            in_ready: sim.port("in_ready")?,
            in_first: sim.port("in_first")?,
            in_last: sim.port("in_last")?,
            a_in: sim.port("a_in")?,
            b_in: sim.port("b_in")?,
            out_valid: sim.port("out_valid")?,
            out_row: sim.port("out_row")?,
            c_out: sim.port("c_out")?,
            reset: sim.port("reset")?,
        };
        let want = [
            ("a_in", p.a_in.width(), cfg.rows * cfg.in_bits),
            ("b_in", p.b_in.width(), cfg.cols * cfg.in_bits),
            ("c_out", p.c_out.width(), cfg.cols * cfg.acc_bits),
        ];
        for (name, got, need) in want {
            if got != need {
                return Err(Error::invalid(format!("width of port {name}"), got, format!("must be {need} for {}", cfg.top_name())));
            }
        }
        Ok(p)
    }
}

/// Packs signed `width`-bit values, element e at bits `[e*width +: width]`, into 32-bit words.
pub fn pack(values: impl IntoIterator<Item = i64>, width: u32, words: &mut [u32]) {
    words.iter_mut().for_each(|w| *w = 0);
    let mask = if width >= 64 { u64::MAX } else { (1u64 << width) - 1 };
    for (e, v) in values.into_iter().enumerate() {
        let bits = (v as u64) & mask;
        for b in 0..width as usize {
            if bits >> b & 1 == 1 {
                let pos = e * width as usize + b;
                words[pos / 32] |= 1 << (pos % 32);
            }
        }
    }
}

/// Reads the signed `width`-bit element `e` at bits `[e*width +: width]` of `words`.
pub fn unpack(words: &[u32], width: u32, e: usize) -> i64 {
    let mut v = 0u64;
    for b in 0..width as usize {
        let pos = e * width as usize + b;
        v |= ((words[pos / 32] >> (pos % 32) & 1) as u64) << b;
    }
    wrap_signed(v as i64, width)
}

struct Beat {
    a: Vec<u32>,
    b: Vec<u32>,
    first: bool,
    last: bool,
}

/// Multiplies `a` (M x K) by `b` (K x N) on the simulated array; see the module docs.
pub fn run(sim: &mut Sim, cfg: &SystolicConfig, a: &Mat, b: &Mat, opts: &RunOptions) -> Result<(Mat, Stats)> {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    check_shape("M", m)?;
    check_shape("K", k)?;
    check_shape("N", n)?;
    if b.rows() != k {
        return Err(Error::invalid(
            "matrix shapes",
            format!("{m}x{k} times {}x{n}", b.rows()),
            "A's columns must equal B's rows",
        ));
    }
    check_stall_rate(opts.stall_rate)?;
    let (lo, hi) = signed_range(cfg.in_bits);
    for (name, x) in [("A", a), ("B", b)] {
        if let Some(v) = x.data().iter().find(|v| !(lo..=hi).contains(*v)) {
            return Err(Error::invalid(format!("element of {name}"), v, format!("allowed: {lo}..={hi} ({} bits signed)", cfg.in_bits)));
        }
    }
    let p = Ports::find(sim, cfg)?;
    let (r, c) = (cfg.rows as usize, cfg.cols as usize);
    let (tm, tn) = (m.div_ceil(r), n.div_ceil(c));
    let tiles: Vec<(usize, usize)> = (0..tm).flat_map(|ti| (0..tn).map(move |tj| (ti * r, tj * c))).collect();
    let seed = opts.seed;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let fail = |cycle: u64, what: String| Error::Mismatch(format!("{what} at cycle {cycle} (seed {seed})"));

    // Reset with the inputs idle.
    let wa = p.a_in.width().div_ceil(32) as usize;
    let wb = p.b_in.width().div_ceil(32) as usize;
    sim.set_id(p.reset, 1)?;
    sim.set_id(p.in_valid, 0)?;
    for _ in 0..2 {
        sim.tick();
    }
    sim.set_id(p.reset, 0)?;
    let start = sim.cycle();

    let mut out = Mat::zeros(m, n);
    let mut beats = tiles.iter().flat_map(|&(m0, n0)| {
        (0..k).map(move |kk| {
            let mut av = vec![0u32; wa];
            let mut bv = vec![0u32; wb];
            pack((0..r).map(|i| a.at_or_zero(m0 + i, kk)), cfg.in_bits, &mut av);
            pack((0..c).map(|j| b.at_or_zero(kk, n0 + j)), cfg.in_bits, &mut bv);
            Beat { a: av, b: bv, first: kk == 0, last: kk + 1 == k }
        })
    });
    let mut pending = beats.next();
    // Tiles whose last beat was accepted, with that cycle, waiting for their rows.
    let mut outstanding: VecDeque<((usize, usize), u64)> = VecDeque::new();
    let mut next_tile = 0usize;
    let mut next_row = 0usize;
    let mut last_accept: Option<u64> = None;
    let (mut stalls, mut n_beats, mut first_row_latency) = (0u64, 0u64, None);
    let mut garbage_a = vec![0u32; wa];
    let mut garbage_b = vec![0u32; wb];

    loop {
        let now = sim.cycle() - start;
        let bound = hang_bound(cfg, opts, tiles.len() as u64, k as u64, stalls);
        if now > bound {
            return Err(fail(
                now,
                format!(
                    "hang: {} of {} tiles complete, {} beats accepted, after more than {bound} cycles",
                    next_tile,
                    tiles.len(),
                    n_beats
                ),
            ));
        }
        // Drive this cycle's inputs.
        let stall = pending.is_some() && opts.stall_rate > 0.0 && rng.random_bool(opts.stall_rate);
        let mut presented = false;
        match (&pending, stall) {
            (Some(beat), false) => {
                sim.set_words_id(p.a_in, &beat.a)?;
                sim.set_words_id(p.b_in, &beat.b)?;
                sim.set_id(p.in_first, beat.first as u64)?;
                sim.set_id(p.in_last, beat.last as u64)?;
                presented = true;
            }
            _ => {
                for (w, width) in [(&mut garbage_a, p.a_in.width()), (&mut garbage_b, p.b_in.width())] {
                    w.iter_mut().for_each(|x| *x = rng.random());
                    if width % 32 != 0 {
                        if let Some(top) = w.last_mut() {
                            *top &= (1u32 << (width % 32)) - 1;
                        }
                    }
                }
                sim.set_words_id(p.a_in, &garbage_a)?;
                sim.set_words_id(p.b_in, &garbage_b)?;
                sim.set_id(p.in_first, rng.random_range(0..2))?;
                sim.set_id(p.in_last, rng.random_range(0..2))?;
                if pending.is_some() {
                    stalls += 1;
                }
            }
        }
        // in_ready may depend on in_last and the state only, never on in_valid.
        sim.set_id(p.in_valid, 0)?;
        sim.eval();
        let ready_idle = sim.get_id(p.in_ready)? == 1;
        sim.set_id(p.in_valid, presented as u64)?;
        sim.eval();
        let ready = sim.get_id(p.in_ready)? == 1;
        if ready != ready_idle {
            return Err(fail(now, format!("protocol: in_ready is {} with in_valid high but {} with it low", ready as u8, ready_idle as u8)));
        }
        if presented {
            let last = pending.as_ref().map(|b| b.last).unwrap_or(false);
            if !ready && !last {
                return Err(fail(now, "protocol: in_ready low for a beat without in_last".into()));
            }
            if !ready && last_accept.is_none_or(|t| now - t >= opts.last_spacing) {
                return Err(fail(
                    now,
                    format!("protocol: in_ready low for an in_last beat although the spacing rule ({}) is met", opts.last_spacing),
                ));
            }
            if ready {
                if last {
                    if let Some(t) = last_accept {
                        if now - t < opts.last_spacing {
                            return Err(fail(
                                now,
                                format!(
                                    "protocol: in_last accepted {} cycles after the previous one (the spacing rule needs {})",
                                    now - t,
                                    opts.last_spacing
                                ),
                            ));
                        }
                    }
                    last_accept = Some(now);
                    outstanding.push_back((tiles[next_tile], now));
                    next_tile += 1;
                }
                n_beats += 1;
                pending = beats.next();
            }
        }
        // Sample this cycle's outputs.
        if sim.get_id(p.out_valid)? == 1 {
            let row = sim.get_id(p.out_row)? as usize;
            let Some(&((m0, n0), t_last)) = outstanding.front() else {
                return Err(fail(now, format!("protocol: out_valid high (out_row {row}) with no tile outstanding")));
            };
            if row != next_row {
                return Err(fail(now, format!("protocol: out_row {row} where row {next_row} was due")));
            }
            if let Some(l) = opts.row0_latency {
                let due = t_last + l + row as u64;
                if now != due {
                    return Err(fail(
                        now,
                        format!("latency: row {row} of tile ({m0}, {n0}) came at cycle {now}, due at {due} (last beat at {t_last})"),
                    ));
                }
            }
            if first_row_latency.is_none() {
                first_row_latency = Some(now - t_last);
            }
            let words = sim.get_words_id(p.c_out);
            for j in 0..c {
                if m0 + row < m && n0 + j < n {
                    out.set(m0 + row, n0 + j, unpack(words, cfg.acc_bits, j));
                }
            }
            next_row += 1;
            if next_row == r {
                next_row = 0;
                outstanding.pop_front();
                if pending.is_none() && outstanding.is_empty() {
                    let cycles = now + 1;
                    let useful_macs = (m * k * n) as u64;
                    let stats = Stats {
                        cycles,
                        useful_macs,
                        utilisation: useful_macs as f64 / (cfg.macs() as f64 * cycles as f64),
                        tiles: tiles.len() as u64,
                        beats: n_beats,
                        stall_cycles: stalls,
                        first_row_latency: first_row_latency.unwrap_or(0),
                    };
                    sim.set_id(p.in_valid, 0)?;
                    sim.tick();
                    return Ok((out, stats));
                }
            }
        }
        sim.tick();
    }
}
