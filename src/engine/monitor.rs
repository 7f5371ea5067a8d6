//! Follows one job from start to end on its own thread: reads the supervisor's frames from the one
//! socket, splits `Data` into lines per stream for the job's output store, grants credit as the
//! store takes bytes, and settles the end state once the supervisor says the tree is gone and all
//! output was sent.

use crate::engine::flow::{Control, Waker};
use crate::engine::job::Job;
use crate::engine::lines::{LineSplitter, Piece};
use crate::engine::output::Record;
use crate::engine::spawn::Launched;
use crate::protocol::{Borrowed, Decoder, Exit, Frame, RECORDS};
use std::io;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Duration;

/// Longest line kept as one record; longer ones are stored as pieces marked `cont` (the reader
/// joins them). Small enough that a piece fits the module's default receive buffer.
pub const MAX_LINE: usize = 512 << 10;
const STACK: usize = 256 * 1024;
/// Without an eventfd (no fds left), how often a paused job checks whether a reader made room.
const POLL_WITHOUT_WAKER: Duration = Duration::from_millis(50);

pub fn spawn(job: Arc<Job>, l: Launched) -> io::Result<()> {
    std::thread::Builder::new()
        .name(format!("rjob-monitor-{}", job.id))
        .stack_size(STACK)
        .spawn(move || run(job, l))
        .map(|_| ())
}

struct Follow {
    job: Arc<Job>,
    control: Arc<Control>,
    dec: Decoder,
    lines: [LineSplitter; RECORDS as usize + 1],
    exited: bool,
    done: bool,
}

fn run(job: Arc<Job>, l: Launched) {
    let Launched {
        mut supervisor,
        control,
        pending,
        remote,
        ..
    } = l;
    let waker = Waker::new().ok().map(Arc::new);
    if let Some(w) = &waker {
        let w = w.clone();
        job.output().set_on_room(Box::new(move || w.wake()));
    }
    let mut f = Follow {
        job: job.clone(),
        control,
        dec: pending,
        lines: std::array::from_fn(|_| LineSplitter::new(MAX_LINE)),
        exited: false,
        done: false,
    };
    let failure = f.follow(waker.as_deref()).err();
    // The socket ended without Done: the supervisor died. Its tree lives on without it; stop it
    // now, by its cookie, so that nothing outlives the job or pwsh.
    let lost = (failure.is_none() && !f.done).then(|| {
        let how = supervisor.wait();
        match &remote {
            Some((host, err)) => crate::engine::remote::connection_lost(host, err),
            None => crate::engine::orphans::supervisor_lost(job.id, supervisor.pid(), how),
        }
    });
    // A last line without a newline is still a line.
    {
        let mut store = job.output();
        for (stream, split) in f.lines.iter_mut().enumerate() {
            split.finish(&mut |p: Piece| {
                store.push(Record {
                    stream: stream as u8,
                    cont: p.cont,
                    data: p.data,
                })
            });
        }
        store.close();
    }
    let failure = failure.or_else(|| {
        (!f.exited).then(|| {
            lost.unwrap_or_else(|| {
                "the job's supervisor ended without reporting an exit status".into()
            })
        })
    });
    // The end state comes from the supervisor's report, not from reaping: where the runtime reaps
    // every child (pwsh as PID 1, or started with SIGCHLD ignored) waitpid answers ECHILD.
    job.finish(failure);
    supervisor.reap();
    crate::engine::orphans::forget(job.id);
}

impl Follow {
    /// Runs until `Done` or the end of the socket; an error says why the job's end is unknown.
    fn follow(&mut self, waker: Option<&Waker>) -> Result<(), String> {
        let sock = self.control.clone();
        loop {
            self.frames()?;
            if self.done {
                return Ok(());
            }
            let retry = self.job.output().retry_in();
            let timeout = match (retry, waker) {
                (Some(r), _) => r.as_millis().max(1) as i32,
                (None, None) if self.job.output().is_holding_back() => {
                    POLL_WITHOUT_WAKER.as_millis() as i32
                }
                _ => -1,
            };
            let mut fds = [
                libc::pollfd {
                    fd: sock.socket().as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: waker.map_or(-1, |w| w.fd()),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: fds is a valid array of pollfd; a negative fd is ignored.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(format!("poll failed: {e}"));
            }
            if fds[1].revents != 0 {
                if let Some(w) = waker {
                    w.reset();
                }
            }
            if n == 0 || fds[1].revents != 0 {
                // A reader made room, or the spool may work again: give back held credit.
                let due = {
                    let mut store = self.job.output();
                    store.retry();
                    store.credit_due()
                };
                self.grant(due);
            }
            if fds[0].revents != 0 {
                match self.dec.read_from(&mut sock.socket()) {
                    Ok(0) => return self.frames().map(|_| ()),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return Ok(()), // the supervisor is gone, as at EOF
                }
            }
        }
    }

    /// Applies every whole frame received; output under one lock of the store.
    fn frames(&mut self) -> Result<(), String> {
        let job = self.job.clone();
        let mut store = None;
        let mut exit = None;
        while !self.done {
            let frame = self
                .dec
                .next_borrowed()
                .map_err(|e| format!("the job's supervisor sent garbage: {e}"))?;
            match frame {
                None => break,
                Some(Borrowed::Data { stream, bytes }) => {
                    let st = store.get_or_insert_with(|| job.output());
                    self.lines[stream as usize].feed(bytes, &mut |p: Piece| {
                        st.push(Record {
                            stream,
                            cont: p.cont,
                            data: p.data,
                        })
                    });
                    st.received(bytes.len() as u64);
                }
                Some(Borrowed::Frame(Frame::Exited(e))) => exit = Some(e),
                Some(Borrowed::Frame(Frame::Done)) => self.done = true,
                Some(Borrowed::Frame(f)) => {
                    return Err(format!("the job's supervisor sent {f:?} out of turn"))
                }
            }
        }
        if let Some(mut st) = store {
            let due = st.credit_due();
            let announce = st.announce();
            drop(st);
            job.output_cv.notify_all();
            if announce {
                crate::engine::table::note_change(&job);
            }
            self.grant(due);
        }
        if let Some(e) = exit {
            self.exited = true;
            match e {
                Exit::Code(c) => job.set_exit(Some(c), None),
                Exit::Signal(s) => job.set_exit(None, Some(s)),
            }
        }
        Ok(())
    }

    fn grant(&self, bytes: u64) {
        if bytes > 0 {
            // A failed write means the supervisor is gone; the socket's end tells us next.
            let _ = self.control.send(&Frame::Credit { bytes });
        }
    }
}
