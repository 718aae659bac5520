//! The memory map: where every tensor of a [`QuantModel`] lives in the store.
//!
//! Layout contract (a word is `R x C` int8 weights, `R` = `lanes`, `C` = `cols`; byte lane
//! `l = r * C + c` of a word is at bits `[8l +: 8]` of the read port; all banks are read at the
//! same address):
//! 1. Tensors are placed in the order of [`ModelConfig::tensors`]: `wte`, `wpe`, `lm_head`,
//!    then per layer `attn_wq`, `attn_wk`, `attn_wv`, `attn_wo`, `mlp_fc1`, `mlp_fc2`, back to
//!    back from address 0.
//! 2. A `rows x cols` tensor (row = one output, row-major in the model) is cut into
//!    `tiles = ceil(rows / R)` tiles of `R` rows and each tile into `chunks = ceil(cols / C)`
//!    words of `C` columns. Weight `w[row][col]` is at address
//!    `base + (row / R) * chunks + col / C`, byte lane `(row % R) * C + col % C`. A tile is
//!    `chunks` consecutive addresses. Lanes past the last row or column hold 0.
//!    With `C = 1` this is one weight per row and address: the beat a systolic array with `R`
//!    rows takes on `a_in`; with `C > 1` it is the `R x C` block the matrix unit multiplies
//!    with `C` elements of `x` in one cycle.
//! 3. Each tensor takes `tiles * chunks` addresses; the bank depth is the sum over tensors.
//! 4. The requant bank holds one 24-bit word per row of every tensor, in the same tensor
//!    order: row `r` of a tensor at `rq_base + r`, `mult` in bits 15..0, `shift` in 21..16.
//! 5. Weights are stored as two's-complement bytes.
//!
//! [`MemoryMap::locate`] and [`MemoryMap::describe`] are the two directions of rule 2/4; the
//! manifest carries the map as JSON ([`MemoryMap::to_json`]) so the controller and host tools
//! read addresses from it.
//!
//! [`ModelConfig::tensors`]: crate::model::ModelConfig::tensors

use super::config::{RomConfig, MAX_DEPTH, RQ_BITS, WEIGHT_BITS};
use crate::error::{Error, Result};
use crate::model::quant::QTensor;
use crate::model::QuantModel;
use serde::Serialize;

/// Where one tensor lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    /// First weight address.
    pub base: usize,
    /// `ceil(rows / R)`.
    pub tiles: usize,
    /// Words per tile, `ceil(cols / C)`.
    pub chunks: usize,
    /// Addresses taken: `tiles * chunks`.
    pub words: usize,
    /// First requant address.
    pub rq_base: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryMap {
    /// `R`: rows of a word.
    pub lanes: u32,
    /// `C`: columns of a word.
    pub cols: u32,
    /// Addresses per weight bank.
    pub depth: usize,
    pub addr_bits: u32,
    /// Words of the requant bank.
    pub rq_depth: usize,
    pub rq_addr_bits: u32,
    pub tensors: Vec<Placement>,
}

/// What one bank address holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot<'a> {
    /// `w[row][col]` of a tensor.
    Weight { tensor: &'a str, row: usize, col: usize },
    /// The requant of a tensor's row.
    Requant { tensor: &'a str, row: usize },
    /// A lane of a partial tile (holds 0).
    Padding { tensor: &'a str },
}

impl std::fmt::Display for Slot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Slot::Weight { tensor, row, col } => write!(f, "{tensor}[{row}][{col}]"),
            Slot::Requant { tensor, row } => write!(f, "requant of {tensor} row {row}"),
            Slot::Padding { tensor } => write!(f, "padding of {tensor}"),
        }
    }
}

/// Bits needed to address `depth` words (at least 1).
pub fn addr_bits(depth: usize) -> u32 {
    (usize::BITS - depth.saturating_sub(1).leading_zeros()).max(1)
}

/// The model's tensors in map order (rule 1).
pub fn tensors(q: &QuantModel) -> Vec<&QTensor> {
    let mut t = vec![&q.wte, &q.wpe, &q.lm_head];
    for l in &q.layers {
        t.extend([&l.wq, &l.wk, &l.wv, &l.wo, &l.fc1, &l.fc2]);
    }
    t
}

impl MemoryMap {
    /// The map of `shapes` (name, rows, cols) in order for `cfg`.
    pub fn new(cfg: &RomConfig, shapes: &[(String, usize, usize)]) -> Result<Self> {
        let (l, c) = (cfg.lanes as usize, cfg.cols as usize);
        let (mut base, mut rq_base) = (0, 0);
        let mut tensors = Vec::with_capacity(shapes.len());
        for (name, rows, cols) in shapes {
            let tiles = rows.div_ceil(l);
            let chunks = cols.div_ceil(c);
            let words = tiles * chunks;
            tensors.push(Placement { name: name.clone(), rows: *rows, cols: *cols, base, tiles, chunks, words, rq_base });
            base += words;
            rq_base += rows;
        }
        if base > MAX_DEPTH || rq_base > MAX_DEPTH {
            return Err(Error::invalid(
                "lanes",
                cfg.lanes,
                format!("the model needs {base} addresses per bank with this many lanes; allowed: at most {MAX_DEPTH}, use more lanes or cols"),
            ));
        }
        if base == 0 {
            return Err(Error::invalid("model", "with no weights", "allowed: a model with at least one weight"));
        }
        Ok(MemoryMap { lanes: cfg.lanes, cols: cfg.cols, depth: base, addr_bits: addr_bits(base), rq_depth: rq_base, rq_addr_bits: addr_bits(rq_base), tensors })
    }

    /// The map of a quantized model.
    pub fn of_model(cfg: &RomConfig, q: &QuantModel) -> Result<Self> {
        let shapes: Vec<_> = tensors(q).iter().map(|t| (t.name.clone(), t.rows, t.cols)).collect();
        Self::new(cfg, &shapes)
    }

    pub fn tensor(&self, name: &str) -> Option<&Placement> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Bytes of a word, `R * C`.
    pub fn word_bytes(&self) -> usize {
        (self.lanes * self.cols) as usize
    }

    /// [`MemoryMap::tensor`], or an error naming the tensors there are.
    pub fn placement(&self, name: &str) -> Result<&Placement> {
        self.tensor(name).ok_or_else(|| {
            let names: Vec<&str> = self.tensors.iter().map(|t| t.name.as_str()).collect();
            Error::invalid("tensor", name, format!("allowed: {}", names.join(", ")))
        })
    }

    /// Bytes per weight bank (see [`RomConfig::bank_bytes`]).
    pub fn bank_bytes(&self) -> usize {
        self.cols.min(super::config::MAX_BANK_BYTES) as usize
    }

    /// Number of weight banks; bank `b` holds byte lanes `b * bank_bytes ..` of every word.
    pub fn weight_banks(&self) -> usize {
        self.word_bytes() / self.bank_bytes()
    }

    /// (byte lane, address) of `w[row][col]` of tensor `t` (rule 2).
    pub fn locate(&self, t: &Placement, row: usize, col: usize) -> (usize, usize) {
        let (l, c) = (self.lanes as usize, self.cols as usize);
        ((row % l) * c + col % c, t.base + (row / l) * t.chunks + col / c)
    }

    /// What byte lane `lane` of the word at `addr` holds, or `None` past the end.
    pub fn describe(&self, lane: usize, addr: usize) -> Option<Slot<'_>> {
        let t = self.tensors.iter().find(|t| addr >= t.base && addr < t.base + t.words)?;
        let (l, c) = (self.lanes as usize, self.cols as usize);
        let off = addr - t.base;
        let row = (off / t.chunks) * l + lane / c;
        let col = (off % t.chunks) * c + lane % c;
        Some(if row < t.rows && col < t.cols { Slot::Weight { tensor: &t.name, row, col } } else { Slot::Padding { tensor: &t.name } })
    }

    /// What the requant bank holds at `addr`.
    pub fn describe_rq(&self, addr: usize) -> Option<Slot<'_>> {
        let t = self.tensors.iter().find(|t| addr >= t.rq_base && addr < t.rq_base + t.rows)?;
        Some(Slot::Requant { tensor: &t.name, row: addr - t.rq_base })
    }

    /// Bits of the whole image: weight banks plus the requant bank.
    pub fn bits(&self) -> u64 {
        self.word_bytes() as u64 * self.depth as u64 * WEIGHT_BITS as u64 + self.rq_depth as u64 * RQ_BITS as u64
    }

    /// The map as it goes into the manifest.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "layout": "w[r][k] of a tensor is at address base + (r / lanes) * chunks + k / cols, byte lane (r % lanes) * cols + k % cols (bits [8 lane +: 8] of data); requant of row r at rq_base + r",
            "lanes": self.lanes,
            "cols": self.cols,
            "weight_bits": WEIGHT_BITS,
            "depth": self.depth,
            "addr_bits": self.addr_bits,
            "rq_depth": self.rq_depth,
            "rq_addr_bits": self.rq_addr_bits,
            "rq_bits": RQ_BITS,
            "rq_fields": {"mult": [15, 0], "shift": [21, 16]},
            "tensors": self.tensors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes() -> Vec<(String, usize, usize)> {
        vec![("a".into(), 5, 3), ("b".into(), 4, 2)]
    }

    #[test]
    fn placement_follows_the_documented_rule() {
        let m = MemoryMap::new(&RomConfig::new(2).unwrap(), &shapes()).unwrap();
        // a: 3 tiles x 3 cols = 9 words; b: 2 tiles x 2 = 4 words.
        assert_eq!((m.depth, m.addr_bits, m.rq_depth, m.rq_addr_bits), (13, 4, 9, 4));
        let a = m.tensor("a").unwrap().clone();
        let b = m.tensor("b").unwrap().clone();
        assert_eq!((a.base, a.tiles, a.chunks, a.words, b.base, b.rq_base), (0, 3, 3, 9, 9, 5));
        assert_eq!(m.locate(&a, 3, 2), (1, 5));
        assert_eq!(m.locate(&b, 2, 1), (0, 12));
        assert_eq!(m.describe(1, 5), Some(Slot::Weight { tensor: "a", row: 3, col: 2 }));
        assert_eq!(m.describe(1, 7), Some(Slot::Padding { tensor: "a" }));
        assert_eq!(m.describe(0, 13), None);
        assert_eq!(m.describe_rq(6).map(|s| s.to_string()).as_deref(), Some("requant of b row 1"));
        assert_eq!(m.placement("c").unwrap_err().to_string(), "tensor c is not allowed (allowed: a, b)");
        assert_eq!(m.bits(), 2 * 13 * 8 + 9 * 24);
    }

    #[test]
    fn r_x_c_words_follow_the_documented_rule() {
        // a: 5 x 3 in 2 x 2 words: 3 tiles x 2 chunks; b: 4 x 2: 2 tiles x 1 chunk.
        let m = MemoryMap::new(&RomConfig::rc(2, 2).unwrap(), &shapes()).unwrap();
        let a = m.tensor("a").unwrap().clone();
        let b = m.tensor("b").unwrap().clone();
        assert_eq!((a.tiles, a.chunks, a.words, b.base, b.words, m.depth), (3, 2, 6, 6, 2, 8));
        // w[3][2]: tile 1, chunk 1, lane (3 % 2) * 2 + 2 % 2 = 2.
        assert_eq!(m.locate(&a, 3, 2), (2, 3));
        assert_eq!(m.describe(2, 3), Some(Slot::Weight { tensor: "a", row: 3, col: 2 }));
        // Column 3 of a does not exist (padding lane 3 of chunk 1), nor does row 5.
        assert_eq!(m.describe(3, 3), Some(Slot::Padding { tensor: "a" }));
        assert_eq!(m.describe(2, 5), Some(Slot::Padding { tensor: "a" }));
        assert_eq!(m.bits(), 4 * 8 * 8 + 9 * 24);
    }

    #[test]
    fn locate_and_describe_are_inverse_for_every_weight() {
        for (lanes, cols) in [(1, 1), (3, 1), (4, 1), (7, 1), (2, 2), (1, 4), (4, 2), (3, 5), (16, 16)] {
            let m = MemoryMap::new(&RomConfig::rc(lanes, cols).unwrap(), &shapes()).unwrap();
            let mut seen = std::collections::BTreeSet::new();
            for t in &m.tensors {
                for r in 0..t.rows {
                    for k in 0..t.cols {
                        let (lane, addr) = m.locate(t, r, k);
                        assert!(seen.insert((lane, addr)), "two weights at lane {lane} address {addr}");
                        assert_eq!(m.describe(lane, addr), Some(Slot::Weight { tensor: &t.name, row: r, col: k }));
                    }
                }
            }
        }
    }

    #[test]
    fn addr_bits_edges() {
        assert_eq!([addr_bits(1), addr_bits(2), addr_bits(3), addr_bits(1024), addr_bits(1025)], [1, 1, 2, 10, 11]);
    }
}
