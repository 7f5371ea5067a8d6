//! The one panic boundary every export goes through, the last-error slot, and the checks of what
//! callers pass in.

use crate::engine::error::EngineError;
use crate::ffi::status::RjobStatus;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

/// A failed call: the status to return and the text `rjob_last_error` gives.
#[derive(Debug)]
pub struct AbiError {
    pub status: RjobStatus,
    pub message: String,
}

impl AbiError {
    pub fn new(status: RjobStatus, message: impl Into<String>) -> AbiError {
        AbiError {
            status,
            message: message.into(),
        }
    }

    pub fn too_small(needed: usize, cap: usize) -> AbiError {
        AbiError::new(
            RjobStatus::BufferTooSmall,
            format!("the buffer holds {cap} bytes; {needed} are needed"),
        )
    }
}

impl From<EngineError> for AbiError {
    fn from(e: EngineError) -> AbiError {
        let status = match &e {
            EngineError::NotFound(_) => RjobStatus::NotFound,
            EngineError::InvalidArgument(_) => RjobStatus::InvalidArgument,
            EngineError::JobActive(_) => RjobStatus::JobActive,
            EngineError::Spawn(_) => RjobStatus::SpawnFailed,
            EngineError::Io(_) => RjobStatus::Io,
            EngineError::Timeout => RjobStatus::Timeout,
            EngineError::InputClosed(_) => RjobStatus::InputClosed,
        };
        AbiError::new(status, e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Set while an export's body runs: only those panics are kept quiet.
    static IN_BOUNDARY: Cell<bool> = const { Cell::new(false) };
}

/// The panic boundary: runs an export's body, catches any panic, keeps the failure's message for
/// `rjob_last_error` (a success clears it) and returns the status. Every export that can fail
/// returns through here or through `boundary_keeping_error`.
pub fn boundary(body: impl FnOnce() -> Result<(), AbiError>) -> RjobStatus {
    run(true, body)
}

/// The same boundary for `rjob_last_error` itself: reading the message must not replace it.
pub fn boundary_keeping_error(body: impl FnOnce() -> Result<(), AbiError>) -> RjobStatus {
    run(false, body)
}

fn run(record: bool, body: impl FnOnce() -> Result<(), AbiError>) -> RjobStatus {
    quiet_panics();
    let outer = IN_BOUNDARY.with(|b| b.replace(true));
    let result = catch_unwind(AssertUnwindSafe(body));
    IN_BOUNDARY.with(|b| b.set(outer));
    let result = result.unwrap_or_else(|_| {
        let msg = PANIC_MESSAGE
            .try_with(|m| m.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_else(|| "unknown panic".into());
        Err(AbiError::new(
            RjobStatus::Panic,
            format!("internal error (please report): {msg}"),
        ))
    });
    match result {
        Ok(()) => {
            if record {
                set_last_error(None);
            }
            RjobStatus::Ok
        }
        Err(e) => {
            if record {
                set_last_error(Some(e.message));
            }
            e.status
        }
    }
}

/// Keeps the messages of panics inside an export for `rjob_last_error` instead of printing them
/// into the host's console; any other panic goes to the hook that was there before.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_BOUNDARY.try_with(|b| b.get()).unwrap_or(false) {
                let msg = info.to_string();
                let _ = PANIC_MESSAGE.try_with(|m| *m.borrow_mut() = Some(msg));
            } else {
                previous(info);
            }
        }))
    });
}

fn set_last_error(msg: Option<String>) {
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = msg);
}

/// The message of the last failed call on this thread, if the last call failed.
pub fn last_error() -> Option<String> {
    LAST_ERROR.try_with(|e| e.borrow().clone()).ok().flatten()
}

/// Borrows a caller's C string as UTF-8.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives the call.
pub unsafe fn str_in<'a>(p: *const c_char, what: &str) -> Result<&'a str, AbiError> {
    if p.is_null() {
        return Err(null(what));
    }
    CStr::from_ptr(p).to_str().map_err(|_| {
        AbiError::new(
            RjobStatus::InvalidUtf8,
            format!("{what} is not valid UTF-8"),
        )
    })
}

/// Checks a required pointer before any work is done, so nothing is lost when it is NULL.
pub fn non_null<T>(p: *const T, what: &str) -> Result<(), AbiError> {
    if p.is_null() {
        Err(null(what))
    } else {
        Ok(())
    }
}

fn null(what: &str) -> AbiError {
    AbiError::new(RjobStatus::NullPointer, format!("{what} is NULL"))
}

/// A caller's output buffer: `buf` may be NULL only when `cap` is 0 (a call that asks only how
/// much room the result needs).
pub struct OutBuf<'a> {
    pub bytes: &'a mut [u8],
}

impl<'a> OutBuf<'a> {
    /// # Safety
    /// `buf` must be NULL or point to `cap` writable bytes that no one else touches during the
    /// call.
    pub unsafe fn new(buf: *mut u8, cap: usize, what: &str) -> Result<OutBuf<'a>, AbiError> {
        if cap == 0 {
            return Ok(OutBuf { bytes: &mut [] });
        }
        non_null(buf, what)?;
        if cap > isize::MAX as usize {
            return Err(AbiError::new(
                RjobStatus::InvalidArgument,
                format!("{what}: capacity {cap} is impossibly large"),
            ));
        }
        Ok(OutBuf {
            bytes: std::slice::from_raw_parts_mut(buf, cap),
        })
    }

    /// Writes `text` and a terminating NUL, or fails with BUFFER_TOO_SMALL and the size needed.
    /// Returns the bytes written (NUL included).
    pub fn put_text(&mut self, text: &[u8]) -> Result<usize, usize> {
        let needed = text.len() + 1;
        if needed > self.bytes.len() {
            return Err(needed);
        }
        self.bytes[..text.len()].copy_from_slice(text);
        self.bytes[text.len()] = 0;
        Ok(needed)
    }
}
