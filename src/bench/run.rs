//! One benchmark point: the processing unit of a model on an R x C matrix unit for one FPGA
//! part, measured twice — placed and routed by nextpnr ([`pnr`]: resources and achieved fmax)
//! and simulated in Verilator ([`simulate`]: cycles per token over at least 200 tokens, equal
//! to the integer reference token for token, and the simulator's own speed). Tokens/s of a
//! single stream is fmax / mean cycles per token ([`tokens_per_s`]).
//!
//! Which design is placed: until the board build (`llmpu build --board B`) lands, [`pnr`]
//! places the core `llmpu_core_rRcC` exactly as `llmpu synth lpu` does (inside the placeable
//! wrapper, on the board's part, at the part's default clock request). [`PLACED_DESIGN`] says
//! so in every report; switching to the board build means changing [`pnr`] and that string.

use crate::error::{Error, Result};
use crate::lpu::compiler::Compiled;
use crate::lpu::reference::{generate, GenRequest, Generation};
use crate::lpu::{Engine, LpuConfig, LpuParams};
use crate::model::QuantModel;
use crate::numeric::{Temperature, XorShift32};
use crate::output::FileSet;
use crate::synth::{BuildPlan, Design, SynthReport, Target, Tools};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What [`pnr`] places, for reports.
pub const PLACED_DESIGN: &str = "core only (llmpu_core_rRcC in the placeable wrapper of `llmpu synth lpu`; not yet the board build with UART and PLL)";

/// The fewest tokens a benchmark simulates (issue #9).
pub const MIN_TOKENS: u16 = 200;

/// An R x C matrix unit with `lanes` attention lanes (heads processed in parallel; the
/// compiler checks that they divide the model's head count). Written `RxC`, or `RxClL` with
/// `L` lanes (`8x8l2`), `bB` after it for a batch (`8x8l2b4`); `1x1c` is the compact engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Size {
    pub rows: usize,
    pub cols: usize,
    /// Reports written before lanes were a benchmark parameter hold one lane.
    #[serde(default = "one_lane")]
    pub lanes: usize,
    /// Sequences interleaved through the core (`--batch`; 1 = one stream, the other reports).
    #[serde(default = "one_lane", skip_serializing_if = "is_one")]
    pub batch: usize,
    /// How the core computes (`--engine`, or the `c` suffix of a size: `1x1c` is the compact
    /// engine; reports without it hold the parallel units).
    #[serde(default, skip_serializing_if = "Engine::is_parallel")]
    pub engine: Engine,
}

fn one_lane() -> usize {
    1
}

fn is_one(v: &usize) -> bool {
    *v == 1
}

impl Size {
    /// `rows x cols` with one attention lane.
    pub fn new(rows: usize, cols: usize) -> Self {
        Size { rows, cols, lanes: 1, batch: 1, engine: Engine::Parallel }
    }

    /// The same size computed by `engine`.
    pub fn with_engine(self, engine: Engine) -> Self {
        Size { engine, ..self }
    }

    /// The suffix that tells builds and reports of more than one lane apart: `""` with one
    /// lane, else `sep` then `lL` (`lanes_tag('_')` = `"_l2"` for a build folder,
    /// `lanes_tag('-')` = `"-l2"` for a report file).
    pub fn lanes_tag(&self, sep: char) -> String {
        if self.lanes == 1 {
            String::new()
        } else {
            format!("{sep}l{}", self.lanes)
        }
    }

    /// [`Self::lanes_tag`] plus, for a batch, `sep` then `bB` (`"-l2-b4"`), and for the compact
    /// engine `sep` then `compact`: a report file's suffix (a build folder is told apart by its
    /// top's name, which ends in `_bB` or `_compact`).
    pub fn report_tag(&self, sep: char) -> String {
        let mut t = self.lanes_tag(sep);
        if self.batch != 1 {
            t += &format!("{sep}b{}", self.batch);
        }
        if self.engine == Engine::Compact {
            t += &format!("{sep}compact");
        }
        t
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.rows, self.cols)?;
        if self.lanes != 1 {
            write!(f, "l{}", self.lanes)?;
        }
        if self.batch != 1 {
            write!(f, "b{}", self.batch)?;
        }
        if self.engine == Engine::Compact {
            write!(f, "c")?;
        }
        Ok(())
    }
}

const SIZE_ALLOWED: &str = "allowed: RxC with R and C each 1, 2, 4, 8 or 16, optionally followed by lL for L attention lanes (1..=16) and bB for a batch of B sequences (2 or 4), e.g. 4x4, 8x8l2 or 8x8l2b4; or 1x1c for the compact engine";

impl std::str::FromStr for Size {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::invalid("size", format!("'{s}'"), SIZE_ALLOWED);
        let t = s.trim().to_ascii_lowercase();
        let (t, engine) = match t.strip_suffix('c') {
            Some(d) => (d.to_string(), Engine::Compact),
            None => (t.clone(), Engine::Parallel),
        };
        let (t, batch) = match t.split_once('b') {
            Some((d, b)) => (d.to_string(), b.parse::<usize>().ok().filter(|v| [2, 4].contains(v)).ok_or_else(bad)?),
            None => (t.clone(), 1),
        };
        let (dims, lanes) = match t.split_once('l') {
            Some((d, l)) => (d.to_string(), l.parse::<usize>().ok().filter(|v| (1..=16).contains(v)).ok_or_else(bad)?),
            None => (t.clone(), 1),
        };
        let (r, c) = dims.split_once('x').ok_or_else(bad)?;
        let dim = |t: &str| t.trim().parse::<usize>().ok().filter(|v| [1, 2, 4, 8, 16].contains(v)).ok_or_else(bad);
        let size = Size { rows: dim(r)?, cols: dim(c)?, lanes, batch, engine };
        // The compact engine is one datapath: no matrix unit size, lanes or batch to choose.
        if engine == Engine::Compact && size != Size::new(1, 1).with_engine(engine) {
            return Err(bad());
        }
        Ok(size)
    }
}

/// Parses a comma-separated list of sizes (`1x1,2x2,4x4`): at least one, no repeats, in the
/// given order.
pub fn parse_sizes(s: &str) -> Result<Vec<Size>> {
    let mut out: Vec<Size> = Vec::new();
    for part in s.split(',') {
        if part.trim().is_empty() {
            return Err(Error::invalid("sizes", format!("'{s}'"), format!("a comma-separated list of sizes, {SIZE_ALLOWED}")));
        }
        let z: Size = part.parse()?;
        if out.contains(&z) {
            return Err(Error::invalid("sizes", format!("'{s}'"), format!("each size once ({z} is repeated)")));
        }
        out.push(z);
    }
    Ok(out)
}

/// Tokens per second of one stream: `fmax / mean cycles per token`.
pub fn tokens_per_s(fmax_mhz: f64, cycles_per_token: f64) -> Option<f64> {
    (fmax_mhz > 0.0 && cycles_per_token > 0.0 && fmax_mhz.is_finite() && cycles_per_token.is_finite()).then(|| fmax_mhz * 1e6 / cycles_per_token)
}

/// Compiles `q` for a matrix unit of `size` (and its attention lanes) on `target`.
pub fn compile(q: &QuantModel, size: Size, target: &Target) -> Result<Compiled> {
    let cfg = LpuConfig::try_from(LpuParams { lanes: size.lanes, batch: size.batch, engine: size.engine, ..LpuParams::new(q.cfg, size.rows, size.cols, target.name) })?;
    Compiled::new(&cfg, q)
}

/// One resource: used of available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Use {
    pub used: u64,
    pub available: u64,
}

impl Use {
    pub fn percent(&self) -> f64 {
        if self.available == 0 {
            0.0
        } else {
            100.0 * self.used as f64 / self.available as f64
        }
    }
}

impl From<crate::synth::report::Usage> for Use {
    fn from(u: crate::synth::report::Usage) -> Self {
        Use { used: u.used, available: u.available }
    }
}

/// What place and route measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PnrResult {
    pub top: String,
    pub target: String,
    /// iCE40 logic cells or ECP5 LUT4s.
    pub luts: Use,
    pub ffs: Use,
    pub dsps: Option<Use>,
    pub brams: Use,
    /// nextpnr's achieved fmax (worst clock domain), MHz.
    pub fmax_mhz: Option<f64>,
    pub requested_mhz: f64,
    /// Wall time of yosys + nextpnr: from the plan's files written to nextpnr's report written.
    pub seconds: Option<f64>,
    /// `true` when the build folder already held a finished build of the identical plan.
    pub reused: bool,
    pub build_dir: PathBuf,
}

/// The synthesis plan of the core of `c` (as `llmpu synth lpu` plans it) in `dir`, nextpnr
/// placing with `seed`.
pub fn pnr_plan(c: &Compiled, model_name: &str, dir: &Path, seed: u64, tools: &Tools) -> Result<BuildPlan> {
    let target = c.cfg.target;
    let (files, manifest) = crate::rtl::lpu::generate(c, model_name)?;
    let fit = crate::rtl::lpu::fit::estimate(c)?;
    let mut verilog = FileSet::new();
    for n in files.names().into_iter().filter(|n| n.ends_with(".v") || n.ends_with(".sv") || n.ends_with(".hex")) {
        if let Some(b) = files.get(&n) {
            verilog.add(n, b.to_vec());
        }
    }
    let design = Design { manifest: &manifest, verilog: &verilog, multipliers: fit.multipliers };
    Ok(BuildPlan::synth(&design, target, target.default_mhz as f64, seed, dir, tools))
}

/// `true` when `plan.dir` holds every file of `plan` byte for byte and both reports: a finished
/// build of this very plan. The placement seed is not in a file: the folder names it
/// (`sweep::build_dir`), so a folder is only ever placed with one seed.
pub fn is_built(plan: &BuildPlan) -> bool {
    let same = plan.files.names().iter().all(|n| match (std::fs::read(plan.dir.join(n)), plan.files.get(n)) {
        (Ok(disk), Some(want)) => disk == want,
        _ => false,
    });
    same && [crate::synth::plan::NEXTPNR_REPORT, crate::synth::plan::YOSYS_STAT].iter().all(|f| report_is_newer(plan, f))
}

fn report_is_newer(plan: &BuildPlan, report: &str) -> bool {
    let m = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (m(plan.dir.join(report)), m(plan.dir.join(crate::synth::plan::YOSYS_SCRIPT))) {
        (Some(r), Some(s)) => r >= s,
        _ => false,
    }
}

/// Seconds from the plan's script written to nextpnr's report written.
fn build_seconds(plan: &BuildPlan) -> Option<f64> {
    let m = |n: &str| std::fs::metadata(plan.dir.join(n)).and_then(|m| m.modified()).ok();
    let (s, r) = (m(crate::synth::plan::YOSYS_SCRIPT)?, m(crate::synth::plan::NEXTPNR_REPORT)?);
    r.duration_since(s).ok().map(|d| d.as_secs_f64())
}

/// Places and routes the design of `c` (see [`PLACED_DESIGN`]) in `dir` with placement seed
/// `seed`, or reads the reports of an identical finished build there.
pub fn pnr(c: &Compiled, model_name: &str, dir: &Path, seed: u64, tools: &Tools, progress: bool) -> Result<PnrResult> {
    let plan = pnr_plan(c, model_name, dir, seed, tools)?;
    let reused = is_built(&plan);
    let r: SynthReport = if reused {
        SynthReport::read(&plan.top, &plan.target, plan.freq_mhz, &plan.dir)?
    } else {
        crate::synth::run::run(&plan, progress)?
    };
    Ok(PnrResult {
        top: r.top,
        target: r.target,
        luts: r.luts.into(),
        ffs: r.ffs.into(),
        dsps: r.dsps.map(Into::into),
        brams: r.brams.into(),
        fmax_mhz: r.fmax_mhz,
        requested_mhz: r.requested_mhz,
        seconds: build_seconds(&plan),
        reused,
        build_dir: plan.dir.clone(),
    })
}

/// The generation a benchmark simulates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Sampled tokens (not names), at least [`MIN_TOKENS`].
    pub tokens: u16,
    pub temperature: f64,
    pub seed: u64,
}

impl Workload {
    pub fn new(tokens: u16, temperature: f64, seed: u64) -> Result<Self> {
        crate::error::check_range("tokens", tokens, MIN_TOKENS, 10_000)?;
        Temperature::try_from(temperature)?;
        if seed == 0 {
            return Err(Error::invalid("seed", seed, "allowed: 1 or more"));
        }
        Ok(Workload { tokens, temperature, seed })
    }

    pub fn request(&self) -> Result<GenRequest> {
        Ok(GenRequest {
            seed: XorShift32::new(self.seed).0,
            temp_k: Temperature::try_from(self.temperature)?.k,
            count: self.tokens,
            names: false,
            quiet: false,
            prompt: vec![],
        })
    }
}

/// Cycles of one stage per forward pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub stage: String,
    pub cycles_per_token: f64,
}

/// What the Verilator run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimResult {
    /// Forward passes run (= sampled tokens).
    pub tokens: u32,
    /// Cycles of the first forward pass (EMBED to the next EMBED, including its character).
    pub first_cycles: u64,
    /// `st_cycles / st_tokens`.
    pub mean_cycles: f64,
    /// Per `dbg_op` class, cycles per forward pass (idle excluded).
    pub stages: Vec<Stage>,
    /// Core cycles (`st_cycles`) of the run.
    pub cycles: u64,
    /// Wall time of the run (Verilator model already built), seconds.
    pub seconds: f64,
    /// `cycles / seconds`: how fast Verilator simulates this core on this machine.
    pub sim_cycles_per_s: f64,
    /// Wall time to generate and build (or find cached) the Verilator model, seconds.
    pub build_seconds: f64,
}

/// Builds the core of `c` in Verilator, runs `w` and checks it token for token against the
/// integer reference (`lpu::reference`): a difference is an error, not a number.
pub fn simulate(q: &QuantModel, c: &Compiled, w: &Workload, progress: bool) -> Result<SimResult> {
    if c.cfg.batch > 1 {
        return simulate_batch(q, c, w, progress);
    }
    let want = generate(q, &w.request()?)?;
    simulate_against(&want, c, w, progress)
}

/// [`simulate`] for a batched core: sequence `i` runs the workload with seed `seed + i`
/// ([`crate::sim::lpu::batch_requests`]), each checked against the reference. `tokens` counts
/// every sequence's forward passes, `mean_cycles` is the aggregate `cycles / tokens` (cycles
/// to the last sequence's end), `first_cycles` is 0 (no single first pass) and `stages` give
/// each class's cycles summed over the sequences per token (a sequence waiting for a unit
/// another one holds is `unit wait`).
pub fn simulate_batch(q: &QuantModel, c: &Compiled, w: &Workload, progress: bool) -> Result<SimResult> {
    let reqs = crate::sim::lpu::batch_requests(&w.request()?, w.seed, c.cfg.batch);
    let t0 = Instant::now();
    let model = crate::sim::lpu::build(c, &crate::sim::BuildOptions { trace: false, progress, cache_dir: None })?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let mut sim = model.sim(w.seed);
    let t1 = Instant::now();
    let got = crate::sim::lpu::run_batch(&mut sim, &reqs, |_, _| true, 2_000_000_000)?;
    let seconds = t1.elapsed().as_secs_f64();
    for (i, (r, run)) in reqs.iter().zip(&got.runs).enumerate() {
        let want = generate(q, r)?;
        crate::sim::lpu::compare(&want, run).map_err(|e| Error::Mismatch(format!("{} sequence {i}: {e}", c.cfg.top_name())))?;
    }
    let steps = got.steps().max(1) as f64;
    let per = got.per_class();
    let stages = (0..16)
        .filter(|&v| v != 15 && per[v] > 0)
        .map(|v| Stage { stage: crate::sim::lpu::class_name(v).into(), cycles_per_token: per[v] as f64 / steps })
        .collect();
    Ok(SimResult {
        tokens: got.steps() as u32,
        first_cycles: 0,
        mean_cycles: got.cycles_per_token(),
        stages,
        cycles: got.cycles,
        seconds,
        sim_cycles_per_s: got.cycles as f64 / seconds.max(1e-9),
        build_seconds,
    })
}

/// [`simulate`] against a given expected generation (the reference's, or a corrupted one in
/// the test that shows the comparison can fail).
pub fn simulate_against(want: &Generation, c: &Compiled, w: &Workload, progress: bool) -> Result<SimResult> {
    let req = w.request()?;
    let t0 = Instant::now();
    let model = crate::sim::lpu::build(c, &crate::sim::BuildOptions { trace: false, progress, cache_dir: None })?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let mut sim = model.sim(w.seed);
    let t1 = Instant::now();
    let got = crate::sim::lpu::run(&mut sim, &req, |_| true, 2_000_000_000)?;
    let seconds = t1.elapsed().as_secs_f64();
    crate::sim::lpu::compare(want, &got).map_err(|e| Error::Mismatch(format!("{}: {e}", c.cfg.top_name())))?;
    let steps = got.gen.steps.max(1) as f64;
    let stages = (0..16)
        .filter(|&v| v != 15 && got.per_class[v] > 0)
        .map(|v| Stage { stage: crate::sim::lpu::class_name(v).into(), cycles_per_token: got.per_class[v] as f64 / steps })
        .collect();
    Ok(SimResult {
        tokens: got.gen.steps,
        first_cycles: got.step_cycles.first().copied().unwrap_or(0),
        mean_cycles: got.mean_step(),
        stages,
        cycles: got.cycles,
        seconds,
        sim_cycles_per_s: got.cycles as f64 / seconds.max(1e-9),
        build_seconds,
    })
}
