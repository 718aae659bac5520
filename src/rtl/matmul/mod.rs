//! The systolic matmul array: configuration, processing element, array, software model.

pub mod config;
pub mod model;

pub use config::{SystolicConfig, SystolicParams};
