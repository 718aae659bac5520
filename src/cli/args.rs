//! Argument groups shared by several subcommands, each converted into its validated config.

use crate::rtl::attention::{AttentionConfig, AttentionParams};
use crate::rtl::matmul::{SystolicConfig, SystolicParams};
use clap::Args;

/// The systolic array's size and arithmetic.
#[derive(Debug, Clone, Args)]
pub struct SystolicArgs {
    /// Rows of processing elements (1..=64)
    #[arg(long)]
    pub rows: u32,
    /// Columns of processing elements (1..=64)
    #[arg(long)]
    pub cols: u32,
    /// Signed operand width in bits (4, 8 or 16)
    #[arg(long, default_value_t = 8)]
    pub in_bits: u32,
    /// Signed accumulator width in bits (16, 24, 32 or 48; at least 2 x in-bits)
    #[arg(long, default_value_t = 32)]
    pub acc_bits: u32,
}

impl TryFrom<&SystolicArgs> for SystolicConfig {
    type Error = crate::Error;
    fn try_from(a: &SystolicArgs) -> crate::Result<Self> {
        SystolicParams { rows: a.rows, cols: a.cols, in_bits: a.in_bits, acc_bits: a.acc_bits }.try_into()
    }
}

/// The network-on-chip's topology, size, flit width and buffer depth.
#[derive(Debug, Clone, Args)]
pub struct NocArgs {
    /// Mesh (or torus) size WxH, W and H in 1..=8 (e.g. 4x4; a 1xN mesh is a line)
    #[arg(long, default_value = "4x4")]
    pub mesh: String,
    /// mesh: 5-port wormhole routers, packets of 1..=16 flits; torus: Hoplite-shaped
    /// unidirectional torus, single-flit packets
    #[arg(long, default_value = "mesh")]
    pub topology: String,
    /// Data bits per flit (16, 32 or 64)
    #[arg(long, default_value_t = 32)]
    pub flit_bits: u32,
    /// Flits of buffer per router input (2..=8)
    #[arg(long, default_value_t = 2)]
    pub buffer_depth: u32,
}

impl TryFrom<&NocArgs> for crate::rtl::noc::NocConfig {
    type Error = crate::Error;
    fn try_from(a: &NocArgs) -> crate::Result<Self> {
        let (width, height) = crate::rtl::noc::parse_mesh(&a.mesh)?;
        crate::rtl::noc::NocParams { topology: a.topology.parse()?, width, height, flit_bits: a.flit_bits, buffer_depth: a.buffer_depth }.try_into()
    }
}

/// The attention unit's shape.
#[derive(Debug, Clone, Args)]
pub struct AttentionArgs {
    /// Elements of q, k and v per head (1..=64)
    #[arg(long)]
    pub head_dim: u32,
    /// Number of heads (1..=64)
    #[arg(long)]
    pub heads: u32,
    /// Maximum context length, positions in the KV cache (1..=64)
    #[arg(long)]
    pub context: u32,
    /// Heads processed in parallel (must divide heads)
    #[arg(long, default_value_t = 1)]
    pub lanes: u32,
    /// Fraction bits of the queries (q-frac + k-frac >= 8)
    #[arg(long, default_value_t = crate::model::quant::Formats::DEFAULT.q)]
    pub q_frac: u32,
    /// Fraction bits of the keys
    #[arg(long, default_value_t = crate::model::quant::Formats::DEFAULT.k)]
    pub k_frac: u32,
    /// Transformer layers: one KV cache each in the same memories (1..=16)
    #[arg(long, default_value_t = 1)]
    pub layers: u32,
    /// Head elements processed per cycle (must divide head-dim; default head-dim): fewer
    /// multipliers, head-dim / E cycles per cached position
    #[arg(long)]
    pub elements_per_cycle: Option<u32>,
}

impl TryFrom<&AttentionArgs> for AttentionConfig {
    type Error = crate::Error;
    fn try_from(a: &AttentionArgs) -> crate::Result<Self> {
        // 0 stands for "head-dim" inside AttentionParams; from the command line it is refused.
        let epc = match a.elements_per_cycle {
            None => 0,
            Some(e) => crate::error::check_range("elements-per-cycle", e, 1, a.head_dim.max(1))?,
        };
        AttentionParams { head_dim: a.head_dim, heads: a.heads, context: a.context, lanes: a.lanes, q_frac: a.q_frac, k_frac: a.k_frac, layers: a.layers, elements_per_cycle: epc }.try_into()
    }
}
