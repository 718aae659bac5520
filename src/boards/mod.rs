//! Boards as data: one file per board with its part, oscillator and the pins llmpu uses
//! (clock, reset button, UART to the host, LEDs), each citing the published pinout it was
//! read from. Everything board-specific is derived from these consts: the constraint files
//! ([`constraints`]), the PLL ([`pll`]), the board top that holds a design ([`top`]) and the
//! programming command ([`flash`]).
//!
//! Why Rust consts and not TOML/JSON files: the data is checked by the compiler (a missing
//! pin or a misspelt field does not build), needs no parser or file lookup at run time, and
//! each board is still one small file that holds nothing but data.

pub mod build;
pub mod constraints;
pub mod demo;
pub mod flash;
pub mod hx8k_breakout;
pub mod icebreaker;
pub mod lpu_build;
pub mod pll;
pub mod top;
pub mod ulx3s;

use crate::error::{Error, Result};
use crate::synth::target::{Family, Target};

/// One package pin: its site name (iCE40 package pin number or ECP5 ball) and whether the
/// FPGA's internal pull-up is enabled on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub site: &'static str,
    pub pullup: bool,
}

/// A push button used as reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Button {
    pub pin: Pin,
    /// Reads 0 when pressed.
    pub active_low: bool,
}

/// How a board is programmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flasher {
    /// icestorm's `iceprog` (FT2232H boards); `sram` loads the FPGA directly (`-S`) instead
    /// of writing the SPI flash.
    Iceprog { sram: bool },
    /// `openFPGALoader -b <board>`.
    OpenFpgaLoader { board: &'static str },
}

/// What `llmpu build --board B` builds when the user names no size or clock: the matrix unit
/// and the clock (MHz; the oscillator's, or what the PLL makes) chosen so that the processing
/// unit of the default model fits the part and meets timing (measured: docs/boards.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LpuDefaults {
    pub rows: usize,
    pub cols: usize,
    pub freq_mhz: f64,
    /// `parallel` or `compact` ([`crate::lpu::Engine`]).
    pub engine: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Board {
    /// The name users type, e.g. `icebreaker`.
    pub name: &'static str,
    pub title: &'static str,
    /// Name of the part's [`Target`] in `src/synth/target.rs`.
    pub target: &'static str,
    /// The oscillator input.
    pub clock: Pin,
    pub clock_mhz: f64,
    /// iCE40: the clock pin is a PLL's pad, so the PLL is fed by `SB_PLL40_PAD` (on the UP5K
    /// nextpnr cannot place a `SB_PLL40_CORE` there). Unused on ECP5.
    pub clock_is_pll_pad: bool,
    /// Reset button; `None` when the board has none (power-on reset only).
    pub button: Option<Button>,
    /// UART, named from the FPGA's side: `uart_rx` receives from the host.
    pub uart_rx: Pin,
    pub uart_tx: Pin,
    pub leds: &'static [&'static str],
    pub leds_active_low: bool,
    /// ECP5 `IO_TYPE` of every pin (iCE40 banks here are 3.3 V LVCMOS, which the pcf cannot set).
    pub io_type: &'static str,
    pub flasher: Flasher,
    /// The published pinout the pins were read from.
    pub source: &'static str,
    /// Defaults of `llmpu build` for this board.
    pub lpu: LpuDefaults,
}

/// Every board, in the order they are listed to users.
pub const BOARDS: [Board; 5] =
    [icebreaker::ICEBREAKER, hx8k_breakout::HX8K_BREAKOUT, ulx3s::ULX3S_85F, ulx3s::ULX3S_45F, ulx3s::ULX3S_25F];

/// Port names of the board top, used by the constraint files and [`top`].
pub const PORT_CLOCK: &str = "clk";
pub const PORT_BUTTON: &str = "btn";
pub const PORT_UART_RX: &str = "uart_rx";
pub const PORT_UART_TX: &str = "uart_tx";
pub const PORT_LED: &str = "led";

impl Board {
    pub fn names() -> Vec<&'static str> {
        BOARDS.iter().map(|b| b.name).collect()
    }

    /// The board's part. Every board names an existing target (checked by a test).
    pub fn target(&self) -> Target {
        match self.target.parse::<Target>() {
            Ok(t) => t,
            Err(e) => panic!("board {} names an unknown target: {e}", self.name),
        }
    }

    pub fn family(&self) -> Family {
        self.target().family
    }

    /// `constraints/<board>.pcf` or `.lpf`.
    pub fn constraint_file_name(&self) -> String {
        match self.family() {
            Family::Ice40 => format!("{}.pcf", self.name),
            Family::Ecp5 => format!("{}.lpf", self.name),
        }
    }

    /// Bitstream file name the pack step writes: `.bin` for iCE40, `.bit` for ECP5.
    pub fn bitstream_ext(&self) -> &'static str {
        match self.family() {
            Family::Ice40 => "bin",
            Family::Ecp5 => "bit",
        }
    }
}

impl std::str::FromStr for Board {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        BOARDS
            .iter()
            .find(|b| b.name == s)
            .copied()
            .ok_or_else(|| Error::invalid("board", format!("'{s}'"), format!("allowed: {}", Board::names().join(", "))))
    }
}

impl std::fmt::Display for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every board's default unit is a valid configuration of the default model on its part.
    #[test]
    fn every_board_default_unit_is_a_valid_configuration() {
        let q = crate::model::QuantModel::from_float(&crate::cli::model::ModelArgs { model: None, n_head: None }.load().unwrap()).unwrap();
        for b in BOARDS {
            let engine: crate::lpu::Engine = b.lpu.engine.parse().unwrap_or_else(|e| panic!("{}: {e}", b.name));
            let p = crate::lpu::LpuParams { engine, ..crate::lpu::LpuParams::new(q.cfg, b.lpu.rows, b.lpu.cols, b.target) };
            crate::lpu::LpuConfig::try_from(p).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        }
    }

    #[test]
    fn unknown_board_lists_the_boards() {
        let e = "arty".parse::<Board>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "board 'arty' is not allowed (allowed: icebreaker, hx8k-breakout, ulx3s-85f, ulx3s-45f, ulx3s-25f)"
        );
        assert!(e.is_usage());
    }

    #[test]
    fn every_board_names_a_target_of_its_part() {
        let parts: Vec<(&str, &str, &str, f64)> =
            BOARDS.iter().map(|b| (b.name, b.target().device, b.target().package, b.clock_mhz)).collect();
        assert_eq!(
            parts,
            vec![
                ("icebreaker", "iCE40UP5K", "sg48", 12.0),
                ("hx8k-breakout", "iCE40HX8K", "ct256", 12.0),
                ("ulx3s-85f", "LFE5U-85F", "CABGA381", 25.0),
                ("ulx3s-45f", "LFE5U-45F", "CABGA381", 25.0),
                ("ulx3s-25f", "LFE5U-25F", "CABGA381", 25.0),
            ]
        );
        for b in BOARDS {
            assert_eq!(b.name.parse::<Board>().unwrap(), b, "names are unique and parse back");
        }
    }

    #[test]
    fn pins_are_distinct_on_each_board() {
        for b in BOARDS {
            let mut sites: Vec<&str> = vec![b.clock.site, b.uart_rx.site, b.uart_tx.site];
            sites.extend(b.button.map(|x| x.pin.site));
            sites.extend(b.leds.iter().copied());
            let n = sites.len();
            sites.sort();
            sites.dedup();
            assert_eq!(sites.len(), n, "{}: a pin is used twice", b.name);
            assert!(!b.leds.is_empty());
        }
    }
}
