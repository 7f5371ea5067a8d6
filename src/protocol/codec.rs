//! Frames over a byte stream: an incremental decoder for non-blocking loops, a blocking reader,
//! and a writer. Reads interrupted by a signal are retried (the .NET runtime signals its threads),
//! short reads are buffered, and bad input is an error, never a panic.

use super::{Frame, ProtocolError, HEADER_LEN};
use std::io::{self, Read, Write};

/// How much one read asks for.
const READ_CHUNK: usize = 128 << 10;

/// Collects bytes and hands out whole frames.
#[derive(Default)]
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Adds bytes that arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// Reads once from `r` into the buffer; `Ok(0)` at end of stream. EINTR is retried;
    /// `WouldBlock` is returned to the caller of a non-blocking stream.
    pub fn read_from<R: Read + ?Sized>(&mut self, r: &mut R) -> io::Result<usize> {
        self.compact();
        let len = self.buf.len();
        self.buf.resize(len + READ_CHUNK, 0);
        let res = loop {
            match r.read(&mut self.buf[len..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.buf.truncate(len + *res.as_ref().unwrap_or(&0));
        res
    }

    /// The next whole frame, if the buffer holds one.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ProtocolError> {
        let avail = &self.buf[self.start..];
        if avail.len() < 4 {
            return Ok(None);
        }
        let len = Frame::check_len(u32::from_le_bytes(avail[..4].try_into().expect("4")))?;
        if avail.len() < 4 + len {
            return Ok(None);
        }
        let frame = Frame::decode(avail[4], &avail[HEADER_LEN..4 + len])?;
        self.start += 4 + len;
        Ok(Some(frame))
    }

    /// True when no partial frame is buffered.
    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

/// Reads frames from a blocking stream.
pub struct FrameReader<R> {
    inner: R,
    dec: Decoder,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R) -> FrameReader<R> {
        FrameReader {
            inner,
            dec: Decoder::new(),
        }
    }

    /// The next frame; `Ok(None)` when the stream ends between frames. A stream that ends inside
    /// a frame is `UnexpectedEof`; garbage is `InvalidData`.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        loop {
            if let Some(f) = self.dec.next_frame()? {
                return Ok(Some(f));
            }
            if self.dec.read_from(&mut self.inner)? == 0 {
                return if self.dec.is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stream ended inside a frame",
                    ))
                };
            }
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The stream and whatever was read past the last frame returned.
    pub fn into_parts(self) -> (R, Decoder) {
        (self.inner, self.dec)
    }
}

/// Writes one whole frame (`write_all` retries interrupted and short writes).
pub fn write_frame<W: Write + ?Sized>(w: &mut W, f: &Frame) -> io::Result<()> {
    w.write_all(&f.to_bytes()?)
}
