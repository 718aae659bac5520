//! Fit check before any tool runs: a lower-bound estimate of what a design needs, compared
//! with the target's resources, so hopeless builds are refused at once with the numbers.
//!
//! The rule for the systolic array (R x C processing elements of I-bit operands, A-bit
//! accumulators):
//! - it needs R*C signed I x I multipliers; on parts with DSPs the first `dsps` of them go to
//!   DSPs (one SB_MAC16 or MULT18X18D each, both at least 16 bits wide), the rest to logic at
//!   [`Target::lut_cost_per_multiplier`] LUTs each (measured once, see docs/synth.md);
//! - each processing element also needs at least A LUTs for its accumulator's adder.
//!
//! This is a lower bound (registers, result capture, skew and the placement wrapper come on
//! top), so the check only refuses designs that certainly cannot fit; one that passes may
//! still fail in nextpnr, whose own message is then quoted.

use super::target::Target;
use crate::error::{Error, Result};
use crate::rtl::matmul::SystolicConfig;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FitEstimate {
    pub multipliers: u32,
    pub in_dsps: u32,
    pub in_luts: u32,
    pub luts_per_multiplier: u32,
    pub accumulator_luts: u32,
    /// Lower bound on LUTs needed.
    pub luts: u32,
}

/// Estimates the array's needs on `target` and refuses when even the lower bound exceeds it.
pub fn check_systolic(cfg: &SystolicConfig, target: &Target) -> Result<FitEstimate> {
    let multipliers = cfg.rows * cfg.cols;
    let in_dsps = multipliers.min(target.dsp_count());
    let in_luts = multipliers - in_dsps;
    let per = target.lut_cost_per_multiplier(cfg.in_bits);
    let accumulator_luts = multipliers * cfg.acc_bits;
    let luts = in_luts * per + accumulator_luts;
    let est = FitEstimate { multipliers, in_dsps, in_luts, luts_per_multiplier: per, accumulator_luts, luts };
    let avail = target.luts.available;
    if luts > avail {
        let dsps = match target.dsp_count() {
            0 => "no DSPs".to_string(),
            n => format!("{n} DSPs"),
        };
        let rest = if in_dsps > 0 { "the other" } else { "all" };
        return Err(Error::DoesNotFit(format!(
            "{}x{} i{}a{} needs {multipliers} multipliers of {}x{} bits; {} has {dsps} and {avail} LUTs: \
             {rest} {in_luts} multipliers need about {in_luts} x {per} = {} LUTs plus {multipliers} x {} = {accumulator_luts} \
             for the accumulators (at least {luts} LUTs); choose a smaller array or a larger target",
            cfg.rows,
            cfg.cols,
            cfg.in_bits,
            cfg.acc_bits,
            cfg.in_bits,
            cfg.in_bits,
            target.name,
            in_luts * per,
            cfg.acc_bits,
        )));
    }
    Ok(est)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: &str) -> Target {
        n.parse().unwrap()
    }

    #[test]
    fn refuses_8x8_on_up5k_with_numbers() {
        let e = check_systolic(&SystolicConfig::new(8, 8).unwrap(), &t("ice40-up5k")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "8x8 i8a32 needs 64 multipliers of 8x8 bits; ice40-up5k has 8 DSPs and 5280 LUTs: the other 56 multipliers \
             need about 56 x 182 = 10192 LUTs plus 64 x 32 = 2048 for the accumulators (at least 12240 LUTs); \
             choose a smaller array or a larger target"
        );
        assert!(e.is_usage());
    }

    #[test]
    fn hx8k_has_no_dsps() {
        let e = check_systolic(&SystolicConfig::new(8, 8).unwrap(), &t("ice40-hx8k")).unwrap_err();
        assert!(e.to_string().contains("ice40-hx8k has no DSPs and 7680 LUTs: all 64 multipliers"), "{e}");
        let ok = check_systolic(&SystolicConfig::new(2, 2).unwrap(), &t("ice40-hx8k")).unwrap();
        assert_eq!((ok.in_dsps, ok.in_luts, ok.luts), (0, 4, 4 * 182 + 4 * 32));
    }

    #[test]
    fn small_arrays_fit_in_dsps() {
        let ok = check_systolic(&SystolicConfig::new(2, 2).unwrap(), &t("ice40-up5k")).unwrap();
        assert_eq!((ok.multipliers, ok.in_dsps, ok.in_luts, ok.luts), (4, 4, 0, 128));
        let ok = check_systolic(&SystolicConfig::new(8, 8).unwrap(), &t("ecp5-85k")).unwrap();
        assert_eq!((ok.in_dsps, ok.in_luts), (64, 0));
        // 4x4 on up5k: 8 multipliers in DSPs, 8 in logic, still fits.
        let ok = check_systolic(&SystolicConfig::new(4, 4).unwrap(), &t("ice40-up5k")).unwrap();
        assert_eq!((ok.in_dsps, ok.in_luts, ok.luts), (8, 8, 8 * 182 + 16 * 32));
    }
}
