//! The committed C header must be what cbindgen makes of the code now. build.rs writes the fresh
//! header only to OUT_DIR, so this compares two different files whatever the environment.

#[test]
fn committed_header_matches_the_abi() {
    let fresh_path = concat!(env!("OUT_DIR"), "/rjob.h");
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/rjob.h");
    assert_ne!(fresh_path, committed_path);
    let fresh = std::fs::read_to_string(fresh_path).unwrap();
    let committed = std::fs::read_to_string(committed_path).unwrap();
    assert!(
        fresh == committed,
        "include/rjob.h differs from the ABI in src/ffi/: run scripts/header and commit the result"
    );
}
