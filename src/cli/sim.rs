//! `llmpu sim ...`: build a block in Verilator, drive it with seeded random stimulus from Rust
//! and compare it bit for bit with its golden model.

use super::args;
use crate::rtl::matmul::model::{matmul_ref, Mat};
use crate::rtl::matmul::SystolicConfig;
use crate::sim::systolic::{self, check, check_shape, check_stall_rate, RunOptions};
use crate::sim::BuildOptions;
use clap::Subcommand;
use rand::SeedableRng;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum Sim {
    /// Multiply seeded random M x K by K x N matrices on a generated R x C array in Verilator
    Systolic {
        #[command(flatten)]
        array: args::SystolicArgs,
        /// Rows of A and C (1..=4096)
        #[arg(long)]
        m: usize,
        /// Columns of A, rows of B (1..=4096)
        #[arg(long)]
        k: usize,
        /// Columns of B and C (1..=4096)
        #[arg(long)]
        n: usize,
        /// Seed of the random matrices and stalls
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Probability (0 <= P < 1) that a cycle which could carry a beat is left idle
        #[arg(long, default_value_t = 0.0)]
        stall_rate: f64,
        /// Write a VCD waveform of the run to this file (builds a traced model)
        #[arg(long)]
        vcd: Option<PathBuf>,
    },
}

pub fn run(s: Sim) -> anyhow::Result<()> {
    match s {
        Sim::Systolic { array, m, k, n, seed, stall_rate, vcd } => {
            let cfg = SystolicConfig::try_from(&array)?;
            let (m, k, n) = (check_shape("m", m)?, check_shape("k", k)?, check_shape("n", n)?);
            let stall_rate = check_stall_rate(stall_rate)?;
            let model = systolic::build(&cfg, &BuildOptions { trace: vcd.is_some(), progress: true, cache_dir: None })?;
            let mut sim = model.sim(seed);
            if let Some(path) = &vcd {
                sim.trace(path)?;
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let a = Mat::random(m, k, cfg.in_bits, &mut rng);
            let b = Mat::random(k, n, cfg.in_bits, &mut rng);
            println!(
                "{}: {m}x{k} x {k}x{n} int{} product, seed {seed}, stall rate {stall_rate}",
                cfg.top_name(),
                cfg.in_bits
            );
            let opts = RunOptions { stall_rate, ..RunOptions::new(&cfg, seed) };
            let result = systolic::run(&mut sim, &cfg, &a, &b, &opts);
            sim.close_trace();
            let (got, stats) = match result {
                Ok(r) => r,
                Err(e) => {
                    println!("FAIL: {e}");
                    return Err(e.into());
                }
            };
            let want = matmul_ref(&a, &b, &cfg)?;
            if let Err(e) = check(&want, &got, seed) {
                println!("FAIL: {e}");
                return Err(crate::Error::from(e).into());
            }
            println!("PASS: all {} results match the golden model bit for bit", m * n);
            println!(
                "cycles: {} ({} tiles, {} beats, {} stall cycles injected, first row {} cycles after its last beat)",
                stats.cycles, stats.tiles, stats.beats, stats.stall_cycles, stats.first_row_latency
            );
            println!(
                "utilisation: {} useful MACs / ({} PEs x {} cycles) = {:.1}%",
                stats.useful_macs,
                cfg.macs(),
                stats.cycles,
                100.0 * stats.utilisation
            );
            if let Some(path) = &vcd {
                println!("waveform: {}", path.display());
            }
            Ok(())
        }
    }
}
