//! Traffic generators, checkers and statistics for the network-on-chip, driving the generated
//! mesh in Verilator through its packed injection/ejection buses.
//!
//! Contract of [`run`]:
//! - Every node has a source: each cycle of the injection phase (`cycles` cycles after reset)
//!   it creates a packet of `packet_flits` flits with probability `rate / packet_flits`, so the
//!   offered load is `rate` flits per node per cycle. Created packets wait in an unbounded source
//!   queue and are offered one flit per cycle (valid held until ready), head first.
//! - Destinations: `uniform` picks any other node, `transpose` sends (x, y) to (y, x) (square
//!   meshes; the diagonal stays silent), `hotspot` sends a quarter of the packets to the node
//!   (W/2, H/2) and the rest uniformly. A 1 x 1 mesh sends to itself.
//! - Every ejection port is ready with probability `eject_ready` each cycle (random
//!   back-pressure).
//! - Payload flit k of packet s from a source is a hash of (seed, src, dst, s, k); the head's
//!   `tag` carries s when the flit has room. The checker at each destination compares every flit
//!   with the oldest packet still expected on that (source, destination) pair: a lost, added,
//!   corrupted, interleaved or reordered flit is an `Error::Mismatch` naming the node, the pair,
//!   the packet, the flit, the cycle and the seed.
//! - After the injection phase no packet is created; queued ones are still sent. The run fails
//!   if the network has not delivered every packet within [`drain_bound`] cycles.
//! - Statistics count packets created in `[warmup, cycles)`: average and 99th-percentile
//!   latency from creation (so source queueing is included) to the last flit's ejection, and the
//!   accepted throughput, flits ejected per node per cycle over the same window.

use crate::error::{Error, Result};
use crate::rtl::noc::flit::{Header, MAX_PAYLOAD};
use crate::rtl::noc::NocConfig;
use crate::sim::verilator::{BuildOptions, Design, Model, PortId, Sim};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};

/// The generated mesh as a Verilator design.
pub fn design(cfg: &NocConfig) -> Result<Design> {
    let v = crate::rtl::noc::verilog(cfg)?;
    Ok(Design {
        top: cfg.top_name(),
        sources: vec![(crate::rtl::noc::verilog_file(cfg), v.text)],
        ports: crate::rtl::noc::mesh::ports(cfg),
        clock: "clock".into(),
    })
}

/// Generates and builds (or finds cached) the mesh of `cfg` in Verilator.
pub fn build(cfg: &NocConfig, opts: &BuildOptions) -> Result<Model> {
    design(cfg)?.build(opts)
}

crate::error::keyword_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Traffic as "traffic" {
        Uniform => "uniform",
        Transpose => "transpose",
        Hotspot => "hotspot",
    }
}

/// A fault the driver injects between the mesh and the checker, to show the checker sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The n-th ejected flit (0-based, over all nodes) is not passed to the checker.
    DropFlit(u64),
    /// Bit 0 of the n-th ejected flit's data is flipped before the checker sees it.
    FlipBit(u64),
}

#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub traffic: Traffic,
    /// Offered load, flits per node per cycle (0..=1).
    pub rate: f64,
    /// Flits per packet including the head (1..=16).
    pub packet_flits: u32,
    /// Cycles of the injection phase.
    pub cycles: u64,
    /// Packets created before this cycle are not counted in the statistics.
    pub warmup: u64,
    /// Probability that an ejection port is ready in a cycle (0 < p <= 1).
    pub eject_ready: f64,
    pub seed: u64,
    pub fault: Fault,
}

impl RunOptions {
    pub fn new(traffic: Traffic, rate: f64, cycles: u64, seed: u64) -> Self {
        RunOptions { traffic, rate, packet_flits: 4, cycles, warmup: cycles / 10, eject_ready: 1.0, seed, fault: Fault::None }
    }

    pub fn validate(&self, cfg: &NocConfig) -> Result<()> {
        if !(self.rate.is_finite() && (0.0..=1.0).contains(&self.rate)) {
            return Err(Error::invalid("rate", self.rate, "allowed: 0..=1 flits per node per cycle"));
        }
        if !(self.eject_ready.is_finite() && self.eject_ready > 0.0 && self.eject_ready <= 1.0) {
            return Err(Error::invalid("eject-ready", self.eject_ready, "allowed: more than 0 and at most 1"));
        }
        if cfg.topology == crate::rtl::noc::Topology::Torus && self.packet_flits != 1 {
            return Err(Error::invalid("packet-flits", self.packet_flits, "allowed on the torus: 1 (its packets are single flits)"));
        }
        crate::error::check_range("packet-flits", self.packet_flits, 1, MAX_PAYLOAD + 1)?;
        crate::error::check_range("cycles", self.cycles, 1, 10_000_000)?;
        if self.traffic == Traffic::Transpose && cfg.width != cfg.height {
            return Err(Error::invalid("traffic", "transpose", format!("needs a square mesh, not {}x{}", cfg.width, cfg.height)));
        }
        Ok(())
    }
}

/// What a run measured.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    pub created_packets: u64,
    pub delivered_packets: u64,
    pub delivered_flits: u64,
    /// Packets created in the measurement window (all delivered when the run succeeds).
    pub measured_packets: u64,
    pub avg_latency: f64,
    pub p99_latency: u64,
    pub max_latency: u64,
    /// Offered load, flits per node per cycle.
    pub offered: f64,
    /// Flits ejected per node per cycle in the measurement window.
    pub accepted: f64,
    /// Cycles from the end of the injection phase until the last packet was delivered.
    pub drain_cycles: u64,
    /// The bound the drain was checked against.
    pub drain_bound: u64,
}

/// Payload flit `k` of packet `seq` from `src` to `dst`, masked to `bits`.
pub fn payload(seed: u64, src: u32, dst: u32, seq: u64, k: u32, bits: u32) -> u64 {
    // SplitMix64 finaliser over the packed fields.
    let mut z = seed ^ (src as u64) << 56 ^ (dst as u64) << 48 ^ seq << 8 ^ k as u64;
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    if bits >= 64 {
        z
    } else {
        z & ((1u64 << bits) - 1)
    }
}

#[derive(Debug, Clone)]
struct Packet {
    src: u32,
    dst: u32,
    seq: u64,
    created: u64,
    flits: Vec<u64>,
}

fn make_packet(cfg: &NocConfig, opts: &RunOptions, src: u32, dst: u32, seq: u64, created: u64) -> Result<Packet> {
    let (sx, sy) = cfg.coords(src);
    let (dx, dy) = cfg.coords(dst);
    let tag_bits = cfg.flit_bits.saturating_sub(16);
    let tag = if tag_bits == 0 { 0 } else if tag_bits >= 64 { seq } else { seq & ((1u64 << tag_bits) - 1) };
    let len = opts.packet_flits - 1;
    let head = Header { dst_x: dx, dst_y: dy, src_x: sx, src_y: sy, len, tag }.pack(cfg.flit_bits)?;
    let mut flits = vec![head];
    for k in 1..=len {
        flits.push(payload(opts.seed, src, dst, seq, k, cfg.flit_bits));
    }
    Ok(Packet { src, dst, seq, created, flits })
}

fn destination(cfg: &NocConfig, t: Traffic, src: u32, rng: &mut ChaCha8Rng) -> Option<u32> {
    let n = cfg.nodes();
    if n == 1 {
        return Some(0);
    }
    let uniform = |rng: &mut ChaCha8Rng| {
        let d = rng.random_range(0..n - 1);
        if d >= src {
            d + 1
        } else {
            d
        }
    };
    match t {
        Traffic::Uniform => Some(uniform(rng)),
        Traffic::Transpose => {
            let (x, y) = cfg.coords(src);
            (x != y).then(|| cfg.node(y, x))
        }
        Traffic::Hotspot => {
            let hot = cfg.node(cfg.width / 2, cfg.height / 2);
            if src != hot && rng.random_bool(0.25) {
                Some(hot)
            } else {
                Some(uniform(rng))
            }
        }
    }
}

/// Cycles allowed for the drain after the injection phase: `ceil(2 * P / eject_ready) +
/// 8 * (W + H + 2) + 100`, where P counts every flit still queued at a source twice (once for
/// its source, once for its destination) and every flit of a packet already in the network once,
/// scaled by (L + 1) / L for the idle cycle an output spends between packets of L flits. A network
/// that moves at least one pending flit every two back-pressured cycles drains within it; a
/// deadlocked or livelocked one does not.
pub fn drain_bound(cfg: &NocConfig, max_pending_per_port: u64, eject_ready: f64) -> u64 {
    (2.0 * max_pending_per_port as f64 / eject_ready).ceil() as u64 + 8 * (cfg.width + cfg.height + 2) as u64 + 100
}

struct Ports {
    reset: PortId,
    inj_valid: PortId,
    inj_ready: PortId,
    inj_data: PortId,
    inj_last: PortId,
    ej_valid: PortId,
    ej_ready: PortId,
    ej_data: PortId,
    ej_last: PortId,
}

impl Ports {
    fn new(sim: &Sim) -> Result<Self> {
        Ok(Ports {
            reset: sim.port("reset")?,
            inj_valid: sim.port("inj_valid")?,
            inj_ready: sim.port("inj_ready")?,
            inj_data: sim.port("inj_data")?,
            inj_last: sim.port("inj_last")?,
            ej_valid: sim.port("ej_valid")?,
            ej_ready: sim.port("ej_ready")?,
            ej_data: sim.port("ej_data")?,
            ej_last: sim.port("ej_last")?,
        })
    }
}

fn put(words: &mut [u32], lo: u32, bits: u32, v: u64) {
    for b in 0..bits {
        let i = lo + b;
        let w = &mut words[(i / 32) as usize];
        if (v >> b) & 1 == 1 {
            *w |= 1 << (i % 32);
        } else {
            *w &= !(1 << (i % 32));
        }
    }
}

fn take(words: &[u32], lo: u32, bits: u32) -> u64 {
    let mut v = 0u64;
    for b in 0..bits {
        let i = lo + b;
        if (words[(i / 32) as usize] >> (i % 32)) & 1 == 1 {
            v |= 1 << b;
        }
    }
    v
}

fn bit_words(bits: &[bool]) -> Vec<u32> {
    let mut w = vec![0u32; bits.len().div_ceil(32)];
    for (i, &b) in bits.iter().enumerate() {
        if b {
            w[i / 32] |= 1 << (i % 32);
        }
    }
    w
}

/// Holds reset for two cycles with every input idle.
pub fn reset(sim: &mut Sim, cfg: &NocConfig) -> Result<()> {
    let p = Ports::new(sim)?;
    let n = cfg.nodes() as usize;
    let zeros = bit_words(&vec![false; n]);
    sim.set_id(p.reset, 1)?;
    sim.set_words_id(p.inj_valid, &zeros)?;
    sim.set_words_id(p.inj_last, &zeros)?;
    sim.set_words_id(p.ej_ready, &zeros)?;
    sim.set_words_id(p.inj_data, &vec![0u32; (n * cfg.flit_bits as usize).div_ceil(32)])?;
    sim.tick();
    sim.tick();
    sim.set_id(p.reset, 0)?;
    Ok(())
}

/// Destination-side checker state of one node.
#[derive(Default)]
struct Rx {
    /// (source, flits received so far) of the packet being received.
    cur: Option<(u32, usize)>,
}

/// Runs traffic on a freshly reset mesh and checks every delivered flit (see the module doc).
pub fn run(sim: &mut Sim, cfg: &NocConfig, opts: &RunOptions) -> Result<Stats> {
    opts.validate(cfg)?;
    reset(sim, cfg)?;
    let p = Ports::new(sim)?;
    let n = cfg.nodes() as usize;
    let b = cfg.flit_bits;
    let seed = opts.seed;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut queues: Vec<VecDeque<Packet>> = vec![VecDeque::new(); n];
    let mut sent_idx = vec![0usize; n];
    let mut next_seq: BTreeMap<(u32, u32), u64> = BTreeMap::new();
    // Packets whose head entered the network, per (src, dst), oldest first.
    let mut in_flight: BTreeMap<(u32, u32), VecDeque<Packet>> = BTreeMap::new();
    let mut rx: Vec<Rx> = (0..n).map(|_| Rx::default()).collect();
    let mut stats = Stats { offered: opts.rate, ..Default::default() };
    let mut latencies: Vec<u64> = Vec::new();
    let mut window_flits = 0u64;
    let mut outstanding = 0u64;
    let mut ejected_total = 0u64;
    let gen_p = opts.rate / opts.packet_flits as f64;
    let data_words = (n * b as usize).div_ceil(32);
    let mut inj_data = vec![0u32; data_words];
    let mut bound: Option<u64> = None;
    let mut t: u64 = 0;
    let fail = |msg: String| Error::Mismatch(format!("{msg} (seed {seed})"));
    loop {
        if t < opts.cycles {
            for s in 0..n as u32 {
                if gen_p > 0.0 && rng.random_bool(gen_p) {
                    if let Some(d) = destination(cfg, opts.traffic, s, &mut rng) {
                        let seq = next_seq.entry((s, d)).or_insert(0);
                        let pk = make_packet(cfg, opts, s, d, *seq, t)?;
                        *seq += 1;
                        queues[s as usize].push_back(pk);
                        stats.created_packets += 1;
                        outstanding += 1;
                    }
                }
            }
        } else if bound.is_none() {
            // Injection is over: fix the drain bound from what is still pending.
            let mut per_src = vec![0u64; n];
            let mut per_dst = vec![0u64; n];
            for (s, q) in queues.iter().enumerate() {
                for (i, pk) in q.iter().enumerate() {
                    let left = if i == 0 { pk.flits.len() - sent_idx[s] } else { pk.flits.len() } as u64;
                    per_src[s] += left;
                    per_dst[pk.dst as usize] += left;
                }
            }
            for q in in_flight.values() {
                for pk in q {
                    per_dst[pk.dst as usize] += pk.flits.len() as u64;
                }
            }
            let pending = per_src.iter().sum::<u64>() + per_dst.iter().sum::<u64>();
            let worst = pending * (opts.packet_flits as u64 + 1) / opts.packet_flits as u64;
            bound = Some(drain_bound(cfg, worst, opts.eject_ready));
        }
        if t >= opts.cycles && outstanding == 0 {
            stats.drain_cycles = t - opts.cycles;
            break;
        }
        if let Some(bd) = bound {
            if t - opts.cycles > bd {
                return Err(fail(format!(
                    "network did not drain: {outstanding} packets still undelivered {bd} cycles after injection stopped"
                )));
            }
        }
        // Drive injection and ejection ports.
        let mut inj_valid = vec![false; n];
        let mut inj_last = vec![false; n];
        for (s, q) in queues.iter().enumerate() {
            if let Some(pk) = q.front() {
                let k = sent_idx[s];
                inj_valid[s] = true;
                inj_last[s] = k + 1 == pk.flits.len();
                put(&mut inj_data, s as u32 * b, b, pk.flits[k]);
            }
        }
        let ej_ready: Vec<bool> = (0..n).map(|_| opts.eject_ready >= 1.0 || rng.random_bool(opts.eject_ready)).collect();
        sim.set_words_id(p.inj_valid, &bit_words(&inj_valid))?;
        sim.set_words_id(p.inj_last, &bit_words(&inj_last))?;
        sim.set_words_id(p.inj_data, &inj_data)?;
        sim.set_words_id(p.ej_ready, &bit_words(&ej_ready))?;
        sim.eval();
        let inj_ready = sim.get_words_id(p.inj_ready).to_vec();
        let ej_valid = sim.get_words_id(p.ej_valid).to_vec();
        let ej_last = sim.get_words_id(p.ej_last).to_vec();
        let ej_data = sim.get_words_id(p.ej_data).to_vec();
        // Injections accepted on this edge.
        for s in 0..n {
            if inj_valid[s] && take(&inj_ready, s as u32, 1) == 1 {
                let q = &mut queues[s];
                if sent_idx[s] == 0 {
                    if let Some(pk) = q.front() {
                        in_flight.entry((pk.src, pk.dst)).or_default().push_back(pk.clone());
                    }
                }
                sent_idx[s] += 1;
                if q.front().is_some_and(|pk| sent_idx[s] == pk.flits.len()) {
                    q.pop_front();
                    sent_idx[s] = 0;
                }
            }
        }
        // Ejections accepted on this edge, through the fault injector to the checker.
        for d in 0..n {
            if !(ej_ready[d] && take(&ej_valid, d as u32, 1) == 1) {
                continue;
            }
            let mut word = take(&ej_data, d as u32 * b, b);
            let last = take(&ej_last, d as u32, 1) == 1;
            let nth = ejected_total;
            ejected_total += 1;
            match opts.fault {
                Fault::DropFlit(k) if k == nth => continue,
                Fault::FlipBit(k) if k == nth => word ^= 1,
                _ => {}
            }
            let (src, k) = match rx[d].cur {
                Some(c) => c,
                None => {
                    let h = Header::unpack(word, b);
                    if h.dst_x >= cfg.width || h.dst_y >= cfg.height || cfg.node(h.dst_x, h.dst_y) != d as u32 {
                        return Err(fail(format!("cycle {t}: node {d} got a head for ({}, {}): {word:#x}", h.dst_x, h.dst_y)));
                    }
                    if h.src_x >= cfg.width || h.src_y >= cfg.height {
                        return Err(fail(format!("cycle {t}: node {d} got a head from ({}, {}), outside the mesh: {word:#x}", h.src_x, h.src_y)));
                    }
                    (cfg.node(h.src_x, h.src_y), 0)
                }
            };
            let Some(pk) = in_flight.get(&(src, d as u32)).and_then(|q| q.front()) else {
                return Err(fail(format!("cycle {t}: node {d} got flit {k} ({word:#x}) of a packet from node {src} that was never sent (or was delivered already)")));
            };
            if pk.flits[k] != word || last != (k + 1 == pk.flits.len()) {
                return Err(fail(format!(
                    "cycle {t}: node {d}, packet {} from node {src}, flit {k}: got {word:#x} last={last}, expected {:#x} last={}",
                    pk.seq,
                    pk.flits[k],
                    k + 1 == pk.flits.len()
                )));
            }
            stats.delivered_flits += 1;
            if t >= opts.warmup && t < opts.cycles {
                window_flits += 1;
            }
            if last {
                rx[d].cur = None;
                let pk = in_flight.get_mut(&(src, d as u32)).and_then(|q| q.pop_front()).expect("front checked above");
                stats.delivered_packets += 1;
                outstanding -= 1;
                if pk.created >= opts.warmup && pk.created < opts.cycles {
                    latencies.push(t - pk.created);
                }
            } else {
                rx[d].cur = Some((src, k + 1));
            }
        }
        sim.tick();
        t += 1;
    }
    stats.drain_bound = bound.unwrap_or(0);
    latencies.sort_unstable();
    stats.measured_packets = latencies.len() as u64;
    if !latencies.is_empty() {
        stats.avg_latency = latencies.iter().sum::<u64>() as f64 / latencies.len() as f64;
        let rank = (0.99 * latencies.len() as f64).ceil() as usize;
        stats.p99_latency = latencies[rank.saturating_sub(1).min(latencies.len() - 1)];
        stats.max_latency = *latencies.last().expect("not empty");
    }
    let window = opts.cycles.saturating_sub(opts.warmup).max(1);
    stats.accepted = window_flits as f64 / (n as f64 * window as f64);
    Ok(stats)
}

/// One cycle in which only node `src` may offer a flit, `offer` = (flit, last): drives the
/// injection ports, evaluates, reads the ejection ports (their ready is the caller's) and applies
/// the rising edge. Returns whether the offer was accepted and every flit ejected, as (node, word).
fn step_one_source(sim: &mut Sim, p: &Ports, cfg: &NocConfig, src: u32, offer: Option<(u64, bool)>, data: &mut [u32]) -> Result<(bool, Vec<(u32, u64)>)> {
    let n = cfg.nodes() as usize;
    let b = cfg.flit_bits;
    let mut valid = vec![false; n];
    let mut last = vec![false; n];
    if let Some((word, l)) = offer {
        valid[src as usize] = true;
        last[src as usize] = l;
        put(data, src * b, b, word);
    }
    sim.set_words_id(p.inj_valid, &bit_words(&valid))?;
    sim.set_words_id(p.inj_last, &bit_words(&last))?;
    sim.set_words_id(p.inj_data, data)?;
    sim.eval();
    let accepted = offer.is_some() && take(sim.get_words_id(p.inj_ready), src, 1) == 1;
    let ev = sim.get_words_id(p.ej_valid).to_vec();
    let ed = sim.get_words_id(p.ej_data).to_vec();
    let ejected = (0..n as u32).filter(|&d| take(&ev, d, 1) == 1).map(|d| (d, take(&ed, d * b, b))).collect();
    sim.tick();
    Ok((accepted, ejected))
}

/// Sends one packet of `flits` flits from `src` to `dst` into an empty, freshly reset network
/// with every ejection port ready, and returns the cycles from the head's acceptance at the
/// source to the last flit's acceptance at the destination.
pub fn zero_load_latency(sim: &mut Sim, cfg: &NocConfig, src: u32, dst: u32, flits: u32) -> Result<u64> {
    reset(sim, cfg)?;
    let p = Ports::new(sim)?;
    let opts = RunOptions { packet_flits: flits, ..RunOptions::new(Traffic::Uniform, 0.0, 1, 1) };
    let pk = make_packet(cfg, &opts, src, dst, 0, 0)?;
    sim.set_words_id(p.ej_ready, &bit_words(&vec![true; cfg.nodes() as usize]))?;
    let mut sent = 0usize;
    let mut got = 0usize;
    let mut head_at = None;
    let mut data = vec![0u32; (cfg.nodes() as usize * cfg.flit_bits as usize).div_ceil(32)];
    for t in 0..10_000u64 {
        let offer = (sent < pk.flits.len()).then(|| (pk.flits[sent], sent + 1 == pk.flits.len()));
        let (accepted, ejected) = step_one_source(sim, &p, cfg, src, offer, &mut data)?;
        if accepted {
            if sent == 0 {
                head_at = Some(t);
            }
            sent += 1;
        }
        for (_, w) in ejected.into_iter().filter(|&(d, _)| d == dst) {
            if w != pk.flits[got] {
                return Err(Error::Mismatch(format!("zero-load {src}->{dst}: flit {got} is {w:#x}, expected {:#x}", pk.flits[got])));
            }
            got += 1;
            if got == pk.flits.len() {
                return Ok(t - head_at.unwrap_or(0));
            }
        }
    }
    Err(Error::Mismatch(format!("zero-load {src}->{dst}: packet not delivered within 10000 cycles")))
}

/// Injects the raw flits `words` (each a single-flit packet, `last` = 1) one after another at
/// node `src` of a freshly reset network, with every ejection port ready, runs `cycles` cycles and
/// returns every ejected flit as (node, word) in the order ejected. For contract checks the
/// traffic driver cannot make (a destination outside the network).
pub fn inject_raw(sim: &mut Sim, cfg: &NocConfig, src: u32, words: &[u64], cycles: u64) -> Result<Vec<(u32, u64)>> {
    reset(sim, cfg)?;
    let p = Ports::new(sim)?;
    sim.set_words_id(p.ej_ready, &bit_words(&vec![true; cfg.nodes() as usize]))?;
    let mut sent = 0usize;
    let mut out = Vec::new();
    let mut data = vec![0u32; (cfg.nodes() as usize * cfg.flit_bits as usize).div_ceil(32)];
    for _ in 0..cycles {
        let offer = words.get(sent).map(|&w| (w, true));
        let (accepted, ejected) = step_one_source(sim, &p, cfg, src, offer, &mut data)?;
        sent += usize::from(accepted);
        out.extend(ejected);
    }
    if sent < words.len() {
        return Err(Error::Mismatch(format!("inject_raw at node {src}: only {sent} of {} flits accepted in {cycles} cycles", words.len())));
    }
    Ok(out)
}

/// One point of a load sweep.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    pub offered: f64,
    pub accepted: f64,
    pub avg_latency: f64,
    pub p99_latency: u64,
}

/// Saturation throughput of a sweep: the highest accepted throughput measured.
pub fn saturation(points: &[SweepPoint]) -> f64 {
    points.iter().map(|p| p.accepted).fold(0.0, f64::max)
}

/// A hand-written SVG of a sweep: average and 99th-percentile latency (log scale, left axis)
/// against offered load, and accepted throughput (right axis, dashed).
pub fn sweep_svg(title: &str, points: &[SweepPoint]) -> String {
    use std::fmt::Write;
    let (w, h, l, r, t, b) = (720.0, 440.0, 70.0, 70.0, 40.0, 60.0);
    let pw = w - l - r;
    let ph = h - t - b;
    let max_lat = points.iter().map(|p| p.p99_latency as f64).fold(10.0, f64::max);
    let lat_top = 10f64.powf(max_lat.log10().ceil());
    let x = |o: f64| l + o * pw;
    let y_lat = |v: f64| t + ph - (v.max(1.0).log10() / lat_top.log10()) * ph;
    let y_thr = |v: f64| t + ph - v * ph;
    let mut s = String::new();
    let _ = writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#);
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{title}</text>"#, w / 2.0);
    let _ = writeln!(s, r##"<rect x="{l}" y="{t}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##);
    for i in 0..=10 {
        let o = i as f64 / 10.0;
        let _ = writeln!(s, r##"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#ddd"/><text x="{0}" y="{3}" text-anchor="middle">{o:.1}</text>"##, x(o), t, t + ph, t + ph + 16.0);
        let _ = writeln!(s, r##"<text x="{}" y="{}" fill="#2a7" >{o:.1}</text>"##, l + pw + 6.0, y_thr(o) + 4.0);
    }
    let mut d = 1.0;
    while d <= lat_top {
        let _ = writeln!(s, r##"<line x1="{l}" y1="{0}" x2="{1}" y2="{0}" stroke="#ddd"/><text x="{2}" y="{3}" text-anchor="end">{d}</text>"##, y_lat(d), l + pw, l - 6.0, y_lat(d) + 4.0);
        d *= 10.0;
    }
    let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="middle">offered load (flits/node/cycle)</text>"#, l + pw / 2.0, h - 18.0);
    let _ = writeln!(s, r#"<text transform="translate(18,{}) rotate(-90)" text-anchor="middle">latency (cycles, log scale)</text>"#, t + ph / 2.0);
    let _ = writeln!(s, r##"<text transform="translate({},{}) rotate(90)" text-anchor="middle" fill="#2a7">accepted throughput (flits/node/cycle)</text>"##, w - 16.0, t + ph / 2.0);
    let line = |f: &dyn Fn(&SweepPoint) -> (f64, f64)| points.iter().map(|p| { let (a, b) = f(p); format!("{a:.1},{b:.1}") }).collect::<Vec<_>>().join(" ");
    let _ = writeln!(s, r##"<polyline fill="none" stroke="#c33" stroke-width="2" points="{}"/>"##, line(&|p| (x(p.offered), y_lat(p.avg_latency))));
    let _ = writeln!(s, r##"<polyline fill="none" stroke="#36c" stroke-width="2" points="{}"/>"##, line(&|p| (x(p.offered), y_lat(p.p99_latency as f64))));
    let _ = writeln!(s, r##"<polyline fill="none" stroke="#2a7" stroke-width="2" stroke-dasharray="6,4" points="{}"/>"##, line(&|p| (x(p.offered), y_thr(p.accepted))));
    for p in points {
        let _ = writeln!(s, r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#c33"/><circle cx="{:.1}" cy="{:.1}" r="3" fill="#36c"/><circle cx="{:.1}" cy="{:.1}" r="3" fill="#2a7"/>"##, x(p.offered), y_lat(p.avg_latency), x(p.offered), y_lat(p.p99_latency as f64), x(p.offered), y_thr(p.accepted));
    }
    let sat = saturation(points);
    let _ = writeln!(s, r##"<line x1="{l}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#2a7" stroke-width="1"/><text x="{2}" y="{3:.1}" fill="#2a7">saturation {sat:.3}</text>"##, y_thr(sat), l + pw, l + 8.0, y_thr(sat) - 5.0);
    let legend = [("#c33", "average latency"), ("#36c", "99th-percentile latency"), ("#2a7", "accepted throughput (dashed)")];
    for (i, (c, name)) in legend.iter().enumerate() {
        let yy = t + 16.0 + 16.0 * i as f64;
        let _ = writeln!(s, r##"<rect x="{}" y="{}" width="12" height="4" fill="{c}"/><text x="{}" y="{}">{name}</text>"##, l + 10.0, yy - 4.0, l + 28.0, yy);
    }
    s.push_str("</svg>\n");
    s
}
