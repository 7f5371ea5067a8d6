//! Generates include/rjob.h from the ABI with cbindgen. The header is committed; under CI=true
//! it is only written to OUT_DIR, where tests/header.rs compares it with the committed one, so a
//! stale header fails the build's tests instead of being silently rewritten.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi/mod.rs");
    println!("cargo:rerun-if-changed=src/ffi/status.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CI");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    // Parsing the ABI's own files (not the crate) keeps cbindgen from running `cargo metadata`,
    // which would need the registry configuration of the outer build.
    let bindings = cbindgen::Builder::new()
        .with_src(crate_dir.join("src/ffi/status.rs"))
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen could not read the ABI");
    bindings.write_to_file(out_dir.join("rjob.h"));
    if std::env::var("CI").map(|v| v != "true").unwrap_or(true) {
        bindings.write_to_file(crate_dir.join("include").join("rjob.h"));
    }
}
