//! Starting a job: launch its supervisor, hand it the start spec in a `Launch` frame, and wait for
//! its word that the job's process runs (or why it could not start).

use crate::engine::error::{EngineError, Result};
use crate::engine::flow::Control;
use crate::engine::fork_server::{self, Forked};
use crate::protocol::{Decoder, Frame, FrameReader, VERSION};
use crate::spec::StartSpec;
use once_cell::sync::Lazy;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A job's supervisor process, as the engine holds it.
pub enum SupervisorProc {
    /// Spawned by the engine (ssh for a remote job, or when no fork server could fork one): our
    /// own child, reaped by pid.
    Child(Child),
    /// Forked by the fork server, which reaps it.
    Forked(Forked),
}

impl SupervisorProc {
    pub fn pid(&self) -> i32 {
        match self {
            SupervisorProc::Child(c) => c.id() as i32,
            SupervisorProc::Forked(f) => f.pid,
        }
    }

    /// A pidfd that names this process for good, when one can be had.
    pub fn pidfd(&self) -> Option<OwnedFd> {
        match self {
            // Our unreaped child: pidfd_open cannot name another process.
            // SAFETY: plain syscall; the fd it returns is ours to own.
            SupervisorProc::Child(c) => {
                let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, c.id() as i32, 0) };
                (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
            }
            SupervisorProc::Forked(f) => f.pidfd.as_ref().and_then(|p| p.try_clone().ok()),
        }
    }

    /// Waits for it to end and says how, when that can be known.
    pub fn wait(&mut self) -> Option<ExitStatus> {
        match self {
            // Our own child, by pid: never waitpid(-1), which would take .NET's children from it.
            SupervisorProc::Child(c) => c.wait().ok(),
            SupervisorProc::Forked(f) => fork_server::exit_status(f),
        }
    }

    /// Reaps it once it has ended, if that is ours to do.
    pub fn reap(&mut self) {
        if let SupervisorProc::Child(c) = self {
            let _ = c.wait();
        }
    }

    fn kill(&mut self) {
        match self {
            SupervisorProc::Child(c) => {
                let _ = c.kill();
            }
            SupervisorProc::Forked(f) => fork_server::kill(f),
        }
    }
}

/// A started job as the monitor takes it over.
pub struct Launched {
    pub supervisor: SupervisorProc,
    /// The job's process; None when the start did not wait for it (`StartSpec::no_wait`): the
    /// monitor then reads `Started` (or `SpawnError`) first.
    pub pid: Option<i32>,
    /// Engine end of the socket: the monitor reads it, stop commands and credit are written to it.
    pub control: Arc<Control>,
    /// Bytes that came after the supervisor's `Started`.
    pub pending: Decoder,
    /// A remote job: its host, and the file ssh's stderr goes to (`supervisor` is the ssh client).
    pub remote: Option<(String, fs::File)>,
}

pub const SUPERVISOR_NAME: &str = "rjob-supervisor";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

static SUPERVISOR: Lazy<std::result::Result<PathBuf, String>> =
    Lazy::new(|| find_supervisor().and_then(|p| runnable(&p, &user_cache_dir())));

/// `RJOB_SUPERVISOR` if set, else `rjob-supervisor` beside this library (or one folder up, where
/// cargo puts test binaries).
fn find_supervisor() -> std::result::Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("RJOB_SUPERVISOR") {
        return Ok(PathBuf::from(p));
    }
    let missing = || format!("{SUPERVISOR_NAME} was not found beside the library");
    let here = library_path().ok_or_else(missing)?;
    let dir = here.parent().ok_or_else(missing)?;
    [
        Some(dir.join(SUPERVISOR_NAME)),
        dir.parent().map(|d| d.join(SUPERVISOR_NAME)),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
    .ok_or_else(missing)
}

fn library_path() -> Option<PathBuf> {
    // SAFETY: dladdr only reads the address and fills `info`; dli_fname points into the loader's
    // tables and is copied before returning.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(find_supervisor as *const libc::c_void, &mut info) == 0
            || info.dli_fname.is_null()
        {
            return None;
        }
        let name = std::ffi::CStr::from_ptr(info.dli_fname).to_str().ok()?;
        std::fs::canonicalize(name).ok()
    }
}

/// Per-user cache folder: `$XDG_CACHE_HOME`, else `~/.cache`, else a per-user folder in /tmp.
pub fn user_cache_dir() -> PathBuf {
    let abs = |v: Option<std::ffi::OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    abs(std::env::var_os("XDG_CACHE_HOME"))
        .or_else(|| abs(std::env::var_os("HOME")).map(|h| h.join(".cache")))
        // SAFETY: geteuid has no preconditions.
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("rjob-{}", unsafe { libc::geteuid() }))
        })
}

/// The supervisor as found if this user may run it; otherwise (an installed module that lost
/// its execute bits, or a read-only or noexec copy) a private copy in the cache.
pub fn runnable(exe: &Path, cache: &Path) -> std::result::Result<PathBuf, String> {
    if may_execute(exe) {
        return Ok(exe.to_path_buf());
    }
    cached_copy(exe, cache).map_err(|e| {
        format!(
            "{} is not executable, and copying it to {} failed: {e}",
            exe.display(),
            cache.display()
        )
    })
}

fn may_execute(p: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))
    else {
        return false;
    };
    // SAFETY: access reads a NUL-terminated path we own.
    unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 }
}

/// Copies `exe` once to `<cache>/rjob/bin/<version>-<size>-<mtime>/rjob-supervisor` (folders
/// 0700, file 0700, written under a temporary name and renamed into place) and returns that path.
fn cached_copy(exe: &Path, cache: &Path) -> io::Result<PathBuf> {
    let md = fs::metadata(exe)?;
    let bin = cache.join("rjob").join("bin");
    let dir = bin.join(format!(
        "{}-{}-{}",
        env!("CARGO_PKG_VERSION"),
        md.len(),
        md.mtime()
    ));
    for d in [cache.join("rjob"), bin, dir.clone()] {
        crate::engine::output::ensure_private_dir(&d)?;
    }
    let target = dir.join(SUPERVISOR_NAME);
    if let Ok(t) = fs::symlink_metadata(&target) {
        if t.is_file() && t.len() == md.len() && may_execute(&target) {
            return Ok(target);
        }
    }
    let tmp = dir.join(format!(
        ".{SUPERVISOR_NAME}.{}.{}",
        std::process::id(),
        crate::engine::ids::new_instance_id()
    ));
    let copy = (|| {
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        io::copy(&mut fs::File::open(exe)?, &mut out)?;
        out.sync_all()?;
        fs::rename(&tmp, &target)
    })();
    if copy.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    copy.map(|_| target)
}

/// Starts the job of `spec`, which goes to the supervisor as it is once completed: its remote part
/// taken out (the remote supervisor needs no ssh settings) and what it inherits written in.
/// Returns once the job's process runs, or (`no_wait`, local jobs) once the supervisor has it.
pub fn launch(spec: &mut StartSpec) -> Result<Launched> {
    let remote = spec.remote.take();
    let no_wait = spec.no_wait && remote.is_none();
    // A forked supervisor has the fork server's environment and folder, not ours as they are now:
    // a job that inherits them gets ours, written into its spec. Where they cannot be written
    // (not UTF-8), the supervisor is spawned from here, so that it inherits them as they are.
    let inherits = remote.is_none() && !inherit_here(spec);
    let json =
        serde_json::to_vec(&*spec).map_err(|e| EngineError::InvalidArgument(e.to_string()))?;
    let launch = Frame::Launch {
        version: VERSION,
        spec: json,
    }
    .to_bytes()
    .map_err(|e| EngineError::InvalidArgument(format!("{e} (is stdin too large?)")))?;
    let (ours, mut supervisor, ssh_err) = match &remote {
        // ssh reads and writes the same socket (its stdin and stdout).
        Some(r) => {
            let (ours, theirs) = UnixStream::pair()?; // both ends CLOEXEC; fd 0 of ssh keeps its end
            let (mut cmd, err) = crate::engine::remote::command(r)?;
            cmd.stdout(Stdio::from(OwnedFd::from(theirs.try_clone()?)));
            let child = cmd
                .stdin(Stdio::from(OwnedFd::from(theirs)))
                .process_group(0)
                .spawn()
                .map_err(|e| EngineError::Spawn(format!("cannot start ssh: {e}")))?;
            drop(cmd); // our copies of its ends: its exit must be our EOF
            (ours, SupervisorProc::Child(child), Some(err))
        }
        None => {
            let (ours, sup) = local_supervisor(&launch, inherits)?;
            (ours, sup, None)
        }
    };
    let sent = remote.is_none() && launch.len() <= PRELOAD;
    // The stream ended (or failed) without an answer: for ssh, its stderr says why.
    let mut no_answer = false;
    let handshake = (|| -> Result<(Option<i32>, Decoder)> {
        if !sent {
            // A failed write is ssh gone before reading (a large launch, a refused connection):
            // its exit and stderr say why, as for no answer.
            (&ours).write_all(&launch).map_err(|e| {
                no_answer = true;
                EngineError::Spawn(format!("cannot send the job to its supervisor: {e}"))
            })?;
        }
        if no_wait {
            return Ok((None, Decoder::new()));
        }
        ours.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut events = FrameReader::new(&ours);
        let first = events.next_frame().map_err(|e| {
            no_answer = true;
            EngineError::Spawn(format!("no answer from the job supervisor: {e}"))
        })?;
        no_answer = first.is_none();
        ours.set_read_timeout(None)?;
        match first {
            Some(Frame::Started { pid }) => Ok((Some(pid), events.into_parts().1)),
            Some(Frame::SpawnError { message, .. }) => Err(EngineError::Spawn(message)),
            None => Err(EngineError::Spawn(
                "the job supervisor exited before starting the job".into(),
            )),
            Some(f) => Err(EngineError::Spawn(format!(
                "the job supervisor sent {f:?} instead of Started"
            ))),
        }
    })();
    match handshake {
        Ok((pid, pending)) => Ok(Launched {
            supervisor,
            pid,
            control: Arc::new(Control::new(ours)?),
            pending,
            remote: remote.map(|r| r.host).zip(ssh_err),
        }),
        Err(e) => {
            drop(ours); // EOF tells a live supervisor to clean up and leave
                        // ssh that closed the stream is exiting: give it a moment, its exit code and stderr
                        // say why. One still connecting (or a stuck supervisor) is killed.
            let how = match (&remote, &mut supervisor) {
                (Some(_), SupervisorProc::Child(c)) if no_answer => exit_within(c, SSH_EXIT_WAIT),
                _ => None,
            };
            supervisor.kill();
            let reaped = match &mut supervisor {
                SupervisorProc::Child(c) => c.wait().ok(), // our own child: waitpid(pid), never -1
                SupervisorProc::Forked(_) => None,         // the fork server reaps it
            };
            match (remote, ssh_err) {
                (Some(r), Some(err)) if no_answer => {
                    let how = how.or(reaped);
                    Err(EngineError::Spawn(crate::engine::remote::start_failure(
                        &r.host, how, &err,
                    )))
                }
                (Some(r), _) => Err(EngineError::Spawn(format!("on {}: {e}", r.host))),
                _ => Err(e),
            }
        }
    }
}

/// A local supervisor and the engine's end of its socket: forked by the fork server, or (when no
/// server could) spawned here.
/// A `Launch` frame up to this size is written as soon as the socket exists (the socket holds it),
/// so that a supervisor just spawned finds it at once instead of waiting for us.
const PRELOAD: usize = 32 << 10;

/// Completes a spec with this process's working folder and environment where it leaves them out.
/// False when one of them cannot be written into a spec: the spec is then left as it was.
fn inherit_here(spec: &mut StartSpec) -> bool {
    let cwd = match &spec.cwd {
        Some(_) => None,
        None => match std::env::current_dir().map(|d| d.into_os_string().into_string()) {
            Ok(Ok(d)) => Some(d),
            _ => return false,
        },
    };
    let env = match &spec.env {
        Some(_) => None,
        None => {
            let mut all = std::collections::BTreeMap::new();
            for (k, v) in std::env::vars_os() {
                match (k.into_string(), v.into_string()) {
                    (Ok(k), Ok(v)) => all.insert(k, v),
                    _ => return false,
                };
            }
            Some(all)
        }
    };
    spec.cwd = spec.cwd.take().or(cwd);
    spec.env = spec.env.take().or(env);
    true
}

fn local_supervisor(launch: &[u8], inherits: bool) -> Result<(UnixStream, SupervisorProc)> {
    let exe = SUPERVISOR.clone().map_err(EngineError::Spawn)?;
    let preload = |ours: &UnixStream| -> io::Result<()> {
        if launch.len() <= PRELOAD {
            (&*ours).write_all(launch)?;
        }
        Ok(())
    };
    if fork_server::enabled() && !inherits {
        // Twice, so that a server found gone is replaced once. A supervisor that cannot take
        // its Launch (it died) is dropped, and it leaves if it still runs: its socket is closed.
        for _ in 0..2 {
            if let Ok((ours, f)) = fork_server::take(&exe) {
                if preload(&ours).is_ok() {
                    return Ok((ours, SupervisorProc::Forked(f)));
                }
            }
        }
    }
    let (ours, theirs) = UnixStream::pair()?; // both ends CLOEXEC; fd 0 of the child keeps its end
    preload(&ours)?;
    let child = Command::new(&exe)
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group keeps the terminal's Ctrl+C (meant for pwsh) away from the job.
        .process_group(0)
        .spawn()
        .map_err(|e| EngineError::Spawn(format!("cannot start {}: {e}", exe.display())))?;
    Ok((ours, SupervisorProc::Child(child)))
}

/// How long a failed ssh may take to exit after closing its end.
const SSH_EXIT_WAIT: Duration = Duration::from_secs(3);

/// The child's exit status if it exits within `limit` (polled: it is already on its way out).
fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let end = std::time::Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(st)) => return Some(st),
            Ok(None) if std::time::Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(10))
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_supervisor_without_execute_bits_is_copied_once_to_a_private_cache() {
        let root = std::env::temp_dir().join(format!(
            "rjob-spawn-test-{}",
            crate::engine::ids::new_instance_id()
        ));
        fs::create_dir_all(&root).unwrap();
        let exe = root.join("installed-supervisor");
        fs::write(&exe, b"#!/bin/sh\necho hi\n").unwrap();
        let mut perm = fs::metadata(&exe).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o444);
        fs::set_permissions(&exe, perm).unwrap();
        let cache = root.join("cache");
        let got = runnable(&exe, &cache).unwrap();
        assert!(got.starts_with(cache.join("rjob/bin")), "{got:?}");
        assert!(got.ends_with(SUPERVISOR_NAME));
        assert_eq!(fs::read(&got).unwrap(), fs::read(&exe).unwrap());
        assert_eq!(fs::metadata(&got).unwrap().mode() & 0o777, 0o700);
        for d in ["rjob", "rjob/bin"] {
            assert_eq!(fs::metadata(cache.join(d)).unwrap().mode() & 0o777, 0o700);
        }
        assert_eq!(
            fs::metadata(got.parent().unwrap()).unwrap().mode() & 0o777,
            0o700
        );
        // Once: the second call finds the copy, and no temporary file is left behind.
        let ino = fs::metadata(&got).unwrap().ino();
        assert_eq!(runnable(&exe, &cache).unwrap(), got);
        assert_eq!(fs::metadata(&got).unwrap().ino(), ino);
        assert_eq!(fs::read_dir(got.parent().unwrap()).unwrap().count(), 1);
        // An executable one is used where it is.
        let ok = root.join("ok");
        fs::copy("/bin/true", &ok).unwrap();
        assert_eq!(runnable(&ok, &cache).unwrap(), ok);
        fs::remove_dir_all(&root).unwrap();
    }
}
