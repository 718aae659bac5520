//! The driver of the attention unit: streams sequences of tokens (append k and v of every head,
//! then query every head) through the unit simulated in Verilator, and the checker that compares
//! each token's outputs with [`crate::rtl::attention::model::expected`].
//!
//! Contract of [`run`]:
//! - Each sequence starts with one `clear` cycle (the caches empty), then for each token and
//!   each layer in turn (layer 0 kv, layer 0 queries, layer 1 kv, ... as a transformer does): the
//!   `groups` kv beats (group g carries heads `g*lanes .. (g+1)*lanes`, `kv_last` on the last),
//!   then the `groups` query beats. [`run`] drives layer 0 only; [`run_layers`] every layer. A beat is offered with its valid high and held until ready;
//!   the next beat is offered in the very next cycle (no idle cycles) unless a stall is drawn:
//!   with stall rate P, each cycle a beat could be offered is instead idle with probability P,
//!   with random garbage on every data input (ChaCha8 seeded with the run's seed).
//! - Every `out_valid` cycle delivers one group; it must be the oldest outstanding query and
//!   arrive exactly `AttentionConfig::query_latency(cache_len)` cycles after that query was accepted, else
//!   `Error::Mismatch` naming the cycle and the seed. A run longer than a bound from the
//!   latency formula is a hang.
//! - Statistics: cycles of each token (all its layers) from the cycle its first kv beat is
//!   accepted to its last `out_valid`, inclusive.

use crate::error::{Error, Result};
use crate::rtl::attention::model::Token;
use crate::rtl::attention::AttentionConfig;
use crate::sim::systolic::{pack, unpack};
use crate::sim::verilator::{BuildOptions, Design, Model, Sim};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// The generated unit of `cfg` as a Verilator design.
pub fn design(cfg: &AttentionConfig) -> Result<Design> {
    let v = crate::rtl::attention::verilog(cfg)?;
    Ok(Design {
        top: cfg.top_name(),
        sources: vec![(crate::rtl::attention::verilog_file(cfg), v.text)],
        ports: crate::rtl::attention::top::ports(cfg),
        clock: "clock".into(),
    })
}

/// Generates and builds (or finds cached) the unit of `cfg` in Verilator.
pub fn build(cfg: &AttentionConfig, opts: &BuildOptions) -> Result<Model> {
    design(cfg)?.build(opts)
}

/// Outputs of a sequence: `out[t][h][e]`.
pub type Outputs = Vec<Vec<Vec<i16>>>;

/// What a run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Per sequence, per token: cycles from its first kv beat offered to its last output.
    pub token_cycles: Vec<Vec<u64>>,
    /// Idle cycles the driver injected.
    pub stall_cycles: u64,
    /// All cycles from the end of reset to the last output.
    pub cycles: u64,
}

/// How a run is driven.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub stall_rate: f64,
    pub seed: u64,
}

/// Random tokens: every q/k/v element uniform in `-mag..=mag` (mag <= 32768 gives the full range).
pub fn random_tokens(cfg: &AttentionConfig, n: usize, mag: i32, rng: &mut impl Rng) -> Vec<Token> {
    let (h, d) = (cfg.heads as usize, cfg.head_dim as usize);
    let vecs = |rng: &mut dyn rand::Rng| -> Vec<Vec<i16>> {
        (0..h).map(|_| (0..d).map(|_| rng.random_range(-mag..=mag).clamp(-32768, 32767) as i16).collect()).collect()
    };
    (0..n).map(|_| Token { q: vecs(rng), k: vecs(rng), v: vecs(rng) }).collect()
}

/// Compares outputs of a sequence, naming the first differing token, head and element.
pub fn check(expected: &Outputs, got: &Outputs, seed: u64) -> Result<()> {
    let mut differing = 0;
    let mut first = None;
    for (t, (et, gt)) in expected.iter().zip(got).enumerate() {
        for (h, (eh, gh)) in et.iter().zip(gt).enumerate() {
            for (e, (x, y)) in eh.iter().zip(gh).enumerate() {
                if x != y {
                    differing += 1;
                    first.get_or_insert((t, h, e, *x, *y));
                }
            }
        }
    }
    if expected.len() != got.len() {
        return Err(Error::Mismatch(format!("{} tokens came out, {} expected (seed {seed})", got.len(), expected.len())));
    }
    match first {
        None => Ok(()),
        Some((t, h, e, x, y)) => Err(Error::Mismatch(format!(
            "token {t} head {h} element {e} = {y} but the model gives {x} ({differing} element(s) differ; seed {seed})"
        ))),
    }
}

#[derive(Clone)]
enum Beat {
    Clear,
    Kv { y: usize, g: usize, last: bool, k: Vec<u32>, v: Vec<u32> },
    Q { y: usize, g: usize, q: Vec<u32>, seq: usize, tok: usize },
}

/// Runs `seqs` (each a sequence of at most `context` tokens, starting from an empty cache) on the
/// simulated unit, all in layer 0, and returns every token's outputs; see the module docs.
pub fn run(sim: &mut Sim, cfg: &AttentionConfig, seqs: &[Vec<Token>], opts: &RunOptions) -> Result<(Vec<Outputs>, Stats)> {
    let layered: Vec<Vec<Vec<Token>>> = seqs.iter().map(|s| vec![s.clone()]).collect();
    let (outs, stats) = run_layers(sim, cfg, &layered, opts)?;
    Ok((outs.into_iter().map(|mut o| o.remove(0)).collect(), stats))
}

/// Runs layered sequences: `seqs[s][y]` are the tokens of layer `y` of sequence `s` (every layer
/// of a sequence has the same number of tokens, at most `context`; at most `layers` layers).
/// Token `t` of a sequence sends layer 0's kv and queries, then layer 1's, and so on. Returns
/// `out[s][y][t][h][e]`.
pub fn run_layers(sim: &mut Sim, cfg: &AttentionConfig, seqs: &[Vec<Vec<Token>>], opts: &RunOptions) -> Result<(Vec<Vec<Outputs>>, Stats)> {
    crate::sim::systolic::check_stall_rate(opts.stall_rate)?;
    let (l, d, g_n) = (cfg.lanes as usize, cfg.head_dim as usize, cfg.groups() as usize);
    for s in seqs {
        crate::error::check_range("layers in a sequence", s.len(), 1, cfg.layers as usize)?;
        let n = s[0].len();
        if let Some(bad) = s.iter().find(|y| y.len() != n) {
            return Err(Error::invalid("tokens in a layer", bad.len(), format!("must equal layer 0's {n}")));
        }
        crate::error::check_range("tokens in a sequence", n, 0, cfg.context as usize)?;
        for t in s.iter().flatten() {
            for x in [&t.q, &t.k, &t.v] {
                if x.len() != cfg.heads as usize || x.iter().any(|h| h.len() != d) {
                    return Err(Error::invalid("token shape", format!("{} heads", x.len()), format!("must be {} heads of {d} elements", cfg.heads)));
                }
            }
        }
    }
    let words = cfg.group_width().div_ceil(32) as usize;
    let group = |x: &Vec<Vec<i16>>, g: usize| -> Vec<u32> {
        let mut w = vec![0u32; words];
        pack((0..l).flat_map(|ln| x[g * l + ln].iter().map(|&v| v as i64)), 16, &mut w);
        w
    };
    let mut beats: VecDeque<Beat> = VecDeque::new();
    for (si, s) in seqs.iter().enumerate() {
        beats.push_back(Beat::Clear);
        for ti in 0..s[0].len() {
            for (y, layer) in s.iter().enumerate() {
                let t = &layer[ti];
                for g in 0..g_n {
                    beats.push_back(Beat::Kv { y, g, last: g + 1 == g_n, k: group(&t.k, g), v: group(&t.v, g) });
                }
                for g in 0..g_n {
                    beats.push_back(Beat::Q { y, g, q: group(&t.q, g), seq: si, tok: ti });
                }
            }
        }
    }
    let n_beats = beats.len() as u64;
    let ids = |n: &str| sim.port(n);
    let (reset, clear, kv_valid, kv_ready, kv_last, kv_group, kv_k, kv_v) =
        (ids("reset")?, ids("clear")?, ids("kv_valid")?, ids("kv_ready")?, ids("kv_last")?, ids("kv_group")?, ids("kv_k")?, ids("kv_v")?);
    let (q_valid, q_ready, q_group, q_in, out_valid, out_group, out, cache_len) =
        (ids("q_valid")?, ids("q_ready")?, ids("q_group")?, ids("q_in")?, ids("out_valid")?, ids("out_group")?, ids("out")?, ids("cache_len")?);
    let (kv_layer, q_layer) = (ids("kv_layer")?, ids("q_layer")?);
    let seed = opts.seed;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_a77e);
    let fail = |cycle: u64, what: String| Error::Mismatch(format!("{what} at cycle {cycle} (seed {seed})"));

    sim.set_id(reset, 1)?;
    for id in [clear, kv_valid, q_valid] {
        sim.set_id(id, 0)?;
    }
    sim.tick();
    sim.tick();
    sim.set_id(reset, 0)?;
    let start = sim.cycle();

    let mut outs: Vec<Vec<Outputs>> =
        seqs.iter().map(|s| s.iter().map(|y| vec![vec![vec![0i16; d]; cfg.heads as usize]; y.len()]).collect()).collect();
    let mut token_cycles: Vec<Vec<u64>> = seqs.iter().map(|s| vec![0; s[0].len()]).collect();
    let mut token_start: Vec<Vec<Option<u64>>> = seqs.iter().map(|s| vec![None; s[0].len()]).collect();
    // Accepted queries waiting for their output: (due cycle, layer, group, seq, token).
    let mut waiting: VecDeque<(u64, usize, usize, usize, usize)> = VecDeque::new();
    let total_q: usize = seqs.iter().map(|s| s.len() * s[0].len() * g_n).sum();
    let total_len: u64 = seqs.iter().map(|s| (s.len() * s[0].len() * (s[0].len() + 1) / 2) as u64).sum();
    let (mut stalls, mut delivered) = (0u64, 0usize);
    let mut len_model = vec![0u64; cfg.layers as usize];
    let ym = (1u64 << cfg.layer_bits()) - 1;
    let mut last_out = 0u64;
    let garbage = |rng: &mut ChaCha8Rng| -> Vec<u32> { (0..words).map(|_| rng.random()).collect() };
    // Index of the token whose kv beats are being sent, per sequence (for the cycle count).
    let mut cur_seq = 0usize;
    loop {
        let now = sim.cycle() - start;
        // Every beat takes at most 2 cycles beside the query streams, which take cache_len * chunks + 1.
        let bound = 2 * n_beats + (total_len * cfg.chunks() as u64 + total_q as u64) * g_n as u64 + stalls + 64;
        if now > bound {
            return Err(fail(now, format!("hang: {delivered} of {total_q} outputs after {now} cycles")));
        }
        if beats.is_empty() && waiting.is_empty() {
            break;
        }
        let stall = opts.stall_rate > 0.0 && !beats.is_empty() && rng.random_bool(opts.stall_rate);
        // Drive inputs.
        let (mut cv, mut kvv, mut qv) = (false, false, false);
        if stall {
            stalls += 1;
            let (a, b, c) = (garbage(&mut rng), garbage(&mut rng), garbage(&mut rng));
            sim.set_words_id(kv_k, &a)?;
            sim.set_words_id(kv_v, &b)?;
            sim.set_words_id(q_in, &c)?;
            let gm = (1u64 << cfg.group_bits()) - 1;
            sim.set_id(kv_group, rng.random::<u64>() & gm)?;
            sim.set_id(q_group, rng.random::<u64>() & gm)?;
            sim.set_id(kv_last, rng.random::<u64>() & 1)?;
            sim.set_id(kv_layer, rng.random::<u64>() & ym)?;
            sim.set_id(q_layer, rng.random::<u64>() & ym)?;
        } else if let Some(b) = beats.front() {
            match b {
                Beat::Clear => cv = true,
                Beat::Kv { y, g, last, k, v } => {
                    kvv = true;
                    sim.set_id(kv_layer, *y as u64)?;
                    sim.set_id(kv_group, *g as u64)?;
                    sim.set_id(kv_last, *last as u64)?;
                    sim.set_words_id(kv_k, k)?;
                    sim.set_words_id(kv_v, v)?;
                }
                Beat::Q { y, g, q, .. } => {
                    qv = true;
                    sim.set_id(q_layer, *y as u64)?;
                    sim.set_id(q_group, *g as u64)?;
                    sim.set_words_id(q_in, q)?;
                }
            }
        }
        sim.set_id(clear, cv as u64)?;
        sim.set_id(kv_valid, kvv as u64)?;
        sim.set_id(q_valid, qv as u64)?;
        sim.eval();
        // Outputs of this cycle.
        if sim.get_id(out_valid)? == 1 {
            let og = sim.get_id(out_group)? as usize;
            let Some((due, y, g, si, ti)) = waiting.pop_front() else {
                return Err(fail(now, "out_valid with no query outstanding".into()));
            };
            if due != now || og != g {
                return Err(fail(now, format!("output of group {og}, but group {g} was due at cycle {due}")));
            }
            let w = sim.get_words_id(out).to_vec();
            for ln in 0..l {
                for (e, o) in outs[si][y][ti][g * l + ln].iter_mut().enumerate() {
                    *o = unpack(&w, 16, ln * d + e) as i16;
                }
            }
            if g + 1 == g_n && y + 1 == seqs[si].len() {
                if let Some(s0) = token_start[si][ti] {
                    token_cycles[si][ti] = now - s0 + 1;
                }
            }
            delivered += 1;
            last_out = now;
        }
        // Acceptance.
        let cl = sim.get_id(cache_len)?;
        if !stall {
            match beats.front() {
                Some(Beat::Clear) => {
                    beats.pop_front();
                    len_model.fill(0);
                }
                Some(Beat::Kv { y, g, last, .. }) if sim.get_id(kv_ready)? == 1 => {
                    {
                        if *g == 0 && *y == 0 {
                            // The first kv beat of the next token of the current sequence.
                            while cur_seq < seqs.len() && token_start[cur_seq].iter().all(|x| x.is_some()) {
                                cur_seq += 1;
                            }
                            if let Some(slot) = token_start.get_mut(cur_seq).and_then(|v| v.iter_mut().find(|x| x.is_none())) {
                                *slot = Some(now);
                            }
                        }
                        if *last {
                            len_model[*y] += 1;
                        }
                        beats.pop_front();
                    }
                }
                Some(Beat::Q { y, g, seq, tok, .. }) if sim.get_id(q_ready)? == 1 => {
                    {
                        if cl != len_model[*y] {
                            return Err(fail(now, format!("cache_len of layer {y} is {cl}, expected {}", len_model[*y])));
                        }
                        waiting.push_back((now + cfg.query_latency(cl as u32) as u64, *y, *g, *seq, *tok));
                        beats.pop_front();
                    }
                }
                _ => {}
            }
        }
        sim.tick();
    }
    sim.set_id(q_valid, 0)?;
    sim.set_id(kv_valid, 0)?;
    Ok((outs, Stats { token_cycles, stall_cycles: stalls, cycles: last_out + 1 }))
}
