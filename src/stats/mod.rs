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

/// Tables that depend only on sample sizes, computed once per thread.
pub(crate) type BySizes<T> =
    std::cell::RefCell<std::collections::HashMap<(usize, usize), std::rc::Rc<[T]>>>;
