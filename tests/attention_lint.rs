//! The generated attention unit passes `verilator --lint-only -Wall` and the Yosys elaboration
//! check (no latches, no loops) for several shapes, lanes and layer counts; the suppressions of
//! `rtl::attention::LINT_SUPPRESSIONS` are confined to the arithmetic leaves, and without them the
//! lint fails (so they are needed, and the lint is able to fail).

use llmpu::rtl::attention::{generate, AttentionConfig, AttentionParams};
use llmpu::rtl::lint::{lint_verilator, lint_yosys};
use std::path::PathBuf;

fn write(cfg: &AttentionConfig, dir: &std::path::Path) -> (Vec<PathBuf>, String) {
    let (files, m) = generate(cfg).expect("generate");
    files.write_to(dir).expect("write");
    let v: Vec<PathBuf> = m.files.iter().filter(|f| f.ends_with(".v")).map(|f| dir.join(f)).collect();
    (v, m.top)
}

fn cfg(head_dim: u32, heads: u32, context: u32, lanes: u32, layers: u32) -> AttentionConfig {
    AttentionConfig::try_from(AttentionParams { head_dim, heads, context, lanes, layers, ..AttentionParams::default() }).expect("config")
}

fn serial(c: AttentionConfig, elements_per_cycle: u32) -> AttentionConfig {
    let p = AttentionParams {
        head_dim: c.head_dim,
        heads: c.heads,
        context: c.context,
        lanes: c.lanes,
        q_frac: c.q_frac,
        k_frac: c.k_frac,
        layers: c.layers,
        elements_per_cycle,
    };
    AttentionConfig::try_from(p).expect("config")
}

#[test]
fn shapes_lanes_and_layers_are_lint_clean() {
    let shapes = [
        cfg(4, 4, 16, 1, 1),
        cfg(4, 4, 16, 4, 1),
        cfg(4, 4, 16, 1, 2),
        serial(cfg(4, 4, 16, 1, 2), 1),
        serial(cfg(4, 4, 16, 2, 1), 2),
        serial(cfg(3, 6, 5, 2, 3), 1),
        cfg(1, 1, 1, 1, 1),
        serial(cfg(6, 8, 64, 2, 16), 3),
    ];
    for c in shapes {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (files, top) = write(&c, tmp.path());
        assert_eq!(files.len(), 1);
        if let Err(e) = lint_verilator(&files, &top) {
            panic!("{top}: {e}");
        }
        if let Err(e) = lint_yosys(&files, &top) {
            panic!("{top}: {e}");
        }
    }
}

#[test]
fn suppressions_are_confined_and_needed() {
    let c = cfg(4, 4, 16, 1, 2);
    let tmp = tempfile::tempdir().expect("tempdir");
    let (files, top) = write(&c, tmp.path());
    let v = std::fs::read_to_string(&files[0]).expect("read");
    // Every lint_off sits in an arithmetic leaf or guards the top's unused wires.
    let mut module = "";
    for line in v.lines() {
        if let Some(rest) = line.strip_prefix("module ") {
            module = rest.split('(').next().unwrap_or("");
        }
        if line.contains("lint_off") && !line.contains("DECLFILENAME") {
            let leaf = ["llmpu_att_mac", "llmpu_att_head", "llmpu_att_acc"].iter().any(|p| module.starts_with(p));
            assert!(leaf || (module == top && line.contains("lint_off UNUSED")), "{module}: {line}");
        }
    }
    // Without the suppressions verilator complains.
    let stripped: String = v
        .lines()
        .filter(|l| !(l.contains("lint_off") && !l.contains("DECLFILENAME")))
        .map(|l| format!("{l}\n"))
        .collect();
    let bad = tmp.path().join("stripped.v");
    std::fs::write(&bad, stripped).expect("write");
    let e = lint_verilator(&[bad], &top).expect_err("the suppressions must be needed").to_string();
    assert!(e.starts_with("verilator --lint-only -Wall failed: %Warning-"), "{e}");
    assert!(e.contains("WIDTH"), "{e}");
}
