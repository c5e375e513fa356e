//! A tx built and signed by cosmrs (the Rust Cosmos client library, as the CLI and workers
//! use it) is accepted unchanged.

mod tx_common;

use cosmrs::bank::MsgSend;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin};
use tx_common::*;

#[test]
fn cosmrs_signed_msg_send_is_accepted() {
    let mut s = genesis();
    // Same secret as tx_common::alice().
    let sk = SigningKey::from_slice(&[1u8; 32]).unwrap();
    let from = AccountId::new("bls", alice().addr.as_bytes()).unwrap();
    assert_eq!(from.to_string(), alice().addr.to_string());
    let to = AccountId::new("bls", carol().as_bytes()).unwrap();
    let denom: cosmrs::Denom = "ubls".parse().unwrap();
    let msg = MsgSend {
        from_address: from,
        to_address: to,
        amount: vec![Coin {
            denom: denom.clone(),
            amount: 777,
        }],
    }
    .to_any()
    .unwrap();
    let body = Body::new(vec![msg], "from cosmrs", 0u32);
    let auth_info = SignerInfo::single_direct(Some(sk.public_key()), 0)
        .auth_info(Fee::from_amount_and_gas(Coin { denom, amount: FEE }, GAS));
    let chain_id = CHAIN_ID.parse().unwrap();
    let raw = SignDoc::new(&body, &auth_info, &chain_id, 0)
        .unwrap()
        .sign(&sk)
        .unwrap()
        .to_bytes()
        .unwrap();
    let p = pipeline();
    let mut check = copy(&s);
    assert_eq!(p.check_tx(&mut check, &block(1), &raw).code, 0);
    let o = p.deliver_tx(&mut s, &block(1), &raw);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(ubls(&s, &carol()), 777);
    assert_eq!(account(&s, &alice().addr).sequence, 1);
}
