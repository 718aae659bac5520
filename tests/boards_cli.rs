//! Board commands without FPGA tools: the committed constraint files are what the generator
//! makes, `llmpu constraints` writes them, unknown boards are usage errors, `flash` prints its
//! command on `--dry-run` and fails in one line without a bitstream or without a board.

use std::path::Path;
use std::process::Command;

fn llmpu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_llmpu")).args(args).output().expect("llmpu runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn committed_constraints_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("constraints");
    let files = llmpu::boards::constraints::all();
    for name in files.names() {
        let committed = std::fs::read(dir.join(&name))
            .unwrap_or_else(|e| panic!("constraints/{name}: {e}; run `llmpu constraints` and commit the files"));
        assert!(
            committed == files.get(&name).unwrap(),
            "constraints/{name} differs from the board data; run `llmpu constraints` and commit the files"
        );
    }
    let on_disk = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(on_disk, files.names().len(), "constraints/ holds files no board generates");
}

#[test]
fn constraints_command_writes_one_board_or_all() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    let (code, stdout, err) = llmpu(&["constraints", "--board", "ulx3s-45f", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout.trim(), out.join("ulx3s-45f.lpf").display().to_string());
    let lpf = std::fs::read_to_string(out.join("ulx3s-45f.lpf")).unwrap();
    assert!(lpf.contains("LOCATE COMP \"clk\" SITE \"G2\";"), "{lpf}");
    let (code, stdout, _) = llmpu(&["constraints", "--out", out.to_str().unwrap()]);
    assert_eq!((code, stdout.lines().count()), (0, 5));
}

#[test]
fn unknown_board_is_a_usage_error() {
    let (code, _, err) = llmpu(&["flash", "--board", "arty", "--dry-run"]);
    assert_eq!(code, 2);
    assert_eq!(err, "error: board 'arty' is not allowed (allowed: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f, ulx3s-25f)\n");
    let (code, _, err) = llmpu(&["constraints", "--board", "ulx3s"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn flash_dry_run_prints_the_command() {
    let (code, out, _) = llmpu(&["flash", "--board", "ulx3s-85f", "--bitstream", "b/top.bit", "--dry-run"]);
    assert_eq!((code, out.as_str()), (0, "openFPGALoader -b ulx3s b/top.bit\n"));
    let (code, out, _) = llmpu(&["flash", "--board", "icebreaker", "--dry-run"]);
    assert_eq!((code, out.as_str()), (0, "iceprog build/board/icebreaker/lpu/top.bin\n"));
}

#[test]
fn flash_without_bitstream_is_one_line() {
    let (code, _, err) = llmpu(&["flash", "--board", "hx8k-breakout", "--bitstream", "/nonexistent/top.bin"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: bitstream /nonexistent/top.bin is not allowed (no such file; build one with `llmpu build --board hx8k-breakout` or pass --bitstream FILE)\n"
    );
}

/// Runs the real programmers: on a machine with no board attached (CI, this one) they must
/// fail in one line that says so. A missing programmer fails the test with how to install it.
#[test]
fn flash_with_no_board_attached_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let bit = dir.path().join("x.bin");
    std::fs::write(&bit, b"not a bitstream").unwrap();
    for (board, tool) in [("ulx3s-85f", "openFPGALoader"), ("icebreaker", "iceprog")] {
        if Command::new("which").arg(tool).output().map(|o| !o.status.success()).unwrap_or(true) {
            panic!("{tool} is not installed: run bash scripts/setup.sh --no-run");
        }
        let (code, _, err) = llmpu(&["flash", "--board", board, "--bitstream", bit.to_str().unwrap()]);
        if code == 0 {
            eprintln!("a {board} seems to be attached; cannot check the no-board message");
            continue;
        }
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("error: {tool} failed: no ")) && err.contains("found on USB ("), "{err}");
    }
}

#[test]
fn board_demo_dry_run_plans_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let bd = dir.path().join("b");
    let (code, out, err) = llmpu(&["board-demo", "--board", "ulx3s-85f", "--freq", "50", "--dry-run", "--build-dir", bd.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("--lpf ulx3s-85f.lpf --textcfg top.config > nextpnr.log 2>&1\n"), "{out}");
    assert!(out.contains("yowasp-ecppack top.config top.bit > ecppack.log 2>&1\n"), "{out}");
    assert!(!bd.exists(), "--dry-run writes nothing");
    let (code, _, err) = llmpu(&["board-demo", "--board", "icebreaker", "--freq", "300", "--dry-run"]);
    assert_eq!((code, err.as_str()), (2, "error: clock 300 MHz is not allowed (allowed on iCE40: 16..=275 MHz)\n"));
}
