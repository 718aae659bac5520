//! The generated systolic array in Verilator, bit-exact against the golden matmul: seeded random
//! matrices over many shapes (1x1x1, non-square, non-multiples of the array, larger than it),
//! extreme values, random input stalls, several array sizes and widths. Every run also checks
//! the documented row latency and spacing rule (RunOptions::new). Each test function builds its
//! array once (cached across runs) and reuses it for all its cases.

use llmpu::rtl::matmul::model::{matmul_ref, signed_range, Mat};
use llmpu::rtl::matmul::{SystolicConfig, SystolicParams};
use llmpu::sim::systolic::{build, check, run, RunOptions, Stats};
use llmpu::sim::{BuildOptions, Sim};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn cfg(rows: u32, cols: u32, in_bits: u32, acc_bits: u32) -> SystolicConfig {
    SystolicConfig::try_from(SystolicParams { rows, cols, in_bits, acc_bits }).expect("valid config")
}

fn sim_for(cfg: &SystolicConfig) -> Sim {
    let model = build(cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", cfg.top_name()));
    model.sim(1)
}

/// Runs A x B, compares with the model and returns the stats; panics naming the case and seed.
fn case(sim: &mut Sim, cfg: &SystolicConfig, a: &Mat, b: &Mat, seed: u64, stall_rate: f64) -> Stats {
    let opts = RunOptions { stall_rate, ..RunOptions::new(cfg, seed) };
    let what = format!("{} on {}x{}x{}, stall rate {stall_rate}, seed {seed}", cfg.top_name(), a.rows(), a.cols(), b.cols());
    let (got, stats) = run(sim, cfg, a, b, &opts).unwrap_or_else(|e| panic!("{what}: {e}"));
    let want = matmul_ref(a, b, cfg).expect("model");
    if let Err(e) = check(&want, &got, seed) {
        panic!("{what}: {e}");
    }
    stats
}

fn random_case(sim: &mut Sim, cfg: &SystolicConfig, (m, k, n): (usize, usize, usize), seed: u64, stall_rate: f64) -> Stats {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a = Mat::random(m, k, cfg.in_bits, &mut rng);
    let b = Mat::random(k, n, cfg.in_bits, &mut rng);
    case(sim, cfg, &a, &b, seed, stall_rate)
}

const SHAPES: [(usize, usize, usize); 9] =
    [(1, 1, 1), (1, 7, 1), (3, 2, 5), (4, 4, 4), (5, 9, 3), (7, 1, 6), (8, 16, 8), (9, 5, 11), (13, 20, 17)];

fn sweep(c: &SystolicConfig, seed0: u64) {
    sweep_on(&mut sim_for(c), c, seed0);
}

#[test]
fn array_1x1() {
    sweep(&cfg(1, 1, 8, 32), 100);
}

#[test]
fn array_2x3() {
    sweep(&cfg(2, 3, 8, 32), 200);
}

#[test]
fn array_4x4_extremes_and_throughput() {
    let c = cfg(4, 4, 8, 32);
    let mut sim = sim_for(&c);
    sweep_on(&mut sim, &c, 300);
    let (lo, hi) = signed_range(8);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let signs = Mat::from_vec(6, 9, (0..54).map(|x| if (x * 7) % 3 == 0 { lo } else { hi }).collect()).unwrap();
    for (a, b) in [
        (Mat::filled(5, 33, lo), Mat::filled(33, 6, lo)),
        (Mat::filled(4, 40, hi), Mat::filled(40, 4, hi)),
        (Mat::filled(4, 9, lo), Mat::filled(9, 4, hi)),
        (signs.clone(), Mat::random(9, 7, 8, &mut rng)),
    ] {
        case(&mut sim, &c, &a, &b, 7, 0.2);
    }
    // Back to back with K >= max(R, C): one beat per cycle, tile after tile.
    let st = random_case(&mut sim, &c, (8, 16, 8), 11, 0.0);
    assert_eq!((st.tiles, st.beats, st.stall_cycles), (4, 64, 0));
    assert_eq!(st.cycles, 64 + c.tile_out_latency() as u64, "{st:?}");
    assert_eq!(st.first_row_latency, c.row_out_latency(0) as u64);
}

fn sweep_on(sim: &mut Sim, c: &SystolicConfig, seed0: u64) {
    for (s, &shape) in SHAPES.iter().enumerate() {
        for (t, rate) in [0.0, 0.3].into_iter().enumerate() {
            random_case(sim, c, shape, seed0 + 10 * s as u64 + t as u64, rate);
        }
    }
}

#[test]
fn array_8x8() {
    let c = cfg(8, 8, 8, 32);
    let mut sim = sim_for(&c);
    for (s, shape) in [(1, 1, 1), (8, 8, 8), (9, 3, 17), (16, 24, 16), (20, 2, 5)].into_iter().enumerate() {
        random_case(&mut sim, &c, shape, 800 + s as u64, if s % 2 == 0 { 0.0 } else { 0.25 });
    }
}

#[test]
fn array_i16_a48() {
    let c = cfg(3, 2, 16, 48);
    let mut sim = sim_for(&c);
    for (s, shape) in [(1, 1, 1), (3, 2, 2), (5, 17, 3), (7, 6, 5)].into_iter().enumerate() {
        random_case(&mut sim, &c, shape, 900 + s as u64, 0.2);
    }
    let (lo, _) = signed_range(16);
    // 300 x 2^30 does not fit 32 bits but fits 48.
    case(&mut sim, &c, &Mat::filled(3, 300, lo), &Mat::filled(300, 2, lo), 9, 0.0);
}

#[test]
fn array_acc16_wraps() {
    let c = cfg(2, 2, 8, 16);
    let mut sim = sim_for(&c);
    for (s, shape) in [(2, 9, 2), (3, 30, 5)].into_iter().enumerate() {
        random_case(&mut sim, &c, shape, 1600 + s as u64, 0.1);
    }
    // 3 x 127 x 127 = 48387 wraps to -17149 in 16 bits.
    let a = Mat::filled(2, 3, 127);
    let want = matmul_ref(&a, &Mat::filled(3, 2, 127), &c).unwrap();
    assert_eq!(want.at(0, 0), -17149);
    case(&mut sim, &c, &a, &Mat::filled(3, 2, 127), 16, 0.0);
    case(&mut sim, &c, &Mat::filled(2, 50, -128), &Mat::filled(50, 2, -128), 16, 0.3);
}

#[test]
fn a_corrupted_expectation_is_reported_with_its_element_and_seed() {
    let c = cfg(2, 3, 8, 32);
    let mut sim = sim_for(&c);
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let (a, b) = (Mat::random(3, 4, 8, &mut rng), Mat::random(4, 5, 8, &mut rng));
    let (got, _) = run(&mut sim, &c, &a, &b, &RunOptions::new(&c, 77)).unwrap();
    let mut want = matmul_ref(&a, &b, &c).unwrap();
    check(&want, &got, 77).expect("the simulation matches before corruption");
    let v = want.at(2, 3);
    want.set(2, 3, v + 1);
    let e = check(&want, &got, 77).unwrap_err();
    assert_eq!(e.to_string(), format!("C[2][3] = {v} but the model gives {} (1 element(s) differ; seed 77)", v + 1));
}
