//! Generates the C header from the ABI with cbindgen, into OUT_DIR only: a build never touches
//! the source tree. tests/header.rs compares this fresh header with the committed
//! include/rjob.h, so a stale header fails the tests; `scripts/header` copies it into include/
//! when the ABI changed on purpose.

use std::path::PathBuf;

/// The files cbindgen reads: the exports, their statuses and their structures.
const ABI_FILES: [&str; 3] = ["src/ffi/status.rs", "src/ffi/types.rs", "src/ffi/mod.rs"];

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    // Parsing the ABI's own files (not the crate) keeps cbindgen from running `cargo metadata`,
    // which would need the registry configuration of the outer build.
    let mut builder = cbindgen::Builder::new().with_config(config);
    for f in ABI_FILES {
        println!("cargo:rerun-if-changed={f}");
        builder = builder.with_src(crate_dir.join(f));
    }
    let bindings = builder.generate().expect("cbindgen could not read the ABI");
    bindings.write_to_file(out_dir.join("rjob.h"));
    // The fork server binds every symbol before it forks: with lazy binding each forked
    // supervisor resolved them again on its first calls (issue 7).
    println!("cargo:rustc-link-arg-bin=rjob-supervisor=-Wl,-z,now");
}
