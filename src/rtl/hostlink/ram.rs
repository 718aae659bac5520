//! A byte-wide simple dual-port memory, `2^A` deep, with one synchronous write port and one
//! synchronous read port (block RAM on iCE40 and ECP5; yosys infers it from the
//! `reg [7:0] mem [...]` pattern). The host link uses one for the prompt and one for the TX
//! buffer.
//!
//! Contract: [`crate::rtl::sdp_ram`]'s (the host link never reads an address in the cycle it
//! writes it).

/// The host link's byte memory: the 8-bit [`crate::rtl::sdp_ram::SdpRam`].
pub type ByteRam<const A: usize> = crate::rtl::sdp_ram::SdpRam<8, A>;
