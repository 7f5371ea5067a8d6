//! Starting the job's process from the supervisor, and the clean slate both start from.
//!
//! The job gets a session of its own: no controlling terminal (reading /dev/tty fails instead of
//! stopping the job with SIGTTIN), and its process group is its session, led by its main process,
//! so signalling group `main_pid` reaches every process that did not leave it. Its signal mask is
//! empty and every signal has its default action; it holds fds 0-2 and, when asked, fd 3.

use crate::protocol::Launch;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// The variable every process of the job inherits, so the engine can find the tree by it if the
/// supervisor dies (as Jenkins' ProcessTreeKiller does).
pub const COOKIE_VAR: &str = "RJOB_JOB_COOKIE";
/// The fd the job finds its records pipe on, when the launch asks for one.
pub const RECORDS_FD: i32 = 3;

/// Where the job's output goes.
pub struct JobIo {
    pub stdout: Stdio,
    pub stderr: Stdio,
    /// Becomes the job's fd 3.
    pub records: Option<OwnedFd>,
}

impl JobIo {
    /// The supervisor's own stdout and stderr, no fd 3.
    pub fn inherit() -> JobIo {
        JobIo {
            stdout: Stdio::inherit(),
            stderr: Stdio::inherit(),
            records: None,
        }
    }
}

/// Starts the job's process. stdin is a pipe when the launch carries stdin bytes or asks for a
/// stdin pipe (the caller writes them), else /dev/null. `cookie` goes into the job's environment as [`COOKIE_VAR`].
pub fn spawn_job(l: &Launch, cookie: Option<&str>, jio: JobIo) -> io::Result<Child> {
    let Some((exe, args)) = l.argv.split_first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty argv"));
    };
    refuse_non_programs(exe)?;
    let mut cmd = Command::new(exe);
    cmd.args(args).stdout(jio.stdout).stderr(jio.stderr);
    cmd.stdin(if l.stdin.is_some() || l.stdin_pipe {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    if let Some(env) = &l.env {
        cmd.env_clear().envs(env);
    }
    if let Some(c) = cookie {
        cmd.env(COOKIE_VAR, c);
    }
    if let Some(cwd) = &l.cwd {
        cmd.current_dir(cwd);
    }
    let records = jio.records.map(claim_fd3).transpose()?;
    let records_fd = records.as_ref().map(|f| f.as_raw_fd());
    // SAFETY: the hook runs between fork and exec and makes only async-signal-safe system calls
    // (setsid, fcntl, dup2, close_range, rt_sigprocmask, rt_sigaction); it allocates nothing.
    unsafe { cmd.pre_exec(move || in_child(records_fd)) };
    let child = cmd.spawn().map_err(|e| {
        let what = match e.kind() {
            io::ErrorKind::NotFound => match &l.cwd {
                Some(d) if !std::path::Path::new(d).is_dir() => {
                    format!("working directory not found: {d}")
                }
                _ => format!("executable not found: {exe}"),
            },
            io::ErrorKind::PermissionDenied => format!("permission denied: {exe}"),
            _ => format!("cannot start {exe}: {e}"),
        };
        io::Error::new(e.kind(), what)
    });
    drop(records); // the job holds its own copy now
    child
}

/// With a pre-exec hook std forks and calls `execvp`, which runs a file the kernel refuses
/// (ENOEXEC: no `#!` line, not a binary) through /bin/sh. A job is never run through a shell, so
/// such a file is refused here, as `posix_spawn` would.
fn refuse_non_programs(exe: &str) -> io::Result<()> {
    if !exe.starts_with('/') {
        return Ok(()); // found on PATH by exec; the module passes absolute paths
    }
    let mut head = [0u8; 4];
    let n = match std::fs::File::open(exe).and_then(|mut f| io::Read::read(&mut f, &mut head)) {
        Ok(n) => n,
        Err(_) => return Ok(()), // exec reports what is wrong with it
    };
    if head[..n].starts_with(b"#!") || head[..n] == *b"\x7fELF" {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("cannot start {exe}: not a program (no #! line and not a binary)"),
    ))
}

/// Puts the records pipe on fd 3 when that fd is free, so that std's own close-on-exec pipe
/// (which reports a failed exec) cannot land there and be overwritten in the child.
fn claim_fd3(fd: OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl probes fd 3; dup3 targets it only when it is not open.
    unsafe {
        if fd.as_raw_fd() == RECORDS_FD || libc::fcntl(RECORDS_FD, libc::F_GETFD) >= 0 {
            return Ok(fd);
        }
        if libc::dup3(fd.as_raw_fd(), RECORDS_FD, libc::O_CLOEXEC) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(RECORDS_FD))
    }
}

/// Runs in the forked child, after std has set up fds 0-2 and the working directory.
fn in_child(records: Option<i32>) -> io::Result<()> {
    // SAFETY: async-signal-safe system calls on this process's own state.
    unsafe {
        if libc::setsid() < 0 {
            return Err(io::Error::last_os_error());
        }
        let first_closed = match records {
            Some(fd) if fd == RECORDS_FD => {
                // Ours already sits on 3; only its close-on-exec flag must go.
                if libc::fcntl(fd, libc::F_SETFD, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
                RECORDS_FD + 1
            }
            Some(fd) => {
                if libc::dup2(fd, RECORDS_FD) < 0 {
                    return Err(io::Error::last_os_error());
                }
                RECORDS_FD + 1
            }
            None => RECORDS_FD,
        };
        // Marked close-on-exec rather than closed: std still needs its own pipe that reports an
        // exec failure. Kernels before 5.11 refuse the flag; every fd the supervisor opens is
        // close-on-exec anyway and inherited ones were closed at its start.
        libc::syscall(
            libc::SYS_close_range,
            first_closed as u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        default_signals(true);
    }
    Ok(())
}

/// Empty signal mask, and the default action for every signal. SIGPIPE keeps its state only when
/// `pipe` is false. Async-signal-safe.
fn default_signals(pipe: bool) {
    // The kernel's own sigaction layout: the C library's wrapper refuses signals 32 and 33, which
    // it reserves, yet an ignored 32 or 33 is inherited through exec like any other.
    #[repr(C)]
    struct KernelSigaction {
        handler: usize,
        flags: u64,
        restorer: usize,
        mask: u64,
    }
    let dfl = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    let empty: u64 = 0;
    // SAFETY: rt_sigprocmask and rt_sigaction with pointers to valid kernel-layout structs of the
    // size passed; failures (SIGKILL, SIGSTOP) leave that signal as it was.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &empty as *const u64,
            std::ptr::null_mut::<u64>(),
            8usize,
        );
        for sig in 1..=64 {
            if sig != libc::SIGPIPE || pipe {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    &dfl as *const KernelSigaction,
                    std::ptr::null_mut::<KernelSigaction>(),
                    8usize,
                );
            }
        }
    }
}

/// Starts the supervisor from a clean slate: pwsh may have blocked or ignored signals, and a
/// child inherits both through exec. An ignored SIGCHLD would even make the kernel reap our
/// children for us. SIGPIPE stays as Rust's runtime set it (ignored): a write to a closed socket
/// must fail, not kill the supervisor.
pub fn reset_signals() {
    default_signals(false);
}

/// Points fds 0-2 at /dev/null: whoever started us may be gone, and nothing may write into its
/// terminal or pipes. Call only once the real streams were duplicated elsewhere.
pub fn stdio_to_null() {
    // SAFETY: open, dup2 and close on fds of this process; `null` is ours until closed.
    unsafe {
        let null = libc::open(
            b"/dev/null\0".as_ptr().cast(),
            libc::O_RDWR | libc::O_CLOEXEC,
        );
        if null >= 0 {
            for target in 0..3 {
                libc::dup2(null, target);
            }
            libc::close(null);
        }
    }
}

/// Closes every fd above 2 that pwsh let leak into us, so the job cannot inherit them either.
pub fn close_inherited_fds() {
    // SAFETY: closing fds this fresh process does not use; fd 0-2 stay.
    let r = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) };
    if r != 0 {
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            let fds: Vec<i32> = dir
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect();
            for fd in fds.into_iter().filter(|&fd| fd > 2) {
                // SAFETY: as above.
                unsafe { libc::close(fd) };
            }
        }
    }
}
