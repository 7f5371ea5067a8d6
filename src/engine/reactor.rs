//! One thread follows every job: it waits with epoll on all the supervisors' sockets at once and
//! hands each event to that job's [`Follow`]. A thread per job cost every start a thread's
//! creation and every running job a stack (issue 7); this one is made with the first job and
//! lives as long as pwsh.
//!
//! Readers that make room in a job's output, and new jobs, reach the thread through its eventfd.
//! A failed spool's retry is a timer: the wait ends at the earliest one.

use crate::engine::flow::Waker;
use crate::engine::job::{lock, Job};
use crate::engine::monitor::{Follow, Step, STACK};
use crate::engine::spawn::Launched;
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The eventfd's token; a job's is its id (ids start at 1 and never reach this).
const WAKE: u64 = u64::MAX;
const EVENTS: usize = 64;

struct Shared {
    epoll: OwnedFd,
    waker: Waker,
    /// Jobs started since the thread last looked.
    arrived: Mutex<Vec<Follow>>,
    /// Jobs whose reader made room for held-back output.
    room: Mutex<Vec<u64>>,
}

static REACTOR: Lazy<Result<Arc<Shared>, String>> =
    Lazy::new(|| start().map_err(|e| e.to_string()));

/// Follows the job from now on. An error means no job can be followed (no thread or fd to be had).
pub fn follow(job: Arc<Job>, l: Launched) -> io::Result<()> {
    let shared = REACTOR
        .as_ref()
        .map_err(|e| io::Error::new(io::ErrorKind::Other, e.clone()))?;
    let id = job.id;
    let on_room = shared.clone();
    job.output().set_on_room(Box::new(move || {
        lock(&on_room.room).push(id);
        on_room.waker.wake();
    }));
    lock(&shared.arrived).push(Follow::new(job, l));
    shared.waker.wake();
    Ok(())
}

fn start() -> io::Result<Arc<Shared>> {
    // SAFETY: epoll_create1 with a flag only; the fd is owned right away.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd nobody else owns.
    let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
    let waker = Waker::new()?;
    add(epoll.as_raw_fd(), waker.fd(), WAKE)?;
    let shared = Arc::new(Shared {
        epoll,
        waker,
        arrived: Mutex::new(Vec::new()),
        room: Mutex::new(Vec::new()),
    });
    let theirs = shared.clone();
    std::thread::Builder::new()
        .name("rjob-reactor".into())
        .stack_size(STACK)
        .spawn(move || run(&theirs))?;
    Ok(shared)
}

fn add(epoll: RawFd, fd: RawFd, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: token,
    };
    // SAFETY: a live epoll_event; both fds are open.
    if unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Settles a job's end; a panic there is contained, as in [`Jobs::step`].
fn end(f: Follow, failure: Option<String>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.end(failure)));
}

/// The jobs being followed, and when each held-back one should try its spool again.
struct Jobs<'a> {
    shared: &'a Shared,
    follows: HashMap<u64, Follow>,
    retries: HashMap<u64, Instant>,
}

fn run(shared: &Shared) {
    let mut jobs = Jobs {
        shared,
        follows: HashMap::new(),
        retries: HashMap::new(),
    };
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; EVENTS];
    loop {
        let timeout = jobs.retries.values().min().map_or(-1, |t| {
            let ms = t.saturating_duration_since(Instant::now()).as_millis();
            ms.clamp(1, i32::MAX as u128) as i32
        });
        // SAFETY: `events` is a live array of EVENTS entries.
        let n = unsafe {
            libc::epoll_wait(
                shared.epoll.as_raw_fd(),
                events.as_mut_ptr(),
                EVENTS as i32,
                timeout,
            )
        };
        for ev in &events[..n.max(0) as usize] {
            let token = ev.u64;
            if token == WAKE {
                shared.waker.reset();
                jobs.wake();
            } else {
                jobs.step(token, |f| f.readable());
            }
        }
        jobs.retry_due();
    }
}

impl Jobs<'_> {
    /// Takes in new jobs and gives room back to those whose reader made some.
    fn wake(&mut self) {
        let arrived = std::mem::take(&mut *lock(&self.shared.arrived));
        for f in arrived {
            let id = f.id();
            if let Err(e) = add(self.shared.epoll.as_raw_fd(), f.fd(), id) {
                end(f, Some(format!("cannot follow the job's supervisor: {e}")));
                continue;
            }
            self.follows.insert(id, f);
            self.step(id, |f| f.begin());
        }
        let room = std::mem::take(&mut *lock(&self.shared.room));
        for id in room {
            self.room(id);
        }
    }

    fn room(&mut self, id: u64) {
        self.step(id, |f| {
            f.room();
            Step::Go
        });
    }

    fn retry_due(&mut self) {
        let now = Instant::now();
        let due: Vec<u64> = self
            .retries
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            self.room(id);
        }
    }

    /// Runs `what` on the job's follower, then ends it or notes its next retry. A panic ends
    /// that job (Failed, with the panic's message), not the thread every other job depends on.
    fn step(&mut self, id: u64, what: impl FnOnce(&mut Follow) -> Step) {
        let Some(f) = self.follows.get_mut(&id) else {
            return;
        };
        let step = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| what(f)))
            .unwrap_or_else(|p| {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Step::End(Some(format!(
                    "internal error while following the job: {why}"
                )))
            });
        match step {
            Step::Go => match f.retry_in() {
                Some(d) => {
                    self.retries.insert(id, Instant::now() + d);
                }
                None => {
                    self.retries.remove(&id);
                }
            },
            Step::End(failure) => {
                self.retries.remove(&id);
                if let Some(f) = self.follows.remove(&id) {
                    // SAFETY: the fd is open (the job still holds its socket); a null event is
                    // allowed for a delete.
                    unsafe {
                        libc::epoll_ctl(
                            self.shared.epoll.as_raw_fd(),
                            libc::EPOLL_CTL_DEL,
                            f.fd(),
                            std::ptr::null_mut(),
                        )
                    };
                    end(f, failure);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::flow::Control;
    use crate::engine::job::{JobMeta, JobState};
    use crate::engine::output::OutputStore;
    use crate::engine::spawn::SupervisorProc;
    use crate::protocol::Decoder;
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    #[test]
    fn a_panic_while_following_a_job_fails_that_job_and_spares_the_thread() {
        // SAFETY: as in start().
        let epoll = unsafe { OwnedFd::from_raw_fd(libc::epoll_create1(libc::EPOLL_CLOEXEC)) };
        let shared = Shared {
            epoll,
            waker: Waker::new().unwrap(),
            arrived: Mutex::new(Vec::new()),
            room: Mutex::new(Vec::new()),
        };
        let (ours, _theirs) = UnixStream::pair().unwrap();
        let control = Arc::new(Control::new(ours).unwrap());
        let meta = JobMeta {
            instance_id: "test".into(),
            name: String::new(),
            command: "true".into(),
            kind: "Native".into(),
            grace_ms: 0,
            pid: Some(1),
            location: None,
            stdin_pipe: false,
        };
        let job = Arc::new(Job::new(
            7,
            meta,
            OutputStore::new(1 << 20, None),
            Some(control.clone()),
        ));
        let supervisor = std::process::Command::new("true").spawn().unwrap();
        let launched = Launched {
            supervisor: SupervisorProc::Child(supervisor),
            pid: Some(1),
            control,
            pending: Decoder::new(),
            remote: None,
        };
        let mut jobs = Jobs {
            shared: &shared,
            follows: HashMap::new(),
            retries: HashMap::new(),
        };
        jobs.follows.insert(7, Follow::new(job.clone(), launched));
        jobs.step(7, |_| panic!("boom"));
        assert!(jobs.follows.is_empty(), "the job is no longer followed");
        // Settled on a thread of its own (the supervisor is our child, to be reaped), which
        // announces the change.
        let deadline = Some(Instant::now() + Duration::from_secs(10));
        crate::engine::table::wait_until(deadline, || job.state() != JobState::Running);
        let info = job.info();
        assert_eq!(info.state, JobState::Failed);
        assert!(
            info.reason.as_deref().unwrap_or("").contains("boom"),
            "{:?}",
            info.reason
        );
    }
}
