//! CPU baseline: single-thread inference speed (tokens/s) of the float model and of the integer
//! golden model on the committed checkpoint, token by token with a KV cache (no allocation per
//! token). Each sequence feeds `block_size` pseudo-random tokens from position 0, so the rate is
//! the average over all context lengths. Run: `cargo bench --bench cpu`.

use llmpu::model::{load_model, FloatRunner, Golden, QuantModel};
use llmpu::numeric::XorShift32;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn rate(name: &str, mut run_sequence: impl FnMut(&mut XorShift32) -> usize) -> f64 {
    let mut rng = XorShift32::new(1);
    for _ in 0..1000 {
        run_sequence(&mut rng);
    }
    let start = Instant::now();
    let mut tokens = 0;
    while start.elapsed() < Duration::from_secs(2) {
        for _ in 0..100 {
            tokens += run_sequence(&mut rng);
        }
    }
    let r = tokens as f64 / start.elapsed().as_secs_f64();
    println!("{name:<8} {r:>12.0} tokens/s ({tokens} tokens)");
    r
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    let m = load_model(&path, None).unwrap_or_else(|e| panic!("{e}"));
    let q = QuantModel::from_float(&m).unwrap_or_else(|e| panic!("{e}"));
    let (vocab, block) = (m.cfg.vocab as u32, m.cfg.block_size);
    println!("model {} ({} parameters), block {block}, single thread", path.display(), m.cfg.num_params());
    let mut fr = FloatRunner::new(m.cfg);
    rate("float", |rng| {
        fr.reset();
        for _ in 0..block {
            black_box(fr.step(&m, (rng.next_u32() % vocab) as usize));
        }
        block
    });
    let mut g = Golden::new(&q);
    rate("integer", |rng| {
        g.reset();
        for _ in 0..block {
            black_box(g.step((rng.next_u32() % vocab) as usize).ok());
        }
        block
    });
}
