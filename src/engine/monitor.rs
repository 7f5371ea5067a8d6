//! Follows one job from start to end on its own thread: reads stdout and stderr into the job's
//! output store as lines, takes the supervisor's events, and settles the end state once the
//! supervisor says the tree is gone and the pipes are drained.

use crate::engine::job::Job;
use crate::engine::lines::{LineSplitter, Piece};
use crate::engine::output::{Record, STDERR, STDOUT};
use crate::engine::spawn::Launched;
use crate::protocol::Event;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest line kept as one record; longer ones are cut and marked as continued.
pub const MAX_LINE: usize = 4 << 20;
/// After the supervisor is gone, how long pipes may still deliver. Only a process that escaped
/// the supervisor (which was itself killed) can hold them longer.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
const STACK: usize = 256 * 1024;

pub fn spawn(job: Arc<Job>, l: Launched) -> io::Result<()> {
    std::thread::Builder::new()
        .name(format!("rjob-monitor-{}", job.id))
        .stack_size(STACK)
        .spawn(move || run(job, l))
        .map(|_| ())
}

struct Source<R> {
    r: Option<R>,
    split: LineSplitter,
}

fn run(job: Arc<Job>, l: Launched) {
    let Launched {
        mut supervisor,
        events,
        stdout,
        stderr,
        ..
    } = l;
    let (sock, mut ev_split, pending) = events.into_parts();
    let mut failure: Option<String> = None;
    let mut exited = false;
    for line in pending {
        handle_event(&job, &line, &mut exited);
    }
    let mut sock = Some(sock);
    let mut out = Source {
        r: Some(stdout),
        split: LineSplitter::new(MAX_LINE),
    };
    let mut err = Source {
        r: Some(stderr),
        split: LineSplitter::new(MAX_LINE),
    };
    for fd in [
        out.r.as_ref().map(|r| r.as_raw_fd()),
        err.r.as_ref().map(|r| r.as_raw_fd()),
        sock.as_ref().map(|s| s.as_raw_fd()),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd);
    }
    let mut drain_until: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if sock.is_none() && out.r.is_none() && err.r.is_none() {
            break;
        }
        if sock.is_none() && drain_until.is_none() {
            drain_until = Some(Instant::now() + DRAIN_GRACE);
        }
        let timeout = match drain_until {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                left.as_millis().max(1) as i32
            }
            None => -1,
        };
        let mut fds = Vec::with_capacity(3);
        let fd_of = |o: Option<i32>| libc::pollfd {
            fd: o.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        };
        fds.push(fd_of(sock.as_ref().map(|s| s.as_raw_fd())));
        fds.push(fd_of(out.r.as_ref().map(|r| r.as_raw_fd())));
        fds.push(fd_of(err.r.as_ref().map(|r| r.as_raw_fd())));
        // SAFETY: fds is a valid array of pollfd; negative fds are ignored by poll.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 3, timeout) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            failure = Some(format!("poll failed: {}", io::Error::last_os_error()));
            break;
        }
        if fds[1].revents != 0 {
            pump(&job, &mut out, STDOUT, &mut buf);
        }
        if fds[2].revents != 0 {
            pump(&job, &mut err, STDERR, &mut buf);
        }
        if fds[0].revents != 0 {
            let s = sock.as_mut().unwrap();
            match read_some(s, &mut buf) {
                ReadResult::Data(n) => {
                    let mut lines = Vec::new();
                    ev_split.feed(&buf[..n], &mut |p: Piece| lines.push(p.data));
                    for line in lines {
                        if handle_event(&job, &line, &mut exited) {
                            sock = None; // Done: the supervisor leaves next
                        }
                    }
                }
                ReadResult::Again => {}
                ReadResult::End => sock = None,
            }
        }
    }
    // A last line without a newline is still a line.
    for (split, stream) in [(&mut out.split, STDOUT), (&mut err.split, STDERR)] {
        let mut recs = Vec::new();
        split.finish(&mut |p| recs.push(p));
        push(&job, stream, recs);
    }
    if !exited && failure.is_none() {
        failure = Some("the job's supervisor ended without reporting an exit status".into());
    }
    // The end state comes from the supervisor's report, not from reaping: where the runtime reaps
    // every child (pwsh as PID 1, or started with SIGCHLD ignored) waitpid answers ECHILD.
    job.finish(failure);
    crate::engine::table::notify_finished();
    // Our own child, by pid: never waitpid(-1), which would take .NET's children from it.
    let _ = supervisor.wait();
}

/// Applies one supervisor event; returns true for Done.
fn handle_event(job: &Job, line: &[u8], exited: &mut bool) -> bool {
    match serde_json::from_slice::<Event>(line) {
        Ok(Event::Exited { code, signal }) => {
            *exited = true;
            job.set_exit(code, signal);
            false
        }
        Ok(Event::Done) => true,
        _ => false,
    }
}

fn pump<R: Read>(job: &Job, src: &mut Source<R>, stream: u8, buf: &mut [u8]) {
    let Some(r) = src.r.as_mut() else { return };
    // Read until the pipe is empty so one busy stream cannot starve the others for long.
    for _ in 0..16 {
        match read_some(r, buf) {
            ReadResult::Data(n) => {
                let mut recs = Vec::new();
                src.split.feed(&buf[..n], &mut |p| recs.push(p));
                push(job, stream, recs);
            }
            ReadResult::Again => return,
            ReadResult::End => {
                src.r = None;
                return;
            }
        }
    }
}

fn push(job: &Job, stream: u8, pieces: Vec<Piece>) {
    if pieces.is_empty() {
        return;
    }
    let mut store = job.output();
    for p in pieces {
        store.push(Record {
            stream,
            cont: p.cont,
            data: p.data,
        });
    }
    drop(store);
    job.output_cv.notify_all();
}

enum ReadResult {
    Data(usize),
    Again,
    End,
}

fn read_some<R: Read>(r: &mut R, buf: &mut [u8]) -> ReadResult {
    loop {
        match r.read(buf) {
            Ok(0) => return ReadResult::End,
            Ok(n) => return ReadResult::Data(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadResult::Again,
            Err(_) => return ReadResult::End,
        }
    }
}

fn set_nonblocking(fd: i32) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl >= 0 {
            libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
    }
}
