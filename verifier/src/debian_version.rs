//! Debian version ordering (`[epoch:]upstream[-revision]`), as dpkg does
//! it (`dpkg --compare-versions`), in pure Rust so the version policy is
//! tested without dpkg: `~` sorts before anything, even the end of the
//! string (`7.3.4-1~bpo13+1` < `7.3.4-1`), letters before other symbols,
//! digit runs compare as numbers.

use std::cmp::Ordering;

/// The parts of a version string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts<'a> {
    pub epoch: u64,
    pub upstream: &'a str,
    pub revision: &'a str,
}

/// Splits a version: the epoch before the first `:` (0 when absent or not
/// a number), the revision after the last `-` (empty when absent).
pub fn parts(v: &str) -> Parts<'_> {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().unwrap_or(0), rest)
        }
        _ => (0, v),
    };
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    Parts {
        epoch,
        upstream,
        revision,
    }
}

/// The version without its epoch (what a pin like `6.12.117` is matched
/// against).
pub fn without_epoch(v: &str) -> &str {
    let v = v.trim();
    match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// dpkg's weight of one character; `None` is the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Compares two Debian versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parts(a), parts(b));
    pa.epoch
        .cmp(&pb.epoch)
        .then_with(|| verrevcmp(pa.upstream, pb.upstream))
        .then_with(|| verrevcmp(pa.revision, pb.revision))
}

/// The highest version of a list.
pub fn max<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    versions.into_iter().max_by(|a, b| compare(a, b))
}

/// Sorts highest first, dropping duplicates.
pub fn sort_desc(versions: &mut Vec<String>) {
    versions.sort_by(|a, b| compare(b, a));
    versions.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_examples() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "1.00", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0-1", "1.0-1~bpo13+1", Greater),
            ("1:0.1", "2.0", Greater),
            ("1.2a", "1.2+", Less),
            ("1.9", "1.10", Less),
            ("", "~", Greater),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}
