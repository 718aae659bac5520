//! The LLM processing unit (issue 7): controller, matrix unit and vector unit. The interfaces
//! between the pieces are fixed in docs/lpu.md.

pub mod add;
pub mod embed;
pub mod norm;
pub mod sampler;
pub mod vector;
