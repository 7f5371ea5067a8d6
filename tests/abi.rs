//! The exported C functions called directly, as a careless or hostile caller would.

mod common;
use common::setup;
use rjob::ffi::status::RjobStatus as S;
use rjob::ffi::types::{RjobChange, RjobJobState, RjobJobStatus, RjobReceiveResult};
use rjob::ffi::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Calls a text-returning export with a buffer that grows on BUFFER_TOO_SMALL, starting tiny so
/// the too-small path runs every time.
fn text(mut call: impl FnMut(*mut u8, usize, &mut usize) -> S) -> Result<String, S> {
    let mut cap = 1;
    loop {
        let mut buf = vec![0xAAu8; cap];
        let mut len = 0usize;
        match call(buf.as_mut_ptr(), cap, &mut len) {
            S::Ok => {
                assert!(
                    len >= 1 && len <= cap && buf[len - 1] == 0,
                    "NUL-terminated"
                );
                return Ok(String::from_utf8(buf[..len - 1].to_vec()).unwrap());
            }
            S::BufferTooSmall => {
                assert!(len > cap, "needed {len} must exceed the capacity {cap}");
                assert!(buf.iter().all(|&b| b == 0xAA), "nothing written");
                cap = len;
            }
            other => return Err(other),
        }
    }
}

fn last_error() -> String {
    text(|b, cap, len| unsafe { rjob_last_error(b.cast(), cap, len) }).unwrap()
}

fn info(id: u64) -> serde_json::Value {
    let t = text(|b, cap, len| unsafe { rjob_info(id, b.cast(), cap, len) }).unwrap();
    serde_json::from_str(&t).unwrap()
}

fn status(id: u64) -> RjobJobStatus {
    let mut st = std::mem::MaybeUninit::<RjobJobStatus>::zeroed();
    assert_eq!(unsafe { rjob_status(id, st.as_mut_ptr()) }, S::Ok);
    unsafe { st.assume_init() }
}

/// Parses rjob_receive's buffer into (flags, bytes) records.
fn records(buf: &[u8], count: usize) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    for _ in 0..count {
        let len = u32::from_le_bytes(buf[at + 1..at + 5].try_into().unwrap()) as usize;
        out.push((buf[at], buf[at + 5..at + 5 + len].to_vec()));
        at += 5 + len;
    }
    assert_eq!(at, buf.len(), "records fill exactly the bytes reported");
    out
}

fn receive(
    id: u64,
    keep: bool,
    from: u64,
    cap: usize,
    timeout_ms: i64,
) -> (S, RjobReceiveResult, Vec<(u8, Vec<u8>)>) {
    let mut buf = vec![0u8; cap];
    let mut r = RjobReceiveResult::default();
    let st = unsafe { rjob_receive(id, keep, from, timeout_ms, buf.as_mut_ptr(), cap, &mut r) };
    let recs = if st == S::Ok {
        records(&buf[..r.needed], r.count)
    } else {
        Vec::new()
    };
    (st, r, recs)
}

fn start(spec: &str) -> u64 {
    setup();
    let mut id = 0;
    assert_eq!(
        unsafe { rjob_start(c(spec).as_ptr(), &mut id) },
        S::Ok,
        "{}",
        last_error()
    );
    id
}

fn wait(id: u64, ms: i64) -> S {
    unsafe { rjob_wait(&id, 1, false, ms) }
}

#[test]
fn null_pointers_answer_a_status() {
    setup();
    unsafe {
        let mut id = 0u64;
        let mut len = 0usize;
        let mut buf = [0u8; 64];
        let mut r = RjobReceiveResult::default();
        let mut n = 0usize;
        let mut seq = 0u64;
        let mut ch = [RjobChange {
            id: 0,
            seq: 0,
            state: RjobJobState::NotStarted,
        }; 4];
        assert_eq!(rjob_start(null(), &mut id), S::NullPointer);
        assert!(last_error().contains("spec_json"));
        assert_eq!(rjob_start(c("{}").as_ptr(), null_mut()), S::NullPointer);
        assert_eq!(rjob_status(1, null_mut()), S::NullPointer);
        assert_eq!(
            rjob_info(1, buf.as_mut_ptr().cast(), 64, null_mut()),
            S::NullPointer
        );
        assert_eq!(rjob_info(1, null_mut(), 64, &mut len), S::NullPointer);
        assert_eq!(
            rjob_list(null(), buf.as_mut_ptr().cast(), 64, null_mut()),
            S::NullPointer
        );
        assert_eq!(rjob_list(null(), null_mut(), 64, &mut len), S::NullPointer);
        assert_eq!(rjob_stop(null(), 3, false, -1), S::NullPointer);
        assert_eq!(rjob_wait(null(), 1, false, 0), S::NullPointer);
        assert_eq!(
            rjob_receive(1, false, 0, 0, buf.as_mut_ptr(), 64, null_mut()),
            S::NullPointer
        );
        assert_eq!(
            rjob_receive(1, false, 0, 0, null_mut(), 64, &mut r),
            S::NullPointer
        );
        assert_eq!(
            rjob_changes(0, null_mut(), 4, 0, &mut n, &mut seq),
            S::NullPointer
        );
        assert_eq!(
            rjob_changes(0, ch.as_mut_ptr(), 4, 0, null_mut(), &mut seq),
            S::NullPointer
        );
        assert_eq!(
            rjob_changes(0, ch.as_mut_ptr(), 4, 0, &mut n, null_mut()),
            S::NullPointer
        );
        assert_eq!(
            rjob_changes(0, ch.as_mut_ptr(), 0, 0, &mut n, &mut seq),
            S::InvalidArgument
        );
        assert_eq!(
            rjob_last_error(buf.as_mut_ptr().cast(), 64, null_mut()),
            S::NullPointer
        );
        assert_eq!(rjob_last_error(null_mut(), 64, &mut len), S::NullPointer);
        // NULL filter means "every job"; a zero-capacity NULL buffer asks for the size.
        assert_eq!(
            rjob_list(null(), null_mut(), 0, &mut len),
            S::BufferTooSmall
        );
        assert!(len >= 3);
        assert!(text(|b, cap, l| rjob_list(null(), b.cast(), cap, l))
            .unwrap()
            .starts_with('['));
        // Empty id lists are fine.
        assert_eq!(rjob_stop(null(), 0, false, -1), S::Ok);
        assert_eq!(rjob_wait(null(), 0, false, 0), S::Ok);
        assert_eq!(id, 0, "out parameters are written only on success");
        assert_eq!((n, seq), (0, 0));
    }
}

#[test]
fn bad_text_and_json() {
    setup();
    unsafe {
        let mut id = 0u64;
        let bad_utf8 = [b'{', 0xff, 0xfe, b'}', 0];
        assert_eq!(
            rjob_start(bad_utf8.as_ptr().cast(), &mut id),
            S::InvalidUtf8
        );
        assert_eq!(rjob_start(c("{not json").as_ptr(), &mut id), S::InvalidJson);
        assert_eq!(rjob_start(c("[1,2]").as_ptr(), &mut id), S::InvalidJson);
        assert_eq!(
            rjob_start(c(r#"{"argv":["/bin/true"],"bogus":1}"#).as_ptr(), &mut id),
            S::InvalidJson
        );
        assert_eq!(
            rjob_start(c(r#"{"argv":[]}"#).as_ptr(), &mut id),
            S::InvalidArgument
        );
        assert_eq!(
            rjob_start(c(r#"{"argv":["/bin/echo","a\u0000b"]}"#).as_ptr(), &mut id),
            S::InvalidArgument
        );
        assert_eq!(
            rjob_start(c(r#"{"argv":["/no/such/exe"]}"#).as_ptr(), &mut id),
            S::SpawnFailed
        );
        assert!(last_error().contains("executable not found"));
        let mut len = 0;
        let mut buf = [0u8; 256];
        for bad in [r#"{"states":["Sleepy"]}"#, r#"{"names":["x*"]}"#] {
            assert_eq!(
                rjob_list(c(bad).as_ptr(), buf.as_mut_ptr().cast(), 256, &mut len),
                S::InvalidJson
            );
        }
        assert_eq!(len, 0);
        let ids = [1u64];
        assert_eq!(
            rjob_stop(ids.as_ptr(), 1, false, 90_000_000),
            S::InvalidArgument
        );
        // Deeply nested and very large JSON are refused, not crashed on.
        let deep = "[".repeat(100_000);
        assert_eq!(rjob_start(c(&deep).as_ptr(), &mut id), S::InvalidJson);
        let huge = format!(
            r#"{{"argv":["/bin/true"],"name":"{}"}}"#,
            "x".repeat(65 << 20)
        );
        assert_eq!(rjob_start(c(&huge).as_ptr(), &mut id), S::InvalidArgument);
        assert_eq!(id, 0);
    }
}

#[test]
fn unknown_ids() {
    setup();
    unsafe {
        let mut len = 0;
        let mut buf = [0u8; 64];
        let mut st = std::mem::zeroed::<RjobJobStatus>();
        let mut r = RjobReceiveResult::default();
        let id = u64::MAX - 1;
        assert_eq!(rjob_status(id, &mut st), S::NotFound);
        assert_eq!(
            rjob_info(id, buf.as_mut_ptr().cast(), 64, &mut len),
            S::NotFound
        );
        assert_eq!(rjob_stop(&id, 1, true, -1), S::NotFound);
        assert_eq!(rjob_wait(&id, 1, false, 0), S::NotFound);
        assert_eq!(
            rjob_receive(id, false, 0, 0, buf.as_mut_ptr(), 64, &mut r),
            S::NotFound
        );
        assert_eq!(rjob_remove(id), S::NotFound);
        assert!(last_error().contains("no job"));
        assert_eq!((len, r), (0, RjobReceiveResult::default()));
    }
}

/// ABI v2 hands out no memory: there is nothing to free, so no free can be stale (the ABA bug of
/// v1's rjob_string_free cannot arise). Every function returns a status, except the version
/// string, which is static.
#[test]
fn the_abi_hands_out_no_memory() {
    let header = include_str!("../include/rjob.h");
    let prototypes: Vec<&str> = header
        .lines()
        .filter(|l| l.contains("rjob_") && l.contains('(') && !l.trim_start().starts_with('*'))
        .collect();
    assert!(prototypes.len() >= 11, "{prototypes:?}");
    for p in &prototypes {
        assert!(!p.contains("free"), "a free function: {p}");
        assert!(
            p.starts_with("RjobStatus rjob_") || p.starts_with("const char *rjob_version(void)"),
            "returns something other than a status: {p}"
        );
    }
    assert!(
        prototypes.iter().all(|p| !p.contains("**")),
        "no pointer-to-pointer outputs"
    );
    assert!(!header.contains("rjob_string_free"));
    let v = rjob_version();
    assert_eq!(
        unsafe { CStr::from_ptr(v) }.to_str().unwrap(),
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn last_error_is_copied_and_kept_until_the_next_call() {
    setup();
    unsafe {
        let mut id = 0u64;
        assert_eq!(rjob_start(c("{nope").as_ptr(), &mut id), S::InvalidJson);
        let mut len = 0usize;
        let mut small = [0 as c_char; 4];
        assert_eq!(
            rjob_last_error(small.as_mut_ptr(), 4, &mut len),
            S::BufferTooSmall
        );
        assert!(len > 4);
        // The too-small read kept the message, and reading it twice gives it twice.
        let msg = last_error();
        assert_eq!(msg.len() + 1, len);
        assert!(msg.starts_with("spec_json"), "{msg}");
        assert_eq!(last_error(), msg);
        // A successful call clears it.
        assert_eq!(rjob_wait(null(), 0, false, 0), S::Ok);
        assert_eq!(last_error(), "");
    }
}

#[test]
fn start_status_stop_wait_receive_remove() {
    let id = start(
        r#"{"argv":["/bin/sh","-c","echo hi; echo err >&2; exec sleep 30"],"name":"abi-job","graceMs":1000}"#,
    );
    let (st, r, recs) = receive(id, true, 0, 4096, 10_000);
    assert_eq!(st, S::Ok);
    assert!(r.count >= 1 && !r.done);
    assert!(recs.contains(&(0, b"hi".to_vec())), "{recs:?}");
    let s = status(id);
    assert_eq!(s.state, RjobJobState::Running);
    assert!(s.pid > 0 && !s.has_exit_code && !s.has_end_time && s.has_more_data);
    let filter = c(r#"{"states":["Running"]}"#);
    let list: serde_json::Value = serde_json::from_str(
        &text(|b, cap, l| unsafe { rjob_list(filter.as_ptr(), b.cast(), cap, l) }).unwrap(),
    )
    .unwrap();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["id"] == id && j["name"] == "abi-job"));
    assert_eq!(rjob_remove(id), S::JobActive);
    assert_eq!(wait(id, 50), S::Timeout);
    assert_eq!(unsafe { rjob_stop(&id, 1, false, -1) }, S::Ok);
    assert_eq!(wait(id, 10_000), S::Ok);
    let s = status(id);
    assert_eq!(s.state, RjobJobState::Stopped);
    assert!(s.has_end_time && s.end_time_ms > 0);
    assert_eq!(info(id)["state"], "Stopped");
    // Consuming read after the job ended: both lines, then done.
    let (st, r, recs) = receive(id, false, 0, 4096, 0);
    assert_eq!(st, S::Ok);
    let mut recs = recs;
    recs.sort();
    assert_eq!(recs, [(0, b"hi".to_vec()), (1, b"err".to_vec())]);
    assert!(r.done);
    assert!(!status(id).has_more_data);
    assert_eq!(rjob_remove(id), S::Ok);
    let mut st = unsafe { std::mem::zeroed::<RjobJobStatus>() };
    assert_eq!(unsafe { rjob_status(id, &mut st) }, S::NotFound);
}

/// A record bigger than the buffer is refused with the size it needs, and nothing is consumed:
/// retrying with that size gets it whole, and the records after it follow in order.
#[test]
fn buffer_too_small_consumes_nothing() {
    let id = start(
        r#"{"argv":["/bin/sh","-c","echo before; head -c 100000 /dev/zero | tr '\\0' x; echo; printf '\\377\\376raw\\n'; echo after"]}"#,
    );
    assert_eq!(wait(id, 10_000), S::Ok);
    for keep in [true, false] {
        let (st, r, recs) = receive(id, keep, 0, 64, 0);
        assert_eq!(st, S::Ok);
        assert_eq!(recs, [(0, b"before".to_vec())]);
        let from = r.next;
        // Too small, even with no room at all: the needed size, nothing written or consumed.
        for cap in [0usize, 64, 100_004] {
            let (st, r, _) = receive(id, keep, from, cap, 0);
            assert_eq!(st, S::BufferTooSmall, "cap {cap}");
            assert_eq!((r.needed, r.count), (100_005, 0));
        }
        let (st, r, recs) = receive(id, keep, from, 100_005, 0);
        assert_eq!(st, S::Ok);
        assert_eq!(recs, [(0, vec![b'x'; 100_000])]);
        // Raw bytes, not decoded: invalid UTF-8 comes back as it was written.
        let (st, r2, recs) = receive(id, keep, r.next, 1 << 16, 0);
        assert_eq!(st, S::Ok);
        assert_eq!(recs, [(0, b"\xff\xferaw".to_vec()), (0, b"after".to_vec())]);
        assert!(r2.done);
        if keep {
            assert!(status(id).has_more_data, "keep consumed nothing");
        } else {
            assert!(!status(id).has_more_data);
        }
    }
    assert_eq!(rjob_remove(id), S::Ok);
}

#[test]
fn change_feed_reports_each_job_once_in_its_current_state() {
    let mut ch = [RjobChange {
        id: 0,
        seq: 0,
        state: RjobJobState::NotStarted,
    }; 64];
    let (mut n, mut seq) = (0usize, 0u64);
    assert_eq!(
        unsafe { rjob_changes(0, ch.as_mut_ptr(), 64, 0, &mut n, &mut seq) },
        S::Ok
    );
    let before = seq;
    let id = start(r#"{"argv":["/bin/sleep","30"]}"#);
    let mut seen: Vec<RjobChange> = Vec::new();
    let mut after = before;
    let feed = |after: &mut u64, timeout: i64, seen: &mut Vec<RjobChange>| {
        let (mut n, mut seq) = (0usize, 0u64);
        let mut ch = [RjobChange {
            id: 0,
            seq: 0,
            state: RjobJobState::NotStarted,
        }; 2];
        assert_eq!(
            unsafe { rjob_changes(*after, ch.as_mut_ptr(), 2, timeout, &mut n, &mut seq) },
            S::Ok
        );
        assert!(seq >= *after);
        seen.extend(ch[..n].iter().filter(|c| c.id == id));
        *after = seq;
        n
    };
    // Other tests change jobs too: read until ours shows up, with a deadline.
    let t = std::time::Instant::now();
    while !seen.iter().any(|c| c.state == RjobJobState::Running) {
        assert!(t.elapsed().as_secs() < 10, "start never showed up");
        feed(&mut after, 1000, &mut seen);
    }
    assert_eq!(unsafe { rjob_stop(&id, 1, true, -1) }, S::Ok);
    while !seen.iter().any(|c| c.state == RjobJobState::Stopped) {
        assert!(t.elapsed().as_secs() < 20, "stop never showed up: {seen:?}");
        feed(&mut after, 1000, &mut seen);
    }
    // Level-triggered: from the sequence before the start, the job appears once, as it is now.
    let mut seen2: Vec<RjobChange> = Vec::new();
    let mut again = before;
    while feed(&mut again, 0, &mut seen2) > 0 {}
    assert_eq!(seen2.len(), 1, "{seen2:?}");
    assert_eq!(seen2[0].state, RjobJobState::Stopped);
    // A timed-out wait for changes returns OK with nothing, after about the timeout.
    let t = std::time::Instant::now();
    let (mut n, mut s2) = (9usize, 0u64);
    assert_eq!(
        unsafe { rjob_changes(u64::MAX - 1, ch.as_mut_ptr(), 64, 100, &mut n, &mut s2) },
        S::Ok
    );
    assert_eq!(n, 0);
    assert!(t.elapsed().as_millis() >= 90);
    assert_eq!(rjob_remove(id), S::Ok);
}

/// Random bytes, random JSON-ish fragments and random ids thrown at every entry point: each call
/// must answer a status (the test would die on a crash).
#[test]
fn fuzz_entry_points() {
    setup();
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        "\"argv\"",
        ":",
        ",",
        "\"",
        "null",
        "1",
        "-1",
        "1e999",
        "\"states\"",
        "\"Running\"",
        "\"ids\"",
        "[18446744073709551615]",
        "\\u0000",
        "\\ud800",
        "true",
        " ",
        "\"env\"",
        "{\"=\":\"x\"}",
        "\"cwd\"",
        "\"\"",
        "\"graceMs\"",
        "99999999999999",
    ];
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut statuses = std::collections::BTreeMap::new();
    let mut buf = vec![0u8; 256];
    for i in 0..20_000 {
        let mut text: Vec<u8> = if i % 3 == 0 {
            (0..rnd() % 64).map(|_| (rnd() % 255 + 1) as u8).collect()
        } else {
            (0..rnd() % 12)
                .flat_map(|_| pieces[(rnd() % pieces.len() as u64) as usize].bytes())
                .collect()
        };
        text.push(0);
        let mut id = 0u64;
        let mut len = 0usize;
        let mut r = RjobReceiveResult::default();
        let cap = (rnd() % 257) as usize;
        let st = unsafe {
            match i % 5 {
                0 => rjob_list(text.as_ptr().cast(), buf.as_mut_ptr().cast(), cap, &mut len),
                1 => rjob_info(rnd() % 4, buf.as_mut_ptr().cast(), cap, &mut len),
                2 => rjob_receive(
                    rnd() % 4,
                    rnd() % 2 == 0,
                    rnd(),
                    0,
                    buf.as_mut_ptr(),
                    cap,
                    &mut r,
                ),
                3 => rjob_last_error(buf.as_mut_ptr().cast(), cap, &mut len),
                // Only shapes that cannot start a real process: argv is never a list of strings.
                _ => {
                    let mut t = b"{\"argv\":".to_vec();
                    t.extend_from_slice(&text[..text.len() - 1]);
                    t.push(0);
                    rjob_start(t.as_ptr().cast(), &mut id)
                }
            }
        };
        *statuses.entry(st as i32).or_insert(0) += 1;
        assert_ne!(st, S::Panic, "input {:?}", String::from_utf8_lossy(&text));
        if st == S::Ok && i % 5 != 2 {
            assert!(len <= cap);
        }
    }
    assert!(statuses.len() >= 3, "{statuses:?}");
}

/// A job started with a stdin pipe waits for its input: bytes sent later reach it, in order,
/// across calls (one of them larger than a frame holds), and closing ends its input.
#[test]
fn input_feeds_a_running_jobs_stdin_until_closed() {
    let id = start(r#"{"argv":["/bin/sh","-c","wc -c; echo done"],"stdin":"ab","stdinPipe":true}"#);
    assert_eq!(wait(id, 300), S::Timeout, "the job waits for its input");
    let big = vec![b'x'; (1 << 20) + 5];
    assert_eq!(
        unsafe { rjob_input(id, big.as_ptr(), big.len(), false) },
        S::Ok
    );
    assert_eq!(
        unsafe { rjob_input(id, null(), 0, false) },
        S::Ok,
        "nothing to send"
    );
    assert_eq!(unsafe { rjob_input(id, b"cd".as_ptr(), 2, true) }, S::Ok);
    assert_eq!(wait(id, 10_000), S::Ok, "closing stdin ended the job");
    let (st, _, recs) = receive(id, false, 0, 4096, 0);
    assert_eq!(st, S::Ok);
    let want = format!("{}", 2 + big.len() + 2);
    let lines: Vec<String> = recs
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).trim().to_string())
        .collect();
    assert_eq!(lines, [want.as_str(), "done"]);
    assert_eq!(rjob_remove(id), S::Ok);
}

#[test]
fn input_refuses_unknown_unpiped_closed_and_ended_jobs() {
    assert_eq!(
        unsafe { rjob_input(u64::MAX, null(), 0, true) },
        S::NotFound
    );
    assert_eq!(
        unsafe { rjob_input(u64::MAX, null(), 1, true) },
        S::NullPointer
    );
    let plain = start(r#"{"argv":["/bin/sleep","30"]}"#);
    assert_eq!(
        unsafe { rjob_input(plain, b"x".as_ptr(), 1, false) },
        S::InvalidArgument
    );
    assert!(last_error().contains("stdin pipe"), "{}", last_error());
    let piped = start(r#"{"argv":["/bin/cat"],"stdinPipe":true}"#);
    assert_eq!(unsafe { rjob_input(piped, null(), 0, true) }, S::Ok);
    assert_eq!(wait(piped, 10_000), S::Ok, "cat saw end of input");
    assert_eq!(
        unsafe { rjob_input(piped, b"x".as_ptr(), 1, false) },
        S::InputClosed
    );
    let ended = start(r#"{"argv":["/bin/sh","-c","exit 0"],"stdinPipe":true}"#);
    assert_eq!(wait(ended, 10_000), S::Ok);
    assert_eq!(
        unsafe { rjob_input(ended, b"x".as_ptr(), 1, true) },
        S::InputClosed
    );
    assert!(last_error().contains("no more input"), "{}", last_error());
    assert_eq!(unsafe { rjob_stop(&plain, 1, true, -1) }, S::Ok);
    assert_eq!(wait(plain, 10_000), S::Ok);
    for id in [plain, piped, ended] {
        let _ = receive(id, false, 0, 4096, 0);
        assert_eq!(rjob_remove(id), S::Ok);
    }
}

#[test]
fn ssh_command_is_how_remote_jobs_reach_a_host_and_refuses_what_ssh_could_misread() {
    setup();
    let ssh = |json: &str| {
        let j = c(json);
        text(|b, cap, len| unsafe { rjob_ssh_command(j.as_ptr(), b.cast(), cap, len) })
    };
    let t = ssh(
        r#"{"host":"build01","user":"me","port":2222,"options":{"StrictHostKeyChecking":"yes"}}"#,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
    let argv: Vec<&str> = v["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(argv[0], "ssh");
    assert_eq!(&argv[argv.len() - 2..], ["--", "build01"], "{argv:?}");
    let at = |s: &str| argv.iter().position(|a| *a == s);
    // Never a prompt, and ours before the caller's options, which ssh would otherwise obey.
    assert!(at("BatchMode=yes").unwrap() < at("StrictHostKeyChecking=yes").unwrap());
    assert_eq!(argv[at("-p").unwrap() + 1], "2222");
    assert_eq!(argv[at("-l").unwrap() + 1], "me");
    assert!(
        !t.contains("ControlMaster"),
        "not shared with jobs' connections: {t}"
    );
    assert_eq!(v["supervisorPath"], ".local/lib/rjob/rjob-supervisor");
    let own = ssh(r#"{"host":"h","supervisorPath":"/opt/rjob-supervisor"}"#).unwrap();
    assert!(
        own.contains(r#""supervisorPath":"/opt/rjob-supervisor""#),
        "{own}"
    );

    assert_eq!(
        ssh(r#"{"host":"-oProxyCommand=x"}"#),
        Err(S::InvalidArgument)
    );
    assert!(
        last_error().contains("not a valid host name"),
        "{}",
        last_error()
    );
    assert_eq!(
        ssh(r#"{"host":"h","options":{"a b":"c"}}"#),
        Err(S::InvalidArgument)
    );
    assert_eq!(ssh("{"), Err(S::InvalidJson));
    let mut len = 0usize;
    assert_eq!(
        unsafe { rjob_ssh_command(null(), null_mut(), 0, &mut len) },
        S::NullPointer
    );
}
