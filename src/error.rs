//! Errors: joins every module's error into `crate::Error`, each with the
//! exit code it means.

use crate::config::ConfigError;
use crate::ingest::IngestError;
use crate::results::ResultsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// 2 for bad usage or input, 3 when the environment failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Results(ResultsError::Write { .. }) => 3,
            Error::Results(_) => 2,
            Error::Ingest(_) => 2,
            Error::Io { .. } => 3,
        }
    }
}
