//! The architecture as data: one validated [`ModelConfig`], built from [`ModelParams`] through
//! `TryFrom`. The float model, trainer, quantizer and golden model are generic over it.

use crate::error::check_range;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Unvalidated sizes, as they come from the command line or a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelParams {
    pub vocab: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_layer: usize,
    pub block_size: usize,
    pub mlp_hidden: usize,
}

impl ModelParams {
    /// Karpathy's microgpt: vocab 27, n_embd 16, 4 heads, 1 layer, block 16, MLP 64.
    pub const MICROGPT: ModelParams = ModelParams { vocab: 27, n_embd: 16, n_head: 4, n_layer: 1, block_size: 16, mlp_hidden: 64 };
}

/// Validated sizes. Limits keep every integer rule of `numeric` inside its documented widths
/// (matmul accumulators in 32 bits need rows of at most 256 inputs; the online-softmax
/// accumulator in 32 bits needs at most 64 cached positions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ModelConfig {
    pub vocab: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_layer: usize,
    pub block_size: usize,
    pub mlp_hidden: usize,
}

impl TryFrom<ModelParams> for ModelConfig {
    type Error = Error;
    fn try_from(p: ModelParams) -> Result<Self> {
        check_range("vocab", p.vocab, 2, 256)?;
        check_range("n_embd", p.n_embd, 1, 256)?;
        check_range("n_head", p.n_head, 1, p.n_embd)?;
        if !p.n_embd.is_multiple_of(p.n_head) {
            return Err(Error::invalid("n_head", p.n_head, format!("allowed: a divisor of n_embd {}", p.n_embd)));
        }
        check_range("n_layer", p.n_layer, 1, 16)?;
        check_range("block_size", p.block_size, 1, 64)?;
        check_range("mlp_hidden", p.mlp_hidden, 1, 256)?;
        Ok(ModelConfig { vocab: p.vocab, n_embd: p.n_embd, n_head: p.n_head, n_layer: p.n_layer, block_size: p.block_size, mlp_hidden: p.mlp_hidden })
    }
}

impl ModelConfig {
    pub fn microgpt() -> Self {
        // The constant is within every limit above.
        ModelConfig::try_from(ModelParams::MICROGPT).unwrap_or_else(|e| panic!("MICROGPT params invalid: {e}"))
    }
    pub fn params(&self) -> ModelParams {
        ModelParams { vocab: self.vocab, n_embd: self.n_embd, n_head: self.n_head, n_layer: self.n_layer, block_size: self.block_size, mlp_hidden: self.mlp_hidden }
    }
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }
    /// The id of BOS, which starts and ends every name: the last id.
    pub fn bos(&self) -> usize {
        self.vocab - 1
    }
    /// Every weight matrix in microgpt.py's `state_dict` order: name, rows (outputs), cols.
    pub fn tensors(&self) -> Vec<(String, usize, usize)> {
        let (v, e, h) = (self.vocab, self.n_embd, self.mlp_hidden);
        let mut t = vec![("wte".to_string(), v, e), ("wpe".to_string(), self.block_size, e), ("lm_head".to_string(), v, e)];
        for i in 0..self.n_layer {
            for w in ["attn_wq", "attn_wk", "attn_wv", "attn_wo"] {
                t.push((format!("layer{i}.{w}"), e, e));
            }
            t.push((format!("layer{i}.mlp_fc1"), h, e));
            t.push((format!("layer{i}.mlp_fc2"), e, h));
        }
        t
    }
    pub fn num_params(&self) -> usize {
        self.tensors().iter().map(|(_, r, c)| r * c).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn microgpt_has_4192_parameters() {
        assert_eq!(ModelConfig::microgpt().num_params(), 4192);
    }
    #[test]
    fn heads_must_divide_width() {
        let e = ModelConfig::try_from(ModelParams { n_head: 3, ..ModelParams::MICROGPT }).unwrap_err();
        assert_eq!(e.to_string(), "n_head 3 is not allowed (allowed: a divisor of n_embd 16)");
        let e = ModelConfig::try_from(ModelParams { block_size: 65, ..ModelParams::MICROGPT }).unwrap_err();
        assert_eq!(e.to_string(), "block_size 65 is not allowed (allowed: 1..=64)");
    }
}
