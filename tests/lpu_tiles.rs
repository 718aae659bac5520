//! The processing unit as a mesh of tiles (`--tiles WxH`): the pipeline of per-stage programs
//! runs in Verilator over the NoC mesh token for token equal to `lpu::reference`, and the
//! check is shown able to fail. Prints cycles per token at 1x1 and on the mesh.

use llmpu::lpu::reference::{generate, GenRequest};
use llmpu::lpu::{Compiled, LpuConfig, LpuParams};
use llmpu::model::train::init_model;
use llmpu::model::{ModelConfig, ModelParams, QuantModel, Tokenizer};
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::sim::lpu::{build, class_name, compare, run, RunResult};
use llmpu::sim::BuildOptions;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The 2-layer model of `tests/lpu_core.rs` (`two_layer_model_matches_the_reference`).
fn model(layers: usize, seed: u64) -> QuantModel {
    let cfg = ModelConfig::try_from(ModelParams { n_layer: layers, ..ModelParams::MICROGPT }).unwrap();
    QuantModel::from_float(&init_model(cfg, Tokenizer::letters(26), &mut ChaCha8Rng::seed_from_u64(seed))).unwrap()
}

fn compiled(q: &QuantModel, tiles: (usize, usize)) -> Compiled {
    Compiled::new(&LpuConfig::try_from(LpuParams { tiles, ..LpuParams::new(q.cfg, 4, 4, "ecp5-85k") }).unwrap(), q).unwrap()
}

fn req(seed: u64, temp: f64, count: u16, names: bool, prompt: Vec<u8>) -> GenRequest {
    GenRequest { seed: XorShift32::new(seed).0, temp_k: Temperature::try_from(temp).unwrap().k, count, names, quiet: false, prompt }
}

fn report(what: &str, r: &RunResult) {
    eprintln!(
        "{what}: {} forward passes, {} cycles, first pass {} cycles, mean {:.1} cycles/token",
        r.gen.steps,
        r.cycles,
        r.step_cycles.first().copied().unwrap_or(0),
        r.mean_step()
    );
    for (v, &n) in r.per_class.iter().enumerate() {
        if n > 0 && v != 15 {
            eprintln!("    {:<12} {:>9} {:>8.1} per token", class_name(v), n, n as f64 / r.gen.steps.max(1) as f64);
        }
    }
}

#[test]
fn two_layers_on_2x1_tiles_match_the_reference() {
    let q = model(2, 2);
    let c = compiled(&q, (2, 1));
    let m = build(&c, &BuildOptions::default()).unwrap();
    // 200 consecutive sampled tokens, names back to back.
    let r = req(4, 1.0, 200, false, vec![]);
    let want = generate(&q, &r).unwrap();
    assert_eq!(want.sampled.len(), 200);
    let got = run(&mut m.sim(3), &r, |_| true, 50_000_000).unwrap();
    compare(&want, &got).unwrap_or_else(|e| panic!("2-layer 2x1: {e}"));
    report("2-layer 2x1 tiles, 200 tokens", &got);
    // The same check fails on a corrupted expected token (character 5 changed).
    let mut bad = want.clone();
    bad.text[5] = if bad.text[5] == b'a' { b'b' } else { b'a' };
    let e = compare(&bad, &got).unwrap_err();
    assert!(e.starts_with("FAIL: character 5 differs: core"), "{e}");
    // Names with a prompt (forced steps, prompt read by the host tile) and greedy sampling.
    let r = req(9, 0.0, 5, true, vec![4, 12]);
    let got = run(&mut m.sim(5), &r, |_| true, 50_000_000).unwrap();
    compare(&generate(&q, &r).unwrap(), &got).unwrap_or_else(|e| panic!("2-layer 2x1 prompt: {e}"));
    // The same model on one tile (the build of tests/lpu_core.rs, cached) for the cycle count.
    let one = build(&compiled(&q, (1, 1)), &BuildOptions::default()).unwrap();
    let r = req(4, 1.0, 200, false, vec![]);
    let got1 = run(&mut one.sim(3), &r, |_| true, 50_000_000).unwrap();
    compare(&want, &got1).unwrap();
    report("2-layer 1x1, 200 tokens", &got1);
}

#[test]
fn one_layer_on_1x2_tiles_matches_the_reference() {
    let q = model(1, 5);
    let c = compiled(&q, (1, 2));
    let m = build(&c, &BuildOptions::default()).unwrap();
    let r = req(6, 0.5, 200, false, vec![]);
    let got = run(&mut m.sim(1), &r, |_| true, 50_000_000).unwrap();
    compare(&generate(&q, &r).unwrap(), &got).unwrap_or_else(|e| panic!("1-layer 1x2: {e}"));
    report("1-layer 1x2 tiles (stage 1 holds only the head), 200 tokens", &got);
}

#[test]
fn generate_lpu_with_tiles() {
    let exe = env!("CARGO_BIN_EXE_llmpu");
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(exe).args(["generate", "lpu", "--core-only", "--tiles", "2x1", "--out"]).arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["top"], "llmpu_core_r4c4_2x1");
    assert_eq!(m["config"]["tiles"], "2x1");
    let progs = m["extra"]["tile_programs"].as_array().unwrap();
    assert_eq!(progs.len(), 2);
    assert!(progs[0][0].as_str().unwrap().ends_with("RECV    token"), "{}", progs[0][0]);
    assert!(tmp.path().join("llmpu_core_r4c4_2x1.v").is_file());
    let bad = std::process::Command::new(exe).args(["generate", "lpu", "--tiles", "3x1", "--out"]).arg(tmp.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr).trim(),
        "error: tiles 3x1 is not allowed (allowed: at most 2 tiles for 1 layer (one stage per layer plus one for the head))"
    );
}

#[test]
fn network_interface_passes_the_yosys_check() {
    let e = llmpu::rtl::lpu::tiles::netif_verilog("lpu_ni").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("lpu_ni.v");
    std::fs::write(&f, format!("/* verilator lint_off DECLFILENAME */\n{}", e.text)).unwrap();
    llmpu::rtl::lint::lint_yosys(&[f], "lpu_ni").unwrap_or_else(|e| panic!("lpu_ni: {e}"));
}
