//! Starting the job's process from the supervisor, and the clean slate both start from.
//!
//! The job gets a session of its own: no controlling terminal (reading /dev/tty fails instead of
//! stopping the job with SIGTTIN), and its process group is its session, led by its main process,
//! so signalling group `main_pid` reaches every process that did not leave it. Its signal mask is
//! empty and every signal has its default action; it holds fds 0-2 and, when asked, fd 3.
//!
//! It is started with `posix_spawn`, which C libraries do with `vfork` semantics: the child
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
    // dup2 onto its own fd would leave close-on-exec set on some C libraries: keep it off fd 3.
    let records = match jio.records {
        Some(fd) if fd.as_raw_fd() == RECORDS_FD => Some(fd.try_clone()?),
        other => other,
    };
    // Sources are never fds 0-2 (the supervisor holds /dev/null there), so no dup2 below
    // overwrites a source before it is used.
    let mut actions = FileActions::new()?;
    if let Some(fd) = &stdin {
        actions.dup2(fd, 0)?;
    }
    actions.dup2(&jio.stdout, 1)?;
    actions.dup2(&jio.stderr, 2)?;
    if let Some(r) = &records {
        actions.dup2(r, RECORDS_FD)?;
    }
    if let Some(d) = &cwd {
        actions.chdir(d)?;
    }
    let attr = Attributes::new()?;
    let mut argv_p: Vec<*mut libc::c_char> = argv.iter().map(|a| a.as_ptr() as *mut _).collect();
    argv_p.push(std::ptr::null_mut());
    let mut env_p: Vec<*mut libc::c_char> = env.iter().map(|e| e.as_ptr() as *mut _).collect();
    env_p.push(std::ptr::null_mut());
    let mut pid: libc::pid_t = 0;
    // SAFETY: every pointer is to a live, NUL-terminated string or a NULL-ended array of them,
    // and actions and attr are initialised; all outlive the call. posix_spawn returns only once
    // the child has exec'd or failed to, so nothing is borrowed afterwards.
    let rc = unsafe {
        let spawn = if exe.contains('/') {
            libc::posix_spawn
        } else {
            libc::posix_spawnp
        };
        spawn(
            &mut pid,
            argv[0].as_ptr(),
            &actions.0,
            &attr.0,
            argv_p.as_ptr(),
            env_p.as_ptr(),
        )
    };
    if rc != 0 {
        return Err(spawn_error(io::Error::from_raw_os_error(rc), l, exe));
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

extern "C" {
    // glibc 2.29 and musl 1.1.24 have it; the libc crate of this build does not declare it yet.
    fn posix_spawn_file_actions_addchdir_np(
        actions: *mut libc::posix_spawn_file_actions_t,
        path: *const libc::c_char,
    ) -> libc::c_int;
}

/// What the child does to its fds and folder before it execs.
struct FileActions(libc::posix_spawn_file_actions_t);

impl FileActions {
    fn new() -> io::Result<FileActions> {
        // SAFETY: init writes the zeroed struct; it is destroyed once, in drop.
        unsafe {
            let mut a = std::mem::zeroed();
            check(libc::posix_spawn_file_actions_init(&mut a))?;
            Ok(FileActions(a))
        }
    }

    fn dup2(&mut self, fd: &impl AsRawFd, to: i32) -> io::Result<()> {
        // SAFETY: an initialised actions object; the fd stays open until the spawn returns.
        check(unsafe { libc::posix_spawn_file_actions_adddup2(&mut self.0, fd.as_raw_fd(), to) })
    }

    fn chdir(&mut self, dir: &CString) -> io::Result<()> {
        // SAFETY: as above; the library copies the path.
        check(unsafe { posix_spawn_file_actions_addchdir_np(&mut self.0, dir.as_ptr()) })
    }
}

impl Drop for FileActions {
    fn drop(&mut self) {
        // SAFETY: initialised in new, destroyed only here.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

/// A session of its own, an empty signal mask, and every signal at its default action.
struct Attributes(libc::posix_spawnattr_t);

impl Attributes {
    fn new() -> io::Result<Attributes> {
        // SAFETY: init, then setters on the initialised object with live sigsets; destroyed
        // once, in drop.
        unsafe {
            let mut a = std::mem::zeroed();
            check(libc::posix_spawnattr_init(&mut a))?;
            let mut attr = Attributes(a);
            let mut empty: libc::sigset_t = std::mem::zeroed();
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigfillset(&mut all);
            // glibc leaves its reserved signals 32 and 33 out of a filled set, and its child sets
            // them to SIG_IGN, which exec keeps: named here, they are reset to the default too.
            // (A Linux sigset is the kernel's: bit n-1 is signal n.)
            *(&mut all as *mut libc::sigset_t).cast::<u64>() |= 3 << 31;
            check(libc::posix_spawnattr_setsigmask(&mut attr.0, &empty))?;
            check(libc::posix_spawnattr_setsigdefault(&mut attr.0, &all))?;
            let flags = libc::POSIX_SPAWN_SETSID
                | libc::POSIX_SPAWN_SETSIGMASK
                | libc::POSIX_SPAWN_SETSIGDEF;
            check(libc::posix_spawnattr_setflags(
                &mut attr.0,
                flags as libc::c_short,
            ))?;
            Ok(attr)
        }
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: initialised in new, destroyed only here.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// Starts the supervisor from a clean slate: pwsh may have blocked or ignored signals, and a
/// child inherits both through exec. An ignored SIGCHLD would even make the kernel reap our
/// children for us. SIGPIPE stays as Rust's runtime set it (ignored): a write to a closed socket
/// must fail, not kill the supervisor; the job gets it at its default through `posix_spawn`.
pub fn reset_signals() {
    // The kernel's own sigaction layout: the C library's wrapper refuses signals 32 and 33, which
    // it reserves (so `posix_spawn` leaves them alone), yet an ignored 32 or 33 is inherited
    // through exec like any other: cleared here, it cannot reach the job.
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
