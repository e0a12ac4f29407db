//! Statistics: significance of a difference between two sets of samples
//! (pure; formulas cited where they are implemented).

pub mod mann_whitney;

pub use mann_whitney::mann_whitney_u;
