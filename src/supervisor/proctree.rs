//! Finds a process's live descendants through /proc. The supervisor uses it to reach processes
//! that left the job's process group (`setsid`, `setpgid`): they stay its descendants, because it
//! is a child subreaper and adopts every orphan below it.
//!
//! Where the kernel has `/proc/<pid>/task/<tid>/children` (CONFIG_PROC_CHILDREN) the walk reads
//! only the tree itself, so its cost follows the job's size, not the machine's process count.
//! Elsewhere it falls back to one pass over every process in /proc.

use once_cell::sync::Lazy;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;

/// What /proc/<pid>/stat says about one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcStat {
    pub ppid: i32,
    pub pgid: i32,
    pub state: char,
}

/// (parent pid, state letter) of one process, from /proc/<pid>/stat.
pub fn stat(pid: i32) -> Option<(i32, char)> {
    read_stat(pid).map(|s| (s.ppid, s.state))
}

pub fn read_stat(pid: i32) -> Option<ProcStat> {
    // A stat line is a few hundred bytes; a stack buffer keeps this out of the allocator, which
    // matters when the fallback reads every process on the machine.
    let mut buf = [0u8; 1024];
    let mut f = fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let n = f.read(&mut buf).ok()?;
    parse_stat(std::str::from_utf8(&buf[..n]).ok()?)
}

/// Parses a stat line. The command name may hold spaces and parentheses, so the fields are read
/// after the last ')'.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    let pgid = f.next()?.parse().ok()?;
    Some(ProcStat { ppid, pgid, state })
}

/// A zombie (or a process being torn down) can no longer run or be signalled usefully.
pub fn is_live(state: char) -> bool {
    !matches!(state, 'Z' | 'X' | 'x')
}

/// Stopped by a signal, or stopped under a tracer.
pub fn is_stopped(state: char) -> bool {
    matches!(state, 'T' | 't')
}

/// Whether this kernel lists each thread's children in /proc (CONFIG_PROC_CHILDREN).
pub fn has_children_files() -> bool {
    static HAS: Lazy<bool> = Lazy::new(|| {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) };
        fs::metadata(format!("/proc/self/task/{tid}/children")).is_ok()
    });
    *HAS
}

/// Calls `found` for each live (not zombie) descendant of `root` as soon as it is known to be one,
/// with what its stat said. Every descendant alive for the whole walk is reported once.
pub fn walk(root: i32, found: &mut dyn FnMut(i32, ProcStat)) {
    if has_children_files() {
        walk_children(root, found)
    } else {
        walk_all(root, found)
    }
}

/// Live descendants of `root`, parents before children.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut out = Vec::new();
    walk(root, &mut |pid, _| out.push(pid));
    out
}

/// The walk through the children files: breadth first from `root`, reading each process's threads
/// (a subreaper adopts orphans on whichever of its threads is alive).
fn walk_children(root: i32, found: &mut dyn FnMut(i32, ProcStat)) {
    let mut seen = HashSet::from([root]);
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for child in children_of(parent) {
            // A child that died and whose pid was reused since the children file was read now has
            // another parent; it is not ours.
            let Some(st) = read_stat(child) else { continue };
            if st.ppid != parent || !seen.insert(child) {
                continue;
            }
            if is_live(st.state) {
                found(child, st);
                queue.push(child);
            }
        }
    }
}

fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let mut path = t.path();
        path.push("children");
        if let Ok(text) = fs::read_to_string(path) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// The fallback: one pass over /proc. A process whose parent is already known to be in the tree
/// is reported on sight, which matters for trees that change pid every millisecond: a scan
/// reporting only at its end would name processes that are gone already. The rest wait for their
/// parent to turn up.
fn walk_all(root: i32, found: &mut dyn FnMut(i32, ProcStat)) {
    let mut members = HashSet::from([root]);
    let mut waiting: HashMap<i32, Vec<(i32, ProcStat)>> = HashMap::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Some(st) = read_stat(pid) else { continue };
        if members.contains(&st.ppid) {
            let mut adopt = vec![(pid, st)];
            while let Some((p, s)) = adopt.pop() {
                if members.insert(p) && is_live(s.state) {
                    found(p, s);
                }
                adopt.extend(waiting.remove(&p).unwrap_or_default());
            }
        } else {
            waiting.entry(st.ppid).or_default().push((pid, st));
        }
    }
}

/// Whether the calling process has any child, living or not yet reaped, without reaping it. For a
/// subreaper that is the same as having any descendant at all, and costs one system call.
pub fn has_children() -> bool {
    // SAFETY: waitid writes only to `info`; WNOWAIT leaves any exited child for its reaper.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(
            libc::P_ALL,
            0,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_parens() {
        assert_eq!(
            parse_stat("12 (a) b)) S 7 12 12 0"),
            Some(ProcStat {
                ppid: 7,
                pgid: 12,
                state: 'S'
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn sees_child_and_grandchild_both_ways() {
        let mut c = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .unwrap();
        let me = std::process::id() as i32;
        let pid = c.id() as i32;
        let grandchild = || {
            let mut g = None;
            walk_all(me, &mut |p, s| {
                if s.ppid == pid {
                    g = Some(p)
                }
            });
            g
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let g = loop {
            if let Some(g) = grandchild() {
                break g;
            }
            assert!(std::time::Instant::now() < deadline, "no grandchild");
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let mut all = Vec::new();
        walk_all(me, &mut |p, _| all.push(p));
        assert!(all.contains(&pid) && all.contains(&g), "{all:?}");
        if has_children_files() {
            let mut kids = Vec::new();
            walk_children(me, &mut |p, _| kids.push(p));
            assert!(kids.contains(&pid) && kids.contains(&g), "{kids:?}");
        }
        assert!(has_children());
        // SAFETY: signalling our own child's group is harmless.
        unsafe { libc::kill(g, libc::SIGKILL) };
        c.kill().unwrap();
        c.wait().unwrap();
    }
}
