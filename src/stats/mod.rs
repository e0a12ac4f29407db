//! Statistics: turns samples and histories into significance, intervals,
//! noise bands and change points (pure; formulas cited where they are
//! implemented).

pub mod bootstrap;
pub mod change_point;
pub mod hodges_lehmann;
pub mod mann_whitney;
pub mod proportions;
pub mod robust;
pub mod wilcoxon;

pub use mann_whitney::mann_whitney_u;
