//! Front matter, references and catalogue YAML from libFuzzer: each input is built as a small
//! handbook by `ismsbook::fuzzing::run` (see its doc comment for the input format and the
//! invariants); a broken invariant is a crash that libFuzzer saves and minimises.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("ismsbook-fuzz-{}", std::process::id()));
    if let Err(e) = ismsbook::fuzzing::run(&dir, data) {
        panic!("{e}");
    }
});
