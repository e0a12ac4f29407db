//! Errors: joins every module's error into `crate::Error`, each with the
//! exit code it means.

use crate::baseline::BaselineError;
use crate::baseline::import::ImportError;
use crate::config::ConfigError;
use crate::github::GithubError;
use crate::ingest::IngestError;
use crate::paired::PairedError;
use crate::results::ResultsError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error(transparent)]
    Paired(#[from] PairedError),
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// History to import that cannot be read: nothing was written.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Shards that do not make one run: nothing was written.
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),
    #[error("{0}")]
    Usage(String),
    /// The environment refuses the work: another machine's baseline under
    /// `strict_environment`, a failed build of the paired base.
    #[error("{0}")]
    Environment(String),
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
            Error::Config(_) | Error::Usage(_) | Error::Import(_) | Error::Merge(_) => 2,
            Error::Results(ResultsError::Write { .. }) => 3,
            Error::Results(_) => 2,
            Error::Baseline(e) => e.exit_code(),
            Error::Paired(e) => e.exit_code(),
            Error::Io { .. } | Error::Environment(_) => 3,
            Error::Github(e) => e.exit_code(),
            Error::Ingest(e) => e.exit_code(),
        }
    }
}
