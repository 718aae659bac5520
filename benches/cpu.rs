//! CPU baseline: single-thread inference speed (tokens/s) of the float model and of the integer
//! golden model on the committed checkpoint (`llmpu::bench::cpu`). Run: `cargo bench --bench cpu`.

use llmpu::bench::cpu::measure;
use llmpu::model::{load_model, QuantModel};
use std::time::Duration;

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json");
    let m = load_model(&path, None).unwrap_or_else(|e| panic!("{e}"));
    let q = QuantModel::from_float(&m).unwrap_or_else(|e| panic!("{e}"));
    println!("model {} ({} parameters), block {}, single thread", path.display(), m.cfg.num_params(), m.cfg.block_size);
    let r = measure(&m, &q, Duration::from_secs(2));
    println!("float    {:>12.0} tokens/s", r.float);
    println!("integer  {:>12.0} tokens/s", r.integer);
}
