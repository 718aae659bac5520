//! What a synthesis run produced, parsed into one struct: resource use against the part's
//! resources and fmax achieved against the requested clock.
//!
//! Sources: nextpnr's `--report` JSON (`utilization.<cell>.{used,available}`,
//! `fmax.<clock net>.{achieved,constraint}`) and yosys's `stat -json` (cell counts after
//! mapping; used for iCE40 flip-flops, which nextpnr counts inside `ICESTORM_LC`).

use super::target::{Family, Target};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub used: u64,
    pub available: u64,
}

impl Usage {
    pub fn percent(&self) -> f64 {
        if self.available == 0 {
            0.0
        } else {
            100.0 * self.used as f64 / self.available as f64
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepTime {
    pub step: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynthReport {
    pub top: String,
    pub target: String,
    /// iCE40 logic cells (LUT4 + FF) or ECP5 LUT4s, as placed by nextpnr.
    pub luts: Usage,
    pub ffs: Usage,
    /// `None` on parts without hard multipliers.
    pub dsps: Option<Usage>,
    pub brams: Usage,
    /// Worst achieved clock over all clock domains, MHz; `None` for a design without clocks.
    pub fmax_mhz: Option<f64>,
    pub requested_mhz: f64,
    /// Cell counts after yosys mapping (before packing), by cell type.
    pub yosys_cells: BTreeMap<String, u64>,
    /// Wall-clock time of each tool.
    pub times: Vec<StepTime>,
}

#[derive(Debug, Deserialize)]
struct NpUse {
    used: u64,
    available: u64,
}

#[derive(Debug, Deserialize)]
struct NpFmax {
    achieved: f64,
}

#[derive(Debug, Deserialize)]
struct NpReport {
    utilization: BTreeMap<String, NpUse>,
    #[serde(default)]
    fmax: BTreeMap<String, NpFmax>,
}

#[derive(Debug, Deserialize)]
struct YsModule {
    #[serde(default)]
    num_cells_by_type: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct YsStat {
    design: YsModule,
}

/// Parses the `design` cell counts from yosys's `stat -json`.
pub fn parse_yosys_stat(text: &str, what: &Path) -> Result<BTreeMap<String, u64>> {
    let s: YsStat = serde_json::from_str(text)
        .map_err(|e| Error::BadFile { path: what.into(), msg: format!("not a yosys `stat -json` report: {e}") })?;
    Ok(s.design.num_cells_by_type)
}

impl SynthReport {
    /// Builds the report from the texts of nextpnr's report and yosys's statistics.
    pub fn parse(top: &str, target: &Target, requested_mhz: f64, nextpnr: &str, yosys_stat: &str, dir: &Path) -> Result<Self> {
        let np_path = dir.join(super::plan::NEXTPNR_REPORT);
        let np: NpReport = serde_json::from_str(nextpnr)
            .map_err(|e| Error::BadFile { path: np_path.clone(), msg: format!("not a nextpnr report: {e}") })?;
        let cells = parse_yosys_stat(yosys_stat, &dir.join(super::plan::YOSYS_STAT))?;
        let get = |cell: &str| -> Result<Usage> {
            np.utilization
                .get(cell)
                .map(|u| Usage { used: u.used, available: u.available })
                .ok_or_else(|| Error::BadFile { path: np_path.clone(), msg: format!("no `{cell}` in utilization") })
        };
        let luts = get(target.luts.cell)?;
        let ffs = match target.family {
            // iCE40 FFs sit in logic cells: count the mapped SB_DFF* cells instead.
            Family::Ice40 => Usage {
                used: cells.iter().filter(|(k, _)| k.starts_with("SB_DFF")).map(|(_, n)| n).sum(),
                available: luts.available,
            },
            Family::Ecp5 => get(target.ffs.cell)?,
        };
        let dsps = match target.dsps {
            Some(d) => Some(get(d.cell)?),
            None => None,
        };
        let brams = get(target.brams.cell)?;
        let fmax_mhz = np.fmax.values().map(|f| f.achieved).reduce(f64::min);
        Ok(SynthReport {
            top: top.into(),
            target: target.name.into(),
            luts,
            ffs,
            dsps,
            brams,
            fmax_mhz,
            requested_mhz,
            yosys_cells: cells,
            times: vec![],
        })
    }

    /// Reads the two reports from a finished build folder.
    pub fn read(top: &str, target: &Target, requested_mhz: f64, dir: &Path) -> Result<Self> {
        let read = |name: &str| {
            let p = dir.join(name);
            std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))
        };
        Self::parse(top, target, requested_mhz, &read(super::plan::NEXTPNR_REPORT)?, &read(super::plan::YOSYS_STAT)?, dir)
    }

    pub fn timing_met(&self) -> bool {
        self.fmax_mhz.map(|f| f >= self.requested_mhz).unwrap_or(true)
    }

    /// A short table for people.
    pub fn table(&self) -> String {
        let (lut_name, ff_name, dsp_name) = if self.luts_are_logic_cells() {
            ("logic cells", "flip-flops", "DSPs (SB_MAC16)")
        } else {
            ("LUT4s", "flip-flops", "DSPs (MULT18X18D)")
        };
        let mut s = format!("{} on {}\n", self.top, self.target);
        s += &format!("{:<18} {:>7} {:>9} {:>6}\n", "resource", "used", "available", "use");
        let row = |name: &str, u: &Usage| format!("{:<18} {:>7} {:>9} {:>5.1}%\n", name, u.used, u.available, u.percent());
        s += &row(lut_name, &self.luts);
        s += &row(ff_name, &self.ffs);
        match &self.dsps {
            Some(d) => s += &row(dsp_name, d),
            None => s += &format!("{:<18} {:>7} {:>9}\n", "DSPs", "-", "none"),
        }
        s += &row("block RAMs", &self.brams);
        let req = super::plan::format_mhz(self.requested_mhz);
        match self.fmax_mhz {
            Some(f) => {
                let verdict = if self.timing_met() { "met" } else { "NOT met" };
                s += &format!("fmax {f:.1} MHz achieved, {req} MHz requested: {verdict}\n");
            }
            None => s += &format!("fmax: no clocked path reported ({req} MHz requested)\n"),
        }
        if !self.times.is_empty() {
            let t: Vec<String> = self.times.iter().map(|t| format!("{} {:.1} s", t.step, t.seconds)).collect();
            s += &format!("tool time: {}\n", t.join(", "));
        }
        s
    }

    fn luts_are_logic_cells(&self) -> bool {
        self.target.starts_with("ice40")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shapes copied from real reports (nextpnr-ice40 0.4, YoWASP nextpnr-ecp5, yosys 0.23),
    // trimmed to the fields read here plus a few neighbours.
    const ICE40_REPORT: &str = r#"{"critical_paths": [],
      "fmax": {"clock$SB_IO_IN_$glb_clk": {"achieved": 65.282676696777344, "constraint": 50}},
      "utilization": {"ICESTORM_DSP": {"available": 8, "used": 1}, "ICESTORM_LC": {"available": 5280, "used": 61},
        "ICESTORM_RAM": {"available": 30, "used": 0}, "ICESTORM_SPRAM": {"available": 4, "used": 0},
        "SB_IO": {"available": 96, "used": 4}}}"#;
    const ICE40_STAT: &str = r#"{"creator": "Yosys 0.23 (git sha1 7ce5011c24b)", "invocation": "stat -json ",
      "modules": {}, "design": {"num_wires": 22, "num_cells": 124,
        "num_cells_by_type": {"SB_CARRY": 31, "SB_DFF": 17, "SB_DFFSR": 32, "SB_LUT4": 43, "SB_MAC16": 1}}}"#;
    const ECP5_REPORT: &str = r#"{"fmax": {"$glbnet$clock$TRELLIS_IO_IN": {"achieved": 108.73110961914062, "constraint": 50},
        "$glbnet$other": {"achieved": 95.5, "constraint": 50}},
      "utilization": {"DP16KD": {"available": 208, "used": 2}, "MULT18X18D": {"available": 156, "used": 1},
        "TRELLIS_COMB": {"available": 83640, "used": 49}, "TRELLIS_FF": {"available": 83640, "used": 50}}}"#;
    const ECP5_STAT: &str = r#"{"design": {"num_cells_by_type": {"CCU2C": 16, "LUT4": 11, "MULT18X18D": 1, "TRELLIS_FF": 50}}}"#;

    fn t(n: &str) -> Target {
        n.parse().unwrap()
    }

    #[test]
    fn parses_ice40_reports() {
        let r = SynthReport::parse("mac8", &t("ice40-up5k"), 50.0, ICE40_REPORT, ICE40_STAT, Path::new("b")).unwrap();
        assert_eq!(r.luts, Usage { used: 61, available: 5280 });
        assert_eq!(r.ffs, Usage { used: 49, available: 5280 });
        assert_eq!(r.dsps, Some(Usage { used: 1, available: 8 }));
        assert_eq!(r.brams, Usage { used: 0, available: 30 });
        assert!((r.fmax_mhz.unwrap() - 65.2827).abs() < 1e-3);
        assert!(r.timing_met());
        assert_eq!(r.yosys_cells.get("SB_MAC16"), Some(&1));
        insta::assert_snapshot!(r.table());
    }

    #[test]
    fn parses_ecp5_reports_and_takes_the_slowest_clock() {
        let r = SynthReport::parse("mac8", &t("ecp5-85k"), 100.0, ECP5_REPORT, ECP5_STAT, Path::new("b")).unwrap();
        assert_eq!(r.luts, Usage { used: 49, available: 83640 });
        assert_eq!(r.ffs, Usage { used: 50, available: 83640 });
        assert_eq!(r.dsps, Some(Usage { used: 1, available: 156 }));
        assert_eq!(r.brams.used, 2);
        assert_eq!(r.fmax_mhz, Some(95.5));
        assert!(!r.timing_met());
        insta::assert_snapshot!(r.table());
        insta::assert_json_snapshot!(r);
    }

    #[test]
    fn hx8k_has_no_dsp_row() {
        let rep = ICE40_REPORT.replace("\"ICESTORM_DSP\": {\"available\": 8, \"used\": 1}, ", "");
        let r = SynthReport::parse("mac8", &t("ice40-hx8k"), 50.0, &rep, ICE40_STAT, Path::new("b")).unwrap();
        assert_eq!(r.dsps, None);
        assert!(r.table().contains("DSPs                     -      none"));
    }

    #[test]
    fn broken_reports_name_the_file() {
        let e = SynthReport::parse("x", &t("ice40-up5k"), 50.0, "{", ICE40_STAT, Path::new("b")).unwrap_err();
        assert!(e.to_string().starts_with("b/nextpnr_report.json: not a nextpnr report:"), "{e}");
        let e = SynthReport::parse("x", &t("ecp5-25k"), 50.0, ICE40_REPORT, ICE40_STAT, Path::new("b")).unwrap_err();
        assert_eq!(e.to_string(), "b/nextpnr_report.json: no `TRELLIS_COMB` in utilization");
        let e = SynthReport::parse("x", &t("ice40-up5k"), 50.0, ICE40_REPORT, "[]", Path::new("b")).unwrap_err();
        assert!(e.to_string().starts_with("b/yosys_stat.json: not a yosys `stat -json` report:"), "{e}");
    }
}
