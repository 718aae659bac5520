//! Transports of the host protocol: [`Link`] is what [`super::session::run`] needs; a
//! [`SerialLink`] talks to a board, a [`PinLink`] to a simulated design through its UART pins
//! with the pin-level model [`UartPins`].

use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::Duration;

/// A byte pipe to the unit.
pub trait Link {
    /// Sends all of `bytes`.
    fn write_all(&mut self, bytes: &[u8]) -> Result<()>;
    /// The next received byte, or `None` when none arrived within `timeout` (for simulations:
    /// simulated time at the design's clock).
    fn read(&mut self, timeout: Duration) -> Result<Option<u8>>;
}

/// A serial port (8N1).
pub struct SerialLink {
    name: String,
    port: Box<dyn serialport::SerialPort>,
    buf: VecDeque<u8>,
}

impl SerialLink {
    /// Opens `port` at `baud`; the error names the port and how to choose another.
    pub fn open(port: &str, baud: u32) -> Result<Self> {
        let p = serialport::new(port, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| Error::Link(format!("no serial port {port}: {} (choose the board's UART with --port)", e.description)))?;
        let _ = p.clear(serialport::ClearBuffer::All);
        Ok(SerialLink { name: port.to_string(), port: p, buf: VecDeque::new() })
    }
}

impl Link for SerialLink {
    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.port
            .write_all(bytes)
            .and_then(|_| self.port.flush())
            .map_err(|e| Error::Link(format!("writing to serial port {}: {e}", self.name)))
    }

    fn read(&mut self, timeout: Duration) -> Result<Option<u8>> {
        if let Some(b) = self.buf.pop_front() {
            return Ok(Some(b));
        }
        self.port.set_timeout(timeout).map_err(|e| Error::Link(format!("serial port {}: {}", self.name, e.description)))?;
        let mut b = [0u8; 256];
        match self.port.read(&mut b) {
            Ok(0) => Ok(None),
            Ok(n) => {
                self.buf.extend(&b[..n]);
                Ok(self.buf.pop_front())
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(None),
            Err(e) => Err(Error::Link(format!("reading from serial port {}: {e}", self.name))),
        }
    }
}

/// Pin-level model of the host's UART (8N1, LSB first), stepped once per clock of the simulated
/// design. It sends queued bytes back to back (`10 * divisor` clocks each, line high between
/// frames) and receives by sampling the unit's TX pin in the middle of each bit, like the
/// design's receiver (without the synchroniser).
#[derive(Debug, Clone)]
pub struct UartPins {
    divisor: u32,
    out: VecDeque<u8>,
    /// Sending: the 10-bit frame, the bit index and the clocks left in the bit.
    send: Option<(u16, u32, u32)>,
    /// Receiving: state (0 idle, 1 start, 2 data, 3 stop), countdown, bit count, shift register.
    rstate: u8,
    rcnt: u32,
    rbits: u32,
    rsh: u8,
    prev: bool,
    received: VecDeque<u8>,
    /// Received frames whose stop bit was low.
    pub framing_errors: u64,
}

impl UartPins {
    /// A model with `divisor` clocks per bit (at least 4, as the design requires).
    pub fn new(divisor: u32) -> Result<Self> {
        crate::error::check_range("UART divisor", u64::from(divisor), crate::rtl::uart::MIN_DIVISOR, crate::rtl::uart::MAX_DIVISOR)?;
        Ok(UartPins {
            divisor,
            out: VecDeque::new(),
            send: None,
            rstate: 0,
            rcnt: 0,
            rbits: 0,
            rsh: 0,
            prev: true,
            received: VecDeque::new(),
            framing_errors: 0,
        })
    }

    pub fn divisor(&self) -> u32 {
        self.divisor
    }

    /// Queues bytes to send.
    pub fn send(&mut self, bytes: &[u8]) {
        self.out.extend(bytes);
    }

    /// True while bytes are queued or being sent.
    pub fn sending(&self) -> bool {
        self.send.is_some() || !self.out.is_empty()
    }

    /// The oldest received byte.
    pub fn pop(&mut self) -> Option<u8> {
        self.received.pop_front()
    }

    /// One clock: `tx_pin` is the unit's TX line in this cycle; returns the level to drive on
    /// the unit's RX line in this cycle.
    pub fn step(&mut self, tx_pin: bool) -> bool {
        self.receive(tx_pin);
        if self.send.is_none() {
            if let Some(b) = self.out.pop_front() {
                self.send = Some(((u16::from(b) << 1) | 0x200, 0, self.divisor));
            }
        }
        match &mut self.send {
            None => true,
            Some((frame, bit, left)) => {
                let level = (*frame >> *bit) & 1 == 1;
                *left -= 1;
                if *left == 0 {
                    *bit += 1;
                    *left = self.divisor;
                    if *bit == 10 {
                        self.send = None;
                    }
                }
                level
            }
        }
    }

    fn receive(&mut self, line: bool) {
        let d = self.divisor;
        match self.rstate {
            0 => {
                if self.prev && !line {
                    // Falling edge: the middle of the start bit is half a bit later.
                    self.rstate = 1;
                    self.rcnt = d / 2;
                }
            }
            _ => {
                self.rcnt -= 1;
                if self.rcnt == 0 {
                    self.rcnt = d;
                    match self.rstate {
                        1 => {
                            if line {
                                self.rstate = 0;
                            } else {
                                self.rstate = 2;
                                self.rbits = 0;
                            }
                        }
                        2 => {
                            self.rsh = (self.rsh >> 1) | if line { 0x80 } else { 0 };
                            self.rbits += 1;
                            if self.rbits == 8 {
                                self.rstate = 3;
                            }
                        }
                        _ => {
                            if line {
                                self.received.push_back(self.rsh);
                            } else {
                                self.framing_errors += 1;
                            }
                            self.rstate = 0;
                        }
                    }
                }
            }
        }
        self.prev = line;
    }
}

/// A simulated design seen through its UART pins, one clock per call.
pub trait PinDevice {
    /// Drives the design's RX pin with `rx` for this cycle, applies one rising edge (and does
    /// whatever else the simulation needs in this cycle), and returns the design's TX pin after
    /// the edge.
    fn clock(&mut self, rx: bool) -> Result<bool>;
}

/// A [`Link`] to a [`PinDevice`]: bytes travel through [`UartPins`]; timeouts are simulated
/// time at `clock_hz`.
pub struct PinLink<D> {
    pub dev: D,
    pub pins: UartPins,
    pub clock_hz: f64,
    tx: bool,
    /// Clock cycles simulated so far.
    pub cycles: u64,
}

impl<D: PinDevice> PinLink<D> {
    pub fn new(dev: D, divisor: u32, clock_hz: f64) -> Result<Self> {
        Ok(PinLink { dev, pins: UartPins::new(divisor)?, clock_hz, tx: true, cycles: 0 })
    }

    /// One clock of the design and the pin model.
    pub fn step(&mut self) -> Result<()> {
        let rx = self.pins.step(self.tx);
        self.tx = self.dev.clock(rx)?;
        self.cycles += 1;
        Ok(())
    }

    /// Runs `n` clocks (e.g. an idle line after reset).
    pub fn idle(&mut self, n: u64) -> Result<()> {
        for _ in 0..n {
            self.step()?;
        }
        Ok(())
    }
}

impl<D: PinDevice> Link for PinLink<D> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.pins.send(bytes);
        Ok(())
    }

    fn read(&mut self, timeout: Duration) -> Result<Option<u8>> {
        let limit = (timeout.as_secs_f64() * self.clock_hz).ceil() as u64;
        let mut n = 0;
        loop {
            if let Some(b) = self.pins.pop() {
                return Ok(Some(b));
            }
            if n >= limit {
                return Ok(None);
            }
            self.step()?;
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback: the model's own TX line fed back into its receiver.
    #[test]
    fn pins_loop_back_every_byte_at_divisor_4_and_13() {
        for d in [4, 13] {
            let mut p = UartPins::new(d).unwrap();
            let bytes: Vec<u8> = (0..=255).collect();
            p.send(&bytes);
            let mut line = true;
            let mut n = 0u64;
            while p.sending() || n < 20 * d as u64 {
                line = p.step(line);
                n += 1;
            }
            let got: Vec<u8> = std::iter::from_fn(|| p.pop()).collect();
            assert_eq!(got, bytes, "divisor {d}");
            assert_eq!(p.framing_errors, 0);
        }
        assert_eq!(UartPins::new(3).unwrap_err().to_string(), "UART divisor 3 is not allowed (allowed: 4..=65535)");
    }
}
