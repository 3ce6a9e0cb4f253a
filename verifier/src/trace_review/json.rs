//! The JSON Lines records: one per message, one per error.
//!
//! A message line is written by [`MessageWriter::write`], field by field with keys
//! that are byte constants: going through serde for the record escapes every
//! key again and copies each token through a call, and that was nine tenths
//! of `--json`'s time on a large capture. [`MessageRecord`]'s derived
//! `Serialize` stays the definition of the line: the tests check that both
//! give the same JSON for every message of the test captures.

use std::borrow::Cow;
use std::io;

use serde::Serialize;

use super::Verdict;
use tipc_wire::tipc::{
    DiscoveryInfo, LinkProtocolInfo, MacAddr, MediaAddress, TipcHeader, TrafficClass, NODE_ID_LEN,
};
use tipc_wire::{Direction, LinkLayer, ObservedPath, TipcFrame};

/// One message as a JSON line. Fields the capture or the header does not have
/// are left out (jq reads them as null), which keeps a line short.
#[derive(Serialize)]
pub(super) struct MessageRecord<'a> {
    pub file: &'a str,
    pub frame: u64,
    pub offset: u64,
    pub ts: f64,
    pub time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    pub wire_len: u32,
    pub captured_len: u32,
    pub link_layer: &'a LinkLayer,
    pub eth_src: MacAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eth_dst: Option<MacAddr>,
    pub path: ObservedPath,
    pub class: TrafficClass,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub user_name: &'static str,
    pub type_name: Cow<'static, str>,
    #[serde(flatten)]
    pub header: &'a TipcHeader,
}

impl<'a> MessageRecord<'a> {
    /// The record of `frame`, `time` seconds after the file's first message.
    pub fn new(
        file: &'a str,
        frame: &'a TipcFrame,
        time: f64,
        verdict: Verdict,
        reason: Option<&'static str>,
    ) -> Self {
        let h = &frame.header;
        let cooked = !matches!(frame.frame.link, LinkLayer::Ethernet { .. });
        MessageRecord {
            file,
            frame: frame.frame.index,
            offset: frame.frame.offset,
            ts: frame.frame.ts,
            // Capture timestamps are µs (or ns) on an epoch-sized f64: keep µs.
            time: (time * 1e6).round() / 1e6,
            interface: frame.frame.interface.as_deref(),
            direction: frame.frame.direction,
            wire_len: frame.frame.wire_len,
            captured_len: frame.frame.captured_len,
            link_layer: &frame.frame.link,
            eth_src: MacAddr(frame.eth_src),
            eth_dst: (!cooked).then_some(MacAddr(frame.eth_dst)),
            path: frame.observed_path(),
            class: h.traffic_class(),
            verdict,
            reason,
            user_name: h.user_name(),
            type_name: h.type_name(),
            header: h,
        }
    }
}

/// An error as a JSON line.
#[derive(Serialize)]
pub(super) struct ErrorRecord<'a> {
    pub error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub(super) struct ErrorBody<'a> {
    pub file: &'a str,
    pub frame: Option<u64>,
    pub offset: Option<u64>,
    pub message: String,
    pub unreadable: bool,
}

/// Appends the JSON of `value` (numbers, strings that may need escaping,
/// the nested objects).
fn value<T: Serialize + ?Sized>(buf: &mut Vec<u8>, value: &T) -> io::Result<()> {
    serde_json::to_writer(buf, value).map_err(io::Error::other)
}

#[inline(always)]
fn uint(buf: &mut Vec<u8>, key: &[u8], v: impl itoa::Integer) {
    buf.extend_from_slice(key);
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

#[inline(always)]
fn opt_uint(buf: &mut Vec<u8>, key: &[u8], v: Option<impl itoa::Integer>) {
    if let Some(v) = v {
        uint(buf, key, v);
    }
}

#[inline(always)]
fn boolean(buf: &mut Vec<u8>, key: &[u8], v: bool) {
    buf.extend_from_slice(key);
    buf.extend_from_slice(if v { b"true" } else { b"false" });
}

#[inline(always)]
fn opt_value<T: Serialize>(buf: &mut Vec<u8>, key: &[u8], v: Option<&T>) -> io::Result<()> {
    if let Some(v) = v {
        buf.extend_from_slice(key);
        value(buf, v)?;
    }
    Ok(())
}

/// Writes message lines; remembers the current file's name as JSON, which
/// is the same on every line of a file.
#[derive(Default)]
pub(super) struct MessageWriter {
    file: String,
    /// `{"file":"…"` for `file`, escaped.
    file_json: Vec<u8>,
}

impl MessageWriter {
    /// Appends the JSON of `record` to `buf`, without the newline; the same
    /// object as `serde_json::to_writer(buf, record)`, faster.
    pub fn write(&mut self, buf: &mut Vec<u8>, r: &MessageRecord<'_>) -> io::Result<()> {
        if self.file_json.is_empty() || self.file != r.file {
            self.file.clear();
            self.file.push_str(r.file);
            self.file_json.clear();
            self.file_json.extend_from_slice(b"{\"file\":");
            value(&mut self.file_json, r.file)?;
        }
        buf.extend_from_slice(&self.file_json);
        write_message_rest(buf, r)
    }
}

/// Everything of a message line after the file.
fn write_message_rest(buf: &mut Vec<u8>, r: &MessageRecord<'_>) -> io::Result<()> {
    uint(buf, b",\"frame\":", r.frame);
    uint(buf, b",\"offset\":", r.offset);
    buf.extend_from_slice(b",\"ts\":");
    value(buf, &r.ts)?;
    buf.extend_from_slice(b",\"time\":");
    value(buf, &r.time)?;
    opt_value(buf, b",\"interface\":", r.interface.as_ref())?;
    opt_value(buf, b",\"direction\":", r.direction.as_ref())?;
    uint(buf, b",\"wire_len\":", r.wire_len);
    uint(buf, b",\"captured_len\":", r.captured_len);
    buf.extend_from_slice(b",\"link_layer\":");
    match r.link_layer {
        LinkLayer::Ethernet { vlan: None } => buf.extend_from_slice(b"{\"kind\":\"ethernet\"}"),
        other => value(buf, other)?,
    }
    buf.extend_from_slice(b",\"eth_src\":");
    mac(buf, r.eth_src);
    if let Some(m) = r.eth_dst {
        buf.extend_from_slice(b",\"eth_dst\":");
        mac(buf, m);
    }
    buf.extend_from_slice(match r.path {
        ObservedPath::Loopback => b",\"path\":\"loopback\"",
        ObservedPath::Bearer => b",\"path\":\"bearer\"",
    });
    buf.extend_from_slice(match r.class {
        TrafficClass::User => b",\"class\":\"user\"".as_slice(),
        TrafficClass::Internal => b",\"class\":\"internal\"",
        TrafficClass::NodeLocal => b",\"class\":\"node_local\"",
    });
    buf.extend_from_slice(match r.verdict {
        Verdict::Ok => b",\"verdict\":\"ok\"".as_slice(),
        Verdict::WrongPath => b",\"verdict\":\"wrong_path\"",
        Verdict::Local => b",\"verdict\":\"local\"",
        Verdict::Unchecked => b",\"verdict\":\"unchecked\"",
    });
    opt_value(buf, b",\"reason\":", r.reason.as_ref())?;
    // Both names are identifiers (LINK_CONFIG, DSC_TRIAL, TYPE_9): nothing to escape.
    buf.extend_from_slice(b",\"user_name\":\"");
    buf.extend_from_slice(r.user_name.as_bytes());
    buf.extend_from_slice(b"\",\"type_name\":\"");
    buf.extend_from_slice(r.type_name.as_bytes());
    buf.push(b'"');
    header(buf, r.header)?;
    buf.push(b'}');
    Ok(())
}

/// The header's fields, continuing an object (each with its leading comma).
fn header(buf: &mut Vec<u8>, h: &TipcHeader) -> io::Result<()> {
    uint(buf, b",\"version\":", h.version);
    uint(buf, b",\"user\":", h.user);
    uint(buf, b",\"hdr_size\":", h.hdr_size);
    uint(buf, b",\"size\":", h.size);
    boolean(buf, b",\"non_seq\":", h.non_seq);
    boolean(buf, b",\"dest_droppable\":", h.dest_droppable);
    boolean(buf, b",\"src_droppable\":", h.src_droppable);
    boolean(buf, b",\"syn\":", h.syn);
    uint(buf, b",\"type\":", h.mtype);
    uint(buf, b",\"error\":", h.error);
    uint(buf, b",\"reroute_count\":", h.reroute_count);
    uint(buf, b",\"lookup_scope\":", h.lookup_scope);
    uint(buf, b",\"prev_node\":", h.prev_node);
    opt_uint(buf, b",\"orig_node\":", h.orig_node);
    opt_uint(buf, b",\"dest_node\":", h.dest_node);
    opt_uint(buf, b",\"orig_port\":", h.orig_port);
    opt_uint(buf, b",\"dest_port\":", h.dest_port);
    opt_uint(buf, b",\"name_type\":", h.name_type);
    opt_uint(buf, b",\"name_instance\":", h.name_instance);
    opt_uint(buf, b",\"name_upper\":", h.name_upper);
    opt_value(buf, b",\"fragment\":", h.fragment.as_ref())?;
    if let Some(d) = &h.discovery {
        discovery(buf, d)?;
    }
    if let Some(l) = &h.link {
        link(buf, l);
    }
    opt_value(buf, b",\"bundle\":", h.bundle.as_ref())
}

/// `"discovery":{...}` (LINK_CONFIG): one in most captures' every few messages.
fn discovery(buf: &mut Vec<u8>, d: &DiscoveryInfo) -> io::Result<()> {
    uint(buf, b",\"discovery\":{\"cluster_id\":", d.cluster_id);
    uint(buf, b",\"node_signature\":", d.node_signature);
    uint(buf, b",\"capabilities\":", d.capabilities);
    uint(buf, b",\"dest_domain\":", d.dest_domain);
    match &d.media {
        Some(MediaAddress::Ethernet(m)) => {
            buf.extend_from_slice(b",\"media\":\"eth:");
            buf.extend_from_slice(&MacAddr(*m).text());
            buf.push(b'"');
        }
        other => opt_value(buf, b",\"media\":", other.as_ref())?,
    }
    opt_uint(buf, b",\"proof\":", d.proof);
    opt_uint(buf, b",\"suggested_addr\":", d.suggested_addr);
    if let Some(id) = &d.node_id {
        buf.extend_from_slice(b",\"node_id\":\"");
        buf.extend_from_slice(&hex_text(id));
        buf.push(b'"');
    }
    buf.push(b'}');
    Ok(())
}

/// `"link":{...}` (LINK_PROTOCOL): most of an idle capture.
fn link(buf: &mut Vec<u8>, l: &LinkProtocolInfo) {
    uint(buf, b",\"link\":{\"session\":", l.session);
    uint(buf, b",\"bearer_id\":", l.bearer_id);
    buf.extend_from_slice(b",\"net_plane\":\"");
    let mut plane = [0u8; 4];
    // A char from 'A' on: no escaping needed.
    buf.extend_from_slice(l.net_plane.encode_utf8(&mut plane).as_bytes());
    buf.push(b'"');
    uint(buf, b",\"priority\":", l.priority);
    boolean(buf, b",\"probe\":", l.probe);
    boolean(buf, b",\"peer_stopping\":", l.peer_stopping);
    boolean(buf, b",\"redundant_link\":", l.redundant_link);
    uint(buf, b",\"seq_gap\":", l.seq_gap);
    uint(buf, b",\"next_sent\":", l.next_sent);
    opt_uint(buf, b",\"max_pkt\":", l.max_pkt);
    opt_uint(buf, b",\"tolerance\":", l.tolerance);
    buf.push(b'}');
}

/// Lower-case hex of a node id.
fn hex_text(id: &[u8; NODE_ID_LEN]) -> [u8; 2 * NODE_ID_LEN] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 2 * NODE_ID_LEN];
    for (pair, b) in text.chunks_exact_mut(2).zip(id) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    text
}

/// A MAC address as a JSON string (hex digits and colons need no escaping).
#[inline(always)]
fn mac(buf: &mut Vec<u8>, m: MacAddr) {
    buf.push(b'"');
    buf.extend_from_slice(&m.text());
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use tipc_wire::FrameMeta;

    /// The fast line must be the derived one, byte for byte.
    fn assert_same(writer: &mut MessageWriter, record: &MessageRecord<'_>) {
        let mut fast = Vec::new();
        writer.write(&mut fast, record).unwrap();
        let derived = serde_json::to_vec(record).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&fast),
            String::from_utf8_lossy(&derived)
        );
    }

    fn frame(header: TipcHeader, link: LinkLayer, interface: Option<&str>) -> TipcFrame {
        TipcFrame {
            frame: FrameMeta {
                index: 7,
                offset: 1234,
                ts: 1_733_000_000.123_456,
                interface: interface.map(str::to_string),
                direction: Some(Direction::In),
                wire_len: 90,
                captured_len: 90,
                linktype: 1,
                link,
            },
            eth_src: [0x6a, 0x29, 0x8d, 0xfd, 0x8b, 0x42],
            eth_dst: [0; 6],
            header,
            bytes: Vec::new(),
            tipc_offset: 14,
        }
    }

    /// SplitMix64: headers of every user, type and size, reproducibly.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A TIPC message of `user` with random words; fragments carry a valid
    /// inner header, bundles two inner messages.
    fn message(user: u32, state: &mut u64) -> Vec<u8> {
        let hdr_words = [6u32, 8, 10, 11, 15][(next(state) % 5) as usize];
        let mut words: Vec<u32> = (0..hdr_words).map(|_| next(state) as u32).collect();
        let mut payload: Vec<u8> = (0..(next(state) % 80)).map(|_| next(state) as u8).collect();
        if user == 12 || user == 6 {
            let inner = message((next(state) % 4) as u32, state);
            payload = inner.clone();
            if user == 6 {
                payload.extend_from_slice(&inner);
            }
        }
        let size = hdr_words * 4 + payload.len() as u32;
        words[0] = (2 << 29) | (user << 25) | (hdr_words << 21) | (words[0] & 0x001c_0000) | size;
        let mut out: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        out.extend_from_slice(&payload);
        out
    }

    #[test]
    fn fast_lines_equal_derived_ones_for_random_headers() {
        let mut state = 42;
        let mut writer = MessageWriter::default();
        let links = [
            LinkLayer::Ethernet { vlan: None },
            LinkLayer::Ethernet { vlan: Some(7) },
            LinkLayer::LinuxSll {
                packet_type: 4,
                hatype: 772,
            },
        ];
        let mut decoded = 0;
        for i in 0..20_000u32 {
            let bytes = message(i % 16, &mut state);
            let Ok(header) = TipcHeader::parse(&bytes) else {
                continue;
            };
            decoded += 1;
            let link = links[(i % 3) as usize];
            let iface = ["eth0", "we\"ird\\name\u{1}"][(i % 2) as usize];
            let f = frame(header, link, (i % 5 != 0).then_some(iface));
            let verdicts = [
                Verdict::Ok,
                Verdict::WrongPath,
                Verdict::Local,
                Verdict::Unchecked,
            ];
            let reason = (i % 4 == 1).then_some("expected crossover, seen on a bearer");
            let file = ["a.pcap", "dir/b \"q\".pcapng"][(i / 1000 % 2) as usize];
            let record = MessageRecord::new(
                file,
                &f,
                f64::from(i) * 1e-6,
                verdicts[(i % 4) as usize],
                reason,
            );
            assert_same(&mut writer, &record);
        }
        assert!(decoded > 10_000, "only {decoded} headers decoded");
    }

    #[test]
    fn fast_lines_equal_derived_ones_for_the_test_captures() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut files: Vec<_> = std::fs::read_dir(data.join("captures"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let wire = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wire/tests/data");
        files.push(wire.join("tcpdump-any.pcap"));
        files.push(wire.join("tcpdump-lo.pcap"));
        let mut writer = MessageWriter::default();
        let mut seen = 0;
        for path in &files {
            let name = path.display().to_string();
            for frame in tipc_wire::tipc_messages(path).unwrap().flatten() {
                let (verdict, reason) = super::super::judge(&frame, None, &[]);
                let record = MessageRecord::new(&name, &frame, 0.5, verdict, reason);
                assert_same(&mut writer, &record);
                seen += 1;
            }
        }
        assert!(seen > 100, "only {seen} messages in the test captures");
    }
}
