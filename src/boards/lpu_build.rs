//! `llmpu build --board B`: the processing unit's system top `llmpu_lpu_rRcC` (core + host
//! link, src/rtl/lpu/system.rs) for the board's part, inside the board top with its PLL, then
//! yosys -> nextpnr -> icepack/ecppack ([`super::build::plan_with`]).
//!
//! Contract:
//! - [`plan`] validates everything (board clock reachable by the PLL, UART divisor at that
//!   clock, the core's fit check) and returns the plan — files plus exact command lines —
//!   without writing anything or running any tool; `--dry-run` prints it.
//! - The system is generated for the clock the board actually runs at (the PLL's output, which
//!   may differ slightly from the request), so its UART divisor matches the hardware.
//! - [`run`] executes the plan ([`crate::synth::run::run`]: logs per tool in the build
//!   folder, one-line errors quoting them) and reads the reports; [`LpuBuildReport::timing_error`]
//!   is the one-line message when the achieved fmax is below the clock, with the critical
//!   path's start and end from nextpnr's log.

use super::build::{clocking, plan_with, PlanOptions};
use super::pll::Pll;
use super::Board;
use crate::error::{Error, Result};
use crate::lpu::Compiled;
use crate::rtl::hostlink::HostLinkConfig;
use crate::rtl::lpu::fit::LpuFit;
use crate::synth::plan::{format_mhz, PackTools};
use crate::synth::report::{parse_critical_path, CriticalPath};
use crate::synth::{BuildPlan, SynthReport, Tools};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Design name of the processing unit's build folder: `build/board/<board>/lpu`.
pub const DESIGN_DIR: &str = "lpu";
/// Transmit buffer of the host link on boards, bytes (as `llmpu generate lpu`).
pub const TX_BUFFER: u32 = 512;
/// Frame timeout of the host link, byte times (as `llmpu generate lpu`).
pub const TIMEOUT_BYTES: u32 = 32;
/// The manifest of the generated system, kept in the build folder.
pub const MANIFEST: &str = "lpu_manifest.json";

/// The build folder `llmpu build --board B` uses when none is given; `llmpu flash --board B`
/// takes its bitstream from there.
pub fn default_dir(board: &Board) -> PathBuf {
    super::build::default_dir(board, DESIGN_DIR)
}

/// The bitstream a default `llmpu build --board B` writes.
pub fn default_bitstream(board: &Board) -> PathBuf {
    default_dir(board).join(format!("top.{}", board.bitstream_ext()))
}

/// What to build besides the compiled model.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildRequest {
    /// Requested clock, MHz (the board's default when `None`).
    pub freq_mhz: Option<f64>,
    pub seed: u64,
    pub baud: u32,
    /// Build folder (the board's default when `None`).
    pub dir: Option<PathBuf>,
}

/// What computes: `4x4 matrix unit` or `compact engine`.
pub fn unit_name(engine: crate::lpu::Engine, rows: usize, cols: usize) -> String {
    match engine {
        crate::lpu::Engine::Compact => "compact engine".into(),
        crate::lpu::Engine::Parallel => format!("{rows}x{cols} matrix unit"),
    }
}

/// A planned build: the plan and everything the report needs.
#[derive(Debug, Clone)]
pub struct LpuBuild {
    pub board: Board,
    pub model: String,
    pub rows: usize,
    pub cols: usize,
    pub engine: crate::lpu::Engine,
    /// The clock asked for, MHz.
    pub requested_mhz: f64,
    /// `None` when the oscillator clocks the design directly.
    pub pll: Option<Pll>,
    pub hostlink: HostLinkConfig,
    pub fit: LpuFit,
    pub seed: u64,
    pub plan: BuildPlan,
}

impl LpuBuild {
    /// The clock the design runs at, MHz (the PLL's output or the oscillator).
    pub fn clock_mhz(&self) -> f64 {
        self.plan.freq_mhz
    }

    /// One line about the clock: `12.5 MHz (PLL from the 25 MHz oscillator)`.
    pub fn clock_line(&self) -> String {
        match self.pll {
            Some(_) => format!(
                "{} MHz (PLL from the {} MHz oscillator; {} MHz requested)",
                format_mhz(round4(self.clock_mhz())),
                format_mhz(self.board.clock_mhz),
                format_mhz(self.requested_mhz)
            ),
            None => format!("{} MHz (the oscillator)", format_mhz(self.clock_mhz())),
        }
    }

    /// `--dry-run`'s text: what is built, then the plan.
    pub fn render(&self) -> String {
        let f = &self.fit;
        format!(
            "# llmpu build: {} of model {} ({}) on board {} ({}), clock {}, UART {} baud ({} clocks per bit), nextpnr seed {}\n\
             # fit estimate: at least {} of {} {}, {} multipliers ({} in DSPs)\n{}",
            self.plan.top,
            self.model,
            unit_name(self.engine, self.rows, self.cols),
            self.board.name,
            self.board.title,
            self.clock_line(),
            self.hostlink.baud,
            self.hostlink.divisor,
            self.seed,
            f.brams,
            f.brams_available,
            f.bram,
            f.multipliers,
            f.in_dsps,
            self.plan.render()
        )
    }
}

fn round4(f: f64) -> f64 {
    (f * 1e4).round() / 1e4
}

/// Plans the build of the system of `c` (compiled for `board`'s part) on `board`. Nothing is
/// written and no tool runs; every input is checked here.
pub fn plan(board: &Board, c: &Compiled, model: &str, req: &BuildRequest, tools: &Tools, pack: &PackTools) -> Result<LpuBuild> {
    if c.cfg.target.name != board.target {
        return Err(Error::invalid(
            "target",
            c.cfg.target.name,
            format!("allowed: {} (the part of board {})", board.target, board.name),
        ));
    }
    crate::synth::plan::check_seed(req.seed)?;
    let requested = req.freq_mhz.unwrap_or(board.lpu.freq_mhz);
    let pll = clocking(board, Some(requested))?;
    let clock_mhz = pll.map(|p| p.f_out()).unwrap_or(board.clock_mhz);
    let hl = crate::rtl::lpu::system::hostlink_config(c, (clock_mhz * 1e6).round() as u64, req.baud, TX_BUFFER, TIMEOUT_BYTES)?;
    let fit = crate::rtl::lpu::fit::check(c)?;
    let (files, manifest) = crate::rtl::lpu::system::generate(c, &hl, model)?;
    let mut design = crate::output::FileSet::new();
    for name in files.names() {
        if name.ends_with(".v") || name.ends_with(".hex") {
            if let Some(text) = files.get(&name) {
                design.add(name.clone(), text.to_vec());
            }
        }
    }
    let dir = req.dir.clone().unwrap_or_else(|| default_dir(board));
    let opts = PlanOptions { multipliers: fit.multipliers, seed: req.seed };
    let mut p = plan_with(board, &manifest.top, &design, Some(requested), &dir, tools, pack, opts)?;
    p.files.add(MANIFEST, manifest.to_json());
    Ok(LpuBuild {
        board: *board,
        model: model.to_string(),
        rows: c.cfg.rows,
        engine: c.cfg.engine,
        cols: c.cfg.cols,
        requested_mhz: requested,
        pll,
        hostlink: hl,
        fit,
        seed: req.seed,
        plan: p,
    })
}

/// What a finished build produced.
#[derive(Debug, Clone, Serialize)]
pub struct LpuBuildReport {
    pub board: String,
    pub top: String,
    pub model: String,
    pub rows: usize,
    pub cols: usize,
    pub engine: crate::lpu::Engine,
    pub requested_mhz: f64,
    /// The clock the design runs at (PLL output), MHz; timing is checked against it.
    pub clock_mhz: f64,
    pub baud: u32,
    pub uart_divisor: u32,
    pub seed: u64,
    pub synth: SynthReport,
    pub timing_met: bool,
    /// The critical path of nextpnr's final timing report.
    pub critical_path: Option<CriticalPath>,
    pub bitstream: PathBuf,
    pub bitstream_bytes: u64,
    pub build_dir: PathBuf,
    /// Wall-clock seconds: of the tools in [`run`]; `llmpu build` counts generating the design too.
    pub seconds: f64,
}

/// Runs a planned build; `progress` shows a spinner per tool.
pub fn run(b: &LpuBuild, progress: bool) -> Result<LpuBuildReport> {
    let start = Instant::now();
    let synth = crate::synth::run::run(&b.plan, progress)?;
    let seconds = start.elapsed().as_secs_f64();
    report(b, synth, seconds)
}

/// The report of a build whose tools have run: reads the bitstream's size and nextpnr's log.
pub fn report(b: &LpuBuild, synth: SynthReport, seconds: f64) -> Result<LpuBuildReport> {
    let bit = b.plan.bitstream();
    let bitstream_bytes = std::fs::metadata(&bit).map_err(|e| Error::io(&bit, e))?.len();
    let log_path = b.plan.dir.join("nextpnr.log");
    let log = std::fs::read_to_string(&log_path).map_err(|e| Error::io(&log_path, e))?;
    Ok(LpuBuildReport {
        board: b.board.name.into(),
        top: b.plan.top.clone(),
        model: b.model.clone(),
        rows: b.rows,
        cols: b.cols,
        engine: b.engine,
        requested_mhz: b.requested_mhz,
        clock_mhz: b.clock_mhz(),
        baud: b.hostlink.baud,
        uart_divisor: b.hostlink.divisor,
        seed: b.seed,
        timing_met: synth.timing_met(),
        synth,
        critical_path: parse_critical_path(&log),
        bitstream: bit,
        bitstream_bytes,
        build_dir: b.plan.dir.clone(),
        seconds,
    })
}

impl LpuBuildReport {
    /// The table for people: resources, fmax against the clock, critical path, bitstream, time.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{} ({}, model {}) on {}, clock {} MHz, UART {} baud\n",
            self.top,
            unit_name(self.engine, self.rows, self.cols),
            self.model,
            self.board,
            format_mhz(round4(self.clock_mhz)),
            self.baud
        );
        s += &self.synth.table();
        if let Some(p) = &self.critical_path {
            let d = p.delay_ns.map(|d| format!(" ({d:.2} ns)")).unwrap_or_default();
            s += &format!("critical path{d}: {} -> {}\n", p.from, p.to);
        }
        s += &format!("bitstream: {} ({} bytes)\n", self.bitstream.display(), self.bitstream_bytes);
        s += &format!("build time: {:.1} s\n", self.seconds);
        s
    }

    /// `None` when timing is met; else the one-line failure: achieved fmax, clock, critical
    /// path, and where the full log is.
    pub fn timing_error(&self) -> Option<String> {
        if self.timing_met {
            return None;
        }
        let fmax = self.synth.fmax_mhz.map(|f| format!("{f:.2} MHz")).unwrap_or_else(|| "no fmax".into());
        let path = match &self.critical_path {
            Some(p) => format!("critical path {} -> {}", p.from, p.to),
            None => "no critical path in the log".into(),
        };
        Some(format!(
            "timing not met on {}: {fmax} achieved, {} MHz requested; {path}; use a lower --freq or another --seed (full log: {})",
            self.board,
            format_mhz(round4(self.clock_mhz)),
            self.build_dir.join("nextpnr.log").display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::report::Usage;
    use std::collections::BTreeMap;
    use std::path::Path;

    fn report(fmax: f64) -> LpuBuildReport {
        let synth = SynthReport {
            top: "llmpu_lpu_r4c4".into(),
            target: "ecp5-85k".into(),
            luts: Usage { used: 15000, available: 83640 },
            ffs: Usage { used: 2600, available: 83640 },
            dsps: Some(Usage { used: 40, available: 156 }),
            brams: Usage { used: 6, available: 208 },
            fmax_mhz: Some(fmax),
            requested_mhz: 12.5,
            yosys_cells: BTreeMap::new(),
            times: vec![],
        };
        LpuBuildReport {
            board: "ulx3s-85f".into(),
            top: "llmpu_lpu_r4c4".into(),
            model: "microgpt-names".into(),
            rows: 4,
            cols: 4,
            engine: crate::lpu::Engine::Parallel,
            requested_mhz: 12.5,
            clock_mhz: 12.5,
            baud: 115_200,
            uart_divisor: 109,
            seed: 1,
            timing_met: synth.timing_met(),
            synth,
            critical_path: Some(CriticalPath { clock: "c".into(), from: "a.Q".into(), to: "b.DI".into(), delay_ns: Some(90.5) }),
            bitstream: "build/board/ulx3s-85f/lpu/top.bit".into(),
            bitstream_bytes: 1_927_725,
            build_dir: "build/board/ulx3s-85f/lpu".into(),
            seconds: 400.0,
        }
    }

    #[test]
    fn met_timing_has_no_error_and_a_table() {
        let r = report(14.2);
        assert_eq!(r.timing_error(), None);
        insta::assert_snapshot!(r.table());
    }

    #[test]
    fn missed_timing_is_one_line_with_the_critical_path() {
        let r = report(11.04);
        assert_eq!(
            r.timing_error().unwrap(),
            "timing not met on ulx3s-85f: 11.04 MHz achieved, 12.5 MHz requested; critical path a.Q -> b.DI; \
             use a lower --freq or another --seed (full log: build/board/ulx3s-85f/lpu/nextpnr.log)"
        );
    }

    #[test]
    fn default_bitstream_per_board() {
        let b = |n: &str| n.parse::<Board>().unwrap();
        assert_eq!(default_bitstream(&b("ulx3s-85f")), Path::new("build/board/ulx3s-85f/lpu/top.bit"));
        assert_eq!(default_bitstream(&b("icebreaker")), Path::new("build/board/icebreaker/lpu/top.bin"));
    }
}
