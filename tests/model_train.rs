//! The trainer: gradients against finite differences, determinism for a seed, and the loss it
//! reaches.

use llmpu::model::eval::{encode_docs, nll_float};
use llmpu::model::train::{init_model, train, TrainOptions, Trainer};
use llmpu::model::{ModelConfig, ModelParams, Tokenizer};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn docs() -> Vec<String> {
    ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia", "zoe", "x"].iter().map(|s| s.to_string()).collect()
}

#[test]
fn gradients_match_finite_differences() {
    let d = docs();
    let tok = Tokenizer::from_docs(&d);
    // Two layers, a block shorter than the longest name, odd MLP width.
    let cfg = ModelConfig::try_from(ModelParams { vocab: tok.vocab(), n_embd: 8, n_head: 2, n_layer: 2, block_size: 6, mlp_hidden: 12 }).unwrap();
    let mut m = init_model(cfg, tok.clone(), &mut ChaCha8Rng::seed_from_u64(5));
    for p in m.data.iter_mut() {
        *p *= 2.0; // larger weights: non-trivial attention and ReLU patterns
    }
    let enc = encode_docs(&tok, &d).unwrap();
    let batch: Vec<&[usize]> = vec![&enc[3], &enc[6]];
    let mut tr = Trainer::new(&m, TrainOptions::new(1, 2, 0.01, 0).unwrap());
    let (_, g) = tr.gradient(&m, &batch);
    let g = g.to_vec();
    let mut checked = 0;
    for i in (0..m.data.len()).step_by(7) {
        if g[i].abs() < 2e-3 {
            continue;
        }
        let h = 2e-3f32;
        let orig = m.data[i];
        m.data[i] = orig + h;
        let lp = tr.gradient(&m, &batch).0 as f64;
        m.data[i] = orig - h;
        let lm = tr.gradient(&m, &batch).0 as f64;
        m.data[i] = orig;
        let num = (lp - lm) / (2.0 * h as f64);
        assert!((num - g[i] as f64).abs() <= 0.03 * (g[i] as f64).abs() + 3e-4, "parameter {i}: analytic {} numeric {num}", g[i]);
        checked += 1;
    }
    assert!(checked > 50, "only {checked} parameters checked");
}

#[test]
fn training_is_deterministic_for_a_seed_and_differs_across_seeds() {
    let d = docs();
    let cfg = ModelConfig::try_from(ModelParams { vocab: Tokenizer::from_docs(&d).vocab(), ..ModelParams::MICROGPT }).unwrap();
    let a = train(cfg, &d, TrainOptions::new(50, 2, 0.01, 9).unwrap(), 10, |_| {}).unwrap();
    let b = train(cfg, &d, TrainOptions::new(50, 2, 0.01, 9).unwrap(), 10, |_| {}).unwrap();
    let c = train(cfg, &d, TrainOptions::new(50, 2, 0.01, 10).unwrap(), 10, |_| {}).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.data, c.data);
}

#[test]
fn training_loss_matches_inference_nll() {
    // The trainer's forward pass and the KV-cache runner compute the same loss.
    let d = docs();
    let tok = Tokenizer::from_docs(&d);
    let cfg = ModelConfig::try_from(ModelParams { vocab: tok.vocab(), ..ModelParams::MICROGPT }).unwrap();
    let m = init_model(cfg, tok.clone(), &mut ChaCha8Rng::seed_from_u64(1));
    let enc = encode_docs(&tok, &d).unwrap();
    let mut tr = Trainer::new(&m, TrainOptions::new(1, 1, 0.01, 0).unwrap());
    for e in &enc {
        let l = tr.gradient(&m, &[e]).0 as f64;
        let r = nll_float(&m, std::slice::from_ref(e)).mean;
        assert!((l - r).abs() < 1e-5, "{l} vs {r}");
    }
}

#[test]
fn names_training_reaches_2_37() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/names.txt");
    let docs = llmpu::model::tokenizer::read_docs(&path).unwrap_or_else(|e| panic!("this test needs ../shared/data/names.txt: {e}"));
    let cfg = ModelConfig::microgpt();
    let m = train(cfg, &docs, TrainOptions::new(10_000, 1, 0.01, 42).unwrap(), 1000, |_| {}).unwrap();
    let nll = nll_float(&m, &encode_docs(&m.tok, &docs).unwrap()).mean;
    assert!(nll <= 2.37, "mean NLL {nll}");
}
