//! The ROM image (the contents of every bank) built from a [`QuantModel`] through the
//! [`MemoryMap`], and [`StoreModel`], the cycle-exact model of the store's read ports.
//!
//! Banks `0..B` are the weight banks, bank `B` the requant bank (24-bit words). Weight bank `b`
//! holds byte lanes `b*G .. b*G + G - 1` of every word (`G` = [`MemoryMap::bank_bytes`], the
//! `C` bytes of a word's row, at most 8), lane `b*G + i` in bits `[8i +: 8]` of the bank word,
//! as two's-complement bytes; so the read port's `data` is the banks side by side. With
//! `C = 1` bank `b` is lane `b`. Bank names in Verilog and reports: `w<b>` and `rq`.

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
        let g = map.bank_bytes();
        let mut banks: Vec<BankImage> = (0..map.weight_banks())
            .map(|b| BankImage { name: format!("w{b}"), width: WEIGHT_BITS * g as u32, addr_bits: map.addr_bits, words: vec![0; map.depth] })
            .collect();
        let mut rq = BankImage { name: "rq".into(), width: RQ_BITS, addr_bits: map.rq_addr_bits, words: vec![0; map.rq_depth] };
        for (t, p) in tensors(q).into_iter().zip(&map.tensors) {
            for r in 0..t.rows {
                for (k, &w) in t.row(r).iter().enumerate() {
                    let (lane, addr) = map.locate(p, r, k);
                    banks[lane / g].words[addr] |= (w as u8 as u64) << (8 * (lane % g));
                }
                rq.words[p.rq_base + r] = rq_word(&t.rq[r]);
            }
        }
        banks.push(rq);
        RomImage { banks }
    }

    /// Number of weight banks (the requant bank is the last bank).
    pub fn weight_banks(&self) -> usize {
        self.banks.len() - 1
    }

    /// Byte lane `lane` of the word at `addr` (two's complement).
    pub fn byte(&self, lane: usize, addr: usize) -> i8 {
        let g = (self.banks[0].width / WEIGHT_BITS) as usize;
        (self.banks[lane / g].words[addr] >> (8 * (lane % g))) as u8 as i8
    }

    /// The whole weight word at `addr` as the read port shows it: byte lane `l` in bits
    /// `[8l +: 8]`, packed into 32-bit words (word `i` = bits `[32i +: 32]`).
    pub fn word32(&self, addr: usize) -> Vec<u32> {
        let g = (self.banks[0].width / WEIGHT_BITS) as usize;
        let n = self.weight_banks() * g;
        let mut w = vec![0u32; n.div_ceil(4)];
        for l in 0..n {
            w[l / 4] |= (self.byte(l, addr) as u8 as u32) << (8 * (l % 4));
        }
        w
    }

    /// The requant word at `addr`.
    pub fn rq(&self, addr: usize) -> u64 {
        self.banks[self.weight_banks()].words[addr]
    }

    /// What `map` says bank `bank` holds at `addr`, for messages: every weight of a bank word
    /// wider than one byte, lane by lane.
    pub fn describe(&self, map: &MemoryMap, bank: usize, addr: usize) -> String {
        if bank >= self.weight_banks() {
            return map.describe_rq(addr).map(|s| s.to_string()).unwrap_or_else(|| "nothing".into());
        }
        let g = map.bank_bytes();
        let slots: Vec<String> = (bank * g..(bank + 1) * g)
            .map(|l| map.describe(l, addr).map(|s: Slot| s.to_string()).unwrap_or_else(|| "nothing".into()))
            .collect();
        slots.join(", ")
    }
}

/// Cycle model of the store's two read ports (weights and requant), the contract of
/// [`super::top`]:
/// on a rising edge with `en` high, `data` takes the bank words at `addr` (bank `b` in bits
/// `[b*8G +: 8G]`) and `valid` goes high; with `en` low `data` holds and `valid` goes low; `reset`
/// clears `valid` only (block RAM outputs have no reset). Same for `rq_en`/`rq_addr`/`rq_data`/
/// `rq_valid`. Reads past the depth are undefined and not modelled.
#[derive(Debug, Clone)]
pub struct StoreModel<'a> {
    pub image: &'a RomImage,
    /// Weight bank words of the last read (None before the first read).
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
        let nb = self.image.weight_banks();
        if en {
            self.data = Some(self.image.banks[..nb].iter().map(|b| b.words[addr]).collect());
        }
        if rq_en {
            self.rq_data = Some(self.image.banks[nb].words[rq_addr]);
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
    fn r_x_c_image_holds_every_weight_in_its_lane() {
        let q = crate::rtl::rom::tests::default_model();
        for (r, c) in [(2, 2), (4, 4), (8, 2), (2, 16)] {
            let map = MemoryMap::of_model(&RomConfig::rc(r, c).unwrap(), &q).unwrap();
            let img = RomImage::build(&map, &q);
            assert_eq!(img.weight_banks(), map.weight_banks());
            let mut nonpad = 0;
            for a in 0..map.depth {
                for l in 0..map.word_bytes() {
                    match map.describe(l, a) {
                        Some(Slot::Weight { tensor, row, col }) => {
                            let t = tensors(&q).into_iter().find(|t| t.name == tensor).unwrap();
                            assert_eq!(img.byte(l, a), t.row(row)[col], "{r}x{c} lane {l} address {a}");
                            nonpad += 1;
                        }
                        _ => assert_eq!(img.byte(l, a), 0, "{r}x{c} padding lane {l} address {a}"),
                    }
                }
            }
            assert_eq!(nonpad, 4192, "{r}x{c}");
            let w = img.word32(map.tensor("wpe").unwrap().base);
            assert_eq!(w.len(), (r * c).div_ceil(4) as usize);
            assert_eq!(w[0] as u8 as i8, q.wpe.row(0)[0]);
        }
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
