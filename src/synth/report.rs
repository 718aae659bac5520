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

/// The critical path of one clock as nextpnr's log reports it after routing: the cell pin it
/// starts at (a flip-flop's output or an input), the pin it ends at (a flip-flop's data,
/// enable or reset input) and its delay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalPath {
    /// nextpnr's clock net name, e.g. `$glbnet$clock`.
    pub clock: String,
    /// `cell.port` where the path starts.
    pub from: String,
    /// `cell.port` where the path ends.
    pub to: String,
    /// Logic plus routing delay, ns; `None` when the log does not print the total.
    pub delay_ns: Option<f64>,
}

/// The last "Critical path report for clock" section of a nextpnr log (the post-route one when
/// nextpnr routed; nextpnr prints one per clock after placement and again after routing): its
/// first `Source` is the start, its last `Sink` the end. Both nextpnr-ice40 0.4's layout
/// (`curr total` columns) and YoWASP nextpnr-ecp5's (`type curr total name`) are read.
/// `None` when the log has no such section (no clocked path, or nextpnr stopped earlier).
pub fn parse_critical_path(log: &str) -> Option<CriticalPath> {
    const HEAD: &str = "Critical path report for clock '";
    let lines: Vec<&str> = log.lines().map(|l| l.trim_start_matches("Info:").trim_start_matches("Warning:").trim()).collect();
    let start = lines.iter().rposition(|l| l.starts_with(HEAD))?;
    let clock = lines[start][HEAD.len()..].split('\'').next().unwrap_or_default().to_string();
    let (mut from, mut to, mut delay_ns) = (None, None, None);
    for l in &lines[start + 1..] {
        if l.is_empty() || l.starts_with("Critical path report") {
            break;
        }
        let words: Vec<&str> = l.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "Source") {
            if from.is_none() {
                from = words.get(i + 1).map(|w| w.to_string());
            }
        } else if words.first() == Some(&"Sink") {
            to = words.get(1).map(|w| w.to_string());
        } else if let (Some(&a), Some(&"ns"), Some(&"logic,"), Some(&b), Some(&"ns")) =
            (words.first(), words.get(1), words.get(2), words.get(3), words.get(4))
        {
            if let (Ok(a), Ok(b)) = (a.parse::<f64>(), b.parse::<f64>()) {
                delay_ns = Some(a + b);
            }
        }
    }
    Some(CriticalPath { clock, from: from?, to: to?, delay_ns })
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
    // Excerpts of real logs: YoWASP nextpnr-ecp5 (an attention unit at 50 MHz, paths cut short
    // where marked) and nextpnr-ice40 0.4, each with its post-placement and post-route sections.
    const ECP5_LOG: &str = "Info: Critical path report for clock '$glbnet$clock$TRELLIS_IO_IN' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  0.52  0.52 Source early.q_TRELLIS_FF_Q.Q
Info:    routing  1.95  2.47 Net x (61,21) -> (72,11)
Info:                          Sink early.d_LUT4_Z.C
Info: 1.00 ns logic, 1.47 ns routing

Info: Routing..
Info: Critical path report for clock '$glbnet$clock$TRELLIS_IO_IN' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  0.52  0.52 Source dut.head_0.alpha_r.q_TRELLIS_FF_Q_4.Q
Info:    routing  1.95  2.47 Net dut.alpha_0[11] (61,21) -> (72,11)
Info:                          Sink dut.unit_0_0.mul.b_LUT4_Z_4.C
Info:                          Defined in:
Info:                               place_wrapper.v:29.29-49.4
Info:      logic  0.24  31.79 Source dut.outr_0_3.r.q_TRELLIS_FF_Q_DI_LUT4_Z_D_LUT4_C.F
Info:    routing  0.91  32.70 Net dut.outr_0_3.r.q_TRELLIS_FF_Q_DI_LUT4_Z_D_LUT4_C_Z (78,4) -> (72,2)
Info:                          Sink dut.outr_0_3.r.q_TRELLIS_FF_Q_3.LSR
Info:      setup  0.42  33.12 Source dut.outr_0_3.r.q_TRELLIS_FF_Q_3.LSR
Info: 14.00 ns logic, 19.12 ns routing

Info: Critical path report for cross-domain path '<async>' -> 'posedge $glbnet$clock$TRELLIS_IO_IN':
Info:       type curr  total name
Info:     source  0.00  0.00 Source reset$tr_io.O
Info:                          Sink dut.control.pending.q_LUT4_A.D

Warning: Max frequency for clock '$glbnet$clock$TRELLIS_IO_IN': 30.19 MHz (FAIL at 50.00 MHz)
";
    const ICE40_LOG: &str = "Info: Critical path report for clock 'clock$SB_IO_IN_$glb_clk' (posedge -> posedge):
Info: curr total
Info:  1.4  1.4  Source dut.head_0.shift_r.q_SB_DFFE_Q_6_DFFLC.O
Info:  3.0  4.3    Net dut.shift_0[0] budget -0.808000 ns (9,13) -> (5,13)
Info:                Sink dut.unit_0_0.div_round.half_SB_LUT4_O_I2_SB_LUT4_O_I3_SB_LUT4_O_LC.I3
Info:                Defined in:
Info:                  place_wrapper.v:29.32-49.4
Info:  0.9 87.8  Source dut.outr_0_0.d_SB_LUT4_O_9_LC.O
Info:  3.5 91.3    Net dut.dv_0_0[6] budget -0.273000 ns (2,2) -> (7,3)
Info:                Sink dut.outr_0_3.r.q_SB_DFFE_Q_9_DFFLC.I0
Info:                Defined in:
Info:                  place_wrapper.v:29.32-49.4
Info:  1.2 92.5  Setup dut.outr_0_3.r.q_SB_DFFE_Q_9_DFFLC.I0
Info: 44.5 ns logic, 48.0 ns routing

Warning: Max frequency for clock 'clock$SB_IO_IN_$glb_clk': 10.81 MHz (FAIL at 24.00 MHz)
";

    #[test]
    fn critical_path_from_the_last_report_of_ecp5_log() {
        let p = parse_critical_path(ECP5_LOG).unwrap();
        assert_eq!(p.clock, "$glbnet$clock$TRELLIS_IO_IN");
        assert_eq!(p.from, "dut.head_0.alpha_r.q_TRELLIS_FF_Q_4.Q");
        assert_eq!(p.to, "dut.outr_0_3.r.q_TRELLIS_FF_Q_3.LSR");
        assert!((p.delay_ns.unwrap() - 33.12).abs() < 1e-9);
    }

    #[test]
    fn critical_path_of_ice40_log() {
        let p = parse_critical_path(ICE40_LOG).unwrap();
        assert_eq!(p.clock, "clock$SB_IO_IN_$glb_clk");
        assert_eq!(p.from, "dut.head_0.shift_r.q_SB_DFFE_Q_6_DFFLC.O");
        assert_eq!(p.to, "dut.outr_0_3.r.q_SB_DFFE_Q_9_DFFLC.I0");
        assert!((p.delay_ns.unwrap() - 92.5).abs() < 1e-9);
    }

    #[test]
    fn no_critical_path_without_a_clock_report() {
        assert_eq!(parse_critical_path("Info: Program finished normally.\n"), None);
        // A section cut off before its first sink (nextpnr killed) has no end: no path.
        assert_eq!(parse_critical_path("Info: Critical path report for clock 'c' (posedge -> posedge):\nInfo:  1.4  1.4  Source a.O\n"), None);
    }
}
