//! Shared fixtures of the tx pipeline tests: a genesis state, keys, and a tx builder that signs
//! for real (k256, SIGN_MODE_DIRECT) and can be told to get individual things wrong.

#![allow(dead_code)] // each test binary uses a different subset

use bls_app::tx::{TxOutcome, TxPipeline};
use bls_auth::{get_account, Account, AuthModule};
use bls_bank::keeper::{all_balances, total_supply};
use bls_bank::msgs::MSG_SEND_TYPE_URL;
use bls_core::module::encode_any;
use bls_core::{Address, BlockInfo, Coins, Context, GasMeter, Module};
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as PCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use cosmwasm_std::testing::MockStorage;
use cosmwasm_std::{Order, Storage};
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};
use prost::Message;
use serde_json::json;

pub const CHAIN_ID: &str = "bls-test-1";
pub const MAX_TX_BYTES: u64 = 8_192;
pub const MAX_MEMO: u64 = 64;
pub const MAX_GAS: u64 = 10_000_000;
/// Initial balances.
pub const ALICE_FUNDS: u128 = 10_000_000;
pub const POOR_FUNDS: u128 = 10;
/// A gas limit and fee that comfortably cover a MsgSend at 0.025ubls/gas.
pub const GAS: u64 = 200_000;
pub const FEE: u128 = 5_000;

/// Auth and the app's own bank (refusing sends into every declared module account).
pub static MODULES: &[&dyn Module] = &[&AuthModule, &bls_app::modules::BANK];

pub fn pipeline() -> TxPipeline<'static> {
    TxPipeline::new(MODULES)
}

/// A copy of `store` (MockStorage is not `Clone`).
pub fn copy(store: &MockStorage) -> MockStorage {
    let mut out = MockStorage::new();
    for (k, v) in dump(store) {
        out.set(&k, &v);
    }
    out
}

/// A test key.
pub struct Key {
    pub sk: SigningKey,
    pub pubkey: Vec<u8>,
    pub addr: Address,
}

impl Key {
    pub fn new(seed: u8) -> Self {
        let sk = SigningKey::from_slice(&[seed; 32]).expect("valid scalar");
        let pubkey = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let addr = Address::from_secp256k1_pubkey(&pubkey);
        Self { sk, pubkey, addr }
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.sk.sign(msg);
        sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
    }
}

pub fn alice() -> Key {
    Key::new(1)
}
pub fn bob() -> Key {
    Key::new(2)
}
pub fn poor() -> Key {
    Key::new(3)
}
pub fn carol() -> Address {
    Address::from_bytes(&[0xca; 20])
}

pub fn block(height: u64) -> BlockInfo {
    BlockInfo {
        height,
        chain_id: CHAIN_ID.into(),
        ..BlockInfo::default()
    }
}

/// State after genesis: alice (account 0) rich, poor (account 1) nearly broke, bob unknown.
pub fn genesis() -> MockStorage {
    genesis_with_max_gas(MAX_GAS)
}

/// [`genesis`] with another auth `max_gas_per_tx`.
pub fn genesis_with_max_gas(max_gas_per_tx: u64) -> MockStorage {
    let mut s = MockStorage::new();
    let b = block(0);
    let meter = GasMeter::infinite();
    let mut ctx = Context::new(&mut s, &b, &meter);
    AuthModule
        .init_genesis(
            &mut ctx,
            &json!({"params": {
            "max_memo_characters": MAX_MEMO.to_string(), "tx_sig_limit": "7",
            "tx_size_cost_per_byte": "10", "sig_verify_cost_secp256k1": "1000",
            "min_gas_price": "0.025", "max_tx_bytes": MAX_TX_BYTES.to_string(),
            "max_gas_per_tx": max_gas_per_tx.to_string()}}),
        )
        .expect("auth genesis");
    bls_app::modules::BANK.init_genesis(
        &mut ctx,
        &json!({"balances": [
            {"address": alice().addr.to_string(), "coins": [{"denom": "ubls", "amount": ALICE_FUNDS.to_string()}]},
            {"address": poor().addr.to_string(), "coins": [{"denom": "ubls", "amount": POOR_FUNDS.to_string()}]}
        ]}),
    )
    .expect("bank genesis");
    drop(ctx);
    s
}

pub fn send_msg(from: &Address, to: &Address, amount: u128) -> Any {
    encode_any(
        &MsgSend {
            from_address: from.to_string(),
            to_address: to.to_string(),
            amount: vec![PCoin {
                denom: "ubls".into(),
                amount: amount.to_string(),
            }],
        },
        MSG_SEND_TYPE_URL,
    )
}

/// Everything that goes into a tx; defaults are a valid tx from `account_number`/`sequence`.
#[derive(Clone)]
pub struct TxSpec {
    pub msgs: Vec<Any>,
    pub memo: String,
    pub fee: u128,
    pub gas_limit: u64,
    pub sequence: u64,
    pub account_number: u64,
    pub chain_id: String,
    pub include_pubkey: bool,
    pub sign_mode: SignMode,
    pub timeout_height: u64,
    pub fee_payer: String,
    pub fee_granter: String,
    pub extension_options: Vec<Any>,
    /// Type URL of the declared public key.
    pub pubkey_type_url: String,
}

impl TxSpec {
    pub fn new(msgs: Vec<Any>, account_number: u64, sequence: u64) -> Self {
        Self {
            msgs,
            memo: String::new(),
            fee: FEE,
            gas_limit: GAS,
            sequence,
            account_number,
            chain_id: CHAIN_ID.into(),
            include_pubkey: true,
            sign_mode: SignMode::Direct,
            timeout_height: 0,
            fee_payer: String::new(),
            fee_granter: String::new(),
            extension_options: Vec::new(),
            pubkey_type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
        }
    }

    pub fn body_bytes(&self) -> Vec<u8> {
        TxBody {
            messages: self.msgs.clone(),
            memo: self.memo.clone(),
            timeout_height: self.timeout_height,
            extension_options: self.extension_options.clone(),
            ..TxBody::default()
        }
        .encode_to_vec()
    }

    pub fn auth_info_bytes(&self, pubkey: &[u8]) -> Vec<u8> {
        let public_key = self.include_pubkey.then(|| Any {
            type_url: self.pubkey_type_url.clone(),
            value: PubKey {
                key: pubkey.to_vec(),
            }
            .encode_to_vec(),
        });
        #[allow(deprecated)]
        AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key,
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single {
                        mode: self.sign_mode as i32,
                    })),
                }),
                sequence: self.sequence,
            }],
            fee: Some(Fee {
                amount: if self.fee == 0 {
                    vec![]
                } else {
                    vec![PCoin {
                        denom: "ubls".into(),
                        amount: self.fee.to_string(),
                    }]
                },
                gas_limit: self.gas_limit,
                payer: self.fee_payer.clone(),
                granter: self.fee_granter.clone(),
            }),
            tip: None,
        }
        .encode_to_vec()
    }

    /// The bytes a signer signs in the spec's sign mode.
    pub fn sign_doc(&self, pubkey: &[u8]) -> Vec<u8> {
        if self.sign_mode == SignMode::LegacyAminoJson {
            return self.amino_doc(&self.chain_id).into_bytes();
        }
        SignDoc {
            body_bytes: self.body_bytes(),
            auth_info_bytes: self.auth_info_bytes(pubkey),
            chain_id: self.chain_id.clone(),
            account_number: self.account_number,
        }
        .encode_to_vec()
    }

    /// The amino-JSON `StdSignDoc` of a tx of `MsgSend`s, written out by hand as CosmJS's
    /// `serializeSignDoc` writes it (sorted keys, compact): independent of the chain's encoder.
    pub fn amino_doc(&self, chain_id: &str) -> String {
        let msgs: Vec<String> = self
            .msgs
            .iter()
            .map(|any| {
                assert_eq!(any.type_url, MSG_SEND_TYPE_URL, "amino_doc writes MsgSend only");
                let m = MsgSend::decode(any.value.as_slice()).expect("a MsgSend");
                let coins: Vec<String> = m
                    .amount
                    .iter()
                    .map(|c| format!(r#"{{"amount":"{}","denom":"{}"}}"#, c.amount, c.denom))
                    .collect();
                format!(
                    r#"{{"type":"cosmos-sdk/MsgSend","value":{{"amount":[{}],"from_address":"{}","to_address":"{}"}}}}"#,
                    coins.join(","),
                    m.from_address,
                    m.to_address
                )
            })
            .collect();
        let fee = if self.fee == 0 {
            String::new()
        } else {
            format!(r#"{{"amount":"{}","denom":"ubls"}}"#, self.fee)
        };
        let timeout = if self.timeout_height == 0 {
            String::new()
        } else {
            format!(r#","timeout_height":"{}""#, self.timeout_height)
        };
        // CosmJS `escapeCharacters` after `sortedJsonStringify`.
        format!(
            r#"{{"account_number":"{}","chain_id":"{}","fee":{{"amount":[{}],"gas":"{}"}},"memo":{},"msgs":[{}],"sequence":"{}"{}}}"#,
            self.account_number,
            chain_id,
            fee,
            self.gas_limit,
            serde_json::Value::String(self.memo.clone()),
            msgs.join(","),
            self.sequence,
            timeout
        )
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
    }

    /// Signed by `key`, declaring `key`'s public key.
    pub fn build(&self, key: &Key) -> Vec<u8> {
        self.build_with(key, &key.pubkey)
    }

    /// Declares `pubkey` but signs with `signer` (for "signed by another key").
    pub fn build_with(&self, signer: &Key, pubkey: &[u8]) -> Vec<u8> {
        let sig = signer.sign(&self.sign_doc(pubkey));
        self.raw(pubkey, sig)
    }

    /// A TxRaw with an explicit signature.
    pub fn raw(&self, pubkey: &[u8], signature: Vec<u8>) -> Vec<u8> {
        TxRaw {
            body_bytes: self.body_bytes(),
            auth_info_bytes: self.auth_info_bytes(pubkey),
            signatures: vec![signature],
        }
        .encode_to_vec()
    }
}

/// A valid MsgSend tx from `key` (its account number and sequence looked up in `store`).
pub fn send_tx(store: &dyn Storage, key: &Key, to: &Address, amount: u128) -> Vec<u8> {
    let acc = account(store, &key.addr);
    TxSpec::new(
        vec![send_msg(&key.addr, to, amount)],
        acc.account_number,
        acc.sequence,
    )
    .build(key)
}

pub fn account(store: &dyn Storage, addr: &Address) -> Account {
    get_account(store, addr)
        .expect("readable")
        .expect("account exists")
}

pub fn ubls(store: &dyn Storage, addr: &Address) -> u128 {
    bls_bank::keeper::balance(store, addr, "ubls").expect("readable")
}

pub fn fee_collector() -> Address {
    bls_fees::state::fee_collector()
}

/// Every key/value pair, for "nothing changed" assertions.
pub fn dump(store: &dyn Storage) -> Vec<(Vec<u8>, Vec<u8>)> {
    store.range(None, None, Order::Ascending).collect()
}

/// Balances of every listed address sum to the total supply.
pub fn assert_conserved(store: &dyn Storage, holders: &[Address]) {
    let mut sum = Coins::new();
    for h in holders {
        for c in all_balances(store, h).expect("readable").to_vec() {
            sum.add(&c).expect("no overflow");
        }
    }
    assert_eq!(
        sum,
        total_supply(store).expect("readable"),
        "supply conserved"
    );
}

pub fn all_holders() -> Vec<Address> {
    vec![
        alice().addr,
        bob().addr,
        poor().addr,
        carol(),
        fee_collector(),
    ]
}

/// Asserts a failed outcome with `code` and a log containing `needle`.
#[track_caller]
pub fn assert_code(o: &TxOutcome, code: u32, needle: &str) {
    assert_eq!(o.code, code, "unexpected outcome: {o:?}");
    assert!(o.log.contains(needle), "log {:?} lacks {needle:?}", o.log);
}

// ---- an in-process `BlsApp` over the same genesis, driven block by block ----

/// The genesis `app_state` of [`genesis`] as JSON (auth params and alice's funds), for
/// `InitChain` of a whole app.
pub fn app_state_json() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "auth": {"params": {
            "max_memo_characters": MAX_MEMO.to_string(), "tx_sig_limit": "7",
            "tx_size_cost_per_byte": "10", "sig_verify_cost_secp256k1": "1000",
            "min_gas_price": "0.025", "max_tx_bytes": MAX_TX_BYTES.to_string(),
            "max_gas_per_tx": MAX_GAS.to_string()}},
        "bank": {"balances": [
            {"address": alice().addr.to_string(), "coins": [{"denom": "ubls", "amount": ALICE_FUNDS.to_string()}]}
        ]},
    }))
    .expect("json")
}

/// An app on an in-memory store after `InitChain` of [`app_state_json`] at `initial_height`.
pub fn start_app(initial_height: i64) -> bls_app::abci::BlsApp {
    let mut app =
        bls_app::abci::BlsApp::with_store(bls_app::store::Store::open_in_memory().expect("store"));
    app.init_chain(tendermint_proto::v0_38::abci::RequestInitChain {
        chain_id: CHAIN_ID.into(),
        app_state_bytes: app_state_json().into(),
        initial_height,
        ..Default::default()
    })
    .expect("init chain");
    app
}

/// Runs one block with `txs` (all must succeed), commits it, returns its app hash.
pub fn commit_block(app: &mut bls_app::abci::BlsApp, height: i64, txs: Vec<Vec<u8>>) -> Vec<u8> {
    let r = app
        .finalize_block(tendermint_proto::v0_38::abci::RequestFinalizeBlock {
            txs: txs.into_iter().map(Into::into).collect(),
            height,
            hash: vec![height as u8; 32].into(),
            ..Default::default()
        })
        .expect("finalize");
    for t in &r.tx_results {
        assert_eq!(t.code, 0, "tx failed: {}", t.log);
    }
    app.commit().expect("commit");
    r.app_hash.to_vec()
}

/// A signed send of `amount` from alice to carol against `app`'s committed state.
pub fn send_to_carol(app: &bls_app::abci::BlsApp, amount: u128) -> Vec<u8> {
    let snap = app.store().snapshot().expect("snapshot");
    send_tx(&snap, &alice(), &carol(), amount)
}

/// Runs every `(name, raw tx, code, log needle)` through CheckTx and DeliverTx at height 2 and
/// asserts each is refused with that code and words, in the `sdk` codespace, with no data, and
/// leaves `store` exactly as it was.
pub fn assert_refused_and_unchanged(
    p: &TxPipeline<'_>,
    store: &mut MockStorage,
    cases: &[(&str, Vec<u8>, u32, String)],
) {
    let before = dump(store);
    for (name, raw, code, needle) in cases {
        for deliver in [false, true] {
            let o = if deliver {
                p.deliver_tx(store, &block(2), raw)
            } else {
                p.check_tx(store, &block(2), raw)
            };
            assert_eq!(o.code, *code, "{name} (deliver={deliver}): {o:?}");
            assert!(
                o.log.contains(needle.as_str()),
                "{name}: log {:?} lacks {needle:?}",
                o.log
            );
            assert_eq!(o.codespace, "sdk", "{name}");
            assert!(o.data.is_empty(), "{name}");
            assert_eq!(
                dump(store),
                before,
                "{name} (deliver={deliver}) changed state"
            );
        }
    }
}
