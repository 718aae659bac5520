//! The model side of llmpu: the MicroGPT architecture as data ([`config`]), its float weights
//! ([`float`]), a trainer ([`train`]), checkpoints in the project's and in microgpt.py's format
//! ([`checkpoint`]), the int8 quantizer ([`quant`]) and the integer golden model ([`golden`]) that
//! every RTL test is compared against bit for bit. `docs/model.md` describes the whole.

pub mod checkpoint;
pub mod config;
pub mod eval;
pub mod float;
pub mod golden;
pub mod quant;
pub mod tokenizer;
pub mod train;

pub use checkpoint::{load_model, save_model};
pub use config::{ModelConfig, ModelParams};
pub use float::{FloatModel, FloatRunner};
pub use golden::Golden;
pub use quant::QuantModel;
pub use tokenizer::Tokenizer;
