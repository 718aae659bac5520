//! The NoC's generated text and command line: every generated mesh and router is lint clean,
//! the Verilog and manifest of a small mesh are pinned by snapshots, `generate noc` writes them,
//! `sim noc` prints the statistics, and bad input exits 2 with one line naming the value.

use llmpu::rtl::lint::{lint_verilator, lint_yosys};
use llmpu::rtl::noc::{generate, router_design, NocConfig};
use std::path::PathBuf;
use std::process::Command;

fn llmpu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("run llmpu");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn lint(files: llmpu::output::FileSet, top: &str) {
    let tmp = tempfile::tempdir().unwrap();
    files.write_to(tmp.path()).unwrap();
    let v: Vec<PathBuf> = files.names().iter().filter(|n| n.ends_with(".v")).map(|n| tmp.path().join(n)).collect();
    lint_verilator(&v, top).unwrap_or_else(|e| panic!("{top}: {e}"));
    lint_yosys(&v, top).unwrap_or_else(|e| panic!("{top}: {e}"));
}

#[test]
fn meshes_and_routers_are_lint_clean() {
    for (w, h, b, d) in [(1, 1, 16, 2), (1, 5, 32, 3), (4, 4, 16, 2), (3, 2, 64, 8), (8, 8, 32, 4)] {
        let cfg = NocConfig::new(w, h, b, d).unwrap();
        let (files, m) = generate(&cfg).unwrap();
        lint(files, &m.top);
    }
    let (files, m) = router_design(&NocConfig::new(2, 2, 32, 4).unwrap()).unwrap();
    lint(files, &m.top);
}

#[test]
fn tori_and_the_torus_router_are_lint_clean() {
    for (w, h, b, d) in [(1, 1, 16, 2), (1, 5, 32, 3), (4, 4, 16, 2), (3, 2, 64, 8), (8, 8, 32, 4)] {
        let cfg = NocConfig::torus(w, h, b, d).unwrap();
        let (files, m) = generate(&cfg).unwrap();
        lint(files, &m.top);
    }
    let (files, m) = router_design(&NocConfig::torus(2, 2, 32, 4).unwrap()).unwrap();
    assert_eq!(m.top, "llmpu_noc_trouter_f32d4");
    lint(files, &m.top);
}

#[test]
fn torus_2x2_verilog_and_manifest_snapshots() {
    let cfg = NocConfig::torus(2, 2, 16, 2).unwrap();
    let (files, m) = generate(&cfg).unwrap();
    assert_eq!(m.files, ["llmpu_noc_torus_2x2_f16d2.v", "manifest.json"]);
    let v = String::from_utf8_lossy(files.get("llmpu_noc_torus_2x2_f16d2.v").unwrap()).to_string();
    // The input's two register types, the switch's two (its two 1-bit registers are one module),
    // the two leaves, one router, the torus.
    assert_eq!(v.matches("\nmodule ").count() + usize::from(v.starts_with("module ")), 8, "{v}");
    insta::assert_snapshot!("noc_torus_2x2_f16d2_verilog", v);
    let json = String::from_utf8_lossy(files.get("manifest.json").unwrap()).replace(env!("CARGO_PKG_VERSION"), "VERSION");
    insta::assert_snapshot!("noc_torus_2x2_f16d2_manifest", json);
}

#[test]
fn mesh_2x1_verilog_and_manifest_snapshots() {
    let cfg = NocConfig::new(2, 1, 16, 2).unwrap();
    let (files, m) = generate(&cfg).unwrap();
    assert_eq!(m.files, ["llmpu_noc_2x1_f16d2.v", "manifest.json"]);
    let v = String::from_utf8_lossy(files.get("llmpu_noc_2x1_f16d2.v").unwrap()).to_string();
    // Three register types, the two leaves, one router module for every position, the mesh.
    assert_eq!(v.matches("\nmodule ").count() + usize::from(v.starts_with("module ")), 8, "{v}");
    insta::assert_snapshot!("noc_2x1_f16d2_verilog", v);
    let json = String::from_utf8_lossy(files.get("manifest.json").unwrap()).replace(env!("CARGO_PKG_VERSION"), "VERSION");
    insta::assert_snapshot!("noc_2x1_f16d2_manifest", json);
}

#[test]
fn generate_noc_writes_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("noc");
    let (code, stdout, err) = llmpu(&["generate", "noc", "--mesh", "3x2", "--flit-bits", "16", "--buffer-depth", "4", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout.trim(), format!("llmpu_noc_3x2_f16d4: wrote llmpu_noc_3x2_f16d4.v, manifest.json to {}", out.display()));
    assert!(out.join("llmpu_noc_3x2_f16d4.v").is_file() && out.join("manifest.json").is_file());
}

#[test]
fn sim_noc_prints_the_statistics() {
    let (code, out, err) = llmpu(&["sim", "noc", "--mesh", "1x1", "--flit-bits", "16", "--traffic", "hotspot", "--rate", "0.3", "--cycles", "1000", "--eject-ready", "0.7", "--seed", "4"]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "llmpu_noc_1x1_f16d2: hotspot traffic, offered 0.3 flits/node/cycle, 4-flit packets, 1000 cycles, eject ready 0.7, seed 4");
    assert!(lines[1].starts_with("PASS: ") && lines[1].contains(" packets delivered exactly once, in order, uncorrupted; drained in "), "{}", lines[1]);
    let nums: Vec<u64> = lines[1]["PASS: ".len()..].split(' ').filter_map(|t| t.parse().ok()).collect();
    assert_eq!(nums[0], nums[1], "delivered != created: {}", lines[1]);
    assert!(lines[2].starts_with("latency (creation to last flit, "), "{}", lines[2]);
    assert!(lines[3].starts_with("accepted throughput: "), "{}", lines[3]);
}

#[test]
fn sim_noc_writes_a_waveform() {
    let tmp = tempfile::tempdir().unwrap();
    let vcd = tmp.path().join("torus.vcd");
    let (code, out, err) = llmpu(&["sim", "noc", "--topology", "torus", "--mesh", "2x2", "--flit-bits", "16", "--cycles", "100", "--rate", "0.3", "--vcd", vcd.to_str().unwrap()]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert_eq!(out.lines().last().unwrap(), format!("waveform: {}", vcd.display()));
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.contains("$enddefinitions"), "not a VCD");
    // The top's ports and a router's link are in it, and time advances past the run.
    for name in ["inj_valid", "ej_data", "e_v_0"] {
        assert!(text.contains(&format!(" {name} ")), "{name} missing from the VCD");
    }
    assert!(text.contains("\n#1000\n"), "fewer than 100 cycles traced");
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let cases: [(&[&str], &str); 10] = [
        (&["sim", "noc", "--sweep", "0.1,0.2", "--vcd", "x.vcd"], "error: --vcd with --sweep is not allowed (a waveform is written for one run: drop --sweep)"),
        (&["sim", "noc", "--mesh", "1x1", "--vcd", "/nonexistent-folder/x.vcd"], "error: --vcd /nonexistent-folder/x.vcd is not allowed (cannot be opened for writing (does its folder exist?))"),
        (&["generate", "noc", "--topology", "ring"], "error: topology 'ring' is not allowed (allowed: mesh, torus)"),
        (&["sim", "noc", "--topology", "torus", "--packet-flits", "4"], "error: packet-flits 4 is not allowed (allowed on the torus: 1 (its packets are single flits))"),
        (&["generate", "noc", "--mesh", "9x1"], "error: mesh width 9 is not allowed (allowed: 1..=8)"),
        (&["generate", "noc", "--mesh", "4"], "error: mesh '4' is not allowed (allowed: WxH with W and H in 1..=8, e.g. 4x4)"),
        (&["generate", "noc", "--flit-bits", "8"], "error: flit-bits 8 is not allowed (allowed: 16, 32, 64)"),
        (&["sim", "noc", "--traffic", "diagonal"], "error: traffic 'diagonal' is not allowed (allowed: uniform, transpose, hotspot)"),
        (&["sim", "noc", "--rate", "1.5"], "error: rate 1.5 is not allowed (allowed: 0..=1 flits per node per cycle)"),
        (&["sim", "noc", "--mesh", "4x2", "--traffic", "transpose"], "error: traffic transpose is not allowed (needs a square mesh, not 4x2)"),
    ];
    for (args, want) in cases {
        let (code, out, err) = llmpu(args);
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert_eq!(err.trim(), want, "{args:?}");
    }
}
