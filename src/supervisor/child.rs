//! Starting the job's process from the supervisor, and the clean slate both start from.
//!
//! The job gets a session of its own: no controlling terminal (reading /dev/tty fails instead of
//! stopping the job with SIGTTIN), and its process group is its session, led by its main process,
//! so signalling group `main_pid` reaches every process that did not leave it. Its signal mask is
//! empty and every signal has its default action; it holds fds 0-2 and, when asked, fd 3.
//!
//! It is started with `vfork` semantics, as C libraries start `posix_spawn`'s children: the child
//! borrows the supervisor's memory until it execs, so no page table is copied and nothing is
//! copied on write. A `fork` here cost a start about a fifth of its CPU (issue 7).

use crate::protocol::Launch;
use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// The variable every process of the job inherits, so the engine can find the tree by it if the
/// supervisor dies (as Jenkins' ProcessTreeKiller does).
pub const COOKIE_VAR: &str = "RJOB_JOB_COOKIE";
/// The fd the job finds its records pipe on, when the launch asks for one.
pub const RECORDS_FD: i32 = 3;

/// Where the job's output goes: write ends the job gets as fds 1, 2 and (when asked) 3.
pub struct JobIo {
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
    pub records: Option<OwnedFd>,
}

/// The job's main process, once it runs.
pub struct Spawned {
    pub pid: i32,
    /// Our end of its stdin, when it has a pipe there.
    pub stdin: Option<File>,
}

/// Starts the job's process. stdin is a pipe when the launch carries stdin bytes or asks for a
/// stdin pipe (the caller writes them), else /dev/null. `cookie` goes into the job's environment
/// as [`COOKIE_VAR`]. Our copies of the job's fds are closed when this returns.
pub fn spawn_job(l: &Launch, cookie: Option<&str>, jio: JobIo) -> io::Result<Spawned> {
    let Some(exe) = l.argv.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty argv"));
    };
    let argv = l
        .argv
        .iter()
        .map(|a| c_string(a.as_bytes()))
        .collect::<io::Result<Vec<_>>>()?;
    let env = environment(l, cookie)?;
    let cwd = l
        .cwd
        .as_deref()
        .map(|d| c_string(d.as_bytes()))
        .transpose()?;
    // Without one, the job keeps fd 0 as it finds it: the supervisor's /dev/null.
    let (stdin, ours) = if l.stdin.is_some() || l.stdin_pipe {
        let (r, w) = crate::supervisor::pipe()?;
        (Some(r), Some(File::from(w)))
    } else {
        (None, None)
    };
    // dup2 onto its own fd does nothing, so close-on-exec would stay set: keep it off fd 3.
    let records = match jio.records {
        Some(fd) if fd.as_raw_fd() == RECORDS_FD => Some(fd.try_clone()?),
        other => other,
    };
    // Sources are never fds 0-2 (the supervisor holds /dev/null there), and a source at fd 3 is
    // used before fd 3 is written, so no dup2 overwrites a source before it is used.
    let dups: Vec<(i32, i32)> = [
        (stdin.as_ref().map(|f| f.as_raw_fd()), 0),
        (Some(jio.stdout.as_raw_fd()), 1),
        (Some(jio.stderr.as_raw_fd()), 2),
        (records.as_ref().map(|f| f.as_raw_fd()), RECORDS_FD),
    ]
    .into_iter()
    .filter_map(|(fd, to)| Some((fd?, to)))
    .collect();
    let exes = candidates(exe, &env)?;
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut env_p: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    env_p.push(std::ptr::null());
    let exes_p: Vec<*const libc::c_char> = exes.iter().map(|e| e.as_ptr()).collect();
    let mut plan = Plan {
        exes: &exes_p,
        argv: argv_p.as_ptr(),
        envp: env_p.as_ptr(),
        dups: &dups,
        cwd: cwd.as_ref().map_or(std::ptr::null(), |d| d.as_ptr()),
        err: 0,
    };
    let pid = clone_vfork(&mut plan)?;
    if plan.err != 0 {
        return Err(spawn_error(io::Error::from_raw_os_error(plan.err), l, exe));
    }
    Ok(Spawned { pid, stdin: ours })
}

/// The job's environment: the launch's (or, without one, the supervisor's) plus the cookie.
fn environment(l: &Launch, cookie: Option<&str>) -> io::Result<Vec<CString>> {
    let pair = |k: &[u8], v: &[u8]| c_string(&[k, b"=", v].concat());
    let mut env = Vec::new();
    let cookie_var = COOKIE_VAR.as_bytes();
    match &l.env {
        Some(vars) => {
            for (k, v) in vars
                .iter()
                .filter(|(k, _)| cookie.is_none() || k.as_bytes() != cookie_var)
            {
                env.push(pair(k.as_bytes(), v.as_bytes())?);
            }
        }
        None => {
            for (k, v) in std::env::vars_os() {
                let k: &OsStr = &k;
                if cookie.is_none() || k.as_bytes() != cookie_var {
                    env.push(pair(k.as_bytes(), v.as_bytes())?);
                }
            }
        }
    }
    if let Some(c) = cookie {
        env.push(pair(cookie_var, c.as_bytes())?);
    }
    Ok(env)
}

fn c_string(b: &[u8]) -> io::Result<CString> {
    CString::new(b).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a string holds a NUL character",
        )
    })
}

/// Says why the job could not start, in the words the module shows.
fn spawn_error(e: io::Error, l: &Launch, exe: &str) -> io::Error {
    let what = match e.raw_os_error() {
        Some(libc::ENOENT) => match &l.cwd {
            Some(d) if !std::path::Path::new(d).is_dir() => {
                format!("working directory not found: {d}")
            }
            _ => format!("executable not found: {exe}"),
        },
        Some(libc::EACCES) => format!("permission denied: {exe}"),
        // A job is never run through a shell: a file the kernel cannot run is refused.
        Some(libc::ENOEXEC) => {
            format!("cannot start {exe}: not a program (no #! line and not a binary)")
        }
        _ => format!("cannot start {exe}: {e}"),
    };
    io::Error::new(e.kind(), what)
}

/// Where `exe` may be, in the order `execvp` tries them: itself when it holds a `/`, else each
/// folder of the job's PATH (the default search path without one), an empty entry meaning the
/// current folder. The job's own PATH, not the supervisor's: the supervisor may be older than a
/// change to PATH, and `env PATH=... prog` searches the new one too.
fn candidates(exe: &str, env: &[CString]) -> io::Result<Vec<CString>> {
    if exe.contains('/') {
        return Ok(vec![c_string(exe.as_bytes())?]);
    }
    let path = env
        .iter()
        .find_map(|e| e.as_bytes().strip_prefix(b"PATH="))
        .unwrap_or(b"/bin:/usr/bin");
    path.split(|&b| b == b':')
        .map(|dir| match dir {
            b"" => c_string(exe.as_bytes()),
            d => c_string(&[d, b"/", exe.as_bytes()].concat()),
        })
        .collect()
}

/// What the child does between its clone and its exec, all of it prepared beforehand: it runs
/// on the supervisor's memory until it execs, so it may only make system calls.
struct Plan<'a> {
    exes: &'a [*const libc::c_char],
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    /// (from, to) for dup2, in order.
    dups: &'a [(i32, i32)],
    /// NULL: stay in the supervisor's folder.
    cwd: *const libc::c_char,
    /// Set by the child when a step failed: the errno, which `execvp` rules pick among tries.
    err: i32,
}

/// The child's stack: it runs only system calls, which need little.
const CHILD_STACK: usize = 32 << 10;

/// Starts the child with `vfork` semantics (`clone(CLONE_VM | CLONE_VFORK)`), as C libraries do
/// for `posix_spawn`, but with only the steps a job needs: `posix_spawn` also maps and unmaps a
/// stack and visits all 64 signals in the child, which cost a tenth of a ms a start (issue 7).
/// The supervisor ignores only SIGPIPE (see `reset_signals`; a handled signal is reset by the
/// exec anyway), so that is the one signal the child resets. Returns once the child has exec'd or
/// failed to (then `plan.err` says why and the child has exited).
fn clone_vfork(plan: &mut Plan) -> io::Result<i32> {
    // Capacity only: a stack needs no zeroing, and the child touches a page or two of it.
    let mut stack = Vec::<u8>::with_capacity(CHILD_STACK);
    // SAFETY: the stack is ours and outlives the child's use of it (the parent is suspended until
    // the child execs or exits); its top is 16-byte aligned as the ABI wants. `plan` is live for
    // the same span and only the child touches it meanwhile.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(CHILD_STACK) as usize & !15;
        libc::clone(
            child_main,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (plan as *mut Plan).cast(),
        )
    };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if plan.err != 0 {
        // It has exited: reap it here, as posix_spawn does, so no zombie waits for the loop.
        // SAFETY: waitpid on our own child's pid.
        unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
    }
    Ok(pid)
}

/// The child's end after a failed step: the errno goes to the parent, which reads it once the
/// child has exited.
///
/// SAFETY: call only in the child, with the parent's live Plan.
unsafe fn fail(p: &mut Plan) -> ! {
    p.err = *libc::__errno_location();
    libc::_exit(127)
}

extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the parent's live Plan (see clone_vfork); this runs system calls only, on
    // pointers the parent prepared, and ends in exec or _exit.
    unsafe {
        let p = &mut *arg.cast::<Plan>();
        // A session of its own: no controlling terminal, and its group is its session.
        if libc::setsid() < 0 {
            fail(p);
        }
        for &(from, to) in p.dups {
            if libc::dup2(from, to) < 0 {
                fail(p);
            }
        }
        if !p.cwd.is_null() && libc::chdir(p.cwd) < 0 {
            fail(p);
        }
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGPIPE, &sa, std::ptr::null_mut());
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // execvp's rules: a file that is not there is skipped; one we may not run is remembered
        // (EACCES if nothing else runs); any other failure ends the search.
        let mut denied = false;
        for &exe in p.exes {
            libc::execve(exe, p.argv, p.envp);
            match *libc::__errno_location() {
                libc::EACCES => denied = true,
                libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
                _ => fail(p),
            }
        }
        p.err = if denied { libc::EACCES } else { libc::ENOENT };
        libc::_exit(127)
    }
}

/// Starts the supervisor from a clean slate: pwsh may have blocked or ignored signals, and a
/// child inherits both through exec. An ignored SIGCHLD would even make the kernel reap our
/// children for us. SIGPIPE stays as Rust's runtime set it (ignored): a write to a closed socket
/// must fail, not kill the supervisor; the job's child resets it before its exec.
pub fn reset_signals() {
    // The kernel's own sigaction layout: the C library's wrapper refuses signals 32 and 33, which
    // it reserves, yet an ignored 32 or 33 is inherited through exec like any other: cleared
    // here, it cannot reach the job (whose child resets only SIGPIPE).
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
        for sig in (1..=64).filter(|&s| s != libc::SIGPIPE) {
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
