//! The ROM image (the contents of every bank) built from a [`QuantModel`] through the
//! [`MemoryMap`], and [`StoreModel`], the cycle-exact model of the store's read ports.
//!
//! Banks `0..lanes` are the weight banks (8-bit words, two's-complement bytes), bank `lanes`
//! is the requant bank (24-bit words). Bank names in Verilog and reports: `w<lane>` and `rq`.

use super::config::{RQ_BITS, WEIGHT_BITS};
use super::map::{tensors, MemoryMap, Slot};
use crate::model::QuantModel;
use crate::numeric::Requant;

/// The contents of one bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankImage {
    /// `w0`, `w1`, ... or `rq`.
    pub name: String,
    pub width: u32,
    pub addr_bits: u32,
    pub words: Vec<u64>,
}

/// Every bank's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomImage {
    pub banks: Vec<BankImage>,
}

/// The 24-bit requant word of rule 4 of the map.
pub fn rq_word(rq: &Requant) -> u64 {
    rq.mult as u64 | ((rq.shift as u64 & 0x3f) << 16)
}

impl RomImage {
    /// Places every weight and requant of `q` where `map` says.
    pub fn build(map: &MemoryMap, q: &QuantModel) -> Self {
        let lanes = map.lanes as usize;
        let mut banks: Vec<BankImage> = (0..lanes)
            .map(|l| BankImage { name: format!("w{l}"), width: WEIGHT_BITS, addr_bits: map.addr_bits, words: vec![0; map.depth] })
            .collect();
        let mut rq = BankImage { name: "rq".into(), width: RQ_BITS, addr_bits: map.rq_addr_bits, words: vec![0; map.rq_depth] };
        for (t, p) in tensors(q).into_iter().zip(&map.tensors) {
            for r in 0..t.rows {
                for (k, &w) in t.row(r).iter().enumerate() {
                    let (lane, addr) = map.locate(p, r, k);
                    banks[lane].words[addr] = w as u8 as u64;
                }
                rq.words[p.rq_base + r] = rq_word(&t.rq[r]);
            }
        }
        banks.push(rq);
        RomImage { banks }
    }

    /// Number of weight banks (the requant bank is the last bank).
    pub fn lanes(&self) -> usize {
        self.banks.len() - 1
    }

    /// What `map` says bank `bank` holds at `addr`, for messages.
    pub fn describe(&self, map: &MemoryMap, bank: usize, addr: usize) -> String {
        let slot: Option<Slot> = if bank < self.lanes() { map.describe(bank, addr) } else { map.describe_rq(addr) };
        slot.map(|s| s.to_string()).unwrap_or_else(|| "nothing".into())
    }
}

/// Cycle model of the store's two read ports (weights and requant), the contract of
/// [`super::top`]:
/// on a rising edge with `en` high, `data` takes the words at `addr` (lane `i` in bits
/// `8i+7..8i`) and `valid` goes high; with `en` low `data` holds and `valid` goes low; `reset`
/// clears `valid` only (block RAM outputs have no reset). Same for `rq_en`/`rq_addr`/`rq_data`/
/// `rq_valid`. Reads past the depth are undefined and not modelled.
#[derive(Debug, Clone)]
pub struct StoreModel<'a> {
    pub image: &'a RomImage,
    /// Lane words of the last read (None before the first read).
    pub data: Option<Vec<u64>>,
    pub valid: bool,
    pub rq_data: Option<u64>,
    pub rq_valid: bool,
}

impl<'a> StoreModel<'a> {
    pub fn new(image: &'a RomImage) -> Self {
        StoreModel { image, data: None, valid: false, rq_data: None, rq_valid: false }
    }

    /// One rising clock edge.
    pub fn tick(&mut self, reset: bool, en: bool, addr: usize, rq_en: bool, rq_addr: usize) {
        let lanes = self.image.lanes();
        if en {
            self.data = Some(self.image.banks[..lanes].iter().map(|b| b.words[addr]).collect());
        }
        if rq_en {
            self.rq_data = Some(self.image.banks[lanes].words[rq_addr]);
        }
        self.valid = en && !reset;
        self.rq_valid = rq_en && !reset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::rom::RomConfig;

    #[test]
    fn every_weight_of_the_default_model_is_where_the_map_says() {
        let q = crate::rtl::rom::tests::default_model();
        let map = MemoryMap::of_model(&RomConfig::new(4).unwrap(), &q).unwrap();
        let img = RomImage::build(&map, &q);
        assert_eq!(img.banks.len(), 5);
        let wq = map.tensor("layer0.attn_wq").unwrap();
        assert_eq!(img.banks[1].words[wq.base + 2 * wq.cols + 7], q.layers[0].wq.row(9)[7] as u8 as u64);
        let fc2 = map.tensor("layer0.mlp_fc2").unwrap();
        assert_eq!(img.banks[4].words[fc2.rq_base + 3], rq_word(&q.layers[0].fc2.rq[3]));
        assert_eq!(img.describe(&map, 1, wq.base + 2 * wq.cols + 7), "layer0.attn_wq[9][7]");
        // Each weight appears once: the non-padding bytes are a permutation of the model's.
        let mut from_image: Vec<u8> = Vec::new();
        for (lane, b) in img.banks[..4].iter().enumerate() {
            for (a, w) in b.words.iter().enumerate() {
                if matches!(map.describe(lane, a), Some(Slot::Weight { .. })) {
                    from_image.push(*w as u8);
                }
            }
        }
        let mut from_model: Vec<u8> = tensors(&q).iter().flat_map(|t| t.data.iter().map(|&w| w as u8)).collect();
        from_image.sort_unstable();
        from_model.sort_unstable();
        assert_eq!(from_image, from_model);
        assert_eq!(from_model.len(), 4192);
    }

    #[test]
    fn store_model_holds_without_enable_and_reset_clears_valid() {
        let img = RomImage {
            banks: vec![
                BankImage { name: "w0".into(), width: 8, addr_bits: 1, words: vec![7, 9] },
                BankImage { name: "rq".into(), width: 24, addr_bits: 1, words: vec![1, 2] },
            ],
        };
        let mut m = StoreModel::new(&img);
        m.tick(false, true, 1, false, 0);
        assert_eq!((m.data.clone(), m.valid, m.rq_valid), (Some(vec![9]), true, false));
        m.tick(false, false, 0, true, 1);
        assert_eq!((m.data.clone(), m.valid, m.rq_data, m.rq_valid), (Some(vec![9]), false, Some(2), true));
        m.tick(true, true, 0, true, 0);
        assert_eq!((m.data.clone(), m.valid, m.rq_valid), (Some(vec![7]), false, false));
    }
}
