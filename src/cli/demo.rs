//! `llmpu demo`: the main job of `scripts/setup.sh`. Until the whole processing unit exists it
//! shows the finished stages end to end: a 4x4 int8 systolic array generated into
//! `rtl-out/demo-systolic`, checked in Verilator against the golden matmul on a random product,
//! and names sampled by the integer golden model of the bundled checkpoint.

use crate::model::eval::sample_quant;
use crate::model::{Golden, QuantModel};
use crate::numeric::{Temperature, XorShift32};
use crate::rtl::matmul::model::{matmul_ref, Mat};
use crate::rtl::matmul::SystolicConfig;
use crate::sim::systolic::{self, check, RunOptions};
use crate::sim::BuildOptions;
use clap::Args;
use rand::SeedableRng;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Output folder of the generated Verilog
    #[arg(long, default_value = "rtl-out/demo-systolic")]
    pub out: PathBuf,
    /// Seed of the random product and of the sampler
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub model: super::model::ModelArgs,
}

pub fn run(a: DemoArgs) -> anyhow::Result<()> {
    let cfg = SystolicConfig::new(4, 4)?;
    let (files, manifest) = crate::rtl::matmul::generate(&cfg)?;
    files.write_to(&a.out)?;
    println!("[1/3] generated {} ({} modules) into {}", manifest.top, manifest.extra["modules"].as_array().map_or(0, |m| m.len()), a.out.display());

    let t = std::time::Instant::now();
    let model = systolic::build(&cfg, &BuildOptions { trace: false, progress: true, cache_dir: None })?;
    let mut sim = model.sim(a.seed);
    let (m, k, n) = (16, 24, 12);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    let x = Mat::random(m, k, cfg.in_bits, &mut rng);
    let w = Mat::random(k, n, cfg.in_bits, &mut rng);
    let (got, stats) = systolic::run(&mut sim, &cfg, &x, &w, &RunOptions::new(&cfg, a.seed))?;
    check(&matmul_ref(&x, &w, &cfg)?, &got, a.seed).map_err(crate::Error::from)?;
    println!(
        "[2/3] Verilator: {m}x{k} x {k}x{n} int8 product PASS (bit-exact), {} cycles, utilisation {:.1}% ({:.1} s incl. build)",
        stats.cycles,
        100.0 * stats.utilisation,
        t.elapsed().as_secs_f64()
    );

    let fm = a.model.load()?;
    let q = QuantModel::from_float(&fm)?;
    let mut g = Golden::new(&q);
    let temp = Temperature::try_from(0.5)?;
    let mut prng = XorShift32::new(a.seed);
    let mut names = Vec::new();
    for _ in 0..10 {
        names.push(sample_quant(&mut g, &q, temp, &mut prng)?);
    }
    println!("[3/3] integer golden model ({} parameters), temperature 0.5: {}", fm.cfg.num_params(), names.join(", "));
    Ok(())
}
