//! `llmpu sim systolic` end to end: the binary builds the array (cached), runs it and prints
//! PASS with cycles and utilisation; bad arguments exit 2 with one line naming the value.

use std::process::Command;

fn llmpu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("run llmpu");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sim_systolic_passes_and_reports_cycles_and_utilisation() {
    let (code, out, err) =
        llmpu(&["sim", "systolic", "--rows", "2", "--cols", "3", "--m", "5", "--k", "7", "--n", "8", "--seed", "3", "--stall-rate", "0.2"]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "llmpu_systolic_2x3_i8a32: 5x7 x 7x8 int8 product, seed 3, stall rate 0.2");
    assert_eq!(lines[1], "PASS: all 40 results match the golden model bit for bit");
    assert!(lines[2].starts_with("cycles: ") && lines[2].contains("(9 tiles, 63 beats, "), "{}", lines[2]);
    let cycles: f64 = lines[2]["cycles: ".len()..].split(' ').next().unwrap().parse().unwrap();
    let util = format!("utilisation: 280 useful MACs / (6 PEs x {cycles} cycles) = {:.1}%", 28000.0 / (6.0 * cycles));
    assert_eq!(lines[3], util);
}

#[test]
fn sim_systolic_writes_a_vcd() {
    let tmp = tempfile::tempdir().unwrap();
    let vcd = tmp.path().join("run.vcd");
    let v = vcd.to_str().unwrap();
    let (code, out, err) = llmpu(&["sim", "systolic", "--rows", "1", "--cols", "1", "--m", "2", "--k", "3", "--n", "2", "--vcd", v]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("PASS") && out.contains(&format!("waveform: {v}")), "{out}");
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.contains("$var") && text.contains("c_out"), "VCD lacks c_out");

    let bad = tmp.path().join("missing/run.vcd");
    let b = bad.to_str().unwrap();
    let (code, _, err) = llmpu(&["sim", "systolic", "--rows", "1", "--cols", "1", "--m", "2", "--k", "3", "--n", "2", "--vcd", b]);
    assert_eq!(code, 2);
    assert_eq!(err.trim(), format!("error: --vcd {b} is not allowed (cannot be opened for writing (does its folder exist?))"));
}

#[test]
fn sim_systolic_rejects_bad_arguments_with_exit_2() {
    let base = ["sim", "systolic", "--rows", "2", "--cols", "2"];
    for (extra, msg) in [
        (vec!["--m", "0", "--k", "2", "--n", "2"], "error: m 0 is not allowed (allowed: 1..=4096)"),
        (vec!["--m", "2", "--k", "4097", "--n", "2"], "error: k 4097 is not allowed (allowed: 1..=4096)"),
        (vec!["--m", "2", "--k", "2", "--n", "9999"], "error: n 9999 is not allowed (allowed: 1..=4096)"),
        (vec!["--m", "2", "--k", "2", "--n", "2", "--stall-rate", "1"], "error: stall-rate 1 is not allowed (allowed: 0 <= P < 1)"),
        (vec!["--m", "2", "--k", "2", "--n", "2", "--acc-bits", "20"], "error: acc-bits 20 is not allowed (allowed: 16, 24, 32, 48)"),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra).collect();
        let (code, out, err) = llmpu(&args);
        assert_eq!((code, err.trim()), (2, msg), "args {args:?}, stdout {out}");
    }
}
