//! Starting a job: launch its supervisor, hand it the launch spec, and wait for its word that the
//! job's process runs (or why it could not start).

use crate::engine::error::{EngineError, Result};
use crate::engine::lines::LineReader;
use crate::protocol::{Event, Launch};
use once_cell::sync::Lazy;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A started job as the monitor takes it over.
pub struct Launched {
    pub supervisor: Child,
    pub pid: i32,
    /// Engine end of the socket, for stop commands; shared with the job, not duplicated.
    pub control: Arc<UnixStream>,
    pub events: LineReader<UnixStream>,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

pub const SUPERVISOR_NAME: &str = "rjob-supervisor";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

static SUPERVISOR: Lazy<Option<PathBuf>> = Lazy::new(find_supervisor);

/// `RJOB_SUPERVISOR` if set, else `rjob-supervisor` beside this library (or one folder up, where
/// cargo puts test binaries).
fn find_supervisor() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RJOB_SUPERVISOR") {
        return Some(PathBuf::from(p));
    }
    let here = library_path()?;
    let dir = here.parent()?;
    [
        dir.join(SUPERVISOR_NAME),
        dir.parent()?.join(SUPERVISOR_NAME),
    ]
    .into_iter()
    .find(|p| p.is_file())
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

pub fn launch(l: &Launch) -> Result<Launched> {
    let exe = SUPERVISOR.as_ref().ok_or_else(|| {
        EngineError::Spawn(format!(
            "{SUPERVISOR_NAME} was not found beside the library"
        ))
    })?;
    let (ours, theirs) = UnixStream::pair()?; // both ends CLOEXEC; fd 0 of the child keeps its end
    let mut supervisor = Command::new(exe)
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group keeps the terminal's Ctrl+C (meant for pwsh) away from the job.
        .process_group(0)
        .spawn()
        .map_err(|e| EngineError::Spawn(format!("cannot start {}: {e}", exe.display())))?;
    let mut line =
        serde_json::to_string(l).map_err(|e| EngineError::InvalidArgument(e.to_string()))?;
    line.push('\n');
    let handshake = (|| -> Result<(i32, LineReader<UnixStream>)> {
        (&ours).write_all(line.as_bytes())?;
        ours.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
        let mut events = LineReader::new(ours.try_clone()?, 1 << 20);
        let first = events.next_line().ok_or_else(|| {
            EngineError::Spawn("the job supervisor exited before starting the job".into())
        })?;
        match serde_json::from_slice::<Event>(&first) {
            Ok(Event::Started { pid }) => {
                ours.set_read_timeout(None)?;
                Ok((pid, events))
            }
            Ok(Event::SpawnError { message, .. }) => Err(EngineError::Spawn(message)),
            _ => Err(EngineError::Spawn(
                "the job supervisor sent an unexpected reply".into(),
            )),
        }
    })();
    match handshake {
        Ok((pid, events)) => {
            let stdout = supervisor.stdout.take().expect("piped");
            let stderr = supervisor.stderr.take().expect("piped");
            Ok(Launched {
                supervisor,
                pid,
                control: Arc::new(ours),
                events,
                stdout,
                stderr,
            })
        }
        Err(e) => {
            drop(ours); // EOF tells a live supervisor to clean up and leave
            let _ = supervisor.kill();
            let _ = supervisor.wait(); // our own child: waitpid(pid), never -1
            Err(e)
        }
    }
}
