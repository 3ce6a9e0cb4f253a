//! Streaming reader for pcap and pcapng capture files.
//!
//! Frames are read one record at a time through a `BufReader`, so memory stays flat however
//! large the file is: one frame's bytes plus, for pcapng, one reusable block buffer. Block
//! framing (lengths, truncation, byte offsets) is done here; the contents of pcap global
//! headers and pcapng blocks are decoded with `pcap-parser`.
//!
//! Every problem is a [`DecodeError`] naming the file, the frame number being read and the
//! byte offset of the record or block; after such an error the iterator ends.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use pcap_parser::pcapng::Block;
use pcap_parser::{parse_block_be, parse_block_le, parse_pcap_header};
use serde::Serialize;

use super::{DecodeError, DecodeErrorKind};

/// Largest frame a pcap record may hold (libpcap's `MAXIMUM_SNAPLEN`); a bigger captured
/// length means the record header is corrupt. TIPC trace clones on `lo` reach 66,074 bytes.
pub const MAX_FRAME_LEN: u32 = 262_144;
/// Largest pcapng block this reader decodes (a maximal frame plus generous options).
pub const MAX_BLOCK_LEN: u32 = 4 * 1024 * 1024;
/// Most interfaces a pcapng section may describe before the file is judged corrupt.
const MAX_INTERFACES: usize = 65_536;

const SHB_MAGIC: u32 = 0x0A0D_0D0A;
const BOM_MAGIC: u32 = 0x1A2B_3C4D;
const IDB_MAGIC: u32 = 0x0000_0001;
const SPB_MAGIC: u32 = 0x0000_0003;
const EPB_MAGIC: u32 = 0x0000_0006;
/// `epb_flags` option code.
const OPT_EPB_FLAGS: u16 = 2;

pub use crate::link::linktype;

/// Direction of a frame relative to the capturing interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received (`PACKET_HOST`, `PACKET_BROADCAST`, ...; pcapng inbound).
    In,
    /// Sent (`PACKET_OUTGOING`; pcapng outbound).
    Out,
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Direction::In => "in",
            Direction::Out => "out",
        })
    }
}

/// One captured frame.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFrame {
    /// Frame number, counted from 1 like tshark's `frame.number`.
    pub index: u64,
    /// Byte offset of the record (pcap) or block (pcapng) in the file.
    pub offset: u64,
    /// Capture time, seconds since the epoch (0 for pcapng simple packet blocks).
    pub ts: f64,
    /// Link-layer type (`LINKTYPE_*`, low 16 bits).
    pub linktype: i32,
    /// Length of the frame on the wire.
    pub orig_len: u32,
    /// The captured bytes (may be shorter than `orig_len`).
    pub data: Vec<u8>,
    /// Interface name from the pcapng interface description block.
    pub interface: Option<String>,
    /// From pcapng `epb_flags`, the patched pcap packet type, or the Linux SLL/SLL2 packet type.
    pub direction: Option<Direction>,
}

#[derive(Debug, Clone, Copy)]
struct PcapFormat {
    big_endian: bool,
    nanosecond: bool,
    /// Kuznetzov's patched format: 24-byte record headers carrying the packet type.
    patched: bool,
    linktype: i32,
}

#[derive(Debug, Clone)]
struct Interface {
    linktype: i32,
    name: Option<String>,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    ts_offset: i64,
}

#[derive(Debug)]
enum Format {
    Pcap(PcapFormat),
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// What one pcapng block meant to the reader.
enum NgBlock {
    Section { big_endian: bool },
    Interface(Interface),
    Packet(RawFrame),
    Other,
}

/// Streaming pcap/pcapng reader; an iterator of frames. `R` is where the bytes come from:
/// a file ([`CaptureReader::open`]) or any other reader ([`CaptureReader::from_reader`]).
#[derive(Debug)]
pub struct CaptureReader<R = File> {
    /// The file, or the name given to an in-memory capture; every error names it.
    path: PathBuf,
    input: BufReader<R>,
    /// Bytes consumed so far, i.e. the file offset of the next record or block.
    pos: u64,
    next_index: u64,
    format: Format,
    /// Reusable buffer for one pcapng block.
    block: Vec<u8>,
    done: bool,
}

impl CaptureReader<File> {
    /// Opens a capture file, detects pcap or pcapng from its first bytes and reads its file
    /// header (pcap) or first section header block (pcapng).
    pub fn open(path: &Path) -> Result<Self, DecodeError> {
        let file = File::open(path).map_err(|e| {
            DecodeError::new(
                path,
                None,
                None,
                DecodeErrorKind::Io(format!("cannot open: {e}")),
            )
        })?;
        Self::from_reader(path, file)
    }
}

impl<R: Read> CaptureReader<R> {
    /// Reads a capture from `input` (a file, a byte slice, ...) as [`CaptureReader::open`]
    /// does; `name` stands for the file in errors.
    pub fn from_reader(name: &Path, input: R) -> Result<Self, DecodeError> {
        let mut reader = CaptureReader {
            path: name.to_path_buf(),
            input: BufReader::with_capacity(64 * 1024, input),
            pos: 0,
            next_index: 1,
            format: Format::Pcap(PcapFormat {
                big_endian: false,
                nanosecond: false,
                patched: false,
                linktype: 0,
            }),
            block: Vec::new(),
            done: false,
        };
        let mut magic = [0u8; 4];
        let n = reader.read_full(&mut magic, None)?;
        if n < magic.len() {
            let what = if n == 0 {
                "empty file".to_string()
            } else {
                format!("file is only {n} bytes long")
            };
            return Err(reader.error_at(0, None, DecodeErrorKind::NotACapture(what)));
        }
        if u32::from_le_bytes(magic) == SHB_MAGIC {
            reader.format = Format::PcapNg {
                big_endian: false,
                interfaces: Vec::new(),
            };
            match reader.read_ng_block(magic)? {
                Some(NgBlock::Section { big_endian }) => {
                    reader.format = Format::PcapNg {
                        big_endian,
                        interfaces: Vec::new(),
                    };
                }
                _ => {
                    return Err(reader.error_at(
                        0,
                        None,
                        DecodeErrorKind::Corrupt(
                            "pcapng file does not start with a section header block".into(),
                        ),
                    ))
                }
            }
            return Ok(reader);
        }
        let known = matches!(
            u32::from_le_bytes(magic),
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 | 0xd4c3_b2a1 | 0x4d3c_b2a1
        );
        if !known {
            let hint = if magic[..2] == [0x1f, 0x8b] {
                " (gzip-compressed? decompress it first)"
            } else {
                ""
            };
            return Err(reader.error_at(
                0,
                None,
                DecodeErrorKind::NotACapture(format!(
                    "not a pcap or pcapng file: starts with {:02x} {:02x} {:02x} {:02x}{hint}",
                    magic[0], magic[1], magic[2], magic[3]
                )),
            ));
        }
        let mut header = [0u8; 24];
        header[..4].copy_from_slice(&magic);
        let n = reader.read_full(&mut header[4..], None)?;
        if n < 20 {
            return Err(reader.error_at(
                0,
                None,
                DecodeErrorKind::Truncated(format!(
                    "pcap file header cut off after {} of 24 bytes",
                    4 + n
                )),
            ));
        }
        let parsed = parse_pcap_header(&header).map_err(|_| {
            reader.error_at(
                0,
                None,
                DecodeErrorKind::NotACapture("unrecognised pcap file header".into()),
            )
        })?;
        let (_, h) = parsed;
        reader.format = Format::Pcap(PcapFormat {
            big_endian: h.is_bigendian(),
            nanosecond: h.is_nanosecond_precision(),
            patched: h.is_modified_format(),
            linktype: h.network.0 & 0xffff,
        });
        Ok(reader)
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of frames returned so far.
    pub fn frames_read(&self) -> u64 {
        self.next_index - 1
    }

    fn error_at(&self, offset: u64, frame: Option<u64>, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::new(&self.path, frame, Some(offset), kind)
    }

    /// Reads until `buf` is full or the file ends; returns the bytes read.
    fn read_full(&mut self, buf: &mut [u8], frame: Option<u64>) -> Result<usize, DecodeError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let at = self.pos + filled as u64;
                    return Err(self.error_at(
                        at,
                        frame,
                        DecodeErrorKind::Io(format!("read error: {e}")),
                    ));
                }
            }
        }
        self.pos += filled as u64;
        Ok(filled)
    }

    /// Reads and discards `len` bytes; returns how many were there.
    fn skip(&mut self, len: u64, frame: Option<u64>) -> Result<u64, DecodeError> {
        let copied = io::copy(&mut (&mut self.input).take(len), &mut io::sink()).map_err(|e| {
            self.error_at(
                self.pos,
                frame,
                DecodeErrorKind::Io(format!("read error: {e}")),
            )
        })?;
        self.pos += copied;
        Ok(copied)
    }

    fn next_pcap(&mut self, fmt: PcapFormat) -> Result<Option<RawFrame>, DecodeError> {
        let index = self.next_index;
        let offset = self.pos;
        let hdr_len = if fmt.patched { 24 } else { 16 };
        let mut hdr = [0u8; 24];
        let n = self.read_full(&mut hdr[..hdr_len], Some(index))?;
        if n == 0 {
            return Ok(None);
        }
        let truncated = |what: String| DecodeErrorKind::Truncated(what);
        if n < hdr_len {
            return Err(self.error_at(
                offset,
                Some(index),
                truncated(format!(
                    "file ends inside the record header ({n} of {hdr_len} bytes present)"
                )),
            ));
        }
        let u32_at = |i: usize| {
            let b = [hdr[i], hdr[i + 1], hdr[i + 2], hdr[i + 3]];
            if fmt.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (ts_sec, ts_frac, caplen, orig_len) = (u32_at(0), u32_at(4), u32_at(8), u32_at(12));
        if caplen > MAX_FRAME_LEN {
            return Err(self.error_at(
                offset,
                Some(index),
                DecodeErrorKind::Corrupt(format!(
                    "record claims {caplen} captured bytes, more than the {MAX_FRAME_LEN}-byte maximum"
                )),
            ));
        }
        let mut data = vec![0u8; caplen as usize];
        let n = self.read_full(&mut data, Some(index))?;
        if n < data.len() {
            return Err(self.error_at(
                offset,
                Some(index),
                truncated(format!(
                    "file ends inside the frame data ({n} of {caplen} captured bytes present)"
                )),
            ));
        }
        let units = if fmt.nanosecond { 1e9 } else { 1e6 };
        // Patched format: struct pcap_sf_patched_pkthdr { ...; int index; u16 protocol; u8 pkt_type; }
        let direction = if fmt.patched {
            packet_type_direction(u16::from(hdr[22]))
        } else {
            cooked_direction(fmt.linktype, &data)
        };
        self.next_index += 1;
        Ok(Some(RawFrame {
            index,
            offset,
            ts: f64::from(ts_sec) + f64::from(ts_frac) / units,
            linktype: fmt.linktype,
            orig_len,
            data,
            interface: None,
            direction,
        }))
    }

    fn ng_u32(big_endian: bool, b: [u8; 4]) -> u32 {
        if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// Reads one pcapng block; `first4` are its first four bytes when the caller already read
    /// them. Returns `None` at a clean end of file.
    fn read_ng_block(&mut self, first4: [u8; 4]) -> Result<Option<NgBlock>, DecodeError> {
        let index = self.next_index;
        let frame = Some(index);
        let offset = self.pos - 4;
        let Format::PcapNg { big_endian, .. } = self.format else {
            return Ok(None);
        };
        let mut section_be = big_endian;
        let mut head = [0u8; 12];
        head[..4].copy_from_slice(&first4);
        let is_shb = u32::from_le_bytes(first4) == SHB_MAGIC;
        let head_len = if is_shb { 12 } else { 8 };
        let n = self.read_full(&mut head[4..head_len], frame)?;
        if n < head_len - 4 {
            return Err(self.error_at(
                offset,
                frame,
                DecodeErrorKind::Truncated(format!(
                    "file ends inside a block header ({} of {head_len} bytes present)",
                    4 + n
                )),
            ));
        }
        if is_shb {
            let bom = [head[8], head[9], head[10], head[11]];
            section_be = if u32::from_le_bytes(bom) == BOM_MAGIC {
                false
            } else if u32::from_be_bytes(bom) == BOM_MAGIC {
                true
            } else {
                return Err(self.error_at(
                    offset,
                    frame,
                    DecodeErrorKind::Corrupt(format!(
                        "section header block has an invalid byte-order magic {:02x}{:02x}{:02x}{:02x}",
                        bom[0], bom[1], bom[2], bom[3]
                    )),
                ));
            };
        }
        let block_type = Self::ng_u32(section_be, first4);
        let len = Self::ng_u32(section_be, [head[4], head[5], head[6], head[7]]);
        let min_len = if is_shb { 28 } else { 12 };
        if len < min_len || len & 3 != 0 {
            return Err(self.error_at(
                offset,
                frame,
                DecodeErrorKind::Corrupt(format!(
                    "block of type 0x{block_type:08x} has an invalid length {len}"
                )),
            ));
        }
        let decoded = matches!(block_type, SHB_MAGIC | IDB_MAGIC | EPB_MAGIC | SPB_MAGIC);
        if !decoded {
            // Name resolution, statistics, custom and unknown blocks: skip, check the trailer.
            let body = u64::from(len) - head_len as u64 - 4;
            let got = self.skip(body, frame)?;
            let mut trailer = [0u8; 4];
            let n = self.read_full(&mut trailer, frame)?;
            if got < body || n < 4 {
                return Err(self.block_truncated(offset, frame, len));
            }
            if Self::ng_u32(section_be, trailer) != len {
                return Err(self.error_at(
                    offset,
                    frame,
                    DecodeErrorKind::Corrupt(format!(
                        "block of type 0x{block_type:08x}: trailing length {} differs from leading length {len}",
                        Self::ng_u32(section_be, trailer)
                    )),
                ));
            }
            return Ok(Some(NgBlock::Other));
        }
        if len > MAX_BLOCK_LEN {
            return Err(self.error_at(
                offset,
                frame,
                DecodeErrorKind::Corrupt(format!(
                    "block of type 0x{block_type:08x} claims {len} bytes, more than the {MAX_BLOCK_LEN}-byte limit"
                )),
            ));
        }
        let mut block = std::mem::take(&mut self.block);
        block.clear();
        block.extend_from_slice(&head[..head_len]);
        block.resize(len as usize, 0);
        let n = self.read_full(&mut block[head_len..], frame);
        let result = match n {
            Ok(n) if n < len as usize - head_len => Err(self.block_truncated(offset, frame, len)),
            Ok(_) => self.decode_ng_block(&block, section_be, offset, index),
            Err(e) => Err(e),
        };
        self.block = block;
        result.map(Some)
    }

    fn block_truncated(&self, offset: u64, frame: Option<u64>, len: u32) -> DecodeError {
        self.error_at(
            offset,
            frame,
            DecodeErrorKind::Truncated(format!(
                "file ends inside a {len}-byte block ({} bytes present)",
                self.pos - offset
            )),
        )
    }

    fn decode_ng_block(
        &self,
        bytes: &[u8],
        big_endian: bool,
        offset: u64,
        index: u64,
    ) -> Result<NgBlock, DecodeError> {
        let corrupt =
            |what: String| self.error_at(offset, Some(index), DecodeErrorKind::Corrupt(what));
        let parsed = if big_endian {
            parse_block_be(bytes)
        } else {
            parse_block_le(bytes)
        };
        let block = match parsed {
            Ok(([], block)) => block,
            Ok(_) => return Err(corrupt("block length disagrees with its contents".into())),
            Err(e) => return Err(corrupt(format!("malformed block: {e}"))),
        };
        let interfaces: &[Interface] = match &self.format {
            Format::PcapNg { interfaces, .. } => interfaces,
            Format::Pcap(_) => &[],
        };
        match block {
            Block::SectionHeader(shb) => {
                if shb.major_version != 1 {
                    return Err(corrupt(format!(
                        "unsupported pcapng version {}.{}",
                        shb.major_version, shb.minor_version
                    )));
                }
                Ok(NgBlock::Section {
                    big_endian: shb.big_endian(),
                })
            }
            Block::InterfaceDescription(idb) => {
                if interfaces.len() >= MAX_INTERFACES {
                    return Err(corrupt(format!("more than {MAX_INTERFACES} interfaces")));
                }
                let resolution = ts_resolution(idb.if_tsresol).ok_or_else(|| {
                    corrupt(format!(
                        "interface {} has an invalid timestamp resolution 0x{:02x}",
                        interfaces.len(),
                        idb.if_tsresol
                    ))
                })?;
                Ok(NgBlock::Interface(Interface {
                    linktype: i32::from(idb.linktype.0 as u16),
                    name: idb.if_name().and_then(|r| r.ok()).map(str::to_string),
                    resolution,
                    ts_offset: idb.if_tsoffset,
                }))
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = interfaces.get(epb.if_id as usize) else {
                    return Err(corrupt(format!(
                        "packet refers to interface {} but only {} are described",
                        epb.if_id,
                        interfaces.len()
                    )));
                };
                let caplen = (epb.caplen as usize).min(epb.data.len());
                let data = epb.data[..caplen].to_vec();
                let flags = epb
                    .options
                    .iter()
                    .find(|o| o.code.0 == OPT_EPB_FLAGS)
                    .and_then(|o| <[u8; 4]>::try_from(o.value()).ok())
                    .map(|b| Self::ng_u32(big_endian, b));
                let direction = match flags.map(|f| f & 0x3) {
                    Some(1) => Some(Direction::In),
                    Some(2) => Some(Direction::Out),
                    _ => cooked_direction(iface.linktype, &data),
                };
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                Ok(NgBlock::Packet(RawFrame {
                    index,
                    offset,
                    ts: timestamp(units, iface.resolution, iface.ts_offset),
                    linktype: iface.linktype,
                    orig_len: epb.origlen,
                    data,
                    interface: iface.name.clone(),
                    direction,
                }))
            }
            Block::SimplePacket(spb) => {
                let Some(iface) = interfaces.first() else {
                    return Err(corrupt(
                        "simple packet block before any interface description".into(),
                    ));
                };
                let caplen = (spb.origlen as usize).min(spb.data.len());
                let data = spb.data[..caplen].to_vec();
                Ok(NgBlock::Packet(RawFrame {
                    index,
                    offset,
                    ts: 0.0,
                    linktype: iface.linktype,
                    orig_len: spb.origlen,
                    direction: cooked_direction(iface.linktype, &data),
                    data,
                    interface: iface.name.clone(),
                }))
            }
            _ => Ok(NgBlock::Other),
        }
    }

    fn next_pcapng(&mut self) -> Result<Option<RawFrame>, DecodeError> {
        loop {
            let mut first4 = [0u8; 4];
            let offset = self.pos;
            let n = self.read_full(&mut first4, Some(self.next_index))?;
            if n == 0 {
                return Ok(None);
            }
            if n < 4 {
                return Err(self.error_at(
                    offset,
                    Some(self.next_index),
                    DecodeErrorKind::Truncated(format!(
                        "file ends inside a block header ({n} of 8 bytes present)"
                    )),
                ));
            }
            match self.read_ng_block(first4)? {
                None | Some(NgBlock::Other) => {}
                Some(NgBlock::Section { big_endian: be }) => {
                    if let Format::PcapNg {
                        big_endian,
                        interfaces,
                    } = &mut self.format
                    {
                        *big_endian = be;
                        interfaces.clear();
                    }
                }
                Some(NgBlock::Interface(iface)) => {
                    if let Format::PcapNg { interfaces, .. } = &mut self.format {
                        interfaces.push(iface);
                    }
                }
                Some(NgBlock::Packet(frame)) => {
                    self.next_index += 1;
                    return Ok(Some(frame));
                }
            }
        }
    }
}

impl<R: Read> Iterator for CaptureReader<R> {
    type Item = Result<RawFrame, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = match self.format {
            Format::Pcap(fmt) => self.next_pcap(fmt),
            Format::PcapNg { .. } => self.next_pcapng(),
        };
        match result {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: Read> std::iter::FusedIterator for CaptureReader<R> {}

/// Timestamp units per second from a pcapng `if_tsresol`: 10^n, or 2^n when the top bit is
/// set; `None` when that does not fit in a u64. (pcap-parser's `build_ts_resolution` refuses
/// every 2^n resolution.)
fn ts_resolution(if_tsresol: u8) -> Option<u64> {
    let exponent = u32::from(if_tsresol & 0x7f);
    if if_tsresol & 0x80 == 0 {
        10u64.checked_pow(exponent)
    } else {
        1u64.checked_shl(exponent)
    }
}

/// Seconds since the epoch from a pcapng timestamp, without overflow on any input.
fn timestamp(units: u64, resolution: u64, ts_offset: i64) -> f64 {
    let secs = units / resolution;
    let frac = units % resolution;
    ts_offset as f64 + secs as f64 + frac as f64 / resolution as f64
}

/// Linux `PACKET_*` packet type to direction: `PACKET_OUTGOING` (4) is sent, 0..=3 received.
fn packet_type_direction(packet_type: u16) -> Option<Direction> {
    match packet_type {
        0..=3 => Some(Direction::In),
        4 => Some(Direction::Out),
        _ => None,
    }
}

/// Direction from the packet type of a Linux cooked (`-i any`) header.
fn cooked_direction(linktype: i32, data: &[u8]) -> Option<Direction> {
    match linktype {
        linktype::LINUX_SLL => data
            .get(0..2)
            .and_then(|b| packet_type_direction(u16::from_be_bytes([b[0], b[1]]))),
        linktype::LINUX_SLL2 => data
            .get(10)
            .and_then(|b| packet_type_direction(u16::from(*b))),
        _ => None,
    }
}
