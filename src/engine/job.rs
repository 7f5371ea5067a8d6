//! One job: what it runs, where it stands, and its output.

use crate::engine::flow::Control;
use crate::engine::output::OutputStore;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The same names and meanings as PowerShell's `JobState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    NotStarted,
    Running,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

impl JobState {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Stopped
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopMode {
    Graceful,
    Force,
}

#[derive(Debug)]
pub struct Status {
    pub state: JobState,
    pub pid: Option<i32>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub end_ms: Option<i64>,
    pub stop: Option<StopMode>,
    /// Why the job failed when no exit code says it (supervisor lost, spool trouble).
    pub reason: Option<String>,
}

pub struct Job {
    pub id: u64,
    pub instance_id: String,
    pub name: String,
    pub command: String,
    pub kind: String,
    pub begin_ms: i64,
    pub grace_ms: u64,
    location: Option<String>,
    status: Mutex<Status>,
    output: Mutex<OutputStore>,
    /// Signalled when output arrives or the output ends.
    pub output_cv: Condvar,
    /// Set once the monitor has read the last output and settled the end state.
    output_done: Mutex<bool>,
    /// Engine end of the supervisor's socket, for stop commands; dropped when the job ends. Set
    /// before the job enters the table, so a stop that finds the job always finds its socket.
    pub control: Mutex<Option<Arc<Control>>>,
    /// The change-feed sequence number of the job's last state change (`table::changes`).
    change_seq: AtomicU64,
    /// Its stdin pipe, for `engine::input`.
    pub input: crate::engine::input::InputState,
}

/// The JSON view of a job handed across the ABI.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct JobInfo {
    pub id: u64,
    pub instance_id: String,
    pub name: String,
    pub command: String,
    pub kind: String,
    pub state: JobState,
    pub pid: Option<i32>,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub begin_time_ms: i64,
    pub end_time_ms: Option<i64>,
    pub has_more_data: bool,
    pub location: String,
    pub reason: Option<String>,
}

pub struct JobMeta {
    pub instance_id: String,
    pub name: String,
    pub command: String,
    pub kind: String,
    pub grace_ms: u64,
    /// None while a start that did not wait (`StartSpec::no_wait`) has no word of the process.
    pub pid: Option<i32>,
    /// The remote host, for a remote job.
    pub location: Option<String>,
    /// Started with a stdin pipe (`StartSpec::stdin_pipe`).
    pub stdin_pipe: bool,
}

impl Job {
    pub fn new(id: u64, meta: JobMeta, output: OutputStore, control: Option<Arc<Control>>) -> Job {
        Job {
            id,
            instance_id: meta.instance_id,
            name: meta.name,
            command: meta.command,
            kind: meta.kind,
            begin_ms: now_ms(),
            grace_ms: meta.grace_ms,
            location: meta.location,
            status: Mutex::new(Status {
                state: JobState::Running,
                pid: meta.pid,
                exit_code: None,
                signal: None,
                end_ms: None,
                stop: None,
                reason: None,
            }),
            output: Mutex::new(output),
            output_cv: Condvar::new(),
            output_done: Mutex::new(false),
            control: Mutex::new(control),
            change_seq: AtomicU64::new(0),
            input: crate::engine::input::InputState::new(meta.stdin_pipe),
        }
    }

    /// Sequence number of the job's last state change in the change feed.
    pub fn change_seq(&self) -> u64 {
        self.change_seq.load(Ordering::Acquire)
    }

    pub(crate) fn set_change_seq(&self, seq: u64) {
        self.change_seq.store(seq, Ordering::Release);
    }

    pub fn status(&self) -> MutexGuard<'_, Status> {
        lock(&self.status)
    }

    pub fn output(&self) -> MutexGuard<'_, OutputStore> {
        lock(&self.output)
    }

    pub fn state(&self) -> JobState {
        self.status().state
    }

    pub fn output_done(&self) -> bool {
        *lock(&self.output_done)
    }

    pub fn info(&self) -> JobInfo {
        let (has_more_data, spool_note) = {
            let out = self.output();
            (out.has_data(), out.note())
        };
        let st = self.status();
        JobInfo {
            id: self.id,
            instance_id: self.instance_id.clone(),
            name: self.name.clone(),
            command: self.command.clone(),
            kind: self.kind.clone(),
            state: st.state,
            pid: st.pid,
            exit_code: st.exit_code,
            signal: st.signal,
            begin_time_ms: self.begin_ms,
            end_time_ms: st.end_ms,
            has_more_data,
            location: self
                .location
                .clone()
                .unwrap_or_else(|| "localhost".to_string()),
            reason: st.reason.clone().or(spool_note),
        }
    }

    /// Records a stop request; returns false when the job had already finished.
    pub fn request_stop(&self, mode: StopMode) -> bool {
        let changed = {
            let mut st = self.status();
            if st.state.is_finished() {
                return false;
            }
            let changed = st.state != JobState::Stopping;
            st.state = JobState::Stopping;
            if st.stop != Some(StopMode::Force) {
                st.stop = Some(mode);
            }
            changed
        };
        if changed {
            crate::engine::table::note_change(self);
        }
        true
    }

    /// The supervisor's word that the process of a start that did not wait runs.
    pub fn set_started(&self, pid: i32) {
        self.status().pid = Some(pid);
        crate::engine::table::note_change(self);
    }

    pub fn set_exit(&self, code: Option<i32>, signal: Option<i32>) {
        let mut st = self.status();
        st.exit_code = code;
        st.signal = signal;
    }

    /// Settles the end state once all output is in: a stopped job is Stopped whatever its exit
    /// code; otherwise exit code 0 is Completed and anything else Failed.
    pub fn finish(&self, reason: Option<String>) {
        {
            let mut st = self.status();
            st.state = if st.stop.is_some() {
                JobState::Stopped
            } else if st.exit_code == Some(0) && reason.is_none() {
                JobState::Completed
            } else {
                JobState::Failed
            };
            if st.reason.is_none() {
                st.reason = reason.or_else(|| match (st.exit_code, st.signal) {
                    (_, Some(sig)) if st.stop.is_none() => Some(format!("killed by signal {sig}")),
                    (Some(c), _) if c != 0 && st.stop.is_none() => Some(format!("exit code {c}")),
                    _ => None,
                });
            }
            st.end_ms = Some(now_ms());
        }
        *lock(&self.output_done) = true;
        let _guard = self.output();
        self.output_cv.notify_all();
        drop(_guard);
        *lock(&self.control) = None;
        // Last: whoever wakes on the change sees the final state, the output done and no socket.
        crate::engine::table::note_change(self);
    }
}

/// Locks a mutex even if a panicking thread poisoned it: job state stays usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
