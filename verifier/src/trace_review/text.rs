//! The text line of one message (the columns are explained in `--help`).

use std::fmt::Write as _;

use super::Verdict;
use tipc_wire::tipc::{self, TipcHeader};
use tipc_wire::{Direction, ObservedPath, TipcFrame};

/// Spaces for padding columns.
const SPACES: &str = "                                ";

/// Appends `s` left-aligned in `width` columns.
fn push_left(line: &mut String, s: &str, width: usize) {
    line.push_str(s);
    line.push_str(&SPACES[..width.saturating_sub(s.len()).min(SPACES.len())]);
}

/// Appends `s` right-aligned in `width` columns.
fn push_right(line: &mut String, s: &str, width: usize) {
    line.push_str(&SPACES[..width.saturating_sub(s.len()).min(SPACES.len())]);
    line.push_str(s);
}

/// Appends ` key=value` with a decimal value.
fn push_field(line: &mut String, key: &str, value: impl itoa::Integer) {
    line.push(' ');
    line.push_str(key);
    line.push('=');
    line.push_str(itoa::Buffer::new().format(value));
}

/// Appends ` key=0x` and `value` in `width` lower-case hex digits.
fn push_hex_field(line: &mut String, key: &str, value: u32, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    line.push(' ');
    line.push_str(key);
    line.push_str("=0x");
    let digits = (((32 - value.leading_zeros()) as usize).div_ceil(4)).max(width);
    for i in (0..digits).rev() {
        line.push(char::from(HEX[((value >> (4 * i)) & 0xf) as usize]));
    }
}

/// Appends bytes as lower-case hex.
fn push_hex_bytes(line: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        line.push(char::from(HEX[usize::from(b >> 4)]));
        line.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// Appends a node address as `<hex>`.
fn push_node(line: &mut String, node: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    line.push('<');
    let digits = ((32 - node.leading_zeros()).max(1) as usize).div_ceil(4);
    for i in (0..digits).rev() {
        line.push(char::from(HEX[((node >> (4 * i)) & 0xf) as usize]));
    }
    line.push('>');
}

/// Appends `<node>:port` (`?` for a missing node, no `:port` without one).
fn push_endpoint(line: &mut String, node: Option<u32>, port: Option<u32>) {
    match node {
        Some(n) => push_node(line, n),
        None => line.push('?'),
    }
    if let Some(p) = port {
        line.push(':');
        line.push_str(itoa::Buffer::new().format(p));
    }
}

/// Appends the text line of a message (see the long help for the columns)
/// to `line`. Written by hand rather
/// than with `format!`: padding through `core::fmt` costs more than
/// decoding the frame, and `trace review` reads captures of millions.
pub(super) fn write_text_line(
    line: &mut String,
    frame: &TipcFrame,
    time: f64,
    verdict: Verdict,
    reason: Option<&str>,
) {
    let h = &frame.header;
    let e = h.endpoint_header();
    let mut num = itoa::Buffer::new();
    push_right(line, num.format(frame.frame.index), 7);
    line.push(' ');
    // Seconds with six decimals, from whole microseconds.
    let micros = (time.max(0.0) * 1e6).round() as u64;
    let mut t = String::with_capacity(16);
    t.push_str(num.format(micros / 1_000_000));
    t.push('.');
    let frac = num.format(micros % 1_000_000);
    t.push_str(&"000000"[frac.len()..]);
    t.push_str(frac);
    push_right(line, &t, 11);
    line.push(' ');
    push_left(line, frame.frame.interface.as_deref().unwrap_or("-"), 6);
    line.push(' ');
    let dir = match frame.frame.direction {
        Some(Direction::In) => "in",
        Some(Direction::Out) => "out",
        None => "-",
    };
    push_left(line, dir, 3);
    line.push(' ');
    let path = match frame.observed_path() {
        ObservedPath::Loopback => "loopback",
        ObservedPath::Bearer => "bearer",
    };
    push_left(line, path, 8);
    line.push(' ');
    push_left(line, h.user_name(), 19);
    line.push(' ');
    push_left(line, &h.type_name(), 16);
    line.push(' ');
    match &h.discovery {
        Some(d) => {
            push_endpoint(line, h.orig_node, None);
            line.push_str(" -> domain ");
            push_node(line, d.dest_domain);
        }
        None => {
            push_endpoint(line, e.orig_node, e.orig_port);
            line.push_str(" -> ");
            push_endpoint(line, e.dest_node, e.dest_port);
        }
    }
    line.push_str(" size=");
    line.push_str(num.format(h.size));
    details(h, line);
    match (verdict, reason) {
        (Verdict::WrongPath, Some(r)) => {
            line.push_str(" WRONG-PATH: ");
            line.push_str(r);
        }
        (Verdict::WrongPath, None) => line.push_str(" WRONG-PATH"),
        (Verdict::Ok, _) => line.push_str(" ok"),
        (Verdict::Local, _) => line.push_str(" local"),
        (Verdict::Unchecked, _) => line.push_str(" -"),
    }
}

fn name_fields(h: &TipcHeader, line: &mut String) {
    if let (Some(t), Some(i)) = (h.name_type, h.name_instance) {
        let mut num = itoa::Buffer::new();
        line.push_str(" name={");
        line.push_str(num.format(t));
        line.push(',');
        line.push_str(num.format(i));
        if let Some(u) = h.name_upper {
            line.push(',');
            line.push_str(num.format(u));
        }
        line.push('}');
    }
}

fn details(h: &TipcHeader, line: &mut String) {
    name_fields(h, line);
    if h.syn {
        line.push_str(" syn");
    }
    if h.error != 0 {
        push_field(line, "err", h.error);
    }
    if let Some(f) = &h.fragment {
        let kind = match f.kind {
            tipc::FragmentKind::First => "FIRST".to_string(),
            tipc::FragmentKind::Fragment => "FRAGMENT".to_string(),
            tipc::FragmentKind::Last => "LAST".to_string(),
            tipc::FragmentKind::Unknown(t) => format!("TYPE_{t}"),
        };
        let _ = write!(line, " frag={kind}#{}", f.number);
        if let Some(count) = f.count {
            let _ = write!(line, "/{count}");
        }
        if let Some(inner) = &f.inner {
            let _ = write!(
                line,
                " inner={}/{} inner_size={}",
                inner.user_name(),
                inner.type_name(),
                inner.size
            );
            name_fields(inner, line);
        }
        if let Some(e) = &f.inner_error {
            let _ = write!(line, " inner_error=\"{e}\"");
        }
    }
    if let Some(b) = &h.bundle {
        let _ = write!(
            line,
            " bundle={}/{}[{}]",
            b.found,
            b.declared,
            b.user_names().join(",")
        );
    }
    if let Some(d) = &h.discovery {
        push_field(line, "cluster", d.cluster_id);
        push_hex_field(line, "sig", u32::from(d.node_signature), 4);
        push_hex_field(line, "caps", u32::from(d.capabilities), 4);
        if let Some(m) = &d.media {
            let _ = write!(line, " media={m}");
        }
        if let Some(p) = d.proof {
            push_hex_field(line, "proof", p, 8);
        }
        if let Some(s) = d.suggested_addr {
            line.push_str(" sugg=");
            push_node(line, s);
        }
        if let Some(id) = &d.node_id {
            line.push_str(" node_id=");
            push_hex_bytes(line, id);
        }
    }
    if let Some(l) = &h.link {
        push_field(line, "session", l.session);
        push_field(line, "bearer", l.bearer_id);
        line.push_str(" plane=");
        line.push(l.net_plane);
        push_field(line, "prio", l.priority);
        if let Some(t) = l.tolerance {
            push_field(line, "tol", t);
        }
        if let Some(m) = l.max_pkt {
            push_field(line, "max_pkt", m);
        }
        if l.probe {
            line.push_str(" probe");
        }
        if l.peer_stopping {
            line.push_str(" stopping");
        }
    }
}
