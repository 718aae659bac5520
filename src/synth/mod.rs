//! The synthesis flow: targets as data ([`target`]), a fit check before any tool runs
//! ([`fit`]), a placeable wrapper for any block ([`wrapper`]), a build plan separate from its
//! execution ([`plan`], [`run`]) and the parsed result ([`report`]).

pub mod fit;
pub mod plan;
pub mod report;
pub mod run;
pub mod target;
pub mod wrapper;

pub use plan::{BuildPlan, Design, Tools};
pub use report::SynthReport;
pub use target::Target;

use std::path::PathBuf;

/// The default build folder of a design on a target: `build/synth/<top>-<target>`.
pub fn default_build_dir(top: &str, target: &Target) -> PathBuf {
    PathBuf::from("build/synth").join(format!("{top}-{}", target.name))
}
