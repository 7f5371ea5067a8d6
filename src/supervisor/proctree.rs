//! Finds a process's live descendants by reading /proc. The supervisor uses it to reach processes
//! that left the job's process group (`setsid`, `setpgid`): they stay its descendants, because it
//! is a child subreaper and adopts every orphan below it.

use std::collections::HashMap;
use std::fs;

/// (pid, parent pid, state letter) of one process, from /proc/<pid>/stat.
pub fn stat(pid: i32) -> Option<(i32, char)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses the parent pid and state out of a stat line. The command name may hold spaces and
/// parentheses, so the fields are read after the last ')'.
pub fn parse_stat(text: &str) -> Option<(i32, char)> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    Some((ppid, state))
}

/// Live (not zombie) descendants of `root`, parents before children.
pub fn descendants(root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut zombie: HashMap<i32, bool> = HashMap::new();
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if let Some((ppid, state)) = stat(pid) {
                children.entry(ppid).or_default().push(pid);
                zombie.insert(pid, state == 'Z' || state == 'X');
            }
        }
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    while let Some(p) = queue.pop() {
        if let Some(kids) = children.get(&p) {
            for &k in kids {
                if !zombie.get(&k).copied().unwrap_or(false) {
                    out.push(k);
                }
                queue.push(k);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_parens() {
        assert_eq!(parse_stat("12 (a) b)) S 7 12 12 0"), Some((7, 'S')));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn sees_own_child() {
        let mut c = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = std::process::id() as i32;
        assert!(descendants(me).contains(&(c.id() as i32)));
        c.kill().unwrap();
        c.wait().unwrap();
    }
}
