//! The engine's error type. The ABI maps it to status codes (`ffi::guard`).

use std::fmt;

#[derive(Debug)]
pub enum EngineError {
    NotFound(u64),
    InvalidArgument(String),
    JobActive(u64),
    Spawn(String),
    Io(std::io::Error),
    Timeout,
    /// The job's stdin is closed (by an earlier call) or the job has ended.
    InputClosed(u64),
}

pub type Result<T> = std::result::Result<T, EngineError>;

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::NotFound(id) => write!(f, "no job with id {id}"),
            EngineError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            EngineError::JobActive(id) => write!(f, "job {id} has not finished"),
            EngineError::Spawn(m) => write!(f, "{m}"),
            EngineError::Io(e) => write!(f, "{e}"),
            EngineError::Timeout => write!(f, "timed out"),
            EngineError::InputClosed(id) => {
                write!(
                    f,
                    "job {id} takes no more input: its stdin is closed or it has ended"
                )
            }
        }
    }
}

impl std::error::Error for EngineError {}

impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        EngineError::Io(e)
    }
}
