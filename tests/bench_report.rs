//! Benchmark rendering without any tool: the terminal table, docs/benchmarks.md and the plots
//! from a fixed, made-up result set (the numbers below are test inputs, not measurements),
//! snapshot-tested; the docs folder round trip (`--out`); tokens/s arithmetic.

use llmpu::bench::cpu::CpuRates;
use llmpu::bench::report::{grouped, markdown, plot_name, plots, text};
use llmpu::bench::run::{tokens_per_s, PnrResult, SimResult, Size, Stage, Use, Workload, PLACED_DESIGN};
use llmpu::bench::sweep::{BenchReport, Machine, Point};
use llmpu::cli::bench::{docs_files, report_file, reports_in};
use llmpu::lpu::Engine;
use std::path::PathBuf;

fn pnr(size: usize, luts: u64, dsps: u64, fmax: f64) -> PnrResult {
    PnrResult {
        top: format!("llmpu_core_r{size}c{size}"),
        target: "ecp5-85k".into(),
        luts: Use { used: luts, available: 83640 },
        ffs: Use { used: luts / 6, available: 83640 },
        dsps: Some(Use { used: dsps, available: 156 }),
        brams: Use { used: 7, available: 208 },
        fmax_mhz: Some(fmax),
        requested_mhz: 50.0,
        seconds: Some(600.0 + size as f64),
        reused: size == 1,
        build_dir: PathBuf::from(format!("build/bench/llmpu_core_r{size}c{size}-ecp5-85k")),
    }
}

fn sim(first: u64, mean: f64, matvec: f64) -> SimResult {
    let stages = [("embed", 36.0), ("norm", 114.0), ("matvec", matvec), ("add", 68.0), ("attention", 120.2), ("sample", 66.0), ("control", 20.2)]
        .iter()
        .map(|(n, c)| Stage { stage: n.to_string(), cycles_per_token: *c })
        .collect();
    SimResult { tokens: 200, first_cycles: first, mean_cycles: mean, stages, cycles: (mean * 200.0) as u64, seconds: 0.5, sim_cycles_per_s: mean * 400.0, build_seconds: 1.5 }
}

fn point(size: usize, p: Option<PnrResult>, s: Option<SimResult>) -> Point {
    let t = match (&p, &s) {
        (Some(p), Some(s)) => tokens_per_s(p.fmax_mhz.unwrap(), s.mean_cycles),
        _ => None,
    };
    Point { size: Size::new(size, size), top: format!("llmpu_core_r{size}c{size}"), does_not_fit: None, pnr: p, sim: s, tokens_per_s: t, errors: vec![] }
}

fn machine() -> Machine {
    Machine { cpus: 2, cpu_model: "Test CPU".into(), load_start: Some(3.5), load_end: Some(4.25) }
}

fn sweep() -> BenchReport {
    let mut big = point(16, None, None);
    big.does_not_fit = Some("llmpu_core_r16c16 needs 277 multipliers; ecp5-85k has 156 DSPs".into());
    let mut failed = point(8, None, Some(sim(620, 631.4, 207.0)));
    failed.errors.push("place and route 8x8 on ecp5-85k: nextpnr-ecp5 failed: exit 1: ERROR: no room".into());
    BenchReport {
        command: "llmpu sweep --target ecp5-85k --sizes 1x1,2x2,8x8,16x16 --jobs 1 --out docs".into(),
        date_utc: "2026-11-23 12:00 UTC".into(),
        commit: Some("0123abc".into()),
        machine: machine(),
        model: "microgpt-names".into(),
        target: "ecp5-85k".into(),
        board: None,
        placed: PLACED_DESIGN.into(),
        workload: Workload::new(200, 0.5, 1).unwrap(),
        cpu: Some(CpuRates { float: 120_000.0, integer: 450_000.0 }),
        points: vec![
            point(1, Some(pnr(1, 12000, 25, 18.5)), Some(sim(4000, 4011.5, 3585.0))),
            point(2, Some(pnr(2, 13794, 28, 16.38)), Some(sim(1322, 1333.4, 909.0))),
            failed,
            big,
        ],
        pnr_seed: 1,
    }
}

fn board() -> BenchReport {
    BenchReport {
        command: "llmpu bench --board ulx3s-85f --out docs".into(),
        board: Some("ulx3s-85f".into()),
        points: vec![point(4, Some(pnr(4, 15223, 40, 17.57)), Some(sim(672, 683.4, 259.0)))],
        ..sweep()
    }
}

fn ice40() -> BenchReport {
    let mut p = point(1, None, None);
    p.does_not_fit = Some("llmpu_core_r1c1 needs 22 multipliers; ice40-up5k has 8 DSPs and 5280 LUTs".into());
    BenchReport { command: "llmpu sweep --target ice40-up5k --sizes 1x1 --out docs".into(), target: "ice40-up5k".into(), cpu: None, points: vec![p], ..sweep() }
}

#[test]
fn tokens_per_s_is_fmax_over_mean_cycles() {
    let r = sweep();
    assert_eq!(r.points[1].tokens_per_s.map(|t| t.round()), Some((16.38e6f64 / 1333.4).round()));
    assert_eq!(grouped(16.38e6 / 1333.4), "12,284");
    assert_eq!(r.points[2].tokens_per_s, None, "no fmax, no tokens/s");
}

#[test]
fn terminal_table() {
    insta::assert_snapshot!("bench_text_board", text(&board()));
    insta::assert_snapshot!("bench_text_sweep", text(&sweep()));
}

#[test]
fn benchmarks_markdown() {
    let md = markdown(&[sweep(), ice40(), board()]);
    for want in [
        "| MicroGPT on FPGA (published) | Cyclone V (DE1-SoC) | 56.25 MHz | 867 first, +20 per further position | about 51,000 | 25,851 ALMs | 38 DSP blocks |",
        "| MicroGPT, single stream, ECP5-85F | 500,000 tokens/s | 25,710 (4x4 on ecp5-85k) | no |",
        "| MicroGPT, single stream, an iCE40 part | 50,000 tokens/s | nothing placed: 1x1: llmpu_core_r1c1 needs 22 multipliers",
        "| MicroGPT, batched (aggregate), ECP5-85F | 2,000,000 tokens/s | no batched run stored (`llmpu bench ... --batch B --out docs`) | no |",
        "does not fit: llmpu_core_r16c16 needs 277 multipliers",
        "FAILED: place and route 8x8 on ecp5-85k: nextpnr-ecp5 failed",
        "![tokens](bench-ecp5-85k-tokens.svg)",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    insta::assert_snapshot!("benchmarks_md", md);
}

#[test]
fn plots_of_a_sweep() {
    let ps = plots(&sweep()).unwrap();
    let names: Vec<&str> = ps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["resources", "fmax", "cycles", "tokens", "simspeed"].map(|w| plot_name(&sweep(), w)));
    let get = |w: &str| &ps.iter().find(|(n, _)| *n == plot_name(&sweep(), w)).unwrap().1;
    // fmax: points for the two placed sizes only; cycles: first and mean for the three simulated.
    assert_eq!(get("fmax").matches("<circle").count(), 2);
    assert_eq!(get("cycles").matches("<circle").count(), 6);
    // tokens: 2 design points + 4 anchor, 4 + 4 CPU, 4 target markers.
    assert_eq!(get("tokens").matches("<circle").count(), 2 + 4 * 4);
    for l in ["1x1", "16x16", "anchor (Cyclone V, published)", "CPU integer model", "target (issue #9)"] {
        assert!(get("tokens").contains(l), "{l}");
    }
    insta::assert_snapshot!("bench_fmax_svg", get("fmax"));
    assert!(get("tokens").contains("this design, one stream"));
    // A batched size in the sweep: the design's line says its points are aggregates there.
    let mut b = sweep();
    b.points[1].size.batch = 4;
    let tokens = plots(&b).unwrap().into_iter().find(|(n, _)| *n == plot_name(&b, "tokens")).unwrap().1;
    assert!(tokens.contains("this design (one stream; aggregate at the bB sizes)") && !tokens.contains("this design, one stream"), "{tokens}");
    assert!(plots(&ice40()).unwrap().is_empty(), "nothing placed or simulated: nothing to plot");
}

#[test]
fn out_folder_keeps_other_reports_and_replaces_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    docs_files(d, &board()).unwrap().write_to(d).unwrap();
    let files = docs_files(d, &sweep()).unwrap();
    let mut names = files.names();
    names.sort();
    assert_eq!(
        names,
        [
            "bench-ecp5-85k-cycles.svg",
            "bench-ecp5-85k-fmax.svg",
            "bench-ecp5-85k-resources.svg",
            "bench-ecp5-85k-simspeed.svg",
            "bench-ecp5-85k-tokens.svg",
            "benchmarks-sweep-ecp5-85k.json",
            "benchmarks.md"
        ]
    );
    files.write_to(d).unwrap();
    let mut changed = sweep();
    changed.date_utc = "2026-11-24 08:00 UTC".into();
    let all = reports_in(d, &changed).unwrap();
    assert_eq!(all.iter().map(report_file).collect::<Vec<_>>(), ["benchmarks-sweep-ecp5-85k.json", "benchmarks-board-ulx3s-85f.json"]);
    assert_eq!(all[0].date_utc, "2026-11-24 08:00 UTC", "the new report replaces the stored one");
    let stored: BenchReport = serde_json::from_str(&std::fs::read_to_string(d.join("benchmarks-board-ulx3s-85f.json")).unwrap()).unwrap();
    assert_eq!(stored, board(), "JSON round trip");
    std::fs::write(d.join("benchmarks-bad.json"), "{").unwrap();
    let e = reports_in(d, &changed).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}: not a benchmark report:", d.join("benchmarks-bad.json").display())), "{e}");
}

#[test]
fn a_batched_bench_counts_for_the_aggregate_target_only() {
    let mut b4 = board();
    b4.points[0].size.batch = 4;
    b4.points[0].sim.as_mut().unwrap().mean_cycles = 100.0;
    b4.points[0].tokens_per_s = tokens_per_s(17.57, 100.0);
    assert_eq!(report_file(&b4), "benchmarks-board-ulx3s-85f-b4.json");
    assert!(text(&b4).contains("  tokens/s (aggregate of 4 sequences) = fmax / aggregate cycles per token = 175,700\n"), "{}", text(&b4));
    let md = markdown(&[sweep(), b4.clone()]);
    for want in [
        // The batched 4x4 (175,700) is not a single stream: the sweep's best is.
        "| MicroGPT, single stream, ECP5-85F | 500,000 tokens/s | 12,284 (2x2 on ecp5-85k) | no |",
        "| MicroGPT, batched (aggregate), ECP5-85F | 2,000,000 tokens/s | 175,700 (4x4b4 on ecp5-85k, aggregate) | no |",
        "| llmpu 4x4b4 (`bench` run on ulx3s-85f, 4x4b4) | ecp5-85k | 17.57 MHz (fmax) | 100.0 aggregate (4 sequences) | 175,700 |",
        "- ecp5-85k 4x4b4 (`bench` run on ulx3s-85f, 4x4b4): 175,700 tokens/s aggregate of 2,000,000 (100.0 cycles per token over 4 sequences at 17.57 MHz). The sequences spend 259.0 cycles per token in MATVEC instructions (summed over the sequences; not a floor, since one sequence's MATVEC overlaps the next one's in the matrix unit); the target needs 200 MHz at 100.0 cycles.\n",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    // A batch-1 report stored before batches (no "batch" key) reads as one sequence.
    let json = serde_json::to_string(&board()).unwrap();
    assert!(!json.contains("batch"), "{json}");
    assert!(serde_json::to_string(&b4).unwrap().contains("\"batch\":4"));
}

#[test]
fn lanes_get_their_own_board_report_and_old_reports_read_as_one_lane() {
    let mut two = board();
    two.points[0].size.lanes = 2;
    assert_eq!(report_file(&two), "benchmarks-board-ulx3s-85f-l2.json");
    assert_eq!(report_file(&board()), "benchmarks-board-ulx3s-85f.json");
    // Other sizes get their own file too (an 8x8 bench must not replace the default 4x4's).
    let mut big = board();
    big.points[0].size.rows = 8;
    big.points[0].size.cols = 8;
    assert_eq!(report_file(&big), "benchmarks-board-ulx3s-85f-8x8.json");
    big.points[0].size.lanes = 2;
    assert_eq!(report_file(&big), "benchmarks-board-ulx3s-85f-8x8-l2.json");
    // A report stored before lanes were a parameter (no "lanes" key) reads as one lane.
    let json = serde_json::to_string(&board()).unwrap().replace(",\"lanes\":1", "");
    assert!(!json.contains("lanes"), "{json}");
    let old: BenchReport = serde_json::from_str(&json).unwrap();
    assert_eq!(old, board());
    assert!(text(&two).contains("4x4l2"), "{}", text(&two));
    assert!(markdown(std::slice::from_ref(&two)).contains("`RxClL` has `L` attention lanes"));
    assert!(!markdown(&[board()]).contains("attention lanes"));
}

#[test]
fn other_placement_seeds_get_their_own_files_and_old_reports_read_as_seed_1() {
    let mut s3 = sweep();
    s3.pnr_seed = 3;
    assert_eq!(report_file(&s3), "benchmarks-sweep-ecp5-85k-s3.json");
    assert_eq!(plot_name(&s3, "fmax"), "bench-ecp5-85k-s3-fmax.svg");
    assert_eq!(plot_name(&sweep(), "fmax"), "bench-ecp5-85k-fmax.svg");
    let mut b3 = board();
    b3.pnr_seed = 3;
    b3.points[0].size.lanes = 2;
    assert_eq!(report_file(&b3), "benchmarks-board-ulx3s-85f-l2-s3.json");
    assert!(text(&s3).contains("; nextpnr seed 3\n"), "{}", text(&s3));
    let md = markdown(&[sweep(), s3.clone()]);
    assert!(md.contains("commit 0123abc, nextpnr seed 3)"), "{md}");
    assert!(md.contains("commit 0123abc, nextpnr seed 1)"), "{md}");
    assert!(md.contains("(`sweep` run on ecp5-85k, nextpnr seed 3)"), "{md}");
    assert!(md.contains("![fmax](bench-ecp5-85k-s3-fmax.svg)"), "{md}");
    // Both seeds' files sit side by side in a docs folder.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    docs_files(d, &sweep()).unwrap().write_to(d).unwrap();
    docs_files(d, &s3).unwrap().write_to(d).unwrap();
    let all = reports_in(d, &s3).unwrap();
    assert_eq!(all.iter().map(|r| r.pnr_seed).collect::<Vec<_>>(), [1, 3], "by seed, whichever ran last");
    assert!(markdown(&all).contains("## Sweep on ecp5-85k\n"), "{}", markdown(&all));
    let md = markdown(&[board(), b3.clone()]);
    assert!(md.contains("## `llmpu bench` on board ulx3s-85f (ecp5-85k), 4x4\n"), "{md}");
    assert!(md.contains("## `llmpu bench` on board ulx3s-85f (ecp5-85k), 4x4l2, nextpnr seed 3\n"), "{md}");
    // A report stored before the seed was recorded reads as seed 1.
    let json = serde_json::to_string(&sweep()).unwrap().replace(",\"pnr_seed\":1", "");
    assert!(!json.contains("pnr_seed"), "{json}");
    assert_eq!(serde_json::from_str::<BenchReport>(&json).unwrap(), sweep());
}

#[test]
fn the_compact_engine_is_its_own_size_file_and_gap_line() {
    // A sweep on the UP5K with the compact engine placed (made-up numbers) and the parallel 1x1 refused.
    let mut c = point(1, Some(pnr(1, 4282, 3, 12.5)), Some(sim(7209, 8030.9, 5575.0)));
    c.size = Size::new(1, 1).with_engine(Engine::Compact);
    let mut r = ice40();
    r.points.insert(0, c);
    let md = markdown(&[r.clone()]);
    for want in [
        "| MicroGPT, single stream, an iCE40 part | 50,000 tokens/s | 1,556 (1x1c on ice40-up5k) | no |",
        "- ice40-up5k 1x1c: 1,556 tokens/s of 50,000. At its 12.50 MHz the target allows 250 cycles per token; it takes 8030.9",
        "  The compact engine multiplies once per cycle",
        "  With the UP5K's 8 SB_MAC16",
        "`1x1c` is the compact engine",
    ] {
        assert!(md.contains(want), "missing {want:?} in\n{md}");
    }
    assert!(!markdown(&[sweep()]).contains("compact engine"), "no compact note without a compact size");
    // On another part the DSP bound of the UP5K is not claimed.
    let hx = BenchReport { target: "ice40-hx8k".into(), ..r.clone() };
    let md = markdown(&[hx]);
    assert!(md.contains("  The compact engine multiplies once per cycle") && !md.contains("SB_MAC16"), "{md}");
    // Its own report file on a board, and the engine survives the JSON round trip; a report
    // stored before engines (no "engine" key) reads as the parallel units.
    let b = BenchReport { board: Some("icebreaker".into()), points: vec![r.points[0].clone()], ..r.clone() };
    assert_eq!(report_file(&b), "benchmarks-board-icebreaker-1x1-compact.json");
    let json = serde_json::to_string(&b).unwrap();
    assert!(json.contains("\"engine\":\"compact\""), "{json}");
    assert_eq!(serde_json::from_str::<BenchReport>(&json).unwrap(), b);
    assert!(!serde_json::to_string(&board()).unwrap().contains("engine"));
}
