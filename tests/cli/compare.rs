//! `perfguard compare`.
