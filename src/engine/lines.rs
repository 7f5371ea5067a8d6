//! Splits a byte stream into lines without ever holding more than `max` bytes of one line.

/// One piece of a line. `cont` is true when the line was longer than the limit and goes on in the
/// next piece, so a reader that needs whole lines can join the pieces.
#[derive(Debug, PartialEq, Eq)]
pub struct Piece {
    pub data: Vec<u8>,
    pub cont: bool,
}

/// The C library's memchr: vectorized, several times faster than a byte loop on long buffers.
fn find_newline(b: &[u8]) -> Option<usize> {
    // SAFETY: memchr reads at most `b.len()` bytes from `b`, and returns NULL or a pointer into it.
    let p = unsafe { libc::memchr(b.as_ptr().cast(), b'\n' as i32, b.len()) };
    (!p.is_null()).then(|| p as usize - b.as_ptr() as usize)
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
            match find_newline(bytes) {
                Some(nl) if self.buf.len() + nl <= self.max => {
                    // Most lines lie whole in one chunk: copy them once, at their size.
                    let mut line = if self.buf.is_empty() {
                        bytes[..nl].to_vec()
                    } else {
                        let mut l = std::mem::take(&mut self.buf);
                        l.extend_from_slice(&bytes[..nl]);
                        l
                    };
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    out(Piece {
                        data: line,
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

    /// Any bytes, cut anywhere, at any line limit: the pieces join back into exactly the lines
    /// (line endings removed).
    #[test]
    fn pieces_join_back_into_the_exact_lines() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..300 {
            let len = rnd(3000) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| match rnd(10) {
                    0 => b'\n',
                    1 => b'\r',
                    _ => rnd(256) as u8,
                })
                .collect();
            let max = 1 + rnd(40) as usize;
            let mut s = LineSplitter::new(max);
            let mut got: Vec<Vec<u8>> = vec![Vec::new()];
            let mut open = false;
            let mut push = |p: Piece| {
                assert!(p.data.len() <= max);
                got.last_mut().unwrap().extend_from_slice(&p.data);
                open = p.cont;
                if !p.cont {
                    got.push(Vec::new());
                }
            };
            let mut rest = &data[..];
            while !rest.is_empty() {
                let n = (1 + rnd(50) as usize).min(rest.len());
                s.feed(&rest[..n], &mut push);
                rest = &rest[n..];
            }
            s.finish(&mut push);
            got.pop();
            let mut want: Vec<Vec<u8>> = data
                .split(|&b| b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
                .collect();
            // The last part had no newline: its CR is not a line ending, and an empty one is no
            // line at all.
            let last = data.rsplit(|&b| b == b'\n').next().unwrap_or(&[]);
            want.pop();
            if !last.is_empty() {
                want.push(last.to_vec());
            }
            assert_eq!(got, want, "max {max}");
        }
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
