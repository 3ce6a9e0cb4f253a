// SPDX-License-Identifier: GPL-2.0

//! TIPC message headers as the crossover path sees them.
//!
//! The crossover hands a send list straight to the sockets of a peer network
//! namespace in the same kernel. Which delivery routine takes the list, if any,
//! depends only on the header of its first buffer. This module reads that
//! header and makes the decision; `tipc_lxc_xmit()` in `net/tipc/node.c`
//! carries it out.
//!
//! The header layout is the one of `net/tipc/msg.h`: big-endian 32-bit words,
//! each field a bit range of one word. The C accessors there are static
//! inlines that Rust cannot call, so the few fields needed here are read
//! again below.
//!
//! The module uses nothing but `core`: it is built and tested on the host as
//! well as in the kernel.

/// TIPC protocol version carried in word 0 (`TIPC_VERSION` in `msg.h`).
const TIPC_VERSION: u32 = 2;

/// Smallest legal TIPC header size in bytes (`MIN_H_SIZE` in `msg.h`).
const MIN_H_SIZE: usize = 24;

/// Message users (word 0, bits 25-28), named as in `msg.h` and `linux/tipc.h`.
///
/// Users 0 to 3 carry user data at the four importance levels; the others are
/// TIPC's internal protocols.
mod user {
    /// User data, `TIPC_LOW_IMPORTANCE`, the lowest of four levels.
    pub(super) const LOW_IMPORTANCE: u32 = 0;
    /// User data, `TIPC_CRITICAL_IMPORTANCE`, the highest level.
    pub(super) const CRITICAL_IMPORTANCE: u32 = 3;
    /// Broadcast link protocol, `BCAST_PROTOCOL`.
    pub(super) const BCAST_PROTOCOL: u32 = 5;
    /// Link protocol, `LINK_PROTOCOL`.
    pub(super) const LINK_PROTOCOL: u32 = 7;
    /// Connection supervision and flow control, `CONN_MANAGER`.
    pub(super) const CONN_MANAGER: u32 = 8;
    /// Communication group protocol, `GROUP_PROTOCOL`.
    pub(super) const GROUP_PROTOCOL: u32 = 9;
    /// Link failover and synchronisation, `TUNNEL_PROTOCOL`.
    pub(super) const TUNNEL_PROTOCOL: u32 = 10;
    /// Name table distribution, `NAME_DISTRIBUTOR`.
    pub(super) const NAME_DISTRIBUTOR: u32 = 11;
    /// Fragment of a larger message, `MSG_FRAGMENTER`.
    pub(super) const MSG_FRAGMENTER: u32 = 12;
}

/// Types of user data messages (word 1, bits 29-31), named as in `msg.h`.
mod data_type {
    /// Connection-oriented message, `TIPC_CONN_MSG`.
    pub(super) const CONN: u32 = 0;
    /// Multicast by service range, `TIPC_MCAST_MSG`.
    pub(super) const MCAST: u32 = 1;
    /// Datagram to a service address, `TIPC_NAMED_MSG`.
    pub(super) const NAMED: u32 = 2;
    /// Datagram to a socket address, `TIPC_DIRECT_MSG`.
    pub(super) const DIRECT: u32 = 3;
    /// Group membership event, `TIPC_GRP_MEMBER_EVT`.
    pub(super) const GRP_MEMBER_EVT: u32 = 4;
    /// Group broadcast, `TIPC_GRP_BCAST_MSG`.
    pub(super) const GRP_BCAST: u32 = 5;
    /// Group multicast, `TIPC_GRP_MCAST_MSG`.
    pub(super) const GRP_MCAST: u32 = 6;
    /// Group unicast, `TIPC_GRP_UCAST_MSG`.
    pub(super) const GRP_UCAST: u32 = 7;
}

/// What `tipc_lxc_xmit()` does with a send list.
///
/// Mirrors `enum tipc_crossover_action` in `net/tipc/crossover.h`: the
/// discriminants are the C values and must be changed on both sides together.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrossoverAction {
    /// Leave the list to the link and bearer (`TIPC_CROSSOVER_BEARER`).
    Bearer = 0,
    /// Deliver to the peer namespace with `tipc_sk_rcv()`
    /// (`TIPC_CROSSOVER_SK_RCV`).
    SkRcv = 1,
    /// Deliver to the peer namespace with `tipc_sk_mcast_rcv()`
    /// (`TIPC_CROSSOVER_MCAST_RCV`).
    McastRcv = 2,
    /// Reassemble the fragments, then deliver as [`CrossoverAction::McastRcv`]
    /// (`TIPC_CROSSOVER_ASSEMBLE_MCAST`).
    AssembleMcast = 3,
}

/// Reads big-endian 32-bit word `index` of `bytes`.
///
/// Returns `None` if `bytes` is too short to hold that word.
pub(crate) fn be32_word(bytes: &[u8], index: usize) -> Option<u32> {
    let start = index.checked_mul(4)?;
    let word = bytes.get(start..start.checked_add(4)?)?;
    Some(u32::from_be_bytes(word.try_into().ok()?))
}

/// The fields of a TIPC header that the crossover decision reads.
///
/// # Invariants
///
/// The header is a version 2 header whose size is at least [`MIN_H_SIZE`]
/// bytes and fits in the bytes it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MsgHeader {
    /// Word 0 in host order.
    w0: u32,
    /// Word 1 in host order.
    w1: u32,
}

impl MsgHeader {
    /// Reads the header at the start of `bytes`.
    ///
    /// Returns `None` if `bytes` is shorter than the minimum header, if the
    /// version is not 2, or if the header size in word 0 is below the minimum
    /// or larger than `bytes`.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
        let hdr = Self {
            w0: be32_word(bytes, 0)?,
            w1: be32_word(bytes, 1)?,
        };
        if hdr.version() != TIPC_VERSION {
            return None;
        }
        if hdr.hdr_size() < MIN_H_SIZE || hdr.hdr_size() > bytes.len() {
            return None;
        }
        // INVARIANT: version and header size were checked just above.
        Some(hdr)
    }

    /// Protocol version, word 0 bits 29-31 (`msg_version()`).
    pub(crate) fn version(&self) -> u32 {
        self.w0 >> 29
    }

    /// Message user, word 0 bits 25-28 (`msg_user()`).
    pub(crate) fn user(&self) -> u32 {
        (self.w0 >> 25) & 0xf
    }

    /// Header size in bytes, word 0 bits 21-24 in 4-byte units
    /// (`msg_hdr_sz()`).
    pub(crate) fn hdr_size(&self) -> usize {
        (((self.w0 >> 21) & 0xf) << 2) as usize
    }

    /// Message type, word 1 bits 29-31 (`msg_type()`).
    pub(crate) fn msg_type(&self) -> u32 {
        self.w1 >> 29
    }
}

/// Decides how the crossover handles a user data message of type `mtyp`.
///
/// Messages to one socket go to `tipc_sk_rcv()`, messages to a name range or
/// a group to `tipc_sk_mcast_rcv()`. Group unicast belongs with the first:
/// it is addressed to a port, and its flow control (`GROUP_PROTOCOL`)
/// already crosses over. Group member events are made on the receiving node
/// and never sent, but they are addressed to a port as well.
fn classify_data(mtyp: u32) -> CrossoverAction {
    use data_type::*;
    use CrossoverAction::{Bearer, McastRcv, SkRcv};

    match mtyp {
        CONN | NAMED | DIRECT | GRP_UCAST | GRP_MEMBER_EVT => SkRcv,
        MCAST | GRP_BCAST | GRP_MCAST => McastRcv,
        _ => Bearer,
    }
}

/// Decides how the crossover handles a send list whose first buffer starts
/// with `first`.
///
/// Only the first buffer counts, as all buffers of a list belong to one
/// message or to messages of the same kind. A header that cannot be parsed
/// goes to the bearer, which is also the answer for every internal protocol
/// except connection management and the group protocol: those travel with the
/// user data they supervise, so that for example a `CONN_ACK` never overtakes
/// or lags behind the data it acknowledges.
pub(crate) fn classify(first: &[u8]) -> CrossoverAction {
    use user::*;
    use CrossoverAction::{AssembleMcast, Bearer, SkRcv};

    let Some(hdr) = MsgHeader::parse(first) else {
        return Bearer;
    };
    match hdr.user() {
        LOW_IMPORTANCE..=CRITICAL_IMPORTANCE => classify_data(hdr.msg_type()),
        MSG_FRAGMENTER => AssembleMcast,
        GROUP_PROTOCOL | CONN_MANAGER => SkRcv,
        LINK_PROTOCOL | NAME_DISTRIBUTOR => Bearer,
        TUNNEL_PROTOCOL | BCAST_PROTOCOL => Bearer,
        _ => Bearer,
    }
}
