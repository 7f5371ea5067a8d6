//! Entry point of the per-job supervisor; see `rjob::supervisor`.

fn main() {
    std::process::exit(rjob::supervisor::run());
}
