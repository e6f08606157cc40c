//! ARCHITECTURE.md says what every module of relay-core is: a module added without its line
//! there fails here.

use std::path::Path;

/// The modules under `dir`, as ARCHITECTURE.md names them: a file (`campaign/store.rs`) or a
/// folder with a `mod.rs` (`campaign/send/`); `lib.rs` and the unit tests' `tests.rs` aside.
fn modules(dir: &Path, root: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if path.join("mod.rs").exists() {
                out.push(format!("{rel}/"));
            }
            modules(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_name().unwrap().to_string_lossy();
            if !matches!(name.as_ref(), "mod.rs" | "lib.rs" | "tests.rs") {
                out.push(rel);
            }
        }
    }
}

#[test]
fn every_module_of_the_core_is_in_architecture_md() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(core.join("../../ARCHITECTURE.md")).unwrap();
    let src = core.join("src");
    let mut found = Vec::new();
    modules(&src, &src, &mut found);
    assert!(found.len() > 50, "the core's modules were found: {found:?}");
    let missing: Vec<&String> = found
        .iter()
        .filter(|m| !doc.contains(&format!("`{m}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not say what these modules of relay-core are: {missing:?}"
    );
}
