//! Board commands: `llmpu boards` (the table), `llmpu constraints` (write the `.pcf`/`.lpf`
//! files), `llmpu board-demo` (a real bitstream of the demo design, until the processing unit
//! exists) and `llmpu flash` (program a board). The work lives in [`crate::boards`].

use crate::boards::{self, build, demo, flash, Board};
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
    /// Bitstream to program (default: the board-demo build's, build/board/<board>/llmpu_board_demo/top.bin|bit)
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

/// The boards as a table.
pub fn boards_table() -> String {
    let mut s = format!("{:<14} {:<10} {:<10} {:<9} {:>9}  {}\n", "board", "target", "device", "package", "clock", "programmer");
    for b in boards::BOARDS {
        let t = b.target();
        let prog = flash::render(&b, std::path::Path::new("FILE"));
        s += &format!("{:<14} {:<10} {:<10} {:<9} {:>5} MHz  {prog}\n", b.name, t.name, t.device, t.package, format_mhz(b.clock_mhz));
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
    let file = a.bitstream.unwrap_or_else(|| build::default_dir(&b, demo::DEMO_TOP).join(format!("top.{}", b.bitstream_ext())));
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
