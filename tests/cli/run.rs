//! `perfguard run`.
