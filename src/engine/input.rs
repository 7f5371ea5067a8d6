//! Feeding a running job's stdin (a job started with `stdinPipe`): the bytes go to its supervisor
//! as `Input` frames, which writes them to the job's stdin pipe without blocking.

use crate::engine::error::{EngineError, Result};
use crate::engine::job::lock;
use crate::protocol::{Frame, MAX_INPUT};
use std::sync::Mutex;

/// A job's stdin as the engine sees it.
pub struct InputState(Mutex<Pipe>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pipe {
    /// Started without a stdin pipe.
    None,
    Open,
    /// Closed by an earlier call.
    Closed,
}

impl InputState {
    pub fn new(stdin_pipe: bool) -> InputState {
        InputState(Mutex::new(if stdin_pipe { Pipe::Open } else { Pipe::None }))
    }
}

/// Sends `bytes` to the job's stdin; `close` closes it after them. Returns once the frames are
/// handed to the supervisor's socket (not once the job has read them).
pub fn input(id: u64, bytes: &[u8], close: bool) -> Result<()> {
    let j = table_job(id)?;
    // Held across the frames, so the chunks of two callers never interleave.
    let mut pipe = lock(&j.input.0);
    match *pipe {
        Pipe::None => {
            return Err(EngineError::InvalidArgument(format!(
                "job {id} was not started with a stdin pipe"
            )))
        }
        Pipe::Closed => return Err(EngineError::InputClosed(id)),
        Pipe::Open => {}
    }
    {
        let st = j.status();
        if st.state.is_finished() || st.exit_code.is_some() || st.signal.is_some() {
            return Err(EngineError::InputClosed(id));
        }
    }
    let Some(control) = lock(&j.control).clone() else {
        return Err(EngineError::InputClosed(id));
    };
    let mut chunks = bytes.chunks(MAX_INPUT).peekable();
    if chunks.peek().is_none() && !close {
        return Ok(());
    }
    let send = |bytes: &[u8], close: bool| {
        control
            .send(&Frame::Input {
                bytes: bytes.to_vec(),
                close,
            })
            .map_err(|_| EngineError::InputClosed(id))
    };
    if bytes.is_empty() {
        send(&[], close)?;
    }
    while let Some(c) = chunks.next() {
        send(c, close && chunks.peek().is_none())?;
    }
    if close {
        *pipe = Pipe::Closed;
    }
    Ok(())
}

fn table_job(id: u64) -> Result<std::sync::Arc<crate::engine::job::Job>> {
    crate::engine::table::get(id).ok_or(EngineError::NotFound(id))
}
