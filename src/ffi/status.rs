//! Status codes returned by every C ABI function. The numbers are part of the ABI: never reuse one.

/// Result of every `rjob_*` call. Output parameters are written only on `RJOB_STATUS_OK`.
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
    /// `rjob_string_free` was given a pointer the library did not hand out (or already freed).
    UnknownPointer = 10,
    /// A bug: the library caught a panic. The message is in `rjob_last_error`.
    Panic = 11,
}
