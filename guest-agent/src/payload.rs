//! Deterministic payloads, message digests, stream reassembly and the
//! receiver's application-level ack.

use sha2::{Digest, Sha256};

/// Default `--seed`.
pub const DEFAULT_SEED: u64 = 0x7469_7063_2d61_6774; // "tipc-agt"

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64 generator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }
}

#[cfg(test)]
/// Payload of message `index` (0-based): `size` bytes taken from the
/// little-endian SplitMix64 stream started at state
/// `mix64(seed ^ mix64(index))`.
pub fn payload(seed: u64, index: u64, size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    fill_payload(seed, index, &mut out);
    out
}

/// Fills `buf` with `buf.len()` payload bytes of message `index` (0-based):
/// the little-endian SplitMix64 stream started at state
/// `mix64(seed ^ mix64(index))`.
pub fn fill_payload(seed: u64, index: u64, buf: &mut [u8]) {
    let mut rng = SplitMix64(mix64(seed ^ mix64(index)));
    for chunk in buf.chunks_mut(8) {
        let v = rng.next().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// SHA-256 of one message's bytes.
pub fn message_digest(msg: &[u8]) -> [u8; 32] {
    Sha256::digest(msg).into()
}

/// Accumulates `messages`, `bytes`, `digest_ordered` and `digest_set`.
///
/// * `digest_ordered` = SHA-256 over, for every message in order,
///   `u32 big-endian length || message bytes`.
/// * `digest_set` = SHA-256 over the concatenation of the raw 32-byte
///   SHA-256 digests of every message, sorted ascending (order independent).
#[derive(Clone, Default)]
pub struct DigestAcc {
    ordered: Sha256,
    set: Vec<[u8; 32]>,
    pub messages: u64,
    pub bytes: u64,
    /// Sizes seen: Some(size) while all messages had the same size.
    uniform_size: Option<Option<usize>>,
}

impl DigestAcc {
    pub fn add(&mut self, msg: &[u8]) {
        self.ordered.update((msg.len() as u32).to_be_bytes());
        self.ordered.update(msg);
        self.set.push(message_digest(msg));
        self.messages += 1;
        self.bytes += msg.len() as u64;
        self.uniform_size = match self.uniform_size {
            None => Some(Some(msg.len())),
            Some(Some(s)) if s == msg.len() => Some(Some(s)),
            _ => Some(None),
        };
    }

    /// The common size of all messages, if they all had the same size.
    pub fn uniform_size(&self) -> Option<usize> {
        self.uniform_size.flatten()
    }

    /// (digest_ordered, digest_set) as lowercase hex.
    pub fn finish(&self) -> (String, String) {
        let ordered = hex::encode(self.ordered.clone().finalize());
        let mut sorted = self.set.clone();
        sorted.sort_unstable();
        let mut h = Sha256::new();
        for d in &sorted {
            h.update(d);
        }
        (ordered, hex::encode(h.finalize()))
    }
}

/// Splits a byte stream into fixed-size messages.
pub struct StreamChunker {
    size: usize,
    pending: Vec<u8>,
}

impl StreamChunker {
    pub fn new(size: usize) -> Self {
        assert!(size > 0, "chunk size must be positive");
        StreamChunker {
            size,
            pending: Vec::with_capacity(size),
        }
    }

    /// Feeds `data`; calls `on_msg` for each completed `size`-byte message
    /// until `limit` messages were emitted in total by this call chain
    /// (`emitted` is updated). Returns the number of bytes of `data` that
    /// were *not* consumed because the limit was reached.
    pub fn push(
        &mut self,
        mut data: &[u8],
        emitted: &mut u64,
        limit: u64,
        mut on_msg: impl FnMut(&[u8]),
    ) -> usize {
        while !data.is_empty() && *emitted < limit {
            let want = self.size - self.pending.len();
            if self.pending.is_empty() && data.len() >= self.size {
                on_msg(&data[..self.size]);
                data = &data[self.size..];
                *emitted += 1;
                continue;
            }
            let take = want.min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == self.size {
                on_msg(&self.pending);
                self.pending.clear();
                *emitted += 1;
            }
        }
        data.len()
    }

    /// Bytes of an incomplete trailing message.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Length of the receiver's ack: magic (8) + u64 BE message count.
pub const ACK_LEN: usize = 16;
const ACK_MAGIC: &[u8; 8] = b"TIPCAACK";

/// The ack the receiver sends back after it got all `messages`.
pub fn encode_ack(messages: u64) -> [u8; ACK_LEN] {
    let mut b = [0u8; ACK_LEN];
    b[..8].copy_from_slice(ACK_MAGIC);
    b[8..].copy_from_slice(&messages.to_be_bytes());
    b
}

/// Parses an ack; None if `b` is not exactly an ack.
pub fn decode_ack(b: &[u8]) -> Option<u64> {
    if b.len() != ACK_LEN || &b[..8] != ACK_MAGIC {
        return None;
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&b[8..]);
    Some(u64::from_be_bytes(n))
}

/// Key used to recognise a message the peer returned (rejected): TIPC
/// returns at most the first 1024 bytes of the data.
pub const RETURNED_PREFIX: usize = 1024;

pub fn returned_key(data: &[u8]) -> [u8; 32] {
    message_digest(&data[..data.len().min(RETURNED_PREFIX)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_deterministic() {
        for &size in &[1usize, 7, 8, 9, 1024, 66_000] {
            let a = payload(42, 3, size);
            let b = payload(42, 3, size);
            assert_eq!(a.len(), size);
            assert_eq!(a, b);
        }
    }

    /// Known answers (cross-checked with an independent Python
    /// implementation of the documented definition): pin the generator and
    /// both digests so every agent version and the host agree.
    #[test]
    fn known_answers() {
        assert_eq!(
            hex::encode(payload(DEFAULT_SEED, 0, 20)),
            "f6ff8c46852fdf08ed9b190c0934d2a0398233d7"
        );
        assert_eq!(hex::encode(payload(1, 2, 9)), "89b6fb31b534eb87d6");
        let mut acc = DigestAcc::default();
        for i in 0..3 {
            acc.add(&payload(DEFAULT_SEED, i, 100));
        }
        let (ordered, set) = acc.finish();
        assert_eq!(
            ordered,
            "2fb5701f055341e612df102b86bb130fee1040a5f8990bbc3b1a907bc3e8b6df"
        );
        assert_eq!(
            set,
            "0d7ab2005aad83a492aa3f1fc5eb33b1a1026b7af647e06dce583766222d8db9"
        );
    }

    #[test]
    fn payload_prefix_stable_across_sizes() {
        let big = payload(7, 11, 66_000);
        let small = payload(7, 11, 1000);
        assert_eq!(&big[..1000], &small[..]);
    }

    #[test]
    fn payload_differs_by_index_and_seed() {
        let a = payload(1, 0, 64);
        assert_ne!(a, payload(1, 1, 64));
        assert_ne!(a, payload(2, 0, 64));
        // No message is a shifted copy of its neighbour.
        let b = payload(1, 1, 64);
        assert_ne!(&a[8..], &b[..56]);
        assert_ne!(&b[8..], &a[..56]);
    }

    #[test]
    fn fill_matches_payload() {
        let mut buf = vec![0xaa; 4099];
        fill_payload(9, 5, &mut buf);
        assert_eq!(buf, payload(9, 5, 4099));
    }

    #[test]
    fn ordered_digest_definition() {
        let mut acc = DigestAcc::default();
        acc.add(b"ab");
        acc.add(b"c");
        let (ordered, _) = acc.finish();
        let mut h = Sha256::new();
        h.update(2u32.to_be_bytes());
        h.update(b"ab");
        h.update(1u32.to_be_bytes());
        h.update(b"c");
        assert_eq!(ordered, hex::encode(h.finalize()));
        assert_eq!(acc.messages, 2);
        assert_eq!(acc.bytes, 3);
        assert_eq!(acc.uniform_size(), None);
    }

    #[test]
    fn set_digest_is_order_independent() {
        let msgs: Vec<Vec<u8>> = (0..20).map(|i| payload(5, i, 100)).collect();
        let mut fwd = DigestAcc::default();
        let mut rev = DigestAcc::default();
        for m in &msgs {
            fwd.add(m);
        }
        for m in msgs.iter().rev() {
            rev.add(m);
        }
        let (fo, fs) = fwd.finish();
        let (ro, rs) = rev.finish();
        assert_eq!(fs, rs);
        assert_ne!(fo, ro);
        assert_eq!(fwd.uniform_size(), Some(100));

        // Definition check.
        let mut ds: Vec<[u8; 32]> = msgs.iter().map(|m| message_digest(m)).collect();
        ds.sort();
        let mut h = Sha256::new();
        for d in &ds {
            h.update(d);
        }
        assert_eq!(fs, hex::encode(h.finalize()));
    }

    #[test]
    fn empty_digests() {
        let (o, s) = DigestAcc::default().finish();
        let empty = hex::encode(Sha256::digest(b""));
        assert_eq!(o, empty);
        assert_eq!(s, empty);
    }

    #[test]
    fn ordered_digest_distinguishes_boundaries() {
        let mut a = DigestAcc::default();
        a.add(b"abc");
        a.add(b"d");
        let mut b = DigestAcc::default();
        b.add(b"ab");
        b.add(b"cd");
        assert_ne!(a.finish().0, b.finish().0);
    }

    fn reassemble(size: usize, count: u64, stream: &[u8], cuts: &[usize]) -> (Vec<Vec<u8>>, usize) {
        let mut ch = StreamChunker::new(size);
        let mut out = Vec::new();
        let mut emitted = 0;
        let mut start = 0;
        let mut left = 0;
        let mut points: Vec<usize> = cuts.to_vec();
        points.push(stream.len());
        for p in points {
            let p = p.min(stream.len()).max(start);
            left += ch.push(&stream[start..p], &mut emitted, count, |m| {
                out.push(m.to_vec())
            });
            start = p;
        }
        (out, left)
    }

    #[test]
    fn stream_reassembly_arbitrary_splits() {
        let size = 1000;
        let msgs: Vec<Vec<u8>> = (0..7).map(|i| payload(3, i, size)).collect();
        let stream: Vec<u8> = msgs.concat();
        for cuts in [
            vec![],
            vec![1],
            vec![999, 1000, 1001],
            vec![1, 2, 3, 2500, 6999],
            (0..7000).step_by(333).collect::<Vec<_>>(),
            (0..7000).collect::<Vec<_>>(),
        ] {
            let (out, left) = reassemble(size, 7, &stream, &cuts);
            assert_eq!(out, msgs, "cuts {cuts:?}");
            assert_eq!(left, 0);
        }
    }

    #[test]
    fn stream_reassembly_limit_and_pending() {
        let stream = vec![1u8; 25];
        let mut ch = StreamChunker::new(10);
        let mut emitted = 0;
        let mut n = 0;
        let left = ch.push(&stream, &mut emitted, 1, |_| n += 1);
        assert_eq!((n, emitted, left), (1, 1, 15));
        let left = ch.push(&stream[10..], &mut emitted, 5, |_| n += 1);
        assert_eq!((n, emitted, left, ch.pending()), (2, 2, 0, 5));
    }

    #[test]
    fn stream_size_one() {
        let stream = [1u8, 2, 3];
        let mut ch = StreamChunker::new(1);
        let mut emitted = 0;
        let mut got = Vec::new();
        ch.push(&stream, &mut emitted, 10, |m| got.push(m[0]));
        assert_eq!(got, vec![1, 2, 3]);
    }

    #[test]
    fn ack_roundtrip() {
        let a = encode_ack(12345);
        assert_eq!(decode_ack(&a), Some(12345));
        assert_eq!(decode_ack(&a[..15]), None);
        assert_eq!(decode_ack(&[0u8; 16]), None);
    }

    #[test]
    fn returned_key_uses_prefix() {
        let p = payload(1, 2, 5000);
        assert_eq!(returned_key(&p), returned_key(&p[..1024]));
        let q = payload(1, 2, 10);
        assert_eq!(returned_key(&q), message_digest(&q));
    }
}
