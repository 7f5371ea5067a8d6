//! Starts that do not wait for the job's process (`"noWait": true`): the start returns once the
//! supervisor has the job, the pid arrives later, and a process that cannot start fails its job
//! with the reason instead of failing the start.

mod common;
use common::*;
use rjob::engine;
use rjob::engine::job::JobState;
use rjob::spec::StartSpec;

fn no_wait(argv: &[&str]) -> StartSpec {
    StartSpec {
        no_wait: true,
        ..spec(argv)
    }
}

#[test]
fn the_job_runs_and_its_pid_arrives() {
    let id = engine::start(no_wait(&["sh", "-c", "echo ran; echo $$"])).unwrap();
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Completed);
    let out = stdout_lines(id);
    assert_eq!(out.first().map(String::as_str), Some("ran"), "{out:?}");
    // The pid the engine reports is the one the job's shell saw as its own.
    assert_eq!(out.get(1).and_then(|p| p.parse().ok()), info.pid, "{out:?}");
}

#[test]
fn a_process_that_cannot_start_fails_its_job_with_the_reason() {
    let mut bad_dir = no_wait(&["/bin/true"]);
    bad_dir.cwd = Some("/no/such/dir".into());
    for (s, words) in [
        (no_wait(&["/no/such/program"]), "executable not found"),
        (bad_dir, "working directory not found"),
    ] {
        let id = engine::start(s).expect("the start itself succeeds");
        let info = wait_done(id, 10);
        assert_eq!(info.state, JobState::Failed);
        assert_eq!(info.pid, None, "no process ran");
        assert_eq!(info.exit_code, None);
        let reason = info.reason.unwrap_or_default();
        assert!(reason.contains(words), "{reason}");
        assert!(!info.has_more_data);
        engine::remove(id).unwrap();
    }
}

#[test]
fn a_stop_sent_before_the_process_runs_still_stops_its_tree() {
    let tok = token();
    for force in [false, true] {
        let id = engine::start(no_wait(&[
            "sh",
            "-c",
            &format!("sleep {tok} & sleep {tok}"),
        ]))
        .unwrap();
        engine::stop(&[id], force, Some(2000)).unwrap();
        let info = wait_done(id, 15);
        assert_eq!(info.state, JobState::Stopped, "force {force}");
        assert!(
            eventually(5.0, || procs_with(&tok).is_empty()),
            "left: {:?}",
            procs_with(&tok)
        );
    }
}

#[test]
fn back_to_back_starts_all_run() {
    let ids: Vec<u64> = (0..40)
        .map(|i| engine::start(no_wait(&["sh", "-c", &format!("echo {i}")])).unwrap())
        .collect();
    for (i, id) in ids.into_iter().enumerate() {
        let info = wait_done(id, 20);
        assert_eq!(info.state, JobState::Completed, "job {i}");
        assert!(info.pid.is_some_and(|p| p > 0));
        assert_eq!(stdout_lines(id), vec![i.to_string()]);
    }
}
