// SPDX-License-Identifier: GPL-2.0

//! What the crossover path does with a TIPC message.
//!
//! The crossover hands a send list straight to the sockets of a peer network
//! namespace in the same kernel. Which delivery routine takes the list, if any,
//! depends only on the user and type of its first header, which
//! `tipc_lxc_xmit()` in `net/tipc/node.c` reads with `msg_user()` and
//! `msg_type()` and passes here; it carries out the decision, reassembling
//! fragments first and asking again for the whole message.
//!
//! The module uses nothing but `core`: it is built and tested on the host as
//! well as in the kernel.

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
    /// Reassemble the fragments, then decide again for the whole message
    /// (`TIPC_CROSSOVER_ASSEMBLE`).
    Assemble = 3,
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

/// Decides what the crossover does with a message of user `user` and type
/// `mtyp` (`msg_user()` and `msg_type()` of its header).
///
/// For a fragment (`MSG_FRAGMENTER`) the answer is for the whole list: the
/// caller reassembles it and asks again with the whole message's header.
/// Every internal protocol stays on the bearer except connection management
/// and the group protocol: those travel with the user data they supervise,
/// so that for example a `CONN_ACK` never overtakes or lags behind the data
/// it acknowledges.
pub(crate) fn classify(user: u32, mtyp: u32) -> CrossoverAction {
    use user::*;
    use CrossoverAction::{Assemble, Bearer, SkRcv};

    match user {
        LOW_IMPORTANCE..=CRITICAL_IMPORTANCE => classify_data(mtyp),
        MSG_FRAGMENTER => Assemble,
        GROUP_PROTOCOL | CONN_MANAGER => SkRcv,
        LINK_PROTOCOL | NAME_DISTRIBUTOR => Bearer,
        TUNNEL_PROTOCOL | BCAST_PROTOCOL => Bearer,
        _ => Bearer,
    }
}
