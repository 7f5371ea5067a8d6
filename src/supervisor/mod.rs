//! The per-job supervisor process (`rjob-supervisor`).
//!
//! It is a child subreaper, so every descendant of the job stays below it even after `setsid` or
//! a double fork. It reaps its own children only (it is its own process, so `waitpid(-1)` is safe
//! here, unlike inside pwsh), reports the job's exit status to the engine, stops the tree on
//! command with SIGTERM then SIGKILL after the grace period, and stops it too when the engine's end
//! of the socket closes (pwsh exited or was killed).

pub mod child;
pub mod proctree;
pub mod signal;
pub mod tree;

use crate::engine::lines::LineReader;
use crate::protocol::{event_line, Command, Event, Launch};
use crate::supervisor::child::{close_inherited_fds, reset_signals, spawn_job, JobIo};
use crossbeam_channel::{after, never, select, unbounded, Receiver, Sender};
use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

enum Msg {
    Cmd(Command),
    EngineGone,
    MainExited(std::process::ExitStatus),
    AllGone,
}

/// Runs the supervisor; the return value is its exit code.
pub fn run() -> i32 {
    reset_signals();
    close_inherited_fds();
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    // SAFETY: the engine passes the socket as fd 0; we take ownership of it once.
    let ctl = unsafe { UnixStream::from_raw_fd(0) };
    let mut reader = match ctl.try_clone() {
        Ok(r) => LineReader::new(r, 64 << 20),
        Err(_) => return 2,
    };
    let Some(first) = reader.next_line() else {
        return 2;
    };
    let launch: Launch = match serde_json::from_slice(&first) {
        Ok(l) => l,
        Err(e) => {
            send(
                &ctl,
                &Event::SpawnError {
                    message: format!("bad launch spec: {e}"),
                    errno: 0,
                },
            );
            return 2;
        }
    };
    let mut child = match spawn_job(&launch, launch.cookie.as_deref(), JobIo::inherit()) {
        Ok(c) => c,
        Err(e) => {
            send(
                &ctl,
                &Event::SpawnError {
                    message: e.to_string(),
                    errno: e.raw_os_error().unwrap_or(0),
                },
            );
            return 1;
        }
    };
    let main_pid = child.id() as i32;
    send(&ctl, &Event::Started { pid: main_pid });
    if let (Some(data), Some(mut stdin)) = (launch.stdin.clone(), child.stdin.take()) {
        std::thread::spawn(move || {
            let _ = stdin.write_all(data.as_bytes());
        });
    }
    // The job holds the output pipes now; letting go of ours makes EOF mean "the tree is gone".
    detach_stdio();

    let (tx, rx) = unbounded();
    spawn_reaper(main_pid, tx.clone());
    spawn_command_reader(reader, tx);
    drop(child); // reaped by the reaper thread, not by std
    supervise(&ctl, main_pid, launch.grace_ms, rx)
}

fn supervise(ctl: &UnixStream, main_pid: i32, grace_ms: u64, rx: Receiver<Msg>) -> i32 {
    let me = std::process::id() as i32;
    let mut deadline: Option<Instant> = None;
    let mut main_done = false;
    let term = |deadline: &mut Option<Instant>, grace: u64, main_done: bool| {
        tree::terminate(&tree::Subtree::new(me), (!main_done).then_some(main_pid));
        if deadline.is_none() {
            *deadline = Some(Instant::now() + Duration::from_millis(grace));
        }
    };
    loop {
        let timer = match deadline {
            Some(d) => after(d.saturating_duration_since(Instant::now())),
            None => never(),
        };
        let msg = select! {
            recv(rx) -> m => match m { Ok(m) => m, Err(_) => Msg::AllGone },
            recv(timer) -> _ => {
                deadline = None;
                kill_all(main_pid, me, main_done);
                continue;
            }
        };
        match msg {
            Msg::Cmd(Command::Term(ms)) => term(&mut deadline, ms, main_done),
            Msg::Cmd(Command::Kill) => kill_all(main_pid, me, main_done),
            Msg::EngineGone => term(&mut deadline, grace_ms, main_done),
            Msg::MainExited(st) => {
                main_done = true;
                send(
                    ctl,
                    &Event::Exited {
                        code: st.code(),
                        signal: st.signal(),
                    },
                );
                // Whatever the job left running in the background ends with it.
                if proctree::has_children() {
                    term(&mut deadline, grace_ms, true);
                }
            }
            Msg::AllGone => {
                send(ctl, &Event::Done);
                return 0;
            }
        }
    }
}

fn kill_all(main_pid: i32, me: i32, main_done: bool) {
    let group = (!main_done).then_some(main_pid);
    tree::freeze_and_kill(&tree::Subtree::new(me), group, tree::KILL_LIMIT);
}

fn spawn_reaper(main_pid: i32, tx: Sender<Msg>) {
    std::thread::spawn(move || loop {
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`. This process is the supervisor, whose children
        // are all the job's, so reaping any of them is right.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == main_pid {
            let _ = tx.send(Msg::MainExited(std::process::ExitStatus::from_raw(status)));
        } else if pid < 0 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                _ => {
                    let _ = tx.send(Msg::AllGone);
                    return;
                }
            }
        }
    });
}

fn spawn_command_reader(mut reader: LineReader<UnixStream>, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        while let Some(line) = reader.next_line() {
            if let Some(c) = Command::parse(&String::from_utf8_lossy(&line)) {
                if tx.send(Msg::Cmd(c)).is_err() {
                    return;
                }
            }
        }
        let _ = tx.send(Msg::EngineGone);
    });
}

fn send(ctl: &UnixStream, ev: &Event) {
    // The engine may be gone; then there is nobody to tell.
    let _ = (&*ctl).write_all(event_line(ev).as_bytes());
}

/// Points our own stdout and stderr at /dev/null; the job keeps the real pipes.
fn detach_stdio() {
    // SAFETY: opening /dev/null and dup2 over fds 1 and 2, which we no longer use.
    unsafe {
        let fd = libc::open(
            b"/dev/null\0".as_ptr().cast(),
            libc::O_RDWR | libc::O_CLOEXEC,
        );
        if fd >= 0 {
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            libc::close(fd);
        }
    }
}
