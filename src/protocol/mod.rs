//! What the engine and a job's supervisor say to each other: one framed, versioned binary format
//! that runs over any byte stream (the unix socket on the supervisor's fd 0 today, ssh's stdio
//! for remote jobs later).
//!
//! A frame is a `u32` little-endian length (of everything after it), a `u8` kind and a payload.
//! The engine's first frame is `Launch`, whose payload starts with the protocol version; the
//! supervisor answers `SpawnError` for a version it does not speak.
//!
//! Output flows under credit, as in SSH channel windows: the supervisor starts with
//! [`INITIAL_WINDOW`] bytes of credit, sends `Data` only within the credit it holds and stops
//! reading the job's pipes when it has none (the job then blocks on write, as with any full
//! pipe). The engine grants `Credit` as it stores bytes. Every other frame (commands, events)
//! needs no credit, so stopping a job or learning its exit never waits for output.

mod codec;

pub use codec::{write_frame, Borrowed, Decoder, FrameReader};

use std::fmt;

/// The protocol version this build speaks.
pub const VERSION: u16 = 1;
/// Length field, then kind.
pub const HEADER_LEN: usize = 5;
/// Largest payload a frame may carry (the launch spec must fit in one).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Largest chunk of output in one `Data` frame.
pub const MAX_DATA: usize = 64 << 10;
/// Bytes of output the supervisor may send before the engine's first `Credit`.
pub const INITIAL_WINDOW: u64 = 1 << 20;
/// Most bytes one `Input` frame carries (its payload is a flags byte and the bytes).
pub const MAX_INPUT: usize = MAX_PAYLOAD - 1;
/// Once every process of the job is gone, the supervisor may send up to this much of what is
/// left in the pipes without credit (a pipe holds 64 KiB by default), so a job whose output is
/// paused still ends, with all it wrote, without waiting for a reader.
pub const END_ALLOWANCE: u64 = 1 << 20;

/// Output streams of a job, as `Data` frames and output records name them.
pub const STDOUT: u8 = 0;
pub const STDERR: u8 = 1;
/// fd 3 of the job when the spec asks for it: the channel the PowerShell job host writes its
/// serialized records to, which a script writing to stdout cannot forge.
pub const RECORDS: u8 = 2;

/// The Launch frame carries the start spec itself: one definition for the ABI and the wire.
pub type Launch = crate::spec::StartSpec;

/// How the job's main process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Engine to supervisor, first: what to run (JSON of the start spec). After `Done` the engine
    /// may send the next job's `Launch` on the same stream, or close it.
    Launch { version: u16, spec: Vec<u8> },
    /// SIGTERM to the job's tree, SIGKILL to what is left after `grace_ms`.
    Term { grace_ms: u64 },
    /// SIGKILL to the job's tree now.
    Kill,
    /// The engine took this many more bytes of output.
    Credit { bytes: u64 },
    /// Bytes for the job's stdin (a launch with `stdinPipe`), at most [`MAX_INPUT`]; with `close`
    /// the supervisor closes the job's stdin once they are written. Older supervisors do not know
    /// this kind, but they also refuse a launch spec with `stdinPipe`, so they never receive it.
    Input { bytes: Vec<u8>, close: bool },
    /// Supervisor to engine: the job's main process runs.
    Started { pid: i32 },
    /// The job could not be started (or the launch was refused); the supervisor exits next.
    SpawnError { errno: i32, message: String },
    /// Output of one stream, at most [`MAX_DATA`] bytes.
    Data { stream: u8, bytes: Vec<u8> },
    /// The job's main process ended.
    Exited(Exit),
    /// Every process of the job is gone and all its output was sent; the supervisor waits for the
    /// next `Launch`, and exits at the end of the stream.
    Done,
}

mod kind {
    pub const LAUNCH: u8 = 1;
    pub const TERM: u8 = 2;
    pub const KILL: u8 = 3;
    pub const CREDIT: u8 = 4;
    pub const INPUT: u8 = 5;
    pub const STARTED: u8 = 0x81;
    pub const SPAWN_ERROR: u8 = 0x82;
    pub const DATA: u8 = 0x83;
    pub const EXITED: u8 = 0x84;
    pub const DONE: u8 = 0x85;
}

/// Why bytes are not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The length field is 0 (no kind) or announces more than a frame may hold.
    BadLength(u32),
    UnknownKind(u8),
    /// The payload does not have the shape its kind requires.
    BadPayload(u8, &'static str),
    /// A frame the encoder refuses to build (payload too large).
    TooLarge(&'static str, usize),
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::BadLength(n) => write!(f, "bad frame length {n}"),
            ProtocolError::UnknownKind(k) => write!(f, "unknown frame kind {k:#04x}"),
            ProtocolError::BadPayload(k, why) => write!(f, "bad payload for frame {k:#04x}: {why}"),
            ProtocolError::TooLarge(what, n) => write!(
                f,
                "{what} is {n} bytes; a frame holds at most {MAX_PAYLOAD} bytes"
            ),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl From<ProtocolError> for std::io::Error {
    fn from(e: ProtocolError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }
}

impl Frame {
    /// Appends the whole frame (header included) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        let start = out.len();
        out.extend_from_slice(&[0; HEADER_LEN]);
        let k = match self {
            Frame::Launch { version, spec } => {
                if spec.len() + 2 > MAX_PAYLOAD {
                    out.truncate(start);
                    return Err(ProtocolError::TooLarge("the launch spec", spec.len()));
                }
                out.extend_from_slice(&version.to_le_bytes());
                out.extend_from_slice(spec);
                kind::LAUNCH
            }
            Frame::Term { grace_ms } => {
                out.extend_from_slice(&grace_ms.to_le_bytes());
                kind::TERM
            }
            Frame::Kill => kind::KILL,
            Frame::Credit { bytes } => {
                out.extend_from_slice(&bytes.to_le_bytes());
                kind::CREDIT
            }
            Frame::Input { bytes, close } => {
                if bytes.len() > MAX_INPUT {
                    out.truncate(start);
                    return Err(ProtocolError::TooLarge("an input chunk", bytes.len()));
                }
                out.push(u8::from(*close));
                out.extend_from_slice(bytes);
                kind::INPUT
            }
            Frame::Started { pid } => {
                out.extend_from_slice(&pid.to_le_bytes());
                kind::STARTED
            }
            Frame::SpawnError { errno, message } => {
                out.extend_from_slice(&errno.to_le_bytes());
                // A message never makes a frame fail: cut it, on a character boundary.
                let mut end = message.len().min(MAX_PAYLOAD - 4);
                while !message.is_char_boundary(end) {
                    end -= 1;
                }
                out.extend_from_slice(&message.as_bytes()[..end]);
                kind::SPAWN_ERROR
            }
            Frame::Data { stream, bytes } => {
                out.truncate(start);
                return encode_data(*stream, bytes, out);
            }
            Frame::Exited(e) => {
                let (tag, v) = match e {
                    Exit::Code(c) => (0u8, c),
                    Exit::Signal(s) => (1u8, s),
                };
                out.push(tag);
                out.extend_from_slice(&v.to_le_bytes());
                kind::EXITED
            }
            Frame::Done => kind::DONE,
        };
        let len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
        out[start + 4] = k;
        Ok(())
    }

    /// The frame as bytes; see [`Frame::encode`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
    }

    /// Checks a frame's length field: the bytes that follow it must hold a kind and fit.
    pub fn check_len(len: u32) -> Result<usize, ProtocolError> {
        let n = len as usize;
        if n == 0 || n > 1 + MAX_PAYLOAD {
            return Err(ProtocolError::BadLength(len));
        }
        Ok(n)
    }

    /// Builds a frame from its kind and payload, checking the payload's shape.
    pub fn decode(k: u8, p: &[u8]) -> Result<Frame, ProtocolError> {
        let bad = |why| Err(ProtocolError::BadPayload(k, why));
        let fixed = |n: usize| -> Result<(), ProtocolError> {
            if p.len() == n {
                Ok(())
            } else {
                Err(ProtocolError::BadPayload(k, "wrong length"))
            }
        };
        let u64_at = |i: usize| u64::from_le_bytes(p[i..i + 8].try_into().expect("8 bytes"));
        let i32_at = |i: usize| i32::from_le_bytes(p[i..i + 4].try_into().expect("4 bytes"));
        Ok(match k {
            kind::LAUNCH => {
                if p.len() < 2 {
                    return bad("no version");
                }
                Frame::Launch {
                    version: u16::from_le_bytes([p[0], p[1]]),
                    spec: p[2..].to_vec(),
                }
            }
            kind::TERM => {
                fixed(8)?;
                Frame::Term {
                    grace_ms: u64_at(0),
                }
            }
            kind::KILL => {
                fixed(0)?;
                Frame::Kill
            }
            kind::CREDIT => {
                fixed(8)?;
                Frame::Credit { bytes: u64_at(0) }
            }
            kind::INPUT => match p.first() {
                None => return bad("no flags"),
                Some(f) if *f > 1 => return bad("unknown input flags"),
                Some(f) => Frame::Input {
                    bytes: p[1..].to_vec(),
                    close: *f == 1,
                },
            },
            kind::STARTED => {
                fixed(4)?;
                Frame::Started { pid: i32_at(0) }
            }
            kind::SPAWN_ERROR => {
                if p.len() < 4 {
                    return bad("no errno");
                }
                match std::str::from_utf8(&p[4..]) {
                    Ok(m) => Frame::SpawnError {
                        errno: i32_at(0),
                        message: m.to_string(),
                    },
                    Err(_) => return bad("message is not UTF-8"),
                }
            }
            kind::DATA => {
                if p.is_empty() {
                    return bad("no stream");
                }
                if p[0] > RECORDS {
                    return bad("unknown stream");
                }
                if p.len() - 1 > MAX_DATA {
                    return bad("data chunk too large");
                }
                Frame::Data {
                    stream: p[0],
                    bytes: p[1..].to_vec(),
                }
            }
            kind::EXITED => {
                fixed(5)?;
                match p[0] {
                    0 => Frame::Exited(Exit::Code(i32_at(1))),
                    1 => Frame::Exited(Exit::Signal(i32_at(1))),
                    _ => return bad("unknown exit tag"),
                }
            }
            kind::DONE => {
                fixed(0)?;
                Frame::Done
            }
            _ => return Err(ProtocolError::UnknownKind(k)),
        })
    }
}

/// Appends a `Data` frame straight from a borrowed chunk (the supervisor's hot path).
pub fn encode_data(stream: u8, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    if bytes.len() > MAX_DATA {
        return Err(ProtocolError::TooLarge("a data chunk", bytes.len()));
    }
    out.extend_from_slice(&((bytes.len() + 2) as u32).to_le_bytes());
    out.push(kind::DATA);
    out.push(stream);
    out.extend_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests;
