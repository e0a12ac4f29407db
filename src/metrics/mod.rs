//! Metrics: turns written quantities (`50ms`, `200MB`, `1%`) into base-unit
//! values and back into human text (pure). Summaries of samples (median,
//! percentiles) belong to [`crate::stats::summary`].

pub mod units;

pub use units::{Dimension, Quantity, Unit};
