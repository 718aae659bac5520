//! The systolic array's one validated configuration. Every artefact of the array (Verilog,
//! manifest, testbench, synthesis wrapper, docs tables) is derived from a [`SystolicConfig`].

use crate::error::{check_range, Error, Result};
use serde::{Deserialize, Serialize};

pub const MAX_DIM: u32 = 64;
/// Operand widths the processing element supports (signed two's complement).
pub const IN_BITS: [u32; 3] = [4, 8, 16];
/// Accumulator widths the processing element supports (signed two's complement).
pub const ACC_BITS: [u32; 4] = [16, 24, 32, 48];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystolicConfig {
    pub rows: u32,
    pub cols: u32,
    pub in_bits: u32,
    pub acc_bits: u32,
}

/// Unvalidated parameters as a user gives them; turn into a [`SystolicConfig`] with `try_from`.
#[derive(Debug, Clone, Copy)]
pub struct SystolicParams {
    pub rows: u32,
    pub cols: u32,
    pub in_bits: u32,
    pub acc_bits: u32,
}

impl Default for SystolicParams {
    fn default() -> Self {
        SystolicParams { rows: 4, cols: 4, in_bits: 8, acc_bits: 32 }
    }
}

fn list(v: &[u32]) -> String {
    v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

impl TryFrom<SystolicParams> for SystolicConfig {
    type Error = Error;
    fn try_from(p: SystolicParams) -> Result<Self> {
        check_range("rows", p.rows, 1, MAX_DIM)?;
        check_range("cols", p.cols, 1, MAX_DIM)?;
        if !IN_BITS.contains(&p.in_bits) {
            return Err(Error::invalid("in-bits", p.in_bits, format!("allowed: {}", list(&IN_BITS))));
        }
        if !ACC_BITS.contains(&p.acc_bits) {
            return Err(Error::invalid("acc-bits", p.acc_bits, format!("allowed: {}", list(&ACC_BITS))));
        }
        if p.acc_bits < 2 * p.in_bits {
            return Err(Error::invalid(
                "acc-bits",
                p.acc_bits,
                format!("must be at least 2 x in-bits = {} to hold one product", 2 * p.in_bits),
            ));
        }
        Ok(SystolicConfig { rows: p.rows, cols: p.cols, in_bits: p.in_bits, acc_bits: p.acc_bits })
    }
}

impl SystolicConfig {
    /// The default int8 x int8 -> int32 array of the given size.
    pub fn new(rows: u32, cols: u32) -> Result<Self> {
        SystolicParams { rows, cols, ..Default::default() }.try_into()
    }

    /// Name of the emitted top module, e.g. `llmpu_systolic_4x4_i8a32`.
    pub fn top_name(&self) -> String {
        format!("llmpu_systolic_{}x{}_i{}a{}", self.rows, self.cols, self.in_bits, self.acc_bits)
    }

    pub fn macs(&self) -> u32 {
        self.rows * self.cols
    }

    /// Width of `out_row`: max(1, ceil(log2 rows)).
    pub fn out_row_bits(&self) -> u32 {
        let mut w = 1;
        while (1u32 << w) < self.rows {
            w += 1;
        }
        w
    }

    /// Fixed pipeline constant added to every latency below (0: the accepted beat enters
    /// PE(0,0) in the cycle it is accepted).
    pub const PIPELINE_CONSTANT: u32 = 0;

    /// Cycles from accepting a tile's `in_last` beat to `out_valid` for row `row`: row + cols.
    pub fn row_out_latency(&self, row: u32) -> u32 {
        row + self.cols + Self::PIPELINE_CONSTANT
    }

    /// Cycles from accepting a tile's `in_last` beat to its last row on the output: rows + cols - 1.
    pub fn tile_out_latency(&self) -> u32 {
        self.row_out_latency(self.rows - 1)
    }

    /// Minimum cycles between two accepted `in_last` beats (the spacing rule): max(rows, cols).
    pub fn min_last_spacing(&self) -> u32 {
        self.rows.max(self.cols)
    }

    /// Cycles one tile of depth `k` occupies the input when fed back to back: max(k, rows, cols).
    pub fn tile_interval(&self, k: u32) -> u32 {
        k.max(self.min_last_spacing())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rows: u32, cols: u32, in_bits: u32, acc_bits: u32) -> SystolicParams {
        SystolicParams { rows, cols, in_bits, acc_bits }
    }

    #[test]
    fn rejects_with_pinned_messages() {
        let e = |x: SystolicParams| SystolicConfig::try_from(x).unwrap_err().to_string();
        assert_eq!(e(p(0, 4, 8, 32)), "rows 0 is not allowed (allowed: 1..=64)");
        assert_eq!(e(p(4, 65, 8, 32)), "cols 65 is not allowed (allowed: 1..=64)");
        assert_eq!(e(p(4, 4, 7, 32)), "in-bits 7 is not allowed (allowed: 4, 8, 16)");
        assert_eq!(e(p(4, 4, 8, 20)), "acc-bits 20 is not allowed (allowed: 16, 24, 32, 48)");
        assert_eq!(
            e(p(4, 4, 16, 24)),
            "acc-bits 24 is not allowed (must be at least 2 x in-bits = 32 to hold one product)"
        );
    }

    #[test]
    fn accepts_edges() {
        for (r, c) in [(1, 1), (64, 64), (2, 3), (1, 64)] {
            assert!(SystolicConfig::new(r, c).is_ok());
        }
        assert_eq!(SystolicConfig::new(2, 3).unwrap().top_name(), "llmpu_systolic_2x3_i8a32");
    }

    #[test]
    fn derived_timing() {
        let c = SystolicConfig::new(3, 5).unwrap();
        assert_eq!((c.row_out_latency(0), c.tile_out_latency(), c.min_last_spacing()), (5, 7, 5));
        assert_eq!((c.tile_interval(2), c.tile_interval(9)), (5, 9));
        let bits = |r| SystolicConfig::new(r, 1).unwrap().out_row_bits();
        assert_eq!([bits(1), bits(2), bits(3), bits(4), bits(5), bits(64)], [1, 1, 2, 2, 3, 6]);
    }
}
