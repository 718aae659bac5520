//! The systolic matmul array: configuration, processing element, array, software model.

pub mod config;

pub use config::{SystolicConfig, SystolicParams};
