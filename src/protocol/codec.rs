//! Frames over a byte stream: an incremental decoder for non-blocking loops, a blocking reader,
//! and a writer. Reads interrupted by a signal are retried (the .NET runtime signals its threads),
//! short reads are buffered, and bad input is an error, never a panic.

use super::{Frame, ProtocolError, HEADER_LEN};
use std::io::{self, Read, Write};

/// How much one read asks for at most.
const READ_CHUNK: usize = 128 << 10;
/// How much the first read asks for. Each read that fills what it asked for doubles the next, up
/// to `READ_CHUNK`: a stream of small frames never zeroes (and faults in) 128 KiB, which was a
/// quarter of a supervisor's CPU per start, while bulk output reaches full reads within a few.
const FIRST_READ: usize = 4 << 10;

/// Collects bytes and hands out whole frames.
#[derive(Default)]
pub struct Decoder {
    /// Always initialized up to its length; bytes `start..end` are received and not yet decoded.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// What the next read asks for (0: `FIRST_READ`).
    chunk: usize,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Adds bytes that arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.make_room(bytes.len());
        self.buf[self.end..self.end + bytes.len()].copy_from_slice(bytes);
        self.end += bytes.len();
    }

    /// Reads once from `r` into the buffer; `Ok(0)` at end of stream. EINTR is retried;
    /// `WouldBlock` is returned to the caller of a non-blocking stream.
    pub fn read_from<R: Read + ?Sized>(&mut self, r: &mut R) -> io::Result<usize> {
        let want = self.chunk.max(FIRST_READ);
        self.make_room(want);
        loop {
            match r.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(n) => {
                    if n == self.buf.len() - self.end {
                        self.chunk = (want * 2).min(READ_CHUNK);
                    }
                    self.end += n;
                    return Ok(n);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The next whole frame, if the buffer holds one.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ProtocolError> {
        let avail = &self.buf[self.start..self.end];
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

    /// Like [`Decoder::next_frame`], but a `Data` frame's bytes are lent from the buffer rather
    /// than copied (the engine's hot path).
    pub fn next_borrowed(&mut self) -> Result<Option<Borrowed<'_>>, ProtocolError> {
        let avail = &self.buf[self.start..self.end];
        if avail.len() < HEADER_LEN + 1 || avail[4] != super::kind::DATA {
            return Ok(self.next_frame()?.map(Borrowed::Frame));
        }
        let len = Frame::check_len(u32::from_le_bytes(avail[..4].try_into().expect("4")))?;
        if avail.len() < 4 + len {
            return Ok(None);
        }
        let at = self.start + HEADER_LEN;
        let stream = self.buf[at];
        if len < 2 || stream > super::RECORDS || len - 2 > super::MAX_DATA {
            // Let the full decoder name the fault.
            return Ok(self.next_frame()?.map(Borrowed::Frame));
        }
        self.start += 4 + len;
        Ok(Some(Borrowed::Data {
            stream,
            bytes: &self.buf[at + 1..at - 1 + len],
        }))
    }

    /// True when no partial frame is buffered.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Makes `n` bytes of room after `end`: moves what is left to the front (it is less than a
    /// frame), and grows the buffer only when that is not enough. Nothing is zeroed twice.
    fn make_room(&mut self, n: usize) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end >= n {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < n {
            self.buf.resize(self.end + n, 0);
        }
    }
}

/// A frame whose `Data` bytes are borrowed.
#[derive(Debug, PartialEq, Eq)]
pub enum Borrowed<'a> {
    Data { stream: u8, bytes: &'a [u8] },
    Frame(Frame),
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
