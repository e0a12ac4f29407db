//! The perfguard binary: parses the command line, runs the subcommand, and
//! maps its outcome or error to an exit code (0 pass, 1 regression, 2 usage,
//! 3 a phase or the environment failed).

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
    // Orphans that phases leave running become perfguard's, to end with it.
    perfguard::process::adopt_orphans();
    // Commands that may time command phases fork their spawner now, while
    // perfguard is one thread and still small.
    if subcommand().is_some_and(|c| c == "run" || c == "check" || c == "paired") {
        perfguard::process::spawner::prefork();
    }
    // `perfguard … | head` ends quietly, as command-line tools do, instead of
    // panicking on a closed pipe.
    // SAFETY: setting a signal disposition before any thread starts.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let cli = Cli::parse();
    // libgit2's timeouts are set on its first use (`prepare_libgit2`); a
    // bad setting is refused now, before anything runs.
    if let Err(message) = perfguard::baseline::timeouts::from_env() {
        eprintln!("perfguard: error: {message}");
        return ExitCode::from(2);
    }
    let result = perfguard::cmd::dispatch(cli);
    // Nothing perfguard started outlives it.
    for process in perfguard::process::end_orphans() {
        eprintln!("perfguard: warning: ended {process}, left running by a phase");
    }
    match result {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(err) => {
            // Messages often end with their cause already ("cannot read x:
            // No such file"): a cause is printed only when it adds something.
            let mut printed = err.to_string();
            eprintln!("perfguard: error: {printed}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !printed.contains(&text) {
                    eprintln!("  caused by: {text}");
                    printed.push_str(&text);
                }
                source = cause.source();
            }
            ExitCode::from(err.exit_code())
        }
    }
}

/// The subcommand's name: the first argument that is not an option (the
/// global `--color` takes a value).
fn subcommand() -> Option<std::ffi::OsString> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--color" {
            args.next();
        } else if !arg.to_string_lossy().starts_with('-') {
            return Some(arg);
        }
    }
    None
}
