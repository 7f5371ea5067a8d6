//! `rjob-supervisor --fork-server`: one per engine, so that a job's supervisor costs a `fork` of a
//! small single-threaded process, done ahead of time, instead of a spawn and an exec on the start's
//! path.
//!
//! On each request (over a `SOCK_SEQPACKET` socket on fd 0) it makes a socket pair and forks a
//! supervisor on one end: the ordinary per-job supervisor, which makes itself a subreaper, resets
//! its signals, closes every other fd (exactly as after an exec) and waits for its `Launch`. The
//! answer carries the child's pid and, as `SCM_RIGHTS`, the other end and a pidfd opened before
//! the child could be reaped, so the engine's pidfd names that process for good. The engine keeps
//! one such warm supervisor in hand, so a start only writes `Launch` to it. Forking here is safe:
//! this process has one thread and holds no lock. It reaps its children (SIGCHLD through a
//! signalfd), remembers how the last few ended abnormally (for the engine's "supervisor was
//! killed by signal 9"), and exits when the engine's end closes: pwsh is gone. Supervisors it
//! started live on by themselves; each stops its tree (or, still waiting, leaves) when its own
//! socket closes.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Requests (engine to server): a kind byte and a pid (`WARM`: 0).
pub const WARM: u8 = b'W';
pub const STATUS: u8 = b'S';
/// Answers: a flag byte and an i32 (warm: the pid, or an errno; status: a wait status).
pub const OK: u8 = 0;
pub const FAILED: u8 = 1;
pub const MESSAGE: usize = 5;
/// Abnormal ends remembered for the engine to ask about; older ones are forgotten.
const REMEMBERED: usize = 1024;

/// Sends one message of `bytes`, with `fds` attached (at most two).
pub fn send_msg(sock: RawFd, bytes: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // A cmsg buffer for two fds, aligned as cmsghdr wants.
    let mut cbuf = [0u64; 4];
    let fds = &fds[..fds.len().min(2)];
    // SAFETY: msghdr points at live buffers of the lengths given; CMSG_* compute within cbuf,
    // which has room for two fds.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            let size = std::mem::size_of_val(fds) as u32;
            msg.msg_control = cbuf.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(size) as usize;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(size) as usize;
            for (i, fd) in fds.iter().enumerate() {
                std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>().add(i), *fd);
            }
        }
        loop {
            let n = libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL);
            if n >= 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// Receives one message into `buf`: its length (0 at the end of the stream) and the fds
/// attached, close-on-exec.
pub fn recv_msg(sock: RawFd, buf: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut cbuf = [0u64; 8];
    // SAFETY: as in send_msg; every fd the kernel put in the control data is owned once below.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&cbuf);
        let n = loop {
            let n = libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC);
            if n >= 0 {
                break n as usize;
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        };
        let mut fds = Vec::new();
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c).cast::<RawFd>();
                let count = ((*c).cmsg_len - libc::CMSG_LEN(0) as usize) / 4;
                for i in 0..count {
                    fds.push(OwnedFd::from_raw_fd(std::ptr::read_unaligned(data.add(i))));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
        Ok((n, fds))
    }
}

pub fn message(kind: u8, value: i32) -> [u8; MESSAGE] {
    let mut m = [kind, 0, 0, 0, 0];
    m[1..].copy_from_slice(&value.to_le_bytes());
    m
}

pub fn value(m: &[u8]) -> i32 {
    i32::from_le_bytes([m[1], m[2], m[3], m[4]])
}

/// Runs the fork server on the socket at fd 0; returns its exit code.
pub fn run() -> i32 {
    super::child::reset_signals();
    super::child::close_inherited_fds();
    // SAFETY: fcntl on fd 0 of this fresh, single-threaded process; the new fd is owned once.
    let sock = unsafe {
        let fd = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        if fd < 0 {
            return 2;
        }
        OwnedFd::from_raw_fd(fd)
    };
    super::child::stdio_to_null();
    let Ok(chld) = super::reaper::child_signals() else {
        return 2;
    };
    let mut ended: VecDeque<(i32, i32)> = VecDeque::new();
    loop {
        let mut fds = [
            libc::pollfd {
                fd: sock.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: chld.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: a valid array of two pollfds.
        if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
            continue; // EINTR
        }
        if fds[1].revents != 0 {
            super::reaper::drain(chld.as_raw_fd());
            reap(&mut ended);
        }
        if fds[0].revents == 0 {
            continue;
        }
        let mut m = [0u8; MESSAGE];
        let n = match recv_msg(sock.as_raw_fd(), &mut m) {
            Ok((0, _)) | Err(_) => return 0, // the engine is gone
            Ok((n, _)) => n,                 // nothing comes with a request
        };
        let answer = match (n, m[0]) {
            (MESSAGE, WARM) => match fork_warm(&sock, &chld) {
                Ok((pid, theirs, pidfd)) => {
                    let mut fds = vec![theirs.as_raw_fd()];
                    fds.extend(pidfd.as_ref().map(|p| p.as_raw_fd()));
                    let _ = send_msg(sock.as_raw_fd(), &message(OK, pid), &fds);
                    continue;
                }
                Err(e) => message(FAILED, e.raw_os_error().unwrap_or(libc::EIO)),
            },
            (MESSAGE, STATUS) => {
                reap(&mut ended);
                let pid = value(&m);
                match ended.iter().position(|&(p, _)| p == pid) {
                    Some(i) => message(OK, ended.remove(i).map_or(0, |e| e.1)),
                    None => message(FAILED, 0),
                }
            }
            _ => message(FAILED, libc::EPROTO),
        };
        let _ = send_msg(sock.as_raw_fd(), &answer, &[]);
    }
}

/// Reaps every child that has ended (all of this process's children are supervisors it forked);
/// remembers those that did not exit with 0.
fn reap(ended: &mut VecDeque<(i32, i32)>) {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            return;
        }
        if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            if ended.len() == REMEMBERED {
                ended.pop_front();
            }
            ended.push_back((pid, status));
        }
    }
}

/// Forks a supervisor that waits for its `Launch` on a new socket: (its pid, the engine's end of
/// that socket, a pidfd for it where the kernel has them).
fn fork_warm(sock: &OwnedFd, chld: &OwnedFd) -> io::Result<(i32, OwnedFd, Option<OwnedFd>)> {
    let (ours, theirs) = stream_pair()?;
    // SAFETY: this process is single-threaded, so the child may do anything the parent could.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // The child: its socket becomes fd 0, as for an exec'd supervisor (run closes every fd
        // above 2, the server's too); SIGCHLD is unblocked again; a process group of its own, as
        // a spawned supervisor has, so that no signal to another's group reaches it.
        // SAFETY: fd, group and mask operations on this process's own state.
        unsafe {
            libc::setpgid(0, 0);
            libc::dup2(ours.as_raw_fd(), 0);
            libc::close(sock.as_raw_fd());
            libc::close(chld.as_raw_fd());
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        }
        let code = super::run_with_default_signals(false);
        // SAFETY: leaves at once, as the exec'd supervisor's exit would (nothing is buffered).
        unsafe { libc::_exit(code) };
    }
    drop(ours);
    // Opened before this (single) thread could reap the child: it names that process for good.
    // SAFETY: plain syscall; the fd it returns is ours to own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let pidfd = (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) });
    Ok((pid, theirs, pidfd))
}

fn stream_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (a, b) = std::os::unix::net::UnixStream::pair()?; // both close-on-exec
    Ok((a.into(), b.into()))
}

/// A close-on-exec `SOCK_SEQPACKET` pair: message boundaries kept, fds passed with a message.
pub fn seqpacket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: socketpair writes two new fds into `fds`, owned once each below.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
