//! The host link (`llmpu_hostlink`) as a Verilator design. Tests drive it through its UART pins
//! with [`crate::host::PinLink`] and play the core on its core-side ports.

use crate::error::Result;
use crate::rtl::hostlink::{top, HostLinkConfig};
use crate::sim::verilator::{BuildOptions, Design, Model};

/// The generated host link of `cfg` as a Verilator design.
pub fn design(cfg: &HostLinkConfig) -> Result<Design> {
    let v = crate::rtl::hostlink::verilog(cfg)?;
    Ok(Design {
        top: HostLinkConfig::TOP.into(),
        sources: vec![(crate::rtl::hostlink::verilog_file(), v.text)],
        ports: top::ports(),
        clock: "clock".into(),
    })
}

/// Generates and builds (or finds cached) the host link of `cfg` in Verilator.
pub fn build(cfg: &HostLinkConfig, opts: &BuildOptions) -> Result<Model> {
    design(cfg)?.build(opts)
}
