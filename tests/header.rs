//! The committed C header must be what cbindgen makes of the code now.

#[test]
fn committed_header_matches_the_abi() {
    let fresh = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/rjob.h")).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/rjob.h")).unwrap();
    assert!(
        fresh == committed,
        "include/rjob.h is stale: build without CI=true to regenerate it, and commit the result"
    );
}
