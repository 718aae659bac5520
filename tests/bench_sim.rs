//! The simulation half of `llmpu bench` (no place and route): a 200-token Verilator run of the
//! 2x2 core counts one forward pass per sampled token, equal to the integer reference, and
//! the comparison fails on a corrupted expected generation.

use llmpu::bench::run::{compile, simulate, simulate_against, Size, Workload};
use llmpu::cli::model::ModelArgs;
use llmpu::lpu::reference::generate;
use llmpu::model::QuantModel;

#[test]
fn cycles_per_token_of_200_tokens_at_2x2() {
    let q = QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap();
    let target = "ecp5-85k".parse().unwrap();
    let c = compile(&q, Size::new(2, 2), &target).unwrap();
    let w = Workload::new(200, 0.5, 1).unwrap();
    let want = generate(&q, &w.request().unwrap()).unwrap();
    let s = simulate(&q, &c, &w, false).unwrap();
    assert_eq!(s.tokens, want.steps, "one forward pass per reference step");
    assert_eq!(s.tokens, 200);
    assert!((s.mean_cycles - s.cycles as f64 / 200.0).abs() < 1e-9);
    let staged: f64 = s.stages.iter().map(|x| x.cycles_per_token).sum();
    assert!((staged - s.mean_cycles).abs() < 0.05 * s.mean_cycles, "stages {staged} vs mean {}", s.mean_cycles);
    assert!(s.first_cycles > 0 && s.sim_cycles_per_s > 0.0);
    eprintln!("2x2: first {} mean {:.1}, {:.0} cycles/s", s.first_cycles, s.mean_cycles, s.sim_cycles_per_s);

    let mut bad = want.clone();
    bad.text[5] ^= 1;
    let e = simulate_against(&bad, &c, &w, false).unwrap_err().to_string();
    assert!(e.contains("llmpu_core_r2c2: FAIL: character 5 differs"), "{e}");
    bad = want.clone();
    bad.steps += 1;
    let e = simulate_against(&bad, &c, &w, false).unwrap_err().to_string();
    assert!(e.contains("FAIL: status differs"), "{e}");
}
