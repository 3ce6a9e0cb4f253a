//! TIPC user-space ABI, transcribed from Linux 6.12 `include/uapi/linux/tipc.h`.
//!
//! Only what the agent uses is defined. Every value was checked against the
//! header shipped in Debian's `linux-source-6.12`; the layout tests at the end
//! of this file pin the C sizes and field offsets.

#![allow(dead_code)] // a few constants are kept for documentation / future modes

/// `AF_TIPC` / `PF_TIPC`.
pub const AF_TIPC: i32 = 30;
/// Socket option level for TIPC options.
pub const SOL_TIPC: i32 = 271;

// Address types (`sockaddr_tipc.addrtype`).
/// `TIPC_SERVICE_RANGE` (== legacy `TIPC_ADDR_MCAST` / `TIPC_ADDR_NAMESEQ`).
pub const TIPC_SERVICE_RANGE: u8 = 1;
/// `TIPC_SERVICE_ADDR` (== legacy `TIPC_ADDR_NAME`).
pub const TIPC_SERVICE_ADDR: u8 = 2;
/// `TIPC_SOCKET_ADDR` (== legacy `TIPC_ADDR_ID`).
pub const TIPC_SOCKET_ADDR: u8 = 3;

// Publication scopes (`enum tipc_scope`).
pub const TIPC_CLUSTER_SCOPE: u32 = 2;
pub const TIPC_NODE_SCOPE: u32 = 3;

/// Largest user message (`TIPC_MAX_USER_MSG_SIZE`).
pub const TIPC_MAX_USER_MSG_SIZE: usize = 66_000;

// Well-known service types.
pub const TIPC_NODE_STATE: u32 = 0;
pub const TIPC_TOP_SRV: u32 = 1;
pub const TIPC_LINK_STATE: u32 = 2;
/// Lowest service type user sockets may bind / join.
pub const TIPC_RESERVED_TYPES: u32 = 64;

// Message rejection reasons (`TIPC_ERRINFO` error codes).
pub const TIPC_OK: u32 = 0;
pub const TIPC_ERR_NO_NAME: u32 = 1;
pub const TIPC_ERR_NO_PORT: u32 = 2;
pub const TIPC_ERR_NO_NODE: u32 = 3;
pub const TIPC_ERR_OVERLOAD: u32 = 4;
pub const TIPC_CONN_SHUTDOWN: u32 = 5;

// Topology service.
pub const TIPC_SUB_PORTS: u32 = 0x01;
pub const TIPC_SUB_SERVICE: u32 = 0x02;
pub const TIPC_SUB_CANCEL: u32 = 0x04;
pub const TIPC_WAIT_FOREVER: u32 = !0;
pub const TIPC_PUBLISHED: u32 = 1;
pub const TIPC_WITHDRAWN: u32 = 2;
pub const TIPC_SUBSCR_TIMEOUT: u32 = 3;

// Ancillary data types returned by recvmsg() at level SOL_TIPC.
pub const TIPC_ERRINFO: i32 = 1;
pub const TIPC_RETDATA: i32 = 2;
pub const TIPC_DESTNAME: i32 = 3;

// Socket options at level SOL_TIPC.
pub const TIPC_IMPORTANCE: i32 = 127;
pub const TIPC_SRC_DROPPABLE: i32 = 128;
pub const TIPC_DEST_DROPPABLE: i32 = 129;
pub const TIPC_CONN_TIMEOUT: i32 = 130;
pub const TIPC_NODE_RECVQ_DEPTH: i32 = 131;
pub const TIPC_SOCK_RECVQ_DEPTH: i32 = 132;
pub const TIPC_MCAST_BROADCAST: i32 = 133;
pub const TIPC_MCAST_REPLICAST: i32 = 134;
pub const TIPC_GROUP_JOIN: i32 = 135;
pub const TIPC_GROUP_LEAVE: i32 = 136;
pub const TIPC_SOCK_RECVQ_USED: i32 = 137;
pub const TIPC_NODELAY: i32 = 138;

// `tipc_group_req.flags`. NOTE: LOOPBACK is 0x1 and MEMBER_EVTS is 0x2 in
// the real header (not the other way round).
pub const TIPC_GROUP_LOOPBACK: u32 = 0x1;
pub const TIPC_GROUP_MEMBER_EVTS: u32 = 0x2;

/// `struct tipc_socket_addr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TipcSocketAddr {
    pub ref_: u32,
    pub node: u32,
}

/// `struct tipc_service_addr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TipcServiceAddr {
    pub type_: u32,
    pub instance: u32,
}

/// `struct tipc_service_range`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TipcServiceRange {
    pub type_: u32,
    pub lower: u32,
    pub upper: u32,
}

/// The anonymous `name` member of `sockaddr_tipc.addr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TipcName {
    pub name: TipcServiceAddr,
    pub domain: u32,
}

/// `union { id; nameseq; name; }` inside `struct sockaddr_tipc`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union TipcAddrUnion {
    pub id: TipcSocketAddr,
    pub nameseq: TipcServiceRange,
    pub name: TipcName,
}

/// `struct sockaddr_tipc` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SockaddrTipc {
    pub family: u16,
    pub addrtype: u8,
    pub scope: i8,
    pub addr: TipcAddrUnion,
}

impl SockaddrTipc {
    fn zeroed_with(addrtype: u8, scope: u32) -> Self {
        SockaddrTipc {
            family: AF_TIPC as u16,
            addrtype,
            scope: scope as i8,
            addr: TipcAddrUnion {
                nameseq: TipcServiceRange::default(),
            },
        }
    }

    /// `TIPC_SERVICE_ADDR` {type, instance}, lookup domain 0 (cluster wide).
    pub fn service(type_: u32, instance: u32, scope: u32) -> Self {
        let mut a = Self::zeroed_with(TIPC_SERVICE_ADDR, scope);
        a.addr.name = TipcName {
            name: TipcServiceAddr { type_, instance },
            domain: 0,
        };
        a
    }

    /// `TIPC_SERVICE_RANGE` {type, lower, upper}.
    pub fn range(type_: u32, lower: u32, upper: u32, scope: u32) -> Self {
        let mut a = Self::zeroed_with(TIPC_SERVICE_RANGE, scope);
        a.addr.nameseq = TipcServiceRange {
            type_,
            lower,
            upper,
        };
        a
    }

    /// `TIPC_SOCKET_ADDR` {ref, node}.
    pub fn socket(port: TipcSocketAddr) -> Self {
        let mut a = Self::zeroed_with(TIPC_SOCKET_ADDR, 0);
        a.addr.id = port;
        a
    }

    /// An all-zero address, used as an output buffer.
    pub fn empty() -> Self {
        let mut a = Self::zeroed_with(0, 0);
        a.family = 0;
        a
    }

    /// Reads the `id` view of the address union.
    pub fn id(&self) -> TipcSocketAddr {
        // SAFETY: every union variant consists only of u32 fields, the union
        // is always fully initialised (constructors write the 12-byte
        // `nameseq` first), so any bit pattern is a valid TipcSocketAddr.
        unsafe { self.addr.id }
    }

    /// Reads the `name` view of the address union.
    pub fn name(&self) -> TipcName {
        // SAFETY: see `id()`; all variants are plain u32 aggregates.
        unsafe { self.addr.name }
    }

    /// Reads the `nameseq` view of the address union.
    pub fn nameseq(&self) -> TipcServiceRange {
        // SAFETY: see `id()`; all variants are plain u32 aggregates.
        unsafe { self.addr.nameseq }
    }
}

impl std::fmt::Debug for SockaddrTipc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SockaddrTipc")
            .field("family", &self.family)
            .field("addrtype", &self.addrtype)
            .field("scope", &self.scope)
            .field("nameseq", &self.nameseq())
            .finish()
    }
}

/// `struct tipc_subscr` (28 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TipcSubscr {
    pub seq: TipcServiceRange,
    pub timeout: u32,
    pub filter: u32,
    pub usr_handle: [u8; 8],
}

impl TipcSubscr {
    pub const SIZE: usize = 28;

    /// Host-endian wire image (the topology server accepts host order when
    /// `filter` has a known bit set in host order, see net/tipc/subscr.h).
    pub fn to_bytes(self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let words = [
            self.seq.type_,
            self.seq.lower,
            self.seq.upper,
            self.timeout,
            self.filter,
        ];
        for (i, w) in words.iter().enumerate() {
            b[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
        }
        b[20..28].copy_from_slice(&self.usr_handle);
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let w = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut usr_handle = [0u8; 8];
        usr_handle.copy_from_slice(&b[20..28]);
        TipcSubscr {
            seq: TipcServiceRange {
                type_: w(0),
                lower: w(4),
                upper: w(8),
            },
            timeout: w(12),
            filter: w(16),
            usr_handle,
        }
    }
}

/// `struct tipc_event` (48 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TipcEvent {
    pub event: u32,
    pub found_lower: u32,
    pub found_upper: u32,
    pub port: TipcSocketAddr,
    pub s: TipcSubscr,
}

impl TipcEvent {
    pub const SIZE: usize = 48;

    /// Parses a host-endian event (we always subscribe in host order, so the
    /// server answers in host order).
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() < Self::SIZE {
            return None;
        }
        let w = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut s = [0u8; TipcSubscr::SIZE];
        s.copy_from_slice(&b[20..48]);
        Some(TipcEvent {
            event: w(0),
            found_lower: w(4),
            found_upper: w(8),
            port: TipcSocketAddr {
                ref_: w(12),
                node: w(16),
            },
            s: TipcSubscr::from_bytes(&s),
        })
    }

    #[cfg(test)]
    pub fn to_bytes(self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let words = [
            self.event,
            self.found_lower,
            self.found_upper,
            self.port.ref_,
            self.port.node,
        ];
        for (i, w) in words.iter().enumerate() {
            b[i * 4..i * 4 + 4].copy_from_slice(&w.to_ne_bytes());
        }
        b[20..48].copy_from_slice(&self.s.to_bytes());
        b
    }
}

/// `struct tipc_group_req` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TipcGroupReq {
    pub type_: u32,
    pub instance: u32,
    pub scope: u32,
    pub flags: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{align_of, offset_of, size_of};

    #[test]
    fn sizes_match_c_header() {
        assert_eq!(size_of::<TipcSocketAddr>(), 8);
        assert_eq!(size_of::<TipcServiceAddr>(), 8);
        assert_eq!(size_of::<TipcServiceRange>(), 12);
        assert_eq!(size_of::<TipcAddrUnion>(), 12);
        assert_eq!(size_of::<SockaddrTipc>(), 16);
        assert_eq!(align_of::<SockaddrTipc>(), 4);
        assert_eq!(size_of::<TipcSubscr>(), TipcSubscr::SIZE);
        assert_eq!(size_of::<TipcSubscr>(), 28);
        assert_eq!(size_of::<TipcEvent>(), TipcEvent::SIZE);
        assert_eq!(size_of::<TipcEvent>(), 48);
        assert_eq!(size_of::<TipcGroupReq>(), 16);
    }

    #[test]
    fn offsets_match_c_header() {
        assert_eq!(offset_of!(SockaddrTipc, family), 0);
        assert_eq!(offset_of!(SockaddrTipc, addrtype), 2);
        assert_eq!(offset_of!(SockaddrTipc, scope), 3);
        assert_eq!(offset_of!(SockaddrTipc, addr), 4);
        assert_eq!(offset_of!(TipcName, domain), 8);
        assert_eq!(offset_of!(TipcSubscr, timeout), 12);
        assert_eq!(offset_of!(TipcSubscr, filter), 16);
        assert_eq!(offset_of!(TipcSubscr, usr_handle), 20);
        assert_eq!(offset_of!(TipcEvent, port), 12);
        assert_eq!(offset_of!(TipcEvent, s), 20);
        assert_eq!(offset_of!(TipcGroupReq, flags), 12);
    }

    #[test]
    fn constants_match_c_header() {
        assert_eq!(AF_TIPC, 30);
        assert_eq!(SOL_TIPC, 271);
        assert_eq!(TIPC_SERVICE_RANGE, 1);
        assert_eq!(TIPC_SERVICE_ADDR, 2);
        assert_eq!(TIPC_SOCKET_ADDR, 3);
        assert_eq!(TIPC_CLUSTER_SCOPE, 2);
        assert_eq!(TIPC_GROUP_JOIN, 135);
        assert_eq!(TIPC_GROUP_LEAVE, 136);
        assert_eq!(TIPC_GROUP_LOOPBACK, 1);
        assert_eq!(TIPC_GROUP_MEMBER_EVTS, 2);
        assert_eq!(TIPC_WAIT_FOREVER, 0xffff_ffff);
        assert_eq!(TIPC_MAX_USER_MSG_SIZE, 66_000);
    }

    #[test]
    fn sockaddr_constructors() {
        let a = SockaddrTipc::service(18888, 17, TIPC_CLUSTER_SCOPE);
        assert_eq!(a.family, 30);
        assert_eq!(a.addrtype, TIPC_SERVICE_ADDR);
        assert_eq!(a.scope, 2);
        assert_eq!(a.name().name.type_, 18888);
        assert_eq!(a.name().name.instance, 17);
        assert_eq!(a.name().domain, 0);

        let r = SockaddrTipc::range(18888, 1, 9, TIPC_CLUSTER_SCOPE);
        assert_eq!(r.addrtype, TIPC_SERVICE_RANGE);
        assert_eq!(
            r.nameseq(),
            TipcServiceRange {
                type_: 18888,
                lower: 1,
                upper: 9
            }
        );

        let p = TipcSocketAddr {
            ref_: 12345,
            node: 16781313,
        };
        let s = SockaddrTipc::socket(p);
        assert_eq!(s.addrtype, TIPC_SOCKET_ADDR);
        assert_eq!(s.id(), p);
        assert_eq!(s.nameseq().upper, 0);
    }

    #[test]
    fn event_roundtrip() {
        let e = TipcEvent {
            event: TIPC_PUBLISHED,
            found_lower: 17,
            found_upper: 17,
            port: TipcSocketAddr { ref_: 7, node: 9 },
            s: TipcSubscr {
                seq: TipcServiceRange {
                    type_: 18888,
                    lower: 0,
                    upper: 100,
                },
                timeout: 5000,
                filter: TIPC_SUB_PORTS,
                usr_handle: *b"handle!!",
            },
        };
        let b = e.to_bytes();
        assert_eq!(TipcEvent::from_bytes(&b), Some(e));
        assert_eq!(TipcEvent::from_bytes(&b[..47]), None);
    }
}
