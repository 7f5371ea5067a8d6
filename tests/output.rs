//! Output under faults, driven through the engine: a full or unusable spool pauses the job and
//! loses nothing, memory stays bounded, long lines and odd bytes come back exact, a stop works
//! while output is paused, and a supervisor without execute bits still runs.
//!
//! Cases that need a process of their own (a private tmpfs through `unshare -m`, a clean RSS
//! reading, a different supervisor path) re-run this test binary on one `#[ignore]`d helper test,
//! with their parameters in the helper's environment.

mod common;
use common::*;
use rjob::engine::job::JobState;
use rjob::engine::{self, Limit};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const HELPER_VAR: &str = "RJOB_OUTPUT_TEST_HELPER";

/// A folder removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("rjob-{tag}-{}", token()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// The job's main process sleeps in a pipe write: it is blocked on output nobody takes.
fn blocked_on_output(id: u64) -> bool {
    let pid = engine::get(id).unwrap().pid.unwrap();
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).is_ok_and(|w| w.contains("pipe_write"))
}

fn reason(id: u64) -> String {
    engine::get(id).unwrap().reason.unwrap_or_default()
}

/// Runs this binary's helper test `name` in a child process with `env`, optionally inside
/// `unshare -m` after mounting a tmpfs with `mount_opts` on `mount_at`. Returns its output, or
/// None when mount namespaces are not permitted here (then the caller skips, saying so).
fn run_helper(name: &str, env: &[(&str, String)], tmpfs: Option<(&Path, &str)>) -> Option<String> {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = match tmpfs {
        Some((dir, opts)) => {
            let probe = Command::new("unshare").args(["-m", "true"]).output();
            if !matches!(&probe, Ok(o) if o.status.success()) {
                eprintln!(
                    "SKIPPED {name}: `unshare -m` is not permitted here ({probe:?}); \
                     a private tmpfs cannot be mounted"
                );
                return None;
            }
            let mut c = Command::new("timeout");
            c.args(["300", "unshare", "-m", "sh", "-c"])
                .arg("mount -t tmpfs -o \"$1\" tmpfs \"$2\" && shift 2 && exec \"$@\"")
                .arg("sh")
                .arg(opts)
                .arg(dir)
                .arg(&exe);
            c
        }
        None => {
            let mut c = Command::new("timeout");
            c.arg("300").arg(&exe);
            c
        }
    };
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(HELPER_VAR, name);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "helper {name} failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "helper {name} did not run:\n{text}"
    );
    for l in text
        .lines()
        .filter_map(|l| l.find("figure:").map(|i| &l[i..]))
    {
        eprintln!("{l}");
    }
    Some(text)
}

/// In a helper process: `seq 1 <count>` with its spool at `RJOB_T_SPOOL`; waits until output is
/// paused with a reason holding `RJOB_T_WHY`, then reads every line in order and checks that the
/// process's peak RSS stayed under `RJOB_T_CEILING_MIB`.
#[test]
#[ignore = "run by the spool tests in a process of its own"]
fn helper_paused_spool_drains_in_order() {
    if std::env::var(HELPER_VAR).as_deref() != Ok("helper_paused_spool_drains_in_order") {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap();
    let count: u64 = var("RJOB_T_COUNT").parse().unwrap();
    let ceiling: u64 = var("RJOB_T_CEILING_MIB").parse().unwrap();
    let why = var("RJOB_T_WHY");
    let rss0 = status_kib("VmRSS:");
    let mut s = spec(&["/usr/bin/seq", "1", &count.to_string()]);
    s.spool_dir = Some(var("RJOB_T_SPOOL"));
    let t0 = Instant::now();
    let id = engine::start(s).unwrap();
    // Paused, or (wrongly) finished having taken it all in.
    eventually(120.0, || {
        reason(id).contains("output paused") || engine::get(id).unwrap().state.is_finished()
    });
    assert!(
        reason(id).contains("output paused"),
        "never paused: {:?}",
        engine::get(id).unwrap()
    );
    let paused = reason(id);
    assert!(paused.contains(&why), "{paused}");
    assert!(paused.ends_with("receive output to resume"), "{paused}");
    assert!(
        eventually(30.0, || blocked_on_output(id)),
        "the job should block on write: {:?}",
        engine::get(id).unwrap()
    );
    assert_eq!(engine::get(id).unwrap().state, JobState::Running);
    let rss_paused = status_kib("VmRSS:");
    assert!(
        rss_paused >> 10 < ceiling,
        "RSS {} MiB while paused",
        rss_paused >> 10
    );
    println!(
        "figure: paused after {:?}: {paused:?}; RSS {} MiB at start, {} MiB while paused",
        t0.elapsed(),
        rss0 >> 10,
        rss_paused >> 10
    );
    let mut n = 0u64;
    let mut paused_again = 0;
    loop {
        let b = engine::receive(
            id,
            false,
            0,
            Limit::records(50_000),
            Duration::from_secs(30),
        )
        .expect("a receive never fails, whatever the spool");
        for r in &b.records {
            n += 1;
            assert!(
                r.stream == 0 && !r.cont && r.data == n.to_string().as_bytes(),
                "line {n}: {:?}",
                String::from_utf8_lossy(&r.data)
            );
        }
        if reason(id).contains("output paused") {
            paused_again += 1;
        }
        if b.done {
            break;
        }
    }
    assert_eq!(n, count);
    let info = engine::get(id).unwrap();
    assert_eq!(info.state, JobState::Completed, "{info:?}");
    let peak = status_kib("VmHWM:") >> 10;
    println!(
        "figure: {count} lines in order in {:?}; paused {paused_again} more times while \
         reading; peak RSS {peak} MiB (ceiling {ceiling} MiB)",
        t0.elapsed()
    );
    assert!(peak < ceiling, "peak RSS {peak} MiB");
}

/// Runs `helper_paused_spool_drains_in_order` over `count` lines with the spool at `spool`
/// (inside a private tmpfs when `tmpfs` is given): the job must pause saying `why`.
fn paused_spool(count: u32, why: &str, spool: &Path, tmpfs: Option<(&Path, &str)>) {
    let env = [
        ("RJOB_T_COUNT", count.to_string()),
        ("RJOB_T_CEILING_MIB", "48".to_string()),
        ("RJOB_T_WHY", why.to_string()),
        ("RJOB_T_SPOOL", spool.to_string_lossy().into_owned()),
    ];
    run_helper("helper_paused_spool_drains_in_order", &env, tmpfs);
}

#[test]
fn a_full_spool_pauses_the_job_and_every_line_comes_back_in_order() {
    // 5,000,000 lines are 38.9 MB of output, through a 10 MB spool.
    let dir = TempDir::new("fullspool");
    let why = "spool full (No space left on device)";
    paused_spool(
        5_000_000,
        why,
        &dir.0.join("spool"),
        Some((&dir.0, "size=10m")),
    );
}

#[test]
fn a_read_only_spool_pauses_the_job_with_memory_bounded() {
    let dir = TempDir::new("rospool");
    let why = "spool unusable (Read-only file system)";
    paused_spool(
        2_000_000,
        why,
        &dir.0.join("spool"),
        Some((&dir.0, "ro,size=1m")),
    );
}

#[test]
fn a_symlinked_spool_dir_is_refused_and_memory_stays_bounded() {
    let dir = TempDir::new("linkspool");
    let real = dir.0.join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.0.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    paused_spool(2_000_000, "not a private directory", &link, None);
    assert_eq!(
        std::fs::read_dir(&real).unwrap().count(),
        0,
        "nothing spooled"
    );
}

/// In a helper process: the supervisor at `RJOB_SUPERVISOR` has no execute bit; a job still
/// runs, from a copy in `$XDG_CACHE_HOME/rjob/bin/`.
#[test]
#[ignore = "run by a_supervisor_without_execute_bits_runs_from_a_private_copy"]
fn helper_supervisor_without_execute_bits() {
    if std::env::var(HELPER_VAR).as_deref() != Ok("helper_supervisor_without_execute_bits") {
        return;
    }
    // Not common::spec: that points the engine at the build's own supervisor.
    let s = rjob::spec::StartSpec {
        argv: vec!["/bin/echo".into(), "ran".into()],
        ..Default::default()
    };
    let id = engine::start(s).expect("start through the cached copy");
    assert_eq!(wait_done(id, 10).state, JobState::Completed);
    assert_eq!(stdout_lines(id), ["ran"]);
}

#[test]
fn a_supervisor_without_execute_bits_runs_from_a_private_copy() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("noexec");
    let copy = dir.0.join("rjob-supervisor");
    std::fs::copy(env!("CARGO_BIN_EXE_rjob-supervisor"), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o444)).unwrap();
    let cache = dir.0.join("cache");
    let env = [
        ("RJOB_SUPERVISOR", copy.to_string_lossy().into_owned()),
        ("XDG_CACHE_HOME", cache.to_string_lossy().into_owned()),
    ];
    run_helper("helper_supervisor_without_execute_bits", &env, None);
    let bin = cache.join("rjob/bin");
    let versions: Vec<_> = std::fs::read_dir(&bin).unwrap().flatten().collect();
    assert_eq!(versions.len(), 1);
    let cached = versions[0].path().join("rjob-supervisor");
    let md = std::fs::metadata(&cached).unwrap();
    assert_eq!(md.permissions().mode() & 0o777, 0o700);
    assert_eq!(md.len(), std::fs::metadata(&copy).unwrap().len());
}

/// Joins continued pieces into lines: (stream, bytes) per line, and checks no piece is empty
/// of purpose (a continued piece is never the end of the output).
fn join(records: &[rjob::engine::output::Record]) -> Vec<(u8, Vec<u8>)> {
    let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut open: [Option<Vec<u8>>; 3] = Default::default();
    for r in records {
        let slot = &mut open[r.stream as usize];
        let mut line = slot.take().unwrap_or_default();
        line.extend_from_slice(&r.data);
        if r.cont {
            *slot = Some(line);
        } else {
            out.push((r.stream, line));
        }
    }
    assert!(open.iter().all(|o| o.is_none()), "a line was left open");
    out
}

/// Reads every record with `limit`, consuming or (keep) paging with `next`.
fn read_all(id: u64, keep: bool, limit: Limit) -> Vec<rjob::engine::output::Record> {
    let mut v = Vec::new();
    let mut from = 0;
    loop {
        let b = engine::receive(id, keep, from, limit, Duration::from_secs(20)).unwrap();
        assert!(b.too_big.is_none(), "{:?}", b.too_big);
        from = b.next;
        v.extend(b.records);
        if b.done {
            return v;
        }
    }
}

fn odd_output() -> (Vec<u8>, Vec<(u8, Vec<u8>)>) {
    // A 20 MiB line whose bytes say where they are, a 6 MB line of '€', bytes that are not
    // UTF-8, a CR inside a line and a CRLF ending, an empty line, a last line with no newline.
    let long: Vec<u8> = (0..20u32 << 20)
        .map(|i| {
            b"0123456789abcdefghijklmnopqrstuvwxyz"[(i % 36) as usize] ^ ((i >> 12) as u8 & 0x40)
        })
        .collect();
    let euro = "€".repeat(2_000_000).into_bytes();
    let bad = vec![0xff, 0xfe, 0xc3, 0x28, 0x80, b'a', 0xed, 0xa0, 0x80, 0];
    let lines = vec![
        (0u8, b"first".to_vec()),
        (0, long),
        (0, euro),
        (0, bad),
        (0, b"cr\rinside".to_vec()),
        (0, b"crlf".to_vec()),
        (0, Vec::new()),
        (0, b"last, no newline".to_vec()),
    ];
    let mut file = Vec::new();
    for (i, (_, l)) in lines.iter().enumerate() {
        file.extend_from_slice(l);
        match i {
            5 => file.extend_from_slice(b"\r\n"),
            7 => {}
            _ => file.push(b'\n'),
        }
    }
    (file, lines)
}

#[test]
fn long_lines_and_odd_bytes_come_back_whole_and_exact_however_they_are_read() {
    let dir = TempDir::new("oddbytes");
    let (file, want) = odd_output();
    let path = dir.0.join("out.bin");
    std::fs::write(&path, &file).unwrap();
    let mut s = spec(&["/bin/cat", path.to_str().unwrap()]);
    s.spool_dir = Some(dir.0.join("spool").to_string_lossy().into_owned());
    let id = engine::start(s).unwrap();
    assert_eq!(wait_done(id, 60).state, JobState::Completed);
    // Keep reads: one record at a time (stopping inside every long line), then big pages.
    for limit in [
        Limit::records(1),
        Limit::records(7),
        Limit::records(100_000),
    ] {
        let recs = read_all(id, true, limit);
        assert!(
            recs.iter().filter(|r| r.cont).count() >= 40,
            "long lines are pieces"
        );
        let got = join(&recs);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(g == w, "line {i}: {} bytes, want {}", g.1.len(), w.1.len());
        }
    }
    // A consuming reader that stops in the middle of the long line and comes back later.
    let mut first = Vec::new();
    for _ in 0..3 {
        let b = engine::receive(id, false, 0, Limit::records(1), Duration::ZERO).unwrap();
        first.extend(b.records);
    }
    assert!(first[2].cont, "stopped inside the long line");
    first.extend(read_all(id, false, Limit::records(5)));
    assert_eq!(join(&first), want);
    assert!(!engine::get(id).unwrap().has_more_data);
}

#[test]
fn a_byte_limit_returns_whole_records_and_refuses_one_too_big_without_consuming_it() {
    let id = sh("printf 'aaaa\\nbbbbbbbb\\ncc\\n'");
    wait_done(id, 10);
    let limit = |max_bytes| Limit {
        max_records: 100,
        max_bytes,
        per_record: 5,
    };
    let b = engine::receive(id, false, 0, limit(9), Duration::ZERO).unwrap();
    assert_eq!(b.records.len(), 1);
    let b = engine::receive(id, false, 0, limit(12), Duration::ZERO).unwrap();
    assert!(b.records.is_empty());
    assert_eq!(b.too_big, Some(13));
    let b = engine::receive(id, false, 0, limit(100), Duration::ZERO).unwrap();
    assert_eq!(
        b.records.iter().map(|r| &r.data[..]).collect::<Vec<_>>(),
        [&b"bbbbbbbb"[..], b"cc"]
    );
}

#[test]
fn the_records_pipe_is_fd_3_and_its_own_stream() {
    let mut s = spec(&[
        "/bin/sh",
        "-c",
        "echo out; echo rec1 >&3; echo err >&2; printf 'rec2' >&3",
    ]);
    s.records = true;
    let id = engine::start(s).unwrap();
    assert_eq!(wait_done(id, 10).state, JobState::Completed);
    let mut got = all_output(id);
    got.sort();
    assert_eq!(
        got,
        [
            (0, "out".to_string()),
            (1, "err".into()),
            (2, "rec1".into()),
            (2, "rec2".into())
        ]
    );
    // Without the flag there is no fd 3.
    let id = sh("echo x >&3 || echo no-fd-3");
    wait_done(id, 10);
    assert_eq!(stdout_lines(id), ["no-fd-3"]);
}

#[test]
fn a_stop_works_while_output_is_paused_and_what_was_written_still_arrives() {
    let dir = TempDir::new("pausedstop");
    let real = dir.0.join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.0.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    // TERM is ignored: the stop has to escalate while the job is blocked on a full pipe.
    let mut s = spec(&["/bin/sh", "-c", "trap '' TERM; exec yes line"]);
    s.spool_dir = Some(link.to_string_lossy().into_owned());
    s.grace_ms = Some(300);
    let id = engine::start(s).unwrap();
    assert!(
        eventually(30.0, || reason(id).contains("output paused")),
        "{:?}",
        engine::get(id).unwrap()
    );
    assert!(
        eventually(30.0, || blocked_on_output(id)),
        "the job should block on write"
    );
    let t = Instant::now();
    engine::stop(&[id], false, None).unwrap();
    let info = wait_done(id, 10);
    assert_eq!(info.state, JobState::Stopped);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let r = reason(id);
    assert!(
        !r.starts_with("output paused"),
        "nothing is paused any more: {r}"
    );
    // Everything the job wrote before it was killed, in whole lines (the last may be cut by the
    // kill itself, never by the engine).
    let lines = stdout_lines(id);
    assert!(lines.len() > 100_000, "{}", lines.len());
    let bad = lines[..lines.len() - 1]
        .iter()
        .filter(|l| *l != "line")
        .count();
    assert_eq!(bad, 0);
    assert!("line".starts_with(lines.last().unwrap().as_str()));
}

#[test]
fn exit_and_end_arrive_though_nobody_reads() {
    // Output beyond the memory bound, no spool: the job blocks, a forced stop still ends it.
    let dir = TempDir::new("noreader");
    let real = dir.0.join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.0.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut s = spec(&["/bin/sh", "-c", "seq 1 3000000; echo end"]);
    s.spool_dir = Some(link.to_string_lossy().into_owned());
    let id = engine::start(s).unwrap();
    assert!(eventually(30.0, || reason(id).contains("output paused")));
    assert!(
        !engine::wait(&[id], false, Some(Duration::from_millis(300))).unwrap(),
        "blocked, not finished"
    );
    engine::stop(&[id], true, None).unwrap();
    assert_eq!(wait_done(id, 10).state, JobState::Stopped);
    // In order and complete up to the kill, which may have cut the last line.
    let lines = stdout_lines(id);
    let n = lines.len();
    assert!(n > 100_000, "{n}");
    assert!(lines[..n - 1]
        .iter()
        .enumerate()
        .all(|(i, l)| *l == (i + 1).to_string()));
    assert!(n.to_string().starts_with(lines[n - 1].as_str()));
}

/// Receives 1 GiB of output (1 KiB lines) while the job writes it and prints the rate. Run by
/// hand: `cargo_rjob test --release --test output -- --ignored --nocapture throughput`.
#[test]
#[ignore = "a measurement, not a check"]
fn throughput_of_receiving_1_gib() {
    let mut s = spec(&[
        "/bin/sh",
        "-c",
        "yes \"$(head -c 1023 /dev/zero | tr '\\0' x)\" | head -c 1073741824",
    ]);
    s.spool_dir = Some(
        std::env::temp_dir()
            .join("rjob-bench-spool")
            .to_string_lossy()
            .into_owned(),
    );
    let t = Instant::now();
    let id = engine::start(s).unwrap();
    let mut bytes = 0usize;
    let mut n = 0usize;
    loop {
        let b = engine::receive(
            id,
            false,
            0,
            Limit::records(50_000),
            Duration::from_secs(30),
        )
        .unwrap();
        n += b.records.len();
        bytes += b.records.iter().map(|r| r.data.len() + 1).sum::<usize>();
        if b.done {
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(n, 1 << 20);
    println!(
        "figure: received {} MiB in {n} lines in {secs:.2} s = {:.0} MiB/s; peak RSS {} MiB",
        bytes >> 20,
        (bytes >> 20) as f64 / secs,
        status_kib("VmHWM:") >> 10
    );
}
