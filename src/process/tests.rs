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

/// Each backend a timed run can take here: perfguard itself and, on Linux,
/// the launcher (perfguard's own forking spawner needs perfguard's
/// executable; `tests/cli/run.rs` runs it).
fn executors(interrupt: &Interrupt) -> Vec<(&'static str, TimedExecutor)> {
    let mut all = vec![(
        "in process",
        TimedExecutor::in_process(interrupt.clone()).unwrap(),
    )];
    if cfg!(target_os = "linux") {
        let launched = TimedExecutor::launched(interrupt.clone()).expect("the launcher starts");
        all.push(("launcher", launched));
    }
    all
}

#[test]
fn a_program_that_does_not_exist_is_a_start_error() {
    let err = spawn(&Invocation::argv(&["/nonexistent/x".into()]), Capture::Null)
        .err()
        .unwrap();
    assert!(matches!(err, ProcessError::Start { .. }), "{err}");
    for (name, mut timed) in executors(&Interrupt::never()) {
        for program in ["/nonexistent/x", "perfguard-no-such-program"] {
            let err = timed
                .execute(&Invocation::argv(&[program.into()]), None)
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("cannot start `{program}`: No such file or directory (os error 2)"),
                "{name}"
            );
        }
        // The executor goes on after a run that could not start.
        assert!(
            timed.execute(&sh("exit 0"), None).unwrap().exit.success(),
            "{name}"
        );
    }
}

#[test]
fn a_nul_byte_is_refused_before_anything_runs() {
    for (name, mut timed) in executors(&Interrupt::never()) {
        let err = timed
            .execute(&Invocation::argv(&["echo".into(), "a\0b".into()]), None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot start `echo`: its arguments holds a NUL byte",
            "{name}"
        );
    }
}

#[test]
fn timed_runs_report_exit_codes_times_and_memory() {
    for (name, mut timed) in executors(&Interrupt::never()) {
        let ok = timed.execute(&sh("exit 0"), None).unwrap();
        assert_eq!(ok.exit, Exit::Code(0), "{name}");
        assert!(ok.wall_ns > 0.0 && ok.max_rss_bytes > 0.0, "{name}: {ok:?}");
        assert_eq!(ok.stderr_tail, None, "{name}");
        let failed = timed.execute(&sh("echo no >&2; exit 7"), None).unwrap();
        assert_eq!(failed.exit, Exit::Code(7), "{name}");
        assert_eq!(failed.stderr_tail.as_deref(), Some("no"), "{name}");
        // The next run's tail holds only its own output.
        let again = timed.execute(&sh("echo again >&2; exit 1"), None).unwrap();
        assert_eq!(again.stderr_tail.as_deref(), Some("again"), "{name}");
        // A long standard error keeps its last 20 lines.
        let long = timed
            .execute(
                &sh("for i in $(seq 1000); do echo line $i >&2; done; kill -9 $$"),
                None,
            )
            .unwrap();
        assert_eq!(long.exit, Exit::Signal(libc::SIGKILL), "{name}");
        let tail = long.stderr_tail.unwrap();
        assert_eq!(tail.lines().count(), 20, "{name}: {tail}");
        assert!(
            tail.starts_with("line 981\n") && tail.ends_with("line 1000"),
            "{name}: {tail}"
        );
    }
}

#[test]
fn timed_rounds_run_every_step_in_order_and_stop_at_a_failure() {
    for (name, mut timed) in executors(&Interrupt::never()) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let step = |word: &str, code: i32| Invocation {
            cwd: Some(dir.path().to_owned()),
            ..sh(&format!("echo {word} >> log; exit {code}"))
        };
        let (a, b) = (step("a", 0), step("b", 0));
        let mut seen = Vec::new();
        timed.execute_rounds(&[&a, &b], 3, None, &mut |i, outcome| {
            seen.push((i, outcome.unwrap().exit));
            true
        });
        assert_eq!(seen.len(), 6, "{name}");
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "a\nb\na\nb\na\nb\n",
            "{name}"
        );
        let failing = step("c", 4);
        let mut seen = Vec::new();
        timed.execute_rounds(&[&a, &failing], 5, None, &mut |i, outcome| {
            seen.push((i, outcome.unwrap().exit));
            true
        });
        assert_eq!(seen, [(0, Exit::Code(0)), (1, Exit::Code(4))], "{name}");
    }
}

#[test]
fn timed_runs_see_their_environment_and_directory() {
    for (name, mut timed) in executors(&Interrupt::never()) {
        let dir = tempfile::tempdir().unwrap();
        let inv = Invocation {
            env: vec![("PERFGUARD_TEST_VALUE".into(), "42".into())],
            cwd: Some(dir.path().to_owned()),
            ..sh("echo \"$PERFGUARD_TEST_VALUE\" > seen; exit 0")
        };
        assert!(timed.execute(&inv, None).unwrap().exit.success(), "{name}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("seen")).unwrap(),
            "42\n",
            "{name}"
        );
    }
}

#[test]
fn a_timed_run_past_its_deadline_is_killed_with_its_group() {
    for (name, mut timed) in executors(&Interrupt::never()) {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
        // A second leaves the shell time to start its grandchild and name it.
        let deadline = Instant::now() + Duration::from_secs(1);
        let outcome = timed.execute(&sh(&script), Some(deadline)).unwrap();
        assert_eq!(outcome.exit, Exit::TimedOut, "{name}");
        let grandchild = read_pid(&pidfile);
        let until = Instant::now() + Duration::from_secs(10);
        while alive(grandchild) {
            assert!(
                Instant::now() < until,
                "{name}: grandchild {grandchild} survived"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn an_interrupted_timed_run_says_so() {
    let interrupt = Interrupt::never();
    interrupt.set();
    for (name, mut timed) in executors(&interrupt) {
        let outcome = timed.execute(&sh("exec sleep 30"), None).unwrap();
        assert_eq!(outcome.exit, Exit::Interrupted, "{name}");
    }
}
