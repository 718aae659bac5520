//! The full board flow on real tools: the rust-hdl board demo (UART echo + LED counter) in
//! the board top with its PLL, through yosys, nextpnr (with the generated constraints) and
//! icepack / yowasp-ecppack, for iCEBreaker (24 MHz from its 12 MHz oscillator) and
//! ULX3S-85F (50 MHz from 25 MHz), built in parallel. Checks the bitstreams exist, timing is
//! met at the PLL's clock and the constraints placed every pin.

use llmpu::boards::{build, demo, Board};
use llmpu::output::FileSet;
use llmpu::synth::plan::PackTools;
use llmpu::synth::{run, Tools};
use std::path::Path;

fn build_board(board: &str, mhz: f64, dir: &Path) -> (llmpu::synth::SynthReport, std::path::PathBuf) {
    let b: Board = board.parse().unwrap();
    let mut v = FileSet::new();
    v.add(format!("{}.v", demo::DEMO_TOP), demo::verilog().unwrap());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tools = Tools::in_repo(repo);
    let pack = PackTools { icepack: "icepack".into(), ecppack: tools.nextpnr_ecp5.with_file_name("yowasp-ecppack") };
    let plan = build::plan(&b, demo::DEMO_TOP, &v, Some(mhz), dir, &tools, &pack).unwrap();
    let report = run::run(&plan, false).unwrap_or_else(|e| panic!("{board}: {e}"));
    (report, plan.bitstream())
}

fn check(board: &str, mhz: f64, min_bytes: u64) {
    let dir = tempfile::tempdir().unwrap();
    let (r, bit) = build_board(board, mhz, dir.path());
    let len = std::fs::metadata(&bit).unwrap_or_else(|e| panic!("{}: {e}", bit.display())).len();
    assert!(len >= min_bytes, "{board}: {} has {len} bytes", bit.display());
    assert_eq!(r.requested_mhz, mhz);
    assert!(r.timing_met(), "{board}: timing missed: {:?} MHz for {mhz} MHz", r.fmax_mhz);
    let log = std::fs::read_to_string(dir.path().join("nextpnr.log")).unwrap();
    for port in ["'clk'", "'uart_rx'", "'uart_tx'", "'btn'", "'led[0]'"] {
        assert!(log.contains(&format!("{port} to")) || log.contains(&format!("pin {}$tr_io", port.trim_end_matches('\''))), "{board}: {port} not constrained:\n{log}");
    }
    assert!(log.contains("PLL 'pll.pll'"), "{board}: no PLL placed");
    eprintln!("{board}: {}", r.table());
}

#[test]
fn icebreaker_and_ulx3s_85f_bitstreams() {
    // iCE40UP5K .bin files are 104090 bytes; ECP5-85F .bit files about 1.9 MB uncompressed.
    let ice = std::thread::spawn(|| check("icebreaker", 24.0, 100_000));
    let ecp = std::thread::spawn(|| check("ulx3s-85f", 50.0, 1_000_000));
    let (a, b) = (ice.join(), ecp.join());
    a.unwrap();
    b.unwrap();
}
