//! The engine's own hold on a job's tree, for when its supervisor cannot do the job: killed
//! (`kill -9`), stopped (SIGSTOP), or not answering a forced stop.
//!
//! Each supervisor (the engine's child, or the fork server's) is watched through a pidfd, so no signal meant for it
//! can reach a reused pid. Its job's processes all carry `RJOB_JOB_COOKIE=<cookie>` in their
//! environment (Jenkins' ProcessTreeKiller does the same); once the supervisor is gone they are
//! found through /proc/PID/environ and stopped with the supervisor's own freeze and kill.

use crate::supervisor::child::COOKIE_VAR;
use crate::supervisor::proctree::{self, ProcStat};
use crate::supervisor::tree::{self, Members};
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::fs;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a supervisor has to end its job's tree after a forced stop before the engine kills
/// the supervisor and ends the tree itself, when the supervisor is stopped (or traced) by then.
pub const KILL_ANSWER: Duration = Duration::from_secs(5);
/// The same for a supervisor still at work: freezing a large fork bomb on a busy machine may take
/// it up to its own limit.
const KILL_WORKING: Duration = Duration::from_secs(tree::KILL_LIMIT.as_secs() + 5);

/// Stops every process of our uid (never this one) whose environment holds
/// `RJOB_JOB_COOKIE=<cookie>`: freeze, then kill. Returns how many were sent SIGKILL.
pub fn kill_by_cookie(cookie: &str) -> usize {
    if cookie.is_empty() {
        return 0;
    }
    let c = Cookie::new(cookie);
    tree::freeze_and_kill(&c, None, tree::KILL_LIMIT).killed
}

/// The processes that carry one cookie.
struct Cookie {
    entry: Vec<u8>,
    uid: u32,
    me: i32,
}

impl Cookie {
    fn new(cookie: &str) -> Cookie {
        Cookie {
            entry: format!("{COOKIE_VAR}={cookie}").into_bytes(),
            // SAFETY: geteuid and getpid have no preconditions.
            uid: unsafe { libc::geteuid() },
            me: unsafe { libc::getpid() },
        }
    }

    /// Its stat when `pid` is a live process of ours carrying the cookie.
    fn check(&self, pid: i32) -> Option<ProcStat> {
        if pid == self.me {
            return None;
        }
        // The owner of /proc/PID is the process's effective uid: others' processes are skipped
        // before their environment is read (which the kernel would refuse anyway).
        if fs::metadata(format!("/proc/{pid}")).ok()?.uid() != self.uid {
            return None;
        }
        let env = fs::read(format!("/proc/{pid}/environ")).ok()?;
        if !env.split(|&b| b == 0).any(|e| e == self.entry.as_slice()) {
            return None;
        }
        proctree::read_stat(pid).filter(|s| proctree::is_live(s.state))
    }
}

impl Members for Cookie {
    fn scan(&self, found: &mut dyn FnMut(i32, ProcStat)) {
        let Ok(dir) = fs::read_dir("/proc") else {
            return;
        };
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if let Some(st) = self.check(pid) {
                found(pid, st);
            }
        }
    }

    fn verify(&self, pid: i32) -> bool {
        self.check(pid).is_some()
    }
}

/// The engine's handle on one job's supervisor.
struct Supervisor {
    pid: i32,
    /// Opened while the supervisor is our unreaped child, so it names that process for good.
    pidfd: Option<OwnedFd>,
    cookie: Option<String>,
    /// The engine killed it for not answering a forced stop.
    killed_by_us: AtomicBool,
}

impl Supervisor {
    fn signal(&self, sig: i32) -> bool {
        self.pidfd
            .as_ref()
            .is_some_and(|fd| crate::engine::pidfd::signal(fd, sig))
    }
}

static SUPERVISORS: Lazy<Mutex<HashMap<u64, Arc<Supervisor>>>> = Lazy::new(Default::default);

fn lookup(job_id: u64) -> Option<Arc<Supervisor>> {
    crate::engine::job::lock(&SUPERVISORS).get(&job_id).cloned()
}

/// Starts watching job `job_id`'s supervisor, process `pid`, through `pidfd` (which names that
/// process for good: see `spawn::SupervisorProc::pidfd`); `cookie` is the one its job's processes
/// carry.
pub fn watch(job_id: u64, pid: i32, pidfd: Option<OwnedFd>, cookie: Option<String>) {
    let s = Arc::new(Supervisor {
        pid,
        pidfd,
        cookie,
        killed_by_us: AtomicBool::new(false),
    });
    crate::engine::job::lock(&SUPERVISORS).insert(job_id, s);
}

/// Stops watching; call once the supervisor has been reaped.
pub fn forget(job_id: u64) {
    crate::engine::job::lock(&SUPERVISORS).remove(&job_id);
}

/// Call before sending a stop command. A stopped supervisor would read the command only once
/// continued, so it is continued first (SIGCONT reaches only that process, through its pidfd).
/// After a forced stop it gets [`KILL_ANSWER`] to finish; then the engine kills it and the tree.
pub fn before_stop(job_id: u64, force: bool) {
    let Some(s) = lookup(job_id) else { return };
    s.signal(libc::SIGCONT);
    if force {
        arm(job_id);
    }
}

/// What the monitor calls when the supervisor's socket closed before it reported the tree gone.
/// Stops every process that carries the job's cookie at once (nothing is left to outlive pwsh),
/// and returns the job's reason. `how` is the supervisor's wait status, when it could be reaped.
pub fn supervisor_lost(job_id: u64, pid: i32, how: Option<ExitStatus>) -> String {
    let s = lookup(job_id);
    if let Some(c) = s.as_ref().and_then(|s| s.cookie.as_deref()) {
        kill_by_cookie(c);
    }
    let ours = s.is_some_and(|s| s.killed_by_us.load(Ordering::Acquire));
    let what = match (
        ours,
        how.and_then(|h| h.signal()),
        how.and_then(|h| h.code()),
    ) {
        (true, _, _) => "did not end the job after a forced stop and was killed".to_string(),
        (false, Some(sig), _) => format!("was killed by signal {sig}"),
        (false, None, Some(code)) => format!("exited with code {code} without reporting"),
        _ => "ended without reporting".to_string(),
    };
    format!(
        "the job's supervisor (pid {pid}) {what}; its processes were stopped; the exit code is unknown"
    )
}

/// Forced stops waiting for their supervisor to answer: (next check, when the stop was sent, job).
type Pending = Vec<(Instant, Instant, u64)>;
static PENDING: Lazy<(Mutex<Pending>, Condvar)> = Lazy::new(|| {
    // One thread serves every pending stop; it sleeps when none is pending.
    let _ = std::thread::Builder::new()
        .name("rjob-kill-watch".into())
        .stack_size(64 * 1024)
        .spawn(watch_kills);
    Default::default()
});

fn arm(job_id: u64) {
    let (list, cv) = &*PENDING;
    let now = Instant::now();
    crate::engine::job::lock(list).push((now + KILL_ANSWER, now, job_id));
    cv.notify_one();
}

fn watch_kills() {
    let (list, cv) = &*PENDING;
    let mut l = crate::engine::job::lock(list);
    loop {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = l.drain(..).partition(|(t, _, _)| *t <= now);
        *l = later;
        if !due.is_empty() {
            drop(l);
            let mut again = Vec::new();
            for (_, sent, id) in due {
                // Still watched means not yet reaped: the pidfd names the same supervisor.
                let Some(s) = lookup(id) else { continue };
                let stopped =
                    proctree::read_stat(s.pid).is_some_and(|st| proctree::is_stopped(st.state));
                if !stopped && now < sent + KILL_WORKING {
                    again.push((sent + KILL_WORKING, sent, id));
                    continue;
                }
                s.killed_by_us.store(true, Ordering::Release);
                if !s.signal(libc::SIGKILL) {
                    s.killed_by_us.store(false, Ordering::Release);
                }
            }
            l = crate::engine::job::lock(list);
            l.extend(again);
            continue;
        }
        l = match l.iter().map(|(t, _, _)| *t).min() {
            Some(t) => {
                let wait = t.saturating_duration_since(now);
                cv.wait_timeout(l, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => cv.wait(l).unwrap_or_else(|p| p.into_inner()),
        };
    }
}
