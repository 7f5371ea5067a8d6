//! Stopping a whole tree of processes in bounded time, whoever finds its members: the supervisor
//! walks its own subtree ([`Subtree`]); the engine, once a supervisor is gone, finds the tree by
//! its cookie (`engine::orphans`). Both stop it the same way, here.
//!
//! A tree that forks faster than it is killed (a pid-hopping loop, a fork bomb) cannot be chased
//! with SIGKILL rounds: each scan names processes that have already been replaced. So it is
//! frozen first: SIGSTOP to every member and its process group, scanning again until a scan finds
//! every member stopped. A stopped process cannot fork, so that set is final; SIGKILL ends it.

use crate::supervisor::proctree::{self, is_live, is_stopped, ProcStat};
use crate::supervisor::reaper::Reaper;
use crate::supervisor::signal::{signal_group, signal_group_of, signal_verified};
use std::cell::RefCell;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// How long a freeze and kill may take at most; only processes stuck in the kernel last longer.
pub const KILL_LIMIT: Duration = Duration::from_secs(10);
/// When a freeze and kill left something behind, how soon the caller tries again.
pub const RETRY: Duration = Duration::from_millis(100);
/// Pause between scans when nothing new turned up: time for sent signals to be acted on.
const SETTLE: Duration = Duration::from_micros(500);

/// Finds the members of one tree.
pub trait Members {
    /// Calls `found` for each live member, as soon as it is seen.
    fn scan(&self, found: &mut dyn FnMut(i32, ProcStat));
    /// Whether `pid`, now pinned by a pidfd, is still a member (it may be a reused pid).
    fn verify(&self, pid: i32) -> bool;
    /// Called between rounds: reaps what has ended, where that is the caller's to do. False once
    /// the process whose group is signalled was reaped: its id may be reused, so the group is
    /// signalled no more.
    fn reap(&self) -> bool {
        true
    }
}

/// What a freeze and kill did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    /// A scan found every member stopped before the kill.
    pub frozen: bool,
    /// Members sent SIGKILL, alone or with their process group.
    pub killed: usize,
    /// Members still alive when the time ran out.
    pub left: usize,
}

impl Outcome {
    /// Every member was frozen and none is left alive.
    pub fn complete(&self) -> bool {
        self.frozen && self.left == 0
    }
}

/// Graceful stop: SIGTERM, then SIGCONT, to `group` (when given), to each member's process group
/// and to every member outside those groups. SIGCONT lets a stopped process run its SIGTERM
/// handler, as systemd does; a default SIGTERM kills a stopped process anyway. Each process gets
/// one SIGTERM: a second could run its handler twice. Returns how many groups and lone members
/// were signalled.
pub fn terminate(m: &dyn Members, group: Option<i32>) -> usize {
    let group = group.filter(|_| m.reap());
    let mut groups: HashSet<i32> = HashSet::new();
    if let Some(g) = group {
        signal_group(g, libc::SIGTERM);
        signal_group(g, libc::SIGCONT);
        groups.insert(g);
    }
    let verify = |p: i32| m.verify(p);
    let mut n = 0;
    m.scan(&mut |pid, st| {
        if groups.contains(&st.pgid) {
            return;
        }
        let both = [libc::SIGTERM, libc::SIGCONT];
        if matches!(signal_group_of(pid, &both, &verify), Ok(true)) {
            groups.insert(st.pgid);
            n += 1;
        } else if matches!(signal_verified(pid, libc::SIGTERM, &verify), Ok(true)) {
            n += 1;
            let _ = signal_verified(pid, libc::SIGCONT, &verify);
        }
    });
    n
}

/// Freezes the tree (SIGSTOP to `group`, to each member's process group and to every member, until
/// a scan finds none running), then SIGKILLs every member until none is left or `limit` has
/// passed.
pub fn freeze_and_kill(m: &dyn Members, mut group: Option<i32>, limit: Duration) -> Outcome {
    let end = Instant::now() + limit;
    let verify = |p: i32| m.verify(p);
    let mut out = Outcome::default();
    // Members told to stop; each round, groups stopped as a whole: the kernel stops every process
    // of a group at once, forks in flight included, so their members need no signal of their own.
    let mut asked = HashSet::new();
    let mut quiet = false;
    loop {
        if !m.reap() {
            group = None;
        }
        if let Some(g) = group {
            signal_group(g, libc::SIGSTOP);
        }
        let mut groups: HashSet<i32> = group.into_iter().collect();
        let (mut running, mut fresh) = (0, 0);
        m.scan(&mut |pid, st| {
            // Asleep in the kernel with a SIGSTOP pending (a vfork parent whose child is frozen):
            // it runs no code of its own again before it stops.
            if is_stopped(st.state) || (st.state == 'D' && asked.contains(&pid)) {
                return;
            }
            running += 1;
            if asked.insert(pid) {
                fresh += 1;
            }
            if groups.contains(&st.pgid) {
                return;
            }
            if matches!(signal_group_of(pid, &[libc::SIGSTOP], &verify), Ok(true)) {
                groups.insert(st.pgid);
            } else {
                let _ = signal_verified(pid, libc::SIGSTOP, &verify);
            }
        });
        // Once everything seen is stopped, one more scan: on a machine whose pids wrap around, a
        // process forked during the last scan may sit below its cursor.
        if running == 0 && std::mem::replace(&mut quiet, true) {
            out.frozen = true;
            break;
        }
        if running > 0 {
            quiet = false;
        }
        if Instant::now() >= end {
            break;
        }
        if fresh == 0 {
            std::thread::sleep(SETTLE);
        }
    }
    let mut killed = HashSet::new();
    loop {
        if !m.reap() {
            group = None;
        }
        if let Some(g) = group {
            signal_group(g, libc::SIGKILL);
        }
        let mut live = 0;
        let mut hit = HashSet::new();
        m.scan(&mut |pid, st| {
            live += 1;
            killed.insert(pid);
            if hit.contains(&st.pgid) {
                return;
            }
            if matches!(signal_group_of(pid, &[libc::SIGKILL], &verify), Ok(true)) {
                hit.insert(st.pgid);
            } else {
                let _ = signal_verified(pid, libc::SIGKILL, &verify);
            }
        });
        if live == 0 || Instant::now() >= end {
            out.left = live;
            break;
        }
        // A killed process is listed until it has died.
        std::thread::sleep(SETTLE);
    }
    out.killed = killed.len();
    out
}

/// The descendants of `root`, the supervisor itself: a subreaper keeps every orphan below it.
pub struct Subtree<'a> {
    root: i32,
    /// The root and the members of the latest scan: a member's parent is one of them.
    known: RefCell<HashSet<i32>>,
    /// The root's reaper, when the root is this process.
    reaper: Option<&'a Reaper>,
}

impl<'a> Subtree<'a> {
    pub fn new(root: i32) -> Subtree<'a> {
        Subtree {
            root,
            known: RefCell::new(HashSet::from([root])),
            reaper: None,
        }
    }

    /// This process's subtree, reaped between rounds by `reaper`.
    pub fn reaped_by(root: i32, reaper: &'a Reaper) -> Subtree<'a> {
        Subtree {
            reaper: Some(reaper),
            ..Subtree::new(root)
        }
    }
}

impl Members for Subtree<'_> {
    fn reap(&self) -> bool {
        self.reaper.map_or(true, |r| {
            r.reap();
            !r.main_reaped()
        })
    }

    fn scan(&self, found: &mut dyn FnMut(i32, ProcStat)) {
        {
            let mut k = self.known.borrow_mut();
            k.clear();
            k.insert(self.root);
        }
        proctree::walk(self.root, &mut |pid, st| {
            self.known.borrow_mut().insert(pid);
            found(pid, st);
        });
    }

    fn verify(&self, pid: i32) -> bool {
        proctree::read_stat(pid)
            .map(|s| is_live(s.state) && self.known.borrow().contains(&s.ppid))
            .unwrap_or(false)
    }
}
