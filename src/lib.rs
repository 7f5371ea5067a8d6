//! RJob's native job engine.
//!
//! The engine runs each job under a small supervisor process (`rjob-supervisor`) that is a child
//! subreaper: it owns the job's whole process tree, kills it on stop or when the engine goes away,
//! and reports the exit status over a socket. The engine itself never reaps anything but its own
//! supervisors, so it can live inside pwsh next to the .NET runtime's own child handling.
//!
//! Layout: [`table`] holds the jobs, [`spawn`] starts supervisors, [`monitor`] follows one job's
//! output and events, [`output`] bounds what is kept, [`supervisor`], [`proctree`] and [`signal`]
//! run inside the supervisor, and [`ffi`] is the thin C ABI over all of it.

pub mod engine;
pub mod error;
pub mod ffi;
mod ffi_guard;
pub mod ids;
pub mod job;
pub mod lines;
pub mod monitor;
pub mod output;
pub mod proctree;
pub mod protocol;
pub mod signal;
pub mod spawn;
pub mod spec;
pub mod status;
pub mod supervisor;
pub mod table;
pub mod wildcard;
