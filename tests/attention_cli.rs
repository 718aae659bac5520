//! `llmpu generate|sim|synth attention` end to end: files written and snapshotted, bad input
//! rejected with one line and exit 2 (nothing written), a simulation that passes and prints the
//! documented cycles per token, a synthesis plan and a refused fit.

use llmpu::rtl::attention::AttentionConfig;
use std::path::Path;
use std::process::{Command, Output};

fn llmpu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("run llmpu")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn rejects(args: &[&str], msg: &str, out: &Path) {
    let o = llmpu(args);
    let e = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    assert_eq!(e.lines().count(), 1, "{args:?}: not one line: {e}");
    assert_eq!(e.trim_end(), msg, "{args:?}");
    assert!(!out.exists(), "{args:?} left {}", out.display());
}

#[test]
fn generate_writes_verilog_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let o = llmpu(&["generate", "attention", "--head-dim", "2", "--heads", "2", "--context", "3", "--lanes", "2", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim_end(), format!("llmpu_attention_d2h2t3l2: wrote llmpu_attention_d2h2t3l2.v, manifest.json to {}", out.display()));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let m: llmpu::manifest::Manifest = serde_json::from_str(&manifest).unwrap();
    let v = std::fs::read_to_string(out.join("llmpu_attention_d2h2t3l2.v")).unwrap();
    let defined: Vec<&str> = v.lines().filter_map(|l| l.strip_prefix("module ")).map(|l| l.split('(').next().unwrap()).collect();
    let listed: Vec<&str> = m.extra["modules"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert_eq!(defined, listed);
    // 2 lanes x 2 elements: a key and a value memory each.
    assert_eq!(v.matches("llmpu_att_kvram_a3 kmem_").count(), 4);
    assert_eq!(v.matches("llmpu_att_kvram_a3 vmem_").count(), 4);
    insta::assert_snapshot!("attention_d2h2t3l2_manifest", manifest);
    insta::assert_snapshot!("attention_d2h2t3l2_verilog", v);
}

#[test]
fn generate_with_layers_widens_the_address_and_the_layer_ports() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let o = llmpu(&["generate", "attention", "--head-dim", "2", "--heads", "2", "--context", "3", "--layers", "3", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m: llmpu::manifest::Manifest = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m.top, "llmpu_attention_d2h2t3l1_y3");
    let width = |n: &str| m.ports.iter().find(|p| p.name == n).map(|p| p.width);
    assert_eq!((width("kv_layer"), width("q_layer"), width("cache_len")), (Some(2), Some(2), Some(2)));
    // 2 layer bits + 1 group bit + 2 position bits.
    assert_eq!(m.extra["addr_bits"], 5);
    assert_eq!(m.config["layers"], 3);
    let v = std::fs::read_to_string(out.join("llmpu_attention_d2h2t3l1_y3.v")).unwrap();
    assert!(v.contains(".kv_layer({6'd0, kv_layer}), .q_layer({6'd0, q_layer})"), "layer ports not wired");
    assert!(v.contains("wire [4:0] waddr = {kv_layer, kv_group, wpos[1:0]};"), "write address");
    assert!(v.contains("wire [4:0] raddr = {rlay[1:0], rgrp[0:0], rpos[1:0]};"), "read address");
}

#[test]
fn bad_shapes_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let o = out.to_str().unwrap();
    let base = ["generate", "attention", "--out", o];
    let run = |extra: &[&str], msg: &str| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        rejects(&args, msg, &out);
    };
    run(&["--head-dim", "4", "--heads", "4", "--context", "16", "--lanes", "3"], "error: lanes 3 is not allowed (must divide heads = 4 (allowed: 1, 2, 4))");
    run(&["--head-dim", "4", "--heads", "4", "--context", "65"], "error: context 65 is not allowed (allowed: 1..=64)");
    run(&["--head-dim", "0", "--heads", "4", "--context", "16"], "error: head-dim 0 is not allowed (allowed: 1..=64)");
    run(&["--head-dim", "4", "--heads", "4", "--context", "16", "--layers", "17"], "error: layers 17 is not allowed (allowed: 1..=16)");
    run(
        &["--head-dim", "4", "--heads", "4", "--context", "16", "--elements-per-cycle", "3"],
        "error: elements-per-cycle 3 is not allowed (must divide head-dim = 4 (allowed: 1, 2, 4))",
    );
    run(&["--head-dim", "4", "--heads", "4", "--context", "16", "--elements-per-cycle", "0"], "error: elements-per-cycle 0 is not allowed (allowed: 1..=4)");
    run(
        &["--head-dim", "4", "--heads", "4", "--context", "16", "--q-frac", "3", "--k-frac", "4"],
        "error: q-frac + k-frac 7 is not allowed (must be at least 8 (scores keep 8 fraction bits))",
    );
    let sim = ["sim", "attention", "--head-dim", "2", "--heads", "2", "--context", "3", "--tokens", "4"];
    let o = llmpu(&sim);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stderr).trim_end(), "error: tokens 4 is not allowed (allowed: 1..=3)");
}

#[test]
fn sim_passes_and_prints_cycles_per_token() {
    let cfg = AttentionConfig::new(2, 2, 3, 1).unwrap();
    let o = llmpu(&["sim", "attention", "--head-dim", "2", "--heads", "2", "--context", "3", "--seed", "9", "--magnitude", "32768"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "llmpu_attention_d2h2t3l1: 3 token(s), 2 heads of 2, q/k/v in -32768..=32768, seed 9, stall rate 0");
    assert_eq!(lines[1], "PASS: all 12 outputs match the golden model bit for bit");
    let want: Vec<String> = (1..=3).map(|len| cfg.token_cycles(len).to_string()).collect();
    assert_eq!(lines[2], format!("cycles per token (position 0..2): {}", want.join(" ")));
}

#[test]
fn synth_plans_for_ecp5_and_refuses_what_cannot_fit() {
    let o = llmpu(&["synth", "attention", "--head-dim", "4", "--heads", "4", "--context", "16", "--target", "ecp5-85k", "--dry-run"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.ends_with("# fit estimate: 19 multipliers, 19 in DSPs, 0 in logic; at least 128 LUTs of 83640\n"), "{out}");
    assert!(out.contains("llmpu_attention_d4h4t16l1"), "{out}");
    // One element per cycle: 4 * 1 + 3 = 7 multipliers, all in the 8 DSPs.
    let o = llmpu(&[
        "synth", "attention", "--head-dim", "4", "--heads", "4", "--context", "16", "--elements-per-cycle", "1", "--target", "ice40-up5k", "--dry-run",
    ]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(out.ends_with("# fit estimate: 7 multipliers, 7 in DSPs, 0 in logic; at least 32 LUTs of 5280\n"), "{out}");
    let o = llmpu(&["synth", "attention", "--head-dim", "4", "--heads", "4", "--context", "16", "--target", "ice40-up5k", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr).trim_end(),
        "error: llmpu_attention_d4h4t16l1 needs 19 multipliers of 16x16 bits; ice40-up5k has 8 DSPs and 5280 LUTs: \
         11 multipliers in logic need about 11 x 765 = 8415 LUTs plus 128 for the accumulators (at least 8543 LUTs); \
         use fewer lanes, a smaller head dimension or a larger target"
    );
}
