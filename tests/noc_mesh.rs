//! The network-on-chip in Verilator: every traffic pattern on several meshes with random
//! injection and random back-pressure delivers every packet exactly once, uncorrupted, in order
//! per source-destination pair, and drains; zero-load latency equals the documented formula; the
//! checker catches a dropped and a corrupted flit. Each mesh is built once and shared.

use llmpu::rtl::noc::NocConfig;
use llmpu::sim::noc::{self, Fault, RunOptions, Traffic};
use llmpu::sim::{BuildOptions, Model};
use std::sync::OnceLock;

fn model(cell: &'static OnceLock<Model>, cfg: &NocConfig) -> &'static Model {
    cell.get_or_init(|| noc::build(cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", cfg.top_name())))
}

fn mesh4() -> (NocConfig, &'static Model) {
    static M: OnceLock<Model> = OnceLock::new();
    let cfg = NocConfig::new(4, 4, 16, 2).unwrap();
    (cfg, model(&M, &cfg))
}

fn oblong() -> (NocConfig, &'static Model) {
    static M: OnceLock<Model> = OnceLock::new();
    let cfg = NocConfig::new(2, 3, 64, 3).unwrap();
    (cfg, model(&M, &cfg))
}

fn single() -> (NocConfig, &'static Model) {
    static M: OnceLock<Model> = OnceLock::new();
    let cfg = NocConfig::new(1, 1, 16, 2).unwrap();
    (cfg, model(&M, &cfg))
}

/// Runs `traffic` with random injection and back-pressure and checks the counts.
fn stress(cfg: &NocConfig, m: &Model, traffic: Traffic, rate: f64, seed: u64) {
    let opts = RunOptions { eject_ready: 0.6, packet_flits: 1 + (seed % 5) as u32, ..RunOptions::new(traffic, rate, 1500, seed) };
    let mut sim = m.sim(seed);
    let s = noc::run(&mut sim, cfg, &opts).unwrap_or_else(|e| panic!("{} {traffic} rate {rate}: {e}", cfg.top_name()));
    assert!(s.created_packets >= 20, "{} {traffic}: only {} packets created", cfg.top_name(), s.created_packets);
    assert_eq!(s.delivered_packets, s.created_packets, "{} {traffic}", cfg.top_name());
    assert_eq!(s.delivered_flits, s.created_packets * opts.packet_flits as u64, "{} {traffic}", cfg.top_name());
    assert!(s.drain_cycles <= s.drain_bound, "{} {traffic}: drain {} > bound {}", cfg.top_name(), s.drain_cycles, s.drain_bound);
}

#[test]
fn mesh_4x4_all_patterns_under_back_pressure() {
    let (cfg, m) = mesh4();
    for (i, t) in [Traffic::Uniform, Traffic::Transpose, Traffic::Hotspot].into_iter().enumerate() {
        // Below and above saturation: the high rate fills every buffer, so the drain is tested.
        stress(&cfg, m, t, 0.1, 10 + i as u64);
        stress(&cfg, m, t, 0.5, 20 + i as u64);
    }
}

/// A line (the 1xN topology whose routers docs/noc.md sets beside Hoplite), both ways round:
/// only the east/west (or north/south) ports and the local one carry traffic.
#[test]
fn lines_8x1_and_1x4_under_back_pressure() {
    for (w, h) in [(8, 1), (1, 4)] {
        let cfg = NocConfig::new(w, h, 16, 2).unwrap();
        let m = noc::build(&cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", cfg.top_name()));
        stress(&cfg, &m, Traffic::Uniform, 0.1, 50);
        stress(&cfg, &m, Traffic::Uniform, 0.5, 51);
        stress(&cfg, &m, Traffic::Hotspot, 0.4, 52);
    }
}

#[test]
fn mesh_2x3_with_64_bit_flits_and_depth_3_and_a_single_router() {
    let (cfg, m) = oblong();
    stress(&cfg, m, Traffic::Uniform, 0.1, 40);
    stress(&cfg, m, Traffic::Uniform, 0.5, 41);
    stress(&cfg, m, Traffic::Hotspot, 0.4, 42);
    let (cfg, m) = single();
    stress(&cfg, m, Traffic::Uniform, 0.8, 43);
}

#[test]
fn zero_load_latency_is_the_documented_formula() {
    let (cfg, m) = mesh4();
    let mut sim = m.sim(5);
    for flits in [1u32, 4] {
        for src in 0..cfg.nodes() {
            for dst in 0..cfg.nodes() {
                let got = noc::zero_load_latency(&mut sim, &cfg, src, dst, flits).unwrap();
                let want = cfg.zero_load_latency(cfg.hops(src, dst), flits) as u64;
                assert_eq!(got, want, "{src} -> {dst}, {flits} flits");
            }
        }
    }
}

#[test]
fn checker_catches_a_dropped_and_a_corrupted_flit() {
    let (cfg, m) = mesh4();
    let base = RunOptions { eject_ready: 0.8, ..RunOptions::new(Traffic::Uniform, 0.2, 400, 7) };
    let clean = noc::run(&mut m.sim(7), &cfg, &base).unwrap();
    assert!(clean.delivered_flits > 100);
    let flip = noc::run(&mut m.sim(7), &cfg, &RunOptions { fault: Fault::FlipBit(101), ..base }).unwrap_err().to_string();
    assert!(flip.starts_with("simulation mismatch: cycle "), "{flip}");
    assert!(flip.contains("expected") && flip.ends_with("(seed 7)"), "{flip}");
    let drop = noc::run(&mut m.sim(7), &cfg, &RunOptions { fault: Fault::DropFlit(101), ..base }).unwrap_err().to_string();
    assert!(drop.starts_with("simulation mismatch: "), "{drop}");
    // Dropping the last flit of the run leaves its packet undelivered: the drain check fails.
    let last = clean.delivered_flits - 1;
    let tail = noc::run(&mut m.sim(7), &cfg, &RunOptions { fault: Fault::DropFlit(last), ..base }).unwrap_err().to_string();
    assert!(tail.starts_with("simulation mismatch: network did not drain: 1 packets still undelivered"), "{tail}");
}
