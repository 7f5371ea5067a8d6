//! Entry point of the per-job supervisor; see `rjob::supervisor`.
//! No argument: the engine's socket is fd 0 (local jobs). `--stdio`: stdin and stdout (remote
//! jobs, started through ssh).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let stdio = match args.as_slice() {
        [] => false,
        [a] if a == "--stdio" => true,
        _ => {
            eprintln!(
                "usage: rjob-supervisor [--stdio]  (started by the RJob engine, not by hand)"
            );
            std::process::exit(2);
        }
    };
    std::process::exit(rjob::supervisor::run(stdio));
}
