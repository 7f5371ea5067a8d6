//! The engine's side of the fork server (`rjob-supervisor --fork-server`, see
//! `supervisor::fork_server`): started on the first local job, it forks each job's supervisor, so
//! a start costs one exec (the job's) instead of two.
//!
//! One server per engine, talked to under one lock: a request and its answer are a few
//! microseconds plus a fork. A server that is gone or stuck (no answer in [`ANSWER_TIMEOUT`]) is
//! killed and replaced on the next start; the caller falls back to spawning the supervisor itself
//! when no server could do it. The server ends when pwsh does: its end of our socket closes.

use crate::engine::job::lock;
use crate::supervisor::fork_server::{self as wire, FAILED, LAUNCH, MESSAGE, OK, STATUS};
use once_cell::sync::Lazy;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A server that does not answer in this time is taken for stuck (stopped, or the machine is
/// swamped) and replaced.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a supervisor whose socket closed may take to exit before its end is asked about.
const EXIT_WAIT: Duration = Duration::from_secs(2);

struct Server {
    child: Child,
    pidfd: Option<OwnedFd>,
    sock: OwnedFd,
    generation: u64,
}

struct State {
    server: Option<Server>,
    generation: u64,
}

static STATE: Lazy<Mutex<State>> = Lazy::new(|| {
    Mutex::new(State {
        server: None,
        generation: 0,
    })
});
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the fork server off (every supervisor is then spawned by the engine) or on again; for
/// tests of the fallback.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Release);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Acquire)
}

/// A supervisor the fork server started: not our child, so it is known by pid and pidfd only.
pub struct Forked {
    pub pid: i32,
    /// Opened by the server before it could reap the process: it names that process for good.
    pub pidfd: Option<OwnedFd>,
    /// Which server forked it: only that one can say how it ended.
    generation: u64,
}

/// Has the fork server fork a supervisor for the job socket end `job_end`. An error means no
/// supervisor runs on `job_end` that this call knows of: the caller gives up on that socket.
pub fn fork_supervisor(exe: &Path, job_end: &OwnedFd) -> io::Result<Forked> {
    let mut st = lock(&STATE);
    if st.server.is_none() {
        st.generation += 1;
        let generation = st.generation;
        st.server = Some(start(exe, generation)?);
    }
    let s = st.server.as_ref().expect("started above");
    match request(s, LAUNCH, 0, Some(job_end.as_raw_fd())) {
        Ok((OK, pid, pidfd)) => Ok(Forked {
            pid,
            pidfd,
            generation: s.generation,
        }),
        Ok((_, errno, _)) => Err(io::Error::from_raw_os_error(errno)),
        Err(e) => {
            // Gone or stuck: the next start gets a new one.
            if let Some(s) = st.server.take() {
                end(s);
            }
            Err(e)
        }
    }
}

/// How a forked supervisor ended: waits (a little) for it to end, then asks the server that
/// reaped it. None when that is unknown (the server was replaced, or forgot).
pub fn exit_status(f: &Forked) -> Option<ExitStatus> {
    if let Some(fd) = &f.pidfd {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; a pidfd is readable once its process has ended.
        unsafe { libc::poll(&mut p, 1, EXIT_WAIT.as_millis() as i32) };
    }
    let st = lock(&STATE);
    let s = st
        .server
        .as_ref()
        .filter(|s| s.generation == f.generation)?;
    match request(s, STATUS, f.pid, None) {
        Ok((OK, status, _)) => Some(ExitStatus::from_raw(status)),
        _ => None,
    }
}

/// Sends SIGKILL to a forked supervisor (through its pidfd: never a reused pid).
pub fn kill(f: &Forked) {
    if let Some(fd) = &f.pidfd {
        // SAFETY: plain syscall on a pidfd we own; a NULL siginfo is allowed.
        unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                fd.as_raw_fd(),
                libc::SIGKILL,
                std::ptr::null::<u8>(),
                0,
            )
        };
    }
}

/// The fork server's pid, if one runs; for tests.
pub fn server_pid() -> Option<i32> {
    lock(&STATE).server.as_ref().map(|s| s.child.id() as i32)
}

fn start(exe: &Path, generation: u64) -> io::Result<Server> {
    let (ours, theirs) = wire::seqpacket_pair()?;
    let child = Command::new(exe)
        .arg("--fork-server")
        .stdin(Stdio::from(theirs))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group keeps the terminal's Ctrl+C (meant for pwsh) away from it and its jobs.
        .process_group(0)
        .spawn()?;
    // Our unreaped child (it cannot have ended: it waits for us), so the pidfd names it.
    // SAFETY: plain syscall; the fd it returns is ours to own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as i32, 0) };
    let pidfd = (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) });
    let tv = libc::timeval {
        tv_sec: ANSWER_TIMEOUT.as_secs() as libc::time_t,
        tv_usec: 0,
    };
    // SAFETY: setsockopt reads a live timeval of the size given.
    unsafe {
        libc::setsockopt(
            ours.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    Ok(Server {
        child,
        pidfd,
        sock: ours,
        generation,
    })
}

/// One request and its answer: (flag, value, attached fd).
fn request(
    s: &Server,
    kind: u8,
    pid: i32,
    fd: Option<RawFd>,
) -> io::Result<(u8, i32, Option<OwnedFd>)> {
    wire::send_msg(s.sock.as_raw_fd(), &wire::message(kind, pid), fd)?;
    let mut m = [0u8; MESSAGE];
    let (n, fd) = wire::recv_msg(s.sock.as_raw_fd(), &mut m)?;
    if n != MESSAGE || (m[0] != OK && m[0] != FAILED) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the fork server did not answer",
        ));
    }
    Ok((m[0], wire::value(&m), fd))
}

/// Kills a server we gave up on and reaps it: our own child, by its pidfd where there is one, so
/// a pid the runtime reaped and reused is never touched.
fn end(s: Server) {
    let Server {
        mut child, pidfd, ..
    } = s;
    match pidfd {
        Some(fd) => {
            // SAFETY: syscalls on a pidfd we own; waitid writes only to `info`.
            unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    libc::SIGKILL,
                    std::ptr::null::<u8>(),
                    0,
                );
                let mut info: libc::siginfo_t = std::mem::zeroed();
                libc::waitid(
                    libc::P_PIDFD,
                    fd.as_raw_fd() as libc::id_t,
                    &mut info,
                    libc::WEXITED,
                );
            }
        }
        None => {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
