//! The host link's one validated configuration: clocks per UART bit, TX buffer depth, the
//! longest prompt and the frame timeout, built from [`HostLinkParams`] through `TryFrom`.

use crate::error::{check_range, Error, Result};
use serde::Serialize;

/// What a user (or the processing unit's generator) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLinkParams {
    /// Core clock frequency in Hz.
    pub clock_hz: u64,
    /// UART baud rate.
    pub baud: u32,
    /// TX buffer depth in bytes (a power of two, 16..=32768); default 512.
    pub buffer: u32,
    /// Longest prompt in tokens (the model's `block_size - 1`, at most 255).
    pub max_prompt: u32,
    /// A frame is abandoned when no byte arrives for this many byte times (2..=1000).
    pub timeout_bytes: u32,
}

impl HostLinkParams {
    /// Defaults for a clock and baud rate: 512-byte buffer, prompts up to 15 tokens (MicroGPT's
    /// block size 16), timeout 32 byte times.
    pub fn new(clock_hz: u64, baud: u32) -> Self {
        HostLinkParams { clock_hz, baud, buffer: 512, max_prompt: 15, timeout_bytes: 32 }
    }
}

/// A validated host-link configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HostLinkConfig {
    pub clock_hz: u64,
    pub baud: u32,
    /// Clocks per UART bit, `round(clock_hz / baud)`.
    pub divisor: u32,
    pub buffer: u32,
    pub max_prompt: u32,
    /// Clocks of silence after which a started frame is abandoned.
    pub timeout_clocks: u32,
}

impl TryFrom<HostLinkParams> for HostLinkConfig {
    type Error = Error;
    fn try_from(p: HostLinkParams) -> Result<Self> {
        let divisor = crate::rtl::uart::divisor(p.clock_hz, p.baud)?;
        if !p.buffer.is_power_of_two() || !(16..=32768).contains(&p.buffer) {
            return Err(Error::invalid("TX buffer", p.buffer, "allowed: a power of two bytes in 16..=32768"));
        }
        check_range("longest prompt", p.max_prompt, 1, 255)?;
        check_range("frame timeout in byte times", p.timeout_bytes, 2, 1000)?;
        let timeout = u64::from(divisor) * 10 * u64::from(p.timeout_bytes);
        if timeout >= 1 << 24 {
            return Err(Error::invalid(
                "frame timeout",
                format!("{timeout} clocks ({} byte times of {divisor} x 10 clocks)", p.timeout_bytes),
                "allowed: below 2^24 clocks; use fewer byte times or a higher baud rate",
            ));
        }
        Ok(HostLinkConfig {
            clock_hz: p.clock_hz,
            baud: p.baud,
            divisor,
            buffer: p.buffer,
            max_prompt: p.max_prompt,
            timeout_clocks: timeout as u32,
        })
    }
}

impl HostLinkConfig {
    /// The top module's name.
    pub const TOP: &'static str = "llmpu_hostlink";

    /// Address bits of the TX buffer memory.
    pub fn buffer_bits(&self) -> u32 {
        self.buffer.trailing_zeros()
    }

    /// Address bits of the prompt memory (it holds `max_prompt` tokens).
    pub fn prompt_bits(&self) -> u32 {
        (32 - (self.max_prompt - 1).leading_zeros()).max(1)
    }

    /// Clock cycles one UART byte takes on the wire.
    pub fn byte_clocks(&self) -> u64 {
        10 * u64::from(self.divisor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = HostLinkConfig::try_from(HostLinkParams::new(12_000_000, 115_200)).unwrap();
        assert_eq!((c.divisor, c.buffer_bits(), c.prompt_bits(), c.timeout_clocks), (104, 9, 4, 104 * 320));
        let mut p = HostLinkParams::new(12_000_000, 115_200);
        p.buffer = 500;
        assert_eq!(
            HostLinkConfig::try_from(p).unwrap_err().to_string(),
            "TX buffer 500 is not allowed (allowed: a power of two bytes in 16..=32768)"
        );
        p.buffer = 512;
        p.max_prompt = 256;
        assert_eq!(HostLinkConfig::try_from(p).unwrap_err().to_string(), "longest prompt 256 is not allowed (allowed: 1..=255)");
        let mut p = HostLinkParams::new(100_000_000, 9600);
        p.timeout_bytes = 200;
        assert_eq!(
            HostLinkConfig::try_from(p).unwrap_err().to_string(),
            "frame timeout 20834000 clocks (200 byte times of 10417 x 10 clocks) is not allowed (allowed: below 2^24 clocks; use fewer byte times or a higher baud rate)"
        );
    }
}
