//! The mistakes a newcomer makes, each with a message naming the fix, and the translation of
//! library errors (unreachable node, unknown key, unfunded account) into them.

use std::path::PathBuf;

use bls_client::rpc::RpcError;
use bls_client::{KeyringError, SendError};

/// Where a devnet keeps its funded `alice` key (scripts/devnet's default `DEVNET_DIR`, in the
/// unencrypted `test` backend).
const DEVNET_KEYRING_HINT: &str = ".devnet/node/keyring --keyring-backend test";

/// A `bls` error that says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Nothing answered at the node URL.
    #[error("cannot reach the node at {url}: start a devnet with ./scripts/devnet (or point --node / BLS_NODE at a running node) [{detail}]")]
    NodeUnreachable {
        /// The node URL.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The keyring has no keys at all.
    #[error("no keyring at {} (no keys yet): create one with `bls keys add NAME` or `blsd keys add NAME`, then pass --from NAME", dir.display())]
    NoKeyring {
        /// Keyring directory.
        dir: PathBuf,
    },
    /// `--from` names a key the keyring does not have.
    #[error("no key named {name:?} in {}: create one with `bls keys add {name}` or `blsd keys add {name}`{}", dir.display(), known_keys(known))]
    NoSuchKey {
        /// The name asked for.
        name: String,
        /// Keyring directory.
        dir: PathBuf,
        /// Names that do exist.
        known: Vec<String>,
    },
    /// A signing command without `--from`.
    #[error("no signer: pass --from KEY or set BLS_FROM{}", known_keys(known))]
    NoSigner {
        /// Names in the keyring.
        known: Vec<String>,
    },
    /// The signer has no coins (or no account yet).
    #[error("account {address} has no funds: fund {address}: on a devnet, `blsd tx bank send alice {address} 100000000ubls --keyring-dir {DEVNET_KEYRING_HINT} --node {node} --yes --wait`{}", detail.as_deref().map(|d| format!(" [{d}]")).unwrap_or_default())]
    NoFunds {
        /// The unfunded address.
        address: String,
        /// The node URL.
        node: String,
        /// What the chain said, when it refused a tx.
        detail: Option<String>,
    },
    /// No `bls.toml` in the directory or its parents.
    #[error("{} is not in a function project (no bls.toml here or in a parent directory): create one with `bls function init NAME`, or pass --dir PROJECT_DIR", dir.display())]
    NotAProject {
        /// Where the search started.
        dir: PathBuf,
    },
    /// `bls.toml` does not parse or breaks a rule.
    #[error("bad manifest {}: {detail}", path.display())]
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// Which key and what is allowed.
        detail: String,
    },
    /// The Rust toolchain lacks the guest target.
    #[error("the Rust target wasm32-wasip1 is not installed (no {}): add it with `rustup target add wasm32-wasip1` (or run ./scripts/install)", missing.display())]
    TargetMissing {
        /// The directory that should exist.
        missing: PathBuf,
    },
    /// `rustc` could not be run at all.
    #[error("cannot run `{rustc}` ({detail}): install Rust with rustup (https://rustup.rs), then `rustup target add wasm32-wasip1`")]
    NoRust {
        /// The compiler command.
        rustc: String,
        /// Why it failed.
        detail: String,
    },
    /// The guest SDK could not be located for `function init`.
    #[error("cannot find the bls guest SDK (contracts/sdk of a bls checkout){}: pass --sdk-path PATH/TO/contracts/sdk or set BLS_SDK_PATH", tried.as_ref().map(|t| format!("; {} is not it", t.display())).unwrap_or_default())]
    SdkNotFound {
        /// A path that was given but is not the SDK.
        tried: Option<PathBuf>,
    },
    /// `function init` into a directory that already has files.
    #[error("{} already exists and is not empty: pick another NAME or pass --dir NEW_DIR", dir.display())]
    DirNotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// A project name cargo would not accept.
    #[error("invalid function name {0:?}: use 1-64 characters from a-z A-Z 0-9 _ -, starting with a letter")]
    BadName(String),
    /// `function run`/`deploy` before the code was built.
    #[error("no WASM at {}: build it with `bls function build`", path.display())]
    NotBuilt {
        /// The expected artifact.
        path: PathBuf,
    },
    /// `--fast` without a head URL.
    #[error("no head worker for --fast: pass --head URL or set BLS_HEAD to a head worker's API (a bls-worker started with --role head and --head-listen ADDR), or invoke without --fast to go through the chain")]
    NoHead,
    /// Nothing answered at the head URL.
    #[error("cannot reach the head worker at {url}: check --head / BLS_HEAD points at a running head's API (bls-worker --head-listen), or invoke without --fast to go through the chain [{detail}]")]
    HeadUnreachable {
        /// The head URL.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// The head refused payment (HTTP 402).
    #[error("the head refused to serve {address}: {reason}: top up the fast-path deposit with `bls account deposit AMOUNT --from {address} --yes{flags}` (see it with `bls account --from {address}{flags}`), or raise --max-fee")]
    FastPathUnpaid {
        /// The paying address.
        address: String,
        /// The head's reason.
        reason: String,
        /// Node and keyring flags the suggested commands need (` --node ...`; may be empty).
        flags: String,
    },
    /// `--max-fee` is below what a fast request of the function costs (checked before
    /// sending, with the chain's fee function).
    #[error("--max-fee {max_fee}ubls is below function {function}'s fast-path fee of {fee}ubls (fastpath_fee + timeout_ms × fastpath_price_per_second / 1000): raise --max-fee")]
    MaxFeeBelowFastFee {
        /// Function id.
        function: u64,
        /// `--max-fee`, ubls.
        max_fee: u128,
        /// The fee, ubls.
        fee: u128,
    },
    /// The head refused otherwise.
    #[error("the head worker at {url} refused the request (HTTP {status}): {reason}")]
    HeadRefused {
        /// The head URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The head's reason.
        reason: String,
    },
    /// The head's answer proves it lied.
    #[error("the head {head} lied: {lie}. Its signed answer and your signed request are saved in {}: report it with `bls fastpath report-head {}{sign_flags}` (the head is slashed and jailed, your fee refunded if it charged it)", file.display(), file.display())]
    HeadLied {
        /// ` --from ADDRESS --yes` and the node/keyring flags the report needs.
        sign_flags: String,
        /// The head worker.
        head: String,
        /// The lie.
        lie: String,
        /// The evidence file.
        file: PathBuf,
    },
    /// The head's answer cannot be verified (and proves nothing against it).
    #[error("the answer of the head at {url} does not verify, so it is not a result: {reason}. If the head charges for request {request_id} anyway (see `bls fastpath challenge-status {request_id}{node_flags}`), challenge it with `bls fastpath challenge {request_id}{sign_flags}`: it must publish the outcome on chain or be slashed")]
    HeadAnswerUnverified {
        /// ` --from ADDRESS --yes` and the node/keyring flags the challenge needs.
        sign_flags: String,
        /// Node flags the status query needs (may be empty).
        node_flags: String,
        /// The head URL.
        url: String,
        /// Why.
        reason: String,
        /// The request id (hex).
        request_id: String,
    },
    /// The compiler failed.
    #[error("`{tool}` failed for {} (its errors are above)", dir.display())]
    BuildFailed {
        /// The compiler command that failed (`cargo build`, `go build`, `clang`).
        tool: String,
        /// The project.
        dir: PathBuf,
    },
    /// A language's compiler could not be run at all.
    #[error("cannot run `{tool}` ({detail}): {install}")]
    NoCompiler {
        /// The compiler command.
        tool: String,
        /// Why it failed.
        detail: String,
        /// How to install it.
        install: String,
    },
}

fn known_keys(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!(" (keys in the keyring: {})", known.join(", "))
    }
}

/// Rewrites library errors a newcomer can cause into [`CliError`]s that name the fix;
/// other errors pass through unchanged. `node` is the `--node` in use, `signer` the address
/// that signed (if any).
pub fn explain(err: anyhow::Error, node: &str, signer: Option<&str>) -> anyhow::Error {
    if err.downcast_ref::<CliError>().is_some() {
        return err;
    }
    for cause in err.chain() {
        if let Some(RpcError::Unreachable { url, detail }) = cause.downcast_ref::<RpcError>() {
            // Something answers, but not CometBFT's RPC (e.g. blsd's ABCI port): name it.
            if let Some(wrong) = bls_client::chain_error::identify_service(url, detail) {
                return wrong.into();
            }
            return CliError::NodeUnreachable {
                url: url.clone(),
                detail: detail.clone(),
            }
            .into();
        }
        if let Some(RpcError::CheckTx {
            log,
            code,
            codespace,
            ..
        }) = cause.downcast_ref::<RpcError>()
        {
            // The ante handler's (sdk) or the bank's insufficient funds.
            let insufficient = *code == 5 && matches!(codespace.as_str(), "" | "sdk" | "bank");
            if insufficient {
                if let Some(address) = signer.map(str::to_string).or_else(|| first_address(log)) {
                    return CliError::NoFunds {
                        address,
                        node: node.to_string(),
                        detail: Some(log.clone()),
                    }
                    .into();
                }
            }
        }
        if let Some(SendError::AccountNotFound { address }) = cause.downcast_ref::<SendError>() {
            return CliError::NoFunds {
                address: address.clone(),
                node: node.to_string(),
                detail: None,
            }
            .into();
        }
        if let Some(KeyringError::NotFound { name, dir }) = cause.downcast_ref::<KeyringError>() {
            // Listing reads only public fields: any backend lists every key.
            let known = bls_client::Keyring::test(dir)
                .list()
                .map(|ks| ks.into_iter().map(|k| k.name).collect())
                .unwrap_or_default();
            return CliError::NoSuchKey {
                name: name.clone(),
                dir: dir.clone(),
                known,
            }
            .into();
        }
    }
    err
}

/// The first `bls1...` word of a log line.
fn first_address(log: &str) -> Option<String> {
    log.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| w.starts_with("bls1") && w.len() > 30)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_node_names_the_devnet() {
        let e = anyhow::Error::new(RpcError::Unreachable {
            url: "http://127.0.0.1:9".into(),
            detail: "connection refused".into(),
        })
        .context("querying");
        let msg = explain(e, "http://127.0.0.1:9", None).to_string();
        assert!(
            msg.starts_with(
                "cannot reach the node at http://127.0.0.1:9: start a devnet with ./scripts/devnet"
            ),
            "{msg}"
        );
    }

    #[test]
    fn missing_account_becomes_fund_hint() {
        let e = anyhow::Error::new(SendError::AccountNotFound {
            address: "bls1abc".into(),
        });
        let msg = explain(e, "http://n", None).to_string();
        assert!(msg.contains("fund bls1abc: "), "{msg}");
    }

    #[test]
    fn unrelated_errors_pass_through() {
        let msg = explain(anyhow::anyhow!("something else"), "n", None).to_string();
        assert_eq!(msg, "something else");
    }

    #[test]
    fn finds_an_address_in_a_log() {
        let log =
            "insufficient funds: bls1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu has 0ubls, needs 5ubls";
        assert_eq!(
            first_address(log).as_deref(),
            Some("bls1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu")
        );
        assert_eq!(first_address("no address here"), None);
    }
}
