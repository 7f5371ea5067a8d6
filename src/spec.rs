//! The start spec: the JSON a caller passes to start a job, and (the same struct, completed by the
//! engine) what the `Launch` frame carries to the job's supervisor.

use crate::engine::error::{EngineError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DEFAULT_GRACE_MS: u64 = 5_000;
pub const DEFAULT_OUTPUT_WINDOW: usize = 1 << 20;
/// Longest grace period a start or a stop accepts.
pub const MAX_GRACE_MS: u64 = 24 * 3600 * 1000;

/// The one check of a grace period, for a start's spec and for a stop's override.
pub fn check_grace_ms(ms: u64) -> Result<()> {
    if ms > MAX_GRACE_MS {
        return Err(EngineError::InvalidArgument(
            "the grace period is longer than a day".into(),
        ));
    }
    Ok(())
}

/// What `rjob_start` accepts, and what the supervisor is launched with.
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StartSpec {
    /// Executable (absolute or relative path) and its arguments, passed as they are: no shell.
    pub argv: Vec<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Display text for the Command column; defaults to argv joined by spaces.
    #[serde(default)]
    pub command: Option<String>,
    /// Free text naming the kind of job ("Native", "Script"), shown as PSJobTypeName.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    /// Written to the job's stdin, which is then closed (unless `stdin_pipe`).
    #[serde(default)]
    pub stdin: Option<String>,
    /// The job's stdin is a pipe the supervisor keeps open after `stdin` (if any) is written:
    /// more comes with `engine::input` (`rjob_input`), which also closes it.
    #[serde(default)]
    pub stdin_pipe: bool,
    #[serde(default)]
    pub grace_ms: Option<u64>,
    /// Bytes of output kept in memory before the rest goes to a spool file.
    #[serde(default)]
    pub output_window: Option<usize>,
    /// Where that spool file goes; defaults to `engine::spool_dir()`.
    #[serde(default)]
    pub spool_dir: Option<String>,
    /// Give the job fd 3, a pipe whose lines come back as the records stream (2).
    #[serde(default)]
    pub records: bool,
    /// Set by the engine, never by a caller: the supervisor puts it in the job's environment as
    /// `RJOB_JOB_COOKIE`, so the job's processes can be found even without the supervisor.
    #[serde(default)]
    pub cookie: Option<String>,
    /// Run the job on another host, through ssh (see `engine::remote`).
    #[serde(default)]
    pub remote: Option<Remote>,
    /// `rjob_start` returns once the job's supervisor has its spec, without waiting for the
    /// job's process: its pid is unknown until it runs, and a process that cannot start fails the
    /// job, with the reason. A caller's next start then overlaps this one. Remote starts always
    /// wait: why they fail is read from ssh. The engine's alone: never sent to the supervisor.
    #[serde(default, skip_serializing)]
    pub no_wait: bool,
}

/// Where a remote job runs and how ssh reaches it.
#[derive(Serialize, Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Remote {
    pub host: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub key_file: Option<String>,
    /// ssh options, each passed as `-o Key=Value`.
    #[serde(default)]
    pub options: Option<BTreeMap<String, String>>,
    /// The supervisor's path on the remote host; default `engine::remote::DEFAULT_SUPERVISOR`.
    #[serde(default)]
    pub supervisor_path: Option<String>,
}

impl StartSpec {
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(EngineError::InvalidArgument(m.to_string()));
        match self.argv.first() {
            None => return bad("argv is empty"),
            Some(a) if a.is_empty() => return bad("the executable path is empty"),
            _ => {}
        }
        let texts = self
            .argv
            .iter()
            .chain(self.cwd.iter())
            .chain(self.name.iter())
            .chain(
                self.env
                    .iter()
                    .flat_map(|e| e.iter().flat_map(|(k, v)| [k, v])),
            );
        for t in texts {
            if t.contains('\0') {
                return bad("a string holds a NUL character");
            }
        }
        if let Some(env) = &self.env {
            if env.keys().any(|k| k.is_empty() || k.contains('=')) {
                return bad("an environment variable name is empty or holds '='");
            }
        }
        if matches!(&self.cwd, Some(d) if d.is_empty()) {
            return bad("the working directory is empty");
        }
        check_grace_ms(self.grace_ms.unwrap_or(0))?;
        if self.cookie.is_some() {
            return bad("cookie is set by the engine, not by the caller");
        }
        if let Some(r) = &self.remote {
            crate::engine::remote::validate(r)?;
        }
        Ok(())
    }
}
