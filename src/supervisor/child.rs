//! Starting the job's process from the supervisor, and the clean slate both start from.

use crate::protocol::Launch;
use std::os::unix::process::CommandExt;
use std::process::Stdio;

pub fn spawn_job(l: &Launch) -> std::io::Result<std::process::Child> {
    let Some((exe, args)) = l.argv.split_first() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "empty argv",
        ));
    };
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args)
        .process_group(0)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    cmd.stdin(if l.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    if let Some(env) = &l.env {
        cmd.env_clear().envs(env);
    }
    if let Some(cwd) = &l.cwd {
        cmd.current_dir(cwd);
    }
    cmd.spawn().map_err(|e| {
        let what = match e.kind() {
            std::io::ErrorKind::NotFound => match &l.cwd {
                Some(d) if !std::path::Path::new(d).is_dir() => {
                    format!("working directory not found: {d}")
                }
                _ => format!("executable not found: {exe}"),
            },
            std::io::ErrorKind::PermissionDenied => format!("permission denied: {exe}"),
            _ => format!("cannot start {exe}: {e}"),
        };
        std::io::Error::new(e.kind(), what)
    })
}

/// Starts from a clean slate: pwsh may have blocked or ignored signals, and a child inherits both
/// through exec. An ignored SIGCHLD would even make the kernel reap our children for us.
pub fn reset_signals() {
    // SAFETY: plain signal-state calls on this single-threaded process before any thread starts.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP && sig != libc::SIGPIPE {
                libc::signal(sig, libc::SIG_DFL);
            }
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
