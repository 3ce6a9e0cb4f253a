#!/usr/bin/env python3
"""Writes the fuzz seed corpus (fuzz/seeds/) from the real captures in verifier/tests/data/
and the tcpdump files in wire/tests/data/.

Run from anywhere: `python3 fuzz/make_seeds.py`. Deterministic: the same captures give the
same seeds, so the committed files can be checked by running it again (`git diff`).

pcap_reader seeds: the small tcpdump files as they are, and for each larger QEMU capture one
frame of every (user, type, header size) it holds, written as pcap (little- and big-endian,
micro- and nanosecond), as pcapng (with interface names, timestamp resolution, direction
flags and a block the reader skips) and re-framed as Linux cooked v1/v2 captures.

tipc_decode seeds: the same frames one by one, each behind the 3-byte prefix of
wire/tests/data/fuzz_drive.rs (link-type selector, bytes cut by the snap length).
The captures hold no fragments or bundles, so two of each are built from real messages.
"""

import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "verifier" / "tests" / "data"
WIRE_DATA = ROOT / "wire" / "tests" / "data"
SEEDS = ROOT / "fuzz" / "seeds"

LINKTYPE_ETHERNET, LINKTYPE_SLL, LINKTYPE_SLL2 = 1, 113, 276
SELECTOR = {LINKTYPE_ETHERNET: 0, LINKTYPE_SLL: 1, LINKTYPE_SLL2: 2}
ARPHRD_ETHER, ARPHRD_LOOPBACK = 1, 772
ETH_P_TIPC = 0x88CA
MSG_BUNDLER, MSG_FRAGMENTER = 6, 12


def read_pcap(path):
    """(linktype, [(ts_sec, ts_usec, orig_len, data)]) of a little-endian microsecond pcap."""
    raw = path.read_bytes()
    magic, = struct.unpack("<I", raw[:4])
    assert magic == 0xA1B2C3D4, f"{path}: not a little-endian microsecond pcap"
    linktype, = struct.unpack("<I", raw[20:24])
    frames, pos = [], 24
    while pos + 16 <= len(raw):
        sec, usec, caplen, orig = struct.unpack("<IIII", raw[pos:pos + 16])
        frames.append((sec, usec, orig, raw[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return linktype, frames


def tipc_kind(data):
    """(user, type, header size) of an Ethernet TIPC frame, or None."""
    if len(data) < 22 or struct.unpack(">H", data[12:14])[0] != ETH_P_TIPC:
        return None
    w0, w1 = struct.unpack(">II", data[14:22])
    return ((w0 >> 25) & 0xF, (w1 >> 29) & 0x7, ((w0 >> 21) & 0xF) * 4)


def one_per_kind(frames):
    seen, picked = set(), []
    for frame in frames:
        kind = tipc_kind(frame[3])
        if kind is not None and kind not in seen:
            seen.add(kind)
            picked.append(frame)
    return picked


def pcap(linktype, frames, big_endian=False, nanos=False):
    e = ">" if big_endian else "<"
    out = struct.pack(e + "IHHiIII", 0xA1B23C4D if nanos else 0xA1B2C3D4, 2, 4, 0, 0,
                      262144, linktype)
    for sec, usec, orig, data in frames:
        frac = usec * 1000 if nanos else usec
        out += struct.pack(e + "IIII", sec, frac, len(data), orig) + data
    return out


def ng_block(e, block_type, body):
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(e + "II", block_type, length) + body + struct.pack(e + "I", length)


def ng_option(e, code, value):
    return struct.pack(e + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def pcapng(linktype, frames, ifname, big_endian=False):
    e = ">" if big_endian else "<"
    out = ng_block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb_opts = ng_option(e, 2, ifname.encode()) + ng_option(e, 9, b"\x09") + b"\0" * 4
    out += ng_block(e, 1, struct.pack(e + "HHI", linktype, 0, 262144) + idb_opts)
    out += ng_block(e, 4, b"\0" * 4)  # name resolution block: skipped by the reader
    for i, (sec, usec, orig, data) in enumerate(frames):
        ts = (sec * 1_000_000 + usec) * 1000
        flags = ng_option(e, 2, struct.pack(e + "I", 1 + i % 2)) + b"\0" * 4
        body = struct.pack(e + "IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig)
        body += data + b"\0" * (-len(data) % 4) + flags
        out += ng_block(e, 6, body)
    return out


def to_sll(data, hatype):
    """An Ethernet frame re-framed as Linux cooked v1 (`tcpdump -i any`, older libpcap)."""
    return struct.pack(">HHH", 0, hatype, 6) + data[6:12] + b"\0\0" + data[12:14] + data[14:]


def to_sll2(data, hatype, ifindex=1):
    """An Ethernet frame re-framed as Linux cooked v2."""
    head = data[12:14] + b"\0\0" + struct.pack(">IHBB", ifindex, hatype, 0, 6)
    return head + data[6:12] + b"\0\0" + data[14:]


def reframe(frames, convert):
    return [(s, u, orig - len(d) + len(convert(d)), convert(d)) for s, u, orig, d in frames]


def tipc_message(user, mtype, words, payload):
    """A 40-byte-header TIPC message; `words` maps word index to value."""
    w = [0] * 10
    for i, v in words.items():
        w[i] = v
    w[0] |= (2 << 29) | (user << 25) | (10 << 21) | (40 + len(payload))
    w[1] |= mtype << 29
    return struct.pack(">10I", *w) + payload


def built_frames(lo_frames):
    """A FIRST fragment and a bundle carrying real messages (Ethernet, loopback clone)."""
    msgs = [d[14:] for _, _, _, d in lo_frames]
    named = next(m for m in msgs if (m[0] >> 1) & 0xF == 0 and len(m) > 40)
    first = tipc_message(MSG_FRAGMENTER, 0, {4: (1 << 16) | 3, 9: 0}, named)
    two = msgs[0] + b"\0" * (-len(msgs[0]) % 4) + msgs[1]
    bundle = tipc_message(MSG_BUNDLER, 0, {9: 2 << 16}, two)
    eth = b"\0" * 12 + struct.pack(">H", ETH_P_TIPC)
    return {"frag-first": eth + first, "bundle-2": eth + bundle}


def write(directory, name, data):
    (directory / name).write_bytes(data)


def main():
    reader, frame = SEEDS / "pcap_reader", SEEDS / "tipc_decode"
    for d in (reader, frame):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)

    for name in ("tcpdump-lo.pcap", "tcpdump-any.pcap"):
        shutil.copyfile(WIRE_DATA / name, reader / name)
    shutil.copyfile(DATA / "shares/stock.veth_rdm/captures/ns1-lo.pcap", reader / "stock-ns1-lo.pcap")

    _, lo = read_pcap(DATA / "captures/veth_classes-ns1-lo.pcap")
    _, veth = read_pcap(DATA / "captures/veth_classes-ns1-veth1.pcap")
    _, bridge = read_pcap(DATA / "captures/bridge_four-ns1-veth1.pcap")
    _, big = read_pcap(DATA / "shares/stock.veth_rdm/captures/ns2-lo.pcap")
    lo, veth, bridge = one_per_kind(lo), one_per_kind(veth), one_per_kind(bridge)

    write(reader, "lo-kinds.pcap", pcap(LINKTYPE_ETHERNET, lo))
    write(reader, "veth-kinds.pcap", pcap(LINKTYPE_ETHERNET, veth))
    write(reader, "bridge-kinds.pcap", pcap(LINKTYPE_ETHERNET, bridge))
    write(reader, "veth-kinds-be-nsec.pcap", pcap(LINKTYPE_ETHERNET, veth, True, True))
    write(reader, "lo-kinds.pcapng", pcapng(LINKTYPE_ETHERNET, lo, "lo"))
    write(reader, "veth-kinds-be.pcapng", pcapng(LINKTYPE_ETHERNET, veth, "veth1", True))
    write(reader, "lo-kinds-sll.pcap",
          pcap(LINKTYPE_SLL, reframe(lo, lambda d: to_sll(d, ARPHRD_LOOPBACK))))
    write(reader, "veth-kinds-sll2.pcapng",
          pcapng(LINKTYPE_SLL2, reframe(veth, lambda d: to_sll2(d, ARPHRD_ETHER)), "any"))
    # A 1078-byte message cut by a 96-byte snap length.
    sec, usec, big_orig, big_data = big[0]
    cut = [(sec, usec, big_orig, big_data[:96])]
    write(reader, "named-snaplen.pcap", pcap(LINKTYPE_ETHERNET, cut))

    built = built_frames(lo)
    write(reader, "built.pcap", pcap(LINKTYPE_ETHERNET, [(0, 0, len(d), d) for d in built.values()]))

    for label, frames in (("lo", lo), ("veth", veth), ("bridge", bridge)):
        for _, _, _, data in frames:
            user, mtype, hsize = tipc_kind(data)
            stem = f"{label}-u{user}-t{mtype}-h{hsize}"
            write(frame, f"{stem}-eth", bytes([0, 0, 0]) + data)
            if label == "lo":
                write(frame, f"{stem}-sll", bytes([1, 0, 0]) + to_sll(data, ARPHRD_LOOPBACK))
                write(frame, f"{stem}-sll2", bytes([2, 0, 0]) + to_sll2(data, ARPHRD_LOOPBACK))
    _, any_frames = read_pcap(WIRE_DATA / "tcpdump-any.pcap")
    for i, (_, _, _, data) in enumerate(any_frames):
        write(frame, f"tcpdump-any-{i + 1}-sll2", bytes([2, 0, 0]) + data)
    snaplen_prefix = bytes([0]) + struct.pack(">H", big_orig - 96)
    write(frame, "named-snaplen-eth", snaplen_prefix + big_data[:96])
    for name, data in built.items():
        write(frame, f"{name}-eth", bytes([0, 0, 0]) + data)


if __name__ == "__main__":
    main()
