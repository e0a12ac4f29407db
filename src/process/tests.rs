use super::*;
use crate::process::timed::{Executor, TimedExecutor};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

fn sh(script: &str) -> Invocation {
    Invocation::shell(script)
}

/// Whether `pid` is still a live process (a zombie counts as gone).
fn alive(pid: i32) -> bool {
    #[cfg(target_os = "linux")]
    return match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    };
    #[cfg(not(target_os = "linux"))]
    return std::process::Command::new("ps")
        .args(["-o", "stat=", "-p", &pid.to_string()])
        .output()
        .is_ok_and(|out| {
            let state = String::from_utf8_lossy(&out.stdout);
            out.status.success() && !state.trim().is_empty() && !state.trim().starts_with('Z')
        });
}

fn read_pid(path: &std::path::Path) -> i32 {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(Instant::now() < until, "no pid in {}", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn scratch_files_have_no_name_to_plant_a_link_at() {
    let file = scratch().unwrap();
    // Already unlinked (or never linked, with O_TMPFILE): there is no path
    // another user could have prepared.
    assert_eq!(file.metadata().unwrap().nlink(), 0);
}

#[test]
fn a_link_planted_at_the_old_predictable_name_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    // The names perfguard used to open with create+truncate.
    let pid = std::process::id();
    let thread = format!("{:?}", std::thread::current().id());
    let planted: Vec<_> = [
        format!("perfguard-stderr-{pid}-{thread}"),
        format!("perfguard-service-{pid}-0.log"),
    ]
    .into_iter()
    .map(|name| std::env::temp_dir().join(name))
    .collect();
    for link in &planted {
        let _ = std::fs::remove_file(link);
        std::os::unix::fs::symlink(&victim, link).unwrap();
    }
    let finished = run(
        &sh("echo secret >&2; exit 1"),
        Capture::Log,
        None,
        &Interrupt::never(),
    )
    .unwrap();
    let mut timed = TimedExecutor::in_process(Interrupt::never()).unwrap();
    let outcome = timed.execute(&sh("echo secret >&2; exit 1"), None).unwrap();
    for link in &planted {
        let _ = std::fs::remove_file(link);
    }
    assert_eq!(finished.stderr_tail.as_deref(), Some("secret"));
    assert_eq!(outcome.stderr_tail.as_deref(), Some("secret"));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
}

#[test]
fn the_tail_keeps_the_last_twenty_lines() {
    let finished = run(
        &sh("for i in $(seq 1 50); do echo line $i >&2; done; exit 3"),
        Capture::Tail,
        None,
        &Interrupt::never(),
    )
    .unwrap();
    assert_eq!(finished.exit, Exit::Code(3));
    let tail = finished.stderr_tail.unwrap();
    let lines: Vec<&str> = tail.lines().collect();
    assert_eq!(lines.len(), 20);
    assert_eq!(lines[0], "line 31");
    assert_eq!(lines[19], "line 50");
}

#[test]
fn output_capture_keeps_standard_output_whole() {
    let finished = run(
        &sh("seq 1 5000; echo warn >&2"),
        Capture::Output,
        None,
        &Interrupt::never(),
    )
    .unwrap();
    assert!(finished.exit.success());
    let mut text = String::new();
    finished.stdout.unwrap().read_to_string(&mut text).unwrap();
    assert_eq!(text.lines().count(), 5000);
    assert_eq!(finished.stderr_tail.as_deref(), Some("warn"));
}

#[test]
fn the_log_holds_both_streams() {
    let finished = run(
        &sh("echo out; echo err >&2"),
        Capture::Log,
        None,
        &Interrupt::never(),
    )
    .unwrap();
    assert!(finished.stdout.is_none());
    assert_eq!(finished.stderr_tail.as_deref(), Some("out\nerr"));
}

#[test]
fn a_deadline_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    let child = spawn(&sh(&script), Capture::Null).unwrap();
    let grandchild = read_pid(&pidfile);
    let finished = child
        .wait(Some(Instant::now()), &Interrupt::never())
        .unwrap();
    assert_eq!(finished.exit, Exit::TimedOut);
    let until = Instant::now() + Duration::from_secs(10);
    while alive(grandchild) {
        assert!(Instant::now() < until, "grandchild {grandchild} survived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_interrupt_kills_the_child() {
    let interrupt = Interrupt::never();
    interrupt.set();
    let finished = run(&sh("sleep 30"), Capture::Null, None, &interrupt).unwrap();
    assert_eq!(finished.exit, Exit::Interrupted);
}

#[test]
fn dropping_a_child_kills_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    let child = spawn(&sh(&script), Capture::Null).unwrap();
    let grandchild = read_pid(&pidfile);
    drop(child);
    let until = Instant::now() + Duration::from_secs(10);
    while alive(grandchild) {
        assert!(Instant::now() < until, "grandchild {grandchild} survived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn stop_terminates_then_reports_how() {
    let child = spawn(&sh("exec sleep 30"), Capture::Null).unwrap();
    assert_eq!(child.stop(Duration::from_secs(10)), StopOutcome::Terminated);
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let script = format!(
        "trap '' TERM; echo $$ > {}; while :; do sleep 0.01; done",
        ready.display()
    );
    let stubborn = spawn(&sh(&script), Capture::Null).unwrap();
    // The pid is written after the trap is set.
    read_pid(&ready);
    assert_eq!(
        stubborn.stop(Duration::from_millis(100)),
        StopOutcome::Killed
    );
}

#[test]
fn a_program_that_does_not_exist_is_a_start_error() {
    let err = spawn(&Invocation::argv(&["/nonexistent/x".into()]), Capture::Null)
        .err()
        .unwrap();
    assert!(matches!(err, ProcessError::Start { .. }), "{err}");
    let mut timed = TimedExecutor::in_process(Interrupt::never()).unwrap();
    let err = timed
        .execute(&Invocation::argv(&["/nonexistent/x".into()]), None)
        .unwrap_err();
    assert!(
        err.to_string().starts_with("cannot start `/nonexistent/x`"),
        "{err}"
    );
}

#[test]
fn timed_runs_report_exit_codes_times_and_memory() {
    let mut timed = TimedExecutor::in_process(Interrupt::never()).unwrap();
    let ok = timed.execute(&sh("exit 0"), None).unwrap();
    assert_eq!(ok.exit, Exit::Code(0));
    assert!(ok.wall_ns > 0.0 && ok.max_rss_bytes > 0.0, "{ok:?}");
    assert_eq!(ok.stderr_tail, None);
    let failed = timed.execute(&sh("echo no >&2; exit 7"), None).unwrap();
    assert_eq!(failed.exit, Exit::Code(7));
    assert_eq!(failed.stderr_tail.as_deref(), Some("no"));
    // The next run's tail holds only its own output.
    let again = timed.execute(&sh("echo again >&2; exit 1"), None).unwrap();
    assert_eq!(again.stderr_tail.as_deref(), Some("again"));
}

#[test]
fn timed_runs_see_their_environment_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut timed = TimedExecutor::in_process(Interrupt::never()).unwrap();
    let inv = Invocation {
        env: vec![("PERFGUARD_TEST_VALUE".into(), "42".into())],
        cwd: Some(dir.path().to_owned()),
        ..sh("echo \"$PERFGUARD_TEST_VALUE\" > seen; exit 0")
    };
    assert!(timed.execute(&inv, None).unwrap().exit.success());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("seen")).unwrap(),
        "42\n"
    );
}

#[test]
fn a_timed_run_past_its_deadline_is_killed_with_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
    let mut timed = TimedExecutor::in_process(Interrupt::never()).unwrap();
    let outcome = timed.execute(&sh(&script), Some(Instant::now())).unwrap();
    assert_eq!(outcome.exit, Exit::TimedOut);
    let grandchild = read_pid(&pidfile);
    let until = Instant::now() + Duration::from_secs(10);
    while alive(grandchild) {
        assert!(Instant::now() < until, "grandchild {grandchild} survived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_interrupted_timed_run_says_so() {
    let interrupt = Interrupt::never();
    interrupt.set();
    let mut timed = TimedExecutor::in_process(interrupt).unwrap();
    let outcome = timed.execute(&sh("exec sleep 30"), None).unwrap();
    assert_eq!(outcome.exit, Exit::Interrupted);
}
