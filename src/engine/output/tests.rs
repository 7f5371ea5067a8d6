use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn rec(i: usize) -> Record {
    Record {
        stream: (i % 3) as u8,
        cont: i % 7 == 0,
        data: format!("line {i}").into_bytes(),
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        TempDir(std::env::temp_dir().join(format!(
            "rjob-test-{}-{}",
            std::process::id(),
            crate::engine::ids::new_instance_id()
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn take_all(s: &mut OutputStore, step: usize) -> Vec<Record> {
    let mut all = Vec::new();
    loop {
        let t = s.take(step, usize::MAX, 0).unwrap();
        if t.records.is_empty() {
            return all;
        }
        all.extend(t.records);
    }
}

#[test]
fn memory_only_roundtrip() {
    let mut s = OutputStore::new(1 << 20, None);
    for i in 0..10 {
        s.push(rec(i));
    }
    let p = s.peek(0, 100, usize::MAX, 0).unwrap();
    assert_eq!(p.records.len(), 10);
    assert_eq!(p.next, 10);
    let t = s.take(4, usize::MAX, 0).unwrap();
    assert_eq!(t.records, (0..4).map(rec).collect::<Vec<_>>());
    assert_eq!((t.next, s.head()), (4, 4));
    assert!(s.has_data());
}

#[test]
fn spools_past_the_window_and_keeps_order() {
    let dir = TempDir::new();
    let mut s = OutputStore::new(200, Some(dir.0.clone()));
    for i in 0..5000 {
        s.push(rec(i));
    }
    assert!(s.is_spooling());
    // The spool file is unlinked: the directory holds nothing, only our open fd reaches it,
    // and it is readable by this user alone.
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
    let spool_fd = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .find(|e| {
            std::fs::read_link(e.path())
                .map(|t| t.starts_with(&dir.0))
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
    let p = s.peek(2500, 3, usize::MAX, 0).unwrap();
    assert_eq!(p.records, (2500..2503).map(rec).collect::<Vec<_>>());
    assert_eq!(p.next, 2503);
    let mut all = Vec::new();
    loop {
        let t = s.take(333, usize::MAX, 0).unwrap();
        if t.records.is_empty() {
            break;
        }
        all.extend(t.records);
        if all.len() < 5000 {
            s.push(rec(100_000 + all.len())); // written while reading: must come after the rest
        }
    }
    assert_eq!(&all[..5000], &(0..5000).map(rec).collect::<Vec<_>>()[..]);
    let late: Vec<_> = all[5000..].iter().map(|r| r.data.clone()).collect();
    assert_eq!(late.len(), 15);
    assert!(late.iter().all(|d| d.starts_with(b"line 1")), "{late:?}");
    assert!(!s.is_spooling());
}

#[test]
fn keep_reads_page_through_memory_spool_and_pending_alike() {
    let dir = TempDir::new();
    let mut s = OutputStore::with_limits(300, Some(dir.0.clone()), 1 << 30, 1 << 20);
    for i in 0..20_000 {
        s.push(rec(i));
    }
    // From anywhere, in pages of any size, a keep read gives exactly what follows.
    for (from, page) in [(0, 7), (1, 1000), (4095, 3), (12_345, 2048), (19_990, 100)] {
        let mut seq = from;
        while seq < 20_000 && seq < from + 5000 {
            let p = s.peek(seq, page, usize::MAX, 0).unwrap();
            let want: Vec<_> = (seq as usize..(seq as usize + page).min(20_000))
                .map(rec)
                .collect();
            assert_eq!(p.records, want, "from {seq} page {page}");
            seq = p.next;
        }
    }
    assert_eq!(s.head(), 0, "nothing consumed");
    assert_eq!(
        take_all(&mut s, 999),
        (0..20_000).map(rec).collect::<Vec<_>>()
    );
}

#[test]
fn a_read_returns_whole_records_that_fit_and_says_when_the_first_does_not() {
    let mut s = OutputStore::new(1 << 20, None);
    for n in [10, 20, 30] {
        s.push(Record {
            stream: 0,
            cont: false,
            data: vec![b'x'; n],
        });
    }
    // 5 per record: 15 + 25 = 40 fit in 44, the third (35) does not.
    let t = s.peek(0, 100, 44, 5).unwrap();
    assert_eq!((t.records.len(), t.next, t.too_big), (2, 2, None));
    let t = s.take(100, 14, 5).unwrap();
    assert_eq!((t.records.len(), t.too_big), (0, Some(15)));
    assert_eq!(s.head(), 0, "a record too big is not consumed");
    let t = s.take(100, 15, 5).unwrap();
    assert_eq!((t.records.len(), t.next), (1, 1));
}

/// Fills a store whose spool is unusable or capped, then drains it; checks the pause and the
/// credit on the way.
fn fill_until_full(s: &mut OutputStore) -> usize {
    let mut i = 0;
    while !s.is_full() {
        s.push(rec(i));
        s.received(rec(i).data.len() as u64 + 1);
        i += 1;
        assert!(i < 1_000_000, "never full");
    }
    // The supervisor has used its whole window by now.
    s.received(INITIAL_WINDOW);
    i
}

#[test]
fn an_unusable_spool_pauses_at_the_bound_and_loses_nothing() {
    let dir = TempDir::new();
    std::fs::create_dir_all(&dir.0).unwrap();
    let real = dir.0.join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.0.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut s = OutputStore::with_limits(4096, Some(link), 1 << 30, 64 << 10);
    let woke = Arc::new(AtomicUsize::new(0));
    let w = woke.clone();
    s.set_on_room(Box::new(move || {
        w.fetch_add(1, Ordering::SeqCst);
    }));
    let n = fill_until_full(&mut s);
    assert!(s.memory_used() < 4096 + (64 << 10) + 200);
    assert_eq!(s.credit_due(), 0, "no credit while full");
    assert!(s.is_paused());
    let note = s.note().unwrap();
    assert!(
        note.starts_with("output paused: spool unusable (")
            && note.contains("not a private directory")
            && note.ends_with("receive output to resume"),
        "{note}"
    );
    let first = s.take(10, usize::MAX, 0).unwrap();
    assert_eq!(first.records, (0..10).map(rec).collect::<Vec<_>>());
    assert!(!s.is_full());
    assert_eq!(woke.load(Ordering::SeqCst), 1, "the monitor is told");
    assert!(s.credit_due() > 0, "credit flows again");
    let rest = take_all(&mut s, 1000);
    assert_eq!(rest, (10..n).map(rec).collect::<Vec<_>>());
}

#[test]
fn the_spool_limit_pauses_output_until_it_is_read() {
    let dir = TempDir::new();
    let mut s = OutputStore::with_limits(1000, Some(dir.0.clone()), 100 << 10, 64 << 10);
    let n = fill_until_full(&mut s);
    assert!(s.is_spooling());
    let note = s.note().unwrap();
    assert!(note.contains("spool limit of"), "{note}");
    assert_eq!(s.credit_due(), 0);
    // Reading through the spool empties it; what waited in memory follows, in order.
    let mut got = Vec::new();
    while got.len() < n {
        let t = s.take(500, usize::MAX, 0).unwrap();
        got.extend(t.records);
        // Writes keep coming as the reader goes, in the order they were made.
        if got.len() < n && !s.is_full() {
            s.push(rec(n + got.len()));
        }
    }
    let want: Vec<_> = (0..n).map(rec).collect();
    assert_eq!(&got[..n], &want[..]);
    assert!(s.note().is_none(), "{:?}", s.note());
}

#[test]
fn credit_goes_back_in_steps_and_stops_at_the_end() {
    let mut s = OutputStore::new(1 << 20, None);
    s.received(GRANT_STEP - 1);
    assert_eq!(s.credit_due(), 0);
    s.received(1);
    assert_eq!(s.credit_due(), GRANT_STEP);
    assert_eq!(s.credit_due(), 0);
    s.received(GRANT_STEP);
    s.close();
    assert_eq!(s.credit_due(), 0);
    assert!(!s.is_paused());
}

#[test]
fn spool_dir_is_private() {
    let dir = TempDir::new();
    ensure_private_dir(&dir.0).unwrap();
    let md = std::fs::metadata(&dir.0).unwrap();
    assert_eq!(md.mode() & 0o777, 0o700);
}

#[test]
fn records_encode_in_the_shared_layout() {
    let mut v = Vec::new();
    Record {
        stream: 2,
        cont: true,
        data: vec![0xff, 0],
    }
    .encode_into(&mut v);
    assert_eq!(v, [0x82, 2, 0, 0, 0, 0xff, 0]);
    assert_eq!(parse_header(&v), (2, true, 2));
}
