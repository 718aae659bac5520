//! Programming a board: the command as data (printed by `--dry-run`), and the one-line
//! message when the programmer finds no board.

use super::{Board, Flasher};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The exact command that programs `bitstream` into `board`.
pub fn command(board: &Board, bitstream: &Path) -> (PathBuf, Vec<String>) {
    let file = bitstream.display().to_string();
    match board.flasher {
        Flasher::Iceprog { sram: true } => ("iceprog".into(), vec!["-S".into(), file]),
        Flasher::Iceprog { sram: false } => ("iceprog".into(), vec![file]),
        Flasher::OpenFpgaLoader { board: b } => ("openFPGALoader".into(), vec!["-b".into(), b.into(), file]),
    }
}

/// The command as a shell line.
pub fn render(board: &Board, bitstream: &Path) -> String {
    let (p, args) = command(board, bitstream);
    std::iter::once(p.display().to_string()).chain(args).collect::<Vec<_>>().join(" ")
}

/// What the programmers print when no board is on USB (seen on a machine without a board:
/// openFPGALoader `unable to open ftdi device: -3 (device not found)`, iceprog `Can't find
/// iCE FTDI USB device`).
pub fn no_board_line(output: &str) -> Option<&str> {
    output
        .lines()
        .map(str::trim)
        .find(|l| l.contains("device not found") || l.contains("Can't find iCE FTDI USB device") || l.contains("No cable found"))
}

/// Programs the board. Fails in one line when the bitstream is missing, the programmer is not
/// installed, no board is attached, or the programmer fails (quoting its last words).
pub fn flash(board: &Board, bitstream: &Path) -> Result<()> {
    if !bitstream.is_file() {
        return Err(Error::invalid(
            "bitstream",
            bitstream.display(),
            format!("no such file; build one with `llmpu build --board {}` or pass --bitstream FILE", board.name),
        ));
    }
    let (program, args) = command(board, bitstream);
    let name = program.display().to_string();
    let out = Command::new(&program).args(&args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::tool(&name, "not found; run scripts/setup.sh to install it")
        } else {
            Error::tool(&name, format!("cannot start: {e}"))
        }
    })?;
    if out.status.success() {
        return Ok(());
    }
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if let Some(line) = no_board_line(&text) {
        return Err(Error::tool(
            &name,
            format!("no {} found on USB ({line}); connect the board and check its USB cable and permissions", board.title),
        ));
    }
    Err(Error::tool(&name, crate::synth::run::log_excerpt(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_per_board() {
        let b = |n: &str| n.parse::<Board>().unwrap();
        let f = Path::new("build/x.bin");
        assert_eq!(render(&b("icebreaker"), f), "iceprog build/x.bin");
        assert_eq!(render(&b("hx8k-breakout"), f), "iceprog -S build/x.bin");
        assert_eq!(render(&b("ulx3s-85f"), Path::new("a.bit")), "openFPGALoader -b ulx3s a.bit");
    }

    #[test]
    fn recognises_the_no_board_messages() {
        let ofl = "Error in parse arg stepunable to open ftdi device: -3 (device not found)\nJTAG init failed with: unable to open ftdi device\n";
        assert_eq!(no_board_line(ofl), Some("Error in parse arg stepunable to open ftdi device: -3 (device not found)"));
        let ice = "init..\nCan't find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014).\nABORT.\n";
        assert_eq!(no_board_line(ice), Some("Can't find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014)."));
        assert_eq!(no_board_line("ERROR: bad bitstream"), None);
    }

    #[test]
    fn missing_bitstream_is_one_line() {
        let b: Board = "ulx3s-85f".parse().unwrap();
        let e = flash(&b, Path::new("/nonexistent/top.bit")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bitstream /nonexistent/top.bit is not allowed (no such file; build one with `llmpu build --board ulx3s-85f` or pass --bitstream FILE)"
        );
    }
}
