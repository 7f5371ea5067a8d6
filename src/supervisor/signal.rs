//! Signalling single processes and process groups without hitting a recycled pid.

use crate::supervisor::proctree;
use std::io;

/// Sends `sig` to `pid` if `still_ours(pid)` holds once a pidfd pins the process. A pid that died
/// and was reused between a scan and the signal then names another process, which fails the
/// check and is left alone; and if the pinned process dies after the check, the signal goes
/// nowhere. Returns whether the signal was sent.
pub fn signal_verified(pid: i32, sig: i32, still_ours: &dyn Fn(i32) -> bool) -> io::Result<bool> {
    match pidfd_open(pid) {
        Ok(fd) => {
            let r = if still_ours(pid) {
                pidfd_send_signal(fd, sig)
            } else {
                Ok(false)
            };
            // SAFETY: fd came from pidfd_open and is closed once.
            unsafe { libc::close(fd) };
            r
        }
        // Kernels before 5.3: the same check, then kill(2); a narrow race remains there.
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
            if still_ours(pid) {
                // SAFETY: kill has no memory preconditions.
                check(unsafe { libc::kill(pid, sig) })
            } else {
                Ok(false)
            }
        }
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Sends `sigs`, in order, to the process group of `pid`, once a pidfd pins `pid` and
/// `still_ours(pid)` holds: the kernel signals a whole group at once, forks in flight included,
/// where one-by-one signals chase it. Refused when that group is the caller's own.
///
/// A group leader's pidfd names its group for good (Linux 6.9 signals the group through it, even
/// after the leader died). For another member, or an older kernel, the signal goes to kill(-pgid)
/// with the group the pinned member was just seen in: that group exists while the member lives,
/// so only a member changing group and its old group emptying and being reused, all in between,
/// could misdirect it; a frozen member cannot change group at all.
pub fn signal_group_of(
    pid: i32,
    sigs: &[i32],
    still_ours: &dyn Fn(i32) -> bool,
) -> io::Result<bool> {
    const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 1 << 2;
    let fd = match pidfd_open(pid) {
        Ok(fd) => fd,
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Ok(false),
        Err(e) => return Err(e),
    };
    // SAFETY: getpgrp has no preconditions.
    let own = unsafe { libc::getpgrp() };
    let r = match proctree::read_stat(pid) {
        Some(st) if st.pgid > 1 && st.pgid != own && still_ours(pid) => {
            let mut r = Ok(false);
            for &sig in sigs {
                let sent = if st.pgid == pid {
                    pidfd_send(fd, sig, PIDFD_SIGNAL_PROCESS_GROUP)
                } else {
                    Err(io::Error::from_raw_os_error(libc::EINVAL))
                };
                r = match sent {
                    // SAFETY: kill has no memory preconditions; pgid > 1.
                    Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                        check(unsafe { libc::kill(-st.pgid, sig) })
                    }
                    other => other,
                };
                if r.is_err() {
                    break;
                }
            }
            r
        }
        _ => Ok(false),
    };
    // SAFETY: fd came from pidfd_open and is closed once.
    unsafe { libc::close(fd) };
    r
}

/// Signals a process group; a group that no longer exists is not an error.
pub fn signal_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: kill has no memory preconditions; pgid > 1 keeps this off "every process".
        unsafe { libc::kill(-pgid, sig) };
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

fn pidfd_send_signal(fd: i32, sig: i32) -> io::Result<bool> {
    pidfd_send(fd, sig, 0)
}

fn pidfd_send(fd: i32, sig: i32, flags: u32) -> io::Result<bool> {
    // SAFETY: plain syscall; a NULL siginfo is allowed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd,
            sig,
            std::ptr::null::<u8>(),
            flags,
        )
    };
    check(r as i32)
}

fn check(r: i32) -> io::Result<bool> {
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            return Ok(false);
        }
        return Err(e);
    }
    Ok(true)
}
