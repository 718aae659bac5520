//! 1BitSquared iCEBreaker v1.0: iCE40UP5K-SG48, 12 MHz oscillator, UART on channel B of its
//! FT2232H, user button, red and green LEDs (both active low).
//!
//! Pins read from amaranth-boards `amaranth_boards/icebreaker.py` (commit fd2f0df8):
//! `clk12` pin 35, `led_r` 11 / `led_g` 37 (PinsN: active low), button 10 (inverted: active
//! low), `UARTResource(rx="6", tx="9", PULLUP=1)` (rx/tx from the FPGA's side).

use super::{Board, LpuDefaults, Button, Flasher, Pin};

pub const ICEBREAKER: Board = Board {
    name: "icebreaker",
    title: "1BitSquared iCEBreaker",
    target: "ice40-up5k",
    clock: Pin { site: "35", pullup: false },
    clock_mhz: 12.0,
    clock_is_pll_pad: true,
    button: Some(Button { pin: Pin { site: "10", pullup: true }, active_low: true }),
    uart_rx: Pin { site: "6", pullup: true },
    uart_tx: Pin { site: "9", pullup: false },
    leds: &["11", "37"],
    leds_active_low: true,
    io_type: "LVCMOS33",
    flasher: Flasher::Iceprog { sram: false },
    lpu: LpuDefaults { rows: 1, cols: 1, freq_mhz: 12.0, engine: "compact" },
    source: "amaranth-boards amaranth_boards/icebreaker.py",
};
