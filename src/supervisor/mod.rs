//! The job supervisor process (`rjob-supervisor`): one per running job.
//!
//! It is a child subreaper, so every descendant of the job stays below it even after `setsid` or
//! a double fork. It reaps its own children only (it is its own process, so `waitpid(-1)` is safe
//! here, unlike inside pwsh), reports the job's exit status to the engine, stops the tree on
//! command with SIGTERM then SIGKILL after the grace period, and stops it too when the engine's end
//! of the socket closes (pwsh exited or was killed). Once a job is over and every child reaped
//! (a subreaper without children has no descendants), it waits on the same socket for the
//! engine's next job, or leaves when the socket ends.
//!
//! With `--stdio` (remote jobs, started by sshd) it speaks the same protocol over its stdin and
//! stdout instead of a socket on fd 0: end of stdin is a lost connection and stops the tree. Both
//! fds are moved away at once and fds 0-2 point at /dev/null, so nothing but frames reaches stdout
//! (the job's own output goes through pipes the supervisor owns).
//!
//! It owns the job's stdout, stderr and (on request) fd-3 records pipes and forwards them as
//! `Data` frames within the credit the engine grants. One poll loop serves the socket, the pipes,
//! the job's stdin and SIGCHLD (a signalfd, see [`reaper`]); commands are read whenever they come
//! and events go out at once: only the pipes wait for credit. The loops that freeze and kill a
//! tree reap between their rounds, so a fork bomb's zombies do not pile up meanwhile.

pub mod child;
pub mod fork_server;
pub mod proctree;
pub mod reaper;
pub mod signal;
pub mod stdin;
pub mod tree;

use crate::protocol::{
    Decoder, Exit, Frame, Launch, END_ALLOWANCE, INITIAL_WINDOW, MAX_DATA, RECORDS, STDERR, STDOUT,
    VERSION,
};
use crate::supervisor::child::{
    close_inherited_fds, reset_signals, spawn_job, stdio_to_null, JobIo,
};
use crate::supervisor::reaper::Reaper;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// Output bytes queued for the socket before the pipes wait: the engine reads continuously, so
/// this only smooths bursts.
const OUT_HIGH: usize = 256 << 10;
/// The last frames (`Done`) may wait this long for a slow engine before the supervisor leaves.
const FINAL_WRITE: Duration = Duration::from_secs(10);

/// The engine's byte stream: a socket on fd 0 (both ways), or stdin and stdout (`--stdio`).
struct Link {
    rd: File,
    wr: File,
}

/// Runs the supervisor; the return value is its exit code. `stdio`: talk over stdin/stdout.
pub fn run(stdio: bool) -> i32 {
    reset_signals();
    run_with_default_signals(stdio)
}

/// [`run`] in a process whose signals are already as `reset_signals` leaves them: one the fork
/// server forked (the server reset them once, at its own start, and the child's mask is emptied
/// by the fork), which saves 64 system calls on each start.
pub fn run_with_default_signals(stdio: bool) -> i32 {
    close_inherited_fds();
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let Some(mut ctl) = take_link(stdio) else {
        return 2;
    };
    let mut dec = Decoder::new();
    // Made while the supervisor waits for its job (a warm one waits ahead of the start), so that
    // they are not on the start's path.
    let (mut reaper, mut pipes) = (Reaper::new(), Pipes::new());
    // One job after another: once a job is over (`Done` sent, no child left, so no descendant
    // either) the engine may send the next job's Launch on the same socket, which saves a start
    // the fork and the exit of a supervisor (issue 7), or close the socket.
    let mut first = true;
    loop {
        let Some((version, spec)) = next_launch(&ctl.rd, &mut dec) else {
            return if first { 2 } else { 0 };
        };
        let launch = match parse_launch(version, &spec) {
            Ok(l) => l,
            Err(message) => return spawn_error(&ctl, libc::EPROTO, message, 2),
        };
        let started = match (reaper, pipes) {
            (Ok(r), Ok(p)) => start(&launch, ctl, dec, r, p),
            (Err(e), _) | (_, Err(e)) => Err((ctl, e)),
        };
        let mut s = match started {
            Ok(s) => s,
            Err((ctl, e)) => {
                return spawn_error(&ctl, e.raw_os_error().unwrap_or(0), e.to_string(), 1)
            }
        };
        let Some(next) = s.run() else {
            return 0;
        };
        (ctl, dec, reaper, pipes, first) = (s.ctl, s.dec, Ok(s.reaper), next, false);
    }
}

/// The start spec of a Launch in a version this build speaks, or why not.
fn parse_launch(version: u16, spec: &[u8]) -> Result<Launch, String> {
    if version != VERSION {
        return Err(format!(
            "the job supervisor speaks protocol version {VERSION}, not {version}"
        ));
    }
    serde_json::from_slice(spec).map_err(|e| format!("bad launch spec: {e}"))
}

/// Tells the engine why the job did not start; returns `code`, the supervisor's exit code.
fn spawn_error(ctl: &Link, errno: i32, message: String, code: i32) -> i32 {
    let _ = crate::protocol::write_frame(&mut &ctl.wr, &Frame::SpawnError { errno, message });
    code
}

/// Waits for the next `Launch`: (version, spec), or None at the end of the stream or on garbage.
/// Commands the engine sent for the job before it read that job's `Done` (credit, input, a stop)
/// may come first; that job is over, so they are dropped.
fn next_launch(rd: &File, dec: &mut Decoder) -> Option<(u16, Vec<u8>)> {
    loop {
        match dec.next_frame() {
            Ok(Some(Frame::Launch { version, spec })) => return Some((version, spec)),
            Ok(Some(
                Frame::Term { .. } | Frame::Kill | Frame::Credit { .. } | Frame::Input { .. },
            )) => continue,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) => {}
        }
        match dec.read_from(&mut &*rd) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let mut p = libc::pollfd {
                    fd: rd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut p, 1, -1) };
            }
            Err(_) => return None,
        }
    }
}

/// Moves the engine's stream off fd 0 (and fd 1 with `stdio`) to close-on-exec, non-blocking fds
/// (the poll loop and `next_launch` wait on them) and points fds 0-2 at /dev/null.
fn take_link(stdio: bool) -> Option<Link> {
    // SAFETY: fcntl on fds of this fresh, single-threaded process; each new fd is owned once, by
    // its File.
    unsafe {
        let rd = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        let wr = libc::fcntl(if stdio { 1 } else { 0 }, libc::F_DUPFD_CLOEXEC, 3);
        if rd < 0 || wr < 0 {
            return None;
        }
        stdio_to_null();
        set_nonblocking(rd);
        // The socket's two fds share one open file, and with it the flag.
        if stdio {
            set_nonblocking(wr);
        }
        Some(Link {
            rd: File::from_raw_fd(rd),
            wr: File::from_raw_fd(wr),
        })
    }
}

/// Writes `buf` whole on a non-blocking fd, or gives up at `deadline`. True when all went out.
fn write_all_by(f: &File, mut buf: &[u8], deadline: Instant) -> bool {
    while !buf.is_empty() {
        match (&mut &*f).write(buf) {
            Ok(0) => return false,
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .as_millis() as i32;
                if left == 0 {
                    return false;
                }
                let mut p = libc::pollfd {
                    fd: f.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut p, 1, left) };
            }
            Err(_) => return false,
        }
    }
    true
}

/// A close-on-exec pipe: (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two new fds into `fds`, owned once each below.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on an fd we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl >= 0 {
            libc::fcntl(fd, libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
    }
}

struct Pipe {
    fd: OwnedFd,
    stream: u8,
}

struct Supervisor {
    ctl: Link,
    dec: Decoder,
    out: Vec<u8>,
    out_pos: usize,
    /// Reaps the job's processes; polled until no child is left.
    reaper: Reaper,
    pipes: Vec<Pipe>,
    stdin: Option<stdin::Feed>,
    me: i32,
    main_pid: i32,
    grace_ms: u64,
    /// Output bytes the engine allows us to send.
    credit: u64,
    /// Once the tree is gone: what is left in the pipes that may still go without credit.
    leftover: u64,
    engine_gone: bool,
    kill_at: Option<Instant>,
    buf: Vec<u8>,
}

/// The pipes for a job's stdout and stderr (read ends non-blocking), made before the job comes.
/// The records pipe is made at the start of a job that asks for one (a script job), so that a
/// native job's start does not make and close one for nothing.
struct Pipes {
    out: (OwnedFd, OwnedFd),
    err: (OwnedFd, OwnedFd),
}

impl Pipes {
    fn new() -> io::Result<Pipes> {
        Ok(Pipes {
            out: read_nonblocking(pipe()?),
            err: read_nonblocking(pipe()?),
        })
    }
}

fn read_nonblocking(p: (OwnedFd, OwnedFd)) -> (OwnedFd, OwnedFd) {
    set_nonblocking(p.0.as_raw_fd());
    p
}

fn start(
    l: &Launch,
    ctl: Link,
    dec: Decoder,
    reaper: Reaper,
    p: Pipes,
) -> Result<Supervisor, (Link, io::Error)> {
    let Pipes {
        out: (out_r, out_w),
        err: (err_r, err_w),
    } = p;
    let (rec_r, rec_w) = match l.records.then(pipe).transpose() {
        Ok(Some(p)) => {
            let (r, w) = read_nonblocking(p);
            (Some(r), Some(w))
        }
        Ok(None) => (None, None),
        Err(e) => return Err((ctl, e)),
    };
    let jio = JobIo {
        stdout: out_w,
        stderr: err_w,
        records: rec_w,
    };
    // spawn_job drops our copies of the write ends, so EOF on a pipe means its writers are gone.
    let child = match spawn_job(l, l.cookie.as_deref(), jio) {
        Ok(c) => c,
        Err(e) => return Err((ctl, e)),
    };
    let main_pid = child.pid;
    reaper.set_main(main_pid);
    let mut pipes = vec![
        Pipe {
            fd: out_r,
            stream: STDOUT,
        },
        Pipe {
            fd: err_r,
            stream: STDERR,
        },
    ];
    if let Some(fd) = rec_r {
        pipes.push(Pipe {
            fd,
            stream: RECORDS,
        });
    }
    let stdin = child.stdin.map(|w| {
        let data = l.stdin.clone().unwrap_or_default().into_bytes();
        stdin::Feed::new(w, data, l.stdin_pipe)
    });
    let mut s = Supervisor {
        ctl,
        dec,
        out: Vec::new(),
        out_pos: 0,
        reaper,
        pipes,
        stdin,
        me: std::process::id() as i32,
        main_pid,
        grace_ms: l.grace_ms.unwrap_or(crate::spec::DEFAULT_GRACE_MS),
        credit: INITIAL_WINDOW,
        leftover: END_ALLOWANCE,
        engine_gone: false,
        kill_at: None,
        buf: Vec::new(),
    };
    s.queue(&Frame::Started { pid: main_pid });
    s.flush_out();
    Ok(s)
}

impl Supervisor {
    /// Follows the job to its end. When the engine got `Done` and may send the next job: the
    /// pipes for that job, made before `Done` went out, so that a Launch right after finds them.
    fn run(&mut self) -> Option<io::Result<Pipes>> {
        self.flush_out(); // Started
                          // Commands that came with the launch.
        self.commands();
        loop {
            if self.reaper.all_gone() {
                self.drain_leftovers();
                if self.pipes.is_empty() || self.engine_gone {
                    break;
                }
            }
            self.wait_and_handle();
        }
        if self.engine_gone {
            return None;
        }
        let next = Pipes::new();
        self.queue(&Frame::Done);
        write_all_by(
            &self.ctl.wr,
            &self.out[self.out_pos..],
            Instant::now() + FINAL_WRITE,
        )
        .then_some(next)
    }

    /// Output may be read now: within credit, or (tree gone) within the leftover allowance; or
    /// freely when nobody is listening any more.
    fn allowance(&self) -> u64 {
        if self.engine_gone {
            return MAX_DATA as u64;
        }
        if self.out.len() - self.out_pos >= OUT_HIGH {
            return 0;
        }
        self.credit
            + if self.reaper.all_gone() {
                self.leftover
            } else {
                0
            }
    }

    fn wait_and_handle(&mut self) {
        let reading = self.allowance() > 0;
        let mut fds = Vec::with_capacity(6);
        let pfd = |fd: RawFd, events: i16| libc::pollfd {
            fd: if events == 0 { -1 } else { fd },
            events,
            revents: 0,
        };
        // Reading and writing watched apart: with --stdio they are two fds (pipes from sshd).
        let (in_ev, out_ev) = if self.engine_gone {
            (0, 0)
        } else if self.out_pos < self.out.len() {
            (libc::POLLIN, libc::POLLOUT)
        } else {
            (libc::POLLIN, 0)
        };
        fds.push(pfd(self.ctl.rd.as_raw_fd(), in_ev));
        let reaping = if self.reaper.all_gone() {
            0
        } else {
            libc::POLLIN
        };
        fds.push(pfd(self.reaper.fd(), reaping));
        let stdin_fd = self.stdin.as_ref().and_then(|s| s.poll_fd()).unwrap_or(-1);
        fds.push(pfd(stdin_fd, if stdin_fd >= 0 { libc::POLLOUT } else { 0 }));
        fds.push(pfd(self.ctl.wr.as_raw_fd(), out_ev));
        for p in &self.pipes {
            fds.push(pfd(
                p.fd.as_raw_fd(),
                if reading { libc::POLLIN } else { 0 },
            ));
        }
        let timeout = match self.kill_at {
            Some(t) => t
                .saturating_duration_since(Instant::now())
                .as_millis()
                .min(i32::MAX as u128) as i32,
            None => -1,
        };
        // SAFETY: fds is a valid array of pollfd; negative fds are ignored.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            return; // EINTR (nothing else is expected): go round again
        }
        if fds[1].revents != 0 {
            self.reap();
        }
        if fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
            self.read_socket();
        }
        if fds[2].revents != 0 {
            self.write_stdin();
        }
        // Round-robin by nature: one read per ready pipe per turn.
        let ready: Vec<usize> = (0..self.pipes.len())
            .filter(|&i| fds[4 + i].revents != 0)
            .collect();
        for i in ready.into_iter().rev() {
            self.pump(i, false);
        }
        if fds[3].revents & libc::POLLOUT != 0 {
            self.flush_out();
        }
        if fds[3].revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            self.engine_lost(); // nobody reads our output any more
        }
        if matches!(self.kill_at, Some(t) if Instant::now() >= t) {
            self.kill();
        }
        // Most turns leave the socket writable: send what was queued without another poll.
        self.flush_out();
    }

    /// Reads what pipe `i` holds, as far as the allowance goes, and queues it as one `Data`
    /// frame. At the end (`last`) an empty pipe counts as finished, since no process of the job
    /// is left to write to it. True when data came and the pipe may hold more.
    fn pump(&mut self, i: usize, last: bool) -> bool {
        let allow = self.allowance().min(MAX_DATA as u64) as usize;
        if allow == 0 {
            return false;
        }
        // Read into capacity, never zeroed: a job that writes nothing (its pipes are still read
        // to their end) touches none of these 64 KiB, which was 16 page faults per job.
        self.buf.clear();
        self.buf.reserve(MAX_DATA);
        let fd = self.pipes[i].fd.as_raw_fd();
        let (mut got, mut end) = (0, false);
        while got < allow {
            // SAFETY: the kernel writes at most `allow - got` bytes at `got`, within the capacity
            // reserved above (allow <= MAX_DATA); only the bytes it wrote are made the length.
            let n = unsafe { libc::read(fd, self.buf.as_mut_ptr().add(got).cast(), allow - got) };
            if n > 0 {
                got += n as usize;
                continue;
            }
            if n < 0 {
                match io::Error::last_os_error().kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => {
                        end = last;
                        break;
                    }
                    _ => {}
                }
            }
            end = true; // EOF, or an error no read will get past
            break;
        }
        // SAFETY: the reads above initialised exactly `got` bytes from the start.
        unsafe { self.buf.set_len(got) };
        if got > 0 && !self.engine_gone {
            if self.out_pos == self.out.len() {
                self.out.clear();
                self.out_pos = 0;
            }
            let _ = crate::protocol::encode_data(self.pipes[i].stream, &self.buf, &mut self.out);
            let from_credit = self.credit.min(got as u64);
            self.credit -= from_credit;
            self.leftover = self.leftover.saturating_sub(got as u64 - from_credit);
        }
        if end {
            self.pipes.remove(i);
        }
        got > 0 && !end
    }

    /// The tree is gone: send what is left in the pipes (in order, per pipe) as far as credit and
    /// the leftover allowance go; the rest waits for credit in the loop.
    fn drain_leftovers(&mut self) {
        let mut i = 0;
        while i < self.pipes.len() {
            let before = self.pipes.len();
            while self.pump(i, true) {
                self.flush_out();
            }
            if self.pipes.len() == before {
                i += 1; // out of allowance: keep it for later
            }
        }
        self.flush_out();
    }

    fn queue(&mut self, f: &Frame) {
        if self.engine_gone {
            return;
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        // Frames built here are within the limits by construction.
        let _ = f.encode(&mut self.out);
    }

    fn flush_out(&mut self) {
        while self.out_pos < self.out.len() && !self.engine_gone {
            match (&self.ctl.wr).write(&self.out[self.out_pos..]) {
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => self.engine_lost(),
            }
        }
    }

    fn read_socket(&mut self) {
        match self.dec.read_from(&mut &self.ctl.rd) {
            Ok(0) => return self.engine_lost(),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return self.engine_lost(),
        }
        self.commands();
    }

    fn commands(&mut self) {
        loop {
            match self.dec.next_frame() {
                Ok(Some(Frame::Term { grace_ms })) => self.term(grace_ms),
                Ok(Some(Frame::Kill)) => self.kill(),
                Ok(Some(Frame::Credit { bytes })) => {
                    self.credit = self.credit.saturating_add(bytes)
                }
                Ok(Some(Frame::Input { bytes, close })) => {
                    if let Some(f) = self.stdin.as_mut() {
                        if f.push(&bytes, close) == stdin::After::Closed {
                            self.stdin = None;
                        }
                    }
                }
                Ok(None) => return,
                // Garbage or a frame only a supervisor sends: the engine cannot be trusted to
                // talk sense any more, so treat it as gone.
                Ok(Some(_)) | Err(_) => return self.engine_lost(),
            }
        }
    }

    /// pwsh is gone (or talks nonsense): stop the tree, and keep draining the pipes so that no
    /// process blocks on a write instead of handling its SIGTERM.
    fn engine_lost(&mut self) {
        if self.engine_gone {
            return;
        }
        self.engine_gone = true;
        self.out.clear();
        self.out_pos = 0;
        self.term(self.grace_ms);
    }

    fn group(&self) -> Option<i32> {
        (!self.reaper.main_reaped()).then_some(self.main_pid)
    }

    fn term(&mut self, grace_ms: u64) {
        tree::terminate(
            &tree::Subtree::reaped_by(self.me, &self.reaper),
            self.group(),
        );
        if self.kill_at.is_none() {
            self.kill_at = Some(Instant::now() + Duration::from_millis(grace_ms));
        }
        self.settle_reaped();
    }

    fn kill(&mut self) {
        self.kill_at = None;
        let tree = tree::Subtree::reaped_by(self.me, &self.reaper);
        let out = tree::freeze_and_kill(&tree, self.group(), tree::KILL_LIMIT);
        // Whatever outlived it (stuck in the kernel, or never seen) is killed again shortly.
        if !out.complete() {
            self.kill_at = Some(Instant::now() + tree::RETRY);
        }
        self.settle_reaped();
    }

    fn write_stdin(&mut self) {
        if let Some(f) = self.stdin.as_mut() {
            if f.write() == stdin::After::Closed {
                self.stdin = None; // all written and finished, or the job closed its stdin
            }
        }
    }

    /// Reaps what has ended, and reports the main process's exit once it is reaped.
    fn reap(&mut self) {
        self.reaper.reap();
        self.settle_reaped();
    }

    /// Acts on what was reaped, here or in the rounds of a stop.
    fn settle_reaped(&mut self) {
        let main_exited = self.collect_reaped();
        self.flush_out();
        // Whatever the job left running in the background ends with it.
        if main_exited && !self.reaper.all_gone() && proctree::has_children() {
            self.term(self.grace_ms);
        }
        if self.reaper.all_gone() {
            self.stdin = None;
            self.kill_at = None;
        }
    }

    /// Takes what the reaper found (in this loop or in a kill's rounds): queues `Exited` when the
    /// main process was reaped. True when the main exited now.
    fn collect_reaped(&mut self) -> bool {
        let main = self.reaper.take_main();
        if let Some(status) = main {
            let exit = if libc::WIFSIGNALED(status) {
                Exit::Signal(libc::WTERMSIG(status))
            } else {
                Exit::Code(libc::WEXITSTATUS(status))
            };
            self.queue(&Frame::Exited(exit));
        }
        main.is_some()
    }
}
