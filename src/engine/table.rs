//! The process-wide job table: ids from 1, lookups, and the signal that some job finished.

use crate::engine::job::{lock, Job};
use crate::engine::wildcard::Pattern;
use crate::spec::Filter;
use once_cell::sync::Lazy;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};

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

/// Bumped (under its lock) each time a job reaches a final state; waiters sleep on the condvar.
static FINISHED: Lazy<(Mutex<u64>, Condvar)> = Lazy::new(|| (Mutex::new(0), Condvar::new()));

/// Gives the job the next id and stores it. The id is taken only once the job has started, so
/// the ids a user sees stay consecutive even when a start fails.
pub fn insert(make: impl FnOnce(u64) -> Job) -> Arc<Job> {
    let mut t = lock(&TABLE);
    let id = t.next_id;
    t.next_id += 1;
    let job = Arc::new(make(id));
    t.jobs.insert(id, job.clone());
    job
}

pub fn get(id: u64) -> Option<Arc<Job>> {
    lock(&TABLE).jobs.get(&id).cloned()
}

pub fn remove(id: u64) -> Option<Arc<Job>> {
    lock(&TABLE).jobs.remove(&id)
}

pub fn list(filter: &Filter) -> Vec<Arc<Job>> {
    let jobs: Vec<Arc<Job>> = lock(&TABLE).jobs.values().cloned().collect();
    let names: Option<Vec<Pattern>> = filter
        .names
        .as_ref()
        .map(|n| n.iter().map(|p| Pattern::new(p)).collect());
    jobs.into_iter()
        .filter(|j| filter.ids.as_ref().map_or(true, |ids| ids.contains(&j.id)))
        .filter(|j| {
            names
                .as_ref()
                .map_or(true, |ps| ps.iter().any(|p| p.matches(&j.name)))
        })
        .filter(|j| {
            filter.instance_ids.as_ref().map_or(true, |ids| {
                ids.iter().any(|i| i.eq_ignore_ascii_case(&j.instance_id))
            })
        })
        .filter(|j| {
            filter
                .states
                .as_ref()
                .map_or(true, |s| s.contains(&j.state()))
        })
        .collect()
}

/// Tells waiters that some job reached a final state.
pub fn notify_finished() {
    let (m, cv) = &*FINISHED;
    *lock(m) += 1;
    cv.notify_all();
}

/// Waits until `done()` holds or `deadline` passes; returns the last answer of `done()`.
pub fn wait_until(deadline: Option<std::time::Instant>, mut done: impl FnMut() -> bool) -> bool {
    let (m, cv) = &*FINISHED;
    let mut g = lock(m);
    loop {
        if done() {
            return true;
        }
        let wait = match deadline {
            Some(d) => match d.checked_duration_since(std::time::Instant::now()) {
                Some(w) if !w.is_zero() => w,
                _ => return false,
            },
            None => std::time::Duration::from_secs(3600),
        };
        g = cv
            .wait_timeout(g, wait)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}
