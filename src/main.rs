use clap::Parser;
use perfguard::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    // The spawner (see `process::spawner`) is perfguard re-executed; it is
    // told apart before anything else runs, so it stays small.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == perfguard::process::spawner::MARKER)
    {
        return ExitCode::from(perfguard::process::spawner::serve() as u8);
    }
    // `perfguard … | head` ends quietly, as command-line tools do, instead of
    // panicking on a closed pipe.
    // SAFETY: setting a signal disposition before any thread starts.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let cli = Cli::parse();
    match perfguard::app::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) => {
            eprintln!("perfguard: error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(err.exit_code())
        }
    }
}
