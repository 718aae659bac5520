//! The integer golden model: online softmax against two-pass softmax, and the quantized model's
//! NLL against the float model's.

use llmpu::model::eval::{encode_docs, nll_float, nll_quant};
use llmpu::model::{load_model, Golden, QuantModel};
use llmpu::numeric::*;
use std::path::Path;

fn rand_vec(rng: &mut XorShift32, n: usize, amp: i32) -> Vec<i16> {
    (0..n).map(|_| ((rng.next_u32() % (2 * amp as u32 + 1)) as i32 - amp) as i16).collect()
}

/// Two passes with the same integer rules: global max first, so no rescaling.
fn two_pass_int(scores: &[i16], values: &[Vec<i16>]) -> Vec<i16> {
    let m = *scores.iter().max().unwrap();
    let hd = values[0].len();
    let mut l: u32 = 0;
    let mut acc = vec![0i64; hd];
    for (s, v) in scores.iter().zip(values) {
        let p = exp2_neg((m as i32 - *s as i32) as u32) as i64;
        l += p as u32;
        for j in 0..hd {
            acc[j] += rshift_round(p * v[j] as i64, PROB_FRAC - ACC_EXTRA_FRAC);
        }
    }
    let (mant, sh) = recip(l as u64);
    acc.iter().map(|&a| sat_i16(rshift_round(a * mant as i64, sh - 7))).collect()
}

/// Softmax in f64 over the same integer scores (base 2, 8 fraction bits).
fn two_pass_f64(scores: &[i16], values: &[Vec<i16>]) -> Vec<f64> {
    let m = *scores.iter().max().unwrap() as f64;
    let w: Vec<f64> = scores.iter().map(|&s| ((s as f64 - m) / 256.0).exp2()).collect();
    let sum: f64 = w.iter().sum();
    (0..values[0].len()).map(|j| w.iter().zip(values).map(|(p, v)| p * v[j] as f64).sum::<f64>() / sum).collect()
}

#[test]
fn online_softmax_matches_two_pass_on_random_inputs() {
    let seed = 20260523;
    let mut rng = XorShift32::new(seed);
    let (q_frac, k_frac) = (10, 10);
    let mut worst = 0.0f64;
    let mut exact_when_first_is_max = 0;
    for case in 0..3000 {
        let hd = 1 + (rng.next_u32() % 8) as usize;
        let len = 1 + (rng.next_u32() % 64) as usize;
        // Query and key magnitudes from tiny to large, so scores range from flat to one-hot.
        let amp = 1 << (4 + rng.next_u32() % 11);
        let vamp = 1 << (6 + rng.next_u32() % 9);
        let q = rand_vec(&mut rng, hd, amp);
        let keys: Vec<Vec<i16>> = (0..len).map(|_| rand_vec(&mut rng, hd, amp)).collect();
        let values: Vec<Vec<i16>> = (0..len).map(|_| rand_vec(&mut rng, hd, vamp)).collect();
        let online = attention_head(&q, &keys, &values, q_frac, k_frac);
        let scores: Vec<i16> = keys.iter().map(|k| score(&q, k, q_frac + k_frac - SCORE_FRAC)).collect();
        let f = two_pass_f64(&scores, &values);
        for j in 0..hd {
            let err = (online[j] as f64 - f[j]).abs();
            worst = worst.max(err);
            assert!(err <= 2.0 + f[j].abs() * 2e-4, "seed {seed} case {case} lane {j}: online {} vs two-pass {}", online[j], f[j]);
        }
        if scores[0] == *scores.iter().max().unwrap() {
            // Without any rescale the online pass is the two-pass computation, bit for bit.
            assert_eq!(online, two_pass_int(&scores, &values), "seed {seed} case {case}");
            exact_when_first_is_max += 1;
        }
    }
    assert!(exact_when_first_is_max > 100);
    println!("online softmax worst error against f64 two-pass: {worst:.3} LSB");
}

#[test]
fn online_softmax_with_one_key_returns_the_value() {
    let v = vec![vec![1234i16, -32768, 32767, 0]];
    assert_eq!(attention_head(&[5, 5, 5, 5], &[vec![1, 2, 3, 4]], &v, 10, 10), v[0]);
    assert_eq!(attention_head(&[5], &[], &[], 10, 10), vec![0]);
}

fn names() -> Vec<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/names.txt");
    llmpu::model::tokenizer::read_docs(&p).unwrap_or_else(|e| panic!("this test needs ../shared/data/names.txt: {e}"))
}

fn default_model() -> llmpu::model::FloatModel {
    load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/microgpt-names.json"), None).unwrap()
}

#[test]
fn quantized_nll_is_within_0_03_of_float_on_names() {
    let m = default_model();
    let q = QuantModel::from_float(&m).unwrap();
    let enc = encode_docs(&m.tok, &names()).unwrap();
    let f = nll_float(&m, &enc).mean;
    let i = nll_quant(&q, &enc).unwrap().mean;
    assert!(f <= 2.37, "float NLL {f}");
    assert!((i - f).abs() <= 0.03, "float {f} int8 {i}");
}

#[test]
fn golden_rejects_positions_past_the_block_and_unknown_tokens() {
    let m = default_model();
    let q = QuantModel::from_float(&m).unwrap();
    let mut g = Golden::new(&q);
    assert_eq!(g.step(27).unwrap_err().to_string(), "token 27 is not allowed (allowed: 0..27)");
    for _ in 0..16 {
        g.step(26).unwrap();
    }
    assert_eq!(g.step(0).unwrap_err().to_string(), "position 16 is not allowed (allowed: 0..16 (block_size))");
    g.reset();
    assert!(g.step(0).is_ok());
}

#[test]
fn quantization_is_deterministic() {
    let m = default_model();
    assert_eq!(QuantModel::from_float(&m).unwrap(), QuantModel::from_float(&m).unwrap());
}

#[test]
fn other_sizes_run_through_the_same_code() {
    use llmpu::model::train::{train, TrainOptions};
    use llmpu::model::{ModelConfig, ModelParams};
    let docs: Vec<String> = names().into_iter().step_by(8).collect();
    // Two layers, wider, 8 heads of 4, longer context, odd MLP width.
    let cfg = ModelConfig::try_from(ModelParams { vocab: 27, n_embd: 32, n_head: 8, n_layer: 2, block_size: 24, mlp_hidden: 72 }).unwrap();
    let m = train(cfg, &docs, TrainOptions::new(1500, 1, 0.01, 3).unwrap(), 500, |_| {}).unwrap();
    let q = QuantModel::from_float(&m).unwrap();
    let enc = encode_docs(&m.tok, &docs[..1000]).unwrap();
    let f = nll_float(&m, &enc).mean;
    let i = nll_quant(&q, &enc).unwrap().mean;
    println!("2-layer n_embd 32: float NLL {f:.4}, int8 {i:.4}");
    assert!(f < 2.6, "float NLL {f}");
    assert!((i - f).abs() <= 0.03, "float {f} int8 {i}");
}

#[test]
fn golden_heads_equal_the_standalone_attention_head() {
    // What RTL attention tests compare against is exactly what the golden model computes.
    let m = default_model();
    let q = QuantModel::from_float(&m).unwrap();
    let mut g = Golden::new(&q);
    let hd = q.cfg.head_dim();
    for (t, &tok) in m.tok.encode("kristopher").unwrap().iter().enumerate().take(q.cfg.block_size) {
        g.step(tok).unwrap();
        for h in 0..q.cfg.n_head {
            let lanes = h * hd..(h + 1) * hd;
            let keys: Vec<Vec<i16>> = (0..=t).map(|s| g.key(0, s)[lanes.clone()].to_vec()).collect();
            let values: Vec<Vec<i16>> = (0..=t).map(|s| g.value(0, s)[lanes.clone()].to_vec()).collect();
            let out = attention_head(&g.query()[lanes.clone()], &keys, &values, q.fmt.q, q.fmt.k);
            assert_eq!(out, g.attention()[lanes.clone()], "position {t} head {h}");
        }
    }
}
