//! The attention unit's one validated configuration. Every artefact of the unit (Verilog,
//! manifest, driver, synthesis wrapper, docs tables) is derived from an [`AttentionConfig`].

use crate::error::{check_range, Error, Result};
use crate::model::quant::Formats;
use crate::numeric::SCORE_FRAC;
use serde::{Deserialize, Serialize};

/// Largest head dimension (elements of q, k, v per head).
pub const MAX_HEAD_DIM: u32 = 64;
/// Largest number of heads.
pub const MAX_HEADS: u32 = 64;
/// Largest context: the numeric module bounds the online-softmax state for at most 64 positions
/// (`l <= 64 * 2^15`, `|acc| <= 64 * 2^23`, see docs/numerics.md).
pub const MAX_CONTEXT: u32 = 64;
/// Largest number of layers (one KV cache each, in the same memories).
pub const MAX_LAYERS: u32 = super::control::MAX_LAYERS as u32;
/// Largest fraction-bit count of q or k.
pub const MAX_FRAC: u32 = 15;

/// A validated attention unit: `heads` heads of `head_dim` signed 16-bit elements, a KV cache of
/// `context` positions, `lanes` heads processed in parallel (`lanes` divides `heads`), queries
/// with `q_frac` and keys with `k_frac` fraction bits (values and outputs share one format),
/// `layers` independent caches (one per transformer layer) in the same memories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionConfig {
    pub head_dim: u32,
    pub heads: u32,
    pub context: u32,
    pub lanes: u32,
    pub q_frac: u32,
    pub k_frac: u32,
    #[serde(default = "one")]
    pub layers: u32,
    /// Head elements processed per cycle (divides `head_dim`; `head_dim` = all at once).
    #[serde(default)]
    pub elements_per_cycle: u32,
    /// Independent sequences sharing the unit ([`Self::with_contexts`]): `layers` counts every
    /// sequence's layers, sequence `c` owns layers `c * layers / contexts ..`; `clear` has one
    /// bit per sequence, emptying only that sequence's caches.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub contexts: u32,
}

fn one() -> u32 {
    1
}

fn is_one(v: &u32) -> bool {
    *v == 1
}

/// Unvalidated parameters as a user gives them; turn into an [`AttentionConfig`] with `try_from`.
#[derive(Debug, Clone, Copy)]
pub struct AttentionParams {
    pub head_dim: u32,
    pub heads: u32,
    pub context: u32,
    pub lanes: u32,
    pub q_frac: u32,
    pub k_frac: u32,
    pub layers: u32,
    /// Head elements per cycle; 0 means `head_dim` (all at once, the default).
    pub elements_per_cycle: u32,
}

impl Default for AttentionParams {
    /// The MicroGPT shape: head_dim 4, 4 heads, context 16, one lane, the model's formats, one layer.
    fn default() -> Self {
        AttentionParams { head_dim: 4, heads: 4, context: 16, lanes: 1, q_frac: Formats::DEFAULT.q, k_frac: Formats::DEFAULT.k, layers: 1, elements_per_cycle: 0 }
    }
}

impl TryFrom<AttentionParams> for AttentionConfig {
    type Error = Error;
    fn try_from(p: AttentionParams) -> Result<Self> {
        check_range("head-dim", p.head_dim, 1, MAX_HEAD_DIM)?;
        check_range("heads", p.heads, 1, MAX_HEADS)?;
        check_range("context", p.context, 1, MAX_CONTEXT)?;
        check_range("lanes", p.lanes, 1, p.heads)?;
        if !p.heads.is_multiple_of(p.lanes) {
            let ok: Vec<String> = (1..=p.heads).filter(|&l| p.heads.is_multiple_of(l)).map(|l| l.to_string()).collect();
            return Err(Error::invalid("lanes", p.lanes, format!("must divide heads = {} (allowed: {})", p.heads, ok.join(", "))));
        }
        check_range("layers", p.layers, 1, MAX_LAYERS)?;
        let epc = if p.elements_per_cycle == 0 { p.head_dim } else { p.elements_per_cycle };
        check_range("elements-per-cycle", epc, 1, p.head_dim)?;
        if !p.head_dim.is_multiple_of(epc) {
            let ok: Vec<String> = (1..=p.head_dim).filter(|&e| p.head_dim.is_multiple_of(e)).map(|e| e.to_string()).collect();
            return Err(Error::invalid(
                "elements-per-cycle",
                epc,
                format!("must divide head-dim = {} (allowed: {})", p.head_dim, ok.join(", ")),
            ));
        }
        check_range("q-frac", p.q_frac, 0, MAX_FRAC)?;
        check_range("k-frac", p.k_frac, 0, MAX_FRAC)?;
        if p.q_frac + p.k_frac < SCORE_FRAC {
            return Err(Error::invalid(
                "q-frac + k-frac",
                p.q_frac + p.k_frac,
                format!("must be at least {SCORE_FRAC} (scores keep {SCORE_FRAC} fraction bits)"),
            ));
        }
        Ok(AttentionConfig { head_dim: p.head_dim, heads: p.heads, context: p.context, lanes: p.lanes, q_frac: p.q_frac, k_frac: p.k_frac, layers: p.layers, elements_per_cycle: epc, contexts: 1 })
    }
}

/// ceil(log2 n), at least 1.
pub fn bits_for(n: u32) -> u32 {
    let mut b = 1;
    while (1u32 << b) < n {
        b += 1;
    }
    b
}

impl AttentionConfig {
    /// A unit with the model's default formats.
    pub fn new(head_dim: u32, heads: u32, context: u32, lanes: u32) -> Result<Self> {
        AttentionParams { head_dim, heads, context, lanes, ..Default::default() }.try_into()
    }

    /// The unit shared by `b` independent sequences (the batched core, docs/lpu.md): `b` times
    /// the layers (sequence `c`'s layer `y` is `c * layers + y`) and a `clear` bit per sequence.
    pub fn with_contexts(self, b: u32) -> Result<Self> {
        check_range("sequences x layers", self.layers * b, 1, MAX_LAYERS)?;
        check_range("sequences", b, 1, MAX_LAYERS)?;
        Ok(AttentionConfig { layers: self.layers * b, contexts: self.contexts * b, ..self })
    }

    /// Layers of one sequence: `layers / contexts`.
    pub fn layers_per_context(&self) -> u32 {
        self.layers / self.contexts
    }

    /// Name of the emitted top module, e.g. `llmpu_attention_d4h4t16l1` (`_y2` appended for 2
    /// layers, `_b2` for 2 sequences).
    pub fn top_name(&self) -> String {
        let d = AttentionParams::default();
        let fmt = if (self.q_frac, self.k_frac) == (d.q_frac, d.k_frac) { String::new() } else { format!("_q{}k{}", self.q_frac, self.k_frac) };
        let lay = if self.layers == 1 { String::new() } else { format!("_y{}", self.layers) };
        let epc = if self.chunks() == 1 { String::new() } else { format!("_e{}", self.elements_per_cycle) };
        let ctx = if self.contexts == 1 { String::new() } else { format!("_b{}", self.contexts) };
        format!("llmpu_attention_d{}h{}t{}l{}{fmt}{lay}{epc}{ctx}", self.head_dim, self.heads, self.context, self.lanes)
    }

    /// Head groups processed one after the other: heads / lanes.
    pub fn groups(&self) -> u32 {
        self.heads / self.lanes
    }

    /// The score shift of [`crate::numeric::score`]: q_frac + k_frac - 8.
    pub fn score_shift(&self) -> u32 {
        self.q_frac + self.k_frac - SCORE_FRAC
    }

    /// Width of `kv_group`, `q_group`, `out_group`: max(1, ceil(log2 groups)).
    pub fn group_bits(&self) -> u32 {
        bits_for(self.groups())
    }

    /// Bits of a position in the cache: max(1, ceil(log2 context)).
    pub fn pos_bits(&self) -> u32 {
        bits_for(self.context)
    }

    /// Width of `kv_layer` and `q_layer`: max(1, ceil(log2 layers)).
    pub fn layer_bits(&self) -> u32 {
        bits_for(self.layers)
    }

    /// Layer bits of the memory address: ceil(log2 layers), 0 for one layer.
    pub fn layer_addr_bits(&self) -> u32 {
        if self.layers == 1 {
            0
        } else {
            bits_for(self.layers)
        }
    }

    /// Address bits of each KV memory: layer bits + group bits + position bits
    /// (address = (layer * 2^group_bits + group) * 2^pos_bits + position).
    pub fn addr_bits(&self) -> u32 {
        self.layer_addr_bits() + self.group_bits() + self.pos_bits()
    }

    /// Width of the `cache_len` output: enough for 0..=context.
    pub fn len_bits(&self) -> u32 {
        bits_for(self.context + 1)
    }

    /// Width of one head group on `kv_k`, `kv_v`, `q_in` and `out`: lanes * head_dim * 16.
    pub fn group_width(&self) -> u32 {
        self.lanes * self.head_dim * 16
    }

    /// Cycles per cached position: head_dim / elements_per_cycle (1 = a position per cycle).
    pub fn chunks(&self) -> u32 {
        self.head_dim / self.elements_per_cycle
    }

    /// Width of a chunk index: max(1, ceil(log2 chunks)).
    pub fn chunk_bits(&self) -> u32 {
        bits_for(self.chunks())
    }

    /// The constant part of the query latency, `2P + 7` (P = chunks; 9 when P = 1): from the last
    /// read of a query, its data (1), the pair products' register (1), the score register (1),
    /// the compare and exp register (1),
    /// the updates of the last position (P), the reciprocal's two stages (2), the division's
    /// products (P) and the registered product's rounding shift (1), whose last chunk's output
    /// register is `out_valid`.
    pub fn pipeline(&self) -> u32 {
        2 * self.chunks() + 7
    }

    /// Cycles from the acceptance of a query beat to its `out_valid`, for a cache of `len`
    /// positions: `len * P + 2P + 7` (P = chunks; `len + 9` with all elements per cycle).
    pub fn query_latency(&self, len: u32) -> u32 {
        len * self.chunks() + self.pipeline()
    }

    /// Minimum cycles between two accepted query beats: the unit is busy for `len * P` cycles
    /// after one, and takes no query in the cycle after that (a kv beat it takes).
    pub fn query_interval(&self, len: u32) -> u32 {
        len * self.chunks() + 2
    }

    /// Cycles of one whole token fed back to back, from its first kv beat to its last output
    /// inclusive, with `len` positions cached including its own: per layer `groups` kv beats and
    /// `groups` queries [`Self::query_interval`] apart, the last one `len * P + 1` cycles before
    /// the next layer's kv beats (no gap before a kv beat), layer after layer, and the last
    /// query's latency: `layers * (groups * (len * P + 3) - 1) + 2P + 7`.
    pub fn token_cycles(&self, len: u32) -> u32 {
        self.layers * (self.groups() * (len * self.chunks() + 3) - 1) + self.pipeline()
    }

    /// 16 x 16 multipliers of the unit: per lane and element processed per cycle (E), one for the
    /// dot product and 3 for the accumulator (32 x 16 rescale/divide as two, p x v as one), and 3
    /// for the head state (32 x 16 rescale of `l` as two, the reciprocal's interpolation as one):
    /// `lanes * (4E + 3)`.
    pub fn multipliers(&self) -> u32 {
        self.lanes * (4 * self.elements_per_cycle + 3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(head_dim: u32, heads: u32, context: u32, lanes: u32) -> AttentionParams {
        AttentionParams { head_dim, heads, context, lanes, ..Default::default() }
    }

    #[test]
    fn errors_name_the_value_and_what_is_allowed() {
        let e = |x: AttentionParams| AttentionConfig::try_from(x).unwrap_err().to_string();
        assert_eq!(e(p(0, 4, 16, 1)), "head-dim 0 is not allowed (allowed: 1..=64)");
        assert_eq!(e(p(4, 4, 65, 1)), "context 65 is not allowed (allowed: 1..=64)");
        assert_eq!(e(p(4, 4, 16, 3)), "lanes 3 is not allowed (must divide heads = 4 (allowed: 1, 2, 4))");
        assert_eq!(e(p(4, 4, 16, 8)), "lanes 8 is not allowed (allowed: 1..=4)");
        assert_eq!(e(AttentionParams { layers: 0, ..p(4, 4, 16, 1) }), "layers 0 is not allowed (allowed: 1..=16)");
        assert_eq!(e(AttentionParams { layers: 17, ..p(4, 4, 16, 1) }), "layers 17 is not allowed (allowed: 1..=16)");
        assert_eq!(
            e(AttentionParams { elements_per_cycle: 3, ..p(4, 4, 16, 1) }),
            "elements-per-cycle 3 is not allowed (must divide head-dim = 4 (allowed: 1, 2, 4))"
        );
        assert_eq!(e(AttentionParams { elements_per_cycle: 5, ..p(4, 4, 16, 1) }), "elements-per-cycle 5 is not allowed (allowed: 1..=4)");
        assert_eq!(
            e(AttentionParams { q_frac: 2, k_frac: 3, ..p(4, 4, 16, 1) }),
            "q-frac + k-frac 5 is not allowed (must be at least 8 (scores keep 8 fraction bits))"
        );
    }

    #[test]
    fn derived_numbers() {
        let c = AttentionConfig::new(4, 4, 16, 2).unwrap();
        assert_eq!(c.top_name(), "llmpu_attention_d4h4t16l2");
        assert_eq!((c.groups(), c.group_bits(), c.pos_bits(), c.addr_bits(), c.len_bits()), (2, 1, 4, 5, 5));
        assert_eq!(c.score_shift(), 12);
        assert_eq!(c.group_width(), 128);
        assert_eq!((c.layer_bits(), c.layer_addr_bits()), (1, 0));
        assert_eq!(c.token_cycles(3), 2 * 6 - 1 + 9);
        let c3 = AttentionConfig::try_from(AttentionParams { layers: 3, ..p(4, 4, 16, 2) }).unwrap();
        assert_eq!(c3.top_name(), "llmpu_attention_d4h4t16l2_y3");
        assert_eq!((c3.layer_bits(), c3.layer_addr_bits(), c3.addr_bits()), (2, 2, 7));
        assert_eq!(c3.token_cycles(3), 3 * (2 * 6 - 1) + 9);
        assert_eq!((c.chunks(), c.pipeline(), c.multipliers(), c.query_latency(3)), (1, 9, 2 * 19, 12));
        let s = AttentionConfig::try_from(AttentionParams { elements_per_cycle: 1, ..p(4, 4, 16, 1) }).unwrap();
        assert_eq!(s.top_name(), "llmpu_attention_d4h4t16l1_e1");
        assert_eq!((s.chunks(), s.chunk_bits(), s.pipeline(), s.multipliers()), (4, 2, 15, 7));
        assert_eq!((s.query_latency(3), s.query_interval(3), s.token_cycles(3)), (27, 14, 4 * 15 - 1 + 15));
        assert_eq!(bits_for(1), 1);
        assert_eq!(bits_for(17), 5);
    }
}
