//! Tests of `net/tipc/crossover_proof.rs`: the bytes a discovery proof is
//! computed over, and the proof itself with SipHash-2-4 as the kernel's
//! `siphash()` computes it.

use crate::crossover_proof::{
    proof_from_hash, proof_matches, NetIdentity, NODE_ID_LEN, PROOF_INPUT_LEN,
};
use proptest::prelude::*;
use siphasher::sip::SipHasher24;
use std::hash::Hasher;

/// The key of `lib/siphash_kunit.c`: `{ 0x0706050403020100, 0x0f0e0d0c0b0a0908 }`.
const KUNIT_KEY: [u64; 2] = [0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908];

/// `siphash(data, len, key)` of the kernel: SipHash-2-4 with
/// `k0 = key[0]`, `k1 = key[1]`.
fn kernel_siphash(data: &[u8], key: [u64; 2]) -> u64 {
    let mut h = SipHasher24::new_with_keys(key[0], key[1]);
    h.write(data);
    h.finish()
}

/// The discovery proof of `identity` under `key`, computed the way
/// `crossover.rs` does it in the kernel.
fn proof(identity: &NetIdentity<'_>, key: [u64; 2]) -> u32 {
    proof_from_hash(kernel_siphash(&identity.proof_input(), key))
}

#[test]
fn siphash_matches_the_kernel_self_test_vectors() {
    // test_vectors_siphash[i] is the hash of the bytes 0, 1, ..., i - 1.
    let vectors = [
        (0, 0x726f_db47_dd0e_0e31),
        (1, 0x74f8_39c5_93dc_67fd),
        (8, 0x93f5_f579_9a93_2462),
        (15, 0xa129_ca61_49be_45e5),
        (16, 0x3f2a_cc7f_57c2_9bdb),
        (28, 0xde4d_aaac_a71d_c9a5),
        (63, 0x958a_324c_eb06_4572),
    ];
    let input: Vec<u8> = (0..64).collect();
    for (len, expected) in vectors {
        assert_eq!(
            kernel_siphash(&input[..len], KUNIT_KEY),
            expected,
            "{len} bytes"
        );
    }
}

#[test]
fn input_layout() {
    let node_id: [u8; NODE_ID_LEN] = *b"0123456789abcdef";
    let identity = NetIdentity {
        cookie: 0x1122_3344_5566_7788,
        node_id: &node_id,
        cluster_id: 4711,
    };
    let input = identity.proof_input();
    assert_eq!(input.len(), PROOF_INPUT_LEN);
    assert_eq!(PROOF_INPUT_LEN, 28);
    assert_eq!(
        &input[..8],
        &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]
    );
    assert_eq!(&input[8..24], b"0123456789abcdef");
    assert_eq!(&input[24..], &4711u32.to_le_bytes());
}

#[test]
fn proof_pinned_to_the_kernel_vector() {
    // An identity whose input is the bytes 0..28, so that its proof under the
    // kunit key is the low half of test_vectors_siphash[28].
    let node_id: [u8; NODE_ID_LEN] = core::array::from_fn(|i| 8 + i as u8);
    let identity = NetIdentity {
        cookie: 0x0706_0504_0302_0100,
        node_id: &node_id,
        cluster_id: 0x1b1a_1918,
    };
    let expected: Vec<u8> = (0..28).collect();
    assert_eq!(identity.proof_input().as_slice(), expected.as_slice());
    assert_eq!(proof(&identity, KUNIT_KEY), 0xa71d_c9a5);
}

#[test]
fn proof_is_the_low_half_of_the_hash() {
    assert_eq!(proof_from_hash(0xdead_beef_0123_4567), 0x0123_4567);
    assert_eq!(proof_from_hash(u64::MAX), u32::MAX);
    assert_eq!(proof_from_hash(0), 0);
}

#[test]
fn matching() {
    assert!(proof_matches(0, 0));
    assert!(proof_matches(0xa71d_c9a5, 0xa71d_c9a5));
    assert!(!proof_matches(0xa71d_c9a5, 0xa71d_c9a4));
    assert!(!proof_matches(0, 0x8000_0000));
    assert!(!proof_matches(u32::MAX, 0));
}

proptest! {
    #[test]
    fn different_identities_give_different_inputs(
        a in (any::<u64>(), any::<[u8; NODE_ID_LEN]>(), any::<u32>()),
        b in (any::<u64>(), any::<[u8; NODE_ID_LEN]>(), any::<u32>()),
    ) {
        let ia = NetIdentity { cookie: a.0, node_id: &a.1, cluster_id: a.2 };
        let ib = NetIdentity { cookie: b.0, node_id: &b.1, cluster_id: b.2 };
        prop_assert_eq!(ia.proof_input() == ib.proof_input(), a == b);
    }

    #[test]
    fn proof_binds_every_field(
        cookie in any::<u64>(),
        node_id in any::<[u8; NODE_ID_LEN]>(),
        cluster_id in any::<u32>(),
        key in any::<[u64; 2]>(),
        flip in 0usize..PROOF_INPUT_LEN * 8,
    ) {
        // Changing any one bit of the identity changes the input, and with
        // overwhelming likelihood the proof: a sender cannot reuse the proof
        // of one node id, cluster or namespace for another.
        let identity = NetIdentity { cookie, node_id: &node_id, cluster_id };
        let mut input = identity.proof_input();
        input[flip / 8] ^= 1 << (flip % 8);
        let other = proof_from_hash(kernel_siphash(&input, key));
        prop_assert_ne!(other, proof(&identity, key));
    }

    #[test]
    fn proof_depends_on_the_key(
        cookie in any::<u64>(),
        node_id in any::<[u8; NODE_ID_LEN]>(),
        cluster_id in any::<u32>(),
        key in any::<[u64; 2]>(),
        other_key in any::<[u64; 2]>(),
    ) {
        prop_assume!(key != other_key);
        let identity = NetIdentity { cookie, node_id: &node_id, cluster_id };
        prop_assert_ne!(proof(&identity, key), proof(&identity, other_key));
    }

    #[test]
    fn matches_is_equality(a in any::<u32>(), b in any::<u32>()) {
        prop_assert_eq!(proof_matches(a, b), a == b);
        prop_assert!(proof_matches(a, a));
    }
}
