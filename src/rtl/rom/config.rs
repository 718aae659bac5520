//! The store's one validated configuration: [`RomConfig`], built from [`RomParams`] through
//! `TryFrom`.
//!
//! - `lanes` (1..=64): int8 operands the consumer takes per cycle, one weight bank per lane.
//!   The default comes from the systolic array the store feeds: its `rows` (the array's `a_in`
//!   takes one weight per row and beat).
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
    pub memory: Memory,
}

/// Validated parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RomConfig {
    pub lanes: u32,
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
        Ok(RomConfig { lanes: p.lanes })
    }
}

impl RomConfig {
    pub fn new(lanes: u32) -> Result<Self> {
        RomParams { lanes, memory: Memory::Bram }.try_into()
    }

    /// Name of the store's top module, e.g. `llmpu_rom_l4`.
    pub fn top_name(&self) -> String {
        format!("llmpu_rom_l{}", self.lanes)
    }

    /// Width of the weight read port: one int8 per lane.
    pub fn data_bits(&self) -> u32 {
        self.lanes * WEIGHT_BITS
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
        let e = RomConfig::try_from(RomParams { lanes: 4, memory: Memory::Spram }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "memory spram is not allowed (SPRAM cannot be initialised by the bitstream, so a ROM there would be empty at power-up; allowed: bram)"
        );
        assert!(e.is_usage());
        assert_eq!("dram".parse::<Memory>().unwrap_err().to_string(), "memory 'dram' is not allowed (allowed: bram)");
        assert_eq!("spram".parse::<Memory>().unwrap(), Memory::Spram);
    }
}
