//! The host side of the host link: the protocol ([`protocol`]: the start frame, the response
//! stream and its parser), the transports ([`link`]: a serial port, and a pin-level UART model
//! for simulations), and the session ([`session::run`]) that drives either the same way.

pub mod link;
pub mod protocol;
pub mod session;

pub use link::{Link, PinDevice, PinLink, SerialLink, UartPins};
pub use protocol::{Event, Request, RequestParams, ResponseParser, Status, StatusCode};
