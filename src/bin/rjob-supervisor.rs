//! Entry point of the per-job supervisor; see `rjob::supervisor`.
//! No argument: the engine's socket is fd 0 (local jobs). `--stdio`: stdin and stdout (remote
//! jobs, started through ssh). `--fork-server`: the engine's one fork server (socket on fd 0),
//! which forks a supervisor per job instead of the engine spawning this binary each time.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdio = match args.as_slice() {
        [] => false,
        [a] if a == "--stdio" => true,
        [a] if a == "--fork-server" => std::process::exit(rjob::supervisor::fork_server::run()),
        _ => {
            eprintln!(
                "usage: rjob-supervisor [--stdio | --fork-server]  (started by the RJob engine, not by hand)"
            );
            std::process::exit(2);
        }
    };
    std::process::exit(rjob::supervisor::run(stdio));
}
