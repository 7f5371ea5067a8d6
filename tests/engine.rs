//! The engine driven directly: starting, output, states, stopping trees, waiting, removing.

mod common;
use common::*;
use rjob::engine;
use rjob::engine::error::EngineError;
use rjob::engine::job::JobState;
use rjob::engine::{Filter, Limit};
use std::time::{Duration, Instant};

#[test]
fn native_output_and_exit_code() {
    let id = sh("echo one; echo two >&2; printf 'last-no-newline'");
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Completed);
    assert_eq!(info.exit_code, Some(0));
    let out = all_output(id);
    assert!(out.contains(&(0, "one".into())));
    assert!(out.contains(&(1, "two".into())));
    assert!(out.contains(&(0, "last-no-newline".into())), "{out:?}");
}

#[test]
fn nonzero_exit_is_failed() {
    let id = sh("exit 7");
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Failed);
    assert_eq!(info.exit_code, Some(7));
    assert_eq!(info.reason.as_deref(), Some("exit code 7"));
}

#[test]
fn missing_executable_and_directory_fail_to_start() {
    match engine::start(spec(&["/no/such/program"])) {
        Err(EngineError::Spawn(m)) => assert!(m.contains("executable not found"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut s = spec(&["/bin/true"]);
    s.cwd = Some("/no/such/dir".into());
    match engine::start(s) {
        Err(EngineError::Spawn(m)) => assert!(m.contains("working directory not found"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        engine::start(spec(&[])),
        Err(EngineError::InvalidArgument(_))
    ));
}

#[test]
fn files_that_are_not_programs_are_refused_not_run_through_a_shell() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("rjob-not-a-program-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Executable text with no #! line: a shell would run it, the kernel refuses it (ENOEXEC).
    let text = dir.join("script-without-shebang");
    let marker = dir.join("ran");
    std::fs::write(&text, format!("touch {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&text, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A file without an execute bit.
    let plain = dir.join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\ntrue\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = |p: &std::path::Path| match engine::start(spec(&[p.to_str().unwrap()])) {
        Err(EngineError::Spawn(m)) => m,
        other => panic!("{other:?}"),
    };
    let m = refused(&text);
    assert!(
        m.contains("not a program (no #! line and not a binary)"),
        "{m}"
    );
    assert!(!marker.exists(), "the file was run by a shell");
    let m = refused(&plain);
    assert!(m.contains("permission denied"), "{m}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A bare name is looked up as `execvp` does, on the job's own PATH (not on the supervisor's,
/// which may be older): a folder that does not have it, or has it without an execute bit, is
/// passed over; with no runnable one, the error says why.
#[test]
fn a_bare_name_is_looked_up_on_the_jobs_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("rjob-path-{}", std::process::id()));
    let (empty, denied, found) = (dir.join("empty"), dir.join("denied"), dir.join("found"));
    for d in [&empty, &denied, &found] {
        std::fs::create_dir_all(d).unwrap();
    }
    let name = format!("rjob-path-probe-{}", std::process::id());
    std::fs::write(denied.join(&name), "#!/bin/sh\necho denied\n").unwrap();
    std::fs::write(found.join(&name), "#!/bin/sh\necho found\n").unwrap();
    std::fs::set_permissions(found.join(&name), std::fs::Permissions::from_mode(0o755)).unwrap();
    let with_path = |path: &str| {
        let mut s = spec(&[&name]);
        s.env = Some([("PATH".to_string(), path.to_string())].into());
        engine::start(s)
    };
    let path = format!(
        "{}:{}:{}",
        empty.display(),
        denied.display(),
        found.display()
    );
    let id = with_path(&path).unwrap();
    assert_eq!(wait_done(id, 10).state, JobState::Completed);
    assert_eq!(stdout_lines(id), ["found"]);
    match with_path(&format!("{}:{}", empty.display(), denied.display())) {
        Err(EngineError::Spawn(m)) => assert!(m.contains("permission denied"), "{m}"),
        other => panic!("{other:?}"),
    }
    match with_path(empty.to_str().unwrap()) {
        Err(EngineError::Spawn(m)) => assert!(m.contains("executable not found"), "{m}"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn argv_is_passed_literally() {
    let tricky = [
        "a b",
        "'q'",
        "\"dq\"",
        "$(echo pwned)",
        "`id`",
        "x;y",
        "new\nline",
        "*",
    ];
    let mut argv = vec!["/usr/bin/printf", "[%s]\\n"];
    argv.extend(tricky);
    let id = start(&argv);
    wait_done(id, 10);
    let text = stdout_lines(id).join("\n");
    let want: Vec<String> = tricky.iter().map(|t| format!("[{t}]")).collect();
    assert_eq!(text, want.join("\n"));
}

#[test]
fn env_stdin_and_cwd_reach_the_job() {
    let mut s = spec(&["/bin/sh", "-c", "echo \"$RJOB_T\"; pwd; cat"]);
    s.env = Some(
        [("RJOB_T".to_string(), "from-env".to_string())]
            .into_iter()
            .collect(),
    );
    s.cwd = Some("/tmp".into());
    s.stdin = Some("from-stdin\n".into());
    let id = engine::start(s).unwrap();
    wait_done(id, 10);
    assert_eq!(stdout_lines(id), vec!["from-env", "/tmp", "from-stdin"]);
}

#[test]
fn ids_are_consecutive_even_after_a_failed_start() {
    let a = start(&["/bin/true"]);
    let _ = engine::start(spec(&["/no/such/program"]));
    let b = start(&["/bin/true"]);
    // Other tests run in parallel and take ids too, so only order and uniqueness are certain here;
    // the module's tests check strict consecutiveness in a quiet process.
    assert!(b > a);
    wait_done(a, 10);
    wait_done(b, 10);
}

#[test]
fn graceful_stop_of_a_sleeping_job() {
    let id = start(&["/bin/sleep", "60"]);
    let t = Instant::now();
    engine::stop(&[id], false, None).unwrap();
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Stopped);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn sigterm_trap_is_escalated_after_the_grace_period() {
    let mut s = spec(&[
        "/bin/sh",
        "-c",
        "trap '' TERM; echo ready; while :; do sleep 0.05; done",
    ]);
    s.grace_ms = Some(400);
    let id = engine::start(s).unwrap();
    // Wait for the trap to be in place before stopping.
    let b = engine::receive(id, true, 0, Limit::records(1), Duration::from_secs(10)).unwrap();
    assert_eq!(b.records[0].data, b"ready");
    let t = Instant::now();
    engine::stop(&[id], false, None).unwrap();
    assert!(
        !engine::wait(&[id], false, Some(Duration::from_millis(250))).unwrap(),
        "should still be in its grace period"
    );
    assert_eq!(state(id), JobState::Stopping);
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Stopped);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(380) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn force_stop_kills_at_once() {
    let mut s = spec(&["/bin/sh", "-c", "trap '' TERM; while :; do :; done"]);
    s.grace_ms = Some(60_000);
    let id = engine::start(s).unwrap();
    let pid = engine::get(id).unwrap().pid.unwrap();
    let t = Instant::now();
    engine::stop(&[id], true, None).unwrap();
    let info = wait_done(id, 5);
    assert_eq!(info.state, JobState::Stopped);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || rjob::supervisor::proctree::stat(pid).is_none()
    );
}

/// 20 descendants: plain children, grandchildren, one that calls setsid (leaves the process
/// group) and one that double-forks (orphaned, adopted by the supervisor).
fn tree_script(tok: &str) -> String {
    format!(
        "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do sleep {tok} & done; \
         sh -c 'sleep {tok} & sleep {tok}' & \
         setsid sleep {tok} & \
         sh -c '(sleep {tok} &) ; exit 0' & \
         echo started; wait"
    )
}

fn check_tree_dies(force: bool) {
    let tok = token();
    let id = sh(&tree_script(&tok));
    assert!(
        eventually(10.0, || procs_with(&tok).len() >= 19),
        "only {} started",
        procs_with(&tok).len()
    );
    engine::stop(&[id], force, Some(2000)).unwrap();
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Stopped);
    let left = procs_with(&tok);
    assert!(left.is_empty(), "survivors: {left:?}");
}

#[test]
fn whole_tree_dies_on_graceful_stop() {
    check_tree_dies(false);
}

#[test]
fn whole_tree_dies_on_force_stop() {
    check_tree_dies(true);
}

#[test]
fn background_leftovers_end_with_the_job() {
    let tok = token();
    let id = sh(&format!("setsid sleep {tok} & echo done"));
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Completed);
    assert!(procs_with(&tok).is_empty());
}

#[test]
fn stopping_many_costs_one_grace_period() {
    let mut ids = Vec::new();
    for _ in 0..20 {
        let mut s = spec(&[
            "/bin/sh",
            "-c",
            "trap '' TERM; echo ready; while :; do sleep 0.05; done",
        ]);
        s.grace_ms = Some(500);
        ids.push(engine::start(s).unwrap());
    }
    for &id in &ids {
        engine::receive(id, true, 0, Limit::records(1), Duration::from_secs(10)).unwrap();
    }
    let t = Instant::now();
    engine::stop(&ids, false, None).unwrap();
    assert!(engine::wait(&ids, false, Some(Duration::from_secs(10))).unwrap());
    assert!(
        t.elapsed() < Duration::from_millis(500 + 1000),
        "{:?}",
        t.elapsed()
    );
    assert!(ids.iter().all(|&i| state(i) == JobState::Stopped));
}

#[test]
fn finished_jobs_are_left_alone_by_stop() {
    let id = start(&["/bin/true"]);
    wait_done(id, 10);
    engine::stop(&[id], false, None).unwrap();
    assert_eq!(state(id), JobState::Completed);
}

#[test]
fn wait_any_all_and_timeout() {
    let fast = start(&["/bin/true"]);
    let slow = start(&["/bin/sleep", "30"]);
    assert!(engine::wait(&[fast, slow], true, Some(Duration::from_secs(10))).unwrap());
    assert!(!engine::wait(&[fast, slow], false, Some(Duration::from_millis(100))).unwrap());
    engine::stop(&[slow], true, None).unwrap();
    assert!(engine::wait(&[fast, slow], false, Some(Duration::from_secs(10))).unwrap());
    assert!(matches!(
        engine::wait(&[u64::MAX], false, None),
        Err(EngineError::NotFound(_))
    ));
}

#[test]
fn receive_keep_reads_without_consuming() {
    let id = sh("for i in 1 2 3 4 5; do echo $i; done");
    wait_done(id, 10);
    let a = engine::receive(id, true, 0, Limit::records(2), Duration::ZERO).unwrap();
    assert_eq!(
        a.records.iter().map(|r| &r.data[..]).collect::<Vec<_>>(),
        [b"1", b"2"]
    );
    let b = engine::receive(id, true, a.next, Limit::records(100), Duration::ZERO).unwrap();
    assert_eq!(b.records.len(), 3);
    assert!(b.done);
    assert!(engine::get(id).unwrap().has_more_data);
    assert_eq!(stdout_lines(id), ["1", "2", "3", "4", "5"]);
    assert!(!engine::get(id).unwrap().has_more_data);
}

#[test]
fn receive_streams_while_the_job_runs() {
    let id = sh("echo first; exec sleep 60");
    let b = engine::receive(id, false, 0, Limit::records(10), Duration::from_secs(10)).unwrap();
    assert_eq!(b.records[0].data, b"first");
    assert!(!b.done);
    assert_eq!(state(id), JobState::Running);
    engine::stop(&[id], true, None).unwrap();
    wait_done(id, 10);
}

fn test_spool_dir() -> String {
    std::env::temp_dir()
        .join(format!("rjob-test-spool-{}", std::process::id()))
        .to_string_lossy()
        .into_owned()
}

#[test]
fn large_output_spools_and_stays_complete() {
    let mut s = spec(&["/usr/bin/seq", "1", "200000"]);
    s.output_window = Some(64 * 1024);
    s.spool_dir = Some(test_spool_dir());
    let id = engine::start(s).unwrap();
    wait_done(id, 30);
    let lines = stdout_lines(id);
    assert_eq!(lines.len(), 200_000);
    assert!(lines
        .iter()
        .enumerate()
        .all(|(i, l)| *l == (i + 1).to_string()));
}

#[test]
fn remove_only_finished_jobs() {
    let id = start(&["/bin/sleep", "30"]);
    assert!(matches!(engine::remove(id), Err(EngineError::JobActive(_))));
    engine::stop(&[id], true, None).unwrap();
    wait_done(id, 10);
    engine::remove(id).unwrap();
    assert!(matches!(engine::get(id), Err(EngineError::NotFound(_))));
    assert!(matches!(engine::remove(id), Err(EngineError::NotFound(_))));
}

/// The engine filters by id and state only; names are the module's (PowerShell's wildcards).
#[test]
fn list_filters_by_state_and_id() {
    let a = start(&["/bin/sleep", "30"]);
    let b = start(&["/bin/true"]);
    wait_done(b, 10);
    let ids = |f: Filter| {
        engine::list(&f)
            .into_iter()
            .map(|j| j.id)
            .filter(|id| [a, b].contains(id))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(Filter::default()), [a, b]);
    assert_eq!(
        ids(Filter {
            states: Some(vec![JobState::Running]),
            ..Default::default()
        }),
        [a]
    );
    assert_eq!(
        ids(Filter {
            ids: Some(vec![b]),
            states: Some(vec![JobState::Completed, JobState::Running]),
        }),
        [b]
    );
    engine::stop(&[a], true, None).unwrap();
    wait_done(a, 10);
}

#[test]
fn a_million_lines_none_lost_or_torn_through_the_spool() {
    // Lines of varying length, with a last line that has no newline.
    let script = "awk 'BEGIN { for (i = 1; i <= 1000000; i++) { printf \"%d:%s\\n\", i, substr(\"abcdefghijklmnopqrstuvwxyz\", 1, i % 27) } printf \"tail-without-newline\" }'";
    let mut s = spec(&["/bin/sh", "-c", script]);
    s.output_window = Some(256 * 1024);
    s.spool_dir = Some(test_spool_dir());
    let id = engine::start(s).unwrap();
    // Read while the job runs: streaming and spooling at once.
    let mut got = Vec::with_capacity(1_000_001);
    loop {
        let b = engine::receive(
            id,
            false,
            0,
            Limit::records(50_000),
            Duration::from_secs(30),
        )
        .unwrap();
        got.extend(
            b.records
                .into_iter()
                .map(|r| (r.stream, String::from_utf8(r.data).unwrap(), r.cont)),
        );
        if b.done {
            break;
        }
    }
    assert_eq!(got.len(), 1_000_001);
    for (i, (s, d, c)) in got[..1_000_000].iter().enumerate() {
        let n = i + 1;
        let want = format!("{n}:{}", &"abcdefghijklmnopqrstuvwxyz"[..n % 27]);
        assert!(*s == 0 && !c && *d == want, "line {n}: {d:?}");
    }
    assert_eq!(got[1_000_000].1, "tail-without-newline");
    assert_eq!(state(id), JobState::Completed);
}

#[test]
fn concurrent_start_and_stop_from_eight_threads() {
    setup();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for i in 0..60 {
                    let id = if i % 2 == 0 {
                        start(&["/bin/sleep", "60"])
                    } else {
                        start(&["/bin/true"])
                    };
                    if i % 3 != 0 {
                        engine::stop(&[id], t % 2 == 0, Some(1000)).unwrap();
                    }
                    ids.push(id);
                }
                engine::stop(&ids, true, None).unwrap();
                assert!(engine::wait(&ids, false, Some(Duration::from_secs(30))).unwrap());
                ids
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "duplicate ids");
    assert!(all
        .iter()
        .all(|&id| engine::get(id).unwrap().state.is_finished()));
}

#[test]
fn an_unwritable_spool_keeps_output_in_memory_and_says_so() {
    // A spool directory that cannot be created: output must neither be lost nor reordered.
    let mut s = spec(&["/usr/bin/seq", "1", "20000"]);
    s.output_window = Some(4096);
    s.spool_dir = Some("/proc/rjob-cannot-create-this".into());
    let id = engine::start(s).unwrap();
    let info = wait_done(id, 30);
    assert_eq!(info.state, JobState::Completed);
    assert!(
        info.reason
            .as_deref()
            .unwrap_or("")
            .contains("kept in memory"),
        "{info:?}"
    );
    let lines = stdout_lines(id);
    assert_eq!(lines.len(), 20_000);
    assert!(lines
        .iter()
        .enumerate()
        .all(|(i, l)| *l == (i + 1).to_string()));
}

/// The supervisor driven by hand over its socket, as an engine on the far end of ssh would.
mod wire {
    use rjob::protocol::{Exit, Frame, FrameReader, INITIAL_WINDOW, STDOUT, VERSION};
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    fn supervisor() -> (Child, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_rjob-supervisor"))
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        ours.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        (child, ours)
    }

    fn launch(sock: &UnixStream, version: u16, spec: serde_json::Value) {
        let f = Frame::Launch {
            version,
            spec: spec.to_string().into_bytes(),
        };
        rjob::protocol::write_frame(&mut &*sock, &f).unwrap();
    }

    fn exits(mut c: Child) -> i32 {
        c.wait().unwrap().code().unwrap_or(-1)
    }

    #[test]
    fn a_version_it_does_not_speak_is_refused_with_a_reason() {
        let (c, sock) = supervisor();
        launch(
            &sock,
            VERSION + 1,
            serde_json::json!({"argv": ["/bin/true"]}),
        );
        let mut r = FrameReader::new(&sock);
        match r.next_frame().unwrap() {
            Some(Frame::SpawnError { message, .. }) => {
                assert!(message.contains("protocol version"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(exits(c), 2);
    }

    #[test]
    fn garbage_instead_of_a_launch_starts_nothing() {
        let (c, sock) = supervisor();
        std::io::Write::write_all(&mut &sock, &[0xff; 64]).unwrap();
        let mut r = FrameReader::new(&sock);
        assert!(matches!(r.next_frame(), Ok(None) | Err(_)));
        assert_eq!(exits(c), 2);
    }

    #[test]
    fn output_waits_for_credit_while_commands_and_events_do_not() {
        let (c, sock) = supervisor();
        launch(
            &sock,
            VERSION,
            serde_json::json!({"argv": ["/bin/sh", "-c", "head -c 3000000 /dev/zero"], "graceMs": 1000}),
        );
        let mut r = FrameReader::new(&sock);
        assert!(matches!(
            r.next_frame().unwrap(),
            Some(Frame::Started { .. })
        ));
        let mut got = 0u64;
        while got < INITIAL_WINDOW {
            match r.next_frame().unwrap() {
                Some(Frame::Data { stream, bytes }) => {
                    assert_eq!(stream, STDOUT);
                    got += bytes.len() as u64;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, INITIAL_WINDOW, "never more than the window");
        // Nothing more comes without credit.
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let e = r.next_frame().unwrap_err();
        assert!(matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ));
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        // Credit lets exactly that much more through.
        rjob::protocol::write_frame(&mut &sock, &Frame::Credit { bytes: 100_000 }).unwrap();
        let mut more = 0;
        while more < 100_000 {
            match r.next_frame().unwrap() {
                Some(Frame::Data { bytes, .. }) => more += bytes.len(),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(more, 100_000);
        // The job is blocked on its pipe: a kill still gets through, and the end is reported.
        rjob::protocol::write_frame(&mut &sock, &Frame::Kill).unwrap();
        let rest = until_done(&mut r);
        let events: Vec<_> = rest
            .iter()
            .filter(|f| !matches!(f, Frame::Data { .. }))
            .collect();
        assert_eq!(
            events,
            [&Frame::Exited(Exit::Signal(libc::SIGKILL)), &Frame::Done],
            "{rest:?}"
        );
        // What was left in the pipe came, past the credit, within the end allowance.
        let late: usize = rest
            .iter()
            .map(|f| match f {
                Frame::Data { bytes, .. } => bytes.len(),
                _ => 0,
            })
            .sum();
        assert!(late as u64 <= rjob::protocol::END_ALLOWANCE, "{late}");
        // After Done it waits for another job: the end of the stream lets it go.
        drop(r);
        drop(sock);
        assert_eq!(exits(c), 0);
    }

    /// The frames up to and with `Done`.
    fn until_done(r: &mut FrameReader<&UnixStream>) -> Vec<Frame> {
        let mut got = Vec::new();
        while got.last() != Some(&Frame::Done) {
            match r.next_frame().unwrap() {
                Some(f) => got.push(f),
                None => panic!("the stream ended before Done: {got:?}"),
            }
        }
        got
    }

    /// One job's frames (`Done` reached) without its output: Started and Exited.
    fn events(r: &mut FrameReader<&UnixStream>) -> Vec<Frame> {
        until_done(r)
            .into_iter()
            .filter(|f| !matches!(f, Frame::Data { .. } | Frame::Done))
            .map(|f| match f {
                Frame::Started { .. } => Frame::Started { pid: 0 },
                f => f,
            })
            .collect()
    }

    #[test]
    fn after_done_the_same_supervisor_runs_the_next_job_and_drops_the_last_ones_commands() {
        let (c, sock) = supervisor();
        let mut r = FrameReader::new(&sock);
        launch(
            &sock,
            VERSION,
            serde_json::json!({"argv": ["/bin/sh", "-c", "exit 3"]}),
        );
        assert_eq!(
            events(&mut r),
            [Frame::Started { pid: 0 }, Frame::Exited(Exit::Code(3))]
        );
        // What an engine may have sent before it read Done (credit, input, a stop) is about the
        // job that ended: the next job must not get any of it.
        for f in [
            Frame::Credit { bytes: 1 },
            Frame::Input {
                bytes: b"x".to_vec(),
                close: true,
            },
            Frame::Term { grace_ms: 0 },
            Frame::Kill,
        ] {
            rjob::protocol::write_frame(&mut &sock, &f).unwrap();
        }
        launch(
            &sock,
            VERSION,
            serde_json::json!({"argv": ["/bin/sh", "-c", "echo $PPID; sleep 0.2; exit 4"]}),
        );
        let frames = until_done(&mut r);
        let data: Vec<u8> = frames
            .iter()
            .flat_map(|f| match f {
                Frame::Data { bytes, .. } => bytes.clone(),
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(
            String::from_utf8_lossy(&data).trim(),
            c.id().to_string(),
            "the same supervisor started it"
        );
        assert!(
            frames.contains(&Frame::Exited(Exit::Code(4))),
            "neither the stop nor the credit of the job before reached it: {frames:?}"
        );
        // A third, while idle: the end of the stream lets it go, with code 0.
        launch(&sock, VERSION, serde_json::json!({"argv": ["/bin/true"]}));
        assert_eq!(
            events(&mut r),
            [Frame::Started { pid: 0 }, Frame::Exited(Exit::Code(0))]
        );
        drop(r);
        drop(sock);
        assert_eq!(exits(c), 0);
    }
}

#[test]
fn the_change_feed_announces_output_once_per_batch_a_reader_finds() {
    let mut s = spec(&["sh", "-c", "while read l; do echo \"$l\"; done"]);
    s.stdin_pipe = true;
    let id = engine::start(s).unwrap();
    let listed = |after: u64, wait: Duration| {
        let (ch, seq) = engine::changes(after, 10_000, Some(wait));
        (ch.iter().any(|c| c.id == id), seq)
    };
    // Waits for the job to show up after `after` (other tests change jobs too).
    let announced_after = |mut after: u64| {
        let t = Instant::now();
        loop {
            assert!(t.elapsed() < Duration::from_secs(10), "never announced");
            let (ours, seq) = listed(after, Duration::from_secs(1));
            if ours {
                return seq;
            }
            after = seq;
        }
    };
    let peeked = |n: usize| {
        let t = Instant::now();
        while engine::receive(id, true, 0, Limit::records(10), Duration::from_millis(100))
            .unwrap()
            .records
            .len()
            < n
        {
            assert!(t.elapsed() < Duration::from_secs(10), "output never came");
        }
    };
    let (_, start) = listed(0, Duration::ZERO);
    engine::input(id, b"one\n", false).unwrap();
    let seq = announced_after(start);
    peeked(1);
    // More output before anyone took the first: no second announcement (peeking takes nothing).
    engine::input(id, b"two\n", false).unwrap();
    peeked(2);
    let (ours, seq) = listed(seq, Duration::ZERO);
    assert!(!ours, "announced twice for one unread batch");
    // Taken: the next output is announced again.
    let got = engine::receive(id, false, 0, Limit::records(10), Duration::ZERO).unwrap();
    assert_eq!(got.records.len(), 2);
    engine::input(id, b"three\n", false).unwrap();
    announced_after(seq);
    engine::input(id, b"", true).unwrap();
    wait_done(id, 10);
}
