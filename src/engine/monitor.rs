//! Follows one job from start to end, as the reactor (`engine::reactor`) calls it: reads the
//! supervisor's frames from the one socket, splits `Data` into lines per stream for the job's
//! output store, grants credit as the store takes bytes, and settles the end state once the
//! supervisor says the tree is gone and all output was sent.

use crate::engine::flow::Control;
use crate::engine::job::{lock, Job};
use crate::engine::lines::{LineSplitter, Piece};
use crate::engine::output::Record;
use crate::engine::spawn::{Launched, SupervisorProc};
use crate::protocol::{Borrowed, Decoder, Exit, Frame, RECORDS};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Longest line kept as one record; longer ones are stored as pieces marked `cont` (the reader
/// joins them). Small enough that a piece fits the module's default receive buffer.
pub const MAX_LINE: usize = 512 << 10;
/// The stack of the engine's own threads (the reactor, a settling thread): they wait, read and
/// signal, nothing deep.
pub const STACK: usize = 256 * 1024;

/// What a job's follower does next.
pub enum Step {
    Go,
    /// Its socket is done with; `Some` says why the job's end is unknown.
    End(Option<String>),
}

/// One job as the reactor (`engine::reactor`) follows it.
pub struct Follow {
    job: Arc<Job>,
    control: Arc<Control>,
    dec: Decoder,
    lines: [LineSplitter; RECORDS as usize + 1],
    /// The job's process is known to run (else `Started` or `SpawnError` comes first).
    started: bool,
    exited: bool,
    done: bool,
    supervisor: SupervisorProc,
    remote: Option<(String, File)>,
}

impl Follow {
    pub fn new(job: Arc<Job>, l: Launched) -> Follow {
        let Launched {
            supervisor,
            pid,
            control,
            pending,
            remote,
        } = l;
        Follow {
            job,
            control,
            dec: pending,
            lines: std::array::from_fn(|_| LineSplitter::new(MAX_LINE)),
            started: pid.is_some(),
            exited: false,
            done: false,
            supervisor,
            remote,
        }
    }

    pub fn id(&self) -> u64 {
        self.job.id
    }

    /// The supervisor's socket, to wait on.
    pub fn fd(&self) -> RawFd {
        self.control.socket().as_raw_fd()
    }

    /// Applies what came with the start (frames read after `Started`).
    pub fn begin(&mut self) -> Step {
        let r = self.frames();
        self.after(r)
    }

    /// The socket is readable (or ended).
    pub fn readable(&mut self) -> Step {
        match self.dec.read_from(&mut self.control.socket()) {
            Ok(0) => return Step::End(self.frames().err()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return Step::End(None), // the supervisor is gone, as at EOF
        }
        let r = self.frames();
        self.after(r)
    }

    fn after(&self, r: Result<(), String>) -> Step {
        match r {
            Err(e) => Step::End(Some(e)),
            Ok(()) if self.done => Step::End(None),
            Ok(()) => Step::Go,
        }
    }

    /// A reader made room, or a failed spool's retry time came: give back held credit.
    pub fn room(&mut self) {
        let due = {
            let mut store = self.job.output();
            store.retry();
            store.credit_due()
        };
        self.grant(due);
    }

    /// When the spool should be tried again, while output is held back for it.
    pub fn retry_in(&self) -> Option<Duration> {
        self.job.output().retry_in()
    }

    /// Settles the job's end. Where that may block (the supervisor was lost and must be waited
    /// for, or it is our own child to reap), it is done on a thread of its own, not the reactor's.
    pub fn end(self, failure: Option<String>) {
        let blocks =
            self.supervisor_lost(&failure) || matches!(self.supervisor, SupervisorProc::Child(_));
        if !blocks {
            return self.settle(failure);
        }
        let id = self.job.id;
        let slot = Arc::new(Mutex::new(Some((self, failure))));
        let theirs = slot.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("rjob-end-{id}"))
            .stack_size(STACK)
            .spawn(move || {
                if let Some((f, failure)) = lock(&theirs).take() {
                    f.settle(failure)
                }
            });
        if spawned.is_err() {
            // No thread to be had: settle here rather than never.
            if let Some((f, failure)) = lock(&slot).take() {
                f.settle(failure)
            }
        }
    }

    /// The socket ended without Done and without an error of ours: the supervisor died.
    fn supervisor_lost(&self, failure: &Option<String>) -> bool {
        failure.is_none() && !self.done
    }

    fn settle(mut self, failure: Option<String>) {
        let job = self.job.clone();
        // The socket ended without Done: the supervisor died. Its tree lives on without it; stop
        // it now, by its cookie, so that nothing outlives the job or pwsh.
        let lost = self.supervisor_lost(&failure).then(|| {
            let how = self.supervisor.wait();
            match &self.remote {
                Some((host, err)) => crate::engine::remote::connection_lost(host, err),
                None => crate::engine::orphans::supervisor_lost(job.id, self.supervisor.pid(), how),
            }
        });
        // A last line without a newline is still a line.
        {
            let mut store = job.output();
            for (stream, split) in self.lines.iter_mut().enumerate() {
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
            (!self.exited).then(|| {
                lost.unwrap_or_else(|| {
                    "the job's supervisor ended without reporting an exit status".into()
                })
            })
        });
        crate::engine::orphans::forget(job.id);
        // Handed on before the job is seen finished, so that a start after a wait finds it.
        let clean = self.done && failure.is_none();
        let left = self.hand_over(clean);
        // The end state comes from the supervisor's report, not from reaping: where the runtime
        // reaps every child (pwsh as PID 1, or started with SIGCHLD ignored) waitpid answers ECHILD.
        job.finish(failure);
        if let Some((control, mut supervisor)) = left {
            control.close();
            supervisor.reap();
        }
    }

    /// Hands the supervisor of a job that ended cleanly (Done, an exit status, no stop asked) to
    /// the next start. Any other is returned, to be let go: it leaves once its socket ends.
    ///
    /// No stop can slip past: a stop records itself before it looks for the job's supervisor
    /// watch (forgotten by now) and sends (refused once the socket was handed over), so one that
    /// was not seen here neither signals nor reaches the supervisor. A stopped job's supervisor
    /// is never handed on: a forced stop's watch may still signal it.
    fn hand_over(self, clean: bool) -> Option<(Arc<Control>, SupervisorProc)> {
        let Follow {
            control,
            supervisor,
            remote,
            job,
            ..
        } = self;
        match supervisor {
            SupervisorProc::Forked(f) if clean && remote.is_none() => {
                let sock = {
                    let st = job.status();
                    st.stop.is_none().then(|| control.hand_over()).flatten()
                };
                match sock {
                    Some(sock) => {
                        crate::engine::fork_server::recycle(sock, f);
                        None
                    }
                    None => Some((control, SupervisorProc::Forked(f))),
                }
            }
            other => Some((control, other)),
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
                Some(Borrowed::Frame(Frame::Started { pid })) if !self.started => {
                    self.started = true;
                    job.set_started(pid);
                }
                // The job failed before it ran: the supervisor leaves, and says why.
                Some(Borrowed::Frame(Frame::SpawnError { message, .. })) if !self.started => {
                    return Err(message)
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
