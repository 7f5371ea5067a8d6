//! The exported C functions called directly, as a careless or hostile caller would.

mod common;
use common::setup;
use rjob::ffi::status::RjobStatus as S;
use rjob::ffi::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn take(p: *mut c_char) -> String {
    let s = CStr::from_ptr(p).to_str().unwrap().to_owned();
    assert_eq!(rjob_string_free(p), S::Ok);
    s
}

unsafe fn last_error() -> String {
    let mut p = null_mut();
    assert_eq!(rjob_last_error(&mut p), S::Ok);
    if p.is_null() {
        String::new()
    } else {
        take(p)
    }
}

#[test]
fn null_pointers_answer_a_status() {
    setup();
    unsafe {
        let mut id = 0u64;
        let mut out = null_mut();
        assert_eq!(rjob_start(null(), &mut id), S::NullPointer);
        assert!(last_error().contains("spec_json"));
        assert_eq!(rjob_start(c("{}").as_ptr(), null_mut()), S::NullPointer);
        assert_eq!(rjob_list(null(), null_mut()), S::NullPointer);
        assert_eq!(rjob_get(1, null_mut()), S::NullPointer);
        assert_eq!(rjob_stop(null(), 3, false, -1), S::NullPointer);
        assert_eq!(rjob_wait(null(), 1, false, 0), S::NullPointer);
        assert_eq!(rjob_receive(1, false, 0, 0, 0, null_mut()), S::NullPointer);
        assert_eq!(rjob_last_error(null_mut()), S::NullPointer);
        assert_eq!(rjob_string_free(null_mut()), S::Ok);
        // NULL filter means "every job".
        assert_eq!(rjob_list(null(), &mut out), S::Ok);
        assert!(take(out).starts_with('['));
        // Empty id lists are fine.
        assert_eq!(rjob_stop(null(), 0, false, -1), S::Ok);
        assert_eq!(rjob_wait(null(), 0, false, 0), S::Ok);
        assert_eq!(id, 0, "out parameters are written only on success");
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
        let mut out = null_mut();
        assert_eq!(
            rjob_list(c(r#"{"states":["Sleepy"]}"#).as_ptr(), &mut out),
            S::InvalidJson
        );
        assert!(out.is_null());
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
        let mut out = null_mut();
        let ids = [u64::MAX - 1];
        assert_eq!(rjob_get(u64::MAX - 1, &mut out), S::NotFound);
        assert_eq!(rjob_stop(ids.as_ptr(), 1, true, -1), S::NotFound);
        assert_eq!(rjob_wait(ids.as_ptr(), 1, false, 0), S::NotFound);
        assert_eq!(
            rjob_receive(u64::MAX - 1, false, 0, 0, 0, &mut out),
            S::NotFound
        );
        assert_eq!(rjob_remove(u64::MAX - 1), S::NotFound);
        assert!(out.is_null());
        assert!(last_error().contains("no job"));
    }
}

#[test]
fn double_and_foreign_free_are_refused() {
    setup();
    unsafe {
        let mut out = null_mut();
        assert_eq!(rjob_list(null(), &mut out), S::Ok);
        assert_eq!(rjob_string_free(out), S::Ok);
        assert_eq!(rjob_string_free(out), S::UnknownPointer);
        let mine = CString::new("not yours").unwrap().into_raw();
        assert_eq!(rjob_string_free(mine), S::UnknownPointer);
        drop(CString::from_raw(mine));
        let v = rjob_version();
        assert_eq!(
            CStr::from_ptr(v).to_str().unwrap(),
            env!("CARGO_PKG_VERSION")
        );
    }
}

#[test]
fn start_list_stop_wait_receive_remove() {
    setup();
    unsafe {
        let mut id = 0u64;
        let spec =
            c(r#"{"argv":["/bin/sh","-c","echo hi; sleep 30"],"name":"abi-job","graceMs":1000}"#);
        assert_eq!(rjob_start(spec.as_ptr(), &mut id), S::Ok);
        let mut out = null_mut();
        assert_eq!(rjob_receive(id, true, 0, 10, 10_000, &mut out), S::Ok);
        let batch: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
        assert_eq!(batch["records"][0]["d"], "hi");
        assert_eq!(
            rjob_list(
                c(r#"{"names":["ABI-*"],"states":["Running"]}"#).as_ptr(),
                &mut out
            ),
            S::Ok
        );
        let list: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
        assert!(list.as_array().unwrap().iter().any(|j| j["id"] == id));
        assert_eq!(rjob_remove(id), S::JobActive);
        assert_eq!(rjob_wait(&id, 1, false, 50), S::Timeout);
        assert_eq!(rjob_stop(&id, 1, false, -1), S::Ok);
        assert_eq!(rjob_wait(&id, 1, false, 10_000), S::Ok);
        assert_eq!(rjob_get(id, &mut out), S::Ok);
        let info: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
        assert_eq!(info["state"], "Stopped");
        assert_eq!(info["name"], "abi-job");
        assert_eq!(rjob_remove(id), S::Ok);
    }
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
        "\"names\"",
        "\"*\"",
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
    for i in 0..20_000 {
        let mut text: Vec<u8> = if i % 3 == 0 {
            (0..rnd() % 64).map(|_| (rnd() % 255 + 1) as u8).collect()
        } else {
            (0..rnd() % 12)
                .flat_map(|_| pieces[(rnd() % pieces.len() as u64) as usize].bytes())
                .collect()
        };
        text.push(0);
        let mut out = null_mut();
        let mut id = 0u64;
        let st = unsafe {
            match i % 4 {
                0 => rjob_list(text.as_ptr().cast(), &mut out),
                1 => rjob_get(rnd() % 4, &mut out),
                2 => rjob_receive(
                    rnd(),
                    rnd() % 2 == 0,
                    rnd(),
                    (rnd() % 3) as u32,
                    0,
                    &mut out,
                ),
                // Only shapes that cannot start a real process: argv is never a list of strings.
                _ => {
                    let mut t = b"{\"argv\":".to_vec();
                    t.extend_from_slice(&text[..text.len() - 1]);
                    t.push(0);
                    rjob_start(t.as_ptr().cast(), &mut id)
                }
            }
        };
        if !out.is_null() {
            assert_eq!(unsafe { rjob_string_free(out) }, S::Ok);
        }
        *statuses.entry(st as i32).or_insert(0) += 1;
        assert_ne!(st, S::Panic, "input {:?}", String::from_utf8_lossy(&text));
    }
    assert!(statuses.len() >= 3, "{statuses:?}");
}
