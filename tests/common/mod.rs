//! Shared by the cargo test files: point the engine at the freshly built supervisor, and small
//! helpers that wait on real events.

#![allow(dead_code)]

use rjob::engine;
use rjob::engine::job::{JobInfo, JobState};
use rjob::spec::StartSpec;
use std::time::Duration;

pub fn setup() {
    std::env::set_var("RJOB_SUPERVISOR", env!("CARGO_BIN_EXE_rjob-supervisor"));
}

pub fn spec(argv: &[&str]) -> StartSpec {
    setup();
    StartSpec {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub fn start(argv: &[&str]) -> u64 {
    engine::start(spec(argv)).expect("start")
}

pub fn sh(script: &str) -> u64 {
    start(&["/bin/sh", "-c", script])
}

pub fn wait_done(id: u64, secs: u64) -> JobInfo {
    assert!(
        engine::wait(&[id], false, Some(Duration::from_secs(secs))).unwrap(),
        "job {id} did not finish in {secs}s"
    );
    engine::get(id).unwrap()
}

/// Every output record of a finished job as (stream, text).
pub fn all_output(id: u64) -> Vec<(u8, String)> {
    let mut v = Vec::new();
    loop {
        let b = engine::receive(
            id,
            false,
            0,
            engine::Limit::records(10_000),
            Duration::from_secs(10),
        )
        .unwrap();
        v.extend(
            b.records
                .into_iter()
                .map(|r| (r.stream, String::from_utf8_lossy(&r.data).into_owned())),
        );
        if b.done {
            return v;
        }
    }
}

pub fn stdout_lines(id: u64) -> Vec<String> {
    all_output(id)
        .into_iter()
        .filter(|(s, _)| *s == 0)
        .map(|(_, d)| d)
        .collect()
}

pub fn state(id: u64) -> JobState {
    engine::get(id).unwrap().state
}

/// Pids of live (not zombie) processes whose command line holds `token`.
pub fn procs_with(token: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let zombie = rjob::supervisor::proctree::stat(pid)
            .map(|(_, s)| s == 'Z')
            .unwrap_or(true);
        if !zombie && String::from_utf8_lossy(&cmd).contains(token) {
            out.push(pid);
        }
    }
    out
}

/// Polls a real condition until it holds or the deadline passes.
pub fn eventually(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if f() {
            return true;
        }
        if std::time::Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A number unlikely to clash with anything else running, to find a test's processes by.
pub fn token() -> String {
    let id = rjob::engine::ids::new_instance_id();
    let n = u64::from_str_radix(&id[..8], 16).unwrap() % 9_000_000 + 1_000_000;
    format!("{n}")
}
