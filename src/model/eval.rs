//! Scoring and sampling, for both models. The score of a file is the mean per-token NLL over
//! every predicted token of every line, each line framed as `[BOS, chars..., BOS]` and cut to
//! `block_size` predictions, exactly the positions microgpt.py's training loss covers; the mean
//! is over tokens (not over lines).

use super::float::{nll, FloatModel, FloatRunner};
use super::golden::Golden;
use super::quant::QuantModel;
use super::tokenizer::Tokenizer;
use crate::numeric::{sample, Temperature, XorShift32};
use crate::Result;

/// Mean per-token negative log-likelihood (nats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nll {
    pub mean: f64,
    pub tokens: usize,
    pub docs: usize,
}

pub fn encode_docs(tok: &Tokenizer, docs: &[String]) -> Result<Vec<Vec<usize>>> {
    docs.iter().map(|d| tok.encode(d)).collect()
}

pub fn nll_float(m: &FloatModel, docs: &[Vec<usize>]) -> Nll {
    let mut r = FloatRunner::new(m.cfg);
    let (mut sum, mut n) = (0.0, 0);
    for d in docs {
        r.reset();
        for t in 0..(d.len() - 1).min(m.cfg.block_size) {
            let l = r.step(m, d[t]);
            sum += nll(l.iter().map(|&x| x as f64), d[t + 1]);
            n += 1;
        }
    }
    Nll { mean: sum / n.max(1) as f64, tokens: n, docs: docs.len() }
}

/// NLL of the integer logits read as real numbers (`logit / 2^logit_frac`).
pub fn nll_quant(q: &QuantModel, docs: &[Vec<usize>]) -> Result<Nll> {
    let mut g = Golden::new(q);
    let sc = 1.0 / 2f64.powi(q.fmt.logit as i32);
    let (mut sum, mut n) = (0.0, 0);
    for d in docs {
        g.reset();
        for t in 0..(d.len() - 1).min(q.cfg.block_size) {
            let l = g.step(d[t])?;
            sum += nll(l.iter().map(|&x| x as f64 * sc), d[t + 1]);
            n += 1;
        }
    }
    Ok(Nll { mean: sum / n.max(1) as f64, tokens: n, docs: docs.len() })
}

/// One name from the integer model: BOS first, then sampled tokens until BOS or `block_size`.
pub fn sample_quant(g: &mut Golden, q: &QuantModel, t: Temperature, rng: &mut XorShift32) -> Result<String> {
    g.reset();
    let mut tok = q.cfg.bos();
    let mut s = String::new();
    for _ in 0..q.cfg.block_size {
        let l = g.step(tok)?;
        tok = sample(l, q.fmt.logit, t, rng);
        if tok == q.cfg.bos() {
            break;
        }
        s.extend(q.tok.char(tok));
    }
    Ok(s)
}

/// Float sampling: softmax(logits / T) in f64, `u = (next_u32() >> 8) / 2^24`, the first token
/// whose cumulative probability exceeds `u`; greedy takes the first largest logit.
pub fn sample_float_token(logits: &[f32], t: Temperature, rng: &mut XorShift32) -> usize {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    if t.value == 0.0 {
        return best;
    }
    let mx = logits[best] as f64;
    let sum: f64 = logits.iter().map(|&l| ((l as f64 - mx) / t.value).exp()).sum();
    let u = (rng.next_u32() >> 8) as f64 / (1u64 << 24) as f64 * sum;
    let mut cum = 0.0;
    for (i, &l) in logits.iter().enumerate() {
        cum += ((l as f64 - mx) / t.value).exp();
        if cum > u {
            return i;
        }
    }
    logits.len() - 1
}

pub fn sample_float(r: &mut FloatRunner, m: &FloatModel, t: Temperature, rng: &mut XorShift32) -> String {
    r.reset();
    let mut tok = m.cfg.bos();
    let mut s = String::new();
    for _ in 0..m.cfg.block_size {
        let l = r.step(m, tok);
        tok = sample_float_token(l, t, rng);
        if tok == m.cfg.bos() {
            break;
        }
        s.extend(m.tok.char(tok));
    }
    s
}
