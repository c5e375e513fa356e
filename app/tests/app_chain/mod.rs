//! An in-process chain at the app level: [`BlsApp`] over an in-memory store, started with the
//! InitChain CometBFT would send for a genesis document, one FinalizeBlock + Commit per block,
//! and txs signed for real (bls-client's `TxBuilder`, SIGN_MODE_DIRECT). Gas fees, the ante,
//! every module's hooks and the tx pipeline all run as on a node.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;

use base64::Engine;
use bls_app::abci::app::AppError;
use bls_app::abci::BlsApp;
use bls_app::store::{CommittedView, Store};
use bls_client::keys::KeyPair;
use bls_client::tx::TxBuilder;
use bls_core::{Address, Coin, Coins};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::v0_38::abci::{
    CommitInfo, ExecTxResult, Misbehavior, MisbehaviorType, RequestFinalizeBlock,
    ResponseFinalizeBlock, Validator, VoteInfo,
};

/// Genesis time of every test chain (Unix seconds).
pub const GENESIS_TIME: i64 = 1_800_000_000;

/// A deterministic test key (`n` ≥ 1).
pub fn key(n: u8) -> KeyPair {
    let mut secret = [n; 32];
    secret[0] = 0x11;
    KeyPair::from_secret_bytes(&secret).expect("valid scalar")
}

/// A distinct 32-byte "ed25519" consensus key per `n` (CometBFT accepts any 32 bytes).
pub fn consensus_key(n: u8) -> [u8; 32] {
    let mut k = [n; 32];
    k[0] = 0xED;
    k
}

/// CometBFT's consensus address of a consensus key: sha256(key)[..20].
pub fn consensus_address(key: &[u8]) -> Vec<u8> {
    Sha256::digest(key)[..20].to_vec()
}

/// A CometBFT genesis document: `app_state`, genesis validators (power 10 each) and, when
/// given, the evidence window (`max_age_num_blocks`, `max_age_duration` in seconds).
pub fn genesis_doc(
    chain_id: &str,
    app_state: Value,
    validators: &[[u8; 32]],
    evidence: Option<(u64, u64)>,
) -> Value {
    let b64 = |k: &[u8]| base64::engine::general_purpose::STANDARD.encode(k);
    let mut doc = json!({
        "genesis_time": "2027-01-15T08:00:00Z",
        "chain_id": chain_id,
        "initial_height": "1",
        "validators": validators.iter().map(|k| json!({
            "address": hex::encode_upper(consensus_address(k)),
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(k)},
            "power": "10",
            "name": "genesis",
        })).collect::<Vec<_>>(),
        "app_state": app_state,
    });
    if let Some((blocks, secs)) = evidence {
        doc["consensus_params"] = json!({"evidence": {
            "max_age_num_blocks": blocks.to_string(),
            "max_age_duration": (u128::from(secs) * 1_000_000_000).to_string(),
            "max_bytes": "1048576",
        }});
    }
    doc
}

/// Adds `amount` ubls to `addr` in `app_state` (as `blsd genesis add-account` does).
pub fn fund(app_state: &mut Value, addr: &Address, amount: u128) {
    let coins = Coins::from_coins([Coin::ubls(amount)]).expect("coins");
    bls_app::cli::genesis::add_balance(app_state, addr, &coins).expect("add balance");
}

/// The chain.
pub struct AppChain {
    /// The application.
    pub app: BlsApp,
    /// Chain id.
    pub chain_id: String,
    /// Last committed height (0 before the first block).
    pub height: u64,
    /// Time of the last block (Unix seconds).
    pub time_secs: i64,
    /// Seconds between blocks.
    pub block_secs: i64,
    /// Gas limit of every signed tx.
    pub gas_limit: u64,
    /// Fee of every signed tx (ubls): `gas_limit` × the devnet's 0.025 ubls/gas.
    pub fee: u128,
    /// Txs signed per signer since the last block (their sequences are ahead of state).
    signed: BTreeMap<Address, u64>,
}

impl AppChain {
    /// Runs InitChain for genesis document `doc` (through the same conversion
    /// `blsd genesis validate` uses, i.e. what CometBFT would send).
    pub fn start(doc: &Value) -> Result<Self, AppError> {
        let request = bls_app::cli::genesis_doc::init_chain_request(doc)
            .map_err(|e| AppError::Genesis(e.to_string()))?;
        let mut app = BlsApp::with_store(Store::open_in_memory().expect("in-memory store"));
        app.init_chain(request)?;
        let gas_limit = 2_000_000;
        Ok(Self {
            app,
            chain_id: doc["chain_id"].as_str().unwrap_or_default().to_string(),
            height: 0,
            time_secs: GENESIS_TIME,
            block_secs: 1,
            gas_limit,
            fee: u128::from(gas_limit) / 40,
            signed: BTreeMap::new(),
        })
    }

    /// The committed state.
    pub fn view(&self) -> CommittedView<'_> {
        self.app.store().snapshot().expect("snapshot")
    }

    /// `addr`'s ubls balance.
    pub fn balance(&self, addr: &Address) -> u128 {
        bls_bank::keeper::balance(&self.view(), addr, bls_core::DENOM).expect("balance")
    }

    /// Total ubls supply.
    pub fn supply(&self) -> u128 {
        bls_bank::keeper::supply_of(&self.view(), bls_core::DENOM).expect("supply")
    }

    /// Total ubls burned since genesis.
    pub fn burned(&self) -> u128 {
        bls_bank::keeper::burned_of(&self.view(), bls_core::DENOM).expect("burned")
    }

    /// Signs `msgs` as one tx from `key`, with the next sequence (counting txs already signed
    /// for the coming block).
    pub fn sign(&mut self, key: &KeyPair, msgs: Vec<Any>) -> Vec<u8> {
        let (account_number, sequence) = self.account(key.address());
        let pending = self.signed.entry(key.address().clone()).or_insert(0);
        let sequence = sequence + *pending;
        *pending += 1;
        TxBuilder::new(self.chain_id.clone(), account_number, sequence)
            .messages(msgs)
            .fee(Coins::from_coins([Coin::ubls(self.fee)]).expect("fee"))
            .gas_limit(self.gas_limit)
            .sign(key)
            .expect("sign")
            .bytes
    }

    /// `addr`'s (account number, sequence) in the state the next block runs on.
    pub fn account(&self, addr: &Address) -> (u64, u64) {
        if let Some(a) = bls_auth::get_account(&self.view(), addr).expect("account readable") {
            return (a.account_number, a.sequence);
        }
        // Before the first block the genesis writes are staged, not committed: read them
        // through the app's export, which sees staged state.
        let g = self.app.export_genesis().expect("export");
        let number = |v: &Value| match v {
            Value::String(s) => s.parse::<u64>().expect("number"),
            v => v.as_u64().unwrap_or(0),
        };
        g["auth"]["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["address"].as_str() == Some(addr.as_str()))
            .map(|a| (number(&a["account_number"]), number(&a["sequence"])))
            .unwrap_or_else(|| panic!("{addr} has no account"))
    }

    /// Every balance in the committed state, by (address, denom).
    pub fn holdings(&self) -> Holdings {
        bls_bank::keeper::every_balance(&self.view())
            .expect("balances")
            .into_iter()
            .map(|(a, c)| ((a.to_string(), c.denom), c.amount))
            .collect()
    }

    /// Executes and commits the next block with `txs`.
    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> ResponseFinalizeBlock {
        self.block_with(txs, Vec::new(), Vec::new())
    }

    /// Executes and commits the next block with `txs`, double-sign evidence against the
    /// given consensus keys (offence height, offence time), and the given voters in the
    /// decided last commit (all signed).
    pub fn block_with(
        &mut self,
        txs: Vec<Vec<u8>>,
        misbehavior: Vec<(Vec<u8>, u64, i64)>,
        voters: Vec<Vec<u8>>,
    ) -> ResponseFinalizeBlock {
        let misbehavior = misbehavior
            .into_iter()
            .map(|(key, at, secs)| misbehavior_of(MisbehaviorType::DuplicateVote, &key, at, secs))
            .collect();
        self.block_with_misbehavior(txs, misbehavior, voters)
    }

    /// [`AppChain::block_with`] with CometBFT's misbehavior records as given.
    pub fn block_with_misbehavior(
        &mut self,
        txs: Vec<Vec<u8>>,
        misbehavior: Vec<Misbehavior>,
        voters: Vec<Vec<u8>>,
    ) -> ResponseFinalizeBlock {
        let height = self.height + 1;
        let time = self.time_secs + self.block_secs;
        let hash = Sha256::digest(format!("{}/{height}", self.chain_id)).to_vec();
        let request = RequestFinalizeBlock {
            txs: txs.into_iter().map(Into::into).collect(),
            decided_last_commit: Some(CommitInfo {
                round: 0,
                votes: voters
                    .into_iter()
                    .map(|key| VoteInfo {
                        validator: Some(Validator {
                            address: consensus_address(&key).into(),
                            power: 10,
                        }),
                        block_id_flag: 2,
                    })
                    .collect(),
            }),
            misbehavior,
            hash: hash.into(),
            height: i64::try_from(height).expect("height"),
            time: Some(Timestamp {
                seconds: time,
                nanos: 0,
            }),
            next_validators_hash: Default::default(),
            proposer_address: Default::default(),
        };
        let response = self.app.finalize_block(request).expect("finalize block");
        self.app.commit().expect("commit");
        self.height = height;
        self.time_secs = time;
        self.signed.clear();
        response
    }

    /// Signs `msgs` from `key` and runs them alone in the next block; returns the tx result.
    pub fn exec(&mut self, key: &KeyPair, msgs: Vec<Any>) -> ExecTxResult {
        let tx = self.sign(key, msgs);
        let mut r = self.block(vec![tx]);
        r.tx_results.remove(0)
    }

    /// Runs empty blocks until the last committed height is `height`.
    pub fn advance_to(&mut self, height: u64) {
        while self.height < height {
            self.block(Vec::new());
        }
    }
}

/// The first event of `kind` in a block or tx result, as attribute map.
pub fn event(
    events: &[tendermint_proto::v0_38::abci::Event],
    kind: &str,
) -> Option<BTreeMap<String, String>> {
    events.iter().find(|e| e.r#type == kind).map(|e| {
        e.attributes
            .iter()
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect()
    })
}

/// CometBFT's record of misbehavior of `kind` by the validator with consensus key `key`,
/// at offence height `at` and time `secs`, as FinalizeBlock carries it.
pub fn misbehavior_of(kind: MisbehaviorType, key: &[u8], at: u64, secs: i64) -> Misbehavior {
    Misbehavior {
        r#type: kind as i32,
        validator: Some(Validator {
            address: consensus_address(key).into(),
            power: 10,
        }),
        height: i64::try_from(at).expect("height"),
        time: Some(Timestamp {
            seconds: secs,
            nanos: 0,
        }),
        total_voting_power: 10,
    }
}

/// Balances by (address, denom).
pub type Holdings = BTreeMap<(String, String), u128>;

/// What a block's coin events say happened: per (address, denom), `coin_received` minus
/// `coin_spent`; per denom, what `burn` events destroyed.
#[derive(Debug, Default)]
pub struct CoinFlow {
    /// Net change per (address, denom) the events describe.
    pub deltas: BTreeMap<(String, String), i128>,
    /// Burned per denom.
    pub burned: BTreeMap<String, u128>,
    /// Coin events seen (`coin_spent` + `coin_received` + `burn`).
    pub events: usize,
    /// Every address a coin event named.
    pub named: std::collections::BTreeSet<String>,
}

impl CoinFlow {
    /// Adds another block's flow to this one.
    pub fn add(&mut self, other: &CoinFlow) {
        for (k, d) in &other.deltas {
            *self.deltas.entry(k.clone()).or_default() += d;
        }
        for (denom, b) in &other.burned {
            *self.burned.entry(denom.clone()).or_default() += b;
        }
        self.events += other.events;
        self.named.extend(other.named.iter().cloned());
    }
}

/// Reads the coin events of a block: begin/end block and every tx result (a refused tx keeps
/// its fee payment, so its events count too).
pub fn coin_flow(r: &ResponseFinalizeBlock) -> Result<CoinFlow, String> {
    let mut flow = CoinFlow::default();
    let all = r
        .events
        .iter()
        .chain(r.tx_results.iter().flat_map(|t| t.events.iter()));
    for e in all {
        let attr = |k: &str| {
            e.attributes
                .iter()
                .find(|a| a.key == k)
                .map(|a| a.value.clone())
                .ok_or_else(|| format!("{} event without {k}", e.r#type))
        };
        let (who, sign) = match e.r#type.as_str() {
            bls_bank::events::COIN_SPENT => (attr("spender")?, -1i128),
            bls_bank::events::COIN_RECEIVED => (attr("receiver")?, 1),
            bls_bank::events::BURN => (String::new(), 0),
            _ => continue,
        };
        flow.events += 1;
        if !who.is_empty() {
            flow.named.insert(who.clone());
        }
        let coins = Coins::parse(&attr("amount")?).map_err(|e| format!("event amount: {e}"))?;
        for c in coins.to_vec() {
            if sign == 0 {
                *flow.burned.entry(c.denom).or_default() += c.amount;
                continue;
            }
            let amount = i128::try_from(c.amount).map_err(|_| "amount overflows i128")?;
            *flow.deltas.entry((who.clone(), c.denom)).or_default() += sign * amount;
        }
    }
    Ok(flow)
}

/// Checks that `flow` accounts for every balance change from `before` to `after` (no coin
/// moved without its `coin_spent` / `coin_received`), that the events balance to zero but for
/// burns, and that the burns are exactly what left the ubls supply.
pub fn check_coin_events(
    before: &Holdings,
    after: &Holdings,
    supply_change: i128,
    flow: &CoinFlow,
) -> Result<(), String> {
    let mut keys: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.extend(flow.deltas.keys());
    keys.sort();
    keys.dedup();
    for k in keys {
        let was = i128::try_from(before.get(k).copied().unwrap_or(0)).map_err(|e| e.to_string())?;
        let is = i128::try_from(after.get(k).copied().unwrap_or(0)).map_err(|e| e.to_string())?;
        let said = flow.deltas.get(k).copied().unwrap_or(0);
        if is - was != said {
            return Err(format!(
                "{} {}: balance changed by {} but its coin events say {said}",
                k.0,
                k.1,
                is - was
            ));
        }
    }
    let mut net: BTreeMap<&str, i128> = BTreeMap::new();
    for ((_, denom), d) in &flow.deltas {
        *net.entry(denom).or_default() += d;
    }
    for (denom, burned) in &flow.burned {
        *net.entry(denom).or_default() += i128::try_from(*burned).map_err(|e| e.to_string())?;
    }
    if let Some((denom, n)) = net.iter().find(|(_, n)| **n != 0) {
        return Err(format!(
            "coin events of {denom} do not balance: received - spent + burned = {n}"
        ));
    }
    let burned = i128::try_from(flow.burned.get(bls_core::DENOM).copied().unwrap_or(0))
        .map_err(|e| e.to_string())?;
    if supply_change != -burned {
        return Err(format!(
            "supply changed by {supply_change} but burn events say {burned} burned"
        ));
    }
    Ok(())
}
