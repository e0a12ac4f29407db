//! Statistics: turns samples and histories into significance, intervals,
//! noise bands and change points (pure; formulas cited where they are
//! implemented).

pub mod bootstrap;
pub mod change_point;
pub mod hodges_lehmann;
mod interval;
pub mod mann_whitney;
pub mod proportions;
pub mod robust;
pub mod summary;
pub mod wilcoxon;

pub use interval::Interval;
pub use mann_whitney::mann_whitney_u;
