//! RJob's native job engine.
//!
//! Each job runs under a small supervisor process (`rjob-supervisor`) that is a child subreaper:
//! it owns the job's whole process tree, kills it on stop or when the engine goes away, and
//! reports over one framed byte stream. The engine never reaps anything but its own supervisors,
//! so it can live inside pwsh next to the .NET runtime's own child handling.
//!
//! One folder per side: [`engine`] runs inside pwsh (job table, spawning, monitoring, output),
//! [`supervisor`] runs inside `rjob-supervisor` (the job's process tree), [`ffi`] is the thin C
//! ABI over the engine, and [`protocol`] is the one format the two processes speak.

pub mod engine;
pub mod ffi;
pub mod protocol;
pub mod spec;
pub mod supervisor;
