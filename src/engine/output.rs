//! A job's output records, bounded in memory.
//!
//! Records live in memory up to a byte window; beyond it they go to a spool file that is created
//! mode 0600 in a per-user directory and unlinked at once, so it vanishes with the job even if the
//! process dies. The unread records are always the memory part followed by the spool part, so
//! order is kept: once anything is spooled, new records follow it into the spool until the reader
//! has caught up, and then the spool is dropped.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

pub const STDOUT: u8 = 0;
pub const STDERR: u8 = 1;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub stream: u8,
    /// The line continues in the next record (it was longer than the line limit).
    pub cont: bool,
    pub data: Vec<u8>,
}

impl Record {
    fn cost(&self) -> usize {
        self.data.len() + 32
    }
}

const HEADER: usize = 5; // stream/cont byte + u32 length
const INDEX_EVERY: u64 = 1024;
const READ_CHUNK: usize = 1 << 20;

struct Spool {
    file: File,
    writer: BufWriter<File>,
    write_off: u64,
    read_off: u64,
    /// Sequence number of the record at `read_off`.
    read_seq: u64,
    /// Every INDEX_EVERY-th record: (seq, offset), to find a record for a non-consuming read.
    index: Vec<(u64, u64)>,
    appended: u64,
}

pub struct OutputStore {
    head: u64,
    tail: u64,
    mem: VecDeque<Record>,
    mem_bytes: usize,
    window: usize,
    spool: Option<Spool>,
    spool_dir: Option<PathBuf>,
    spool_error: Option<String>,
    /// Records that came after a spool write failed; they follow the spool.
    overflow: VecDeque<Record>,
}

impl OutputStore {
    pub fn new(window: usize, spool_dir: Option<PathBuf>) -> OutputStore {
        OutputStore {
            head: 0,
            tail: 0,
            mem: VecDeque::new(),
            mem_bytes: 0,
            window,
            spool: None,
            spool_dir,
            spool_error: None,
            overflow: VecDeque::new(),
        }
    }

    /// Sequence number of the first record not yet consumed.
    pub fn head(&self) -> u64 {
        self.head
    }

    /// Sequence number the next record will get.
    pub fn tail(&self) -> u64 {
        self.tail
    }

    pub fn has_data(&self) -> bool {
        self.tail > self.head
    }

    pub fn is_spooling(&self) -> bool {
        self.spool.is_some()
    }

    pub fn spool_error(&self) -> Option<&str> {
        self.spool_error.as_deref()
    }

    pub fn push(&mut self, rec: Record) {
        self.tail += 1;
        if !self.overflow.is_empty() {
            self.overflow.push_back(rec);
            return;
        }
        let over = self.mem_bytes + rec.cost() > self.window;
        if (self.spool.is_some() || over) && self.spool_dir.is_some() {
            match self.spool_append(&rec) {
                Ok(()) => return,
                Err(e) => {
                    // A full or unwritable disk must not lose output: stop spooling and keep the
                    // rest in memory behind whatever was spooled.
                    self.spool_error = Some(e.to_string());
                    self.spool_dir = None;
                    if self.spool.is_some() {
                        self.overflow.push_back(rec);
                        return;
                    }
                }
            }
        }
        self.mem_bytes += rec.cost();
        self.mem.push_back(rec);
    }

    fn spool_append(&mut self, rec: &Record) -> io::Result<()> {
        if self.spool.is_none() {
            self.spool = Some(open_spool(self.spool_dir.as_ref().unwrap(), self.tail - 1)?);
        }
        let seq = self.tail - 1;
        let sp = self.spool.as_mut().unwrap();
        let len = u32::try_from(rec.data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        if sp.appended % INDEX_EVERY == 0 {
            sp.index.push((seq, sp.write_off));
        }
        sp.appended += 1;
        let mut hdr = [0u8; HEADER];
        hdr[0] = rec.stream | if rec.cont { 0x80 } else { 0 };
        hdr[1..].copy_from_slice(&len.to_le_bytes());
        sp.writer.write_all(&hdr)?;
        sp.writer.write_all(&rec.data)?;
        sp.write_off += (HEADER + rec.data.len()) as u64;
        Ok(())
    }

    /// Removes and returns up to `max_records` records (and about `max_bytes`), oldest first.
    pub fn take(&mut self, max_records: usize, max_bytes: usize) -> io::Result<Vec<Record>> {
        let mut out = Vec::new();
        let mut bytes = 0;
        while out.len() < max_records && bytes < max_bytes {
            match self.mem.pop_front() {
                Some(r) => {
                    self.mem_bytes -= r.cost();
                    bytes += r.data.len();
                    self.head += 1;
                    out.push(r);
                }
                None => break,
            }
        }
        if self.mem.is_empty() && out.len() < max_records && bytes < max_bytes {
            if let Some(sp) = self.spool.as_mut() {
                sp.writer.flush()?;
                let (recs, off) = read_at(
                    &sp.file,
                    sp.read_off,
                    sp.write_off,
                    max_records - out.len(),
                    max_bytes - bytes,
                )?;
                sp.read_off = off;
                sp.read_seq += recs.len() as u64;
                self.head += recs.len() as u64;
                out.extend(recs);
                if sp.read_off == sp.write_off {
                    self.spool = None; // caught up: drop the file, new records go to memory
                    for r in self.overflow.drain(..) {
                        self.mem_bytes += r.cost();
                        self.mem.push_back(r);
                    }
                    if out.len() < max_records && bytes < max_bytes {
                        out.extend(self.take(max_records - out.len(), max_bytes - bytes)?);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Returns up to `max_records` records from sequence `from` on without consuming them, and
    /// the sequence number to continue from.
    pub fn peek(
        &mut self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> io::Result<(Vec<Record>, u64)> {
        let mut seq = from.max(self.head);
        let mut out = Vec::new();
        let mut bytes = 0;
        let mem_end = self.head + self.mem.len() as u64;
        while seq < mem_end && out.len() < max_records && bytes < max_bytes {
            let r = &self.mem[(seq - self.head) as usize];
            bytes += r.data.len();
            out.push(r.clone());
            seq += 1;
        }
        if seq >= mem_end && out.len() < max_records && bytes < max_bytes {
            if let Some(sp) = self.spool.as_mut() {
                sp.writer.flush()?;
                // Start from the nearest indexed record at or before `seq`, then skip forward.
                let (mut at_seq, mut off) = (sp.read_seq, sp.read_off);
                for &(s, o) in sp.index.iter().rev() {
                    if s <= seq && s >= sp.read_seq {
                        at_seq = s;
                        off = o;
                        break;
                    }
                }
                while at_seq < seq {
                    off = skip_one(&sp.file, off)?;
                    at_seq += 1;
                }
                let (recs, _) = read_at(
                    &sp.file,
                    off,
                    sp.write_off,
                    max_records - out.len(),
                    max_bytes - bytes,
                )?;
                seq += recs.len() as u64;
                bytes += recs.iter().map(|r| r.data.len()).sum::<usize>();
                out.extend(recs);
                let over_start = self.tail - self.overflow.len() as u64;
                while seq >= over_start
                    && seq < self.tail
                    && out.len() < max_records
                    && bytes < max_bytes
                {
                    let r = &self.overflow[(seq - over_start) as usize];
                    bytes += r.data.len();
                    out.push(r.clone());
                    seq += 1;
                }
            }
        }
        Ok((out, seq))
    }
}

fn open_spool(dir: &PathBuf, seq: u64) -> io::Result<Spool> {
    ensure_private_dir(dir)?;
    let path = dir.join(format!(
        "{}-{}-{}.spool",
        std::process::id(),
        seq,
        crate::engine::ids::new_instance_id()
    ));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)?;
    // Unlinked at once: the data lives as long as the open file, and nothing is left behind.
    std::fs::remove_file(&path)?;
    let writer = BufWriter::with_capacity(64 * 1024, file.try_clone()?);
    Ok(Spool {
        file,
        writer,
        write_off: 0,
        read_off: 0,
        read_seq: seq,
        index: Vec::new(),
        appended: 0,
    })
}

/// Creates `dir` as 0700 if missing and refuses one that another user owns or others can write.
pub fn ensure_private_dir(dir: &PathBuf) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let md = std::fs::symlink_metadata(dir)?;
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if !md.is_dir() || md.uid() != uid || md.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "spool directory {} is not a private directory of this user",
                dir.display()
            ),
        ));
    }
    Ok(())
}

fn read_header(file: &File, off: u64) -> io::Result<(u8, bool, usize)> {
    let mut hdr = [0u8; HEADER];
    file.read_exact_at(&mut hdr, off)?;
    let len = u32::from_le_bytes([hdr[1], hdr[2], hdr[3], hdr[4]]) as usize;
    Ok((hdr[0] & 0x7f, hdr[0] & 0x80 != 0, len))
}

fn skip_one(file: &File, off: u64) -> io::Result<u64> {
    let (_, _, len) = read_header(file, off)?;
    Ok(off + (HEADER + len) as u64)
}

fn read_at(
    file: &File,
    mut off: u64,
    end: u64,
    max_records: usize,
    max_bytes: usize,
) -> io::Result<(Vec<Record>, u64)> {
    let mut out = Vec::new();
    let mut bytes = 0;
    while off < end && out.len() < max_records && bytes < max_bytes {
        let want = ((end - off) as usize).min(READ_CHUNK);
        let mut buf = vec![0u8; want];
        file.read_exact_at(&mut buf, off)?;
        let mut pos = 0;
        while pos + HEADER <= buf.len() && out.len() < max_records && bytes < max_bytes {
            let len = u32::from_le_bytes([buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4]])
                as usize;
            if pos + HEADER + len > buf.len() {
                break;
            }
            out.push(Record {
                stream: buf[pos] & 0x7f,
                cont: buf[pos] & 0x80 != 0,
                data: buf[pos + HEADER..pos + HEADER + len].to_vec(),
            });
            bytes += len;
            pos += HEADER + len;
        }
        if pos == 0 {
            // One record larger than the chunk: read it whole.
            let (stream, cont, len) = read_header(file, off)?;
            let mut data = vec![0u8; len];
            file.read_exact_at(&mut data, off + HEADER as u64)?;
            bytes += len;
            out.push(Record { stream, cont, data });
            pos = HEADER + len;
        }
        off += pos as u64;
    }
    Ok((out, off))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: usize) -> Record {
        Record {
            stream: (i % 2) as u8,
            cont: false,
            data: format!("line {i}").into_bytes(),
        }
    }

    fn tmpdir() -> PathBuf {
        std::env::temp_dir().join(format!(
            "rjob-test-{}-{}",
            std::process::id(),
            crate::engine::ids::new_instance_id()
        ))
    }

    #[test]
    fn memory_only_roundtrip() {
        let mut s = OutputStore::new(1 << 20, None);
        for i in 0..10 {
            s.push(rec(i));
        }
        let (p, next) = s.peek(0, 100, usize::MAX).unwrap();
        assert_eq!(p.len(), 10);
        assert_eq!(next, 10);
        let t = s.take(4, usize::MAX).unwrap();
        assert_eq!(t, (0..4).map(rec).collect::<Vec<_>>());
        assert_eq!(s.head(), 4);
        assert!(s.has_data());
    }

    #[test]
    fn spools_past_the_window_and_keeps_order() {
        let dir = tmpdir();
        let mut s = OutputStore::new(200, Some(dir.clone()));
        for i in 0..5000 {
            s.push(rec(i));
        }
        assert!(s.is_spooling());
        // The spool file is unlinked: the directory holds nothing, only our open fd reaches it,
        // and it is readable by this user alone.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let spool_fd = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .flatten()
            .find(|e| {
                std::fs::read_link(e.path())
                    .map(|t| t.starts_with(&dir))
                    .unwrap_or(false)
            })
            .expect("an open spool file");
        let target = std::fs::read_link(spool_fd.path()).unwrap();
        assert!(
            target.to_string_lossy().ends_with("(deleted)"),
            "{target:?}"
        );
        assert_eq!(
            std::fs::metadata(spool_fd.path()).unwrap().mode() & 0o777,
            0o600
        );
        let (p, next) = s.peek(2500, 3, usize::MAX).unwrap();
        assert_eq!(p, (2500..2503).map(rec).collect::<Vec<_>>());
        assert_eq!(next, 2503);
        let mut all = Vec::new();
        loop {
            let t = s.take(333, usize::MAX).unwrap();
            if t.is_empty() {
                break;
            }
            all.extend(t);
            if all.len() < 5000 {
                s.push(rec(100_000 + all.len())); // written while reading: must come after the rest
            }
        }
        assert_eq!(&all[..5000], &(0..5000).map(rec).collect::<Vec<_>>()[..]);
        assert!(all[5000..]
            .iter()
            .all(|r| String::from_utf8_lossy(&r.data).starts_with("line 1")));
        assert_eq!(all.len(), 5000 + 15);
        assert!(!s.is_spooling());
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn spool_dir_is_private() {
        let dir = tmpdir();
        ensure_private_dir(&dir).unwrap();
        let md = std::fs::metadata(&dir).unwrap();
        assert_eq!(md.mode() & 0o777, 0o700);
        let _ = std::fs::remove_dir(&dir);
    }
}
