//! Status codes returned by every C ABI function. The numbers are part of the ABI: never reuse
//! or renumber one; new ones are appended.

/// Result of every `rjob_*` call that can fail. Output parameters are written only on
/// `RJOB_STATUS_OK`, except the "bytes needed" outputs of `RJOB_STATUS_BUFFER_TOO_SMALL`.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RjobStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// A JSON argument did not parse or did not have the expected shape.
    InvalidJson = 3,
    /// An argument was out of range or inconsistent (empty argv, NUL byte, bad state name...).
    InvalidArgument = 4,
    /// No job has the given id.
    NotFound = 5,
    /// The job has not finished, so it cannot be removed.
    JobActive = 6,
    /// The job's process could not be started (missing executable or directory, no permission).
    SpawnFailed = 7,
    /// A wait ended because its timeout passed, not because its condition held.
    Timeout = 8,
    /// An operating-system call failed.
    Io = 9,
    /// No longer returned: ABI v1's string-freeing function gave it for a pointer it did not own. The
    /// library hands out no memory since ABI v2. Kept so that no number is ever reused.
    UnknownPointer = 10,
    /// A bug: the library caught a panic. The message is in `rjob_last_error`.
    Panic = 11,
    /// The caller's buffer cannot hold the result. The call's "needed" output says how many bytes
    /// would; nothing was consumed, so the same call with a large enough buffer gets it.
    BufferTooSmall = 12,
    /// `rjob_input`: the job's stdin was closed by an earlier call, or the job has ended.
    InputClosed = 13,
}
