//! `llmpu bench` and `llmpu sweep`: thin handlers over [`crate::bench`]. Each builds a
//! [`BenchPlan`] (nothing runs; `--dry-run` prints it), executes it, prints the result (table or
//! `--json`) and, with `--out`, stores the report beside docs/benchmarks.md and re-renders it.

use super::model::{ModelArgs, DEFAULT_MODEL};
use crate::bench::report::{markdown, plots, text};
use crate::bench::run::{parse_sizes, Size, Workload, MIN_TOKENS};
use crate::bench::sweep::{cores, execute, seed_tag, BenchPlan, BenchReport, Progress};
use crate::boards::Board;
use crate::error::Error;
use crate::output::FileSet;
use crate::synth::{Target, Tools};
use clap::Args;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What every benchmark run shares.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Sampled tokens simulated per size (at least 200)
    #[arg(long, default_value_t = MIN_TOKENS)]
    pub tokens: u16,
    /// Sampling temperature of the simulated generation: 0 (greedy) or 0.1..=10
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    /// Seed of the on-chip sampler
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the results as JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Print the plan (sizes, fit, steps) without running anything
    #[arg(long)]
    pub dry_run: bool,
    /// nextpnr's placement seed (0..=2147483647; fmax moves by a few MHz from seed to seed). A
    /// seed other than 1 gets its own build folders and report files (suffix -sN)
    #[arg(long, default_value_t = crate::synth::plan::DEFAULT_SEED)]
    pub pnr_seed: u64,
    /// Folder of the place-and-route builds, one subfolder per size and part
    #[arg(long, default_value = "build/bench")]
    pub build_root: PathBuf,
    /// Also store the results in this folder (e.g. docs) and regenerate its benchmarks.md
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Board whose part is benchmarked (see `llmpu boards`)
    #[arg(long)]
    pub board: String,
    #[command(flatten)]
    pub unit: super::board::UnitArgs,
    /// Attention heads processed in parallel (must divide the head count)
    #[arg(long, default_value_t = 1)]
    pub lanes: usize,
    /// Independent sequences interleaved through the core (1, 2 or 4); tokens/s is then the
    /// aggregate of all sequences (seeds seed, seed + 1, ...)
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    /// FPGA part: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k or ecp5-45k
    #[arg(long)]
    pub target: String,
    /// Matrix unit sizes, comma-separated RxC, each optionally with lL for L attention lanes
    /// (8x8l2) and bB for a batch (8x8l2b4); 1x1c is the compact engine
    #[arg(long, default_value = "1x1,2x2,4x4,8x8,16x16")]
    pub sizes: String,
    /// Steps run at the same time (default: min(2, CPUs))
    #[arg(long)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub run: RunArgs,
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("llmpu {}", args.join(" "))
}

fn model_name(m: &ModelArgs) -> String {
    let path = m.model.as_deref().unwrap_or(Path::new(DEFAULT_MODEL));
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into())
}

/// Plans a benchmark of `sizes` on `target` (nothing runs).
pub fn plan(run: &RunArgs, target: Target, board: Option<String>, sizes: &[Size]) -> crate::Result<BenchPlan> {
    let w = Workload::new(run.tokens, run.temperature, run.seed)?;
    let f = run.model.load()?;
    BenchPlan::new(f, &model_name(&run.model), target, board, sizes, w, &run.build_root, run.pnr_seed, Tools::discover())
}

/// `--jobs`: 1..=64, default min(2, CPUs).
pub fn jobs(j: Option<usize>) -> crate::Result<usize> {
    match j {
        None => Ok(cores().clamp(1, 2)),
        Some(j) => crate::error::check_range("jobs", j, 1, 64),
    }
}

fn progress(json: bool) -> Progress {
    if std::io::stderr().is_terminal() && !json {
        Progress::Bars
    } else {
        Progress::Lines
    }
}

/// `llmpu bench`'s default size, `R x C`.
pub const BENCH_SIZE: (usize, usize) = (4, 4);

/// The name of a report's JSON file in a docs folder: a board's with `-RxC` when its size is
/// not the default [`BENCH_SIZE`] and `-lL` when it has `L > 1` attention lanes, so that every
/// size's report sits beside the others (`benchmarks-board-ulx3s-85f.json`,
/// `...-8x8.json`, `...-8x8-l2.json`), and `-sN` when it was placed with a seed N other than 1.
pub fn report_file(r: &BenchReport) -> String {
    let seed = seed_tag(r.pnr_seed);
    match &r.board {
        Some(b) => {
            let tag = r.points.first().map_or(String::new(), |p| {
                let size = if (p.size.rows, p.size.cols) == BENCH_SIZE { String::new() } else { format!("-{}x{}", p.size.rows, p.size.cols) };
                size + &p.size.report_tag('-')
            });
            format!("benchmarks-board-{b}{tag}{seed}.json")
        }
        None => format!("benchmarks-sweep-{}{seed}.json", r.target),
    }
}

/// Every stored report of `dir` (`benchmarks-*.json`) with `r` in place of its namesake:
/// sweeps by target name, then boards; each by size, then placement seed.
pub fn reports_in(dir: &Path, r: &BenchReport) -> crate::Result<Vec<BenchReport>> {
    let mine = report_file(r);
    let mut out = vec![r.clone()];
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut names: Vec<String> = rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        for n in names.into_iter().filter(|n| n.starts_with("benchmarks-") && n.ends_with(".json") && *n != mine) {
            let p = dir.join(&n);
            let t = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
            let other: BenchReport = serde_json::from_str(&t).map_err(|e| Error::BadFile { path: p.clone(), msg: format!("not a benchmark report: {e}") })?;
            out.push(other);
        }
    }
    // Sweeps, then boards; per board or part by size (the first point's), then placement seed.
    let key = |r: &BenchReport| (r.board.is_some(), r.board.clone(), r.target.clone(), r.points.first().map(|p| p.size), r.pnr_seed);
    out.sort_by_key(key);
    Ok(out)
}

/// The files `--out` writes: the report's JSON, its plots (sweeps) and benchmarks.md.
pub fn docs_files(dir: &Path, r: &BenchReport) -> crate::Result<FileSet> {
    let mut files = FileSet::new();
    let json = serde_json::to_string_pretty(r).map_err(|e| Error::tool("serde_json", e.to_string()))?;
    files.add(report_file(r), format!("{json}\n"));
    if r.board.is_none() {
        for (name, svg) in plots(r)? {
            files.add(name, svg);
        }
    }
    files.add("benchmarks.md", markdown(&reports_in(dir, r)?));
    Ok(files)
}

fn finish(r: &BenchReport, run: &RunArgs) -> anyhow::Result<()> {
    if run.json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        print!("{}", text(r));
    }
    if let Some(dir) = &run.out {
        for p in docs_files(dir, r)?.write_to(dir)? {
            eprintln!("wrote {}", p.display());
        }
    }
    let failed: Vec<String> = r.points.iter().flat_map(|p| p.errors.iter().cloned()).collect();
    if !failed.is_empty() {
        anyhow::bail!("{} step(s) failed: {}", failed.len(), failed.join("; "));
    }
    Ok(())
}

pub fn run_bench(a: BenchArgs) -> anyhow::Result<()> {
    let board: Board = a.board.parse()?;
    let (rows, cols, engine) = a.unit.or_board(&board);
    let size = Size { rows, cols, lanes: a.lanes, batch: a.batch, engine: engine.parse()? };
    let p = plan(&a.run, board.target(), Some(board.name.to_string()), &[size])?;
    if a.run.dry_run {
        print!("{}", p.render());
        return Ok(());
    }
    if let Some(why) = &p.points[0].does_not_fit {
        return Err(Error::DoesNotFit(why.clone()).into());
    }
    let r = execute(&p, jobs(None)?, progress(a.run.json), &command_line());
    finish(&r, &a.run)
}

pub fn run_sweep(a: SweepArgs) -> anyhow::Result<()> {
    let target: Target = a.target.parse()?;
    let sizes = parse_sizes(&a.sizes)?;
    let jobs = jobs(a.jobs)?;
    let p = plan(&a.run, target, None, &sizes)?;
    if a.run.dry_run {
        print!("{}", p.render());
        return Ok(());
    }
    let r = execute(&p, jobs, progress(a.run.json), &command_line());
    finish(&r, &a.run)
}
