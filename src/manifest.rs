//! The JSON manifest written beside every generated design: what was generated, from which
//! configuration, the top module's ports, its latency and the files written. Host tools and
//! later stages (controller, board build) read their facts from it instead of re-deriving them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Input,
    Output,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub name: String,
    pub direction: Direction,
    pub width: u32,
    /// One line on what the port carries and when it is valid.
    pub doc: String,
}

impl Port {
    pub fn input(name: &str, width: u32, doc: &str) -> Self {
        Port { name: name.into(), direction: Direction::Input, width, doc: doc.into() }
    }
    pub fn output(name: &str, width: u32, doc: &str) -> Self {
        Port { name: name.into(), direction: Direction::Output, width, doc: doc.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// The formula in words/symbols, e.g. `K + R + C` cycles.
    pub formula: String,
    /// Extra facts (e.g. minimum spacing between operations), one per line.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub generator: String,
    /// The block kind: `systolic`, `attention`, `rom`, `noc`, `lpu`.
    pub block: String,
    pub top: String,
    pub config: serde_json::Value,
    pub clock: String,
    pub reset: String,
    pub ports: Vec<Port>,
    pub latency: Latency,
    /// Files written, relative to the output folder (the manifest itself last).
    pub files: Vec<String>,
    /// Block-specific extra facts (memory map, module list, ...).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub extra: serde_json::Value,
}

pub const MANIFEST_FILE: &str = "manifest.json";

impl Manifest {
    pub fn generator_id() -> String {
        format!("llmpu {}", env!("CARGO_PKG_VERSION"))
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("manifest serializes");
        s.push('\n');
        s
    }
}
