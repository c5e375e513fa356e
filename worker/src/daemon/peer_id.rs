//! The worker's libp2p peer id, derived from its secp256k1 key exactly as libp2p does
//! (identity multihash of the protobuf-encoded public key, base58btc), so it stays the same
//! id once the p2p layer uses the same key.

/// libp2p `PeerId` string (`16Uiu2...`) of a compressed secp256k1 public key.
pub fn peer_id(compressed_pubkey: &[u8; 33]) -> String {
    // PublicKey { Type = Secp256k1 (2), Data = 33 bytes } in protobuf.
    let mut proto = vec![0x08, 0x02, 0x12, 33];
    proto.extend_from_slice(compressed_pubkey);
    // Identity multihash: code 0x00, length (37 < 128: one varint byte).
    let mut mh = vec![0x00, proto.len() as u8];
    mh.extend_from_slice(&proto);
    base58(&mh)
}

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Bitcoin-alphabet base58 of `bytes` (leading zero bytes become '1').
fn base58(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    // Little-endian base-58 digits.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &b in &bytes[zeros..] {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(
        digits
            .iter()
            .rev()
            .map(|d| char::from(ALPHABET[usize::from(*d)])),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_known_vectors() {
        assert_eq!(base58(b""), "");
        assert_eq!(base58(&[0, 0, 1]), "112");
        assert_eq!(base58(b"hello world"), "StV1DL6CwTryKyV");
    }

    #[test]
    fn secp256k1_peer_ids_have_the_libp2p_prefix() {
        let mut key = [7u8; 33];
        key[0] = 0x02;
        let id = peer_id(&key);
        assert!(id.starts_with("16Uiu2HA"), "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
