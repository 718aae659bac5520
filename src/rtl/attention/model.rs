//! The bit-exact reference of the attention unit, glued to [`crate::numeric`] (no arithmetic
//! of its own): a token's output for head h is `numeric::attention_head` over the cached
//! positions `0..=t`; and the f64 softmax attention used to measure the unit's error.

use super::AttentionConfig;
use crate::numeric::attention_head;

/// One token's query, key and value for every head: `q[h][e]`, `k[h][e]`, `v[h][e]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub q: Vec<Vec<i16>>,
    pub k: Vec<Vec<i16>>,
    pub v: Vec<Vec<i16>>,
}

/// The output of every token of a sequence (`out[t][h][e]`), each token attending to positions
/// `0..=t` of the same sequence: exactly what the unit must produce.
pub fn expected(cfg: &AttentionConfig, tokens: &[Token]) -> Vec<Vec<Vec<i16>>> {
    let heads = cfg.heads as usize;
    (0..tokens.len())
        .map(|t| {
            (0..heads)
                .map(|h| {
                    let keys: Vec<Vec<i16>> = tokens[..=t].iter().map(|x| x.k[h].clone()).collect();
                    let vals: Vec<Vec<i16>> = tokens[..=t].iter().map(|x| x.v[h].clone()).collect();
                    attention_head(&tokens[t].q[h], &keys, &vals, cfg.q_frac, cfg.k_frac)
                })
                .collect()
        })
        .collect()
}

/// Real-valued softmax attention of one head on the same integers: scores
/// `q.k / 2^(q_frac + k_frac)` are base-2 logits (the query carries `log2(e)/sqrt(head_dim)`),
/// weights `2^s / sum 2^s`, output `sum w v` in the value format's integer units.
pub fn f64_head(q: &[i16], keys: &[Vec<i16>], values: &[Vec<i16>], q_frac: u32, k_frac: u32) -> Vec<f64> {
    let scale = 2f64.powi(-((q_frac + k_frac) as i32));
    let s: Vec<f64> = keys.iter().map(|k| q.iter().zip(k).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>() * scale).collect();
    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = s.iter().map(|x| (x - m).exp2()).collect();
    let z: f64 = w.iter().sum();
    (0..q.len()).map(|e| w.iter().zip(values).map(|(wj, v)| wj * v[e] as f64).sum::<f64>() / z).collect()
}

/// `f64_head` for every token and head of a sequence (`out[t][h][e]`).
pub fn expected_f64(cfg: &AttentionConfig, tokens: &[Token]) -> Vec<Vec<Vec<f64>>> {
    (0..tokens.len())
        .map(|t| {
            (0..cfg.heads as usize)
                .map(|h| {
                    let keys: Vec<Vec<i16>> = tokens[..=t].iter().map(|x| x.k[h].clone()).collect();
                    let vals: Vec<Vec<i16>> = tokens[..=t].iter().map(|x| x.v[h].clone()).collect();
                    f64_head(&tokens[t].q[h], &keys, &vals, cfg.q_frac, cfg.k_frac)
                })
                .collect()
        })
        .collect()
}
