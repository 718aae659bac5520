//! `llmpu demo`: the main job of `scripts/setup.sh`. The default model (MicroGPT) is compiled
//! for a 4x4 matrix unit, the whole processing unit (core + host link behind a UART) is
//! generated into `rtl-out/demo-lpu`, built in Verilator, and asked for names through its UART
//! pins by the host code a board uses (`host::session::run`); the names, cycles per token, the
//! per-stage breakdown and PASS/FAIL against the integer reference (`lpu::reference`) are
//! printed.

use super::lpu::LpuArgs;
use crate::lpu::reference::GenRequest;
use crate::numeric::{Temperature, XorShift32};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Output folder of the generated Verilog
    #[arg(long, default_value = "rtl-out/demo-lpu")]
    pub out: PathBuf,
    /// Seed of the on-chip sampler
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Names to generate
    #[arg(short = 'n', long = "count", default_value_t = 10)]
    pub count: u16,
    /// Sampling temperature: 0 (greedy) or 0.1..=10
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    #[command(flatten)]
    pub lpu: LpuArgs,
}

pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    let (q, name, c) = a.lpu.compile("ecp5-85k")?;
    println!(
        "[1/3] compiled {name} ({} parameters) for a {}x{} matrix unit: {} instructions per token",
        q.cfg.num_params(),
        c.cfg.rows,
        c.cfg.cols,
        c.program.len()
    );
    // 12 MHz, 3 Mbaud: 4 clocks per UART bit keeps the simulation fast.
    let hl = crate::rtl::lpu::system::hostlink_config(&c, 12_000_000, 3_000_000, 512, 32)?;
    let (files, m) = crate::rtl::lpu::system::generate(&c, &hl, &name)?;
    files.write_to(&a.out)?;
    println!(
        "[2/3] generated {} (core + host link, {} modules) into {}; building it in Verilator...",
        m.top,
        m.extra["modules"].as_array().map_or(0, |v| v.len()),
        a.out.display()
    );
    let t = Temperature::try_from(a.temperature)?;
    let req = GenRequest { seed: XorShift32::new(a.seed).0, temp_k: t.k, count: a.count, names: true, quiet: false, prompt: vec![] };
    println!("[3/3] {} names at temperature {} through the UART pins:", a.count, a.temperature);
    super::lpu_system::sim_uart(&q, &c, &hl, &req, None)?;
    println!("done in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
