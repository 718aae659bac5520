//! `llmpu sim ...`: build a block in Verilator, drive it with seeded random stimulus from Rust
//! and compare it bit for bit with its golden model.

use super::args;
use crate::rtl::matmul::model::{matmul_ref, Mat};
use crate::rtl::matmul::SystolicConfig;
use crate::sim::attention;
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
    /// Run traffic generators and checkers at every node of a generated mesh or torus in Verilator
    Noc {
        #[command(flatten)]
        noc: args::NocArgs,
        /// Traffic pattern: uniform, transpose or hotspot
        #[arg(long, default_value = "uniform")]
        traffic: String,
        /// Offered load in flits per node per cycle (0..=1)
        #[arg(long, default_value_t = 0.1)]
        rate: f64,
        /// Cycles of injection (statistics skip the first tenth)
        #[arg(long, default_value_t = 10_000)]
        cycles: u64,
        /// Flits per packet including the head (mesh 1..=16, default 4; torus 1, its default)
        #[arg(long)]
        packet_flits: Option<u32>,
        /// Probability that an ejection port is ready in a cycle (random back-pressure)
        #[arg(long, default_value_t = 1.0)]
        eject_ready: f64,
        /// Seed of the traffic and back-pressure
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the statistics as JSON
        #[arg(long)]
        json: bool,
        /// Instead of one run, sweep these offered loads (comma separated) and print a table
        #[arg(long, value_delimiter = ',')]
        sweep: Vec<f64>,
        /// With --sweep: write the latency-throughput plot to this SVG file
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Write a VCD waveform of the run (every router's links and buffers) to this file
        #[arg(long)]
        vcd: Option<PathBuf>,
    },
    /// Run seeded random tokens through a generated attention unit in Verilator
    Attention {
        #[command(flatten)]
        unit: args::AttentionArgs,
        /// Seed of the random q/k/v and stalls
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Tokens in the sequence (1..=context; default: the whole context)
        #[arg(long)]
        tokens: Option<usize>,
        /// Largest magnitude of the random q/k/v elements (1..=32768)
        #[arg(long, default_value_t = 4096)]
        magnitude: i32,
        /// Probability (0 <= P < 1) that a cycle which could carry a beat is left idle
        #[arg(long, default_value_t = 0.0)]
        stall_rate: f64,
        /// Write a VCD waveform of the run to this file (builds a traced model)
        #[arg(long)]
        vcd: Option<PathBuf>,
    },
    /// Run the processing unit core in Verilator: generate names, count cycles, compare with the golden model
    Lpu(super::lpu::SimLpu),
}

pub fn run(s: Sim) -> anyhow::Result<()> {
    match s {
        Sim::Lpu(a) => super::lpu::run_sim(a),
        Sim::Noc { noc, traffic, rate, cycles, packet_flits, eject_ready, seed, json, sweep, svg, vcd } => {
            use crate::sim::noc;
            let cfg = crate::rtl::noc::NocConfig::try_from(&noc)?;
            let traffic: noc::Traffic = traffic.parse()?;
            let packet_flits = packet_flits.unwrap_or(cfg.max_packet_flits().min(4));
            let opts = noc::RunOptions { packet_flits, eject_ready, ..noc::RunOptions::new(traffic, rate, cycles, seed) };
            opts.validate(&cfg)?;
            for &r in &sweep {
                noc::RunOptions { rate: r, ..opts }.validate(&cfg)?;
            }
            if svg.is_some() && sweep.is_empty() {
                return Err(crate::Error::invalid("--svg", "without --sweep", "give the loads to plot with --sweep").into());
            }
            if vcd.is_some() && !sweep.is_empty() {
                return Err(crate::Error::invalid("--vcd", "with --sweep", "a waveform is written for one run: drop --sweep").into());
            }
            let model = noc::build(&cfg, &BuildOptions { trace: vcd.is_some(), progress: !json, cache_dir: None })?;
            if !sweep.is_empty() {
                println!("{}: {traffic} traffic, {packet_flits}-flit packets, {cycles} cycles per point, eject ready {eject_ready}, seed {seed}", cfg.top_name());
                println!("offered  accepted  avg_latency  p99_latency  packets");
                let mut points = Vec::new();
                for &r in &sweep {
                    let s = noc::run(&mut model.sim(seed), &cfg, &noc::RunOptions { rate: r, ..opts })?;
                    println!("{r:7.3}  {:8.4}  {:11.2}  {:11}  {}", s.accepted, s.avg_latency, s.p99_latency, s.delivered_packets);
                    points.push(noc::SweepPoint { offered: r, accepted: s.accepted, avg_latency: s.avg_latency, p99_latency: s.p99_latency });
                }
                let sat = noc::saturation(&points);
                println!("saturation throughput (highest accepted): {sat:.4} flits/node/cycle");
                if let Some(path) = svg {
                    let title = format!("{} {}x{} {}, {traffic} traffic, {packet_flits}-flit packets", cfg.top_name(), cfg.width, cfg.height, cfg.topology);
                    std::fs::write(&path, noc::sweep_svg(&title, &points)).map_err(|e| crate::Error::io(&path, e))?;
                    println!("plot: {}", path.display());
                }
                return Ok(());
            }
            let mut sim = model.sim(seed);
            if let Some(path) = &vcd {
                sim.trace(path)?;
            }
            let result = noc::run(&mut sim, &cfg, &opts);
            sim.close_trace();
            let stats = match result {
                Ok(s) => s,
                Err(e) => {
                    println!("FAIL: {e}");
                    return Err(e.into());
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
                return Ok(());
            }
            println!(
                "{}: {traffic} traffic, offered {rate} flits/node/cycle, {packet_flits}-flit packets, {cycles} cycles, eject ready {eject_ready}, seed {seed}",
                cfg.top_name()
            );
            println!(
                "PASS: {} of {} packets delivered exactly once, in order, uncorrupted; drained in {} cycles (bound {})",
                stats.delivered_packets, stats.created_packets, stats.drain_cycles, stats.drain_bound
            );
            println!(
                "latency (creation to last flit, {} packets after warm-up): average {:.2}, 99th percentile {}, max {} cycles",
                stats.measured_packets, stats.avg_latency, stats.p99_latency, stats.max_latency
            );
            println!("accepted throughput: {:.4} flits/node/cycle (offered {rate})", stats.accepted);
            if let Some(path) = &vcd {
                println!("waveform: {}", path.display());
            }
            Ok(())
        }
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
        Sim::Attention { unit, seed, tokens, magnitude, stall_rate, vcd } => {
            let cfg = crate::rtl::attention::AttentionConfig::try_from(&unit)?;
            let n = crate::error::check_range("tokens", tokens.unwrap_or(cfg.context as usize), 1, cfg.context as usize)?;
            let mag = crate::error::check_range("magnitude", magnitude, 1, 32768)?;
            let stall_rate = check_stall_rate(stall_rate)?;
            let model = attention::build(&cfg, &BuildOptions { trace: vcd.is_some(), progress: true, cache_dir: None })?;
            let mut sim = model.sim(seed);
            if let Some(path) = &vcd {
                sim.trace(path)?;
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let seq: Vec<Vec<_>> = (0..cfg.layers).map(|_| attention::random_tokens(&cfg, n, mag, &mut rng)).collect();
            let layers = if cfg.layers == 1 { String::new() } else { format!(" x {} layers", cfg.layers) };
            println!(
                "{}: {n} token(s){layers}, {} heads of {}, q/k/v in -{mag}..={mag}, seed {seed}, stall rate {stall_rate}",
                cfg.top_name(),
                cfg.heads,
                cfg.head_dim
            );
            let result = attention::run_layers(&mut sim, &cfg, std::slice::from_ref(&seq), &attention::RunOptions { stall_rate, seed });
            sim.close_trace();
            let (got, stats) = match result {
                Ok(r) => r,
                Err(e) => {
                    println!("FAIL: {e}");
                    return Err(e.into());
                }
            };
            for (y, (layer, out)) in seq.iter().zip(&got[0]).enumerate() {
                let want = crate::rtl::attention::model::expected(&cfg, layer);
                if let Err(e) = attention::check(&want, out, seed) {
                    let at = if cfg.layers == 1 { String::new() } else { format!("layer {y}: ") };
                    println!("FAIL: {at}{e}");
                    return Err(e.into());
                }
            }
            println!("PASS: all {} outputs match the golden model bit for bit", n * (cfg.heads * cfg.head_dim * cfg.layers) as usize);
            let tc = &stats.token_cycles[0];
            let list: Vec<String> = tc.iter().map(|c| c.to_string()).collect();
            println!("cycles per token (position 0..{}): {}", n - 1, list.join(" "));
            println!(
                "cycles: {} in all, {:.1} per token on average, {} stall cycles injected",
                stats.cycles,
                tc.iter().sum::<u64>() as f64 / n as f64,
                stats.stall_cycles
            );
            if let Some(path) = &vcd {
                println!("waveform: {}", path.display());
            }
            Ok(())
        }
    }
}
