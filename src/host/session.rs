//! One request from start frame to status record, over any [`Link`]: the same code drives a
//! board through a serial port and a simulated unit through its UART pins.

use super::link::Link;
use super::protocol::{Event, Request, ResponseParser, Status, StatusCode};
use crate::error::{Error, Result};
use std::time::Duration;

/// Sends `req`, passes every event (characters and the status) to `on_event` as it arrives, and
/// returns the status once its record is complete.
///
/// Errors (`Error::Link`, one line): no byte within `timeout` (between two bytes, or before the
/// first one), a corrupt byte or record, or a status whose code is not ok (the record is still
/// passed to `on_event` first).
pub fn run(link: &mut dyn Link, req: &Request, timeout: Duration, on_event: &mut dyn FnMut(&Event)) -> Result<Status> {
    link.write_all(&req.encode())?;
    receive(link, timeout, on_event)
}

/// The receiving half of [`run`], for callers that send their own bytes (tests of malformed
/// frames).
pub fn receive(link: &mut dyn Link, timeout: Duration, on_event: &mut dyn FnMut(&Event)) -> Result<Status> {
    let mut parser = ResponseParser::new();
    let mut chars = 0u64;
    loop {
        let b = link.read(timeout)?.ok_or_else(|| {
            Error::Link(format!(
                "no answer from the unit within {:?} ({chars} characters received{}); check the port, the baud rate and that the board runs an llmpu bitstream",
                timeout,
                if parser.in_record() { ", inside a status record" } else { "" }
            ))
        })?;
        let Some(ev) = parser.feed(b) else { continue };
        on_event(&ev);
        match ev {
            Event::Char(_) => chars += 1,
            Event::Corrupt(m) => return Err(Error::Link(format!("garbled answer from the unit after {chars} characters: {m}"))),
            Event::Status(st) => {
                return match st.code {
                    StatusCode::Ok => Ok(st),
                    c => Err(Error::Link(format!("the unit refused the request: {}", c.describe()))),
                }
            }
        }
    }
}
