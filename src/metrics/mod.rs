//! Metrics: units and summaries of samples (pure).

pub mod summary;
pub mod units;

pub use units::{Dimension, Quantity, Unit};
