//! The store's one validated configuration: [`RomConfig`], built from [`RomParams`] through
//! `TryFrom`.
//!
//! - `lanes` (1..=64): `R`, the rows of a weight word (one weight bank per row). The default
//!   comes from the systolic array the store feeds: its `rows` (the array's `a_in` takes one
//!   weight per row and beat).
//! - `cols` (1..=16, default 1): `C`, the columns of a weight word. A word is `R x C` int8
//!   weights (the matrix unit of the processing unit reads one per cycle); `lanes * cols` is at
//!   most [`MAX_WORD_BYTES`]. `cols = 1` is the store of a systolic array.
//! - `memory`: only block RAM ([`Memory::Bram`]). iCE40 UltraPlus SPRAM is refused with the
//!   reason: the bitstream cannot initialise it, so weights placed there would be lost at
//!   power-up.

use crate::error::{check_range, Error, Result};
use serde::Serialize;

/// Bits of one weight (the quantized model is int8).
pub const WEIGHT_BITS: u32 = 8;
/// Bits of one requant word: `mult` in bits 15..0, `shift` in bits 21..16, the rest 0.
pub const RQ_BITS: u32 = 24;
/// Most lanes (operands per cycle) a store can have.
pub const MAX_LANES: u32 = 64;
/// Most columns of a word.
pub const MAX_COLS: u32 = 16;
/// Most bytes (weights) in one word.
pub const MAX_WORD_BYTES: u32 = 256;
/// Widest bank in bytes: a row of a word wider than this is split over several banks.
pub const MAX_BANK_BYTES: u32 = 8;
/// Deepest bank (addresses per bank), so addresses fit in 16 bits.
pub const MAX_DEPTH: usize = 1 << 16;

/// Which on-chip memory holds the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Memory {
    /// Block RAM initialised by the bitstream: iCE40 EBR (SB_RAM40_4K), ECP5 DP16KD.
    Bram,
    /// iCE40 UltraPlus single-port RAM: refused (not initialised by the bitstream).
    Spram,
}

impl std::str::FromStr for Memory {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bram" => Ok(Memory::Bram),
            "spram" => Ok(Memory::Spram),
            _ => Err(Error::invalid("memory", format!("'{s}'"), "allowed: bram")),
        }
    }
}

/// Unvalidated parameters, as they come from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RomParams {
    pub lanes: u32,
    pub cols: u32,
    pub memory: Memory,
}

/// Validated parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RomConfig {
    /// `R`: rows of a word.
    pub lanes: u32,
    /// `C`: columns of a word.
    pub cols: u32,
}

impl TryFrom<RomParams> for RomConfig {
    type Error = Error;
    fn try_from(p: RomParams) -> Result<Self> {
        if p.memory == Memory::Spram {
            return Err(Error::invalid(
                "memory",
                "spram",
                "SPRAM cannot be initialised by the bitstream, so a ROM there would be empty at power-up; allowed: bram",
            ));
        }
        check_range("lanes", p.lanes, 1, MAX_LANES)?;
        check_range("cols", p.cols, 1, MAX_COLS)?;
        if p.lanes * p.cols > MAX_WORD_BYTES {
            return Err(Error::invalid(
                "lanes x cols",
                format!("{} x {}", p.lanes, p.cols),
                format!("a word of {} bytes; allowed: at most {MAX_WORD_BYTES} bytes", p.lanes * p.cols),
            ));
        }
        Ok(RomConfig { lanes: p.lanes, cols: p.cols })
    }
}

impl RomConfig {
    /// A store of `lanes x 1` words (the systolic array's).
    pub fn new(lanes: u32) -> Result<Self> {
        Self::rc(lanes, 1)
    }

    /// A store of `rows x cols` words (the matrix unit's `R x C`).
    pub fn rc(rows: u32, cols: u32) -> Result<Self> {
        RomParams { lanes: rows, cols, memory: Memory::Bram }.try_into()
    }

    /// Name of the store's top module: `llmpu_rom_l4` for 4 x 1 words, `llmpu_rom_r4c2` for
    /// 4 x 2.
    pub fn top_name(&self) -> String {
        if self.cols == 1 {
            format!("llmpu_rom_l{}", self.lanes)
        } else {
            format!("llmpu_rom_r{}c{}", self.lanes, self.cols)
        }
    }

    /// Bytes of a word, `R * C`: byte lane `l = r * C + c` at bits `[8l +: 8]`.
    pub fn word_bytes(&self) -> u32 {
        self.lanes * self.cols
    }

    /// Width of the weight read port: one int8 per byte lane.
    pub fn data_bits(&self) -> u32 {
        self.word_bytes() * WEIGHT_BITS
    }

    /// Bytes of one weight bank: a row of a word, or [`MAX_BANK_BYTES`] of it.
    pub fn bank_bytes(&self) -> u32 {
        self.cols.min(MAX_BANK_BYTES)
    }

    /// Number of weight banks: `R * C / bank_bytes`.
    pub fn weight_banks(&self) -> u32 {
        self.word_bytes() / self.bank_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_pinned() {
        assert_eq!(RomConfig::new(4).unwrap().top_name(), "llmpu_rom_l4");
        assert_eq!(RomConfig::new(0).unwrap_err().to_string(), "lanes 0 is not allowed (allowed: 1..=64)");
        assert_eq!(RomConfig::new(65).unwrap_err().to_string(), "lanes 65 is not allowed (allowed: 1..=64)");
        assert_eq!(RomConfig::rc(4, 2).unwrap().top_name(), "llmpu_rom_r4c2");
        assert_eq!(RomConfig::rc(4, 0).unwrap_err().to_string(), "cols 0 is not allowed (allowed: 1..=16)");
        assert_eq!(RomConfig::rc(4, 17).unwrap_err().to_string(), "cols 17 is not allowed (allowed: 1..=16)");
        assert_eq!(
            RomConfig::rc(32, 16).unwrap_err().to_string(),
            "lanes x cols 32 x 16 is not allowed (a word of 512 bytes; allowed: at most 256 bytes)"
        );
        let c = RomConfig::rc(2, 16).unwrap();
        assert_eq!((c.word_bytes(), c.data_bits(), c.bank_bytes(), c.weight_banks()), (32, 256, 8, 4));
        let e = RomConfig::try_from(RomParams { lanes: 4, cols: 1, memory: Memory::Spram }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "memory spram is not allowed (SPRAM cannot be initialised by the bitstream, so a ROM there would be empty at power-up; allowed: bram)"
        );
        assert!(e.is_usage());
        assert_eq!("dram".parse::<Memory>().unwrap_err().to_string(), "memory 'dram' is not allowed (allowed: bram)");
        assert_eq!("spram".parse::<Memory>().unwrap(), Memory::Spram);
    }
}
