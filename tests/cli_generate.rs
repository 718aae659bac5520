//! `llmpu generate systolic` end to end: files written, bad input rejected with one line and
//! the right exit code, nothing left behind; snapshots of the 2x2 Verilog and manifest.

use std::path::Path;
use std::process::{Command, Output};

fn llmpu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("run llmpu")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The command fails with `code`, prints exactly one line that equals `msg`, and `out` is absent.
fn rejects(args: &[&str], code: i32, msg: &str, out: &Path) {
    let o = llmpu(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {e}");
    assert_eq!(e.lines().count(), 1, "{args:?}: not one line: {e}");
    assert_eq!(e.trim_end(), msg, "{args:?}");
    assert!(!out.exists(), "{args:?} left {}", out.display());
}

#[test]
fn writes_verilog_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let o = llmpu(&["generate", "systolic", "--rows", "3", "--cols", "5", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["llmpu_systolic_3x5_i8a32.v", "manifest.json"]);
    let m: llmpu::manifest::Manifest = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m.top, "llmpu_systolic_3x5_i8a32");
    let w = |n: &str| m.ports.iter().find(|p| p.name == n).map(|p| p.width);
    assert_eq!((w("a_in"), w("b_in"), w("c_out"), w("out_row")), (Some(24), Some(40), Some(160), Some(2)));
    let v = std::fs::read_to_string(out.join("llmpu_systolic_3x5_i8a32.v")).unwrap();
    let defined: Vec<&str> = v.lines().filter_map(|l| l.strip_prefix("module ")).map(|l| l.split('(').next().unwrap()).collect();
    let listed: Vec<&str> = m.extra["modules"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    assert_eq!(defined, listed);
    assert_eq!(v.matches("llmpu_pe_i8a32 pe_").count(), 15);
}

#[test]
fn bad_sizes_widths_and_options_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let o = out.to_str().unwrap();
    rejects(&["generate", "systolic", "--rows", "0", "--cols", "4", "--out", o], 2, "error: rows 0 is not allowed (allowed: 1..=64)", &out);
    rejects(&["generate", "systolic", "--rows", "4", "--cols", "65", "--out", o], 2, "error: cols 65 is not allowed (allowed: 1..=64)", &out);
    rejects(
        &["generate", "systolic", "--rows", "4", "--cols", "4", "--in-bits", "16", "--acc-bits", "24", "--out", o],
        2,
        "error: acc-bits 24 is not allowed (must be at least 2 x in-bits = 32 to hold one product)",
        &out,
    );
    rejects(
        &["generate", "systolic", "--rows", "4", "--cols", "4", "--depth", "3", "--out", o],
        2,
        "error: unexpected argument '--depth' found (see llmpu --help)",
        &out,
    );
    rejects(
        &["generate", "systolic", "--rows", "-1", "--cols", "4", "--out", o],
        2,
        "error: unexpected argument '-1' found (see llmpu --help)",
        &out,
    );
}

#[test]
fn unwritable_output_folder_fails_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("gen");
    let o = llmpu(&["generate", "systolic", "--rows", "2", "--cols", "2", "--out", out.to_str().unwrap()]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.starts_with(&format!("error: {}: ", file.display())), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    // An existing file as the output folder is the user's mistake: exit 2.
    let o = llmpu(&["generate", "systolic", "--rows", "2", "--cols", "2", "--out", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim_end(), format!("error: --out {} is not allowed (must be a folder, not a file)", file.display()));
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "staging folder left behind");
}

#[test]
fn snapshot_2x2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("gen");
    let o = llmpu(&["generate", "systolic", "--rows", "2", "--cols", "2", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    insta::assert_snapshot!("systolic_2x2_verilog", std::fs::read_to_string(out.join("llmpu_systolic_2x2_i8a32.v")).unwrap());
    insta::assert_snapshot!("systolic_2x2_manifest", std::fs::read_to_string(out.join("manifest.json")).unwrap());
}
