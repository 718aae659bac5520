//! Every generated array passes `verilator --lint-only -Wall` and the Yosys elaboration check
//! (no latches). The tools are installed by scripts/setup.sh; a missing tool fails with a message
//! saying so.

use llmpu::rtl::lint::{lint_verilator, lint_yosys};
use llmpu::rtl::matmul::{generate, SystolicConfig, SystolicParams};
use std::path::PathBuf;

fn write(cfg: &SystolicConfig, dir: &std::path::Path) -> (Vec<PathBuf>, String) {
    let (files, m) = generate(cfg).expect("generate");
    files.write_to(dir).expect("write");
    let v: Vec<PathBuf> = m.files.iter().filter(|f| f.ends_with(".v")).map(|f| dir.join(f)).collect();
    (v, m.top)
}

fn lint_both(rows: u32, cols: u32, in_bits: u32, acc_bits: u32) {
    let cfg = SystolicConfig::try_from(SystolicParams { rows, cols, in_bits, acc_bits }).expect("config");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (files, top) = write(&cfg, tmp.path());
    assert_eq!(files.len(), 1);
    if let Err(e) = lint_verilator(&files, &top) {
        panic!("{top}: {e}");
    }
    if let Err(e) = lint_yosys(&files, &top) {
        panic!("{top}: {e}");
    }
}

#[test]
fn arrays_1x1_2x3_4x4_8x8_are_lint_clean() {
    for (r, c) in [(1, 1), (2, 3), (4, 4), (8, 8)] {
        lint_both(r, c, 8, 32);
    }
}

#[test]
fn every_width_pair_is_lint_clean() {
    for (i, a) in [(4, 16), (4, 24), (4, 48), (8, 16), (8, 24), (8, 48), (16, 32), (16, 48)] {
        lint_both(3, 2, i, a);
    }
}

#[test]
fn lint_failures_quote_the_tool() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("bad.v");
    std::fs::write(&f, "module bad(input wire a, input wire en, output reg q);\n  always @(*) if (en) q = a;\nendmodule\n").expect("write");
    let files = vec![f];
    let e = lint_yosys(&files, "bad").expect_err("a latch must fail the yosys lint").to_string();
    assert!(e.starts_with("yosys failed: "), "{e}");
    assert!(e.contains("ERROR"), "{e}");
    let e = lint_verilator(&files, "bad").expect_err("a latch must fail the verilator lint").to_string();
    assert!(e.starts_with("verilator --lint-only -Wall failed: %Warning-LATCH"), "{e}");
    let e = lint_verilator(&files, "nope").expect_err("missing top").to_string();
    assert!(e.contains("%Error") && e.contains("nope"), "{e}");
}
