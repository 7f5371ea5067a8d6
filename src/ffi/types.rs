//! The typed structures the C ABI reads and writes. Plain `#[repr(C)]` data: the caller owns
//! every one of them; the library only fills them in.

use crate::engine::job::JobState;
use crate::engine::{Change, StatusView};

/// A job's state, numbered as PowerShell's `System.Management.Automation.JobState`, so .NET can
/// cast it directly.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RjobJobState {
    NotStarted = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
    Stopped = 4,
    Stopping = 9,
}

impl From<JobState> for RjobJobState {
    fn from(s: JobState) -> RjobJobState {
        match s {
            JobState::NotStarted => RjobJobState::NotStarted,
            JobState::Running => RjobJobState::Running,
            JobState::Completed => RjobJobState::Completed,
            JobState::Failed => RjobJobState::Failed,
            JobState::Stopping => RjobJobState::Stopping,
            JobState::Stopped => RjobJobState::Stopped,
        }
    }
}

/// What `rjob_status` writes: the hot part of a job's state. Fields that may be unknown come
/// with a `has_` flag; the value is 0 when the flag is false.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RjobJobStatus {
    pub state: RjobJobState,
    /// Process id of the job's main process (0 when none).
    pub pid: i32,
    /// Exit code of the main process, valid when `has_exit_code`.
    pub exit_code: i32,
    /// Signal that ended the main process (0 when none).
    pub signal: i32,
    /// When the job finished, in milliseconds since the Unix epoch, valid when `has_end_time`.
    pub end_time_ms: i64,
    pub has_exit_code: bool,
    pub has_end_time: bool,
    /// Output is waiting to be received.
    pub has_more_data: bool,
}

impl From<StatusView> for RjobJobStatus {
    fn from(v: StatusView) -> RjobJobStatus {
        RjobJobStatus {
            state: v.state.into(),
            pid: v.pid.unwrap_or(0),
            exit_code: v.exit_code.unwrap_or(0),
            signal: v.signal.unwrap_or(0),
            end_time_ms: v.end_ms.unwrap_or(0),
            has_exit_code: v.exit_code.is_some(),
            has_end_time: v.end_ms.is_some(),
            has_more_data: v.has_more_data,
        }
    }
}

/// What `rjob_receive` writes besides the records.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RjobReceiveResult {
    /// Sequence number to pass as `from` to go on reading with `keep`.
    pub next: u64,
    /// Records written to the buffer.
    pub count: usize,
    /// Bytes written to the buffer; with `RJOB_STATUS_BUFFER_TOO_SMALL`, bytes the first record
    /// needs.
    pub needed: usize,
    /// The job has ended and no record follows `next`.
    pub done: bool,
}

/// One entry of `rjob_changes`: a job whose state changed, and its state now.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RjobChange {
    pub id: u64,
    /// Sequence number of the job's last change.
    pub seq: u64,
    pub state: RjobJobState,
}

impl From<Change> for RjobChange {
    fn from(c: Change) -> RjobChange {
        RjobChange {
            id: c.id,
            seq: c.seq,
            state: c.state.into(),
        }
    }
}

/// Record header in `rjob_receive`'s buffer: `u8 flags | u32 LE length`, then the bytes.
pub const RJOB_RECORD_HEADER: usize = 5;
/// Flag bit of a record whose line goes on in the next record (bits 0-6 are the stream).
pub const RJOB_RECORD_CONTINUES: u8 = 0x80;
