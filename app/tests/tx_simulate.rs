//! Simulation as CosmJS does it (empty signature, SIGN_MODE_UNSPECIFIED, no fee) and the
//! `/cosmos.tx.v1beta1.Service/Simulate` query: the estimate suffices for the real tx, and
//! simulating changes nothing.

mod tx_common;

use bls_app::store::Overlay;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSendResponse;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, SimulateRequest, SimulateResponse, Tx, TxBody,
};
use prost::Message;
use tx_common::*;

/// The tx CosmJS's `simulate` builds: pubkey and sequence, UNSPECIFIED mode, empty signature,
/// empty fee.
fn cosmjs_style_simulation(key: &Key, to: &bls_core::Address, amount: u128, seq: u64) -> TxSpec {
    let acc_number = 0;
    let mut spec = TxSpec::new(vec![send_msg(&key.addr, to, amount)], acc_number, seq);
    spec.sign_mode = SignMode::Unspecified;
    spec.fee = 0;
    spec.gas_limit = 0;
    spec
}

#[test]
fn simulate_with_empty_signature_estimates_enough_gas() {
    let s = genesis();
    let p = pipeline();
    let a = alice();
    let spec = cosmjs_style_simulation(&a, &carol(), 500, 0);
    let sim_raw = spec.raw(&a.pubkey, vec![]);
    let before = dump(&s);
    let (gas_used, outcome) = {
        let mut scratch = Overlay::new(&s);
        p.simulate(&mut scratch, &block(1), &sim_raw)
            .expect("simulation succeeds")
    };
    assert_eq!(
        dump(&s),
        before,
        "simulation must not touch the parent state"
    );
    assert!(gas_used > 10_000, "{gas_used}");
    assert_eq!(outcome.gas_used, gas_used);
    assert!(outcome.events.iter().any(|e| e.kind == "transfer"));

    // The real tx with exactly the estimated gas (no safety multiplier) must fit.
    let mut real = TxSpec::new(vec![send_msg(&a.addr, &carol(), 500)], 0, 0);
    real.gas_limit = gas_used;
    real.fee = u128::from(gas_used).div_ceil(40); // ceil(gas × 0.025)
    let mut s = s;
    let o = p.deliver_tx(&mut s, &block(1), &real.build(&a));
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.gas_used <= gas_used,
        "real {} > estimate {gas_used}",
        o.gas_used
    );
    // ...and not by a wide margin.
    assert!(
        gas_used - o.gas_used < gas_used / 20,
        "estimate {gas_used} vs real {}",
        o.gas_used
    );
}

#[test]
fn simulate_reports_the_failure_a_real_tx_would_hit() {
    let s = genesis();
    let p = pipeline();
    let a = alice();
    let mut scratch = Overlay::new(&s);
    let err = p
        .simulate(
            &mut scratch,
            &block(1),
            &cosmjs_style_simulation(&a, &carol(), ALICE_FUNDS + 1, 0).raw(&a.pubkey, vec![]),
        )
        .unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("bank", 5), "{err:?}");
    // (Sequences: see simulate_takes_a_sequence_ahead_of_committed_state_but_not_behind.)
    let mut scratch = Overlay::new(&s);
    assert_eq!(
        p.simulate(&mut scratch, &block(1), b"junk")
            .unwrap_err()
            .code,
        2
    );
}

#[test]
fn query_simulate_accepts_tx_bytes_and_the_deprecated_tx_field() {
    let s = genesis();
    let p = pipeline();
    let a = alice();
    let spec = cosmjs_style_simulation(&a, &carol(), 42, 0);

    let by_bytes = SimulateRequest {
        tx_bytes: spec.raw(&a.pubkey, vec![]),
        ..Default::default()
    };
    #[allow(deprecated)]
    let by_tx = SimulateRequest {
        tx: Some(Tx {
            body: Some(TxBody::decode(spec.body_bytes().as_slice()).unwrap()),
            auth_info: Some(AuthInfo::decode(spec.auth_info_bytes(&a.pubkey).as_slice()).unwrap()),
            signatures: vec![vec![]],
        }),
        tx_bytes: vec![],
    };
    let mut answers = Vec::new();
    for req in [by_bytes, by_tx] {
        let mut scratch = Overlay::new(&s);
        let resp = p
            .query_simulate(&mut scratch, &block(1), &req.encode_to_vec())
            .expect("simulate query");
        let resp = SimulateResponse::decode(resp.as_slice()).unwrap();
        let gas = resp.gas_info.unwrap();
        assert!(gas.gas_used > 0);
        let result = resp.result.unwrap();
        assert_eq!(result.msg_responses.len(), 1);
        assert_eq!(
            result.msg_responses[0].type_url,
            "/cosmos.bank.v1beta1.MsgSendResponse"
        );
        MsgSendResponse::decode(result.msg_responses[0].value.as_slice()).unwrap();
        assert!(result
            .events
            .iter()
            .any(|e| e.r#type == "transfer" && e.attributes.iter().any(|at| at.value == "42ubls")));
        answers.push(gas.gas_used);
    }
    assert_eq!(
        answers[0], answers[1],
        "both request forms describe the same tx"
    );

    let mut scratch = Overlay::new(&s);
    let err = p
        .query_simulate(
            &mut scratch,
            &block(1),
            &SimulateRequest::default().encode_to_vec(),
        )
        .unwrap_err();
    assert!(err.log.contains("empty txBytes"), "{err:?}");
    let mut scratch = Overlay::new(&s);
    assert_eq!(
        p.query_simulate(&mut scratch, &block(1), &[0xff, 0x01])
            .unwrap_err()
            .code,
        2
    );
}

/// A simulate costs no fee and needs no signature: it runs under the chain's `max_gas_per_tx`,
/// never without a limit, and says so when it stops there.
#[test]
fn simulate_stops_at_max_gas_per_tx() {
    let p = pipeline();
    let a = alice();
    let sim_raw = cosmjs_style_simulation(&a, &carol(), 500, 0).raw(&a.pubkey, vec![]);
    // What the send needs.
    let needed = {
        let s = genesis();
        let mut scratch = Overlay::new(&s);
        p.simulate(&mut scratch, &block(1), &sim_raw)
            .expect("simulates")
            .0
    };
    // The same simulate on a chain whose max_gas_per_tx is just below that.
    let s = genesis_with_max_gas(needed - 1);
    let before = dump(&s);
    let mut scratch = Overlay::new(&s);
    let err = p.simulate(&mut scratch, &block(1), &sim_raw).unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("sdk", 11), "{err:?}");
    assert!(
        err.log.contains(&format!("max_gas_per_tx, {}", needed - 1)),
        "{}",
        err.log
    );
    drop(scratch);
    assert_eq!(dump(&s), before, "a refused simulate changed nothing");
    // At exactly what it needs, it succeeds.
    let s = genesis_with_max_gas(needed);
    let mut scratch = Overlay::new(&s);
    assert_eq!(
        p.simulate(&mut scratch, &block(1), &sim_raw).unwrap().0,
        needed
    );
}

/// Simulate reads committed state, which lacks the signer's txs still in the mempool: a
/// sequence ahead of the committed one is accepted (the client counts its pending txs), one
/// behind it is refused as a real tx would be, and neither changes anything.
#[test]
fn simulate_takes_a_sequence_ahead_of_committed_state_but_not_behind() {
    let s = genesis();
    let p = pipeline();
    let a = alice();
    let before = dump(&s);
    // Two txs of alice's are pending: her next one carries sequence 2.
    let mut scratch = Overlay::new(&s);
    let (gas, _) = p
        .simulate(
            &mut scratch,
            &block(1),
            &cosmjs_style_simulation(&a, &carol(), 500, 2).raw(&a.pubkey, vec![]),
        )
        .expect("a sequence ahead of committed state simulates");
    assert!(gas > 10_000, "{gas}");
    drop(scratch);
    assert_eq!(dump(&s), before, "simulation must not touch the state");

    // Committed sequence 1: a simulate at 0 replays a used sequence and is refused.
    let mut s = s;
    let tx = send_tx(&s, &a, &carol(), 1);
    let o = p.deliver_tx(&mut s, &block(1), &tx);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(account(&s, &a.addr).sequence, 1);
    let mut scratch = Overlay::new(&s);
    let err = p
        .simulate(
            &mut scratch,
            &block(2),
            &cosmjs_style_simulation(&a, &carol(), 500, 0).raw(&a.pubkey, vec![]),
        )
        .expect_err("a used sequence is refused");
    assert!(
        err.log
            .contains("account sequence mismatch, expected 1, got 0"),
        "{}",
        err.log
    );
}
