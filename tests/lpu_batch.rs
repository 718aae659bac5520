//! Batched mode (docs/lpu.md, "Batched mode"): B independent sequences through one core, each
//! in Verilator equal to `lpu::reference` token for token, whatever the others do (different
//! counts, prompts, temperatures, names or tokens, quiet, output back-pressure), and a corrupted
//! weight is caught in every sequence.

use llmpu::cli::model::ModelArgs;
use llmpu::lpu::reference::{encode_prompt, generate, GenRequest};
use llmpu::lpu::{Compiled, LpuConfig, LpuParams};
use llmpu::model::QuantModel;
use llmpu::numeric::{Temperature, XorShift32};
use llmpu::sim::lpu::{batch_requests, build, compare, run_batch, BatchResult};
use llmpu::sim::verilator::Model;
use llmpu::sim::BuildOptions;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn microgpt() -> QuantModel {
    QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap()
}

fn compiled(q: &QuantModel, r: usize, c: usize, lanes: usize, batch: usize) -> Compiled {
    Compiled::new(&LpuConfig::try_from(LpuParams { lanes, batch, ..LpuParams::new(q.cfg, r, c, "ecp5-85k") }).unwrap(), q).unwrap()
}

fn req(seed: u64, temp: f64, count: u16, names: bool) -> GenRequest {
    GenRequest { seed: XorShift32::new(seed).0, temp_k: Temperature::try_from(temp).unwrap().k, count, names, quiet: false, prompt: vec![] }
}

/// Runs `reqs` on a fresh simulation of `model` (output back-pressure drawn per sequence with
/// `stall_seed`) and asserts every sequence equals the reference; returns the run.
fn check(q: &QuantModel, model: &Model, reqs: &[GenRequest], stall_seed: Option<u64>, what: &str) -> BatchResult {
    let mut sim = model.sim(3);
    let mut rng = ChaCha8Rng::seed_from_u64(stall_seed.unwrap_or(0));
    let got = match stall_seed {
        Some(_) => run_batch(&mut sim, reqs, |_, _| rng.random_bool(0.6), 50_000_000),
        None => run_batch(&mut sim, reqs, |_, _| true, 50_000_000),
    }
    .unwrap();
    for (i, (r, run)) in reqs.iter().zip(&got.runs).enumerate() {
        let want = generate(q, r).unwrap();
        if let Err(e) = compare(&want, run) {
            panic!("{what}: sequence {i}: {e}");
        }
        assert_eq!(run.stall > 0, stall_seed.is_some() && !r.quiet && !want.text.is_empty(), "{what}: sequence {i} stall {}", run.stall);
    }
    eprintln!("{what}: {} forward passes in {} cycles, {:.1} cycles per token", got.steps(), got.cycles, got.cycles_per_token());
    got
}

#[test]
fn two_sequences_2x2_each_equal_the_reference() {
    let q = microgpt();
    let c = compiled(&q, 2, 2, 1, 2);
    assert_eq!(c.cfg.top_name(), "llmpu_core_r2c2_b2");
    use llmpu::lpu::{isa::FLAG_PRE, Op};
    let pre = |c: &Compiled| c.program.iter().filter(|i| matches!(i.op, Op::Norm | Op::Sample) && i.flags & FLAG_PRE != 0).count();
    assert_eq!(pre(&c), 0, "no NORM or SAMPLE takes its first pass from a snoop in a batched core");
    assert_eq!(pre(&compiled(&q, 2, 2, 1, 1)), 4, "the single core's three NORMs and its SAMPLE do");
    let model = build(&c, &BuildOptions::default()).unwrap();
    // The same command, seeds 1 and 2 (what `sim lpu --batch 2` runs).
    let base = req(1, 0.5, 10, true);
    check(&q, &model, &batch_requests(&base, 1, 2), None, "2x2 b2 names");
    // Different commands: sequence 0 a long greedy token run, sequence 1 short names with a
    // prompt, so one finishes long before the other; then the other way round, quiet, with
    // output back-pressure.
    let prompt = encode_prompt(&q, "ma").unwrap();
    let a = req(9, 0.0, 120, false);
    let b = GenRequest { prompt: prompt.clone(), ..req(4, 1.0, 3, true) };
    check(&q, &model, &[a.clone(), b.clone()], None, "2x2 b2 mixed");
    let quiet = GenRequest { quiet: true, ..a };
    check(&q, &model, &[b, quiet], Some(5), "2x2 b2 mixed, stalls");
}

#[test]
fn four_sequences_4x4_and_two_at_8x8_two_lanes_equal_the_reference() {
    let q = microgpt();
    let c = compiled(&q, 4, 4, 1, 4);
    let model = build(&c, &BuildOptions::default()).unwrap();
    let reqs: Vec<GenRequest> = [(11, 0.5, 60, false), (12, 1.0, 6, true), (13, 0.0, 40, false), (14, 0.5, 200, false)].iter().map(|&(s, t, n, m)| req(s, t, n, m)).collect();
    let got = check(&q, &model, &reqs, Some(8), "4x4 b4");
    assert_eq!(got.runs.len(), 4);
    let c = compiled(&q, 8, 8, 2, 2);
    let model = build(&c, &BuildOptions::default()).unwrap();
    let got = check(&q, &model, &batch_requests(&req(1, 0.5, 200, false), 1, 2), None, "8x8 l2 b2 tokens");
    // Two sequences keep more than one unit busy: fewer cycles per token than one alone
    // (192.7 at 8x8 with two lanes, docs/lpu.md).
    assert!(got.cycles_per_token() < 150.0, "{:.1}", got.cycles_per_token());
}

#[test]
fn a_flipped_weight_bit_is_caught_in_every_sequence() {
    let q = microgpt();
    let mut c = compiled(&q, 2, 2, 1, 2);
    let lm = c.map.tensors[2].clone();
    let (word, lane) = c.map.locate(&lm, q.cfg.bos(), 0);
    c.flip_weight_bit(word, lane, 7).unwrap();
    let model = build(&c, &BuildOptions::default()).unwrap();
    let reqs = batch_requests(&req(7, 0.5, 200, false), 7, 2);
    let got = run_batch(&mut model.sim(1), &reqs, |_, _| true, 50_000_000).unwrap();
    for (r, run) in reqs.iter().zip(&got.runs) {
        let want = generate(&q, r).unwrap();
        assert!(compare(&want, run).unwrap_err().starts_with("FAIL: character "));
    }
}

#[test]
fn batch_commands_and_errors() {
    let exe = env!("CARGO_BIN_EXE_llmpu");
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| std::process::Command::new(exe).args(args).output().unwrap();
    let out = std::process::Command::new(exe).args(["generate", "lpu", "--core-only", "--rows", "2", "--cols", "2", "--batch", "2", "--out"]).arg(tmp.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!((m["top"].as_str(), m["config"]["batch"].as_u64()), (Some("llmpu_core_r2c2_b2"), Some(2)));
    assert!(m["ports"].as_array().unwrap().iter().any(|p| p["name"] == "c1_cmd_seed"));
    let e = |o: std::process::Output| (o.status.code(), String::from_utf8_lossy(&o.stderr).trim().to_string());
    assert_eq!(e(run(&["generate", "lpu", "--batch", "3", "--out", "/nonexistent/x"])), (Some(2), "error: batch 3 is not allowed (allowed: 1, 2 or 4)".into()));
    let nf = tmp.path().join("system");
    let (code, msg) = e(std::process::Command::new(exe).args(["generate", "lpu", "--rows", "2", "--cols", "2", "--batch", "2", "--out"]).arg(&nf).output().unwrap());
    assert_eq!(code, Some(2));
    assert!(msg.starts_with("error: batch 2 is not allowed (allowed: 1 with the host link (UART);"), "{msg}");
    assert!(!nf.exists(), "nothing written");
    let sim = run(&["sim", "lpu", "--direct", "--rows", "2", "--cols", "2", "--batch", "2", "-n", "2", "--seed", "3"]);
    let text = String::from_utf8_lossy(&sim.stdout);
    assert!(sim.status.success(), "{text}{}", String::from_utf8_lossy(&sim.stderr));
    assert!(text.contains("sequence 1 (seed 4): ") && text.contains("aggregate cycles per token") && text.contains("PASS: every sequence equals the reference"), "{text}");
}
