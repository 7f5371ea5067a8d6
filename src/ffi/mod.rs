//! The C ABI. Each export converts its arguments, calls `engine`, and returns a status; bodies run
//! inside `boundary`, so no panic crosses into the caller. Strings the library returns are owned
//! by the library: give them back with `rjob_string_free`.

pub mod guard;
pub mod status;

use crate::engine;
use crate::ffi::guard::{boundary, give_string, out_ptr, str_in, take_string, AbiError};
use crate::ffi::status::RjobStatus;
use crate::spec::{Filter, StartSpec};
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

fn json_out(v: &impl serde::Serialize) -> Result<String, AbiError> {
    serde_json::to_string(v).map_err(|e| AbiError::new(RjobStatus::Io, e.to_string()))
}

/// # Safety
/// `ids` must be NULL or point to `count` readable ids.
unsafe fn ids_in<'a>(ids: *const u64, count: usize) -> Result<&'a [u64], AbiError> {
    if count == 0 {
        return Ok(&[]);
    }
    if ids.is_null() {
        return Err(AbiError::new(
            RjobStatus::NullPointer,
            "ids is NULL but count is not 0",
        ));
    }
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
/// `spec_json` is an object: `argv` (array of strings, required; argv[0] is the executable, run
/// directly with no shell), and optionally `name`, `command` (display text), `kind`, `cwd`,
/// `env` (object: the job's whole environment), `stdin` (text written to the job's stdin),
/// `graceMs` (SIGTERM-to-SIGKILL time for a graceful stop), `outputWindow` (bytes of output
/// kept in memory before spooling to disk) and `spoolDir` (where that spool goes).
///
/// Blocks until the job's process has started (about a millisecond) or failed to start
/// (`RJOB_STATUS_SPAWN_FAILED`, with the reason in `rjob_last_error`). The caller keeps
/// ownership of `spec_json`.
#[no_mangle]
pub unsafe extern "C" fn rjob_start(spec_json: *const c_char, out_id: *mut u64) -> RjobStatus {
    boundary(|| {
        out_ptr(out_id, "out_id")?;
        let spec: StartSpec = json_in(str_in(spec_json, "spec_json")?, "spec_json")?;
        let id = engine::start(spec)?;
        *out_id = id;
        Ok(())
    })
}

/// Lists jobs as a JSON array of job objects, oldest first, into `*out_json`.
///
/// `filter_json` may be NULL (every job) or an object with any of `ids`, `names` (PowerShell
/// wildcards, case-insensitive), `states` (e.g. `"Running"`) and `instanceIds`. Every field given
/// must match. Does not block. Free `*out_json` with `rjob_string_free`.
#[no_mangle]
pub unsafe extern "C" fn rjob_list(
    filter_json: *const c_char,
    out_json: *mut *mut c_char,
) -> RjobStatus {
    boundary(|| {
        out_ptr(out_json, "out_json")?;
        let filter: Filter = if filter_json.is_null() {
            Filter::default()
        } else {
            json_in(str_in(filter_json, "filter_json")?, "filter_json")?
        };
        *out_json = give_string(json_out(&engine::list(&filter))?);
        Ok(())
    })
}

/// Writes one job as a JSON object to `*out_json`: `id`, `instanceId`, `name`, `command`, `kind`,
/// `state`, `pid`, `exitCode`, `signal`, `beginTimeMs`, `endTimeMs`, `hasMoreData`, `location`,
/// `reason`. `RJOB_STATUS_NOT_FOUND` for an unknown id. Does not block. Free `*out_json` with
/// `rjob_string_free`.
#[no_mangle]
pub unsafe extern "C" fn rjob_get(id: u64, out_json: *mut *mut c_char) -> RjobStatus {
    boundary(|| {
        out_ptr(out_json, "out_json")?;
        *out_json = give_string(json_out(&engine::get(id)?)?);
        Ok(())
    })
}

/// Asks the `count` jobs in `ids` to stop, and returns without waiting: use `rjob_wait`.
///
/// Graceful (`force` false): SIGTERM to the job's whole process tree, SIGKILL to whatever is left
/// after the grace period (`grace_ms`, or the job's own when negative). `force`: SIGKILL at once.
/// Finished jobs are skipped. If any id is unknown, nothing is stopped and the result is
/// `RJOB_STATUS_NOT_FOUND`.
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
/// for Ctrl+C) call it in short slices.
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

/// Reads a job's output as JSON `{"records":[{"s":0|1,"d":"text","c":true?}],"next":N,"done":B}`
/// into `*out_json`: `s` 0 is stdout, 1 stderr; `c` marks a line cut at the line limit that goes
/// on in the next record; `done` says the job has ended and nothing follows `next`.
///
/// Without `keep` the records returned are consumed. With `keep`, nothing is consumed and reading
/// starts at sequence `from` (pass the previous `next` to go on). At most `max_records` records
/// (0 means 1000). If none is ready and the job runs, blocks up to `timeout_ms` (negative: 0) for
/// some. Free `*out_json` with `rjob_string_free`.
#[no_mangle]
pub unsafe extern "C" fn rjob_receive(
    id: u64,
    keep: bool,
    from: u64,
    max_records: u32,
    timeout_ms: i64,
    out_json: *mut *mut c_char,
) -> RjobStatus {
    boundary(|| {
        out_ptr(out_json, "out_json")?;
        let max = if max_records == 0 {
            1000
        } else {
            max_records as usize
        };
        let batch = engine::receive(
            id,
            keep,
            from,
            max,
            timeout_in(timeout_ms).unwrap_or_default(),
        )?;
        *out_json = give_string(json_out(&batch)?);
        Ok(())
    })
}

/// Forgets a finished job and frees its output. `RJOB_STATUS_JOB_ACTIVE` if it still runs.
#[no_mangle]
pub unsafe extern "C" fn rjob_remove(id: u64) -> RjobStatus {
    boundary(|| Ok(engine::remove(id)?))
}

/// Frees a string this library returned. NULL is a no-op (`RJOB_STATUS_OK`); a pointer the
/// library did not hand out, or one already freed, is refused with `RJOB_STATUS_UNKNOWN_POINTER`
/// and left alone.
#[no_mangle]
pub unsafe extern "C" fn rjob_string_free(s: *mut c_char) -> RjobStatus {
    boundary(|| {
        if s.is_null() || take_string(s) {
            Ok(())
        } else {
            Err(AbiError::new(
                RjobStatus::UnknownPointer,
                "not a string from this library, or already freed",
            ))
        }
    })
}

/// Writes the message of the last failed call on this thread to `*out_message` (NULL when the
/// last call succeeded). Free it with `rjob_string_free`.
#[no_mangle]
pub unsafe extern "C" fn rjob_last_error(out_message: *mut *mut c_char) -> RjobStatus {
    if out_message.is_null() {
        return RjobStatus::NullPointer;
    }
    let msg = crate::ffi::guard::last_error();
    match std::panic::catch_unwind(|| msg.map(give_string)) {
        Ok(p) => {
            *out_message = p.unwrap_or(std::ptr::null_mut());
            RjobStatus::Ok
        }
        Err(_) => RjobStatus::Panic,
    }
}

/// The library's version, as a static NUL-terminated string the caller must not free.
#[no_mangle]
pub extern "C" fn rjob_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
