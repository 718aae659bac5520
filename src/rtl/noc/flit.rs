//! The packet and flit format, shared by the router (which reads only the destination), the
//! simulation driver and the docs. One place defines the bit positions.
//!
//! A packet is a head flit followed by `len` payload flits (0..=15); the last flit of a packet has
//! `last` = 1 (a packet with no payload is a single flit with `last` = 1). Each flit is `B` data
//! bits plus the `last` bit, which travels on its own wire.
//!
//! Head flit fields (bit positions in the B data bits):
//!
//! | bits | field | meaning |
//! |------|-------|---------|
//! | 2:0  | `dst_x` | destination column |
//! | 5:3  | `dst_y` | destination row |
//! | 8:6  | `src_x` | source column (not used for routing) |
//! | 11:9 | `src_y` | source row (not used for routing) |
//! | 15:12 | `len` | payload flits that follow the head (0..=15) |
//! | B-1:16 | `tag` | free for the user (packet type, sequence number), B >= 32 only |

use crate::error::{Error, Result};

/// The largest payload, in flits, the 4-bit `len` field can announce.
pub const MAX_PAYLOAD: u32 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub dst_x: u32,
    pub dst_y: u32,
    pub src_x: u32,
    pub src_y: u32,
    /// Payload flits after the head.
    pub len: u32,
    /// User field in bits 16.. (0 when B = 16).
    pub tag: u64,
}

impl Header {
    /// Packs the header into the low `flit_bits` bits. Fails if a field does not fit.
    pub fn pack(&self, flit_bits: u32) -> Result<u64> {
        for (name, v) in [("dst_x", self.dst_x), ("dst_y", self.dst_y), ("src_x", self.src_x), ("src_y", self.src_y)] {
            if v > 7 {
                return Err(Error::invalid(name, v, "allowed: 0..=7"));
            }
        }
        if self.len > MAX_PAYLOAD {
            return Err(Error::invalid("len", self.len, format!("allowed: 0..={MAX_PAYLOAD}")));
        }
        let tag_bits = flit_bits.saturating_sub(16);
        if tag_bits < 64 && self.tag >> tag_bits != 0 {
            return Err(Error::invalid("tag", self.tag, format!("must fit in {tag_bits} bits")));
        }
        Ok(self.dst_x as u64
            | (self.dst_y as u64) << 3
            | (self.src_x as u64) << 6
            | (self.src_y as u64) << 9
            | (self.len as u64) << 12
            | if tag_bits > 0 { self.tag << 16 } else { 0 })
    }

    pub fn unpack(word: u64, flit_bits: u32) -> Header {
        let f = |lo: u32, bits: u32| ((word >> lo) & ((1 << bits) - 1)) as u32;
        Header {
            dst_x: f(0, 3),
            dst_y: f(3, 3),
            src_x: f(6, 3),
            src_y: f(9, 3),
            len: f(12, 4),
            tag: if flit_bits > 16 { word >> 16 } else { 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_and_limits() {
        let h = Header { dst_x: 3, dst_y: 2, src_x: 1, src_y: 7, len: 15, tag: 0xabcd };
        let w = h.pack(32).unwrap();
        assert_eq!(w, 0xabcd_f000 | 3 | 2 << 3 | 1 << 6 | 7 << 9);
        assert_eq!(Header::unpack(w, 32), h);
        assert_eq!(h.pack(16).unwrap_err().to_string(), "tag 43981 is not allowed (must fit in 0 bits)");
        let bad = Header { dst_x: 8, ..h };
        assert_eq!(bad.pack(64).unwrap_err().to_string(), "dst_x 8 is not allowed (allowed: 0..=7)");
    }
}
