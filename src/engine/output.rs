//! A job's output records, bounded in memory and on disk.
//!
//! Unread records are, in order: `mem` (in memory, up to the window), then the spool file, then
//! `pending` (in memory, waiting to be written to the spool). A record enters `mem` only while
//! nothing is spooled or pending, so order always holds. `pending` is written to the spool in
//! batches; a record counts as spooled only once its bytes are written, so a full or failing
//! disk leaves it in memory, never half-counted (the old buffered writer counted records that a
//! later flush failed to write, and every receive then failed).
//!
//! Memory is bounded by credit: the store takes every record it is given, but the monitor grants
//! the supervisor more credit only while `mem` + `pending` stay under the window plus
//! [`OVERFLOW`]. When the spool cannot take more (disk full, unusable, or at [`SPOOL_LIMIT`]),
//! `pending` fills up to that bound, credit stops, and the job blocks on write until output is
//! received. The spool file is created 0600 in a private directory and unlinked at once; space
//! the reader has consumed is given back to the filesystem as reading goes.

use crate::protocol::INITIAL_WINDOW;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::protocol::{RECORDS, STDERR, STDOUT};

/// Most unread output one job keeps in its spool file; past it, output pauses until received.
pub const SPOOL_LIMIT: u64 = 2 << 30;
/// Memory one job's output may use beyond its window when the spool cannot take it.
pub const OVERFLOW: usize = 4 << 20;
/// Bytes of a record header: flags (bits 0-6 stream, bit 7 continued) and a u32 LE length. The
/// spool and the ABI's receive buffer use the same layout.
pub const RECORD_HEADER: usize = 5;

/// What a record costs in memory beyond its bytes (the Vec, the queue slot, the allocator).
const MEM_OVERHEAD: usize = 64;
/// Pending bytes written to the spool in one go.
const FLUSH_AT: usize = 64 << 10;
/// After a spool write fails, how long before trying again (unless reading frees space first).
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Consumed spool bytes given back to the filesystem in steps of this size.
const PUNCH_AT: u64 = 1 << 20;
const INDEX_EVERY: u64 = 1024;
const READ_CHUNK: usize = 1 << 20;
/// Credit goes back in steps (a quarter of the window): fewer frames, and never a stall, since
/// the supervisor still holds the rest of its window.
const GRANT_STEP: u64 = INITIAL_WINDOW / 4;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub stream: u8,
    /// The line continues in the next record (it was longer than the line limit).
    pub cont: bool,
    /// The bytes as the job wrote them, line ending removed.
    pub data: Vec<u8>,
}

impl Record {
    /// Size in the record layout (header and bytes).
    pub fn encoded_len(&self) -> usize {
        RECORD_HEADER + self.data.len()
    }

    /// Appends the record in the record layout.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push((self.stream & 0x7f) | if self.cont { 0x80 } else { 0 });
        out.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    fn cost(&self) -> usize {
        self.data.len() + MEM_OVERHEAD
    }
}

/// Why output is not going to the spool.
#[derive(Debug, Clone)]
enum Trouble {
    Full(String),
    Unusable(String),
    Limit,
    NoDir,
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::Full(e) => write!(f, "spool full ({e})"),
            Trouble::Unusable(e) => write!(f, "spool unusable ({e})"),
            Trouble::Limit => write!(f, "spool limit of {} MiB reached", SPOOL_LIMIT >> 20),
            Trouble::NoDir => write!(f, "no spool directory"),
        }
    }
}

struct Spool {
    file: File,
    write_off: u64,
    read_off: u64,
    /// Sequence number of the record at `read_off`.
    read_seq: u64,
    /// Bytes before this offset were given back to the filesystem.
    punched: u64,
    can_punch: bool,
    /// Records written since the last reset, for the index spacing.
    written: u64,
    /// Every INDEX_EVERY-th record written: (seq, offset), for reads that do not consume.
    index: Vec<(u64, u64)>,
    /// Where the last non-consuming read stopped (seq, offset): the next one usually goes on
    /// from there.
    cursor: (u64, u64),
}

/// How much one read may return: whole records only, stopping at the first that does not fit.
struct Budget {
    records: usize,
    bytes: usize,
    per_record: usize,
    taken: usize,
    too_big: Option<usize>,
}

impl Budget {
    fn new(records: usize, bytes: usize, per_record: usize) -> Budget {
        Budget {
            records,
            bytes,
            per_record,
            taken: 0,
            too_big: None,
        }
    }

    /// How many of `recs`, from the first, the budget admits (it stops at the first it does not).
    fn admit_run<'a>(&mut self, recs: impl Iterator<Item = &'a Record>) -> usize {
        recs.take_while(|r| self.admit(r.data.len())).count()
    }

    /// Spool bytes worth reading for this budget: no more than it can take when each record
    /// costs at least its header (else up to `max`); always at least one header.
    fn read_size(&self, max: usize) -> usize {
        let cap = if self.per_record >= RECORD_HEADER {
            self.bytes
        } else {
            max
        };
        cap.min(max).max(RECORD_HEADER)
    }

    fn admit(&mut self, len: usize) -> bool {
        if self.records == 0 {
            return false;
        }
        let cost = self.per_record + len;
        if cost > self.bytes {
            if self.taken == 0 {
                self.too_big = Some(cost);
            }
            self.records = 0;
            return false;
        }
        self.records -= 1;
        self.bytes -= cost;
        self.taken += 1;
        true
    }

    fn open(&self) -> bool {
        self.records > 0
    }
}

/// What one read returned.
#[derive(Debug, Default)]
pub struct Taken {
    pub records: Vec<Record>,
    /// Sequence number after the last record returned.
    pub next: u64,
    /// No record returned because the first one does not fit: its cost (`per_record` + length).
    pub too_big: Option<usize>,
}

pub struct OutputStore {
    head: u64,
    tail: u64,
    mem: VecDeque<Record>,
    mem_bytes: usize,
    window: usize,
    spool: Option<Spool>,
    pending: VecDeque<Record>,
    pending_bytes: usize,
    spool_dir: Option<PathBuf>,
    spool_limit: u64,
    overflow: usize,
    trouble: Option<Trouble>,
    retry_at: Option<Instant>,
    /// Output bytes taken off the wire and not yet given back as credit.
    uncredited: u64,
    ended: bool,
    /// Called when reading made room while credit was held back.
    on_room: Option<Box<dyn Fn() + Send>>,
    /// The change feed was told of output that no reader has taken since.
    announced: bool,
}

impl OutputStore {
    pub fn new(window: usize, spool_dir: Option<PathBuf>) -> OutputStore {
        OutputStore::with_limits(window, spool_dir, SPOOL_LIMIT, OVERFLOW)
    }

    /// With other limits than the defaults (for tests).
    pub fn with_limits(
        window: usize,
        spool_dir: Option<PathBuf>,
        spool_limit: u64,
        overflow: usize,
    ) -> OutputStore {
        OutputStore {
            head: 0,
            tail: 0,
            mem: VecDeque::new(),
            mem_bytes: 0,
            window,
            spool: None,
            pending: VecDeque::new(),
            pending_bytes: 0,
            spool_dir,
            spool_limit,
            overflow,
            trouble: None,
            retry_at: None,
            uncredited: 0,
            ended: false,
            on_room: None,
            announced: false,
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

    /// True when there is output the change feed should announce: unread, and not announced
    /// since a reader last took some. One announcement per batch a reader finds, however many
    /// frames it came in, so a reader can wait on the feed instead of polling every job.
    pub fn announce(&mut self) -> bool {
        let due = self.has_data() && !self.announced;
        self.announced |= due;
        due
    }

    pub fn is_spooling(&self) -> bool {
        self.spool_unread()
    }

    /// Bytes of output held in memory (as the bound counts them).
    pub fn memory_used(&self) -> usize {
        self.mem_bytes + self.pending_bytes
    }

    pub fn push(&mut self, rec: Record) {
        self.tail += 1;
        if self.pending.is_empty()
            && !self.spool_unread()
            && self.mem_bytes + rec.cost() <= self.window
        {
            self.mem_bytes += rec.cost();
            self.mem.push_back(rec);
            return;
        }
        self.pending_bytes += rec.cost();
        self.pending.push_back(rec);
        if self.pending_bytes >= FLUSH_AT {
            self.flush();
        }
    }

    /// Records that `n` more output bytes came off the wire.
    pub fn received(&mut self, n: u64) {
        self.uncredited += n;
    }

    /// Credit to grant the supervisor now: nothing while memory is full, else what was taken
    /// since the last grant, in steps.
    pub fn credit_due(&mut self) -> u64 {
        if self.ended || self.is_full() || self.uncredited < GRANT_STEP {
            return 0;
        }
        std::mem::take(&mut self.uncredited)
    }

    /// Memory holds all it may: no more credit until output is received.
    pub fn is_full(&self) -> bool {
        self.memory_used() >= self.window + self.overflow
    }

    /// Credit is being held back: the supervisor sends only what credit it still holds.
    fn is_holding_back(&self) -> bool {
        !self.ended && self.uncredited > 0 && self.is_full()
    }

    /// Held back for a whole window: the supervisor has no credit left and has stopped reading
    /// the job's pipes, so the job blocks once they are full.
    pub fn is_paused(&self) -> bool {
        self.is_holding_back() && self.uncredited >= INITIAL_WINDOW
    }

    /// How long until a failed spool may be tried again, while output is paused.
    pub fn retry_in(&self) -> Option<Duration> {
        match self.retry_at {
            Some(t) if self.is_holding_back() => Some(t.saturating_duration_since(Instant::now())),
            _ => None,
        }
    }

    /// Tries the spool again now if its retry time has come (called on the reactor's timer).
    pub fn retry(&mut self) {
        if self.pending_bytes > 0 {
            self.flush();
        }
    }

    /// Calls `f` whenever reading makes room while credit is held back.
    pub fn set_on_room(&mut self, f: Box<dyn Fn() + Send>) {
        self.on_room = Some(f);
    }

    /// No more output will come: nothing is owed, nothing paused.
    pub fn close(&mut self) {
        self.ended = true;
        self.uncredited = 0;
    }

    /// Why output is paused or kept in memory, for the job's status message.
    pub fn note(&self) -> Option<String> {
        if self.is_paused() {
            let why = match &self.trouble {
                Some(t) => t.to_string(),
                None => "memory window full".to_string(),
            };
            return Some(format!("output paused: {why}; receive output to resume"));
        }
        match &self.trouble {
            Some(t) if self.pending_bytes > 0 => Some(format!("output kept in memory: {t}")),
            _ => None,
        }
    }

    fn spool_unread(&self) -> bool {
        self.spool
            .as_ref()
            .is_some_and(|s| s.read_off < s.write_off)
    }

    /// Writes pending records to the spool, as many as it takes. A record leaves `pending` only
    /// once its bytes are written.
    fn flush(&mut self) {
        if self.pending.is_empty() || matches!(self.retry_at, Some(t) if Instant::now() < t) {
            return;
        }
        let Some(dir) = self.spool_dir.clone() else {
            self.trouble = Some(Trouble::NoDir);
            return;
        };
        if self.spool.is_none() {
            match open_spool(&dir) {
                Ok(f) => {
                    self.spool = Some(Spool {
                        file: f,
                        write_off: 0,
                        read_off: 0,
                        read_seq: 0,
                        punched: 0,
                        can_punch: true,
                        written: 0,
                        index: Vec::new(),
                        cursor: (0, 0),
                    })
                }
                Err(e) => return self.failed(&e),
            }
        }
        let first_seq = self.tail - self.pending.len() as u64;
        let sp = self.spool.as_mut().expect("opened above");
        if sp.read_off == sp.write_off {
            if let Err(e) = reset(sp, first_seq) {
                self.spool = None;
                return self.failed(&e);
            }
        }
        let room = self.spool_limit.saturating_sub(sp.write_off - sp.punched);
        let mut buf = Vec::with_capacity(self.pending_bytes.min(room as usize));
        let mut index = Vec::new();
        let mut n = 0u64;
        for r in &self.pending {
            if (buf.len() + r.encoded_len()) as u64 > room {
                break;
            }
            if (sp.written + n) % INDEX_EVERY == 0 {
                index.push((first_seq + n, sp.write_off + buf.len() as u64));
            }
            r.encode_into(&mut buf);
            n += 1;
        }
        if n > 0 {
            if let Err(e) = sp.file.write_all_at(&buf, sp.write_off) {
                // Give back whatever part was written; the next try writes at the same offset.
                let _ = sp.file.set_len(sp.write_off);
                return self.failed(&e);
            }
            sp.write_off += buf.len() as u64;
            sp.written += n;
            sp.index.extend(index);
            for _ in 0..n {
                let r = self.pending.pop_front().expect("counted");
                self.pending_bytes -= r.cost();
            }
            self.trouble = None;
            self.retry_at = None;
        }
        if !self.pending.is_empty() {
            self.trouble = Some(Trouble::Limit);
        }
    }

    fn failed(&mut self, e: &io::Error) {
        let msg = os_message(e);
        self.trouble = Some(match e.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG) => Trouble::Full(msg),
            _ => Trouble::Unusable(msg),
        });
        self.retry_at = Some(Instant::now() + RETRY_AFTER);
    }

    /// Consumes and returns the oldest records: whole records, as many as `max_records` and
    /// `max_bytes` allow, each costing `per_record` plus its length.
    pub fn take(
        &mut self,
        max_records: usize,
        max_bytes: usize,
        per_record: usize,
    ) -> io::Result<Taken> {
        let mut b = Budget::new(max_records, max_bytes, per_record);
        let mut out = Vec::new();
        let mut freed_disk = false;
        let was_holding = self.is_holding_back();
        self.announced = false; // what comes next is announced again
        while b.open() {
            if !self.mem.is_empty() {
                let n = b.admit_run(self.mem.iter());
                if n == 0 {
                    break;
                }
                for r in self.mem.drain(..n) {
                    self.mem_bytes -= r.cost();
                    out.push(r);
                }
                self.head += n as u64;
                continue;
            }
            if self.spool_unread() {
                let sp = self.spool.as_mut().expect("unread");
                let before = out.len();
                sp.read_off = read_spool(&sp.file, sp.read_off, sp.write_off, &mut b, &mut out)?;
                let n = (out.len() - before) as u64;
                sp.read_seq += n;
                self.head += n;
                if sp.read_off == sp.write_off {
                    // Caught up: the file is emptied (all its space freed) and what waited
                    // behind it now follows the memory part directly.
                    let _ = reset(sp, self.tail - self.pending.len() as u64);
                    self.mem.append(&mut self.pending);
                    self.mem_bytes += std::mem::take(&mut self.pending_bytes);
                    freed_disk = true;
                } else {
                    freed_disk |= punch(sp);
                }
                if n == 0 {
                    break;
                }
                continue;
            }
            if !self.pending.is_empty() {
                self.mem.append(&mut self.pending);
                self.mem_bytes += std::mem::take(&mut self.pending_bytes);
                continue;
            }
            break;
        }
        if (was_holding && !out.is_empty()) || (freed_disk && self.pending_bytes > 0) {
            self.room_made(freed_disk);
        }
        Ok(Taken {
            next: self.head,
            records: out,
            too_big: b.too_big,
        })
    }

    /// Reading made room: retry the spool if it was the disk that was short, and wake the
    /// reactor so it grants the credit it held back.
    fn room_made(&mut self, freed_disk: bool) {
        if freed_disk {
            self.retry_at = None;
        }
        self.flush();
        if !self.is_full() && self.uncredited > 0 {
            if let Some(f) = &self.on_room {
                f();
            }
        }
    }

    /// Returns records from sequence `from` on without consuming them, as `take` counts them.
    pub fn peek(
        &mut self,
        from: u64,
        max_records: usize,
        max_bytes: usize,
        per_record: usize,
    ) -> io::Result<Taken> {
        let mut b = Budget::new(max_records, max_bytes, per_record);
        let mut out = Vec::new();
        let mut seq = from.max(self.head);
        let mem_end = self.head + self.mem.len() as u64;
        let pend_start = self.tail - self.pending.len() as u64;
        if seq < mem_end {
            let at = (seq - self.head) as usize;
            let n = b.admit_run(self.mem.range(at..));
            out.extend(self.mem.range(at..at + n).cloned());
            seq += n as u64;
        }
        if seq >= mem_end && seq < pend_start && b.open() {
            let sp = self
                .spool
                .as_mut()
                .expect("records between memory and pending");
            let off = seek(sp, seq)?;
            let before = out.len();
            let end = read_spool(&sp.file, off, sp.write_off, &mut b, &mut out)?;
            seq += (out.len() - before) as u64;
            sp.cursor = (seq, end);
        }
        if seq >= pend_start && seq < self.tail && b.open() {
            let at = (seq - pend_start) as usize;
            let n = b.admit_run(self.pending.range(at..));
            out.extend(self.pending.range(at..at + n).cloned());
            seq += n as u64;
        }
        Ok(Taken {
            records: out,
            next: seq,
            too_big: b.too_big,
        })
    }
}

fn os_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn open_spool(dir: &Path) -> io::Result<File> {
    ensure_private_dir(dir)?;
    let path = dir.join(format!(
        "{}-{}.spool",
        std::process::id(),
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
    Ok(file)
}

/// Empties the spool file (giving its space back) and starts it again at record `seq`.
fn reset(sp: &mut Spool, seq: u64) -> io::Result<()> {
    if sp.write_off > 0 {
        sp.file.set_len(0)?;
    }
    sp.write_off = 0;
    sp.read_off = 0;
    sp.read_seq = seq;
    sp.punched = 0;
    sp.written = 0;
    sp.index.clear();
    sp.cursor = (seq, 0);
    Ok(())
}

/// Gives the consumed part of the spool back to the filesystem; true when it did.
fn punch(sp: &mut Spool) -> bool {
    let upto = sp.read_off & !4095;
    if !sp.can_punch || upto < sp.punched + PUNCH_AT {
        return false;
    }
    // SAFETY: fallocate on a file we own; it only deallocates the byte range given.
    let r = unsafe {
        libc::fallocate(
            sp.file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            sp.punched as libc::off_t,
            (upto - sp.punched) as libc::off_t,
        )
    };
    if r != 0 {
        sp.can_punch = false; // not supported here: the space comes back when the file empties
        return false;
    }
    sp.punched = upto;
    true
}

/// Offset of record `seq` in the spool: from the closest known position at or before it.
fn seek(sp: &Spool, seq: u64) -> io::Result<u64> {
    let mut at = (sp.read_seq, sp.read_off);
    if sp.cursor.0 <= seq && sp.cursor.0 >= at.0 {
        at = sp.cursor;
    }
    let i = sp.index.partition_point(|&(s, _)| s <= seq);
    if i > 0 && sp.index[i - 1].0 > at.0 {
        at = sp.index[i - 1];
    }
    let (mut s, mut off) = at;
    while s < seq {
        let (_, _, len) = read_header(&sp.file, off)?;
        off += (RECORD_HEADER + len) as u64;
        s += 1;
    }
    Ok(off)
}

/// Creates `dir` as 0700 if missing and refuses one that another user owns, others can write,
/// or that is a symlink.
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
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
            format!("{} is not a private directory of this user", dir.display()),
        ));
    }
    Ok(())
}

fn read_header(file: &File, off: u64) -> io::Result<(u8, bool, usize)> {
    let mut hdr = [0u8; RECORD_HEADER];
    file.read_exact_at(&mut hdr, off)?;
    Ok(parse_header(&hdr))
}

fn parse_header(h: &[u8]) -> (u8, bool, usize) {
    let len = u32::from_le_bytes([h[1], h[2], h[3], h[4]]) as usize;
    (h[0] & 0x7f, h[0] & 0x80 != 0, len)
}

/// Reads records from `off` up to `end` while the budget admits them; returns where it stopped.
fn read_spool(
    file: &File,
    mut off: u64,
    end: u64,
    b: &mut Budget,
    out: &mut Vec<Record>,
) -> io::Result<u64> {
    let mut buf = Vec::new();
    while off < end && b.open() {
        // Only what the budget can take: reading a whole chunk for a small read read the same
        // bytes over and over.
        buf.resize(b.read_size(((end - off) as usize).min(READ_CHUNK)), 0);
        file.read_exact_at(&mut buf, off)?;
        let mut pos = 0;
        while pos + RECORD_HEADER <= buf.len() {
            let (stream, cont, len) = parse_header(&buf[pos..]);
            let whole = pos + RECORD_HEADER + len <= buf.len();
            if !whole && pos > 0 {
                break; // read again from this record on
            }
            if !b.admit(len) {
                return Ok(off + pos as u64);
            }
            let data = if whole {
                buf[pos + RECORD_HEADER..pos + RECORD_HEADER + len].to_vec()
            } else {
                // One record larger than the chunk: read it whole.
                let mut d = vec![0u8; len];
                file.read_exact_at(&mut d, off + RECORD_HEADER as u64)?;
                d
            };
            out.push(Record { stream, cont, data });
            pos += RECORD_HEADER + len;
        }
        if pos == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the spool file ends inside a record",
            ));
        }
        off += pos as u64;
    }
    Ok(off)
}

#[cfg(test)]
mod tests;
