//! The one panic boundary every export goes through, the last-error slot, and the registry of
//! strings handed to callers.

use crate::engine::error::EngineError;
use crate::ffi::status::RjobStatus;
use once_cell::sync::Lazy;
use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, Once};

/// A failed call: the status to return and the text `rjob_last_error` gives.
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
        };
        AbiError::new(status, e.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<String>> = RefCell::new(None);
    static PANIC_MESSAGE: RefCell<Option<String>> = RefCell::new(None);
}

/// Every pointer the library handed out and not yet taken back.
static LIVE: Lazy<Mutex<HashSet<usize>>> = Lazy::new(|| Mutex::new(HashSet::new()));

/// Runs an export's body: catches any panic, records the last error, returns the status.
pub fn boundary(body: impl FnOnce() -> Result<(), AbiError>) -> RjobStatus {
    quiet_panics();
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        let msg = PANIC_MESSAGE
            .with(|m| m.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".into());
        Err(AbiError::new(
            RjobStatus::Panic,
            format!("internal error (please report): {msg}"),
        ))
    });
    match result {
        Ok(()) => {
            set_last_error(None);
            RjobStatus::Ok
        }
        Err(e) => {
            set_last_error(Some(e.message));
            e.status
        }
    }
}

/// Keeps panic messages for `rjob_last_error` instead of printing into the host's console.
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let msg = info.to_string();
            let _ = PANIC_MESSAGE.try_with(|m| *m.borrow_mut() = Some(msg));
        }))
    });
}

fn set_last_error(msg: Option<String>) {
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = msg);
}

pub fn last_error() -> Option<String> {
    LAST_ERROR.try_with(|e| e.borrow().clone()).ok().flatten()
}

/// Borrows a caller's C string as UTF-8.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string that outlives the call.
pub unsafe fn str_in<'a>(p: *const c_char, what: &str) -> Result<&'a str, AbiError> {
    if p.is_null() {
        return Err(AbiError::new(
            RjobStatus::NullPointer,
            format!("{what} is NULL"),
        ));
    }
    CStr::from_ptr(p).to_str().map_err(|_| {
        AbiError::new(
            RjobStatus::InvalidUtf8,
            format!("{what} is not valid UTF-8"),
        )
    })
}

/// Checks an output pointer before any work is done, so nothing is lost when it is NULL.
pub fn out_ptr<T>(p: *mut T, what: &str) -> Result<(), AbiError> {
    if p.is_null() {
        Err(AbiError::new(
            RjobStatus::NullPointer,
            format!("{what} is NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Hands a string to the caller; it must come back through `take_string`.
pub fn give_string(s: String) -> *mut c_char {
    // JSON escapes NUL, so this cannot fail for our texts; fall back to an empty string anyway.
    let c = CString::new(s).unwrap_or_default();
    let p = c.into_raw();
    crate::engine::job::lock(&LIVE).insert(p as usize);
    p
}

/// Takes back a string from `give_string`. False when the pointer is not one we handed out.
pub fn take_string(p: *mut c_char) -> bool {
    if !crate::engine::job::lock(&LIVE).remove(&(p as usize)) {
        return false;
    }
    // SAFETY: p came from CString::into_raw in give_string and was still registered, so it is
    // taken back exactly once.
    drop(unsafe { CString::from_raw(p) });
    true
}
