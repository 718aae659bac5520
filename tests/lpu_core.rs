//! The processing unit's hardware: its rust-hdl blocks lint clean and the core runs MicroGPT
//! in Verilator token for token equal to `lpu::reference`.

use llmpu::rtl::lint::lint_yosys;
use llmpu::rtl::lpu::{adapter_verilog, controller_verilog};

fn lint(name: &str, text: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join(format!("{name}.v"));
    std::fs::write(&f, format!("/* verilator lint_off DECLFILENAME */\n{text}")).expect("write");
    let files = vec![f];
    lint_yosys(&files, name).unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn leaves_pass_the_yosys_check() {
    lint("lpu_ctl", &controller_verilog("lpu_ctl").unwrap().text);
    lint("lpu_ad4", &adapter_verilog("lpu_ad4", 4).unwrap().text);
    lint("lpu_ad1", &adapter_verilog("lpu_ad1", 1).unwrap().text);
    assert_eq!(adapter_verilog("x", 17).unwrap_err().to_string(), "lanes x head_dim 17 is not allowed (allowed: 1..=16, 24, 32, 48 or 64)");
}

use llmpu::cli::model::ModelArgs;
use llmpu::lpu::reference::{generate, GenRequest};
use llmpu::lpu::{Compiled, LpuConfig, LpuParams};
use llmpu::model::{ModelConfig, ModelParams, QuantModel, Tokenizer};
use llmpu::model::train::init_model;
use llmpu::sim::verilator::Model;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::sim::lpu::{build, compare, run, RunResult};
use llmpu::sim::BuildOptions;

fn microgpt() -> QuantModel {
    QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap()
}

fn compiled(q: &QuantModel, r: usize, c: usize) -> Compiled {
    Compiled::new(&LpuConfig::try_from(LpuParams::new(q.cfg, r, c, "ecp5-85k")).unwrap(), q).unwrap()
}


fn req(seed: u64, temp: f64, count: u16, names: bool) -> GenRequest {
    GenRequest { seed: XorShift32::new(seed).0, temp_k: Temperature::try_from(temp).unwrap().k, count, names, quiet: false, prompt: vec![] }
}

/// Runs `r` on a fresh simulation of `model` (out_ready always high unless `stall_seed`) and
/// asserts it equals the reference; returns the run.
fn check(q: &QuantModel, model: &Model, r: &GenRequest, stall_seed: Option<u64>, what: &str) -> RunResult {
    let want = generate(q, r).unwrap();
    let mut sim = model.sim(3);
    let mut rng = ChaCha8Rng::seed_from_u64(stall_seed.unwrap_or(0));
    let got = match stall_seed {
        Some(_) => run(&mut sim, r, |_| rng.random_bool(0.5), 20_000_000),
        None => run(&mut sim, r, |_| true, 20_000_000),
    }
    .unwrap();
    if let Err(e) = compare(&want, &got) {
        panic!("{what}: {e}");
    }
    eprintln!(
        "{what}: {} forward passes, {} names, {} cycles, first pass {} cycles, mean {:.1} cycles/pass, stall {}",
        got.gen.steps,
        got.gen.names,
        got.cycles,
        got.step_cycles.first().copied().unwrap_or(0),
        got.mean_step(),
        got.stall
    );
    got
}

#[test]
fn microgpt_4x4_matches_the_reference() {
    let q = microgpt();
    let c = compiled(&q, 4, 4);
    let model = build(&c, &BuildOptions::default()).unwrap();
    // >= 200 consecutive tokens, token for token, at three temperatures and several seeds.
    for (seed, temp) in [(7, 0.5), (1, 0.0), (42, 1.0), (1234, 0.5)] {
        let got = check(&q, &model, &req(seed, temp, 200, false), None, &format!("4x4 tokens seed {seed} T {temp}"));
        assert_eq!(got.gen.steps, 200);
    }
    // Names mode (20 names, the main job's command).
    check(&q, &model, &req(3, 0.5, 20, true), None, "4x4 names");
    // A prompt, forced and emitted at the start of every name.
    let prompt = llmpu::lpu::reference::encode_prompt(&q, "em").unwrap();
    let got = check(&q, &model, &GenRequest { prompt, ..req(9, 0.5, 5, true) }, None, "4x4 prompt em");
    assert!(String::from_utf8(got.gen.text).unwrap().lines().all(|l| l.starts_with("em")));
    // Quiet (count-only): no characters, the same status.
    let got = check(&q, &model, &GenRequest { quiet: true, ..req(7, 0.5, 50, false) }, None, "4x4 quiet");
    assert!(got.gen.text.is_empty());
    // Random back-pressure on out_ready: the same text, stall cycles counted.
    let got = check(&q, &model, &req(11, 1.0, 60, false), Some(5), "4x4 out_ready 50%");
    assert!(got.stall > 0);
    // Zero names: done at once.
    let got = check(&q, &model, &req(1, 0.5, 0, true), None, "4x4 zero names");
    assert_eq!(got.gen.steps, 0);
}

#[test]
fn microgpt_2x2_and_8x8_match_the_reference() {
    let q = microgpt();
    for (r, c) in [(2, 2), (8, 8)] {
        let model = build(&compiled(&q, r, c), &BuildOptions::default()).unwrap();
        for (seed, temp) in [(5, 0.0), (6, 0.5), (8, 1.0)] {
            check(&q, &model, &req(seed, temp, 200, false), None, &format!("{r}x{c} tokens seed {seed} T {temp}"));
        }
        check(&q, &model, &req(3, 0.5, 20, true), None, &format!("{r}x{c} names"));
    }
}

/// 8x8 with two attention lanes (scratchpad chunk, Embed, Norm, Sampler lanes and the matrix
/// unit's wide write all 8): the configuration at about 200 cycles per token (docs/lpu.md).
#[test]
fn microgpt_8x8_two_attention_lanes_matches_the_reference() {
    let q = microgpt();
    let cfg = LpuConfig::try_from(LpuParams { lanes: 2, ..LpuParams::new(q.cfg, 8, 8, "ecp5-85k") }).unwrap();
    assert_eq!((cfg.vector_chunk(), cfg.mv_write(), cfg.sampler_lanes()), (8, 8, 8));
    let model = build(&Compiled::new(&cfg, &q).unwrap(), &BuildOptions::default()).unwrap();
    for (seed, temp) in [(5, 0.0), (6, 0.5), (8, 1.0)] {
        let got = check(&q, &model, &req(seed, temp, 200, false), None, &format!("8x8 lanes 2 tokens seed {seed} T {temp}"));
        assert_eq!(got.gen.steps, 200);
    }
    check(&q, &model, &req(3, 0.5, 20, true), None, "8x8 lanes 2 names");
}

/// The attention unit at one head element per cycle (the iCE40 default, `--attention-elements 1`)
/// inside a 1x1 core: the same tokens as the reference; a query takes head_dim times longer.
#[test]
fn attention_one_element_per_cycle_1x1_matches_the_reference() {
    let q = microgpt();
    let cfg = LpuConfig::try_from(LpuParams { attention_elements: 1, ..LpuParams::new(q.cfg, 1, 1, "ecp5-85k") }).unwrap();
    let c = Compiled::new(&cfg, &q).unwrap();
    assert_eq!(llmpu::rtl::lpu::top::attention_config(&c).unwrap().top_name(), "llmpu_attention_d4h4t16l1_e1");
    let model = build(&c, &BuildOptions::default()).unwrap();
    for (seed, temp) in [(5, 0.0), (6, 0.5)] {
        check(&q, &model, &req(seed, temp, 200, false), None, &format!("1x1 E=1 tokens seed {seed} T {temp}"));
    }
    check(&q, &model, &req(3, 0.5, 20, true), None, "1x1 E=1 names");
}

#[test]
fn two_layer_model_matches_the_reference() {
    let p = ModelParams { n_layer: 2, ..ModelParams::MICROGPT };
    let cfg = ModelConfig::try_from(p).unwrap();
    let f = init_model(cfg, Tokenizer::letters(26), &mut ChaCha8Rng::seed_from_u64(2));
    let q = QuantModel::from_float(&f).unwrap();
    let model = build(&compiled(&q, 4, 4), &BuildOptions::default()).unwrap();
    check(&q, &model, &req(4, 1.0, 200, false), None, "2-layer 4x4 tokens");
}

#[test]
fn a_flipped_weight_bit_changes_the_output_and_the_check_says_so() {
    let q = microgpt();
    let mut c = compiled(&q, 2, 2);
    // The sign bit of lm_head[bos][0]: the logit of BOS, which ends every name.
    let lm = c.map.tensors[2].clone();
    let (word, lane) = c.map.locate(&lm, q.cfg.bos(), 0);
    c.flip_weight_bit(word, lane, 7).unwrap();
    let model = build(&c, &BuildOptions::default()).unwrap();
    let r = req(7, 0.5, 200, false);
    let want = generate(&q, &r).unwrap();
    let got = run(&mut model.sim(1), &r, |_| true, 20_000_000).unwrap();
    let e = compare(&want, &got).unwrap_err();
    assert_eq!(e, "FAIL: character 2 differs: core 'o', reference 'l' (after \"al\")");
}

#[test]
fn generate_and_sim_commands() {
    let exe = env!("CARGO_BIN_EXE_llmpu");
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(exe).args(["generate", "lpu", "--core-only", "--rows", "4", "--cols", "4", "--target", "ecp5-85k", "--out"]).arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["top"], "llmpu_core_r4c4");
    assert_eq!(m["extra"]["program"].as_array().unwrap().len(), 12);
    assert!(tmp.path().join("llmpu_core_r4c4.v").is_file());
    let bad = std::process::Command::new(exe).args(["generate", "lpu", "--rows", "3", "--out"]).arg(tmp.path()).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&bad.stderr).trim(), "error: rows 3 is not allowed (allowed: 1, 2, 4, 8 or 16)");
    let big = std::process::Command::new(exe).args(["generate", "lpu", "--rows", "16", "--cols", "16", "--target", "ice40-up5k", "--out"]).arg(tmp.path()).output().unwrap();
    assert_eq!(big.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&big.stderr).starts_with("error: llmpu_core_r16c16 needs at least"), "{}", String::from_utf8_lossy(&big.stderr));
    let sim = std::process::Command::new(exe).args(["sim", "lpu", "--direct", "-n", "3", "--temperature", "0.5", "--seed", "2"]).output().unwrap();
    let text = String::from_utf8_lossy(&sim.stdout);
    assert!(sim.status.success(), "{text}{}", String::from_utf8_lossy(&sim.stderr));
    assert!(text.contains("cycles per token: first ") && text.contains("  matvec ") && text.contains("PASS: equal to the reference"), "{text}");
    // Text that stops inside a name (--tokens: 30 tokens end in "ali") still ends its line
    // before the summary.
    let tok = std::process::Command::new(exe).args(["sim", "lpu", "--direct", "--engine", "compact", "--rows", "1", "--cols", "1", "-n", "30", "--tokens", "--temperature", "0.5", "--seed", "1"]).output().unwrap();
    let text = String::from_utf8_lossy(&tok.stdout);
    assert!(tok.status.success(), "{text}{}", String::from_utf8_lossy(&tok.stderr));
    assert!(text.contains("\nali\nllmpu_core_r1c1_compact: 30 forward passes"), "{text}");
}

#[test]
fn core_top_2x2_snapshot() {
    let q = microgpt();
    let c = compiled(&q, 2, 2);
    let n = llmpu::rtl::lpu::core_names(&c).unwrap();
    assert_eq!((n.matvec.as_str(), n.norm.as_str()), ("llmpu_mv_r2c2", "llmpu_vu_norm_k2"));
    insta::assert_snapshot!(llmpu::rtl::lpu::top::top_verilog(&c, &n).unwrap());
}
