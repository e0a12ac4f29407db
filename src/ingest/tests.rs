//! Unit tests of the ingest module: detection and bounds.
