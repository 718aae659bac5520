//! Generation time of the systolic array's Verilog at 8x8 .. 64x64 (int8 x int8 -> int32).
//! Run: `cargo bench --bench generate` (release build). Prints one line per size: the best and
//! median of N runs, the Verilog size and the number of modules.

use llmpu::rtl::matmul::{generate, verilog_file, SystolicConfig};
use std::time::{Duration, Instant};

fn main() {
    // `cargo test --benches` passes --bench-less flags; a plain `cargo bench` passes `--bench`.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 1 } else { 5 };
    for n in [8u32, 16, 32, 64] {
        let cfg = match SystolicConfig::new(n, n) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{n}x{n}: {e}");
                std::process::exit(1);
            }
        };
        let mut times: Vec<Duration> = Vec::new();
        let mut size = 0;
        let mut modules = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let (files, manifest) = match generate(&cfg) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("{n}x{n}: {e}");
                    std::process::exit(1);
                }
            };
            times.push(t.elapsed());
            size = files.get(&verilog_file(&cfg)).map(|v| v.len()).unwrap_or(0);
            modules = manifest.extra["modules"].as_array().map(|m| m.len()).unwrap_or(0);
        }
        times.sort();
        println!(
            "generate {n:>2}x{n:<2}: best {:>8.2} ms, median {:>8.2} ms over {runs} runs; {:>9} bytes of Verilog, {modules} modules",
            times[0].as_secs_f64() * 1e3,
            times[times.len() / 2].as_secs_f64() * 1e3,
            size
        );
    }
}
