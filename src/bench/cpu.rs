//! The CPU reference: single-thread inference speed (tokens/s) of the float model and of the
//! integer golden model, token by token with a KV cache (no allocation per token). Each
//! sequence feeds `block_size` pseudo-random tokens from position 0, so the rate is the average
//! over all context lengths. Used by `llmpu bench` (measured in the same run as the hardware
//! figures) and by `cargo bench --bench cpu`.

use crate::model::{FloatModel, FloatRunner, Golden, QuantModel};
use crate::numeric::XorShift32;
use serde::{Deserialize, Serialize};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Tokens per second of both reference models on this machine, one thread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuRates {
    pub float: f64,
    pub integer: f64,
}

/// Runs `run_sequence` (which returns the tokens it processed) for about `budget` after a short
/// warm-up and returns tokens per second.
pub fn rate(budget: Duration, mut run_sequence: impl FnMut(&mut XorShift32) -> usize) -> f64 {
    let mut rng = XorShift32::new(1);
    let warm = Instant::now();
    while warm.elapsed() < budget / 10 {
        run_sequence(&mut rng);
    }
    let start = Instant::now();
    let mut tokens = 0;
    while start.elapsed() < budget {
        for _ in 0..10 {
            tokens += run_sequence(&mut rng);
        }
    }
    tokens as f64 / start.elapsed().as_secs_f64()
}

/// Measures both models for `budget` each.
pub fn measure(m: &FloatModel, q: &QuantModel, budget: Duration) -> CpuRates {
    let (vocab, block) = (m.cfg.vocab as u32, m.cfg.block_size);
    let mut fr = FloatRunner::new(m.cfg);
    let float = rate(budget, |rng| {
        fr.reset();
        for _ in 0..block {
            black_box(fr.step(m, (rng.next_u32() % vocab) as usize));
        }
        block
    });
    let mut g = Golden::new(q);
    let integer = rate(budget, |rng| {
        g.reset();
        for _ in 0..block {
            black_box(g.step((rng.next_u32() % vocab) as usize).ok());
        }
        block
    });
    CpuRates { float, integer }
}
