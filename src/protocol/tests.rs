use super::*;
use std::io::{self, Read};

fn every_frame() -> Vec<Frame> {
    vec![
        Frame::Launch {
            version: VERSION,
            spec: br#"{"argv":["/bin/true"]}"#.to_vec(),
        },
        Frame::Launch {
            version: 0xBEEF,
            spec: Vec::new(),
        },
        Frame::Term { grace_ms: 1500 },
        Frame::Term { grace_ms: u64::MAX },
        Frame::Kill,
        Frame::Credit { bytes: 65536 },
        Frame::Input {
            bytes: b"payload\n".to_vec(),
            close: false,
        },
        Frame::Input {
            bytes: Vec::new(),
            close: true,
        },
        Frame::Input {
            bytes: vec![0; MAX_INPUT],
            close: true,
        },
        Frame::Started { pid: 4242 },
        Frame::SpawnError {
            errno: 2,
            message: "executable not found: /nix €".into(),
        },
        Frame::Data {
            stream: STDOUT,
            bytes: b"line\n".to_vec(),
        },
        Frame::Data {
            stream: STDERR,
            bytes: vec![0xff, 0xfe, 0, b'\n'],
        },
        Frame::Data {
            stream: RECORDS,
            bytes: vec![7; MAX_DATA],
        },
        Frame::Data {
            stream: STDOUT,
            bytes: Vec::new(),
        },
        Frame::Exited(Exit::Code(0)),
        Frame::Exited(Exit::Code(-3)),
        Frame::Exited(Exit::Signal(9)),
        Frame::Done,
    ]
}

fn all_bytes(frames: &[Frame]) -> Vec<u8> {
    let mut v = Vec::new();
    for f in frames {
        f.encode(&mut v).unwrap();
    }
    v
}

/// Hands out at most `step` bytes per read, and fails with EINTR before every other read, as
/// reads inside pwsh can.
struct Dribble<'a> {
    data: &'a [u8],
    step: usize,
    flip: bool,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.flip = !self.flip;
        if self.flip {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.data.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn every_frame_round_trips() {
    for f in every_frame() {
        let b = f.to_bytes().unwrap();
        assert_eq!(
            u32::from_le_bytes(b[..4].try_into().unwrap()) as usize,
            b.len() - 4
        );
        let mut d = Decoder::new();
        d.push(&b);
        assert_eq!(d.next_frame().unwrap(), Some(f));
        assert!(d.is_empty());
        assert_eq!(d.next_frame().unwrap(), None);
    }
}

#[test]
fn a_stream_of_frames_survives_short_and_interrupted_reads() {
    let frames = every_frame();
    let bytes = all_bytes(&frames);
    for step in [1, 3, 7, 4096, usize::MAX] {
        let mut r = FrameReader::new(Dribble {
            data: &bytes,
            step,
            flip: false,
        });
        let mut got = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            got.push(f);
        }
        assert_eq!(got, frames, "step {step}");
    }
}

#[test]
fn a_stream_cut_inside_a_frame_is_an_error_not_a_frame() {
    let bytes = Frame::Data {
        stream: STDOUT,
        bytes: b"hello".to_vec(),
    }
    .to_bytes()
    .unwrap();
    for cut in 1..bytes.len() {
        let mut r = FrameReader::new(&bytes[..cut]);
        let e = r.next_frame().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
    }
    let mut r = FrameReader::new(&b""[..]);
    assert!(r.next_frame().unwrap().is_none());
}

#[test]
fn oversize_and_zero_lengths_are_refused_before_buffering() {
    for len in [0u32, (MAX_PAYLOAD + 2) as u32, u32::MAX] {
        let mut d = Decoder::new();
        d.push(&len.to_le_bytes());
        assert_eq!(d.next_frame(), Err(ProtocolError::BadLength(len)));
    }
    // The largest frame allowed is fine.
    let big = Frame::Launch {
        version: VERSION,
        spec: vec![b' '; MAX_PAYLOAD - 2],
    };
    let mut d = Decoder::new();
    d.push(&big.to_bytes().unwrap());
    assert_eq!(d.next_frame().unwrap(), Some(big));
}

#[test]
fn the_encoder_refuses_what_the_decoder_would() {
    let mut out = b"keep".to_vec();
    let spec = vec![b' '; MAX_PAYLOAD];
    assert!(Frame::Launch { version: 1, spec }.encode(&mut out).is_err());
    let bytes = vec![0; MAX_DATA + 1];
    assert!(Frame::Data { stream: 0, bytes }.encode(&mut out).is_err());
    let bytes = vec![0; MAX_INPUT + 1];
    let close = true;
    assert!(Frame::Input { bytes, close }.encode(&mut out).is_err());
    assert_eq!(out, b"keep", "nothing half-written");
    // An over-long error message is cut, on a character boundary, rather than refused.
    let message = "€".repeat(MAX_PAYLOAD);
    let b = Frame::SpawnError { errno: 1, message }.to_bytes().unwrap();
    let mut d = Decoder::new();
    d.push(&b);
    match d.next_frame().unwrap() {
        Some(Frame::SpawnError { message, .. }) => assert!(message.len() <= MAX_PAYLOAD - 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_kinds_and_bad_payloads_are_errors() {
    let raw = |kind: u8, payload: &[u8]| {
        let mut v = ((payload.len() + 1) as u32).to_le_bytes().to_vec();
        v.push(kind);
        v.extend_from_slice(payload);
        let mut d = Decoder::new();
        d.push(&v);
        d.next_frame()
    };
    assert_eq!(raw(0x7f, b""), Err(ProtocolError::UnknownKind(0x7f)));
    assert_eq!(raw(0, b""), Err(ProtocolError::UnknownKind(0)));
    for (k, p) in [
        (kind::TERM, &b"1234567"[..]),
        (kind::KILL, b"x"),
        (kind::CREDIT, b""),
        (kind::STARTED, b"12345"),
        (kind::SPAWN_ERROR, b"12"),
        (kind::SPAWN_ERROR, b"1234\xff"),
        (kind::DATA, b""),
        (kind::DATA, b"\x03abc"),
        (kind::EXITED, b"\x02\0\0\0\0"),
        (kind::EXITED, b"\0\0\0\0"),
        (kind::DONE, b"x"),
        (kind::LAUNCH, b"1"),
        (kind::INPUT, b""),
        (kind::INPUT, b"\x02abc"),
    ] {
        assert!(
            matches!(raw(k, p), Err(ProtocolError::BadPayload(..))),
            "kind {k:#x} payload {p:?}"
        );
    }
    let mut big = vec![STDOUT];
    big.extend(vec![0; MAX_DATA + 1]);
    assert!(raw(kind::DATA, &big).is_err());
}

#[test]
fn garbage_never_panics() {
    // A small xorshift: arbitrary bytes, and valid streams with one byte flipped.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let valid = all_bytes(&every_frame());
    for round in 0..2000 {
        let mut bytes = if round % 2 == 0 {
            (0..(rnd() % 64)).map(|_| rnd() as u8).collect::<Vec<_>>()
        } else {
            valid.clone()
        };
        if round % 2 == 1 {
            let i = (rnd() as usize) % bytes.len();
            bytes[i] ^= 1 << (rnd() % 8);
        }
        let mut r = FrameReader::new(&bytes[..]);
        for _ in 0..100 {
            match r.next_frame() {
                Ok(Some(_)) => continue,
                _ => break,
            }
        }
        let mut d = Decoder::new();
        d.push(&bytes);
        for _ in 0..100 {
            match d.next_borrowed() {
                Ok(Some(_)) => continue,
                _ => break,
            }
        }
    }
}

#[test]
fn borrowed_reads_agree_with_owned_ones_on_good_and_bad_input() {
    let frames = every_frame();
    let bytes = all_bytes(&frames);
    let mut d = Decoder::new();
    let mut got = Vec::new();
    for chunk in bytes.chunks(5) {
        d.push(chunk);
        while let Some(b) = d.next_borrowed().unwrap() {
            got.push(match b {
                Borrowed::Data { stream, bytes } => Frame::Data {
                    stream,
                    bytes: bytes.to_vec(),
                },
                Borrowed::Frame(f) => f,
            });
        }
    }
    assert_eq!(got, frames);
    for bad in [
        &[1u8, 0, 0, 0, kind::DATA, 9][..],
        &[2, 0, 0, 0, kind::DATA, 9, 9],
    ] {
        let mut d = Decoder::new();
        d.push(bad);
        assert!(d.next_borrowed().is_err(), "{bad:?}");
    }
}

#[test]
fn write_frame_writes_whole_frames() {
    let mut out = Vec::new();
    for f in every_frame() {
        write_frame(&mut out, &f).unwrap();
    }
    assert_eq!(out, all_bytes(&every_frame()));
}

#[test]
fn input_frames_carry_bytes_and_the_close_flag_apart() {
    // An empty chunk that closes, and a chunk that starts with the byte 1, are different frames.
    let close = Frame::Input {
        bytes: Vec::new(),
        close: true,
    };
    assert_eq!(close.to_bytes().unwrap(), [2, 0, 0, 0, kind::INPUT, 1]);
    let data = Frame::Input {
        bytes: vec![1],
        close: false,
    };
    assert_eq!(data.to_bytes().unwrap(), [3, 0, 0, 0, kind::INPUT, 0, 1]);
}
