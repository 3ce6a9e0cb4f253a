//! Thin safe wrappers around AF_TIPC socket system calls.
//!
//! Every call returns `std::io::Result` carrying the raw errno, so callers can
//! report the exact kernel error (e.g. EAFNOSUPPORT on a kernel without TIPC).

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::uapi::{
    SockaddrTipc, TipcGroupReq, TipcServiceAddr, TipcSocketAddr, AF_TIPC, SOL_TIPC, TIPC_ERRINFO,
    TIPC_GROUP_JOIN, TIPC_RETDATA,
};

/// TIPC socket types used by the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockKind {
    Rdm,
    SeqPacket,
    Stream,
}

impl SockKind {
    fn raw(self) -> i32 {
        match self {
            SockKind::Rdm => libc::SOCK_RDM,
            SockKind::SeqPacket => libc::SOCK_SEQPACKET,
            SockKind::Stream => libc::SOCK_STREAM,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SockKind::Rdm => "SOCK_RDM",
            SockKind::SeqPacket => "SOCK_SEQPACKET",
            SockKind::Stream => "SOCK_STREAM",
        }
    }
}

/// One message (or stream chunk) returned by `recvmsg`.
#[derive(Debug, Default)]
pub struct RecvMsg {
    /// Bytes copied into the caller's buffer (0 for events / rejected msgs).
    pub len: usize,
    /// `msg_flags` (MSG_OOB = group member event, MSG_EOR = withdrawn ...).
    pub flags: i32,
    /// Originating socket (first `sockaddr_tipc` of the returned name).
    pub src: Option<TipcSocketAddr>,
    /// Originating group member (second `sockaddr_tipc`, group sockets only).
    pub member: Option<TipcServiceAddr>,
    /// `TIPC_ERRINFO`: (error code, returned data length) of a rejected msg.
    pub errinfo: Option<(u32, u32)>,
    /// `TIPC_RETDATA`: (up to 1024 bytes of) the rejected message's data.
    pub retdata: Vec<u8>,
}

impl RecvMsg {
    pub fn is_oob(&self) -> bool {
        self.flags & libc::MSG_OOB != 0
    }
    pub fn is_eor(&self) -> bool {
        self.flags & libc::MSG_EOR != 0
    }
    pub fn is_trunc(&self) -> bool {
        self.flags & libc::MSG_TRUNC != 0
    }
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn cvt_size(rc: libc::ssize_t) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

const SA_LEN: libc::socklen_t = size_of::<SockaddrTipc>() as libc::socklen_t;

/// An owned AF_TIPC socket (closed on drop).
#[derive(Debug)]
pub struct TipcSocket {
    fd: OwnedFd,
}

impl TipcSocket {
    /// `socket(AF_TIPC, kind | SOCK_CLOEXEC, 0)`.
    pub fn new(kind: SockKind) -> io::Result<Self> {
        // SAFETY: plain syscall with integer arguments; no memory is shared.
        let fd = cvt(unsafe { libc::socket(AF_TIPC, kind.raw() | libc::SOCK_CLOEXEC, 0) })?;
        // SAFETY: `fd` was just returned by socket() and is owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(TipcSocket { fd })
    }

    fn raw(&self) -> libc::c_int {
        self.fd.as_raw_fd()
    }

    pub fn bind(&self, addr: &SockaddrTipc) -> io::Result<()> {
        // SAFETY: `addr` points to a valid, initialised 16-byte sockaddr_tipc
        // and SA_LEN is exactly its size.
        cvt(unsafe {
            libc::bind(
                self.raw(),
                addr as *const SockaddrTipc as *const libc::sockaddr,
                SA_LEN,
            )
        })?;
        Ok(())
    }

    pub fn listen(&self, backlog: i32) -> io::Result<()> {
        // SAFETY: plain syscall on an fd we own.
        cvt(unsafe { libc::listen(self.raw(), backlog) })?;
        Ok(())
    }

    /// Accepts one connection; returns the new socket and the peer's port.
    pub fn accept(&self) -> io::Result<(TipcSocket, TipcSocketAddr)> {
        let mut peer = SockaddrTipc::empty();
        let mut len = SA_LEN;
        // SAFETY: `peer` is a writable buffer of `len` bytes; the kernel writes
        // at most `len` bytes and updates `len`.
        let fd = cvt(unsafe {
            libc::accept4(
                self.raw(),
                &mut peer as *mut SockaddrTipc as *mut libc::sockaddr,
                &mut len,
                libc::SOCK_CLOEXEC,
            )
        })?;
        // SAFETY: `fd` was just returned by accept4() and is owned by no one else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok((TipcSocket { fd }, peer.id()))
    }

    /// Blocking connect (bounded by the socket's TIPC_CONN_TIMEOUT).
    pub fn connect(&self, addr: &SockaddrTipc) -> io::Result<()> {
        // SAFETY: `addr` is a valid sockaddr_tipc of SA_LEN bytes.
        cvt(unsafe {
            libc::connect(
                self.raw(),
                addr as *const SockaddrTipc as *const libc::sockaddr,
                SA_LEN,
            )
        })?;
        Ok(())
    }

    fn name_of(&self, peer: bool) -> io::Result<TipcSocketAddr> {
        let mut sa = SockaddrTipc::empty();
        let mut len = SA_LEN;
        let p = &mut sa as *mut SockaddrTipc as *mut libc::sockaddr;
        // SAFETY: `sa` is a writable 16-byte buffer and `len` holds its size.
        let rc = unsafe {
            if peer {
                libc::getpeername(self.raw(), p, &mut len)
            } else {
                libc::getsockname(self.raw(), p, &mut len)
            }
        };
        cvt(rc)?;
        Ok(sa.id())
    }

    /// Own port identity `{ref, node}` (getsockname).
    pub fn local_addr(&self) -> io::Result<TipcSocketAddr> {
        self.name_of(false)
    }

    /// Connected peer's port identity (getpeername).
    pub fn peer_addr(&self) -> io::Result<TipcSocketAddr> {
        self.name_of(true)
    }

    fn setsockopt_raw<T>(&self, level: i32, name: i32, val: &T) -> io::Result<()> {
        // SAFETY: `val` is a valid reference to a `T` of size_of::<T>() bytes
        // that the kernel only reads.
        cvt(unsafe {
            libc::setsockopt(
                self.raw(),
                level,
                name,
                val as *const T as *const libc::c_void,
                size_of::<T>() as libc::socklen_t,
            )
        })?;
        Ok(())
    }

    pub fn set_opt_u32(&self, level: i32, name: i32, val: u32) -> io::Result<()> {
        self.setsockopt_raw(level, name, &val)
    }

    /// `setsockopt(SOL_TIPC, TIPC_GROUP_JOIN, &req)`.
    pub fn join_group(&self, req: &TipcGroupReq) -> io::Result<()> {
        self.setsockopt_raw(SOL_TIPC, TIPC_GROUP_JOIN, req)
    }

    /// Raises the receive buffer: SO_RCVBUFFORCE (needs CAP_NET_ADMIN), falling
    /// back to SO_RCVBUF. Returns the effective value reported by the kernel.
    pub fn set_rcvbuf(&self, bytes: u32) -> io::Result<u32> {
        let v = bytes.min(i32::MAX as u32) as i32;
        if self
            .setsockopt_raw(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &v)
            .is_err()
        {
            self.setsockopt_raw(libc::SOL_SOCKET, libc::SO_RCVBUF, &v)?;
        }
        let mut out: i32 = 0;
        let mut len = size_of::<i32>() as libc::socklen_t;
        // SAFETY: `out` is a writable i32 and `len` holds its size.
        cvt(unsafe {
            libc::getsockopt(
                self.raw(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                &mut out as *mut i32 as *mut libc::c_void,
                &mut len,
            )
        })?;
        Ok(out.max(0) as u32)
    }

    /// Receive-side drop counter (SO_MEMINFO, SK_MEMINFO_DROPS), if available.
    pub fn drops(&self) -> Option<u32> {
        const SK_MEMINFO_VARS: usize = 9;
        const SK_MEMINFO_DROPS: usize = 8;
        let mut info = [0u32; SK_MEMINFO_VARS];
        let mut len = size_of::<[u32; SK_MEMINFO_VARS]>() as libc::socklen_t;
        // SAFETY: `info` is a writable array of `len` bytes.
        let rc = unsafe {
            libc::getsockopt(
                self.raw(),
                libc::SOL_SOCKET,
                libc::SO_MEMINFO,
                info.as_mut_ptr() as *mut libc::c_void,
                &mut len,
            )
        };
        if rc == 0 && len as usize >= (SK_MEMINFO_DROPS + 1) * 4 {
            Some(info[SK_MEMINFO_DROPS])
        } else {
            None
        }
    }

    /// `sendto()` (or `send()` when `dest` is None); MSG_NOSIGNAL always,
    /// MSG_DONTWAIT when `nonblocking`.
    pub fn send(
        &self,
        buf: &[u8],
        dest: Option<&SockaddrTipc>,
        nonblocking: bool,
    ) -> io::Result<usize> {
        let mut flags = libc::MSG_NOSIGNAL;
        if nonblocking {
            flags |= libc::MSG_DONTWAIT;
        }
        let (ptr, len) = match dest {
            Some(a) => (a as *const SockaddrTipc as *const libc::sockaddr, SA_LEN),
            None => (std::ptr::null(), 0),
        };
        // SAFETY: `buf` is a readable slice of buf.len() bytes; `ptr`/`len`
        // are either null/0 or a valid sockaddr_tipc of SA_LEN bytes.
        cvt_size(unsafe {
            libc::sendto(
                self.raw(),
                buf.as_ptr() as *const libc::c_void,
                buf.len(),
                flags,
                ptr,
                len,
            )
        })
    }

    /// `recvmsg()` capturing source address(es), msg_flags and TIPC
    /// ancillary data (rejected-message info).
    pub fn recv_msg(&self, buf: &mut [u8], nonblocking: bool) -> io::Result<RecvMsg> {
        let mut names = [SockaddrTipc::empty(), SockaddrTipc::empty()];
        // u64 storage keeps the control buffer aligned for cmsghdr.
        let mut control = [0u64; 256];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is a plain C struct for which all-zero is valid.
        let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
        mh.msg_name = names.as_mut_ptr() as *mut libc::c_void;
        mh.msg_namelen = size_of::<[SockaddrTipc; 2]>() as libc::socklen_t;
        mh.msg_iov = &mut iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control.as_mut_ptr() as *mut libc::c_void;
        mh.msg_controllen = size_of::<[u64; 256]>() as _;
        let flags = if nonblocking { libc::MSG_DONTWAIT } else { 0 };
        // SAFETY: every pointer in `mh` refers to a live, writable local
        // buffer whose length is given alongside it.
        let n = cvt_size(unsafe { libc::recvmsg(self.raw(), &mut mh, flags) })?;

        let mut out = RecvMsg {
            len: n,
            flags: mh.msg_flags,
            ..Default::default()
        };
        let namelen = mh.msg_namelen as usize;
        if namelen >= size_of::<SockaddrTipc>() && names[0].family == AF_TIPC as u16 {
            out.src = Some(names[0].id());
        }
        if namelen >= 2 * size_of::<SockaddrTipc>() && names[1].family == AF_TIPC as u16 {
            out.member = Some(names[1].name().name);
        }

        // SAFETY: `mh` was filled by recvmsg; CMSG_* walk only within
        // msg_control/msg_controllen, which point into `control`.
        let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&mh) };
        while !cmsg.is_null() {
            // SAFETY: `cmsg` is non-null and was produced by CMSG_FIRSTHDR /
            // CMSG_NXTHDR, so it points to a complete cmsghdr inside `control`.
            let (level, ty, len) =
                unsafe { ((*cmsg).cmsg_level, (*cmsg).cmsg_type, (*cmsg).cmsg_len) };
            // SAFETY: CMSG_LEN(0) is a pure arithmetic macro.
            let hdr = unsafe { libc::CMSG_LEN(0) } as usize;
            #[allow(clippy::unnecessary_cast)] // cmsg_len is u32 on some targets
            let data_len = (len as usize).saturating_sub(hdr);
            // SAFETY: the kernel wrote `data_len` bytes of payload right after
            // the header, inside `control` (CMSG_NXTHDR validated the bound).
            let data = unsafe { std::slice::from_raw_parts(libc::CMSG_DATA(cmsg), data_len) };
            if level == SOL_TIPC && ty == TIPC_ERRINFO && data.len() >= 8 {
                let code = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]);
                let dlen = u32::from_ne_bytes([data[4], data[5], data[6], data[7]]);
                out.errinfo = Some((code, dlen));
            } else if level == SOL_TIPC && ty == TIPC_RETDATA {
                out.retdata = data.to_vec();
            }
            // SAFETY: `mh` and `cmsg` are valid as established above.
            cmsg = unsafe { libc::CMSG_NXTHDR(&mh, cmsg) };
        }
        Ok(out)
    }

    /// poll() this socket; returns revents (0 on timeout). EINTR is retried
    /// by the caller's loop (reported as revents 0).
    pub fn poll(&self, events: i16, timeout_ms: i32) -> io::Result<i16> {
        let mut p = libc::pollfd {
            fd: self.raw(),
            events,
            revents: 0,
        };
        // SAFETY: `p` is a single valid pollfd and nfds is 1.
        let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(0);
            }
            return Err(e);
        }
        Ok(if rc == 0 { 0 } else { p.revents })
    }
}

/// True for errors that mean "try again later" (link/socket congestion or
/// temporary memory pressure). TIPC's internal ELINKCONG is EAGAIN.
pub fn is_congestion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAGAIN) | Some(libc::ENOBUFS) | Some(libc::ENOMEM) | Some(libc::EINTR)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_creation_reports_errno() {
        // On a host without TIPC this must be a clean EAFNOSUPPORT (or, with
        // TIPC as a module, success) - never a panic.
        match TipcSocket::new(SockKind::Rdm) {
            Ok(s) => {
                assert!(s.local_addr().is_ok());
            }
            Err(e) => {
                assert!(e.raw_os_error().is_some(), "{e}");
            }
        }
    }

    #[test]
    fn congestion_classification() {
        assert!(is_congestion(&io::Error::from_raw_os_error(libc::EAGAIN)));
        assert!(is_congestion(&io::Error::from_raw_os_error(libc::ENOBUFS)));
        assert!(!is_congestion(&io::Error::from_raw_os_error(
            libc::EHOSTUNREACH
        )));
    }
}
