//! An 8N1 UART: the receiver ([`rx::UartRx`]) and the transmitter ([`tx::UartTx`]). The bit
//! period is a constant input port (`divisor`, clocks per bit) computed at generation time by
//! [`divisor`] from the clock frequency and the baud rate.

pub mod rx;
pub mod tx;

use crate::error::{Error, Result};

/// Smallest clocks-per-bit the receiver can sample mid-bit with its 2-flop synchroniser.
pub const MIN_DIVISOR: u64 = 4;
/// Largest clocks-per-bit (the `divisor` port is 16 bits).
pub const MAX_DIVISOR: u64 = 65535;

/// `round(f_clk / baud)`, the clocks per bit, validated to `4..=65535`; the error names both
/// the clock and the baud rate.
pub fn divisor(clock_hz: u64, baud: u32) -> Result<u32> {
    if baud == 0 {
        return Err(Error::invalid("baud rate", 0, "allowed: 1 or more"));
    }
    let d = (clock_hz + u64::from(baud) / 2) / u64::from(baud);
    if !(MIN_DIVISOR..=MAX_DIVISOR).contains(&d) {
        return Err(Error::invalid(
            "UART divisor",
            format!("{d} (clock {clock_hz} Hz / baud {baud})"),
            format!("allowed: {MIN_DIVISOR}..={MAX_DIVISOR} clocks per bit; lower the baud rate or raise the clock"),
        ));
    }
    Ok(d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisor_rounds_and_names_clock_and_baud() {
        assert_eq!(divisor(12_000_000, 115_200).unwrap(), 104);
        assert_eq!(divisor(25_000_000, 115_200).unwrap(), 217);
        assert_eq!(divisor(460_800, 115_200).unwrap(), 4);
        assert_eq!(
            divisor(400_000, 115_200).unwrap_err().to_string(),
            "UART divisor 3 (clock 400000 Hz / baud 115200) is not allowed (allowed: 4..=65535 clocks per bit; lower the baud rate or raise the clock)"
        );
        assert_eq!(divisor(1_000_000, 0).unwrap_err().to_string(), "baud rate 0 is not allowed (allowed: 1 or more)");
    }
}
