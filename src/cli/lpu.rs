//! `llmpu generate lpu` and `llmpu sim lpu`: the processing unit core from a model.

use super::model::{ModelArgs, DEFAULT_MODEL};
use crate::lpu::config::parse_tiles;
use crate::lpu::reference::{encode_prompt, generate, GenRequest};
use crate::lpu::{Compiled, LpuConfig, LpuParams};
use crate::model::QuantModel;
use crate::numeric::{Temperature, XorShift32};
use crate::sim::lpu::{build, class_name, compare, run};
use crate::sim::BuildOptions;
use clap::Args;
use std::path::PathBuf;

/// Which model on which matrix unit.
#[derive(Debug, Clone, Args)]
pub struct LpuArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Rows R of the matrix unit (1, 2, 4, 8 or 16)
    #[arg(long, default_value_t = 4)]
    pub rows: usize,
    /// Columns C of the matrix unit and scratchpad banks (1, 2, 4, 8 or 16)
    #[arg(long, default_value_t = 4)]
    pub cols: usize,
    /// Attention heads processed in parallel (must divide the head count)
    #[arg(long, default_value_t = 1)]
    pub lanes: usize,
    /// Tiles WxH on a network-on-chip mesh (W, H in 1..=4, at most layers + 1 tiles); the
    /// forward pass is pipelined over the tiles at layer boundaries
    #[arg(long, default_value = "1x1")]
    pub tiles: String,
    /// Head elements the attention unit processes per cycle (must divide head_dim; default: 1 on
    /// iCE40 targets, head_dim on ECP5)
    #[arg(long)]
    pub attention_elements: Option<usize>,
    /// Independent sequences interleaved through the core (1, 2 or 4): while one sequence's
    /// instruction runs on a unit, another's runs on another unit
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// parallel: the matrix unit, vector leaves and attention unit; compact: one microcoded
    /// engine for small parts (1x1 only: give --rows 1 --cols 1; docs/lpu.md, "Compact engine")
    #[arg(long, default_value = "parallel")]
    pub engine: String,
}

impl LpuArgs {
    /// The quantized model, its name and the compiled program for `target`.
    pub fn compile(&self, target: &str) -> crate::Result<(QuantModel, String, Compiled)> {
        let tiles = parse_tiles(&self.tiles)?;
        let f = self.model.load()?;
        let q = QuantModel::from_float(&f)?;
        let cfg = LpuConfig::try_from(LpuParams { model: q.cfg, rows: self.rows, cols: self.cols, lanes: self.lanes, tiles, target: target.into(), attention_elements: self.attention_elements.unwrap_or(0), batch: self.batch, engine: self.engine.parse()? })?;
        let path = self.model.model.as_deref().unwrap_or(std::path::Path::new(DEFAULT_MODEL));
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        let c = Compiled::new(&cfg, &q)?;
        Ok((q, name, c))
    }
}

#[derive(Debug, Clone, Args)]
pub struct GenerateLpu {
    #[command(flatten)]
    pub lpu: LpuArgs,
    /// FPGA part the core must fit (see `llmpu boards`)
    #[arg(long, default_value = "ecp5-85k")]
    pub target: String,
    /// Output folder (created if missing)
    #[arg(long, default_value = "rtl-out/lpu")]
    pub out: PathBuf,
    #[command(flatten)]
    pub uart: UartArgs,
    /// Write only the core (llmpu_core_rRcC, host-link ports at its top) instead of the system
    #[arg(long)]
    pub core_only: bool,
}

/// Clock and UART of the system (core + host link).
#[derive(Debug, Clone, Args)]
pub struct UartArgs {
    /// Core clock in MHz (the UART divisor is round(clock / baud))
    #[arg(long, default_value_t = 12.0)]
    pub clock_mhz: f64,
    /// UART baud rate
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
}

impl UartArgs {
    /// The host link configuration of the system of `c` (512-byte TX buffer, 32 byte times timeout).
    pub fn hostlink(&self, c: &Compiled) -> crate::Result<crate::rtl::hostlink::HostLinkConfig> {
        let mhz = crate::error::check_range("clock in MHz", self.clock_mhz, 0.001, 1000.0)?;
        crate::rtl::lpu::system::hostlink_config(c, (mhz * 1e6).round() as u64, self.baud, 512, 32)
    }
}

pub fn run_generate(a: GenerateLpu) -> anyhow::Result<()> {
    let (_, name, c) = a.lpu.compile(&a.target)?;
    let (files, m) = if a.core_only {
        crate::rtl::lpu::generate(&c, &name)?
    } else {
        let hl = a.uart.hostlink(&c)?;
        crate::rtl::lpu::system::generate(&c, &hl, &name)?
    };
    files.write_to(&a.out)?;
    let f = &m.extra["fit"];
    println!(
        "{}: wrote {} to {}; {} instructions per token; at least {} of {} {} and {} multipliers ({} in DSPs), about {} logic cells (core{}) of {} on {}",
        m.top,
        m.files.join(", "),
        a.out.display(),
        c.program.len(),
        f["brams"],
        f["brams_available"],
        f["bram"].as_str().unwrap_or("block RAMs"),
        f["multipliers"],
        f["in_dsps"],
        f["core_luts"],
        if c.cfg.batch > 1 { String::new() } else { format!("; {} with the host link", f["system_luts"]) },
        f["luts_available"],
        a.target
    );
    Ok(())
}

#[derive(Debug, Clone, Args)]
pub struct SimLpu {
    #[command(flatten)]
    pub lpu: LpuArgs,
    /// Names to generate (or tokens with --tokens)
    #[arg(short = 'n', long = "count", default_value_t = 20)]
    pub count: u16,
    /// Count sampled tokens instead of names
    #[arg(long)]
    pub tokens: bool,
    /// Sampling temperature: 0 (greedy) or 0.1..=10
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    /// Seed of the on-chip xorshift32
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Prefix every name starts with (forced tokens)
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Count-only: the core emits no characters
    #[arg(long)]
    pub quiet: bool,
    /// Write a VCD waveform of the run to this file (builds a traced model)
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    /// Drive the core's host-link ports directly instead of the system's UART pins
    #[arg(long)]
    pub direct: bool,
    /// Simulated core clock in MHz (UART path)
    #[arg(long, default_value_t = 12.0)]
    pub clock_mhz: f64,
    /// Simulated UART baud rate (UART path; 3000000 at 12 MHz = 4 clocks per bit)
    #[arg(long, default_value_t = 3_000_000)]
    pub baud: u32,
    /// Simulate the iCE40 netlist Yosys makes of the system, with Yosys's cell models, instead
    /// of the RTL; its characters must equal the reference and its cycle counts the RTL's
    #[arg(long, conflicts_with = "direct")]
    pub gate_level: bool,
    /// iCE40 part the gate-level netlist is synthesised for (ice40-up5k or ice40-hx8k)
    #[arg(long = "target", default_value = "ice40-up5k", requires = "gate_level")]
    pub gate_target: String,
}

pub fn run_sim(a: SimLpu) -> anyhow::Result<()> {
    if a.gate_level {
        return run_gate(a);
    }
    let (q, _, c) = a.lpu.compile("ecp5-85k")?;
    let t = Temperature::try_from(a.temperature)?;
    let prompt = encode_prompt(&q, &a.prompt)?;
    let req = GenRequest { seed: XorShift32::new(a.seed).0, temp_k: t.k, count: a.count, names: !a.tokens, quiet: a.quiet, prompt };
    if !a.direct {
        let hl = UartArgs { clock_mhz: a.clock_mhz, baud: a.baud }.hostlink(&c)?;
        super::lpu_system::sim_uart(&q, &c, &hl, &req, a.vcd.as_deref())?;
        return Ok(());
    }
    if c.cfg.batch > 1 {
        return run_sim_batch(&a, &q, &c, &req);
    }
    let want = generate(&q, &req)?;
    let opts = BuildOptions { trace: a.vcd.is_some(), progress: true, cache_dir: None };
    let model = build(&c, &opts)?;
    let mut sim = model.sim(a.seed);
    if let Some(p) = &a.vcd {
        sim.trace(p)?;
    }
    let got = run(&mut sim, &req, |_| true, 2_000_000_000)?;
    sim.close_trace();
    let text = String::from_utf8_lossy(&got.gen.text);
    // Generated text that stops inside a name (--tokens) still ends its line before the summary.
    print!("{text}");
    if !text.is_empty() && !text.ends_with('\n') {
        println!();
    }
    println!(
        "{}: {} forward passes, {} names, {} cycles; cycles per token: first {}, mean {:.1}",
        c.cfg.top_name(),
        got.gen.steps,
        got.gen.names,
        got.cycles,
        got.step_cycles.first().copied().unwrap_or(0),
        got.mean_step()
    );
    println!("per-stage cycles (all passes; per pass):");
    for (v, &n) in got.per_class.iter().enumerate() {
        if n > 0 && v != 15 {
            println!("  {:<13} {:>10} {:>8.1}", class_name(v), n, n as f64 / got.gen.steps.max(1) as f64);
        }
    }
    match compare(&want, &got) {
        Ok(()) => {
            println!("PASS: equal to the reference (golden model), {} characters", got.gen.text.len());
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(crate::Error::Mismatch(e))),
    }
}

/// `llmpu sim lpu --direct --batch B`: B sequences (seeds `seed`, `seed + 1`, ...) through one
/// batched core, each compared with the reference; prints each sequence's text and the
/// aggregate cycles per token.
fn run_sim_batch(a: &SimLpu, q: &QuantModel, c: &Compiled, req: &GenRequest) -> anyhow::Result<()> {
    use crate::sim::lpu::{batch_requests, run_batch};
    let b = c.cfg.batch;
    let reqs = batch_requests(req, a.seed, b);
    let opts = BuildOptions { trace: a.vcd.is_some(), progress: true, cache_dir: None };
    let model = build(c, &opts)?;
    let mut sim = model.sim(a.seed);
    if let Some(p) = &a.vcd {
        sim.trace(p)?;
    }
    let got = run_batch(&mut sim, &reqs, |_, _| true, 2_000_000_000)?;
    sim.close_trace();
    let mut fails = Vec::new();
    for (i, (r, run)) in reqs.iter().zip(&got.runs).enumerate() {
        let text = String::from_utf8_lossy(&run.gen.text);
        for line in text.lines() {
            println!("[{i}] {line}");
        }
        let want = generate(q, r)?;
        match compare(&want, run) {
            Ok(()) => println!("sequence {i} (seed {}): {} forward passes, {} names, done at cycle {}: PASS", a.seed + i as u64, run.gen.steps, run.gen.names, run.cycles),
            Err(e) => {
                println!("sequence {i} (seed {}): {e}", a.seed + i as u64);
                fails.push(i);
            }
        }
    }
    println!(
        "{}: {} sequences, {} forward passes in {} cycles; aggregate cycles per token {:.1}",
        c.cfg.top_name(),
        b,
        got.steps(),
        got.cycles,
        got.cycles_per_token()
    );
    println!("per-sequence cycles by class (all sequences; per pass):");
    for (v, &n) in got.per_class().iter().enumerate() {
        if n > 0 && v != 15 {
            println!("  {:<13} {:>10} {:>8.1}", class_name(v), n, n as f64 / got.steps().max(1) as f64);
        }
    }
    if fails.is_empty() {
        println!("PASS: every sequence equals the reference (golden model)");
        Ok(())
    } else {
        Err(anyhow::anyhow!(crate::Error::Mismatch(format!("FAIL: sequence(s) {fails:?} differ from the reference"))))
    }
}

/// `llmpu sim lpu --gate-level`: the RTL system runs first (its cycle counts are the
/// expectation), then the iCE40 netlist (crate::sim::gate) through the same UART session,
/// printing its names, cycle counts and PASS/FAIL against the reference and the RTL.
fn run_gate(a: SimLpu) -> anyhow::Result<()> {
    use crate::sim::gate;
    let target: crate::synth::target::Target = a.gate_target.parse()?;
    let (q, _, c) = a.lpu.compile(target.name)?;
    let t = Temperature::try_from(a.temperature)?;
    let prompt = encode_prompt(&q, &a.prompt)?;
    let req = GenRequest { seed: XorShift32::new(a.seed).0, temp_k: t.k, count: a.count, names: !a.tokens, quiet: a.quiet, prompt };
    let hl = UartArgs { clock_mhz: a.clock_mhz, baud: a.baud }.hostlink(&c)?;
    let opts = BuildOptions { trace: false, progress: true, cache_dir: None };
    let t0 = std::time::Instant::now();
    let rtl_model = crate::sim::lpu_system::build(&c, &hl, &opts)?;
    let rtl = gate::run_system(&rtl_model, &hl, &req, std::time::Duration::from_secs(10), &mut |_| {})?;
    eprintln!("RTL: {} cycles from cmd_start to gen_done ({:.1} s built and run)", rtl.status.cycles, t0.elapsed().as_secs_f64());
    let gopts = BuildOptions { trace: a.vcd.is_some(), ..opts };
    let g = gate::build(&c, &hl, target, &gopts)?;
    eprintln!(
        "gate level: netlist {} ({}), Verilator {:.1} s",
        g.plan.netlist().display(),
        g.yosys_seconds.map(|s| format!("Yosys {s:.1} s")).unwrap_or_else(|| "reused".into()),
        g.verilator_seconds
    );
    let t1 = std::time::Instant::now();
    let got = super::lpu_system::sim_uart_on(&g.model, &q, &c, &hl, &req, a.vcd.as_deref())?;
    gate::compare_cycles(&rtl, &got).map_err(crate::Error::Mismatch)?;
    println!(
        "PASS: the {} netlist ({}) equals the RTL cycle for cycle: {} cycles, {} forward passes, {} clocks pin to pin ({:.1} s simulated)",
        target.name,
        target.device,
        got.status.cycles,
        got.status.tokens,
        got.total_cycles,
        t1.elapsed().as_secs_f64()
    );
    Ok(())
}
