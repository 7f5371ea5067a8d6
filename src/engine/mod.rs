//! The engine: everything that runs inside pwsh. Its operations are plain Rust: what the C ABI
//! calls, and what the engine tests drive.

pub mod error;
pub mod flow;
pub mod fork_server;
pub mod ids;
pub mod input;
pub mod job;
pub mod lines;
pub mod monitor;
pub mod orphans;
pub mod output;
pub mod pidfd;
pub mod reactor;
pub mod remote;
pub mod spawn;
pub mod table;

use crate::engine::error::{EngineError, Result};
pub use crate::engine::input::input;
use crate::engine::job::{Job, JobInfo, JobMeta, JobState, StopMode};
use crate::engine::output::{OutputStore, Record};
pub use crate::engine::table::{Change, Filter};
use crate::protocol::Frame;
use crate::spec::{check_grace_ms, StartSpec, DEFAULT_GRACE_MS, DEFAULT_OUTPUT_WINDOW};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts a job and returns its id once its process runs (`no_wait`: once its supervisor has it).
pub fn start(mut spec: StartSpec) -> Result<u64> {
    spec.validate()?;
    let grace_ms = spec.grace_ms.unwrap_or(DEFAULT_GRACE_MS);
    // The supervisor gets the same spec, completed: the grace period settled, and the cookie
    // that marks every process of the job.
    spec.grace_ms = Some(grace_ms);
    spec.cookie = Some(crate::engine::ids::new_instance_id());
    let launched = spawn::launch(&mut spec)?;
    let meta = JobMeta {
        instance_id: crate::engine::ids::new_instance_id(),
        name: spec.name.unwrap_or_default(),
        command: spec.command.unwrap_or_else(|| spec.argv.join(" ")),
        kind: spec.kind.unwrap_or_else(|| "Native".into()),
        grace_ms,
        pid: launched.pid,
        location: launched.remote.as_ref().map(|r| r.0.clone()),
        stdin_pipe: spec.stdin_pipe,
    };
    let spool = spec.spool_dir.map(PathBuf::from).or_else(spool_dir);
    let store = OutputStore::new(spec.output_window.unwrap_or(DEFAULT_OUTPUT_WINDOW), spool);
    // The socket goes in with the job: were it set after the insert, a stop arriving in between
    // would mark the job Stopping and find no socket to send on (issue 9, item 7).
    let control = Some(launched.control.clone());
    let job = table::insert(|id| Job::new(id, meta, store, control));
    let id = job.id;
    // A remote tree cannot be found through this host's /proc: no cookie to hunt by.
    let cookie = spec.cookie.filter(|_| launched.remote.is_none());
    orphans::watch(
        id,
        launched.supervisor.pid(),
        launched.supervisor.pidfd(),
        cookie,
    );
    if let Err(e) = reactor::follow(job.clone(), launched) {
        // Without a follower nobody would ever see this job end: stop it and say why. Dropping
        // the launch closed the socket, so its supervisor kills the tree by itself.
        job.finish(Some(format!("cannot follow the job: {e}")));
    }
    Ok(id)
}

pub fn list(filter: &Filter) -> Vec<JobInfo> {
    table::list(filter).iter().map(|j| j.info()).collect()
}

pub fn get(id: u64) -> Result<JobInfo> {
    Ok(job(id)?.info())
}

/// The hot part of a job's state, read without building the full info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusView {
    pub state: JobState,
    pub pid: Option<i32>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub has_more_data: bool,
    pub end_ms: Option<i64>,
}

pub fn status(id: u64) -> Result<StatusView> {
    let j = job(id)?;
    let has_more_data = j.output().has_data();
    let st = j.status();
    Ok(StatusView {
        state: st.state,
        pid: st.pid,
        exit_code: st.exit_code,
        signal: st.signal,
        has_more_data,
        end_ms: st.end_ms,
    })
}

/// Jobs whose state changed after `after` (see `table::changes`); waits up to `timeout` (None: no
/// limit) when none did.
pub fn changes(after: u64, max: usize, timeout: Option<Duration>) -> (Vec<Change>, u64) {
    table::changes(after, max.max(1), timeout.map(|t| Instant::now() + t))
}

fn job(id: u64) -> Result<Arc<Job>> {
    table::get(id).ok_or(EngineError::NotFound(id))
}

fn jobs(ids: &[u64]) -> Result<Vec<Arc<Job>>> {
    ids.iter().map(|&id| job(id)).collect()
}

/// Asks the jobs to stop and returns at once; `wait` tells when they have. All of them are
/// signalled before anyone waits, so stopping many jobs costs one grace period, not one each.
/// Finished jobs are left alone. `grace_ms` overrides each job's own grace period.
pub fn stop(ids: &[u64], force: bool, grace_ms: Option<u64>) -> Result<()> {
    check_grace_ms(grace_ms.unwrap_or(0))?;
    let jobs = jobs(ids)?;
    for j in jobs {
        let mode = if force {
            StopMode::Force
        } else {
            StopMode::Graceful
        };
        if !j.request_stop(mode) {
            continue;
        }
        let cmd = if force {
            Frame::Kill
        } else {
            Frame::Term {
                grace_ms: grace_ms.unwrap_or(j.grace_ms),
            }
        };
        let control = crate::engine::job::lock(&j.control).clone();
        orphans::before_stop(j.id, force);
        if let Some(c) = control {
            // A failed write means the supervisor is already gone; the monitor settles the end.
            let _ = c.send(&cmd);
        }
    }
    Ok(())
}

/// Waits until all (or, with `any`, one) of the jobs have finished. Ok(false) on timeout.
pub fn wait(ids: &[u64], any: bool, timeout: Option<Duration>) -> Result<bool> {
    let jobs = jobs(ids)?;
    let deadline = timeout.map(|t| Instant::now() + t);
    Ok(table::wait_until(deadline, || {
        let mut done = jobs.iter().map(|j| j.state().is_finished());
        if any {
            jobs.is_empty() || done.any(|d| d)
        } else {
            done.all(|d| d)
        }
    }))
}

/// How much one receive may return. Each record costs `per_record` plus its length against
/// `max_bytes` (the ABI counts its record header there).
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_records: usize,
    pub max_bytes: usize,
    pub per_record: usize,
}

impl Limit {
    /// Up to `n` records and 8 MiB, for callers that count records.
    pub fn records(n: usize) -> Limit {
        Limit {
            max_records: n.max(1),
            max_bytes: 8 << 20,
            per_record: 0,
        }
    }
}

#[derive(Debug)]
pub struct Batch {
    /// Raw bytes as the job wrote them, line endings removed; nothing decoded.
    pub records: Vec<Record>,
    /// Where a `keep` read continues.
    pub next: u64,
    /// The job has ended and every record up to `next` is all there will ever be.
    pub done: bool,
    /// When no record was returned because the first one does not fit the limit: its cost. That
    /// record was not consumed.
    pub too_big: Option<usize>,
}

/// Returns output records, as many whole records as fit `limit`. Without `keep` they are
/// consumed; with it, reading starts at `from` and nothing is removed. When none is ready and
/// the job still runs, waits up to `timeout` for some.
pub fn receive(id: u64, keep: bool, from: u64, limit: Limit, timeout: Duration) -> Result<Batch> {
    let j = job(id)?;
    let deadline = Instant::now() + timeout;
    let mut store = j.output();
    loop {
        // Whole records that fit; a record too big for the limit stays where it is.
        let (n, b, per) = (limit.max_records.max(1), limit.max_bytes, limit.per_record);
        let t = if keep {
            store.peek(from, n, b, per)?
        } else {
            store.take(n, b, per)?
        };
        let (recs, next, too_big) = (t.records, t.next, t.too_big);
        let finished = j.output_done();
        let left = deadline.saturating_duration_since(Instant::now());
        if !recs.is_empty() || too_big.is_some() || finished || left.is_zero() {
            let done = finished && next >= store.tail();
            return Ok(Batch {
                records: recs,
                next,
                done,
                too_big,
            });
        }
        store = j
            .output_cv
            .wait_timeout(store, left)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

/// Forgets a finished job and frees its output.
pub fn remove(id: u64) -> Result<()> {
    let j = job(id)?;
    if !j.state().is_finished() {
        return Err(EngineError::JobActive(id));
    }
    table::remove(id);
    Ok(())
}

/// Where output beyond the memory window goes: `RJOB_SPOOL_DIR`, else `rjob/spool` in the
/// per-user cache folder (on disk, unlike a tmpfs runtime dir; see `spawn::user_cache_dir`).
pub fn spool_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("RJOB_SPOOL_DIR") {
        return Some(PathBuf::from(d));
    }
    Some(spawn::user_cache_dir().join("rjob").join("spool"))
}
