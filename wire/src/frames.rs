//! Captured frames as TIPC messages: [`decode_frame`] for one frame, [`tipc_messages`]
//! for a whole capture file, and where each message was seen ([`ObservedPath`]).

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::capture::{CaptureReader, Direction, RawFrame};
use crate::link::{self, LinkLayer};
use crate::tipc::{TipcError, TipcHeader};
use crate::ETH_P_TIPC;

/// What went wrong while decoding a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The file could not be opened or read.
    Io(String),
    /// The file is not a pcap or pcapng capture (or is empty).
    NotACapture(String),
    /// The file ends inside a header, record or block.
    Truncated(String),
    /// The capture structure is invalid (impossible length, unknown interface, ...).
    Corrupt(String),
    /// A frame with Ethernet type 0x88CA does not hold a valid TIPC v2 message. Reading can
    /// go on with the next frame.
    Tipc(TipcError),
}

/// A decoding problem, located by file, frame number and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The capture file.
    pub path: PathBuf,
    /// Number (from 1) of the frame being read, if reading got that far.
    pub frame: Option<u64>,
    /// Byte offset in the file of the record or block concerned.
    pub offset: Option<u64>,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// A new error at `frame`/`offset` of `path`.
    pub fn new(
        path: &Path,
        frame: Option<u64>,
        offset: Option<u64>,
        kind: DecodeErrorKind,
    ) -> Self {
        DecodeError {
            path: path.to_path_buf(),
            frame,
            offset,
            kind,
        }
    }

    /// True when the file cannot be read on (I/O error, not a capture, truncated, corrupt);
    /// false for a bad TIPC message inside an otherwise readable frame.
    pub fn unreadable(&self) -> bool {
        !matches!(self.kind, DecodeErrorKind::Tipc(_))
    }

    /// The TIPC problem, for errors about a single frame's TIPC message.
    pub fn tipc_error(&self) -> Option<&TipcError> {
        match &self.kind {
            DecodeErrorKind::Tipc(e) => Some(e),
            _ => None,
        }
    }

    /// The problem without the location.
    pub fn message(&self) -> String {
        match &self.kind {
            DecodeErrorKind::Io(m) | DecodeErrorKind::Corrupt(m) => m.clone(),
            DecodeErrorKind::NotACapture(m) => m.clone(),
            DecodeErrorKind::Truncated(m) => format!("truncated capture: {m}"),
            DecodeErrorKind::Tipc(e) => format!("bad TIPC message: {e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(frame) = self.frame {
            write!(f, ": frame {frame}")?;
        }
        if let Some(offset) = self.offset {
            write!(f, ", byte offset {offset}")?;
        }
        write!(f, ": {}", self.message())
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DecodeErrorKind::Tipc(e) => Some(e),
            _ => None,
        }
    }
}

/// Where a message was seen, from its link layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservedPath {
    /// A `tipc_loopback_trace` clone: 0x88CA on `lo` with all-zero MAC addresses. Crossover
    /// and node-local deliveries show up only this way.
    Loopback,
    /// On a real interface (non-zero MAC): sent over a bearer.
    Bearer,
}

impl fmt::Display for ObservedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObservedPath::Loopback => "loopback",
            ObservedPath::Bearer => "bearer",
        })
    }
}

/// Where and how a frame was captured.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameMeta {
    /// Frame number, from 1.
    pub index: u64,
    /// Byte offset of the frame's record or block in the file.
    pub offset: u64,
    /// Capture time, seconds since the epoch.
    pub ts: f64,
    /// Interface name (pcapng) or `ifindex N` (Linux cooked v2), if known.
    pub interface: Option<String>,
    /// Direction, if the capture records it.
    pub direction: Option<Direction>,
    /// Frame length on the wire.
    pub wire_len: u32,
    /// Bytes captured.
    pub captured_len: u32,
    /// `LINKTYPE_*` of the frame.
    pub linktype: i32,
    /// Link-layer details.
    pub link: LinkLayer,
}

/// A TIPC message found in a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct TipcFrame {
    /// Where and how it was captured.
    pub frame: FrameMeta,
    /// Ethernet source (Linux cooked: the link-layer source address).
    pub eth_src: [u8; 6],
    /// Ethernet destination. Linux cooked captures do not record one; it is then all zero
    /// (which for `lo` is also the true address); [`FrameMeta::link`] says which applies.
    pub eth_dst: [u8; 6],
    /// The decoded TIPC header.
    pub header: TipcHeader,
    /// The captured frame, link header included.
    pub bytes: Vec<u8>,
    /// Offset of the TIPC header in `bytes`.
    pub tipc_offset: usize,
}

impl TipcFrame {
    /// Whether this is a loopback trace clone or bearer traffic.
    pub fn observed_path(&self) -> ObservedPath {
        let loopback = match self.frame.link {
            LinkLayer::Ethernet { .. } => self.eth_src == [0; 6] && self.eth_dst == [0; 6],
            LinkLayer::LinuxSll { hatype, .. } | LinkLayer::LinuxSll2 { hatype, .. } => {
                hatype == link::ARPHRD_LOOPBACK
            }
        };
        if loopback {
            ObservedPath::Loopback
        } else {
            ObservedPath::Bearer
        }
    }

    /// The TIPC message as captured (header and data, without link padding).
    pub fn tipc_bytes(&self) -> &[u8] {
        let msg = self.bytes.get(self.tipc_offset..).unwrap_or(&[]);
        msg.get(..self.header.size as usize).unwrap_or(msg)
    }

    /// The message data after the TIPC header, as far as captured.
    pub fn payload(&self) -> &[u8] {
        self.tipc_bytes()
            .get(self.header.hdr_size as usize..)
            .unwrap_or(&[])
    }
}

/// Decodes one captured frame: `Ok(None)` if it is not TIPC (not Ethernet type 0x88CA or an
/// unsupported link type), an error if it is 0x88CA but its TIPC message is invalid.
pub fn decode_frame(raw: RawFrame) -> Result<Option<TipcFrame>, TipcError> {
    let Some(view) = link::parse(raw.linktype, &raw.data) else {
        return Ok(None);
    };
    if view.ethertype != ETH_P_TIPC {
        return Ok(None);
    }
    let msg = raw.data.get(view.payload_offset..).unwrap_or(&[]);
    let header = TipcHeader::parse(msg)?;
    // Bytes of TIPC message the frame had on the wire (the capture may hold fewer; some
    // writers leave the original length below the captured one).
    let frame_len = (raw.orig_len as usize).max(raw.data.len());
    let on_wire = frame_len.saturating_sub(view.payload_offset);
    if header.size as usize > on_wire {
        return Err(TipcError::SizeBeyondFrame {
            size: header.size,
            frame_bytes: on_wire,
        });
    }
    let interface = raw.interface.or_else(|| match view.link {
        LinkLayer::LinuxSll2 { ifindex, .. } => Some(format!("ifindex {ifindex}")),
        _ => None,
    });
    Ok(Some(TipcFrame {
        frame: FrameMeta {
            index: raw.index,
            offset: raw.offset,
            ts: raw.ts,
            interface,
            direction: raw.direction,
            wire_len: raw.orig_len,
            captured_len: u32::try_from(raw.data.len()).unwrap_or(u32::MAX),
            linktype: raw.linktype,
            link: view.link,
        },
        eth_src: view.src,
        eth_dst: view.dst,
        header,
        tipc_offset: view.payload_offset,
        bytes: raw.data,
    }))
}

/// Iterator over the TIPC messages of one capture file; see [`tipc_messages`].
#[derive(Debug)]
pub struct TipcMessages<R = File> {
    reader: CaptureReader<R>,
    frames: u64,
    skipped: u64,
    malformed: u64,
}

impl<R: Read> TipcMessages<R> {
    /// The TIPC messages of an open capture (a file or any other reader), as
    /// [`tipc_messages`] returns them.
    pub fn new(reader: CaptureReader<R>) -> Self {
        TipcMessages {
            reader,
            frames: 0,
            skipped: 0,
            malformed: 0,
        }
    }

    /// Frames read so far (TIPC or not).
    pub fn frames_read(&self) -> u64 {
        self.frames
    }

    /// Frames skipped because they are not TIPC.
    pub fn skipped_non_tipc(&self) -> u64 {
        self.skipped
    }

    /// 0x88CA frames whose TIPC message was invalid (returned as errors).
    pub fn malformed_tipc(&self) -> u64 {
        self.malformed
    }

    /// The capture file.
    pub fn path(&self) -> &Path {
        self.reader.path()
    }
}

impl<R: Read> Iterator for TipcMessages<R> {
    type Item = Result<TipcFrame, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = match self.reader.next()? {
                Ok(raw) => raw,
                Err(e) => return Some(Err(e)),
            };
            self.frames += 1;
            let (index, offset) = (raw.index, raw.offset);
            match decode_frame(raw) {
                Ok(Some(frame)) => return Some(Ok(frame)),
                Ok(None) => self.skipped += 1,
                Err(e) => {
                    self.malformed += 1;
                    return Some(Err(DecodeError::new(
                        self.reader.path(),
                        Some(index),
                        Some(offset),
                        DecodeErrorKind::Tipc(e),
                    )));
                }
            }
        }
    }
}

impl<R: Read> std::iter::FusedIterator for TipcMessages<R> {}

/// Opens `path` and returns an iterator of its TIPC messages. Frames that are not TIPC are
/// skipped and counted; a 0x88CA frame with an invalid TIPC message is an `Err` item after
/// which iteration may go on; an unreadable file ends the iteration with an `Err` item
/// ([`DecodeError::unreadable`]).
pub fn tipc_messages(path: &Path) -> Result<TipcMessages, DecodeError> {
    Ok(TipcMessages::new(CaptureReader::open(path)?))
}
