//! The one way the tests ask tshark for fields.

use std::path::Path;
use std::process::Command;

/// `tshark -r FILE -T fields -e F...`: one row per frame, one cell per field
/// (empty where tshark reports nothing).
pub fn tshark_fields(path: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "separator=|"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}
