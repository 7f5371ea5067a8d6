//! Reaping in the supervisor's own poll loop: SIGCHLD arrives through a signalfd and every ended
//! child is taken with `waitpid(-1, WNOHANG)` (all of a supervisor's children are its job's, or
//! orphans of the job it adopted as a subreaper, so `-1` is right here, unlike inside pwsh).
//!
//! No thread: a reaper thread cost every start a clone, two stack mappings and a malloc arena
//! (issue 7). The kill loops call [`Reaper::reap`] between rounds, so a fork bomb's zombies do not
//! pile up against the user's process limit while its tree is frozen and killed.

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct Reaper {
    signals: OwnedFd,
    main_pid: Cell<i32>,
    /// The main process's wait status, once reaped and until taken.
    main_status: Cell<Option<i32>>,
    main_reaped: Cell<bool>,
    all_gone: Cell<bool>,
}

impl Reaper {
    /// Blocks SIGCHLD and opens the signalfd; call before the job starts, so that no SIGCHLD is
    /// missed. (The job itself starts with an empty mask.)
    pub fn new() -> io::Result<Reaper> {
        Ok(Reaper {
            signals: child_signals()?,
            main_pid: Cell::new(0),
            main_status: Cell::new(None),
            main_reaped: Cell::new(false),
            all_gone: Cell::new(false),
        })
    }

    /// The job's main process, once it runs. What was known of a job before it on the same
    /// supervisor (all of whose children were reaped) is forgotten.
    pub fn set_main(&self, pid: i32) {
        self.main_pid.set(pid);
        self.main_status.set(None);
        self.main_reaped.set(false);
        self.all_gone.set(false);
    }

    /// The fd to poll for POLLIN.
    pub fn fd(&self) -> RawFd {
        self.signals.as_raw_fd()
    }

    /// Reaps every child that has ended.
    pub fn reap(&self) {
        drain(self.fd());
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes only to `status`.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid > 0 {
                if pid == self.main_pid.get() {
                    self.main_status.set(Some(status));
                    self.main_reaped.set(true);
                }
                continue;
            }
            if pid < 0 {
                match io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::ECHILD) => self.all_gone.set(true),
                    _ => {}
                }
            }
            return;
        }
    }

    /// The main process's wait status, once, after it was reaped.
    pub fn take_main(&self) -> Option<i32> {
        self.main_status.take()
    }

    /// True once the main process was reaped: its pid (and so its group id) may be reused.
    pub fn main_reaped(&self) -> bool {
        self.main_reaped.get()
    }

    /// True once no child is left.
    pub fn all_gone(&self) -> bool {
        self.all_gone.get()
    }
}

/// Blocks SIGCHLD and returns a signalfd that reads it.
pub fn child_signals() -> io::Result<OwnedFd> {
    // SAFETY: sigset operations on a local set; signalfd returns a new fd owned at once.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// Empties a non-blocking signalfd.
pub fn drain(fd: RawFd) {
    let mut buf = [0u8; 128 * 8];
    // SAFETY: reads into our own buffer from our non-blocking signalfd.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}
