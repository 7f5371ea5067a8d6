//! The engine's side of the fork server (`rjob-supervisor --fork-server`, see
//! `supervisor::fork_server`): started on the first local job, it forks each job's supervisor, so
//! a start costs one exec (the job's) instead of two.
//!
//! The engine keeps one warm supervisor in hand (forked, waiting for its `Launch`): a start takes
//! it and asks for the next one, which the server forks while this start runs. A start prefers a
//! supervisor whose job ended cleanly and that waits for another (up to [`IDLE_MAX`] are kept):
//! that saves a fork and an exit, a third of the CPU of a short job's start. One server per
//! engine, talked to under one lock. A server that is gone or stuck (no answer in
//! [`ANSWER_TIMEOUT`]) is killed and replaced on the next start; the caller falls back to
//! spawning the supervisor itself when no server could give one. The server ends when pwsh does
//! (its end of our socket closes), and so does a warm supervisor (its socket closes).

use crate::engine::job::lock;
use crate::supervisor::fork_server::{self as wire, FAILED, MESSAGE, OK, STATUS, WARM};
use once_cell::sync::Lazy;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
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
    /// A request for a warm supervisor was sent and its answer not read yet.
    asked: bool,
    /// A warm supervisor whose answer was read (by a status request) before a start took it.
    ready: Option<(UnixStream, Forked)>,
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
/// Supervisors whose job ended cleanly, waiting for the next (the newest last). Apart from the
/// server's lock: the reactor hands them in, and must not wait for a start that waits for the
/// server.
static IDLE: Lazy<Mutex<Vec<(UnixStream, Forked)>>> = Lazy::new(Default::default);
/// Idle supervisors kept; one more is let go (its socket closes and it exits). Each holds about
/// 100 KiB of its own (1.3 MiB RSS, most of it shared with the server), and while short jobs run
/// one after another, few are idle at a time.
pub const IDLE_MAX: usize = 2;

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

/// A supervisor waiting for its `Launch`, and the engine's end of its socket. An error means the
/// server could give none: the caller spawns one itself.
pub fn take(exe: &Path) -> io::Result<(UnixStream, Forked)> {
    let mut st = lock(&STATE);
    // One that already ran a job first: it saves the server a fork (and itself an exit). Only
    // while the server that forked it lives, since only that one can say how it ends; one whose
    // server is gone is let go, and the server is replaced below.
    while let Some(w) = lock(&IDLE).pop() {
        let from_live_server = st.server.as_ref().is_some_and(|s| {
            s.generation == w.1.generation && !s.pidfd.as_ref().is_some_and(ended)
        });
        if from_live_server && !has_ended(&w.1) {
            return Ok(w);
        }
    }
    if st.server.is_none() {
        st.generation += 1;
        let generation = st.generation;
        st.server = Some(start(exe, generation)?);
    }
    let s = st.server.as_mut().expect("started above");
    let mut answer = Err(io::Error::from_raw_os_error(libc::ECHILD));
    // One killed while it waited is skipped; a few in a row mean something else is wrong.
    for _ in 0..3 {
        let got = match s.ready.take() {
            Some(w) => Ok(Ok(w)),
            None => next(s),
        };
        let got = match got {
            Ok(g) => g,
            Err(e) => {
                // Gone or stuck: the next start gets a new server.
                if let Some(s) = st.server.take() {
                    end(s);
                }
                return Err(e);
            }
        };
        // The next one is forked while this one starts its job.
        if !s.asked && wire::send_msg(s.sock.as_raw_fd(), &wire::message(WARM, 0), &[]).is_ok() {
            s.asked = true;
        }
        match got {
            Ok(w) if !has_ended(&w.1) => return Ok(w),
            other => answer = other,
        }
    }
    answer
}

/// Keeps a supervisor whose job ended cleanly (it waits for its next `Launch` on `sock`) for a
/// later start, or lets it go.
pub fn recycle(sock: UnixStream, f: Forked) {
    let mut idle = lock(&IDLE);
    if enabled() && idle.len() < IDLE_MAX {
        idle.push((sock, f));
    }
}

/// Reads the answer to the request for a warm supervisor (asking first if not asked yet). The
/// outer error: the server is gone or stuck; the inner one: it could not fork.
fn next(s: &mut Server) -> io::Result<io::Result<(UnixStream, Forked)>> {
    if !s.asked {
        wire::send_msg(s.sock.as_raw_fd(), &wire::message(WARM, 0), &[])?;
        s.asked = true;
    }
    let (flag, value, fds) = receive(s)?;
    s.asked = false;
    if flag != OK {
        return Ok(Err(io::Error::from_raw_os_error(value)));
    }
    let mut fds = fds.into_iter();
    let Some(sock) = fds.next() else {
        return Err(bad_answer());
    };
    Ok(Ok((
        UnixStream::from(sock),
        Forked {
            pid: value,
            pidfd: fds.next(),
            generation: s.generation,
        },
    )))
}

/// True when the process has certainly ended (its pidfd is readable).
fn has_ended(f: &Forked) -> bool {
    f.pidfd.as_ref().is_some_and(ended)
}

/// True when the process of this pidfd has ended.
fn ended(fd: &OwnedFd) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no waiting.
    unsafe { libc::poll(&mut p, 1, 0) == 1 }
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
    let mut st = lock(&STATE);
    let s = st
        .server
        .as_mut()
        .filter(|s| s.generation == f.generation)?;
    // An answer for a warm supervisor comes first: keep it for the next start.
    if s.asked {
        s.ready = next(s).ok()?.ok();
    }
    wire::send_msg(s.sock.as_raw_fd(), &wire::message(STATUS, f.pid), &[]).ok()?;
    match receive(s) {
        Ok((OK, status, _)) => Some(ExitStatus::from_raw(status)),
        _ => None,
    }
}

/// Sends SIGKILL to a forked supervisor (through its pidfd: never a reused pid).
pub fn kill(f: &Forked) {
    if let Some(fd) = &f.pidfd {
        crate::engine::pidfd::signal(fd, libc::SIGKILL);
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
        asked: false,
        ready: None,
    })
}

/// One answer: (flag, value, attached fds).
fn receive(s: &Server) -> io::Result<(u8, i32, Vec<OwnedFd>)> {
    let mut m = [0u8; MESSAGE];
    let (n, fds) = wire::recv_msg(s.sock.as_raw_fd(), &mut m)?;
    if n != MESSAGE || (m[0] != OK && m[0] != FAILED) {
        return Err(bad_answer());
    }
    Ok((m[0], wire::value(&m), fds))
}

fn bad_answer() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the fork server did not answer",
    )
}

/// Kills a server we gave up on and reaps it: our own child, by its pidfd where there is one, so
/// a pid the runtime reaped and reused is never touched.
fn end(s: Server) {
    let Server {
        mut child, pidfd, ..
    } = s;
    match pidfd {
        Some(fd) => {
            crate::engine::pidfd::signal(&fd, libc::SIGKILL);
            // SAFETY: waitid on a pidfd we own writes only to `info`.
            unsafe {
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
