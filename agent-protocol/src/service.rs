//! `--service` and `--size` values.

use std::fmt;

/// `TIPC_MAX_USER_MSG_SIZE`: the largest message a TIPC socket sends.
pub const TIPC_MAX_USER_MSG_SIZE: usize = 66_000;

/// A TIPC service: `TYPE:INSTANCE`, or the range `TYPE:LOWER:UPPER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    pub type_: u32,
    pub lower: u32,
    pub upper: u32,
    /// Given in the three-part range form.
    pub ranged: bool,
}

impl Service {
    /// `TYPE:INSTANCE`.
    pub const fn instance(type_: u32, instance: u32) -> Self {
        Service {
            type_,
            lower: instance,
            upper: instance,
            ranged: false,
        }
    }

    /// `TYPE:LOWER:UPPER`.
    pub const fn span(type_: u32, lower: u32, upper: u32) -> Self {
        Service {
            type_,
            lower,
            upper,
            ranged: true,
        }
    }

    /// One instance, whichever form it was given in.
    pub fn is_single(&self) -> bool {
        self.lower == self.upper
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ranged {
            write!(f, "{}:{}:{}", self.type_, self.lower, self.upper)
        } else {
            write!(f, "{}:{}", self.type_, self.lower)
        }
    }
}

impl std::str::FromStr for Service {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        parse_service(s)
    }
}

/// A service is written as on the command line, `"18888:17"`.
impl serde::Serialize for Service {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Service {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_service(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses `TYPE:INSTANCE` or `TYPE:LOWER:UPPER` (decimal u32s).
pub fn parse_service(s: &str) -> Result<Service, String> {
    let num = |p: &str, what: &str| -> Result<u32, String> {
        p.trim()
            .parse::<u32>()
            .map_err(|_| format!("{what} {p:?} is not a decimal u32"))
    };
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [t, i] => Ok(Service::instance(num(t, "TYPE")?, num(i, "INSTANCE")?)),
        [t, l, u] => {
            let (type_, lower, upper) = (num(t, "TYPE")?, num(l, "LOWER")?, num(u, "UPPER")?);
            if lower > upper {
                return Err(format!("LOWER {lower} is greater than UPPER {upper}"));
            }
            Ok(Service::span(type_, lower, upper))
        }
        _ => Err("expected TYPE:INSTANCE or TYPE:LOWER:UPPER (decimal u32s)".into()),
    }
}

/// Parses a message size, 1 ..= [`TIPC_MAX_USER_MSG_SIZE`].
pub fn parse_size(s: &str) -> Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a decimal number"))?;
    if !(1..=TIPC_MAX_USER_MSG_SIZE).contains(&v) {
        return Err(format!(
            "{v} is out of range 1..={TIPC_MAX_USER_MSG_SIZE} (TIPC_MAX_USER_MSG_SIZE)"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_and_print_alike() {
        let s = parse_service("18888:17").unwrap();
        assert_eq!(s, Service::instance(18888, 17));
        assert_eq!(s.to_string(), "18888:17");
        let r = parse_service("18888:1:9").unwrap();
        assert_eq!(r, Service::span(18888, 1, 9));
        assert_eq!(r.to_string(), "18888:1:9");
        for bad in [
            "18888",
            "18888:9:1",
            "a:1",
            "1:2:3:4",
            "1:-2",
            "1:4294967296",
        ] {
            assert!(parse_service(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_stay_in_tipc_range() {
        assert_eq!(parse_size("1"), Ok(1));
        assert_eq!(parse_size("66000"), Ok(66_000));
        for bad in ["0", "66001", "x"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
