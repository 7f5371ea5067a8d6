//! The C ABI, version 2. Each export checks its pointers, converts its arguments, calls `engine`
//! and returns a status; every body runs inside `guard::boundary`, so no panic crosses into the
//! caller.
//!
//! Ownership: the library never hands out memory. Every variable-size result is written into a
//! buffer the caller owns (`buf`, `cap`); when it does not fit, the call returns
//! `RJOB_STATUS_BUFFER_TOO_SMALL`, says how many bytes it needs, and consumes nothing, so the
//! same call with a larger buffer gets the same result. There is nothing to free.
//!
//! Text results (JSON, messages) are UTF-8 with a terminating NUL; their `*out_len` counts the
//! NUL. Output records are raw bytes (see `rjob_receive`).

pub mod guard;
pub mod status;
pub mod types;

use crate::engine;
use crate::ffi::guard::{boundary, boundary_keeping_error, non_null, str_in, AbiError, OutBuf};
use crate::ffi::status::RjobStatus;
use crate::ffi::types::{
    RjobChange, RjobJobStatus, RjobReceiveResult, RJOB_RECORD_CONTINUES, RJOB_RECORD_HEADER,
};
use crate::spec::StartSpec;
use std::ffi::c_char;
use std::time::Duration;

/// Longest JSON argument accepted, to refuse absurd input before parsing it.
const MAX_JSON: usize = 64 << 20;
const MAX_IDS: usize = 1 << 20;

fn json_in<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, AbiError> {
    if text.len() > MAX_JSON {
        return Err(AbiError::new(
            RjobStatus::InvalidArgument,
            format!("{what} is larger than {MAX_JSON} bytes"),
        ));
    }
    serde_json::from_str(text)
        .map_err(|e| AbiError::new(RjobStatus::InvalidJson, format!("{what}: {e}")))
}

/// Writes `v` as NUL-terminated JSON into the caller's buffer and its size to `*out_len`.
///
/// # Safety
/// `out_len` must be valid for a write.
unsafe fn json_out(
    v: &impl serde::Serialize,
    mut out: OutBuf<'_>,
    out_len: *mut usize,
) -> Result<(), AbiError> {
    let cap = out.bytes.len();
    let text = serde_json::to_vec(v).map_err(|e| AbiError::new(RjobStatus::Io, e.to_string()))?;
    match out.put_text(&text) {
        Ok(n) => {
            *out_len = n;
            Ok(())
        }
        Err(needed) => {
            *out_len = needed;
            Err(AbiError::too_small(needed, cap))
        }
    }
}

/// # Safety
/// `ids` must be NULL or point to `count` readable ids.
unsafe fn ids_in<'a>(ids: *const u64, count: usize) -> Result<&'a [u64], AbiError> {
    if count == 0 {
        return Ok(&[]);
    }
    non_null(ids, "ids")?;
    if count > MAX_IDS {
        return Err(AbiError::new(RjobStatus::InvalidArgument, "too many ids"));
    }
    Ok(std::slice::from_raw_parts(ids, count))
}

fn timeout_in(ms: i64) -> Option<Duration> {
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

/// Starts a job described by `spec_json` and writes its id to `*out_id`.
///
/// `spec_json` is a JSON object (see `StartSpec` in src/spec.rs): `argv` (array of strings,
/// required; argv[0] is the executable, run directly with no shell), and optionally `name`,
/// `command` (display text), `kind`, `cwd`, `env` (the job's whole environment), `stdin`,
/// `graceMs` (SIGTERM-to-SIGKILL time for a graceful stop) and the output settings.
///
/// Blocks until the job's process has started (about a millisecond) or failed to start
/// (`RJOB_STATUS_SPAWN_FAILED`, with the reason in `rjob_last_error`). With `"noWait": true` (a
/// local job) it returns once the job's supervisor has the spec: the job is Running, its pid 0 in
/// `rjob_status` until the process runs, and a process that cannot start makes the job Failed with
/// the reason (`rjob_info`), so that one start overlaps the next. The caller keeps ownership of
/// `spec_json`.
///
/// # Safety
/// `spec_json` must be NULL or a NUL-terminated string, `out_id` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn rjob_start(spec_json: *const c_char, out_id: *mut u64) -> RjobStatus {
    boundary(|| {
        non_null(out_id, "out_id")?;
        let spec: StartSpec = json_in(str_in(spec_json, "spec_json")?, "spec_json")?;
        let id = engine::start(spec)?;
        *out_id = id;
        Ok(())
    })
}

/// Writes the hot part of a job's state to `*out`: state, pid, exit code, signal, end time and
/// whether output is waiting. No JSON; does not block. `RJOB_STATUS_NOT_FOUND` for an unknown
/// (or removed) id. The caller owns `*out`.
///
/// # Safety
/// `out` must be NULL or valid for writing one `RjobJobStatus`.
#[no_mangle]
pub unsafe extern "C" fn rjob_status(id: u64, out: *mut RjobJobStatus) -> RjobStatus {
    boundary(|| {
        non_null(out, "out")?;
        *out = engine::status(id)?.into();
        Ok(())
    })
}

/// Writes one job as a NUL-terminated JSON object into `buf` (`cap` bytes, owned by the caller)
/// and its size, NUL included, to `*out_len`: `id`, `instanceId`, `name`, `command`, `kind`,
/// `state`, `pid`, `exitCode`, `signal`, `beginTimeMs`, `endTimeMs`, `hasMoreData`, `location`,
/// `reason` (why the job failed when no exit code says it).
///
/// When it does not fit: `RJOB_STATUS_BUFFER_TOO_SMALL` and `*out_len` = bytes needed. `buf` may
/// be NULL when `cap` is 0. `RJOB_STATUS_NOT_FOUND` for an unknown id. Does not block.
///
/// # Safety
/// `buf` must be NULL or valid for writing `cap` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn rjob_info(
    id: u64,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> RjobStatus {
    boundary(|| {
        non_null(out_len, "out_len")?;
        let out = OutBuf::new(buf.cast(), cap, "buf")?;
        json_out(&engine::get(id)?, out, out_len)
    })
}

/// Lists jobs, oldest first, as a NUL-terminated JSON array of the objects `rjob_info` writes,
/// into `buf` (`cap` bytes, owned by the caller); `*out_len` gets its size, NUL included.
///
/// `filter_json` may be NULL (every job) or an object with `ids` and/or `states` (e.g.
/// `["Running"]`); every field given must match. Names are not filtered here: the caller matches
/// them with its own wildcard rules. When the list does not fit: `RJOB_STATUS_BUFFER_TOO_SMALL`
/// and `*out_len` = bytes needed (the list may have grown by the next call). Does not block.
///
/// # Safety
/// `filter_json` must be NULL or a NUL-terminated string; `buf` NULL or valid for writing `cap`
/// bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn rjob_list(
    filter_json: *const c_char,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> RjobStatus {
    boundary(|| {
        non_null(out_len, "out_len")?;
        let out = OutBuf::new(buf.cast(), cap, "buf")?;
        let filter: engine::Filter = if filter_json.is_null() {
            engine::Filter::default()
        } else {
            json_in(str_in(filter_json, "filter_json")?, "filter_json")?
        };
        json_out(&engine::list(&filter), out, out_len)
    })
}

/// Writes how to reach a host as remote jobs do, as a NUL-terminated JSON object into `buf`
/// (`cap` bytes, owned by the caller), its size, NUL included, to `*out_len`: `argv` (ssh and
/// its arguments up to and including the host; the caller appends its remote command) and
/// `supervisorPath` (where remote jobs look for rjob-supervisor on that host). `remote_json` is
/// the start spec's `remote` object. The connection is not shared with jobs' connections.
///
/// `RJOB_STATUS_INVALID_ARGUMENT` for a bad remote object; when the result does not fit,
/// `RJOB_STATUS_BUFFER_TOO_SMALL` and `*out_len` = bytes needed. Does not block.
///
/// # Safety
/// `remote_json` must be NULL or a NUL-terminated string; `buf` NULL or valid for writing `cap`
/// bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn rjob_ssh_command(
    remote_json: *const c_char,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> RjobStatus {
    boundary(|| {
        non_null(out_len, "out_len")?;
        let out = OutBuf::new(buf.cast(), cap, "buf")?;
        let remote: crate::spec::Remote =
            json_in(str_in(remote_json, "remote_json")?, "remote_json")?;
        json_out(&engine::remote::ssh_command(&remote)?, out, out_len)
    })
}

/// Asks the `count` jobs in `ids` to stop, and returns without waiting: use `rjob_wait` or
/// `rjob_changes`. A stop accepted here always reaches the job, however soon after its start.
///
/// Graceful (`force` false): SIGTERM to the job's whole process tree, SIGKILL to whatever is left
/// after the grace period (`grace_ms`, or the job's own when negative). `force`: SIGKILL at once.
/// Finished jobs are skipped. If any id is unknown, nothing is stopped and the result is
/// `RJOB_STATUS_NOT_FOUND`. The caller keeps ownership of `ids`.
///
/// # Safety
/// `ids` must be NULL or point to `count` readable ids.
#[no_mangle]
pub unsafe extern "C" fn rjob_stop(
    ids: *const u64,
    count: usize,
    force: bool,
    grace_ms: i64,
) -> RjobStatus {
    boundary(|| {
        let ids = ids_in(ids, count)?;
        engine::stop(ids, force, (grace_ms >= 0).then_some(grace_ms as u64))?;
        Ok(())
    })
}

/// Blocks until all the jobs in `ids` (or, with `any`, at least one) have finished, or until
/// `timeout_ms` passes (negative: no limit). `RJOB_STATUS_OK` when the condition holds,
/// `RJOB_STATUS_TIMEOUT` when time ran out. Callers that must stay responsive (a shell waiting
/// for Ctrl+C) wait in short slices. The caller keeps ownership of `ids`.
///
/// # Safety
/// `ids` must be NULL or point to `count` readable ids.
#[no_mangle]
pub unsafe extern "C" fn rjob_wait(
    ids: *const u64,
    count: usize,
    any: bool,
    timeout_ms: i64,
) -> RjobStatus {
    boundary(|| {
        let ids = ids_in(ids, count)?;
        if engine::wait(ids, any, timeout_in(timeout_ms))? {
            Ok(())
        } else {
            Err(AbiError::new(RjobStatus::Timeout, "the wait timed out"))
        }
    })
}

/// Reads a job's output into `buf` (`cap` bytes, owned by the caller) as whole records, each
/// `u8 flags | u32 LE length | bytes`: bits 0-6 of flags are the stream (0 stdout, 1 stderr,
/// 2 the records pipe), bit 7 (`RJOB_RECORD_CONTINUES`) marks a line that goes on in the next
/// record. The bytes are exactly what the job wrote, line ending removed; nothing is decoded.
/// `*out` gets `next`, `count`, `needed` (bytes written) and `done` (the job has ended and nothing
/// follows `next`).
///
/// Without `keep` the records written are consumed. With `keep`, nothing is consumed and reading
/// starts at sequence `from` (pass the previous `next` to go on). If the next record does not fit
/// in `cap`: `RJOB_STATUS_BUFFER_TOO_SMALL`, `out->needed` = the bytes it needs, and nothing is
/// consumed. `buf` may be NULL when `cap` is 0.
///
/// Blocks up to `timeout_ms` (negative: 0) while no record is ready and the job runs.
///
/// # Safety
/// `buf` must be NULL or valid for writing `cap` bytes; `out` NULL or valid for writing one
/// `RjobReceiveResult`.
#[no_mangle]
pub unsafe extern "C" fn rjob_receive(
    id: u64,
    keep: bool,
    from: u64,
    timeout_ms: i64,
    buf: *mut u8,
    cap: usize,
    out: *mut RjobReceiveResult,
) -> RjobStatus {
    boundary(|| {
        non_null(out, "out")?;
        let dst = OutBuf::new(buf, cap, "buf")?.bytes;
        let limit = engine::Limit {
            max_records: (cap / RJOB_RECORD_HEADER).clamp(1, 1 << 20),
            max_bytes: cap,
            per_record: RJOB_RECORD_HEADER,
        };
        let batch = engine::receive(
            id,
            keep,
            from,
            limit,
            timeout_in(timeout_ms).unwrap_or_default(),
        )?;
        if let Some(needed) = batch.too_big {
            *out = RjobReceiveResult {
                next: batch.next,
                count: 0,
                needed,
                done: false,
            };
            return Err(AbiError::too_small(needed, cap));
        }
        let mut at = 0;
        for r in &batch.records {
            // The engine returned only records that fit, and none longer than u32 (a line is cut
            // far below that), so these writes stay inside `dst`.
            let flags = (r.stream & !RJOB_RECORD_CONTINUES)
                | if r.cont { RJOB_RECORD_CONTINUES } else { 0 };
            dst[at] = flags;
            dst[at + 1..at + RJOB_RECORD_HEADER]
                .copy_from_slice(&(r.data.len() as u32).to_le_bytes());
            at += RJOB_RECORD_HEADER;
            dst[at..at + r.data.len()].copy_from_slice(&r.data);
            at += r.data.len();
        }
        *out = RjobReceiveResult {
            next: batch.next,
            count: batch.records.len(),
            needed: at,
            done: batch.done,
        };
        Ok(())
    })
}

/// The change feed: writes to `buf` (room for `cap` entries, owned by the caller) the jobs whose
/// state changed after sequence `after`, each once with its current state, oldest change first;
/// `*count` gets how many, `*out_seq` the sequence to pass as `after` next time. Level-triggered:
/// a job that changed several times appears once, so nothing piles up; pass 0 to get every job.
/// A job also appears when output arrived that no `rjob_receive` has taken since it last
/// appeared for that reason (its state may then be unchanged), so a reader need not poll jobs.
///
/// Blocks up to `timeout_ms` (negative: no limit) while nothing changed after `after`; on
/// timeout the result is `RJOB_STATUS_OK` with `*count` 0. When more jobs changed than `cap`
/// holds, the rest come with the next call.
///
/// # Safety
/// `buf` must be NULL or valid for writing `cap` entries; `count` and `out_seq` NULL or valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn rjob_changes(
    after: u64,
    buf: *mut RjobChange,
    cap: usize,
    timeout_ms: i64,
    count: *mut usize,
    out_seq: *mut u64,
) -> RjobStatus {
    boundary(|| {
        non_null(count, "count")?;
        non_null(out_seq, "out_seq")?;
        non_null(buf, "buf")?;
        if cap == 0 || cap > MAX_IDS {
            return Err(AbiError::new(
                RjobStatus::InvalidArgument,
                format!("cap must be between 1 and {MAX_IDS}"),
            ));
        }
        let (changes, seq) = engine::changes(after, cap, timeout_in(timeout_ms));
        let dst = std::slice::from_raw_parts_mut(buf, cap);
        for (d, c) in dst.iter_mut().zip(&changes) {
            *d = (*c).into();
        }
        *count = changes.len();
        *out_seq = seq;
        Ok(())
    })
}

/// Writes `len` bytes from `bytes` to the stdin of job `id`, which must have been started with
/// `"stdinPipe": true`; with `close`, the job's stdin is closed after them (the job sees end of
/// input). `bytes` may be NULL when `len` is 0 (`close` alone closes). The caller keeps ownership
/// of `bytes`.
///
/// Returns once the bytes are handed to the job's supervisor, which writes them as the job reads;
/// it holds up to 16 MiB the job has not read yet, and closes the job's stdin (dropping the rest)
/// beyond that. `RJOB_STATUS_NOT_FOUND` for an unknown id, `RJOB_STATUS_INVALID_ARGUMENT` for a
/// job started without a stdin pipe, `RJOB_STATUS_INPUT_CLOSED` when its stdin was closed by an
/// earlier call or the job has ended.
///
/// # Safety
/// `bytes` must be NULL or point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn rjob_input(
    id: u64,
    bytes: *const u8,
    len: usize,
    close: bool,
) -> RjobStatus {
    boundary(|| {
        let data: &[u8] = if len == 0 {
            &[]
        } else {
            non_null(bytes, "bytes")?;
            std::slice::from_raw_parts(bytes, len)
        };
        Ok(engine::input(id, data, close)?)
    })
}

/// Forgets a finished job and frees its output. `RJOB_STATUS_JOB_ACTIVE` if it still runs.
/// Does not block.
#[no_mangle]
pub extern "C" fn rjob_remove(id: u64) -> RjobStatus {
    boundary(|| Ok(engine::remove(id)?))
}

/// Copies the message of the last failed call on this thread into `buf` (`cap` bytes, owned by
/// the caller) with a terminating NUL; `*out_len` gets its size, NUL included. An empty message
/// when the last call succeeded. Reading the message does not clear it: when it does not fit,
/// `RJOB_STATUS_BUFFER_TOO_SMALL` and `*out_len` = bytes needed, and the next call gets it.
/// `buf` may be NULL when `cap` is 0. Does not block.
///
/// # Safety
/// `buf` must be NULL or valid for writing `cap` bytes; `out_len` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn rjob_last_error(
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> RjobStatus {
    boundary_keeping_error(|| {
        non_null(out_len, "out_len")?;
        let mut out = OutBuf::new(buf.cast(), cap, "buf")?;
        let msg = guard::last_error().unwrap_or_default();
        match out.put_text(msg.as_bytes()) {
            Ok(n) => {
                *out_len = n;
                Ok(())
            }
            Err(needed) => {
                *out_len = needed;
                Err(AbiError::too_small(needed, cap))
            }
        }
    })
}

/// The library's version, as a static NUL-terminated string owned by the library (never free
/// it). The C ABI is version 2.
#[no_mangle]
pub extern "C" fn rjob_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
