//! The process-wide job table: ids from 1, lookups, and the change feed every wait hangs on.
//!
//! One global change counter (with a condvar) is bumped on each state change of any job, and the
//! job remembers the counter's value of its own last change. "What changed since N" is then a scan
//! of the table for jobs whose value is above N: level-triggered, bounded by the number of jobs,
//! and nothing to lose or to queue. Output that no reader has taken yet counts as a change too
//! (once per batch a reader finds: `OutputStore::announce`), so readers wait on the feed.

use crate::engine::job::{lock, Job, JobState};
use once_cell::sync::Lazy;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

struct Table {
    next_id: u64,
    jobs: BTreeMap<u64, Arc<Job>>,
}

static TABLE: Lazy<Mutex<Table>> = Lazy::new(|| {
    Mutex::new(Table {
        next_id: 1,
        jobs: BTreeMap::new(),
    })
});

/// The change counter: bumped (under its lock) on every job state change; waiters sleep on the
/// condvar. Lock order: a job's status lock is never held while taking this one.
static CHANGES: Lazy<(Mutex<u64>, Condvar)> = Lazy::new(|| (Mutex::new(0), Condvar::new()));

/// Which jobs `list` returns: every given field must match; within a field any value may.
/// Names and instance ids are matched by the module (PowerShell's own wildcard rules).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Filter {
    #[serde(default)]
    pub ids: Option<Vec<u64>>,
    #[serde(default)]
    pub states: Option<Vec<JobState>>,
}

/// Gives the job the next id and stores it. The id is taken only once the job has started, so
/// the ids a user sees stay consecutive even when a start fails. The job is complete (socket
/// included) before anyone can look it up.
pub fn insert(make: impl FnOnce(u64) -> Job) -> Arc<Job> {
    let job = {
        let mut t = lock(&TABLE);
        let id = t.next_id;
        t.next_id += 1;
        let job = Arc::new(make(id));
        t.jobs.insert(id, job.clone());
        job
    };
    note_change(&job); // it appears, Running
    job
}

pub fn get(id: u64) -> Option<Arc<Job>> {
    lock(&TABLE).jobs.get(&id).cloned()
}

pub fn remove(id: u64) -> Option<Arc<Job>> {
    lock(&TABLE).jobs.remove(&id)
}

/// Every job, oldest first.
pub fn all() -> Vec<Arc<Job>> {
    lock(&TABLE).jobs.values().cloned().collect()
}

pub fn list(filter: &Filter) -> Vec<Arc<Job>> {
    all()
        .into_iter()
        .filter(|j| filter.ids.as_ref().map_or(true, |ids| ids.contains(&j.id)))
        .filter(|j| {
            filter
                .states
                .as_ref()
                .map_or(true, |s| s.contains(&j.state()))
        })
        .collect()
}

/// Records that `job`'s state changed and wakes every waiter. Called after the state is written
/// (and its lock released), so a waiter that wakes reads the new state.
pub fn note_change(job: &Job) {
    let (m, cv) = &*CHANGES;
    let mut seq = lock(m);
    *seq += 1;
    job.set_change_seq(*seq);
    drop(seq);
    cv.notify_all();
}

/// Wakes waiters without a job's state having changed (kept for callers that only signal).
pub fn notify_finished() {
    CHANGES.1.notify_all();
}

/// One entry of the change feed: the job's state now, and the sequence number of its last change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: u64,
    pub seq: u64,
    pub state: JobState,
}

/// Jobs whose state changed after sequence `after`, oldest change first, at most `max` of them,
/// with the sequence to pass next time. Waits until `deadline` (None: no limit) when there is
/// none. A job that changed twice appears once, in its current state.
pub fn changes(after: u64, max: usize, deadline: Option<Instant>) -> (Vec<Change>, u64) {
    let (m, cv) = &*CHANGES;
    let mut seq = lock(m);
    loop {
        if *seq > after {
            let mut found: Vec<Change> = all()
                .iter()
                .filter(|j| j.change_seq() > after)
                .map(|j| Change {
                    id: j.id,
                    seq: j.change_seq(),
                    state: j.state(),
                })
                .collect();
            if !found.is_empty() {
                found.sort_by_key(|c| c.seq);
                let next = if found.len() > max {
                    found.truncate(max);
                    found.last().map_or(after, |c| c.seq)
                } else {
                    *seq
                };
                return (found, next);
            }
        }
        match wait_time(deadline) {
            Some(w) => seq = cv.wait_timeout(seq, w).unwrap_or_else(|p| p.into_inner()).0,
            None => return (Vec::new(), *seq),
        }
    }
}

/// Waits until `done()` holds or `deadline` passes; returns the last answer of `done()`.
pub fn wait_until(deadline: Option<Instant>, mut done: impl FnMut() -> bool) -> bool {
    let (m, cv) = &*CHANGES;
    let mut g = lock(m);
    loop {
        if done() {
            return true;
        }
        match wait_time(deadline) {
            Some(w) => g = cv.wait_timeout(g, w).unwrap_or_else(|p| p.into_inner()).0,
            None => return false,
        }
    }
}

/// How long to sleep before the deadline; None once it has passed. Without a deadline, sleeps in
/// long slices (a wake-up re-checks the condition anyway).
fn wait_time(deadline: Option<Instant>) -> Option<std::time::Duration> {
    match deadline {
        Some(d) => d
            .checked_duration_since(Instant::now())
            .filter(|w| !w.is_zero()),
        None => Some(std::time::Duration::from_secs(3600)),
    }
}
