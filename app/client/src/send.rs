//! Sending transactions: look up the signer's account, estimate gas, sign, broadcast, wait.
//! [`TrackedSender`] keeps the sequence locally for long-running signers (the worker).

use std::future::Future;
use std::time::Duration;

use bls_core::{Address, Coins};
use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::Any;

use crate::fee::{adjusted_gas, Decimal, FeeError, GasPrice, GasSetting};
use crate::keys::KeyPair;
use crate::rpc::{RpcClient, RpcError, TxResult};
use crate::tx::{SignedTx, TxBuilder, TxError};

/// Default time to wait for a broadcast tx to land in a block.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The Cosmos SDK's `ErrWrongSequence` code (codespace `sdk`).
pub const CODE_WRONG_SEQUENCE: u32 = 32;

/// Errors from sending a transaction.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Talking to the node failed (includes CheckTx rejections and timeouts).
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The tx could not be built.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// Gas or fee arithmetic failed.
    #[error(transparent)]
    Fee(#[from] FeeError),
    /// The signer has no account: it has never received funds.
    #[error("account {address} does not exist on chain yet: fund it first, e.g. `blsd tx bank send <funded-key> {address} 1000000ubls`")]
    AccountNotFound {
        /// The signer's address.
        address: String,
    },
    /// The tx was included but failed (non-zero DeliverTx code).
    #[error("transaction {hash} failed at height {height} (code {code}, codespace {codespace:?}): {log}")]
    Failed {
        /// Tx hash.
        hash: String,
        /// Block height.
        height: u64,
        /// ABCI code.
        code: u32,
        /// Codespace.
        codespace: String,
        /// The application's log.
        log: String,
    },
}

impl SendError {
    /// True when the node rejected the tx (or its simulation) for a wrong sequence.
    pub fn is_sequence_mismatch(&self) -> bool {
        match self {
            SendError::Rpc(RpcError::CheckTx {
                code,
                codespace,
                log,
                ..
            })
            | SendError::Rpc(RpcError::Query {
                code,
                codespace,
                log,
                ..
            })
            | SendError::Failed {
                code,
                codespace,
                log,
                ..
            } => is_sequence_mismatch(codespace, *code, log),
            _ => false,
        }
    }
}

/// Whether an ABCI error means "wrong account sequence".
pub fn is_sequence_mismatch(codespace: &str, code: u32, log: &str) -> bool {
    let sdk_code = code == CODE_WRONG_SEQUENCE && (codespace.is_empty() || codespace == "sdk");
    sdk_code
        || log.contains("account sequence mismatch")
        || log.contains("incorrect account sequence")
}

/// How to pay for and wait on a transaction.
#[derive(Clone, Debug)]
pub struct TxOptions {
    /// Chain id; `None` reads it from the node's status.
    pub chain_id: Option<String>,
    /// Gas limit or `auto` (simulate × `gas_adjustment`).
    pub gas: GasSetting,
    /// Multiplier on simulated gas.
    pub gas_adjustment: Decimal,
    /// Price per gas unit, used when `fees` is `None`.
    pub gas_price: GasPrice,
    /// An explicit fee, overriding `gas_price`.
    pub fees: Option<Coins>,
    /// Memo.
    pub memo: String,
    /// How long [`send_tx`] waits for inclusion.
    pub wait_timeout: Duration,
}

impl Default for TxOptions {
    fn default() -> Self {
        Self {
            chain_id: None,
            gas: GasSetting::Auto,
            gas_adjustment: Decimal::DEFAULT_GAS_ADJUSTMENT,
            gas_price: GasPrice::default(),
            fees: None,
            memo: String::new(),
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
        }
    }
}

/// A tx accepted into the mempool.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Broadcasted {
    /// Tx hash (upper-case hex).
    pub hash: String,
    /// Gas limit it carries.
    pub gas_limit: u64,
    /// Fee it pays.
    pub fee: String,
    /// Sequence it used.
    pub sequence: u64,
}

/// The signer's on-chain numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// Account number (fixed once created).
    pub account_number: u64,
    /// Next sequence to sign with.
    pub sequence: u64,
}

/// Where account numbers and sequences come from (the node; a mock in tests).
pub trait AccountSource {
    /// The account at `addr`, `None` if it does not exist.
    fn account(
        &self,
        addr: &Address,
    ) -> impl Future<Output = Result<Option<BaseAccount>, RpcError>> + Send;
}

impl AccountSource for RpcClient {
    fn account(
        &self,
        addr: &Address,
    ) -> impl Future<Output = Result<Option<BaseAccount>, RpcError>> + Send {
        RpcClient::account(self, addr)
    }
}

/// Fetches the signer's account number and sequence.
pub async fn fetch_account_state(
    source: &impl AccountSource,
    addr: &Address,
) -> Result<AccountState, SendError> {
    match source.account(addr).await? {
        Some(acc) => Ok(AccountState {
            account_number: acc.account_number,
            sequence: acc.sequence,
        }),
        None => Err(SendError::AccountNotFound {
            address: addr.to_string(),
        }),
    }
}

/// Resolves the chain id (from options or the node), gas (simulating when `auto`) and fee,
/// and signs.
pub async fn sign_tx(
    rpc: &RpcClient,
    key: &KeyPair,
    state: AccountState,
    msgs: Vec<Any>,
    opts: &TxOptions,
) -> Result<SignedTx, SendError> {
    let chain_id = match &opts.chain_id {
        Some(c) => c.clone(),
        None => rpc.chain_id().await?,
    };
    let builder = TxBuilder::new(chain_id, state.account_number, state.sequence)
        .messages(msgs)
        .memo(opts.memo.clone());
    let gas = match opts.gas {
        GasSetting::Fixed(g) => g,
        GasSetting::Auto => {
            let used = rpc.simulate(builder.simulation_bytes(key)?).await?;
            adjusted_gas(used, &opts.gas_adjustment)?
        }
    };
    let fee = match &opts.fees {
        Some(f) => f.clone(),
        None => {
            Coins::from_coins([opts.gas_price.fee_for(gas)?]).map_err(|_| FeeError::Overflow)?
        }
    };
    Ok(builder.gas_limit(gas).fee(fee).sign(key)?)
}

async fn sign_and_broadcast(
    rpc: &RpcClient,
    key: &KeyPair,
    state: AccountState,
    msgs: Vec<Any>,
    opts: &TxOptions,
) -> Result<Broadcasted, SendError> {
    let signed = sign_tx(rpc, key, state, msgs, opts).await?;
    let (gas_limit, fee) = crate::tx::decode_tx(&signed.bytes)
        .ok()
        .and_then(|t| t.auth_info.fee)
        .map(|f| {
            let fee = Coins::from_proto(&f.amount)
                .map(|c| c.to_string())
                .unwrap_or_default();
            (f.gas_limit, fee)
        })
        .unwrap_or_default();
    let hash = rpc.broadcast_tx_sync(signed.bytes).await?;
    Ok(Broadcasted {
        hash,
        gas_limit,
        fee,
        sequence: state.sequence,
    })
}

/// Fetches the account, signs and broadcasts; returns once CheckTx accepted the tx.
pub async fn broadcast_tx(
    rpc: &RpcClient,
    key: &KeyPair,
    msgs: Vec<Any>,
    opts: &TxOptions,
) -> Result<Broadcasted, SendError> {
    let state = fetch_account_state(rpc, key.address()).await?;
    sign_and_broadcast(rpc, key, state, msgs, opts).await
}

/// Fetches the account, simulates, signs, broadcasts and waits for the tx to be in a block.
///
/// A tx that is included but fails is returned as `Ok` with a non-zero `code`; use
/// [`check_result`] to turn that into an error.
pub async fn send_tx(
    rpc: &RpcClient,
    key: &KeyPair,
    msgs: Vec<Any>,
    opts: &TxOptions,
) -> Result<TxResult, SendError> {
    let b = broadcast_tx(rpc, key, msgs, opts).await?;
    Ok(rpc.wait_for_tx(&b.hash, opts.wait_timeout).await?)
}

/// `Ok(result)` when the tx succeeded, [`SendError::Failed`] otherwise.
pub fn check_result(r: TxResult) -> Result<TxResult, SendError> {
    if r.is_ok() {
        Ok(r)
    } else {
        Err(SendError::Failed {
            hash: r.hash,
            height: r.height,
            code: r.code,
            codespace: r.codespace,
            log: r.log,
        })
    }
}

/// Keeps a signer's sequence locally so consecutive txs need no account query and can share
/// a block; refetches after a sequence-mismatch error.
#[derive(Clone, Debug)]
pub struct SequenceTracker {
    address: Address,
    state: Option<AccountState>,
}

impl SequenceTracker {
    /// A tracker for `address` that fetches on first use.
    pub fn new(address: Address) -> Self {
        Self {
            address,
            state: None,
        }
    }

    /// The locally known numbers, if any.
    pub fn state(&self) -> Option<AccountState> {
        self.state
    }

    /// The numbers to sign the next tx with (fetched when unknown).
    pub async fn current(
        &mut self,
        source: &impl AccountSource,
    ) -> Result<AccountState, SendError> {
        if let Some(s) = self.state {
            return Ok(s);
        }
        let s = fetch_account_state(source, &self.address).await?;
        self.state = Some(s);
        Ok(s)
    }

    /// Call after CheckTx accepted a tx: the chain increments the sequence even if the tx
    /// later fails in its block.
    pub fn advance(&mut self) {
        if let Some(s) = &mut self.state {
            s.sequence = s.sequence.saturating_add(1);
        }
    }

    /// Forgets the local numbers; the next [`SequenceTracker::current`] refetches.
    pub fn invalidate(&mut self) {
        self.state = None;
    }

    /// Looks at an error; on a sequence mismatch invalidates and returns true (retry).
    pub fn observe_error(&mut self, e: &SendError) -> bool {
        if e.is_sequence_mismatch() {
            self.invalidate();
            true
        } else {
            false
        }
    }
}

/// A long-running signer: one key, one tracked sequence, retries on sequence mismatch.
#[derive(Debug)]
pub struct TrackedSender {
    rpc: RpcClient,
    key: KeyPair,
    tracker: SequenceTracker,
    opts: TxOptions,
    /// Attempts per tx when the sequence is stale (first try included).
    pub max_attempts: u32,
}

impl TrackedSender {
    /// A sender for `key`; resolves the chain id once if `opts.chain_id` is `None`.
    pub async fn new(rpc: RpcClient, key: KeyPair, mut opts: TxOptions) -> Result<Self, SendError> {
        if opts.chain_id.is_none() {
            opts.chain_id = Some(rpc.chain_id().await?);
        }
        let tracker = SequenceTracker::new(key.address().clone());
        Ok(Self {
            rpc,
            key,
            tracker,
            opts,
            max_attempts: 3,
        })
    }

    /// The signer's address.
    pub fn address(&self) -> &Address {
        self.key.address()
    }

    /// The RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// Signs and broadcasts with the tracked sequence; refetches and retries on mismatch.
    pub async fn broadcast(&mut self, msgs: Vec<Any>) -> Result<Broadcasted, SendError> {
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let state = self.tracker.current(&self.rpc).await?;
            match sign_and_broadcast(&self.rpc, &self.key, state, msgs.clone(), &self.opts).await {
                Ok(b) => {
                    self.tracker.advance();
                    return Ok(b);
                }
                Err(e) => {
                    let retry = self.tracker.observe_error(&e);
                    if !retry || attempt >= self.max_attempts {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// [`TrackedSender::broadcast`] then wait for inclusion.
    pub async fn send(&mut self, msgs: Vec<Any>) -> Result<TxResult, SendError> {
        let b = self.broadcast(msgs).await?;
        match self.rpc.wait_for_tx(&b.hash, self.opts.wait_timeout).await {
            Ok(r) => Ok(r),
            Err(e) => {
                // Not included in time: it may have been dropped, so our sequence may be ahead.
                self.tracker.invalidate();
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct MockChain {
        fetches: AtomicU64,
        sequence: AtomicU64,
        exists: bool,
    }

    impl AccountSource for MockChain {
        fn account(
            &self,
            addr: &Address,
        ) -> impl Future<Output = Result<Option<BaseAccount>, RpcError>> + Send {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let acc = self.exists.then(|| BaseAccount {
                address: addr.to_string(),
                pub_key: None,
                account_number: 4,
                sequence: self.sequence.load(Ordering::SeqCst),
            });
            async move { Ok(acc) }
        }
    }

    fn check_tx_err(codespace: &str, code: u32, log: &str) -> SendError {
        SendError::Rpc(RpcError::CheckTx {
            hash: "AB".into(),
            code,
            codespace: codespace.into(),
            log: log.into(),
        })
    }

    #[tokio::test]
    async fn tracker_advances_locally_and_refetches_on_mismatch() {
        let chain = MockChain {
            fetches: AtomicU64::new(0),
            sequence: AtomicU64::new(10),
            exists: true,
        };
        let mut t = SequenceTracker::new(Address::from_bytes(&[1; 20]));
        let s = t.current(&chain).await.unwrap();
        assert_eq!(
            s,
            AccountState {
                account_number: 4,
                sequence: 10
            }
        );
        t.advance();
        t.advance();
        assert_eq!(t.current(&chain).await.unwrap().sequence, 12);
        assert_eq!(
            chain.fetches.load(Ordering::SeqCst),
            1,
            "no refetch while in sync"
        );

        // An unrelated failure keeps the local sequence.
        assert!(!t.observe_error(&check_tx_err("bank", 5, "insufficient funds")));
        assert!(!t.observe_error(&check_tx_err("registry", 32, "some module error 32")));
        assert_eq!(t.state().unwrap().sequence, 12);

        // The chain moved on (another process used the key): mismatch → refetch.
        chain.sequence.store(20, Ordering::SeqCst);
        assert!(t.observe_error(&check_tx_err(
            "sdk",
            32,
            "account sequence mismatch, expected 20, got 12: incorrect account sequence"
        )));
        assert_eq!(t.state(), None);
        assert_eq!(t.current(&chain).await.unwrap().sequence, 20);
        assert_eq!(chain.fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn mismatch_detection() {
        assert!(is_sequence_mismatch("sdk", 32, ""));
        assert!(is_sequence_mismatch("", 32, ""));
        assert!(is_sequence_mismatch(
            "auth",
            4,
            "incorrect account sequence"
        ));
        assert!(!is_sequence_mismatch("orchestration", 32, "job not found"));
        let q = SendError::Rpc(RpcError::Query {
            path: "/cosmos.tx.v1beta1.Service/Simulate".into(),
            code: 32,
            codespace: "sdk".into(),
            log: "account sequence mismatch".into(),
        });
        assert!(q.is_sequence_mismatch());
        assert!(!SendError::AccountNotFound {
            address: "x".into()
        }
        .is_sequence_mismatch());
    }

    #[tokio::test]
    async fn missing_account_is_a_typed_error() {
        let chain = MockChain {
            fetches: AtomicU64::new(0),
            sequence: AtomicU64::new(0),
            exists: false,
        };
        let mut t = SequenceTracker::new(Address::from_bytes(&[2; 20]));
        let err = t.current(&chain).await.unwrap_err();
        assert!(matches!(err, SendError::AccountNotFound { .. }));
        assert!(err.to_string().contains("blsd tx bank send"));
    }

    #[test]
    fn default_options() {
        let o = TxOptions::default();
        assert_eq!(o.gas_adjustment.to_string(), "1.5");
        assert_eq!(o.gas_price.to_string(), "0.025ubls");
        assert_eq!(o.gas, GasSetting::Auto);
    }

    #[test]
    fn failed_results_become_errors() {
        let mut r = TxResult {
            hash: "H".into(),
            height: 3,
            code: 0,
            codespace: String::new(),
            log: String::new(),
            gas_wanted: 1,
            gas_used: 1,
            events: vec![],
            data: String::new(),
        };
        assert!(check_result(r.clone()).is_ok());
        r.code = 5;
        r.log = "insufficient funds".into();
        let e = check_result(r).unwrap_err();
        assert!(e.to_string().contains("insufficient funds"));
    }
}
