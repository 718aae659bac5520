//! A benchmark as a plan and its run. [`BenchPlan::new`] compiles the model for every size,
//! checks each against the part (`rtl::lpu::fit::check`: a size that certainly does not fit
//! becomes a row saying so, not an error) and lists the steps — the CPU reference, one
//! Verilator run and one place and route per fitting size — without running anything;
//! [`BenchPlan::render`] prints it (`--dry-run`). [`execute`] runs the CPU reference alone
//! first (so its rate is not shared with our own tools), then the other steps on `jobs`
//! threads with progress, and returns a [`BenchReport`]. A failing step is recorded in its
//! row (the other steps go on); `llmpu bench` turns a failure into an error afterwards.

use super::cpu::{self, CpuRates};
use super::run::{compile, pnr, simulate, tokens_per_s, PnrResult, SimResult, Size, Workload, PLACED_DESIGN};
use crate::error::Result;
use crate::lpu::compiler::Compiled;
use crate::model::{FloatModel, QuantModel};
use crate::synth::{Target, Tools};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The commit this binary was built from: `git rev-parse --short=7 HEAD`, `+dirty` when the
/// tracked files differed from it, `unknown` outside a git checkout (build.rs).
pub const COMMIT: &str = env!("LLMPU_COMMIT");

/// The machine a report was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs the process may use.
    pub cpus: usize,
    /// `model name` of /proc/cpuinfo.
    pub cpu_model: String,
    /// The 1-minute load average (/proc/loadavg) when the run started and ended: other work on
    /// the machine shares the CPUs with the measured tools.
    pub load_start: Option<f64>,
    pub load_end: Option<f64>,
}

impl Machine {
    pub fn this() -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| t.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string()))
            .unwrap_or_else(|| "unknown".into());
        Machine { cpus: cores(), cpu_model, load_start: load_average(), load_end: None }
    }
}

/// Logical CPUs available to this process.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// One row: one size on one part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub size: Size,
    pub top: String,
    /// The fit check's refusal: the size certainly does not fit the part (nothing was run).
    pub does_not_fit: Option<String>,
    pub pnr: Option<PnrResult>,
    pub sim: Option<SimResult>,
    /// fmax / mean cycles per token, one stream.
    pub tokens_per_s: Option<f64>,
    /// Steps that failed, each `step: message`.
    pub errors: Vec<String>,
}

/// Everything one `llmpu bench` or `llmpu sweep` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// The command line that produced the report.
    pub command: String,
    pub date_utc: String,
    /// The commit llmpu was built from ([`COMMIT`]); `None` in reports stored before it was
    /// recorded.
    #[serde(default)]
    pub commit: Option<String>,
    pub machine: Machine,
    pub model: String,
    pub target: String,
    pub board: Option<String>,
    /// Which design was placed ([`PLACED_DESIGN`]).
    pub placed: String,
    pub workload: Workload,
    /// CPU tokens/s of the float and integer models (one thread), measured in the same run.
    pub cpu: Option<CpuRates>,
    pub points: Vec<Point>,
    /// nextpnr's placement seed of every size (`--pnr-seed`; reports stored before it was an
    /// option were placed with seed 1).
    #[serde(default = "default_seed")]
    pub pnr_seed: u64,
}

fn default_seed() -> u64 {
    crate::synth::plan::DEFAULT_SEED
}

/// One step of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Cpu,
    Sim(usize),
    Pnr(usize),
}

/// A size as planned: compiled, fit-checked, with its build folder.
#[derive(Debug, Clone)]
pub struct PlannedPoint {
    pub size: Size,
    pub top: String,
    pub compiled: Compiled,
    pub does_not_fit: Option<String>,
    pub build_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct BenchPlan {
    pub target: Target,
    pub board: Option<String>,
    pub model_name: String,
    pub float: FloatModel,
    pub quant: QuantModel,
    pub workload: Workload,
    /// Time per CPU model measurement.
    pub cpu_budget: Duration,
    pub points: Vec<PlannedPoint>,
    pub tasks: Vec<Task>,
    /// nextpnr's placement seed.
    pub pnr_seed: u64,
    pub tools: Tools,
}

/// The default folder of the builds: `build/bench/<top><lanes>-<target><seed>` (one per size,
/// lanes, part and placement seed, shared by `bench` and `sweep`, so one reuses the other's
/// finished place and route; `<lanes>` is [`Size::lanes_tag`]`('_')`, `<seed>` is [`seed_tag`]).
pub fn build_dir(root: &std::path::Path, top: &str, size: Size, target: &Target, seed: u64) -> PathBuf {
    root.join(format!("{top}{}-{}{}", size.lanes_tag('_'), target.name, seed_tag(seed)))
}

/// `""` for the default placement seed, else `-sN`: builds and stored reports of other seeds
/// sit beside the default's instead of replacing them.
pub fn seed_tag(seed: u64) -> String {
    if seed == crate::synth::plan::DEFAULT_SEED {
        String::new()
    } else {
        format!("-s{seed}")
    }
}

impl BenchPlan {
    /// Compiles and fit-checks every size; runs nothing. Errors only for bad input (model,
    /// sizes the compiler refuses).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        float: FloatModel,
        model_name: &str,
        target: Target,
        board: Option<String>,
        sizes: &[Size],
        workload: Workload,
        build_root: &std::path::Path,
        pnr_seed: u64,
        tools: Tools,
    ) -> Result<Self> {
        let pnr_seed = crate::synth::plan::check_seed(pnr_seed)?;
        let quant = QuantModel::from_float(&float)?;
        let mut points = Vec::new();
        for &size in sizes {
            let compiled = compile(&quant, size, &target)?;
            let top = compiled.cfg.top_name();
            let does_not_fit = crate::rtl::lpu::fit::check(&compiled).err().map(|e| e.to_string());
            points.push(PlannedPoint { size, build_dir: build_dir(build_root, &top, size, &target, pnr_seed), top, compiled, does_not_fit });
        }
        let fitting: Vec<usize> = (0..points.len()).filter(|&i| points[i].does_not_fit.is_none()).collect();
        let mut tasks = vec![Task::Cpu];
        tasks.extend(fitting.iter().map(|&i| Task::Sim(i)));
        // Place and route, the longest first (its time grows with the products, R * C * lanes):
        // with several jobs the largest size does not start last and hold up the sweep alone.
        let mut pnr = fitting.clone();
        pnr.sort_by_key(|&i| std::cmp::Reverse(points[i].size.rows * points[i].size.cols * points[i].size.lanes));
        tasks.extend(pnr.into_iter().map(Task::Pnr));
        Ok(BenchPlan {
            target,
            board,
            model_name: model_name.into(),
            float,
            quant,
            workload,
            cpu_budget: Duration::from_secs(2),
            points,
            tasks,
            pnr_seed,
            tools,
        })
    }

    /// A one-line name of a task, for progress and errors.
    pub fn task_name(&self, t: Task) -> String {
        match t {
            Task::Cpu => "CPU reference".into(),
            Task::Sim(i) => format!("Verilator {}", self.points[i].size),
            Task::Pnr(i) => format!("place and route {} on {}", self.points[i].size, self.target.name),
        }
    }

    /// The plan as text (`--dry-run`).
    pub fn render(&self) -> String {
        let w = &self.workload;
        let mut s = format!(
            "# bench plan: model {} on {}{}; placed design: {PLACED_DESIGN}\n",
            self.model_name,
            self.target.name,
            self.board.as_ref().map(|b| format!(" (board {b})")).unwrap_or_default()
        );
        for p in &self.points {
            match &p.does_not_fit {
                Some(why) => s += &format!("{}: does not fit, not run: {why}\n", p.size),
                None => s += &format!("{}: {} fits the estimate; build folder {}\n", p.size, p.top, p.build_dir.display()),
            }
        }
        s += "steps:\n";
        for (k, &t) in self.tasks.iter().enumerate() {
            let what = match t {
                Task::Cpu => format!("float and integer model on one CPU thread, {:.0} s each", self.cpu_budget.as_secs_f64()),
                Task::Sim(_) => format!("{} sampled tokens (T {}, seed {}), compared with the integer reference", w.tokens, w.temperature, w.seed),
                Task::Pnr(i) => {
                    let p = &self.points[i];
                    format!("yosys + nextpnr (seed {}) at {} MHz requested in {}", self.pnr_seed, self.target.default_mhz, p.build_dir.display())
                }
            };
            s += &format!("  {}. {}: {what}\n", k + 1, self.task_name(t));
        }
        s
    }
}

/// How [`execute`] shows progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing (tests, `--json` into a pipe).
    Quiet,
    /// One line on stderr per step started and finished.
    Lines,
    /// indicatif bars on stderr.
    Bars,
}

enum Outcome {
    Cpu(CpuRates),
    Sim(usize, SimResult),
    Pnr(usize, PnrResult),
}

fn run_task(plan: &BenchPlan, t: Task) -> Result<Outcome> {
    Ok(match t {
        Task::Cpu => Outcome::Cpu(cpu::measure(&plan.float, &plan.quant, plan.cpu_budget)),
        Task::Sim(i) => Outcome::Sim(i, simulate(&plan.quant, &plan.points[i].compiled, &plan.workload, false)?),
        Task::Pnr(i) => {
            let p = &plan.points[i];
            Outcome::Pnr(i, pnr(&p.compiled, &plan.model_name, &p.build_dir, plan.pnr_seed, &plan.tools, false)?)
        }
    })
}

/// Runs `plan`: the CPU reference alone, then the other steps on `jobs` threads.
pub fn execute(plan: &BenchPlan, jobs: usize, progress: Progress, command: &str) -> BenchReport {
    let mut machine = Machine::this();
    let date_utc = utc_now();
    let mut points: Vec<Point> = plan
        .points
        .iter()
        .map(|p| Point { size: p.size, top: p.top.clone(), does_not_fit: p.does_not_fit.clone(), pnr: None, sim: None, tokens_per_s: None, errors: vec![] })
        .collect();
    let mut cpu_rates = None;
    let multi = indicatif::MultiProgress::new();
    if progress != Progress::Bars {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let total = multi.add(indicatif::ProgressBar::new(plan.tasks.len() as u64));
    total.set_style(
        indicatif::ProgressStyle::with_template("[{pos}/{len}] steps done, {elapsed}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let results: Mutex<Vec<(Task, Result<Outcome>)>> = Mutex::new(Vec::new());
    let one = |t: Task| {
        let name = plan.task_name(t);
        let bar = multi.add(indicatif::ProgressBar::new_spinner());
        bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()));
        bar.set_message(name.clone());
        bar.enable_steady_tick(Duration::from_millis(250));
        if progress == Progress::Lines {
            eprintln!("started: {name}");
        }
        let start = Instant::now();
        let r = run_task(plan, t);
        let secs = start.elapsed().as_secs_f64();
        bar.finish_and_clear();
        multi.remove(&bar);
        total.inc(1);
        let verdict = match &r {
            Ok(_) => "done".to_string(),
            Err(e) => format!("FAILED: {e}"),
        };
        match progress {
            Progress::Lines => eprintln!("{verdict} in {secs:.1} s: {name}"),
            Progress::Bars => {
                let _ = multi.println(format!("{verdict} in {secs:.1} s: {name}"));
            }
            Progress::Quiet => {}
        }
        if let Ok(mut v) = results.lock() {
            v.push((t, r));
        }
    };
    let (first, rest): (Vec<Task>, Vec<Task>) = plan.tasks.iter().partition(|t| **t == Task::Cpu);
    for t in first {
        one(t);
    }
    let queue = Mutex::new(rest.into_iter().collect::<VecDeque<Task>>());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                match next {
                    Some(t) => one(t),
                    None => break,
                }
            });
        }
    });
    total.finish_and_clear();
    for (t, r) in results.into_inner().unwrap_or_default() {
        match r {
            Ok(Outcome::Cpu(c)) => cpu_rates = Some(c),
            Ok(Outcome::Sim(i, s)) => points[i].sim = Some(s),
            Ok(Outcome::Pnr(i, p)) => points[i].pnr = Some(p),
            Err(e) => {
                let msg = format!("{}: {e}", plan.task_name(t));
                match t {
                    Task::Sim(i) | Task::Pnr(i) => points[i].errors.push(msg),
                    Task::Cpu => points.iter_mut().for_each(|p| p.errors.push(msg.clone())),
                }
            }
        }
    }
    for p in &mut points {
        p.tokens_per_s = match (&p.pnr, &p.sim) {
            (Some(r), Some(s)) => r.fmax_mhz.and_then(|f| tokens_per_s(f, s.mean_cycles)),
            _ => None,
        };
    }
    machine.load_end = load_average();
    BenchReport {
        command: command.into(),
        date_utc,
        commit: Some(COMMIT.into()),
        machine,
        model: plan.model_name.clone(),
        target: plan.target.name.into(),
        board: plan.board.clone(),
        placed: PLACED_DESIGN.into(),
        workload: plan.workload,
        cpu: cpu_rates,
        points,
        pnr_seed: plan.pnr_seed,
    }
}

/// The current time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format_utc(secs)
}

/// `secs` since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (mo <= 2) as i64;
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC")
}
