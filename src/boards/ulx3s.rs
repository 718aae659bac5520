//! Radiona ULX3S v3.x: LFE5U-{25,45,85}F in CABGA381, 25 MHz oscillator, UART through its
//! FT231X, eight active-high LEDs, PWR button BTN0 (active low, pulled up) used as reset.
//!
//! Pins read from amaranth-boards `amaranth_boards/ulx3s.py` (commit fd2f0df8), which follows
//! the board's own `ulx3s_v20.lpf`: `clk25` G2, LEDs "B2 C2 C1 D2 D1 E2 E1 H3",
//! `button_pwr` PinsN("D6") PULLMODE=UP, `UARTResource(rx="M1", tx="L4")` (rx/tx from the
//! FPGA's side: M1 is the FTDI's TXD), IO_TYPE LVCMOS33 everywhere. The three variants differ
//! only in the part.

use super::{Board, LpuDefaults, Button, Flasher, Pin};

const fn ulx3s(name: &'static str, title: &'static str, target: &'static str, lpu: LpuDefaults) -> Board {
    Board {
        name,
        title,
        target,
        clock: Pin { site: "G2", pullup: false },
        clock_mhz: 25.0,
        clock_is_pll_pad: false,
        button: Some(Button { pin: Pin { site: "D6", pullup: true }, active_low: true }),
        uart_rx: Pin { site: "M1", pullup: true },
        uart_tx: Pin { site: "L4", pullup: false },
        leds: &["B2", "C2", "C1", "D2", "D1", "E2", "E1", "H3"],
        leds_active_low: false,
        io_type: "LVCMOS33",
        flasher: Flasher::OpenFpgaLoader { board: "ulx3s" },
        source: "amaranth-boards amaranth_boards/ulx3s.py",
        lpu,
    }
}

pub const ULX3S_85F: Board = ulx3s("ulx3s-85f", "Radiona ULX3S (LFE5U-85F)", "ecp5-85k", LpuDefaults { rows: 4, cols: 4, freq_mhz: 12.5, engine: "parallel" });
pub const ULX3S_45F: Board = ulx3s("ulx3s-45f", "Radiona ULX3S (LFE5U-45F)", "ecp5-45k", LpuDefaults { rows: 4, cols: 4, freq_mhz: 12.5, engine: "parallel" });
pub const ULX3S_25F: Board = ulx3s("ulx3s-25f", "Radiona ULX3S (LFE5U-25F)", "ecp5-25k", LpuDefaults { rows: 2, cols: 2, freq_mhz: 12.5, engine: "parallel" });
