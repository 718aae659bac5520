//! The generated attention unit in Verilator against the bit-exact model
//! (`numeric::attention_head` per head, via `rtl::attention::model::expected`): every context
//! length and head with random q/k/v, extreme values, back-to-back tokens and stalls, a check
//! shown to fail, and the error against f64 softmax attention. Five shapes: the MicroGPT shape
//! (head_dim 4, 4 heads, context 16) with 1 and 4 lanes, the same with 2 layers (one cache per
//! layer, interleaved per token as a transformer does), the same with 2 layers and one element
//! per cycle (4 cycles per position), and head_dim 3, 6 heads, context 5, 2 lanes, 3 layers, one
//! element per cycle, with other q/k formats. Each model is built once (cached across runs).

use llmpu::rtl::attention::model::{expected, expected_f64, Token};
use llmpu::rtl::attention::{AttentionConfig, AttentionParams};
use llmpu::sim::attention::{build, check, random_tokens, run, run_layers, Outputs, RunOptions};
use llmpu::sim::{BuildOptions, Model};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::OnceLock;

fn micro(lanes: u32) -> AttentionConfig {
    AttentionConfig::new(4, 4, 16, lanes).unwrap()
}

fn micro_layers() -> AttentionConfig {
    AttentionConfig::try_from(AttentionParams { layers: 2, ..AttentionParams::default() }).unwrap()
}

fn micro_serial() -> AttentionConfig {
    AttentionConfig::try_from(AttentionParams { layers: 2, elements_per_cycle: 1, ..AttentionParams::default() }).unwrap()
}

fn other() -> AttentionConfig {
    AttentionConfig::try_from(AttentionParams {
        head_dim: 3,
        heads: 6,
        context: 5,
        lanes: 2,
        q_frac: 12,
        k_frac: 10,
        layers: 3,
        elements_per_cycle: 1,
    })
    .unwrap()
}

fn model(cfg: &AttentionConfig) -> &'static Model {
    static M1: OnceLock<Model> = OnceLock::new();
    static M4: OnceLock<Model> = OnceLock::new();
    static MY: OnceLock<Model> = OnceLock::new();
    static MS: OnceLock<Model> = OnceLock::new();
    static MO: OnceLock<Model> = OnceLock::new();
    let cell = if *cfg == micro(1) {
        &M1
    } else if *cfg == micro(4) {
        &M4
    } else if *cfg == micro_layers() {
        &MY
    } else if *cfg == micro_serial() {
        &MS
    } else {
        assert_eq!(*cfg, other());
        &MO
    };
    cell.get_or_init(|| build(cfg, &BuildOptions::default()).unwrap_or_else(|e| panic!("building {}: {e}", cfg.top_name())))
}

/// Runs the sequences (layer 0 only) and checks every output bit for bit; returns outputs and token cycles.
fn run_checked(cfg: &AttentionConfig, seqs: &[Vec<Token>], stall_rate: f64, seed: u64) -> (Vec<Outputs>, Vec<Vec<u64>>) {
    let mut sim = model(cfg).sim(seed);
    let (got, stats) = run(&mut sim, cfg, seqs, &RunOptions { stall_rate, seed }).unwrap_or_else(|e| panic!("{}: {e}", cfg.top_name()));
    for (s, g) in seqs.iter().zip(&got) {
        check(&expected(cfg, s), g, seed).unwrap_or_else(|e| panic!("{} ({} tokens): {e}", cfg.top_name(), s.len()));
    }
    (got, stats.token_cycles)
}

/// Runs layered sequences (`seqs[s][layer]`, every layer interleaved per token) and checks every
/// layer's outputs bit for bit against the model of that layer's own tokens.
fn run_checked_layers(cfg: &AttentionConfig, seqs: &[Vec<Vec<Token>>], stall_rate: f64, seed: u64) -> (Vec<Vec<Outputs>>, Vec<Vec<u64>>) {
    let mut sim = model(cfg).sim(seed);
    let (got, stats) =
        run_layers(&mut sim, cfg, seqs, &RunOptions { stall_rate, seed }).unwrap_or_else(|e| panic!("{}: {e}", cfg.top_name()));
    for (s, g) in seqs.iter().zip(&got) {
        for (y, (sy, gy)) in s.iter().zip(g).enumerate() {
            check(&expected(cfg, sy), gy, seed).unwrap_or_else(|e| panic!("{} layer {y} ({} tokens): {e}", cfg.top_name(), sy.len()));
        }
    }
    (got, stats.token_cycles)
}

/// One sequence of every length 1..=context (a clear before each) in every layer of the unit,
/// alternating typical (|x| <= 4096, i.e. 4.0 in Q10) and full-range elements.
fn every_length(cfg: &AttentionConfig, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let seqs: Vec<Vec<Vec<Token>>> = (1..=cfg.context as usize)
        .map(|n| (0..cfg.layers).map(|_| random_tokens(cfg, n, if n % 2 == 0 { 32768 } else { 4096 }, &mut rng)).collect())
        .collect();
    let (_, cycles) = run_checked_layers(cfg, &seqs, 0.0, seed);
    // Fed back to back, every token takes exactly the documented number of cycles.
    for (s, c) in seqs.iter().zip(&cycles) {
        for (t, &n) in c.iter().enumerate() {
            assert_eq!(n, cfg.token_cycles(t as u32 + 1) as u64, "{} token {t} of {}", cfg.top_name(), s[0].len());
        }
    }
}

#[test]
fn every_context_length_and_head_microgpt_one_lane() {
    every_length(&micro(1), 11);
}

#[test]
fn every_context_length_and_head_microgpt_four_lanes() {
    every_length(&micro(4), 12);
}

#[test]
fn every_context_length_and_head_other_shape_three_layers() {
    every_length(&other(), 13);
}

#[test]
fn every_context_length_one_element_per_cycle_two_layers() {
    let cfg = micro_serial();
    assert_eq!((cfg.chunks(), cfg.multipliers()), (4, 7));
    assert_eq!(cfg.query_latency(16), 16 * 4 + 15);
    assert_eq!(cfg.token_cycles(16), 2 * (4 * (16 * 4 + 3) - 1) + 15);
    every_length(&cfg, 17);
}

#[test]
fn extreme_values_one_element_per_cycle() {
    let cfg = micro_serial();
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let seqs: Vec<Vec<Vec<Token>>> = extremes(&cfg, 24).into_iter().map(|x| vec![x.clone(), random_tokens(&cfg, x.len(), 32768, &mut rng)]).collect();
    run_checked_layers(&cfg, &seqs, 0.0, 24);
}

#[test]
fn every_context_length_two_layers_interleaved() {
    let cfg = micro_layers();
    assert_eq!(cfg.token_cycles(16), 2 * (4 * 19 - 1) + 9);
    every_length(&cfg, 14);
}

/// Layers are separate caches: layer 1 carries extreme sequences while layer 0 carries random
/// ones, and the outputs of the same run compared with a model in which the layers share one
/// cache (a query sees the keys of both layers) are caught.
#[test]
fn layers_keep_separate_caches() {
    let cfg = micro_layers();
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let seqs: Vec<Vec<Vec<Token>>> =
        extremes(&cfg, 16).into_iter().map(|x| vec![random_tokens(&cfg, x.len(), 8192, &mut rng), x]).collect();
    let (got, _) = run_checked_layers(&cfg, &seqs, 0.0, 15);
    // A shared cache: per token, layer 0's k/v then layer 1's at consecutive positions.
    let (s, g) = (&seqs[0], &got[0]);
    let merged: Vec<Token> = (0..s[0].len()).flat_map(|t| [s[0][t].clone(), s[1][t].clone()]).collect();
    let wide = AttentionConfig::try_from(AttentionParams { context: 32, ..AttentionParams::default() }).unwrap();
    let shared: Outputs = expected(&wide, &merged).into_iter().skip(1).step_by(2).collect();
    let e = check(&shared, &g[1], 15).unwrap_err().to_string();
    assert_eq!(e, "simulation mismatch: token 0 head 0 element 0 = 4932 but the model gives 1583 (236 element(s) differ; seed 15)");
}

#[test]
fn stalls_with_garbage_on_the_inputs_two_layers() {
    let cfg = micro_layers();
    let mut rng = ChaCha8Rng::seed_from_u64(33);
    let seqs: Vec<Vec<Vec<Token>>> =
        [16, 5].iter().map(|&n| (0..2).map(|_| random_tokens(&cfg, n, 32768, &mut rng)).collect()).collect();
    run_checked_layers(&cfg, &seqs, 0.35, 33);
}

/// Sequences of extreme values: all keys equal, one dominant key, large negative scores,
/// maximum-magnitude vectors, and scores rising at every position (a rescale at every step).
fn extremes(cfg: &AttentionConfig, seed: u64) -> Vec<Vec<Token>> {
    let (h, d, n) = (cfg.heads as usize, cfg.head_dim as usize, cfg.context as usize);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let fill = |x: i16| vec![vec![x; d]; h];
    let mut seqs = Vec::new();
    // All keys equal.
    let base = random_tokens(cfg, 1, 32768, &mut rng).remove(0);
    seqs.push(random_tokens(cfg, n, 32768, &mut rng).into_iter().map(|t| Token { k: base.k.clone(), ..t }).collect());
    // One dominant key (position n/2 aligned with the query, the others opposite).
    seqs.push(
        (0..n)
            .map(|t| {
                let v = random_tokens(cfg, 1, 32768, &mut rng).remove(0).v;
                Token { q: fill(i16::MAX), k: fill(if t == n / 2 { i16::MAX } else { -2000 }), v }
            })
            .collect(),
    );
    // Large negative scores: every score saturates at -32768, or swings between the extremes.
    seqs.push((0..n).map(|t| Token { q: fill(i16::MAX), k: fill(if t % 3 == 1 { i16::MAX } else { i16::MIN }), v: fill(i16::MIN) }).collect());
    seqs.push((0..n).map(|_| Token { q: fill(i16::MAX), k: fill(i16::MIN), v: fill(i16::MAX) }).collect());
    // Maximum-magnitude vectors: every element -32768 or 32767.
    let ext = |rng: &mut ChaCha8Rng| -> Vec<Vec<i16>> {
        (0..h).map(|_| (0..d).map(|_| if rng.random_bool(0.5) { i16::MAX } else { i16::MIN }).collect()).collect()
    };
    seqs.push((0..n).map(|_| Token { q: ext(&mut rng), k: ext(&mut rng), v: ext(&mut rng) }).collect());
    // Rising scores: each new key beats the running max by a little (rescale every step).
    seqs.push(
        (0..n)
            .map(|t| {
                let v = random_tokens(cfg, 1, 32768, &mut rng).remove(0).v;
                Token { q: fill(1024), k: fill((t as i16) * 300 - 2000), v }
            })
            .collect(),
    );
    seqs
}

#[test]
fn extreme_values_microgpt() {
    let cfg = micro(1);
    run_checked(&cfg, &extremes(&cfg, 21), 0.0, 21);
}

#[test]
fn extreme_values_other_shape_four_lanes() {
    let cfg = micro(4);
    run_checked(&cfg, &extremes(&cfg, 22), 0.0, 22);
    let cfg = other();
    run_checked(&cfg, &extremes(&cfg, 23), 0.0, 23);
}

#[test]
fn stalls_with_garbage_on_the_inputs_change_nothing() {
    for (cfg, seed) in [(micro(1), 31), (other(), 32), (micro_serial(), 34)] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let seqs = vec![random_tokens(&cfg, cfg.context as usize, 8192, &mut rng), random_tokens(&cfg, 3, 32768, &mut rng)];
        run_checked(&cfg, &seqs, 0.35, seed);
    }
}

#[test]
fn the_check_fails_on_a_wrong_model_and_names_the_element() {
    let cfg = micro(1);
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let seq = random_tokens(&cfg, 6, 4096, &mut rng);
    let mut sim = model(&cfg).sim(41);
    let (got, _) = run(&mut sim, &cfg, std::slice::from_ref(&seq), &RunOptions { stall_rate: 0.0, seed: 41 }).unwrap();
    check(&expected(&cfg, &seq), &got[0], 41).unwrap();
    // A model with a different query format (so a different score shift) must be caught.
    let wrong = AttentionConfig::try_from(AttentionParams { q_frac: 11, ..AttentionParams::default() }).unwrap();
    let e = check(&expected(&wrong, &seq), &got[0], 41).unwrap_err().to_string();
    assert!(e.starts_with("simulation mismatch: token 1 head 0 element 0 = 2056 but the model gives 1322 ("), "{e}");
    // One flipped element is named exactly.
    let mut bad = got[0].clone();
    bad[3][2][1] ^= 1;
    let want = got[0][3][2][1];
    assert_eq!(
        check(&got[0], &bad, 41).unwrap_err().to_string(),
        format!("simulation mismatch: token 3 head 2 element 1 = {} but the model gives {want} (1 element(s) differ; seed 41)", want ^ 1)
    );
}

/// Error of the unit's outputs (in LSBs of the value format) against f64 softmax attention of
/// the same integers, over random MicroGPT-range inputs (|q|, |k|, |v| <= 4.0 in Q10) at every
/// context length. The figures are in docs/attention.md.
#[test]
fn error_against_f64_softmax_is_bounded() {
    let cfg = micro(1);
    let mut rng = ChaCha8Rng::seed_from_u64(51);
    let seqs: Vec<Vec<Token>> = (0..4).map(|_| random_tokens(&cfg, cfg.context as usize, 4096, &mut rng)).collect();
    let (got, _) = run_checked(&cfg, &seqs, 0.0, 51);
    let (mut max, mut sum, mut n) = (0f64, 0f64, 0usize);
    for (s, g) in seqs.iter().zip(&got) {
        let f = expected_f64(&cfg, s);
        for (ft, gt) in f.iter().zip(g) {
            for (fh, gh) in ft.iter().zip(gt) {
                for (x, &y) in fh.iter().zip(gh) {
                    let e = (x - y as f64).abs();
                    max = max.max(e);
                    sum += e;
                    n += 1;
                }
            }
        }
    }
    let mean = sum / n as f64;
    println!("error against f64 softmax over {n} outputs: max {max:.3} LSB, mean {mean:.3} LSB");
    assert!(max <= MAX_ERR_LSB && mean <= MEAN_ERR_LSB, "max {max:.3}, mean {mean:.3} LSB");
}

const MAX_ERR_LSB: f64 = 5.0;
const MEAN_ERR_LSB: f64 = 0.5;
