//! Splits a byte stream into lines without ever holding more than `max` bytes of one line.

/// One piece of a line. `cont` is true when the line was longer than the limit and goes on in the
/// next piece, so a reader that needs whole lines can join the pieces.
#[derive(Debug, PartialEq, Eq)]
pub struct Piece {
    pub data: Vec<u8>,
    pub cont: bool,
}

pub struct LineSplitter {
    buf: Vec<u8>,
    max: usize,
}

impl LineSplitter {
    pub fn new(max: usize) -> LineSplitter {
        LineSplitter {
            buf: Vec::new(),
            max: max.max(1),
        }
    }

    /// Feeds bytes and hands every complete line (or over-long piece) to `out`, without its
    /// line ending (`\n` or `\r\n`).
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut impl FnMut(Piece)) {
        while !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\n') {
                Some(nl) if self.buf.len() + nl <= self.max => {
                    self.buf.extend_from_slice(&bytes[..nl]);
                    if self.buf.last() == Some(&b'\r') {
                        self.buf.pop();
                    }
                    out(Piece {
                        data: std::mem::take(&mut self.buf),
                        cont: false,
                    });
                    bytes = &bytes[nl + 1..];
                }
                _ => {
                    let room = self.max - self.buf.len();
                    let take = room.min(bytes.len());
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.buf.len() == self.max && !bytes.is_empty() && bytes[0] != b'\n' {
                        out(Piece {
                            data: std::mem::take(&mut self.buf),
                            cont: true,
                        });
                    }
                }
            }
        }
    }

    /// Delivers a last line that had no newline.
    pub fn finish(&mut self, out: &mut impl FnMut(Piece)) {
        if !self.buf.is_empty() {
            out(Piece {
                data: std::mem::take(&mut self.buf),
                cont: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<(String, bool)> {
        let mut s = LineSplitter::new(max);
        let mut v = Vec::new();
        let mut push = |p: Piece| v.push((String::from_utf8(p.data).unwrap(), p.cont));
        for c in chunks {
            s.feed(c, &mut push);
        }
        s.finish(&mut push);
        v
    }

    #[test]
    fn lines_across_chunks_and_crlf() {
        let v = split(100, &[b"ab", b"c\r\nd", b"e\n\nlast"]);
        assert_eq!(
            v,
            vec![
                ("abc".into(), false),
                ("de".into(), false),
                ("".into(), false),
                ("last".into(), false)
            ]
        );
    }

    /// A reader that fails with EINTR before every chunk, as reads inside pwsh can.
    struct Interrupting<'a> {
        data: &'a [u8],
        flip: bool,
    }

    impl std::io::Read for Interrupting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.flip = !self.flip;
            if self.flip {
                return Err(std::io::Error::from(std::io::ErrorKind::Interrupted));
            }
            let n = buf.len().min(self.data.len()).min(3);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn line_reader_retries_interrupted_reads() {
        let mut r = LineReader::new(
            Interrupting {
                data: b"first line\nsecond\n",
                flip: false,
            },
            100,
        );
        assert_eq!(r.next_line().as_deref(), Some(&b"first line"[..]));
        assert_eq!(r.next_line().as_deref(), Some(&b"second"[..]));
        assert_eq!(r.next_line(), None);
    }

    #[test]
    fn long_lines_are_cut_and_marked() {
        let v = split(3, &[b"abcdefg\nxyz\n"]);
        assert_eq!(
            v,
            vec![
                ("abc".into(), true),
                ("def".into(), true),
                ("g".into(), false),
                ("xyz".into(), false)
            ]
        );
    }
}

/// Reads whole lines from a blocking reader, keeping bytes that arrived after a line.
pub struct LineReader<R> {
    inner: R,
    splitter: LineSplitter,
    pending: std::collections::VecDeque<Vec<u8>>,
}

impl<R: std::io::Read> LineReader<R> {
    pub fn new(inner: R, max: usize) -> LineReader<R> {
        LineReader {
            inner,
            splitter: LineSplitter::new(max),
            pending: Default::default(),
        }
    }

    /// The next line, or None at EOF or on an error.
    pub fn next_line(&mut self) -> Option<Vec<u8>> {
        let mut buf = [0u8; 4096];
        while self.pending.is_empty() {
            let n = match self.inner.read(&mut buf) {
                Ok(0) => return None,
                Ok(n) => n,
                // The .NET runtime signals threads (GC suspension, for one): a read it interrupts
                // is retried, not taken for the end of the stream.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return None,
            };
            let pending = &mut self.pending;
            self.splitter
                .feed(&buf[..n], &mut |p| pending.push_back(p.data));
        }
        self.pending.pop_front()
    }

    /// Gives back the reader, the splitter and lines already split but not yet returned.
    pub fn into_parts(self) -> (R, LineSplitter, Vec<Vec<u8>>) {
        (
            self.inner,
            self.splitter,
            self.pending.into_iter().collect(),
        )
    }
}
