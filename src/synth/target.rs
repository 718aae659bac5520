//! Synthesis targets as data: one row per FPGA part with its family, nextpnr flags, resource
//! counts and the cell names nextpnr's `--report` uses for each resource.
//!
//! The cell names were read from real reports (nextpnr-ice40 0.4 from Debian, YoWASP
//! nextpnr-ecp5): iCE40 logic cells are `ICESTORM_LC` (one LUT4 + one FF each), DSPs
//! `ICESTORM_DSP`, block RAMs `ICESTORM_RAM`; ECP5 LUTs are `TRELLIS_COMB`, flip-flops
//! `TRELLIS_FF`, multipliers `MULT18X18D`, block RAMs `DP16KD`.

use crate::error::{Error, Result};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ice40,
    Ecp5,
}

/// How one resource is named in nextpnr's report and how many the part has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// Cell type in nextpnr's `utilization` table.
    pub cell: &'static str,
    pub available: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The name users type, e.g. `ice40-up5k`.
    pub name: &'static str,
    pub family: Family,
    /// Vendor device name, e.g. `iCE40UP5K`.
    pub device: &'static str,
    pub package: &'static str,
    /// nextpnr's device flag, e.g. `--up5k`.
    pub nextpnr_device: &'static str,
    /// Logic: iCE40 logic cells (LUT4 + FF), ECP5 LUT4s.
    pub luts: Resource,
    /// Flip-flops; on iCE40 they live in the same logic cells as the LUTs.
    pub ffs: Resource,
    /// Hard multipliers; `None` on parts without any.
    pub dsps: Option<Resource>,
    /// Width of a signed multiply one DSP does (16 on SB_MAC16, 18 on MULT18X18D).
    pub dsp_width: u32,
    pub brams: Resource,
    /// Single-port RAM (iCE40 UltraPlus SPRAM), in Kbit.
    pub spram_kbit: u32,
    /// Default clock request when the user gives no `--freq`, in MHz.
    pub default_mhz: u32,
}

pub const TARGETS: [Target; 5] = [
    Target {
        name: "ice40-up5k",
        family: Family::Ice40,
        device: "iCE40UP5K",
        package: "sg48",
        nextpnr_device: "--up5k",
        luts: Resource { cell: "ICESTORM_LC", available: 5280 },
        ffs: Resource { cell: "ICESTORM_LC", available: 5280 },
        dsps: Some(Resource { cell: "ICESTORM_DSP", available: 8 }),
        dsp_width: 16,
        brams: Resource { cell: "ICESTORM_RAM", available: 30 },
        spram_kbit: 1024,
        default_mhz: 24,
    },
    Target {
        name: "ice40-hx8k",
        family: Family::Ice40,
        device: "iCE40HX8K",
        package: "ct256",
        nextpnr_device: "--hx8k",
        luts: Resource { cell: "ICESTORM_LC", available: 7680 },
        ffs: Resource { cell: "ICESTORM_LC", available: 7680 },
        dsps: None,
        dsp_width: 0,
        brams: Resource { cell: "ICESTORM_RAM", available: 32 },
        spram_kbit: 0,
        default_mhz: 48,
    },
    Target {
        name: "ecp5-25k",
        family: Family::Ecp5,
        device: "LFE5U-25F",
        package: "CABGA381",
        nextpnr_device: "--25k",
        luts: Resource { cell: "TRELLIS_COMB", available: 24288 },
        ffs: Resource { cell: "TRELLIS_FF", available: 24288 },
        dsps: Some(Resource { cell: "MULT18X18D", available: 28 }),
        dsp_width: 18,
        brams: Resource { cell: "DP16KD", available: 56 },
        spram_kbit: 0,
        default_mhz: 50,
    },
    Target {
        name: "ecp5-85k",
        family: Family::Ecp5,
        device: "LFE5U-85F",
        package: "CABGA381",
        nextpnr_device: "--85k",
        luts: Resource { cell: "TRELLIS_COMB", available: 83640 },
        ffs: Resource { cell: "TRELLIS_FF", available: 83640 },
        dsps: Some(Resource { cell: "MULT18X18D", available: 156 }),
        dsp_width: 18,
        brams: Resource { cell: "DP16KD", available: 208 },
        spram_kbit: 0,
        default_mhz: 50,
    },
    // Added for the ULX3S-45F board (src/boards/ulx3s.rs): LFE5U-45F resources from the ECP5
    // family data sheet (FPGA-DS-02012) table 1.1: 44K LUTs (21924 slices x 2), 72 18x18
    // multipliers, 108 sysMEM blocks.
    Target {
        name: "ecp5-45k",
        family: Family::Ecp5,
        device: "LFE5U-45F",
        package: "CABGA381",
        nextpnr_device: "--45k",
        luts: Resource { cell: "TRELLIS_COMB", available: 43848 },
        ffs: Resource { cell: "TRELLIS_FF", available: 43848 },
        dsps: Some(Resource { cell: "MULT18X18D", available: 72 }),
        dsp_width: 18,
        brams: Resource { cell: "DP16KD", available: 108 },
        spram_kbit: 0,
        default_mhz: 50,
    },
];

impl Target {
    pub fn names() -> Vec<&'static str> {
        TARGETS.iter().map(|t| t.name).collect()
    }

    pub fn dsp_count(&self) -> u32 {
        self.dsps.map(|d| d.available).unwrap_or(0)
    }

    /// Measured LUT4s yosys 0.23 spends on one registered signed `bits x bits` multiplier built
    /// from logic (no DSP): iCE40 `synth_ice40` 36 / 182 / 765 SB_LUT4 for 4 / 8 / 16 bits,
    /// ECP5 `synth_ecp5 -nodsp` 45 / 277 / 1586 LUT4 (see docs/synth.md for the commands).
    /// Other widths are interpolated quadratically from the 8-bit figure.
    pub fn lut_cost_per_multiplier(&self, bits: u32) -> u32 {
        let table: [(u32, u32); 3] = match self.family {
            Family::Ice40 => [(4, 36), (8, 182), (16, 765)],
            Family::Ecp5 => [(4, 45), (8, 277), (16, 1586)],
        };
        match table.iter().find(|(b, _)| *b == bits) {
            Some((_, c)) => *c,
            None => (table[1].1 as u64 * (bits as u64 * bits as u64) / 64) as u32,
        }
    }
}

impl std::str::FromStr for Target {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        TARGETS
            .iter()
            .find(|t| t.name == s)
            .copied()
            .ok_or_else(|| Error::invalid("target", format!("'{s}'"), format!("allowed: {}", Target::names().join(", "))))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_target_lists_allowed_names() {
        let e = "ice40-up3k".parse::<Target>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "target 'ice40-up3k' is not allowed (allowed: ice40-up5k, ice40-hx8k, ecp5-25k, ecp5-85k, ecp5-45k)"
        );
        assert!(e.is_usage());
    }

    #[test]
    fn table_matches_datasheets() {
        let t = |n: &str| n.parse::<Target>().unwrap();
        let up5k = t("ice40-up5k");
        assert_eq!((up5k.luts.available, up5k.dsp_count(), up5k.brams.available, up5k.spram_kbit), (5280, 8, 30, 1024));
        assert_eq!((up5k.nextpnr_device, up5k.package), ("--up5k", "sg48"));
        let hx8k = t("ice40-hx8k");
        assert_eq!((hx8k.luts.available, hx8k.dsp_count(), hx8k.brams.available), (7680, 0, 32));
        assert!(hx8k.dsps.is_none());
        let e25 = t("ecp5-25k");
        assert_eq!((e25.luts.available, e25.dsp_count(), e25.brams.available), (24288, 28, 56));
        let e85 = t("ecp5-85k");
        assert_eq!((e85.luts.available, e85.dsp_count(), e85.brams.available), (83640, 156, 208));
        assert_eq!(e85.dsps.map(|d| d.cell), Some("MULT18X18D"));
        for x in TARGETS {
            assert_eq!(t(x.name), x, "names are unique and parse back");
            assert!(x.default_mhz > 0);
        }
    }

    #[test]
    fn multiplier_lut_costs_grow_with_width() {
        let up5k: Target = "ice40-up5k".parse().unwrap();
        assert_eq!(up5k.lut_cost_per_multiplier(8), 182);
        assert!(up5k.lut_cost_per_multiplier(4) < up5k.lut_cost_per_multiplier(8));
        assert!(up5k.lut_cost_per_multiplier(8) < up5k.lut_cost_per_multiplier(16));
    }
}
