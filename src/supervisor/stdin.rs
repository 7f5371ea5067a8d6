//! The job's stdin as the supervisor feeds it: the launch's `stdin` bytes, then whatever `Input`
//! frames bring (a launch with `stdinPipe`), written without ever blocking the poll loop. The fd
//! is non-blocking and watched for POLLOUT only while bytes wait, so an idle open pipe costs no
//! wake-ups. Dropping the feed closes the pipe: the job sees end of input.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};

/// Bytes held for a job that does not read its stdin. Past this the supervisor closes the job's
/// stdin and drops the rest, rather than grow without bound: input is for small payloads (a
/// script job's), not for streaming.
pub const MAX_PENDING: usize = 16 << 20;

pub struct Feed {
    w: File,
    data: Vec<u8>,
    pos: usize,
    /// Close once `data` is written: no more input will come.
    close: bool,
}

/// What a write turn left.
#[derive(Debug, PartialEq, Eq)]
pub enum After {
    /// Bytes wait, or the pipe stays open for more.
    Open,
    /// Everything was written and the input is finished, or the job closed its end: drop the feed.
    Closed,
}

impl Feed {
    /// `data`: the launch's bytes; `keep_open`: a stdin pipe that stays open for `Input` frames.
    pub fn new(w: File, data: Vec<u8>, keep_open: bool) -> Feed {
        super::set_nonblocking(w.as_raw_fd());
        Feed {
            w,
            data,
            pos: 0,
            close: !keep_open,
        }
    }

    /// The fd to watch for POLLOUT, while bytes wait or the pipe is due to close.
    pub fn poll_fd(&self) -> Option<RawFd> {
        (self.pos < self.data.len() || self.close).then(|| self.w.as_raw_fd())
    }

    /// Queues bytes from an `Input` frame, and writes what the pipe takes now.
    pub fn push(&mut self, bytes: &[u8], close: bool) -> After {
        if self.close {
            return After::Open; // finished already: a well-behaved engine sends nothing more
        }
        if self.data.len() - self.pos + bytes.len() > MAX_PENDING {
            return After::Closed;
        }
        if self.pos == self.data.len() {
            self.data.clear();
            self.pos = 0;
        } else if self.pos > MAX_PENDING / 2 {
            self.data.drain(..self.pos);
            self.pos = 0;
        }
        self.data.extend_from_slice(bytes);
        self.close = close;
        self.write()
    }

    /// Writes what the pipe takes without blocking.
    pub fn write(&mut self) -> After {
        while self.pos < self.data.len() {
            match self.w.write(&self.data[self.pos..]) {
                Ok(n) => self.pos += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return After::Open,
                Err(_) => return After::Closed, // the job closed its stdin
            }
        }
        if self.close {
            After::Closed
        } else {
            After::Open
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::process::{Command, Stdio};

    fn stdin_of(c: &mut std::process::Child) -> File {
        std::os::fd::OwnedFd::from(c.stdin.take().unwrap()).into()
    }

    fn cat() -> std::process::Child {
        Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    }

    #[test]
    fn bytes_pushed_later_reach_the_job_and_close_ends_its_input() {
        let mut c = cat();
        let mut f = Feed::new(stdin_of(&mut c), b"one ".to_vec(), true);
        assert_eq!(f.write(), After::Open, "stays open for more");
        assert_eq!(f.push(b"two", false), After::Open);
        assert_eq!(f.push(b"", true), After::Closed);
        drop(f);
        let mut out = String::new();
        c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, "one two");
        c.wait().unwrap();
    }

    #[test]
    fn a_full_pipe_never_blocks_and_too_much_input_closes_it() {
        let mut c = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut f = Feed::new(stdin_of(&mut c), Vec::new(), true);
        let chunk = vec![b'x'; 1 << 20];
        let mut closed = false;
        for _ in 0..=MAX_PENDING / chunk.len() + 1 {
            if f.push(&chunk, false) == After::Closed {
                closed = true;
                break;
            }
            assert!(f.poll_fd().is_some(), "bytes wait for POLLOUT");
        }
        assert!(closed, "bounded");
        c.kill().unwrap();
        c.wait().unwrap();
    }
}
