//! What the engine and a job's supervisor say to each other over the socket on the supervisor's
//! fd 0: one JSON launch spec, then command lines from the engine, event lines back.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The first line the engine writes: what to run.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Launch {
    pub argv: Vec<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    /// When present, the job's whole environment; otherwise it inherits the supervisor's.
    #[serde(default)]
    pub env: Option<BTreeMap<String, String>>,
    /// Written to the job's stdin, which is then closed; without it stdin is /dev/null.
    #[serde(default)]
    pub stdin: Option<String>,
    /// How long a graceful stop waits after SIGTERM before SIGKILL.
    pub grace_ms: u64,
}

/// Supervisor to engine.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Event {
    Started {
        pid: i32,
    },
    SpawnError {
        message: String,
        errno: i32,
    },
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// Every process of the job is gone; the supervisor exits next.
    Done,
}

/// Engine to supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// SIGTERM to the tree, SIGKILL after the grace period (ms).
    Term(u64),
    Kill,
}

impl Command {
    pub fn to_line(self) -> String {
        match self {
            Command::Term(ms) => format!("term {ms}\n"),
            Command::Kill => "kill\n".to_string(),
        }
    }

    pub fn parse(line: &str) -> Option<Command> {
        let mut it = line.split_whitespace();
        match (it.next()?, it.next()) {
            ("kill", None) => Some(Command::Kill),
            ("term", Some(ms)) => ms.parse().ok().map(Command::Term),
            _ => None,
        }
    }
}

pub fn event_line(ev: &Event) -> String {
    let mut s = serde_json::to_string(ev).expect("events always serialize");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn commands_roundtrip() {
        for c in [Command::Term(1500), Command::Kill] {
            assert_eq!(Command::parse(c.to_line().trim()), Some(c));
        }
        assert_eq!(Command::parse("term x"), None);
        for e in [
            Event::Exited {
                code: Some(3),
                signal: None,
            },
            Event::Done,
            Event::Started { pid: 7 },
        ] {
            assert_eq!(
                serde_json::from_str::<Event>(event_line(&e).trim()).unwrap(),
                e
            );
        }
    }
}
