//! The engine's side of a supervisor's socket: frames written whole by any thread (stop commands
//! from callers, credit from the reactor), and the wake-up a reader gives the reactor when it
//! made room for output that was paused.

use crate::protocol::Frame;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A write that cannot go out in this time (a supervisor stopped with a full socket) gives up,
/// rather than hang a caller's stop.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Control {
    sock: UnixStream,
    /// One frame at a time: two threads writing at once must not interleave their bytes.
    write: Mutex<()>,
    /// Nothing more may be sent: a write failed part-way (the stream is out of step), or the job
    /// is over and its supervisor was handed on.
    broken: AtomicBool,
}

impl Control {
    pub fn new(sock: UnixStream) -> io::Result<Control> {
        sock.set_write_timeout(Some(WRITE_TIMEOUT))?;
        Ok(Control {
            sock,
            write: Mutex::new(()),
            broken: AtomicBool::new(false),
        })
    }

    /// Sends one frame whole, or fails (the supervisor is gone, or stuck).
    pub fn send(&self, f: &Frame) -> io::Result<()> {
        let bytes = f.to_bytes()?;
        let _one = crate::engine::job::lock(&self.write);
        if self.broken.load(Ordering::Acquire) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the supervisor's socket is out of step",
            ));
        }
        let r = (&self.sock).write_all(&bytes);
        if r.is_err() {
            self.broken.store(true, Ordering::Release);
        }
        r
    }

    /// The job is over: no frame for it is sent from now on, whoever still holds this. Returns
    /// the socket (a new fd on it) for its supervisor's next job; None when it is out of step.
    pub fn hand_over(&self) -> Option<UnixStream> {
        let _one = crate::engine::job::lock(&self.write);
        if self.broken.swap(true, Ordering::AcqRel) {
            return None;
        }
        self.sock.try_clone().ok()
    }

    /// Ends the stream both ways, whoever else holds it: the supervisor reads its end and leaves.
    pub fn close(&self) {
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }

    /// The socket, for the reactor's reads (reads and writes go their own ways on a socket).
    pub fn socket(&self) -> &UnixStream {
        &self.sock
    }
}

/// An eventfd the reactor waits on beside the sockets.
pub struct Waker(OwnedFd);

impl Waker {
    pub fn new() -> io::Result<Waker> {
        // SAFETY: eventfd with flags only; the fd is owned right away.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh fd nobody else owns.
        Ok(Waker(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Never blocks (the counter saturating only means a wake-up is already due).
    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    /// Clears pending wake-ups.
    pub fn reset(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
        unsafe { libc::read(self.0.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    }

    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::FrameReader;

    #[test]
    fn once_handed_over_nothing_more_is_sent_for_the_job() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let c = Control::new(ours).unwrap();
        c.send(&Frame::Credit { bytes: 1 }).unwrap();
        let next = c.hand_over().expect("a socket for the next job");
        // A stop of the old job that comes late must not reach the next one.
        assert!(c.send(&Frame::Kill).is_err());
        assert!(c.hand_over().is_none(), "handed over once");
        Control::new(next)
            .unwrap()
            .send(&Frame::Term { grace_ms: 7 })
            .unwrap();
        drop(c);
        let mut r = FrameReader::new(&theirs);
        assert_eq!(r.next_frame().unwrap(), Some(Frame::Credit { bytes: 1 }));
        assert_eq!(r.next_frame().unwrap(), Some(Frame::Term { grace_ms: 7 }));
    }
}
