//! The network-on-chip's one validated configuration. The Verilog, the manifest, the simulation
//! driver and the docs tables are all derived from a [`NocConfig`].

use crate::error::{check_range, Error, Result};
use serde::{Deserialize, Serialize};

/// Largest mesh side: the header carries 3-bit coordinates.
pub const MAX_SIDE: u32 = 8;
/// Supported flit widths (payload bits per flit; `last` travels beside them).
pub const FLIT_BITS: [u32; 3] = [16, 32, 64];
/// Input buffer depths (flits per input port). Depth 1 would halve every link's throughput (a full
/// buffer refuses a flit in the cycle it sends one) and is not offered.
pub const MIN_DEPTH: u32 = 2;
pub const MAX_DEPTH: u32 = 8;

crate::error::keyword_enum! {
    /// How the routers are joined.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Topology as "topology" {
        /// 5-port wormhole routers, XY routing, multi-flit packets (a 1xN / Nx1 mesh is a line).
        #[default]
        Mesh => "mesh",
        /// Unidirectional torus of 3-input, 2-output routers (Hoplite's shape), single-flit
        /// packets, bubble flow control.
        Torus => "torus",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NocConfig {
    /// Mesh or torus (configurations written before the torus existed read as a mesh).
    #[serde(default)]
    pub topology: Topology,
    /// Columns of routers (x = 0..width-1, increasing to the east).
    pub width: u32,
    /// Rows of routers (y = 0..height-1, increasing to the south).
    pub height: u32,
    pub flit_bits: u32,
    pub buffer_depth: u32,
}

/// Unvalidated parameters as a user gives them; turn into a [`NocConfig`] with `try_from`.
#[derive(Debug, Clone, Copy)]
pub struct NocParams {
    pub topology: Topology,
    pub width: u32,
    pub height: u32,
    pub flit_bits: u32,
    pub buffer_depth: u32,
}

impl Default for NocParams {
    fn default() -> Self {
        NocParams { topology: Topology::Mesh, width: 4, height: 4, flit_bits: 32, buffer_depth: 2 }
    }
}

impl TryFrom<NocParams> for NocConfig {
    type Error = Error;
    fn try_from(p: NocParams) -> Result<Self> {
        check_range("mesh width", p.width, 1, MAX_SIDE)?;
        check_range("mesh height", p.height, 1, MAX_SIDE)?;
        if !FLIT_BITS.contains(&p.flit_bits) {
            return Err(Error::invalid("flit-bits", p.flit_bits, "allowed: 16, 32, 64"));
        }
        check_range("buffer-depth", p.buffer_depth, MIN_DEPTH, MAX_DEPTH)?;
        Ok(NocConfig { topology: p.topology, width: p.width, height: p.height, flit_bits: p.flit_bits, buffer_depth: p.buffer_depth })
    }
}

/// Parses a mesh size `WxH` (e.g. `4x4`, `1x8`); the sizes are checked by [`NocConfig`].
pub fn parse_mesh(s: &str) -> Result<(u32, u32)> {
    let bad = || Error::invalid("mesh", format!("'{s}'"), "allowed: WxH with W and H in 1..=8, e.g. 4x4");
    let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.parse().map_err(|_| bad())?;
    let h: u32 = h.parse().map_err(|_| bad())?;
    Ok((w, h))
}

impl NocConfig {
    pub fn new(width: u32, height: u32, flit_bits: u32, buffer_depth: u32) -> Result<Self> {
        NocParams { topology: Topology::Mesh, width, height, flit_bits, buffer_depth }.try_into()
    }

    /// A torus of `width` x `height` routers.
    pub fn torus(width: u32, height: u32, flit_bits: u32, buffer_depth: u32) -> Result<Self> {
        NocParams { topology: Topology::Torus, width, height, flit_bits, buffer_depth }.try_into()
    }

    /// Largest number of flits in a packet: 16 on the mesh (a head and 15 payload flits), 1 on
    /// the torus.
    pub fn max_packet_flits(&self) -> u32 {
        match self.topology {
            Topology::Mesh => super::flit::MAX_PAYLOAD + 1,
            Topology::Torus => 1,
        }
    }

    pub fn nodes(&self) -> u32 {
        self.width * self.height
    }

    /// Node index of (x, y): y * width + x.
    pub fn node(&self, x: u32, y: u32) -> u32 {
        y * self.width + x
    }

    /// (x, y) of node n.
    pub fn coords(&self, n: u32) -> (u32, u32) {
        (n % self.width, n / self.width)
    }

    /// Name of the top module, e.g. `llmpu_noc_4x4_f32d2` (mesh), `llmpu_noc_torus_4x4_f16d2`.
    pub fn top_name(&self) -> String {
        let t = if self.topology == Topology::Torus { "torus_" } else { "" };
        format!("llmpu_noc_{t}{}x{}_f{}d{}", self.width, self.height, self.flit_bits, self.buffer_depth)
    }

    /// Name of the router module (the same for every position: coordinates are inputs).
    pub fn router_name(&self) -> String {
        let r = if self.topology == Topology::Torus { "trouter" } else { "router" };
        format!("llmpu_noc_{r}_f{}d{}", self.flit_bits, self.buffer_depth)
    }

    /// Router-to-router hops between two nodes: the Manhattan distance on the mesh; on the torus
    /// the distance east (around the row's ring) plus the distance south (around the column's).
    pub fn hops(&self, src: u32, dst: u32) -> u32 {
        let (sx, sy) = self.coords(src);
        let (dx, dy) = self.coords(dst);
        match self.topology {
            Topology::Mesh => sx.abs_diff(dx) + sy.abs_diff(dy),
            Topology::Torus => (dx + self.width - sx) % self.width + (dy + self.height - sy) % self.height,
        }
    }

    /// Cycles a flit spends in each router at zero load: 2 on the mesh (one to win the output,
    /// one to cross), 1 on the torus.
    pub fn per_hop_cycles(&self) -> u32 {
        match self.topology {
            Topology::Mesh => 2,
            Topology::Torus => 1,
        }
    }

    /// Zero-load latency of a packet of `flits` flits over `hops` hops, from the cycle its head is
    /// accepted at the source's injection port to the cycle its last flit is accepted at the
    /// destination's ejection port: `per_hop_cycles * (hops + 1) + (flits - 1)` (hops + 1
    /// routers): `2 * (hops + 1) + (flits - 1)` on the mesh, `hops + 1` on the torus.
    pub fn zero_load_latency(&self, hops: u32, flits: u32) -> u32 {
        self.per_hop_cycles() * (hops + 1) + flits.saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_value_and_what_is_allowed() {
        let e = |w, h, b, d| NocConfig::new(w, h, b, d).unwrap_err().to_string();
        assert_eq!(e(0, 4, 32, 2), "mesh width 0 is not allowed (allowed: 1..=8)");
        assert_eq!(e(4, 9, 32, 2), "mesh height 9 is not allowed (allowed: 1..=8)");
        assert_eq!(e(4, 4, 24, 2), "flit-bits 24 is not allowed (allowed: 16, 32, 64)");
        assert_eq!(e(4, 4, 32, 1), "buffer-depth 1 is not allowed (allowed: 2..=8)");
        assert_eq!(parse_mesh("4x3").unwrap(), (4, 3));
        assert_eq!(
            parse_mesh("4by4").unwrap_err().to_string(),
            "mesh '4by4' is not allowed (allowed: WxH with W and H in 1..=8, e.g. 4x4)"
        );
    }

    #[test]
    fn coordinates_and_latency_formula() {
        let c = NocConfig::new(4, 3, 16, 2).unwrap();
        assert_eq!(c.nodes(), 12);
        assert_eq!(c.coords(7), (3, 1));
        assert_eq!(c.node(3, 1), 7);
        assert_eq!(c.hops(0, 11), 3 + 2);
        assert_eq!(c.zero_load_latency(0, 1), 2);
        assert_eq!(c.zero_load_latency(6, 4), 17);
        assert_eq!(c.top_name(), "llmpu_noc_4x3_f16d2");
        let t = NocConfig::torus(4, 3, 16, 2).unwrap();
        assert_eq!(t.top_name(), "llmpu_noc_torus_4x3_f16d2");
        assert_eq!(t.router_name(), "llmpu_noc_trouter_f16d2");
        // (3, 0) -> (1, 2): east around the ring 3 -> 0 -> 1 (2 hops), south 0 -> 1 -> 2 (2).
        assert_eq!(t.hops(t.node(3, 0), t.node(1, 2)), 4);
        // (1, 2) -> (3, 0): east 2, south 2 -> 0 wrapping (1).
        assert_eq!(t.hops(t.node(1, 2), t.node(3, 0)), 3);
        assert_eq!(t.zero_load_latency(0, 1), 1);
        assert_eq!(t.zero_load_latency(4, 1), 5);
        assert_eq!("ring".parse::<Topology>().unwrap_err().to_string(), "topology 'ring' is not allowed (allowed: mesh, torus)");
    }
}
