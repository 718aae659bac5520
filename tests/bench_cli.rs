//! `llmpu bench` and `llmpu sweep` without FPGA tools: bad boards, targets, size lists and
//! workloads are one-line usage errors (exit 2) that leave nothing written; `--dry-run` prints
//! the plan, with sizes that do not fit as rows saying so.

use std::process::Command;

fn llmpu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("llmpu runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn bad_input_is_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("docs");
    let o = out.to_str().unwrap();
    let cases: [(&[&str], &str); 13] = [
        (&["bench", "--board", "icebreaker", "--engine", "fast", "--out", o], "error: engine 'fast' is not allowed (allowed: parallel, compact)"),
        (&["bench", "--board", "icebreaker", "--rows", "2", "--out", o], "error: engine compact is not allowed (allowed with rows x cols 1x1, one lane, one tile and batch 1 (given 2x1, lanes 1, tiles 1x1, batch 1))"),
        (&["sweep", "--target", "ice40-up5k", "--sizes", "1x1c,2x2c", "--out", o], "error: size '2x2c' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)"),
        (&["bench", "--board", "de1-soc", "--out", o], "error: board 'de1-soc' is not allowed (allowed: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f, ulx3s-25f)"),
        (&["bench", "--board", "ulx3s-85f", "--rows", "3", "--out", o], "error: rows 3 is not allowed (allowed: 1, 2, 4, 8 or 16)"),
        (&["bench", "--board", "ulx3s-85f", "--tokens", "100", "--out", o], "error: tokens 100 is not allowed (allowed: 200..=10000)"),
        (&["sweep", "--target", "xc7a35t", "--out", o], "error: target 'xc7a35t' is not allowed (allowed: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k, ecp5-45k)"),
        (&["sweep", "--target", "ecp5-85k", "--sizes", "1x1,5x5", "--out", o], "error: size '5x5' is not allowed (allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine)"),
        (&["bench", "--board", "ulx3s-85f", "--lanes", "3", "--out", o], "error: lanes 3 is not allowed (must divide n_head = 4 (allowed: 1, 2, 4))"),
        (&["sweep", "--target", "ecp5-85k", "--sizes", "4x4,8x8l3", "--out", o], "error: lanes 3 is not allowed (must divide n_head = 4 (allowed: 1, 2, 4))"),
        (&["sweep", "--target", "ecp5-85k", "--sizes", "2x2,2x2", "--out", o], "error: sizes '2x2,2x2' is not allowed (each size once (2x2 is repeated))"),
        (&["sweep", "--target", "ecp5-85k", "--jobs", "0", "--out", o], "error: jobs 0 is not allowed (allowed: 1..=64)"),
        (&["bench", "--board", "ulx3s-85f", "--pnr-seed", "2147483648", "--out", o], "error: seed 2147483648 is not allowed (allowed: 0..=2147483647)"),
    ];
    for (args, want) in cases {
        let (code, stdout, err) = llmpu(args);
        assert_eq!((code, err.trim(), stdout.as_str()), (2, want, ""), "{args:?}");
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn ice40_bench_refuses_what_does_not_fit() {
    // The iCEBreaker's own engine is the compact one; the parallel core is refused before anything runs.
    let (code, _, err) = llmpu(&["bench", "--board", "icebreaker", "--engine", "parallel"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim(),
        "error: llmpu_core_r1c1 needs about 16066 logic cells (10711 logic at 1 attention element(s) per cycle, 5355 for the 7 of 15 multipliers without a DSP); ice40-up5k has 5280 and 8 DSPs; use fewer attention elements (--attention-elements), a smaller matrix unit or a larger target"
    );
}

#[test]
fn dry_run_prints_the_plan() {
    let (code, stdout, err) = llmpu(&["sweep", "--target", "ecp5-85k", "--sizes", "2x2,16x16", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("sweep_dry_run", stdout);
    let (code, stdout, err) = llmpu(&["bench", "--board", "ulx3s-85f", "--dry-run", "--tokens", "300", "--temperature", "0"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.starts_with("# bench plan: model microgpt-names on ecp5-85k (board ulx3s-85f); placed design: core only"), "{stdout}");
    assert!(stdout.contains("  2. Verilator 4x4: 300 sampled tokens (T 0, seed 1), compared with the integer reference\n"), "{stdout}");
    assert!(stdout.contains("  3. place and route 4x4 on ecp5-85k: yosys + nextpnr (seed 1) at 50 MHz requested in build/bench/llmpu_core_r4c4-ecp5-85k\n"), "{stdout}");
    // A board's own size and engine by default: the iCEBreaker's compact engine (1x1c).
    let (code, stdout, err) = llmpu(&["bench", "--board", "icebreaker", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("1x1c: llmpu_core_r1c1_compact fits the estimate; build folder build/bench/llmpu_core_r1c1_compact-ice40-up5k\n"), "{stdout}");
    assert!(stdout.contains("  3. place and route 1x1c on ice40-up5k: yosys + nextpnr (seed 1) at 24 MHz requested in build/bench/llmpu_core_r1c1_compact-ice40-up5k\n"), "{stdout}");
    // Attention lanes: their own size name and build folder.
    let (code, stdout, err) = llmpu(&["bench", "--board", "ulx3s-85f", "--rows", "8", "--cols", "8", "--lanes", "2", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("  2. Verilator 8x8l2: 200 sampled tokens"), "{stdout}");
    assert!(stdout.contains("  3. place and route 8x8l2 on ecp5-85k: yosys + nextpnr (seed 1) at 50 MHz requested in build/bench/llmpu_core_r8c8_l2-ecp5-85k\n"), "{stdout}");
    // Another placement seed: its own build folder, so a seed-1 build is never taken for it.
    let (code, stdout, err) = llmpu(&["bench", "--board", "ulx3s-85f", "--rows", "8", "--cols", "8", "--lanes", "2", "--pnr-seed", "5", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("  3. place and route 8x8l2 on ecp5-85k: yosys + nextpnr (seed 5) at 50 MHz requested in build/bench/llmpu_core_r8c8_l2-ecp5-85k-s5\n"), "{stdout}");
    // A sweep places the largest size first (the simulations, short, go before in size order).
    let (code, stdout, err) = llmpu(&["sweep", "--target", "ecp5-85k", "--sizes", "1x1,4x4,4x4l2", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  ")).map(|l| l.split(':').next().unwrap_or("")).collect();
    assert_eq!(
        steps,
        [
            "  1. CPU reference",
            "  2. Verilator 1x1",
            "  3. Verilator 4x4",
            "  4. Verilator 4x4l2",
            "  5. place and route 4x4l2 on ecp5-85k",
            "  6. place and route 4x4 on ecp5-85k",
            "  7. place and route 1x1 on ecp5-85k",
        ],
        "{stdout}"
    );
}

#[test]
fn version_names_the_commit_the_reports_record() {
    let (code, stdout, err) = llmpu(&["--version"]);
    assert_eq!(code, 0, "{err}");
    let v = stdout.trim();
    let prefix = format!("llmpu {} (commit ", env!("CARGO_PKG_VERSION"));
    let c = v.strip_prefix(prefix.as_str()).and_then(|r| r.strip_suffix(')')).unwrap_or_else(|| panic!("{v}"));
    let hash = c.strip_suffix("+dirty").unwrap_or(c);
    assert!(hash == "unknown" || (hash.len() == 7 && hash.chars().all(|ch| ch.is_ascii_hexdigit())), "{v}");
    assert_eq!(c, llmpu::bench::sweep::COMMIT);
}
