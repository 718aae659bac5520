//! Lattice iCE40-HX8K Breakout Board (ICE40HX8K-B-EVN): iCE40HX8K-CT256, 12 MHz oscillator,
//! UART on channel B of its FT2232H, eight active-high LEDs D2..D9, no user button (reset is
//! the power-on reset only).
//!
//! Pins read from amaranth-boards `amaranth_boards/ice40_hx8k_b_evn.py` (commit fd2f0df8):
//! `clk12` J3, LEDs "C3 B3 C4 C5 A1 A2 B4 B5", `UARTResource(rx="B10", tx="B12", PULLUP=1)`.
//! Programming follows the same file: `iceprog -S` (SRAM, the board's jumpers J6/J7 set
//! for SRAM programming).

use super::{Board, LpuDefaults, Flasher, Pin};

pub const HX8K_BREAKOUT: Board = Board {
    name: "hx8k-breakout",
    title: "Lattice iCE40-HX8K Breakout Board",
    target: "ice40-hx8k",
    clock: Pin { site: "J3", pullup: false },
    clock_mhz: 12.0,
    clock_is_pll_pad: false,
    button: None,
    uart_rx: Pin { site: "B10", pullup: true },
    uart_tx: Pin { site: "B12", pullup: false },
    leds: &["C3", "B3", "C4", "C5", "A1", "A2", "B4", "B5"],
    leds_active_low: false,
    io_type: "LVCMOS33",
    flasher: Flasher::Iceprog { sram: true },
    lpu: LpuDefaults { rows: 1, cols: 1, freq_mhz: 30.0, engine: "compact" },
    source: "amaranth-boards amaranth_boards/ice40_hx8k_b_evn.py",
};
