//! Signalling single processes and whole job trees without hitting a recycled pid.

use crate::supervisor::proctree;
use std::collections::HashSet;
use std::io;

/// Sends `sig` to `pid` through a pidfd, after checking that the process the pidfd names is still
/// a child of one of `parents`. A pid that died and was reused between the scan and the signal
/// then names another process with another parent, and is left alone.
pub fn signal_checked(pid: i32, sig: i32, parents: &HashSet<i32>) -> io::Result<()> {
    match pidfd_open(pid) {
        Ok(fd) => {
            let parent_ok = proctree::stat(pid)
                .map(|(pp, _)| parents.contains(&pp))
                .unwrap_or(false);
            let r = if parent_ok {
                pidfd_send_signal(fd, sig)
            } else {
                Ok(())
            };
            // SAFETY: fd came from pidfd_open and is closed once.
            unsafe { libc::close(fd) };
            r
        }
        // Kernels before 5.3: fall back to kill(2) after the same parent check.
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
            if proctree::stat(pid)
                .map(|(pp, _)| parents.contains(&pp))
                .unwrap_or(false)
            {
                check(unsafe { libc::kill(pid, sig) })
            } else {
                Ok(())
            }
        }
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Signals a process group; a group that no longer exists is not an error.
pub fn signal_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: kill has no memory preconditions; pgid > 1 keeps this off "every process".
        unsafe { libc::kill(-pgid, sig) };
    }
}

/// Signals every live descendant of `root` once. Returns how many were signalled.
pub fn signal_descendants(root: i32, sig: i32) -> usize {
    let procs = proctree::descendants(root);
    let mut parents: HashSet<i32> = procs.iter().copied().collect();
    parents.insert(root);
    procs
        .iter()
        .filter(|&&p| signal_checked(p, sig, &parents).is_ok())
        .count()
}

/// SIGKILLs every descendant of `root`, scanning again until none is left, so processes forked
/// while the first round was sent are caught too.
pub fn kill_descendants(root: i32) {
    for _ in 0..1000 {
        if signal_descendants(root, libc::SIGKILL) == 0 {
            break;
        }
        std::thread::yield_now();
    }
}

fn pidfd_open(pid: i32) -> io::Result<i32> {
    // SAFETY: plain syscall with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(fd as i32)
    }
}

fn pidfd_send_signal(fd: i32, sig: i32) -> io::Result<()> {
    // SAFETY: plain syscall; a NULL siginfo is allowed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd,
            sig,
            std::ptr::null::<u8>(),
            0,
        )
    };
    match r {
        0 => Ok(()),
        _ => {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ESRCH) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

fn check(r: i32) -> io::Result<()> {
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            return Ok(());
        }
        return Err(e);
    }
    Ok(())
}
