//! Remote jobs: the job's supervisor runs on another host as `rjob-supervisor --stdio`, started by
//! the system's OpenSSH client, and speaks the usual framed protocol over ssh's stdio. The engine
//! side is unchanged: ssh's stdin and stdout are one end of a socketpair, so the monitor and stop
//! commands see a socket as for a local job; the local "supervisor" process is the ssh client.
//!
//! - Never a prompt: `BatchMode=yes` and `-T` (a pty would mangle the binary protocol).
//! - Connection reuse: one ControlMaster per (host, port, user, options), its socket in a private
//!   per-user folder, kept 60 s after its last job.
//! - A lost connection (ssh killed, network gone) is EOF on both sides: the remote supervisor stops
//!   the tree; the job ends Failed "connection lost". There is no cookie fallback remotely: the
//!   engine cannot scan another host's /proc, so a remote supervisor that is itself killed leaves
//!   its tree to that host.
//! - ssh's stderr goes to an unlinked file (never a pipe nobody reads), quoted in start errors.

use crate::engine::error::{EngineError, Result};
use crate::spec::Remote;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus};

/// Relative to the remote user's home, where sshd starts commands; needs no shell quoting or `~`.
pub const DEFAULT_SUPERVISOR: &str = ".local/lib/rjob/rjob-supervisor";
const SSH: &str = "ssh";
/// At most this much of ssh's stderr is quoted in an error.
const MAX_STDERR: u64 = 4096;

/// The one check of a remote spec: nothing that ssh could read as an option, and no NULs or line
/// breaks (they would end up in ssh's argument list or config lines).
pub fn validate(r: &Remote) -> Result<()> {
    let bad = |m: String| Err(EngineError::InvalidArgument(m));
    let plain = |s: &str| !s.chars().any(|c| c.is_control());
    if r.host.is_empty() || r.host.starts_with('-') || !plain(&r.host) || r.host.contains(' ') {
        return bad(format!("'{}' is not a valid host name", r.host));
    }
    if let Some(u) = &r.user {
        if u.is_empty() || u.starts_with('-') || !plain(u) {
            return bad(format!("'{u}' is not a valid user name"));
        }
    }
    if r.port == Some(0) {
        return bad("the port must be between 1 and 65535".into());
    }
    for t in r.key_file.iter().chain(r.supervisor_path.iter()) {
        if t.is_empty() || !plain(t) {
            return bad("a remote path is empty or holds a control character".into());
        }
    }
    for (k, v) in r.options.iter().flatten() {
        let key_ok = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric());
        if !key_ok || !plain(v) {
            return bad(format!(
                "'{k}' is not a valid ssh option (name=value, letters only in the name)"
            ));
        }
    }
    Ok(())
}

/// Private per-user folder for ControlMaster sockets: `$XDG_RUNTIME_DIR/rjob`, else
/// `/tmp/rjob-<uid>`. Short on purpose: a socket path is limited to 107 bytes.
fn control_dir() -> std::io::Result<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir());
    // SAFETY: geteuid has no preconditions.
    let dir = match runtime {
        Some(r) => r.join("rjob"),
        None => PathBuf::from(format!("/tmp/rjob-{}", unsafe { libc::geteuid() })),
    };
    crate::engine::output::ensure_private_dir(&dir)?;
    Ok(dir)
}

/// FNV-1a: the same connection settings give the same master, different ones (another key,
/// another known_hosts file) never share one.
fn fingerprint(args: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in args.iter().flat_map(|a| a.bytes().chain([0])) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// POSIX shell single quotes: the remote command goes through the user's login shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// How a caller outside the engine (Install-RJobRemote) reaches a host as remote jobs do: ssh's
/// argv up to and including the host (the caller appends its remote command), and the
/// supervisor's path there.
#[derive(serde::Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SshCommand {
    pub argv: Vec<String>,
    pub supervisor_path: String,
}

/// The one-off ssh command for `r` (no connection sharing: a caller that reads ssh's output to
/// its end must not wait for a master left in the background). Validates `r` first.
pub fn ssh_command(r: &Remote) -> Result<SshCommand> {
    validate(r)?;
    let mut argv = vec![SSH.to_string()];
    argv.extend(ssh_args(r, &[]));
    Ok(SshCommand {
        argv,
        supervisor_path: r
            .supervisor_path
            .clone()
            .unwrap_or_else(|| DEFAULT_SUPERVISOR.to_string()),
    })
}

/// ssh's arguments, ending with `-- host`: never a prompt, `extra` options (connection sharing)
/// before the caller's, the caller's before the defaults.
fn ssh_args(r: &Remote, extra: &[String]) -> Vec<String> {
    // Theirs after ours: ssh takes the first value it gets for an option, so callers cannot turn
    // off BatchMode or move the master; the defaults after theirs are only defaults.
    let mut args: Vec<String> = vec!["-T".into(), "-o".into(), "BatchMode=yes".into()];
    args.extend_from_slice(extra);
    args.extend(connection(r));
    for d in [
        "ConnectTimeout=10",
        "ServerAliveInterval=15",
        "ServerAliveCountMax=3",
    ] {
        args.extend(["-o".to_string(), d.to_string()]);
    }
    args.extend(["--".to_string(), r.host.clone()]);
    args
}

/// What decides which host and account a connection reaches, as ssh arguments.
fn connection(r: &Remote) -> Vec<String> {
    let mut conn = Vec::new();
    if let Some(p) = r.port {
        conn.extend(["-p".to_string(), p.to_string()]);
    }
    if let Some(k) = &r.key_file {
        conn.extend(["-i".to_string(), k.clone()]);
    }
    if let Some(u) = &r.user {
        conn.extend(["-l".to_string(), u.clone()]);
    }
    for (k, v) in r.options.iter().flatten() {
        conn.extend(["-o".to_string(), format!("{k}={v}")]);
    }
    conn
}

/// The ssh command that starts `r`'s supervisor, sharing one master connection per connection
/// settings, and the (unlinked) file its stderr goes to.
pub fn command(r: &Remote) -> Result<(Command, File)> {
    let io = |what: &str, e: std::io::Error| EngineError::Spawn(format!("{what}: {e}"));
    let dir = control_dir().map_err(|e| io("no private folder for ssh connections", e))?;
    let fp = fingerprint(&connection(r));
    let sharing: Vec<String> = [
        "ControlMaster=auto".to_string(),
        format!("ControlPath={}/cm-{fp}-%C", dir.display()),
        "ControlPersist=60".to_string(),
    ]
    .into_iter()
    .flat_map(|o| ["-o".to_string(), o])
    .collect();
    let mut args = ssh_args(r, &sharing);
    let remote_cmd = match &r.supervisor_path {
        Some(p) => format!("{} --stdio", shell_quote(p)),
        None => format!("{DEFAULT_SUPERVISOR} --stdio"),
    };
    args.push(remote_cmd);
    let err_path = dir.join(format!(
        "err-{}-{}",
        std::process::id(),
        crate::engine::ids::new_instance_id()
    ));
    let err = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&err_path)
        .map_err(|e| io("cannot create a file for ssh's messages", e))?;
    let _ = std::fs::remove_file(&err_path);
    let theirs = err
        .try_clone()
        .map_err(|e| io("cannot create a file for ssh's messages", e))?;
    let mut cmd = Command::new(SSH);
    cmd.args(&args).stderr(theirs);
    Ok((cmd, err))
}

/// What ssh wrote to stderr, trimmed, lines joined by spaces (the `@@@` banner left out).
pub fn stderr_text(f: &File) -> String {
    let mut f = f;
    let mut text = String::new();
    if f.seek(SeekFrom::Start(0)).is_ok() {
        let _ = f.take(MAX_STDERR).read_to_string(&mut text);
    }
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("@@@"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The start error when the remote supervisor never answered.
pub fn start_failure(host: &str, how: Option<ExitStatus>, stderr: &File) -> String {
    let said = stderr_text(stderr);
    let code = how.and_then(|h| h.code());
    let hint = if code == Some(127) || code == Some(126) {
        format!(
            " (is rjob-supervisor installed on {host}? Install-RJobRemote copies it to ~/{DEFAULT_SUPERVISOR})"
        )
    } else {
        String::new()
    };
    let code = code.map_or_else(|| "killed".to_string(), |c| format!("exit {c}"));
    if said.is_empty() {
        format!("ssh to {host} ended ({code}) before the job started{hint}")
    } else {
        format!("ssh to {host} failed ({code}): {said}{hint}")
    }
}

/// The job's reason when the connection ended before the remote supervisor said the tree is gone.
pub fn connection_lost(host: &str, stderr: &File) -> String {
    let said = stderr_text(stderr);
    if said.is_empty() {
        format!("connection lost to {host}; the remote supervisor stops the job's processes")
    } else {
        format!(
            "connection lost to {host} ({said}); the remote supervisor stops the job's processes"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_that_ssh_could_misread_are_refused() {
        let r = |host: &str| Remote {
            host: host.into(),
            ..Default::default()
        };
        assert!(validate(&r("hostA")).is_ok());
        for h in ["", "-oProxyCommand=x", "a b", "a\nb"] {
            assert!(validate(&r(h)).is_err(), "{h:?}");
        }
        let mut o = r("h");
        o.options = Some([("Proxy Command".to_string(), "x".to_string())].into());
        assert!(validate(&o).is_err());
        o.options = Some([("ProxyCommand".to_string(), "x\ny".to_string())].into());
        assert!(validate(&o).is_err());
        o.options = Some([("HostKeyAlias".to_string(), "hostA".to_string())].into());
        assert!(validate(&o).is_ok());
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
    }
}
