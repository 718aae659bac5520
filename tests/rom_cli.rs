//! `llmpu generate rom` and `llmpu synth rom --dry-run` end to end, without Yosys or
//! nextpnr: files and memory map written, a model that does not fit and SPRAM refused with one
//! line, exit code 2 and nothing written; snapshots of the manifest and the top module.

use llmpu::manifest::Manifest;
use llmpu::model::{save_model, FloatModel, ModelConfig, ModelParams, Tokenizer};
use std::path::Path;
use std::process::{Command, Output};

fn llmpu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("run llmpu")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rejects(args: &[&str], msg: &str, out: &Path) {
    let o = llmpu(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
    assert_eq!(e.lines().count(), 1, "{args:?}: not one line: {e}");
    assert_eq!(e.trim_end(), msg, "{args:?}");
    assert!(!out.exists(), "{args:?} left {}", out.display());
}

#[test]
fn writes_the_store_and_its_memory_map() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rom");
    let o = llmpu(&["generate", "rom", "--target", "ice40-up5k", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim_end(),
        format!(
            "llmpu_rom_l4: wrote llmpu_rom_l4.v, llmpu_rom_l4_w0.hex, llmpu_rom_l4_w1.hex, llmpu_rom_l4_w2.hex, llmpu_rom_l4_w3.hex, llmpu_rom_l4_rq.hex, manifest.json to {}; 39 Kbit in 14 of 30 EBR on ice40-up5k",
            out.display()
        )
    );
    // The banks read their contents from the .hex files beside the Verilog: one word a line.
    let rq = std::fs::read_to_string(out.join("llmpu_rom_l4_rq.hex")).unwrap();
    assert_eq!(rq.lines().count(), 214);
    assert!(rq.lines().all(|l| l.len() == 6 && u32::from_str_radix(l, 16).is_ok()), "{rq}");
    assert_eq!(std::fs::read_to_string(out.join("llmpu_rom_l4_w0.hex")).unwrap().lines().count(), 1056);
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let m: Manifest = serde_json::from_str(&text).unwrap();
    let map = &m.extra["memory_map"];
    // Every tensor of microgpt is in the map, back to back, in the documented order.
    let t = map["tensors"].as_array().unwrap();
    let names: Vec<&str> = t.iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["wte", "wpe", "lm_head", "layer0.attn_wq", "layer0.attn_wk", "layer0.attn_wv", "layer0.attn_wo", "layer0.mlp_fc1", "layer0.mlp_fc2"]
    );
    let mut next = 0;
    for x in t {
        assert_eq!(x["base"].as_u64(), Some(next));
        next += x["words"].as_u64().unwrap();
    }
    assert_eq!(map["depth"].as_u64(), Some(next));
    let v = std::fs::read_to_string(out.join("llmpu_rom_l4.v")).unwrap();
    let defined: Vec<&str> = v.lines().filter_map(|l| l.strip_prefix("module ")).map(|l| l.split('(').next().unwrap()).collect();
    assert_eq!(defined, ["llmpu_rom_l4_w0", "llmpu_rom_l4_w1", "llmpu_rom_l4_w2", "llmpu_rom_l4_w3", "llmpu_rom_l4_rq", "llmpu_rom_l4"]);
    let top = &v[v.find("module llmpu_rom_l4(").unwrap()..];
    insta::assert_snapshot!("microgpt_l4_top", top);
    insta::assert_snapshot!("microgpt_l4_manifest", text);
}

#[test]
fn spram_bad_lanes_and_unknown_targets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rom");
    let o = out.to_str().unwrap();
    rejects(
        &["generate", "rom", "--target", "ice40-up5k", "--memory", "spram", "--out", o],
        "error: memory spram is not allowed (SPRAM cannot be initialised by the bitstream, so a ROM there would be empty at power-up; allowed: bram)",
        &out,
    );
    rejects(&["generate", "rom", "--target", "ice40-up5k", "--lanes", "0", "--out", o], "error: lanes 0 is not allowed (allowed: 1..=64)", &out);
    rejects(
        &["generate", "rom", "--target", "xc7", "--out", o],
        "error: target 'xc7' is not allowed (allowed: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k, ecp5-45k)",
        &out,
    );
    rejects(
        &["generate", "rom", "--target", "ice40-up5k", "--lanes", "64", "--out", o],
        "error: model needs 102 Kbit of ROM in at least 66 EBR (64 weight banks of 192 x 8 bit in 1 each, requant bank of 214 x 24 bit in 2); ice40-up5k has 30 EBR of 4 Kbit; use fewer lanes, a smaller model or a larger target",
        &out,
    );
}

#[test]
fn a_model_too_big_for_the_part_is_refused_with_the_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let p = ModelParams { n_embd: 64, n_layer: 2, mlp_hidden: 256, ..ModelParams::MICROGPT };
    let big = FloatModel::zeros(ModelConfig::try_from(p).unwrap(), Tokenizer::letters(26));
    assert_eq!(big.cfg.num_params(), 102_784);
    let ckpt = tmp.path().join("big.json");
    save_model(&big, None, &ckpt).unwrap();
    let out = tmp.path().join("rom");
    let args = ["--model", ckpt.to_str().unwrap(), "--target", "ice40-up5k"];
    rejects(
        &[&["generate", "rom"][..], &args, &["--out", out.to_str().unwrap()]].concat(),
        "error: model needs 833 Kbit of ROM in at least 213 EBR (4 weight banks of 25728 x 8 bit in 51 each, requant bank of 1222 x 24 bit in 9); ice40-up5k has 30 EBR of 4 Kbit; use fewer lanes, a smaller model or a larger target",
        &out,
    );
    // synth rom refuses it the same way before any tool runs.
    let bd = tmp.path().join("build");
    rejects(&[&["synth", "rom"][..], &args, &["--build-dir", bd.to_str().unwrap()]].concat(), "error: model needs 833 Kbit of ROM in at least 213 EBR (4 weight banks of 25728 x 8 bit in 51 each, requant bank of 1222 x 24 bit in 9); ice40-up5k has 30 EBR of 4 Kbit; use fewer lanes, a smaller model or a larger target", &bd);
    // It fits an ECP5-85k: 4 weight banks x 13 DP16KD (2048 x 9) + 3 (512 x 36) for requant.
    let o = llmpu(&[&["generate", "rom", "--model", ckpt.to_str().unwrap(), "--target", "ecp5-85k", "--out"][..], &[out.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.ends_with("833 Kbit in 55 of 208 DP16KD on ecp5-85k\n"), "{said}");
}

#[test]
fn synth_rom_dry_run_prints_the_plan_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bd = tmp.path().join("b");
    let o = llmpu(&["synth", "rom", "--target", "ecp5-85k", "--dry-run", "--build-dir", bd.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("# plan: llmpu_rom_l4 (wrapped as llmpu_rom_l4_place) on ecp5-85k"), "{out}");
    assert!(out.contains("#   rtl/llmpu_rom_l4.v ("), "{out}");
    // The .hex files go beside the Verilog (Yosys finds them there); only .v files are read.
    assert!(out.contains("#   rtl/llmpu_rom_l4_w0.hex (3168 bytes)"), "{out}");
    assert!(out.contains("#   rtl/llmpu_rom_l4_rq.hex (1498 bytes)"), "{out}");
    assert!(out.ends_with("# fit estimate: 39 Kbit in 5 of 208 DP16KD (1 per weight bank, 1 for requant)\n"), "{out}");
    assert!(!bd.exists());
}

#[test]
fn cols_gives_r_x_c_words() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rom");
    let o = llmpu(&["generate", "rom", "--lanes", "4", "--cols", "4", "--target", "ecp5-85k", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.starts_with("llmpu_rom_r4c4: wrote llmpu_rom_r4c4.v, llmpu_rom_r4c4_w0.hex, "), "{said}");
    assert!(said.contains("llmpu_rom_r4c4_rq.hex, manifest.json to "), "{said}");
    // A 32-bit bank: 8 hex digits a line.
    let w3 = std::fs::read_to_string(out.join("llmpu_rom_r4c4_w3.hex")).unwrap();
    assert!(w3.lines().all(|l| l.len() == 8), "{w3}");
    let m: Manifest = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let map = &m.extra["memory_map"];
    assert_eq!((map["lanes"].as_u64(), map["cols"].as_u64()), (Some(4), Some(4)));
    // wq: 16 x 16 in 4 x 4 words: 4 tiles of 4 chunks.
    let wq = map["tensors"].as_array().unwrap().iter().find(|t| t["name"] == "layer0.attn_wq").unwrap();
    assert_eq!((wq["tiles"].as_u64(), wq["chunks"].as_u64(), wq["words"].as_u64()), (Some(4), Some(4), Some(16)));
    let data = m.ports.iter().find(|p| p.name == "data").unwrap();
    assert_eq!(data.width, 128);
    let v = std::fs::read_to_string(out.join("llmpu_rom_r4c4.v")).unwrap();
    // One 32-bit bank per row of a word.
    assert!(v.contains("llmpu_rom_r4c4_w3 w3(.clock(clock), .en(en), .addr(addr), .data(data[127:96]));"), "{v}");
    let o = out.to_str().unwrap();
    rejects(&["generate", "rom", "--target", "ecp5-85k", "--cols", "17", "--out", &format!("{o}2")], "error: cols 17 is not allowed (allowed: 1..=16)", &out2(&out));
    rejects(
        &["generate", "rom", "--target", "ecp5-85k", "--lanes", "32", "--cols", "16", "--out", &format!("{o}2")],
        "error: lanes x cols 32 x 16 is not allowed (a word of 512 bytes; allowed: at most 256 bytes)",
        &out2(&out),
    );
}

fn out2(out: &Path) -> std::path::PathBuf {
    out.with_file_name("rom2")
}
