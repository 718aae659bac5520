//! The whole processing unit (core + host link) in Verilator, driven only through its UART
//! pins by `host::session::run` over a `PinLink` (the code `llmpu run` uses on a board); every
//! answer is compared with `lpu::reference`. One Verilator build per design: MicroGPT at 2x2,
//! 4x4 and 8x8, the 2-layer model at 4x4, MicroGPT on 1x2 tiles (the NoC mesh).

use llmpu::cli::model::ModelArgs;
use llmpu::host::PinLink;
use llmpu::lpu::reference::{encode_prompt, generate, GenRequest};
use llmpu::lpu::{Compiled, LpuConfig, LpuParams};
use llmpu::model::train::init_model;
use llmpu::model::{ModelConfig, ModelParams, QuantModel, Tokenizer};
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::rtl::hostlink::HostLinkConfig;
use llmpu::rtl::lpu::system::hostlink_config;
use llmpu::sim::lpu::compare;
use llmpu::sim::lpu_system::{build, check_cycles, run, SystemDev, SystemRun};
use llmpu::sim::verilator::Model;
use llmpu::sim::BuildOptions;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// 12 MHz and 3 Mbaud: 4 clocks per bit, so the simulation spends few cycles on the wire.
const CLOCK_HZ: u64 = 12_000_000;
const BAUD: u32 = 3_000_000;

fn microgpt() -> QuantModel {
    QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap()
}

fn setup(q: &QuantModel, r: usize, c: usize) -> (Compiled, HostLinkConfig, Model) {
    setup_tiles(q, r, c, (1, 1))
}

/// [`setup`] for the processing unit as `tiles` (W, H) on the NoC mesh (`llmpu_lpu_rRcC_WxH`).
fn setup_tiles(q: &QuantModel, r: usize, c: usize, tiles: (usize, usize)) -> (Compiled, HostLinkConfig, Model) {
    let comp = Compiled::new(&LpuConfig::try_from(LpuParams { tiles, ..LpuParams::new(q.cfg, r, c, "ecp5-85k") }).unwrap(), q).unwrap();
    let hl = hostlink_config(&comp, CLOCK_HZ, BAUD, 512, 32).unwrap();
    assert_eq!(hl.divisor, 4);
    let model = build(&comp, &hl, &BuildOptions::default()).unwrap();
    (comp, hl, model)
}

fn link(model: &Model, hl: &HostLinkConfig) -> PinLink<SystemDev> {
    let mut l = PinLink::new(SystemDev::new(model.sim(5)).unwrap(), hl.divisor, hl.clock_hz as f64).unwrap();
    l.idle(50).unwrap();
    l
}

fn req(seed: u64, temp: f64, count: u16, names: bool) -> GenRequest {
    GenRequest { seed: XorShift32::new(seed).0, temp_k: Temperature::try_from(temp).unwrap().k, count, names, quiet: false, prompt: vec![] }
}

/// Runs `r` through the pins of `l`, asserts text and status equal the reference and the
/// status record's cycle count equals the simulation's cmd_start..gen_done count.
fn check(q: &QuantModel, l: &mut PinLink<SystemDev>, r: &GenRequest, what: &str) -> SystemRun {
    let want = generate(q, r).unwrap();
    let got = run(l, r, Duration::from_secs(1), &mut |_| {}).unwrap();
    if let Err(e) = compare(&want, &got.run) {
        panic!("{what}: {e}");
    }
    if let Err(e) = check_cycles(&got) {
        panic!("{what}: {e}");
    }
    eprintln!(
        "{what}: {} passes, {} names, status {} cycles (sim {}), first pass {} cycles, mean {:.1} cycles/pass, stall {}, {} clocks pin to pin",
        got.status.tokens,
        got.status.names,
        got.status.cycles,
        got.sim_core_cycles,
        got.run.step_cycles.first().copied().unwrap_or(0),
        got.run.mean_step(),
        got.status.stall,
        got.total_cycles
    );
    got
}

/// The checks of one array size on one simulation: tokens mode (>= 200 tokens, greedy and
/// T = 0.8), names with a prompt, count-only, and a corrupted expectation caught.
fn all_modes(r: usize, c: usize) {
    let q = microgpt();
    let (_comp, hl, model) = setup(&q, r, c);
    let mut l = link(&model, &hl);
    let what = format!("{r}x{c}");
    // Tokens mode, greedy and sampled, two seeds: >= 200 consecutive tokens each.
    let g = check(&q, &mut l, &req(7, 0.0, 200, false), &format!("{what} greedy 200 tokens"));
    assert!(g.status.tokens >= 200);
    let s = check(&q, &mut l, &req(1234, 0.8, 220, false), &format!("{what} T=0.8 220 tokens"));
    assert!(s.status.tokens >= 220);
    // Names mode with a prompt.
    let mut p = req(99, 0.5, 5, true);
    p.prompt = encode_prompt(&q, "ma").unwrap();
    let got = check(&q, &mut l, &p, &format!("{what} 5 names, prompt ma"));
    let text = String::from_utf8(got.run.gen.text.clone()).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(text.lines().all(|n| n.starts_with("ma")), "{text}");
    // Count-only: no characters, the counts equal the reference's.
    let mut quiet = req(3, 0.5, 20, true);
    quiet.quiet = true;
    let want = generate(&q, &quiet).unwrap();
    let got = check(&q, &mut l, &quiet, &format!("{what} quiet 20 names"));
    assert!(got.run.gen.text.is_empty());
    assert_eq!((got.status.tokens, got.status.names), (want.steps, 20));
    assert_eq!(got.status.stall, 0);
    // A corrupted expected character is reported.
    let r2 = req(7, 0.0, 30, false);
    let mut want = generate(&q, &r2).unwrap();
    let got = run(&mut l, &r2, Duration::from_secs(1), &mut |_| {}).unwrap();
    compare(&want, &got.run).unwrap();
    let i = want.text.iter().position(|&b| b != b'\n').unwrap();
    let orig = want.text[i];
    want.text[i] = if orig == b'z' { b'y' } else { b'z' };
    let err = compare(&want, &got.run).unwrap_err();
    assert!(err.starts_with(&format!("FAIL: character {i} differs: core {:?}, reference {:?}", orig as char, want.text[i] as char)), "{err}");
    // A wrong cycle count is reported.
    let mut bad = got.clone();
    bad.sim_core_cycles += 1;
    assert_eq!(
        check_cycles(&bad).unwrap_err(),
        format!(
            "FAIL: the status reports {} cycles, the simulation saw {} from cmd_start to gen_done",
            got.status.cycles,
            got.status.cycles + 1
        )
    );
}

#[test]
fn microgpt_2x2_through_the_uart() {
    all_modes(2, 2);
}

#[test]
fn microgpt_4x4_through_the_uart() {
    all_modes(4, 4);
}

#[test]
fn microgpt_8x8_through_the_uart() {
    all_modes(8, 8);
}

/// The 2-layer model of `tests/lpu_core.rs` (`two_layer_model_matches_the_reference`: random
/// weights, ChaCha8 seed 2).
fn two_layer_model() -> QuantModel {
    let cfg = ModelConfig::try_from(ModelParams { n_layer: 2, ..ModelParams::MICROGPT }).unwrap();
    QuantModel::from_float(&init_model(cfg, Tokenizer::letters(26), &mut ChaCha8Rng::seed_from_u64(2))).unwrap()
}

/// `check`, then the same answer against a reference with one character changed must fail
/// with the pinned message (the comparison can fail on this path).
fn check_and_corrupt(q: &QuantModel, l: &mut PinLink<SystemDev>, r: &GenRequest, what: &str) -> SystemRun {
    let got = check(q, l, r, what);
    let mut want = generate(q, r).unwrap();
    let i = want.text.iter().position(|&b| b != b'\n').unwrap();
    let orig = want.text[i];
    want.text[i] = if orig == b'z' { b'y' } else { b'z' };
    let err = compare(&want, &got.run).unwrap_err();
    assert!(err.starts_with(&format!("FAIL: character {i} differs: core {:?}, reference {:?}", orig as char, want.text[i] as char)), "{what}: {err}");
    got
}

#[test]
fn two_layer_model_4x4_through_the_uart() {
    let q = two_layer_model();
    assert_eq!(q.cfg.n_layer, 2);
    let (comp, hl, model) = setup(&q, 4, 4);
    assert_eq!(llmpu::rtl::lpu::system::top_name(&comp), "llmpu_lpu_r4c4");
    let mut l = link(&model, &hl);
    let s = check_and_corrupt(&q, &mut l, &req(4, 1.0, 200, false), "2-layer 4x4 T=1 200 tokens");
    assert_eq!(s.status.tokens, 200);
    let g = check(&q, &mut l, &req(5, 0.0, 200, false), "2-layer 4x4 greedy 200 tokens");
    assert_eq!(g.status.tokens, 200);
}

/// MicroGPT (1 layer) on 1x2 tiles through the UART: stage 0 embeds and runs the layer, the
/// host tile (stage 1, where the host link attaches) runs lm_head and sampling.
#[test]
fn microgpt_on_1x2_tiles_through_the_uart() {
    let q = microgpt();
    let (comp, hl, model) = setup_tiles(&q, 4, 4, (1, 2));
    assert_eq!(llmpu::rtl::lpu::system::top_name(&comp), "llmpu_lpu_r4c4_1x2");
    let mut l = link(&model, &hl);
    let s = check_and_corrupt(&q, &mut l, &req(6, 0.5, 200, false), "1x2 tiles T=0.5 200 tokens");
    assert_eq!(s.status.tokens, 200);
    // The host tile's stages: no embed or attention of its own, the wait for stage 0 in RECV.
    assert_eq!(s.run.per_class[1], 0);
    assert!(s.run.per_class[10] > 0 && s.run.per_class[9] > 0);
    let g = check(&q, &mut l, &req(7, 0.0, 200, false), "1x2 tiles greedy 200 tokens");
    assert_eq!(g.status.tokens, 200);
    let mut p = req(1, 0.5, 5, true);
    p.prompt = encode_prompt(&q, "ma").unwrap();
    let got = check(&q, &mut l, &p, "1x2 tiles 5 names, prompt ma");
    assert!(String::from_utf8(got.run.gen.text).unwrap().lines().all(|n| n.starts_with("ma")));
}

#[test]
fn generate_and_sim_commands_use_the_system() {
    let exe = env!("CARGO_BIN_EXE_llmpu");
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(exe)
        .args(["generate", "lpu", "--rows", "4", "--cols", "4", "--clock-mhz", "25", "--baud", "115200", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["top"], "llmpu_lpu_r4c4");
    assert_eq!(m["config"]["hostlink"]["divisor"], 217);
    let v = std::fs::read_to_string(tmp.path().join("llmpu_lpu_r4c4.v")).unwrap();
    for module in ["llmpu_lpu_r4c4", "llmpu_hostlink", "llmpu_core_r4c4"] {
        assert_eq!(v.matches(&format!("\nmodule {module}(")).count(), 1, "{module}");
    }
    let bad = std::process::Command::new(exe).args(["generate", "lpu", "--baud", "0", "--out"]).arg(tmp.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    assert_eq!(String::from_utf8_lossy(&bad.stderr).trim(), "error: baud rate 0 is not allowed (allowed: 1 or more)");
    // `sim lpu` goes through the UART by default (the same 4x4 build as the test above).
    let sim = std::process::Command::new(exe).args(["sim", "lpu", "-n", "3", "--temperature", "0.5", "--seed", "2"]).output().unwrap();
    let text = String::from_utf8_lossy(&sim.stdout);
    assert!(sim.status.success(), "{text}{}", String::from_utf8_lossy(&sim.stderr));
    assert!(text.contains("llmpu_lpu_r4c4 over the UART") && text.contains("  matvec ") && text.contains("PASS: equal to the reference"), "{text}");
}

/// `llmpu sim lpu --vcd FILE` at 2x2 through the UART: a traced build, a VCD with the system's
/// pins declared and a value change for every clock edge, and the per-stage breakdown printed.
#[test]
fn sim_command_writes_a_vcd_at_2x2() {
    let exe = env!("CARGO_BIN_EXE_llmpu");
    let tmp = tempfile::tempdir().unwrap();
    let vcd = tmp.path().join("lpu.vcd");
    let sim = std::process::Command::new(exe)
        .args(["sim", "lpu", "--rows", "2", "--cols", "2", "--tokens", "-n", "3", "--temperature", "0.5", "--seed", "2", "--vcd"])
        .arg(&vcd)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&sim.stdout);
    assert!(sim.status.success(), "{text}{}", String::from_utf8_lossy(&sim.stderr));
    assert!(text.contains("llmpu_lpu_r2c2 over the UART") && text.contains("per-stage cycles") && text.contains("  matvec "), "{text}");
    assert!(text.contains("PASS: equal to the reference"), "{text}");
    let v = std::fs::read_to_string(&vcd).unwrap();
    assert!(v.contains("$enddefinitions"), "no VCD header");
    for pin in ["uart_rx", "uart_tx", "dbg_op"] {
        assert!(v.contains(&format!(" {pin} ")), "{pin} not in the VCD");
    }
    // Every clock edge is a time step: at least the clocks from the start frame to the status.
    let steps = v.lines().filter(|l| l.starts_with('#')).count();
    assert!(steps > 4000, "{steps} time steps");
}

#[test]
fn system_top_2x2_snapshot() {
    let q = microgpt();
    let comp = Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, 2, 2, "ecp5-85k")).unwrap(), &q).unwrap();
    insta::assert_snapshot!(llmpu::rtl::lpu::system::top_verilog(&comp));
}
