//! The compiler proven before any hardware: the instruction-level interpreter of the compiled
//! per-token program (weights read only from the compiled R x C store image) equals
//! `Golden::step` logits bit for bit at every step of many names, for MicroGPT and for 2-layer,
//! wider (n_embd 32, 8 heads) and longer-context (block 32) variants, over many R x C shapes.

use llmpu::cli::model::ModelArgs;
use llmpu::lpu::{Compiled, Interpreter, LpuConfig, LpuParams};
use llmpu::model::train::init_model;
use llmpu::model::{Golden, ModelConfig, ModelParams, QuantModel, Tokenizer};
use llmpu::numeric::{sample, Temperature, XorShift32};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn microgpt() -> QuantModel {
    QuantModel::from_float(&ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap()
}

/// A model of `p`'s shape with seeded N(0, 0.08) weights (what the trainer starts from).
fn random_model(p: ModelParams, seed: u64) -> QuantModel {
    let cfg = ModelConfig::try_from(p).unwrap();
    let f = init_model(cfg, Tokenizer::letters(p.vocab - 1), &mut ChaCha8Rng::seed_from_u64(seed));
    QuantModel::from_float(&f).unwrap()
}

fn cfg(q: &QuantModel, r: usize, c: usize) -> LpuConfig {
    LpuConfig::try_from(LpuParams::new(q.cfg, r, c, "ecp5-85k")).unwrap()
}

/// Runs `names` names through both, sampling from the golden logits; returns the first
/// difference as a message, or the number of steps compared.
fn compare(q: &QuantModel, comp: &Compiled, names: usize, seed: u64) -> Result<usize, String> {
    let mut g = Golden::new(q);
    let mut it = Interpreter::new(comp);
    let t = Temperature::try_from(1.0).unwrap();
    let (mut rng, mut rng2) = (XorShift32::new(seed), XorShift32::new(seed));
    let bos = q.cfg.bos();
    let mut steps = 0;
    for n in 0..names {
        g.reset();
        it.reset();
        let mut tok = bos;
        for s in 0..q.cfg.block_size {
            let want = g.step(tok).unwrap().to_vec();
            let got_tok = it.step(tok, Some((t.k, &mut rng2))).unwrap();
            if it.logits() != want.as_slice() {
                return Err(format!("name {n} step {s}: logits {:?} != golden {:?}", it.logits(), want));
            }
            steps += 1;
            tok = sample(&want, q.fmt.logit, t, &mut rng);
            if got_tok != Some(tok) {
                return Err(format!("name {n} step {s}: sampled {got_tok:?} != {tok}"));
            }
            if tok == bos {
                break;
            }
        }
    }
    Ok(steps)
}

#[test]
fn microgpt_program_equals_golden_on_every_shape() {
    let q = microgpt();
    for (r, c) in [(1, 1), (2, 2), (4, 4), (8, 8), (16, 16), (2, 8), (16, 1), (4, 16)] {
        let comp = Compiled::new(&cfg(&q, r, c), &q).unwrap();
        let steps = compare(&q, &comp, 30, r as u64 * 100 + c as u64).unwrap_or_else(|e| panic!("{r}x{c}: {e}"));
        assert!(steps >= 100, "{r}x{c}: only {steps} steps");
    }
}

#[test]
fn variants_compile_and_equal_golden() {
    let m = ModelParams::MICROGPT;
    let variants = [
        ("2 layers", ModelParams { n_layer: 2, ..m }),
        ("wide", ModelParams { n_embd: 32, n_head: 8, mlp_hidden: 128, ..m }),
        ("long", ModelParams { block_size: 32, ..m }),
        ("odd sizes", ModelParams { n_embd: 12, n_head: 3, mlp_hidden: 40, n_layer: 3, block_size: 20, ..m }),
    ];
    for (i, (what, p)) in variants.into_iter().enumerate() {
        let q = random_model(p, 11 + i as u64);
        for (r, c) in [(2, 2), (4, 4), (8, 8), (4, 16)] {
            let comp = Compiled::new(&cfg(&q, r, c), &q).unwrap();
            compare(&q, &comp, 12, 5 + i as u64).unwrap_or_else(|e| panic!("{what} {r}x{c}: {e}"));
        }
    }
}

#[test]
fn a_flipped_weight_bit_is_detected() {
    let q = microgpt();
    let mut comp = Compiled::new(&cfg(&q, 4, 4), &q).unwrap();
    compare(&q, &comp, 5, 1).unwrap();
    // lm_head row 0, column 0: the sign bit.
    let lm = comp.map.tensors[2].clone();
    let (word, lane) = comp.map.locate(&lm, 0, 0);
    comp.flip_weight_bit(word, lane, 7).unwrap();
    let e = compare(&q, &comp, 5, 1).unwrap_err();
    assert!(e.starts_with("name 0 step 0: logits ["), "{e}");
}

#[test]
fn listing_names_every_instruction() {
    let q = microgpt();
    let comp = Compiled::new(&cfg(&q, 4, 4), &q).unwrap();
    insta::assert_snapshot!(comp.listing());
}
