//! The torus (Hoplite's topology with buffers and bubble flow control) in Verilator: every traffic
//! pattern on several tori with random injection and random back-pressure delivers every packet
//! exactly once, uncorrupted, in order per source-destination pair, and drains; zero-load latency
//! equals the documented formula (hops + 1, hops counted east then south around the rings); the
//! checker catches a dropped and a corrupted flit. Each torus is built once and shared.

use llmpu::rtl::noc::flit::Header;
use llmpu::rtl::noc::NocConfig;
use llmpu::sim::noc::{self, Fault, RunOptions, Traffic};
use llmpu::sim::{BuildOptions, Model};
use std::sync::OnceLock;

fn model(cell: &'static OnceLock<Model>, cfg: &NocConfig) -> &'static Model {
    cell.get_or_init(|| noc::build(cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", cfg.top_name())))
}

fn torus4() -> (NocConfig, &'static Model) {
    static M: OnceLock<Model> = OnceLock::new();
    let cfg = NocConfig::torus(4, 4, 16, 2).unwrap();
    (cfg, model(&M, &cfg))
}

fn oblong() -> (NocConfig, &'static Model) {
    static M: OnceLock<Model> = OnceLock::new();
    let cfg = NocConfig::torus(3, 2, 64, 3).unwrap();
    (cfg, model(&M, &cfg))
}

/// Runs `traffic` with random injection and back-pressure and checks the counts.
fn stress(cfg: &NocConfig, m: &Model, traffic: Traffic, rate: f64, seed: u64) -> noc::Stats {
    let opts = RunOptions { eject_ready: 0.6, packet_flits: 1, ..RunOptions::new(traffic, rate, 1500, seed) };
    let s = noc::run(&mut m.sim(seed), cfg, &opts).unwrap_or_else(|e| panic!("{} {traffic} rate {rate}: {e}", cfg.top_name()));
    assert!(s.created_packets >= 20, "{} {traffic}: only {} packets created", cfg.top_name(), s.created_packets);
    assert_eq!(s.delivered_packets, s.created_packets, "{} {traffic}", cfg.top_name());
    assert_eq!(s.delivered_flits, s.created_packets, "{} {traffic}", cfg.top_name());
    assert!(s.drain_cycles <= s.drain_bound, "{} {traffic}: drain {} > bound {}", cfg.top_name(), s.drain_cycles, s.drain_bound);
    s
}

#[test]
fn torus_4x4_all_patterns_under_back_pressure() {
    let (cfg, m) = torus4();
    for (i, t) in [Traffic::Uniform, Traffic::Transpose, Traffic::Hotspot].into_iter().enumerate() {
        // Below and far above saturation: the high rate fills every buffer and every ring holds
        // its last free slot, so the bubble rule and the drain are tested.
        stress(&cfg, m, t, 0.1, 10 + i as u64);
        let s = stress(&cfg, m, t, 0.8, 20 + i as u64);
        assert!(s.drain_cycles > 100, "{t} at 0.8 did not saturate the torus (drain {} cycles)", s.drain_cycles);
    }
}

#[test]
fn oblong_rings_and_a_single_router() {
    let (cfg, m) = oblong();
    stress(&cfg, m, Traffic::Uniform, 0.1, 40);
    stress(&cfg, m, Traffic::Uniform, 0.9, 41);
    stress(&cfg, m, Traffic::Hotspot, 0.5, 42);
    // Rings of one row or one column (the east or south link closes on itself), and 1x1.
    for (w, h) in [(5, 1), (1, 3), (1, 1)] {
        let cfg = NocConfig::torus(w, h, 16, 2).unwrap();
        let m = noc::build(&cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", cfg.top_name()));
        stress(&cfg, &m, Traffic::Uniform, 0.2, 50);
        stress(&cfg, &m, Traffic::Uniform, 1.0, 51);
    }
}

#[test]
fn zero_load_latency_is_the_documented_formula() {
    for (cfg, m) in [torus4(), oblong()] {
        let mut sim = m.sim(5);
        for src in 0..cfg.nodes() {
            for dst in 0..cfg.nodes() {
                let got = noc::zero_load_latency(&mut sim, &cfg, src, dst, 1).unwrap();
                assert_eq!(got, cfg.zero_load_latency(cfg.hops(src, dst), 1) as u64, "{} {src} -> {dst}", cfg.top_name());
            }
        }
    }
    // The formula is the torus's, not the mesh's: (3, 0) -> (0, 0) is one hop east around the ring.
    let (cfg, _) = torus4();
    assert_eq!(cfg.hops(3, 0), 1);
    assert_eq!(cfg.zero_load_latency(1, 1), 2);
}

#[test]
fn checker_catches_a_dropped_and_a_corrupted_flit() {
    let (cfg, m) = torus4();
    let base = RunOptions { eject_ready: 0.8, packet_flits: 1, ..RunOptions::new(Traffic::Uniform, 0.2, 400, 7) };
    let clean = noc::run(&mut m.sim(7), &cfg, &base).unwrap();
    assert!(clean.delivered_flits > 100);
    let flip = noc::run(&mut m.sim(7), &cfg, &RunOptions { fault: Fault::FlipBit(101), ..base }).unwrap_err().to_string();
    assert!(flip.starts_with("simulation mismatch: cycle "), "{flip}");
    assert!(flip.ends_with("(seed 7)"), "{flip}");
    let drop = noc::run(&mut m.sim(7), &cfg, &RunOptions { fault: Fault::DropFlit(101), ..base }).unwrap_err().to_string();
    assert!(drop.starts_with("simulation mismatch: "), "{drop}");
    let last = clean.delivered_flits - 1;
    let tail = noc::run(&mut m.sim(7), &cfg, &RunOptions { fault: Fault::DropFlit(last), ..base }).unwrap_err().to_string();
    assert!(tail.starts_with("simulation mismatch: network did not drain: 1 packets still undelivered"), "{tail}");
}

/// Rule 8 of the torus: a flit for a node outside the torus is dropped at its source; the flits
/// around it are delivered and the network is empty afterwards (nothing circles a ring).
#[test]
fn a_destination_outside_the_torus_is_dropped_at_the_source() {
    let (cfg, m) = oblong(); // 3 x 2
    let head = |x, y, tag| Header { dst_x: x, dst_y: y, src_x: 1, src_y: 0, len: 0, tag }.pack(64).unwrap();
    // Twenty flits to a column or row that does not exist: kept, they would fill the row's ring
    // (3 routers x 3 slots) and block every later injection.
    let mut words = vec![head(2, 1, 1)];
    for k in 0..20 {
        words.push(if k % 2 == 0 { head(3, 0, 2) } else { head(0, 2, 3) });
    }
    words.extend([head(7, 7, 4), head(0, 0, 5)]);
    let got = noc::inject_raw(&mut m.sim(1), &cfg, 1, &words, 100).unwrap();
    assert_eq!(got, vec![(cfg.node(2, 1), words[0]), (0, words[22])]);
    // The same five flits with the bad ones made good: all five arrive (the check drops only them).
    let good = [head(2, 1, 1), head(2, 0, 2), head(0, 1, 3), head(1, 1, 4), head(0, 0, 5)];
    let got = noc::inject_raw(&mut m.sim(1), &cfg, 1, &good, 100).unwrap();
    assert_eq!(got.len(), 5, "{got:?}");
}
