//! Signals through a pidfd: never a reused pid.

use std::os::fd::{AsRawFd, OwnedFd};

/// Sends `sig` to the process behind `fd`; false if it could not be sent (already reaped).
pub fn signal(fd: &OwnedFd, sig: i32) -> bool {
    // SAFETY: plain syscall on a pidfd we own; a NULL siginfo is allowed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig,
            std::ptr::null::<u8>(),
            0,
        )
    };
    r == 0
}
