//! The engine's error type and its mapping to ABI status codes.

use crate::status::RjobStatus;
use std::fmt;

#[derive(Debug)]
pub enum EngineError {
    NotFound(u64),
    InvalidArgument(String),
    JobActive(u64),
    Spawn(String),
    Io(std::io::Error),
    Timeout,
}

pub type Result<T> = std::result::Result<T, EngineError>;

impl EngineError {
    pub fn status(&self) -> RjobStatus {
        match self {
            EngineError::NotFound(_) => RjobStatus::NotFound,
            EngineError::InvalidArgument(_) => RjobStatus::InvalidArgument,
            EngineError::JobActive(_) => RjobStatus::JobActive,
            EngineError::Spawn(_) => RjobStatus::SpawnFailed,
            EngineError::Io(_) => RjobStatus::Io,
            EngineError::Timeout => RjobStatus::Timeout,
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::NotFound(id) => write!(f, "no job with id {id}"),
            EngineError::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            EngineError::JobActive(id) => write!(f, "job {id} has not finished"),
            EngineError::Spawn(m) => write!(f, "{m}"),
            EngineError::Io(e) => write!(f, "{e}"),
            EngineError::Timeout => write!(f, "timed out"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<std::io::Error> for EngineError {
    fn from(e: std::io::Error) -> Self {
        EngineError::Io(e)
    }
}
