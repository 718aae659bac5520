//! Gate-level check: the system top `llmpu_lpu_r1c1` synthesised by Yosys for the iCE40 UP5K
//! (the iCEBreaker's part), with the parallel 1x1 core and with the compact engine (the one the
//! iCEBreaker build places), and for the HX8K with the compact engine (the HX8K breakout's), simulated in Verilator with Yosys's iCE40 cell models, driven
//! through its UART pins by the host session, must produce the reference's characters and the
//! RTL's cycle counts. One Yosys run and one Verilator build of each model for the whole test.

use llmpu::cli::model::ModelArgs;
use llmpu::lpu::reference::{encode_prompt, generate, GenRequest};
use llmpu::lpu::{Compiled, Engine, LpuConfig, LpuParams};
use llmpu::model::QuantModel;
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::rtl::lpu::system::hostlink_config;
use llmpu::sim::gate::{self, compare_cycles, run_system, GatePlan};
use llmpu::sim::lpu::compare;
use llmpu::sim::lpu_system::{build, check_cycles};
use llmpu::sim::BuildOptions;
use llmpu::synth::plan::Tools;
use std::time::{Duration, Instant};

fn req(seed: u64, temp: f64, count: u16) -> GenRequest {
    GenRequest { seed: XorShift32::new(seed).0, temp_k: Temperature::try_from(temp).unwrap().k, count, names: true, quiet: false, prompt: vec![] }
}

#[test]
fn up5k_netlist_equals_rtl_and_reference() {
    netlist_equals_rtl_and_reference(Engine::Parallel, "ice40-up5k");
}

/// The compact engine's netlist: the one `llmpu build --board icebreaker` places.
#[test]
fn up5k_compact_netlist_equals_rtl_and_reference() {
    netlist_equals_rtl_and_reference(Engine::Compact, "ice40-up5k");
}

/// The compact engine on the HX8K (`llmpu build --board hx8k-breakout`): no DSPs, so Yosys
/// builds its three multipliers from logic cells; the netlist must still equal the RTL.
#[test]
fn hx8k_compact_netlist_equals_rtl_and_reference() {
    netlist_equals_rtl_and_reference(Engine::Compact, "ice40-hx8k");
}

fn netlist_equals_rtl_and_reference(engine: Engine, target: &str) {
    let q = QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap();
    let c = Compiled::new(&LpuConfig::try_from(LpuParams { engine, ..LpuParams::new(q.cfg, 1, 1, target) }).unwrap(), &q).unwrap();
    let hl = hostlink_config(&c, 12_000_000, 3_000_000, 512, 32).unwrap();
    let opts = BuildOptions::default();

    let t0 = Instant::now();
    let rtl_model = build(&c, &hl, &opts).unwrap();
    let rtl_build = t0.elapsed().as_secs_f64();
    let g = gate::build(&c, &hl, target.parse().unwrap(), &opts).unwrap();
    eprintln!(
        "builds: RTL {rtl_build:.1} s; netlist {}: Yosys {}, Verilator {:.1} s",
        g.plan.netlist().display(),
        g.yosys_seconds.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "reused".into()),
        g.verilator_seconds
    );

    let mut prompted = req(11, 0.0, 2);
    prompted.prompt = encode_prompt(&q, "ma").unwrap();
    let cases = [("3 names, seed 7, T 0.5", req(7, 0.5, 3)), ("2 names, prompt ma, greedy", prompted)];
    let mut last = None;
    for (what, r) in cases {
        let want = generate(&q, &r).unwrap();
        let t = Instant::now();
        let rtl = run_system(&rtl_model, &hl, &r, Duration::from_secs(1), &mut |_| {}).unwrap();
        let rtl_secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let got = run_system(&g.model, &hl, &r, Duration::from_secs(1), &mut |_| {}).unwrap();
        let gate_secs = t.elapsed().as_secs_f64();
        compare(&want, &rtl.run).unwrap_or_else(|e| panic!("{what}: RTL: {e}"));
        compare(&want, &got.run).unwrap_or_else(|e| panic!("{what}: netlist: {e}"));
        check_cycles(&got).unwrap_or_else(|e| panic!("{what}: netlist: {e}"));
        compare_cycles(&rtl, &got).unwrap_or_else(|e| panic!("{what}: {e}"));
        eprintln!(
            "{what}: {:?}; {} passes, {} cycles, first pass {} cycles, {} clocks pin to pin; run RTL {rtl_secs:.1} s, netlist {gate_secs:.1} s",
            String::from_utf8_lossy(&got.run.gen.text),
            got.status.tokens,
            got.status.cycles,
            got.run.step_cycles.first().copied().unwrap_or(0),
            got.total_cycles
        );
        last = Some((want, rtl, got));
    }

    // The checks can fail: a corrupted expected character and a corrupted RTL cycle count.
    let (mut want, rtl, got) = last.unwrap();
    let i = want.text.iter().position(|&b| b != b'\n').unwrap();
    let orig = want.text[i];
    want.text[i] = if orig == b'z' { b'y' } else { b'z' };
    let err = compare(&want, &got.run).unwrap_err();
    assert!(err.starts_with(&format!("FAIL: character {i} differs: core {:?}, reference {:?}", orig as char, want.text[i] as char)), "{err}");
    let mut bad = rtl.clone();
    bad.status.cycles += 1;
    assert_eq!(
        compare_cycles(&bad, &got).unwrap_err(),
        format!("FAIL: cycles from cmd_start to gen_done (status record): netlist {}, RTL {}", got.status.cycles, got.status.cycles + 1)
    );
    let mut bad = rtl.clone();
    bad.run.step_cycles[1] += 2;
    let n = got.run.step_cycles[1];
    assert_eq!(compare_cycles(&bad, &got).unwrap_err(), format!("FAIL: cycles of forward pass 1: netlist Some({n}), RTL Some({})", n + 2));
}

#[test]
fn gate_level_needs_an_ice40_target() {
    let q = QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap();
    let c = Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, 1, 1, "ecp5-25k")).unwrap(), &q).unwrap();
    let hl = hostlink_config(&c, 12_000_000, 3_000_000, 512, 32).unwrap();
    let e = GatePlan::new(&c, &hl, "ecp5-25k".parse().unwrap(), std::path::Path::new("/nonexistent"), &Tools::discover()).unwrap_err();
    assert_eq!(e.to_string(), "gate-level target ecp5-25k is not allowed (allowed: ice40-up5k, ice40-hx8k: the netlist is simulated with the iCE40 cell models)");
}
