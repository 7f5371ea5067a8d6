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
