//! Hostile bytes never panic the pipeline and never change state: random bytes, and valid txs
//! with random corruption.

mod tx_common;

use bls_app::store::Overlay;
use proptest::prelude::*;
use tx_common::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_rejected_without_panic(raw in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut s = genesis();
        let before = dump(&s);
        let p = pipeline();
        let c = p.check_tx(&mut s, &block(1), &raw);
        let d = p.deliver_tx(&mut s, &block(1), &raw);
        prop_assert_ne!(c.code, 0);
        prop_assert_ne!(d.code, 0);
        prop_assert_eq!(dump(&s), before);
        let mut scratch = Overlay::new(&s);
        let _ = p.simulate(&mut scratch, &block(1), &raw);
        let _ = p.query_simulate(&mut scratch, &block(1), &raw);
    }

    #[test]
    fn corrupted_valid_txs_are_rejected_without_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        truncate in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut s = genesis();
        let a = alice();
        let mut raw = send_tx(&s, &a, &carol(), 10);
        for (i, x) in &flips {
            let at = i.index(raw.len());
            raw[at] ^= x;
        }
        if let Some(t) = truncate {
            raw.truncate(t.index(raw.len()));
        }
        let before = dump(&s);
        let p = pipeline();
        // Every byte of a TxRaw is either framing (→ decode error) or signed content or the
        // signature (→ verification failure), so no corruption can be accepted.
        let c = p.check_tx(&mut s, &block(1), &raw);
        prop_assert_ne!(c.code, 0, "{:?}", c);
        let d = p.deliver_tx(&mut s, &block(1), &raw);
        prop_assert_ne!(d.code, 0, "{:?}", d);
        prop_assert_eq!(dump(&s), before);
    }
}

/// Random but well-formed message payloads: valid-looking or garbage addresses and coins.
fn arb_msg() -> impl Strategy<Value = cosmos_sdk_proto::Any> {
    use bls_core::module::encode_any;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
    let addr = prop_oneof![
        Just(alice().addr.to_string()),
        Just(carol().to_string()),
        Just(fee_collector().to_string()),
        "[a-z0-9]{0,50}",
    ];
    let coin = (
        prop_oneof![Just("ubls".to_string()), "[a-zA-Z0-9/]{0,10}"],
        prop_oneof![
            (0u128..2_000_000).prop_map(|n| n.to_string()),
            "[0-9+-]{0,45}",
        ],
    )
        .prop_map(|(denom, amount)| Coin { denom, amount });
    prop_oneof![
        (addr.clone(), addr, proptest::collection::vec(coin, 0..3)).prop_map(
            |(from, to, amount)| {
                encode_any(
                    &MsgSend {
                        from_address: from,
                        to_address: to,
                        amount,
                    },
                    bls_bank::msgs::MSG_SEND_TYPE_URL,
                )
            }
        ),
        (
            "/[a-zA-Z.]{0,30}",
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(type_url, value)| cosmos_sdk_proto::Any { type_url, value }),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|value| cosmos_sdk_proto::Any {
            type_url: bls_bank::msgs::MSG_SEND_TYPE_URL.into(),
            value,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Validly signed txs with random messages, fees, gas and memos reach the message
    /// handlers; whatever happens, nothing panics and supply is conserved.
    #[test]
    fn signed_random_txs_never_panic_and_conserve_supply(
        msgs in proptest::collection::vec(arb_msg(), 0..4),
        fee in 0u128..20_000,
        gas_limit in 0u64..400_000,
        memo in ".{0,70}",
        seq in 0u64..2,
    ) {
        let mut s = genesis();
        let a = alice();
        let mut spec = TxSpec::new(msgs, 0, seq);
        spec.fee = fee;
        spec.gas_limit = gas_limit;
        spec.memo = memo;
        let raw = spec.build(&a);
        let p = pipeline();
        let before = dump(&s);
        let c = p.check_tx(&mut copy(&s), &block(1), &raw);
        let d = p.deliver_tx(&mut s, &block(1), &raw);
        prop_assert_eq!(c.code == 0, d.code == 0 || account(&s, &a.addr).sequence == 1);
        if account(&s, &a.addr).sequence == 0 {
            prop_assert_eq!(dump(&s), before, "ante rejection changed state: {:?}", d);
        }
        assert_conserved(&s, &all_holders());
        let mut scratch = Overlay::new(&s);
        let _ = p.simulate(&mut scratch, &block(1), &raw);
    }
}
