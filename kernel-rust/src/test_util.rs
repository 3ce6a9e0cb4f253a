//! Helpers shared by the unit tests: hand-built TIPC headers.

/// Builds a TIPC header of `hdr_size` bytes (a multiple of 4) whose first
/// two words carry `version`, `user`, the header size and `mtyp`; the message
/// size field is set to the header size and all other words are zero.
pub(crate) fn header(version: u32, user: u32, mtyp: u32, hdr_size: usize) -> Vec<u8> {
    assert!(hdr_size.is_multiple_of(4) && (8..=60).contains(&hdr_size));
    let w0 = (version & 0x7) << 29
        | (user & 0xf) << 25
        | ((hdr_size as u32 / 4) & 0xf) << 21
        | (hdr_size as u32 & 0x1ffff);
    let w1 = (mtyp & 0x7) << 29;
    let mut bytes = vec![0u8; hdr_size];
    bytes[0..4].copy_from_slice(&w0.to_be_bytes());
    bytes[4..8].copy_from_slice(&w1.to_be_bytes());
    bytes
}

/// A version 2 header of `hdr_size` bytes for `user` and `mtyp`.
pub(crate) fn v2(user: u32, mtyp: u32, hdr_size: usize) -> Vec<u8> {
    header(2, user, mtyp, hdr_size)
}
