//! Faults a stop must survive (issue 9, items 4, 5, 6 and 8): trees that fork faster than they are
//! killed, stopped jobs and stopped supervisors, a supervisor killed with SIGKILL, and jobs that
//! try to read the terminal. Every process a test starts carries its token in its argv and a
//! time limit, and whatever is left is killed by pid when the test ends.

mod common;
use common::*;
use rjob::engine;
use rjob::engine::job::JobState;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The heavy tests run one at a time: a fork bomb next to a timing test would measure the bomb.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kills what is left of a test's processes (by pid) when the test ends, passed or not.
struct Leftovers(String);

impl Drop for Leftovers {
    fn drop(&mut self) {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let left = procs_with(&self.0);
            if left.is_empty() || Instant::now() > end {
                return;
            }
            // SAFETY: getpgrp has no preconditions.
            let own = unsafe { libc::getpgrp() };
            for p in left {
                // Its whole group at once: a storm in one group cannot outrun that.
                let group = std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .ok()
                    .and_then(|s| {
                        s[s.rfind(')')? + 2..]
                            .split(' ')
                            .nth(2)?
                            .parse::<i32>()
                            .ok()
                    });
                // SAFETY: kill has no memory preconditions; these pids were just seen holding the
                // test's token, and their group is not ours.
                unsafe {
                    if let Some(g) = group.filter(|&g| g > 1 && g != own) {
                        libc::kill(-g, libc::SIGKILL);
                    }
                    libc::kill(p, libc::SIGKILL);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn stat_of(pid: i32) -> Option<(i32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let state = f.next()?.chars().next()?;
    Some((f.next()?.parse().ok()?, state))
}

fn main_pid(id: u64) -> i32 {
    engine::get(id)
        .unwrap()
        .pid
        .expect("a running job has a pid")
}

/// The job's supervisor: its main process's parent.
fn supervisor_of(id: u64) -> i32 {
    let sup = stat_of(main_pid(id)).expect("main process alive").0;
    let comm = std::fs::read_to_string(format!("/proc/{sup}/comm")).unwrap_or_default();
    assert_eq!(
        comm.trim(),
        "rjob-supervisor",
        "parent of the job's main process"
    );
    sup
}

/// Sends SIGCONT to a supervisor the test stopped, if it is still there, when the test ends.
struct Continue(i32);

impl Drop for Continue {
    fn drop(&mut self) {
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", self.0)).unwrap_or_default();
        if comm.trim() == "rjob-supervisor" {
            // SAFETY: as above.
            unsafe { libc::kill(self.0, libc::SIGCONT) };
        }
    }
}

/// Processes that fork faster than they can be killed one by one, as a small C program (cc links
/// every Rust program here, so it is there). Each carries the test's token in its argv and stops
/// by itself after 60 s.
///
/// `storm hop TOKEN`: forks, and the parent exits; the process changes pid all the time.
/// `storm hop-setsid TOKEN`: the same in a session of its own.
/// `storm bomb TOKEN`: the classic fork bomb, every process forks twice and exits; it runs only
/// where the number of processes is limited (RLIMIT_NPROC, not root), else it refuses.
const STORM_C: &str = r#"
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    time_t end = time(NULL) + 60;
    if (strcmp(argv[1], "hop-setsid") == 0) setsid();
    if (strncmp(argv[1], "hop", 3) == 0) {
        /* A new pid every millisecond or so: faster than a scan of /proc, slow enough that the
           supervisor reaps the parents left behind before they use up the machine's pids. */
        while (time(NULL) < end) {
            pid_t p = fork();
            if (p > 0) _exit(0);
            usleep(1000);
        }
        return 0;
    }
    struct rlimit lim;
    if (geteuid() == 0 || getrlimit(RLIMIT_NPROC, &lim) != 0 || lim.rlim_cur > 100000) return 3;
    while (time(NULL) < end) {
        pid_t a = fork();
        if (a == 0) continue; /* a child starts over */
        pid_t b = fork();
        if (b == 0) continue;
        if (a > 0 || b > 0) _exit(0);
        usleep(200); /* at the limit: try again at once, as a bomb does */
    }
    return 0;
}
"#;

fn storm() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        use std::os::unix::fs::PermissionsExt;
        // Under target/, which every user can reach: the bomb runs as nobody when we are root.
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("faults-storm");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let src = dir.join("storm.c");
        let bin = dir.join("storm");
        std::fs::write(&src, STORM_C).unwrap();
        let ok = std::process::Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&bin)
            .arg(&src)
            .status()
            .expect("cc runs")
            .success();
        assert!(ok, "cannot compile {}", src.display());
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin.to_string_lossy().into_owned()
    })
}

/// Starts a job with a grace period longer than the test: once its main process has left, the
/// SIGTERM the rest gets is ignored, and only the forced stop the test sends can end it.
fn start_patient(argv: &[&str]) -> u64 {
    let mut s = spec(argv);
    s.grace_ms = Some(600_000);
    engine::start(s).expect("start")
}

#[test]
fn a_pid_hopping_tree_is_stopped_at_once() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    // The main process leaves at once: only the hoppers are left, changing pid all the time,
    // ignoring SIGTERM from birth (an ignored disposition is inherited), half of them in
    // sessions of their own.
    let script =
        "trap '' TERM; for i in 1 2 3 4 5; do \"$1\" hop \"$0\" & \"$1\" hop-setsid \"$0\" & \
                  done";
    let id = start_patient(&["/bin/sh", "-c", script, &t, storm()]);
    // A hopper lives a millisecond, less than a look through /proc takes: count the distinct pids
    // seen over several looks.
    let mut seen = std::collections::HashSet::new();
    assert!(
        eventually(20.0, || {
            seen.extend(procs_with(&t));
            seen.len() >= 100
        }),
        "the hoppers did not start"
    );
    let t0 = Instant::now();
    engine::stop(&[id], true, None).unwrap();
    let info = wait_done(id, 30);
    let took = t0.elapsed();
    eprintln!("pid hopping: 10 hoppers stopped in {took:?}");
    assert_eq!(info.state, JobState::Stopped);
    assert!(
        eventually(5.0, || procs_with(&t).is_empty()),
        "left running: {:?}",
        procs_with(&t)
    );
    assert!(took < Duration::from_secs(2), "the stop took {took:?}");
}

/// Tasks (threads count, as RLIMIT_NPROC counts them) of user `uid`.
fn tasks_of(uid: u32) -> usize {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<i32>().is_ok())
        .filter(|e| e.metadata().map(|m| m.uid() == uid).unwrap_or(false))
        .map(|e| std::fs::read_dir(e.path().join("task")).map_or(0, |d| d.count()))
        .sum()
}

#[test]
fn a_fork_bomb_is_stopped_in_bounded_time() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    // The bomb gets room for 1,000 processes of its own under `ulimit -u`. Root is not held to
    // that limit, so as root the bomb runs under a uid of its own, which no other test shares.
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let uid = if me == 0 {
        2_000_000_000 + t.parse::<u32>().unwrap()
    } else {
        me
    };
    let before = tasks_of(uid);
    let limit = (before + 1000).to_string();
    let as_uid = if me == 0 {
        format!("setpriv --reuid={uid} --regid={uid} --clear-groups")
    } else {
        String::new()
    };
    // The bomb ignores SIGTERM (an ignored disposition is inherited): the first process leaves at
    // once, and the SIGTERM that the rest then gets must not end the test before the stop.
    let script = format!("trap '' TERM; ulimit -u \"$1\" && exec {as_uid} \"$2\" bomb \"$0\"");
    let id = start_patient(&["/bin/bash", "-c", &script, &t, &limit, storm()]);
    // Counted by uid, zombies too: each holds a place under the limit until it is reaped, and
    // with a thousand processes running, reaping may lag.
    assert!(
        eventually(45.0, || tasks_of(uid) >= before + 800),
        "the bomb reached only {} processes ({:?})",
        tasks_of(uid) - before,
        engine::get(id).unwrap()
    );
    let size = tasks_of(uid) - before;
    let t0 = Instant::now();
    engine::stop(&[id], true, None).unwrap();
    let info = wait_done(id, 60);
    let took = t0.elapsed();
    eprintln!("fork bomb: {size} processes (limit 1,000) stopped in {took:?}");
    assert_eq!(info.state, JobState::Stopped);
    assert!(
        eventually(10.0, || procs_with(&t).is_empty()),
        "{} left running",
        procs_with(&t).len()
    );
    assert!(took < Duration::from_secs(5), "the stop took {took:?}");
}

#[test]
fn a_stopped_job_runs_its_sigterm_handler_at_once() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    let id = sh(&format!(
        "trap 'echo handled; exit 0' TERM; timeout 60 sleep {t} & wait"
    ));
    // sh, timeout and sleep: the trap is set once sleep runs.
    assert!(eventually(10.0, || procs_with(&t).len() >= 3));
    let main = main_pid(id);
    // SAFETY: the job's own main process.
    unsafe { libc::kill(main, libc::SIGSTOP) };
    assert!(eventually(5.0, || stat_of(main).map(|s| s.1) == Some('T')));
    let t0 = Instant::now();
    engine::stop(&[id], false, Some(30_000)).unwrap();
    let info = wait_done(id, 10);
    let took = t0.elapsed();
    eprintln!("stopped job, graceful stop with 30 s grace: {took:?}");
    assert_eq!(info.state, JobState::Stopped);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        stdout_lines(id).contains(&"handled".to_string()),
        "the SIGTERM handler did not run: {info:?} {:?}",
        all_output(id)
    );
}

#[test]
fn a_stopped_supervisor_does_not_hold_up_a_forced_stop() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    let id = sh(&format!("timeout 60 sleep {t}"));
    assert!(eventually(10.0, || procs_with(&t).len() >= 2));
    let sup = supervisor_of(id);
    let _cont = Continue(sup);
    // SAFETY: our own child, the job's supervisor.
    unsafe { libc::kill(sup, libc::SIGSTOP) };
    assert!(eventually(5.0, || stat_of(sup).map(|s| s.1) == Some('T')));
    let t0 = Instant::now();
    engine::stop(&[id], true, None).unwrap();
    let info = wait_done(id, 10);
    eprintln!("stopped supervisor, forced stop: {:?}", t0.elapsed());
    assert_eq!(info.state, JobState::Stopped);
    assert!(eventually(5.0, || procs_with(&t).is_empty()));
}

#[test]
fn a_supervisor_kept_stopped_is_replaced_by_the_engine() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    let id = sh(&format!(
        "timeout 60 sleep {t} & setsid timeout 60 sleep {t} & wait"
    ));
    assert!(eventually(10.0, || procs_with(&t).len() >= 5));
    let sup = supervisor_of(id);
    let _cont = Continue(sup);
    // Someone keeps stopping the supervisor, faster than it can work.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopper = {
        let done = done.clone();
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let comm = std::fs::read_to_string(format!("/proc/{sup}/comm"));
                if comm.map(|c| c.trim() != "rjob-supervisor").unwrap_or(true) {
                    return;
                }
                // SAFETY: our own child, checked just above.
                unsafe { libc::kill(sup, libc::SIGSTOP) };
                std::thread::yield_now();
            }
        })
    };
    assert!(eventually(5.0, || stat_of(sup).map(|s| s.1) == Some('T')));
    let t0 = Instant::now();
    engine::stop(&[id], true, None).unwrap();
    let finished = engine::wait(&[id], false, Some(Duration::from_secs(20))).unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    stopper.join().unwrap();
    assert!(finished, "the job did not end");
    eprintln!("supervisor kept stopped, forced stop: {:?}", t0.elapsed());
    assert_eq!(engine::get(id).unwrap().state, JobState::Stopped);
    assert!(eventually(5.0, || procs_with(&t).is_empty()));
}

#[test]
fn killing_the_supervisor_takes_the_tree_down_and_fails_the_job() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    let id = sh(&format!(
        "timeout 60 sleep {t} & setsid timeout 60 sleep {t} & \
         sh -c 'timeout 60 sleep {t} &'; exec timeout 60 sleep {t}"
    ));
    assert!(eventually(10.0, || procs_with(&t).len() >= 8));
    let sup = supervisor_of(id);
    // SAFETY: our own child, the job's supervisor.
    unsafe { libc::kill(sup, libc::SIGKILL) };
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Failed);
    let reason = info.reason.unwrap_or_default();
    assert!(
        reason.contains(&format!("supervisor (pid {sup}) was killed by signal 9"))
            && reason.contains("exit code is unknown"),
        "{reason}"
    );
    assert!(
        eventually(5.0, || procs_with(&t).is_empty()),
        "left running: {:?}",
        procs_with(&t)
    );
    // A stop of the ended job is accepted and changes nothing.
    engine::stop(&[id], true, None).unwrap();
    assert_eq!(engine::get(id).unwrap().state, JobState::Failed);
}

#[test]
fn the_job_starts_with_a_clean_slate() {
    let t = token();
    let _left = Leftovers(t.clone());
    // The job's own status as it was exec'd (a shell's would show the mask it holds while it
    // forks).
    let id = start(&["grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status"]);
    wait_done(id, 10);
    assert_eq!(
        stdout_lines(id),
        ["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"]
    );
    // fds 0-2, and 3: ls's own handle on the directory it lists.
    let id = start(&["ls", "/proc/self/fd"]);
    wait_done(id, 10);
    assert_eq!(stdout_lines(id), ["0", "1", "2", "3"]);
    let id = sh(&format!(
        ": {t}; echo \"cookie=$RJOB_JOB_COOKIE\"; cut -d' ' -f1,5,6 /proc/$$/stat"
    ));
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Completed);
    let out = stdout_lines(id);
    let cookie = out[0].strip_prefix("cookie=").unwrap();
    assert!(cookie.len() >= 16, "no job cookie: {out:?}");
    // pid, process group and session are one: the job leads a session of its own.
    let ids: Vec<&str> = out[1].split(' ').collect();
    assert_eq!(ids, [ids[0]; 3], "{out:?}");
}

/// The jobs in the test below, run with a controlling terminal (the outer test gives it one).
#[test]
#[ignore = "run by jobs_never_get_the_terminal under a pseudo-terminal"]
fn terminal_inner() {
    let t = token();
    let _left = Leftovers(t.clone());
    assert!(
        std::fs::File::open("/dev/tty").is_ok(),
        "this test needs a controlling terminal"
    );
    let a = start(&["timeout", "20", "cat", "/dev/tty", &t]);
    let b = sh(&format!(": {t}; read x </dev/tty"));
    for (id, code) in [(a, 1), (b, 2)] {
        let end = Instant::now() + Duration::from_secs(8);
        while !state(id).is_finished() {
            if let Some(pid) = engine::get(id).unwrap().pid {
                let st = stat_of(pid).map(|s| s.1);
                assert_ne!(st, Some('T'), "job {id} was stopped by the terminal");
            }
            assert!(Instant::now() < end, "job {id} hangs");
            std::thread::sleep(Duration::from_millis(20));
        }
        let info = engine::get(id).unwrap();
        assert_eq!(info.exit_code, Some(code), "job {id}: {info:?}");
    }
    println!("TERMINAL-INNER-PASSED");
}

#[test]
fn jobs_never_get_the_terminal() {
    let me = std::env::current_exe().unwrap();
    let cmd = format!(
        "{} terminal_inner --exact --ignored --nocapture --test-threads=1",
        me.display()
    );
    let out = std::process::Command::new("timeout")
        .args(["60", "script", "-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("TERMINAL-INNER-PASSED"),
        "{}\n{text}",
        out.status
    );
}

/// Issue 7, item 3: a stop's cost follows the job's tree, not the machine's process count.
/// Prints stop times of 10 jobs with and without 1,000 idle processes on the machine.
#[test]
#[ignore = "a measurement; run with --ignored --nocapture"]
fn measure_stops_beside_idle_processes() {
    let _one = heavy();
    let t = token();
    let _left = Leftovers(t.clone());
    let round = |force: bool| {
        let ids: Vec<u64> = (0..10).map(|_| sh(&format!("exec sleep {t}"))).collect();
        let t0 = Instant::now();
        engine::stop(&ids, force, None).unwrap();
        assert!(engine::wait(&ids, false, Some(Duration::from_secs(30))).unwrap());
        let took = t0.elapsed();
        for id in ids {
            engine::remove(id).unwrap();
        }
        took
    };
    let median = |force: bool| {
        let mut v: Vec<Duration> = (0..5).map(|_| round(force)).collect();
        v.sort();
        v[2]
    };
    let quiet = (median(false), median(true));
    // 500 pairs of timeout and sleep: 1,000 processes that do nothing.
    let mut idle = std::process::Command::new("sh")
        .args([
            "-c",
            "i=0; while [ $i -lt 500 ]; do timeout 300 sleep \"$0\" & i=$((i+1)); done; wait",
            &t,
        ])
        .spawn()
        .unwrap();
    assert!(eventually(60.0, || procs_with(&t).len() >= 1000));
    let busy = (median(false), median(true));
    // For scale: this test process's own tree holds the 1,000 idle processes.
    let t0 = Instant::now();
    let n = rjob::supervisor::proctree::descendants(std::process::id() as i32).len();
    eprintln!(
        "children files: {}; one walk of a tree of {n} processes: {:?}",
        rjob::supervisor::proctree::has_children_files(),
        t0.elapsed()
    );
    // The idle processes themselves are killed by Leftovers.
    idle.kill().unwrap();
    idle.wait().unwrap();
    eprintln!(
        "10 jobs, median of 5: graceful {:?} / forced {:?} alone; graceful {:?} / forced {:?} \
         beside 1,000 idle processes",
        quiet.0, quiet.1, busy.0, busy.1
    );
}

#[test]
fn the_cookie_finds_exactly_the_processes_that_carry_it() {
    let t = token();
    let _left = Leftovers(t.clone());
    let cookie = format!("faults-{t}");
    let spawn = |c: Option<String>| {
        let mut cmd = std::process::Command::new("sh");
        // One process in a session of its own below each: found by its cookie all the same.
        cmd.args(["-c", "setsid sleep \"$0\" & exec sleep \"$0\"", &t]);
        if let Some(c) = c {
            cmd.env("RJOB_JOB_COOKIE", c);
        }
        cmd.spawn().unwrap()
    };
    let mut ours = [spawn(Some(cookie.clone())), spawn(Some(cookie.clone()))];
    let mut others = [spawn(Some(format!("{cookie}x"))), spawn(None)];
    assert!(eventually(10.0, || procs_with(&t).len() >= 8));
    assert_eq!(rjob::engine::orphans::kill_by_cookie(&cookie), 4);
    for c in ours.iter_mut() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(c.wait().unwrap().signal(), Some(libc::SIGKILL));
    }
    assert_eq!(
        procs_with(&t).len(),
        4,
        "only the other cookie and none are left"
    );
    for c in others.iter_mut() {
        assert!(c.try_wait().unwrap().is_none());
        c.kill().unwrap();
        c.wait().unwrap();
    }
    assert_eq!(rjob::engine::orphans::kill_by_cookie(""), 0);
}
