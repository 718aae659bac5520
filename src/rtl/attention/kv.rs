//! One column of the KV cache: a 16-bit wide, `2^A` deep simple dual-port memory with one
//! synchronous write port and one synchronous read port (block RAM on iCE40 and ECP5; yosys
//! infers it from the `reg [15:0] mem [...]` pattern). The unit has one per lane, per head
//! element, for keys and for values: element `d` of head `g * lanes + l` at position `t` is at
//! address `g * 2^pos_bits + t` of memory (lane `l`, element `d`).
//!
//! Contract: [`crate::rtl::sdp_ram`]'s (the unit never reads and writes one address in the same
//! cycle, and reads only positions below its cache length, so it never sees undefined contents).

/// A KV cache column: the 16-bit [`crate::rtl::sdp_ram::SdpRam`].
pub type KvRam<const A: usize> = crate::rtl::sdp_ram::SdpRam<16, A>;
