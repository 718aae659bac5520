//! `llmpu run`: talks to a board running the processing unit through a serial port with the
//! host protocol ([`crate::host`]) and prints the names as they arrive and the status line with
//! the tokens per second measured by the on-chip cycle counter.

use crate::boards::Board;
use crate::cli::model::ModelArgs;
use crate::host::{session, Event, Request, RequestParams, SerialLink, Status};
use crate::rtl::hostlink::{HostLinkConfig, HostLinkParams};
use clap::Args;
use std::io::Write;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Serial port of the board's UART, e.g. /dev/ttyUSB1 (iCEBreaker, ULX3S: the FTDI's second channel)
    #[arg(long)]
    pub port: String,
    /// Baud rate; must match the bitstream's
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Names to generate (with --tokens: tokens)
    #[arg(short = 'n', long = "count", default_value_t = 20)]
    pub count: u32,
    /// Sampling temperature: 0 (greedy) or 0.1..=10
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    /// Seed of the on-chip xorshift32 (folded to a non-zero 32-bit state)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Prompt: every name starts with these characters
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Count tokens instead of names
    #[arg(long)]
    pub tokens: bool,
    /// Count only: the unit sends no characters, only the status with its cycle count
    #[arg(long)]
    pub quiet: bool,
    /// Core clock in MHz, for tokens per second (default: the --board's oscillator)
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    /// Board, for its clock when --clock-mhz is not given
    #[arg(long)]
    pub board: Option<String>,
    /// Seconds to wait for each byte from the board
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// Generation parameters of the host link (`llmpu generate hostlink`; the processing unit's
/// generator takes the same values).
#[derive(Debug, Clone, Args)]
pub struct HostLinkArgs {
    /// Core clock in MHz (the UART divisor is round(clock / baud))
    #[arg(long, default_value_t = 12.0)]
    pub clock_mhz: f64,
    /// UART baud rate
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// TX buffer bytes (a power of two, 16..=32768)
    #[arg(long, default_value_t = 512)]
    pub buffer: u32,
    /// Longest prompt in tokens (the model's block size - 1)
    #[arg(long, default_value_t = 15)]
    pub max_prompt: u32,
    /// Byte times of silence that abandon a started frame
    #[arg(long, default_value_t = 32)]
    pub timeout_bytes: u32,
}

impl TryFrom<&HostLinkArgs> for HostLinkConfig {
    type Error = crate::Error;
    fn try_from(a: &HostLinkArgs) -> crate::Result<Self> {
        if !(0.001..=1000.0).contains(&a.clock_mhz) {
            return Err(crate::Error::invalid("clock in MHz", a.clock_mhz, "allowed: 0.001..=1000"));
        }
        HostLinkConfig::try_from(HostLinkParams {
            clock_hz: (a.clock_mhz * 1e6).round() as u64,
            baud: a.baud,
            buffer: a.buffer,
            max_prompt: a.max_prompt,
            timeout_bytes: a.timeout_bytes,
        })
    }
}

/// The status line: counts, cycles per token and, with a clock, tokens per second.
pub fn status_line(st: &Status, clock_hz: Option<f64>) -> String {
    let mut s = format!("{} names, {} tokens, {} cycles", st.names, st.tokens, st.cycles);
    if let Some(c) = st.cycles_per_token() {
        s += &format!(" ({c:.1} cycles/token)");
    }
    s += &format!(", {} stall cycles", st.stall);
    match (clock_hz, st.tokens_per_second(clock_hz.unwrap_or(0.0))) {
        (Some(hz), Some(tps)) => s += &format!(", {tps:.0} tokens/s at {} MHz", hz / 1e6),
        _ => s += " (give --clock-mhz or --board for tokens/s)",
    }
    s
}

pub fn run(a: RunArgs) -> anyhow::Result<()> {
    let m = a.model.load()?;
    let params =
        RequestParams { seed: a.seed, temperature: a.temperature, count: a.count, tokens: a.tokens, quiet: a.quiet, prompt: &a.prompt };
    let req = Request::new(&params, &m.tok, m.cfg.block_size)?;
    let clock_mhz = match (a.clock_mhz, &a.board) {
        (Some(f), _) => Some(crate::error::check_range("clock in MHz", f, 0.001, 1000.0)?),
        (None, Some(b)) => Some(b.parse::<Board>()?.clock_mhz),
        (None, None) => None,
    };
    if !(a.timeout > 0.0 && a.timeout <= 3600.0) {
        return Err(crate::Error::invalid("timeout", a.timeout, "allowed: more than 0 and at most 3600 seconds").into());
    }
    crate::error::check_range("baud rate", a.baud, 300, 12_000_000)?;
    let mut link = SerialLink::open(&a.port, a.baud)?;
    let mut out = std::io::stdout();
    let mut on_event = |e: &Event| {
        if let Event::Char(c) = e {
            let _ = write!(out, "{c}");
            if *c == '\n' {
                let _ = out.flush();
            }
        }
    };
    let st = session::run(&mut link, &req, Duration::from_secs_f64(a.timeout), &mut on_event)?;
    let _ = out.flush();
    println!("{}", status_line(&st, clock_mhz.map(|f| f * 1e6)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::StatusCode;

    #[test]
    fn status_line_gives_tokens_per_second_from_the_cycle_count() {
        let st = Status { code: StatusCode::Ok, tokens: 200, names: 20, cycles: 40_000, stall: 7 };
        assert_eq!(
            status_line(&st, Some(100e6)),
            "20 names, 200 tokens, 40000 cycles (200.0 cycles/token), 7 stall cycles, 500000 tokens/s at 100 MHz"
        );
        assert_eq!(
            status_line(&st, None),
            "20 names, 200 tokens, 40000 cycles (200.0 cycles/token), 7 stall cycles (give --clock-mhz or --board for tokens/s)"
        );
    }

    #[test]
    fn hostlink_args_validate_the_divisor() {
        let mut a = HostLinkArgs { clock_mhz: 12.0, baud: 115_200, buffer: 512, max_prompt: 15, timeout_bytes: 32 };
        assert_eq!(HostLinkConfig::try_from(&a).unwrap().divisor, 104);
        a.clock_mhz = 0.4;
        assert_eq!(
            HostLinkConfig::try_from(&a).unwrap_err().to_string(),
            "UART divisor 3 (clock 400000 Hz / baud 115200) is not allowed (allowed: 4..=65535 clocks per bit; lower the baud rate or raise the clock)"
        );
    }

    #[test]
    fn a_missing_port_is_one_line_naming_it() {
        let e = SerialLink::open("/dev/llmpu-no-such-port", 115_200).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("no serial port /dev/llmpu-no-such-port: "), "{e}");
        assert!(e.ends_with("(choose the board's UART with --port)") && !e.contains('\n'), "{e}");
    }
}
