//! JSON shapes of a head worker's HTTP API, shared by the head (`bls-worker`) and its clients
//! (`bls`): the Blockless execute request (`function_id`, `method`, `parameters`,
//! `config.stdin`, `config.env_vars`, `config.number_of_nodes`, `config.threshold`) plus the
//! fields that make a request payable and pin what runs (`invoker`, `invoker_pubkey`, `nonce`,
//! `max_fee`, `code_hash`, `expiry_height`, `time_secs`, `time_nanos`, `signature`,
//! `sign_scheme` — the signed request v2), and the response. `crate::fastpath::signed_body`
//! rebuilds the signed request from a body, for the head and for anyone checking its answer.

use serde::{Deserialize, Serialize};

/// A function id as a number or a decimal string (Blockless clients send strings).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FunctionId {
    /// `1`.
    Num(u64),
    /// `"1"`.
    Str(String),
}

impl FunctionId {
    /// The numeric id.
    pub fn get(&self) -> Option<u64> {
        match self {
            FunctionId::Num(n) => Some(*n),
            FunctionId::Str(s) => s.trim().parse().ok(),
        }
    }
}

/// A Blockless parameter: a bare string or `{"name", "value"}` (the value becomes an arg).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Parameter {
    /// `"x"`.
    Plain(String),
    /// `{"name": "n", "value": "x"}`.
    Named {
        /// Ignored name.
        #[serde(default)]
        name: String,
        /// The arg.
        value: String,
    },
}

/// A Blockless environment variable.
#[derive(Debug, Clone, Deserialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// One request-scoped sealed secret (`config.sealed_env`): its name, the commitment the
/// invoker signed (in the payload hash), and the value sealed to each worker that may run the
/// request (`bls_client::secrets::seal_request_secrets`). The head relays it and cannot read
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSecret {
    /// Environment variable name.
    pub name: String,
    /// Commitment to the salted value, hex of 32 bytes.
    pub commitment: String,
    /// One envelope per worker.
    pub envelopes: Vec<RequestEnvelope>,
}

/// A request secret sealed to one worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    /// The worker.
    pub worker: String,
    /// HPKE encapsulated key, hex of 32 bytes.
    pub enc: String,
    /// Ciphertext, hex.
    pub ciphertext: String,
}

/// `config` of an execute request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExecConfig {
    /// Guest stdin.
    #[serde(default)]
    pub stdin: String,
    /// Extra environment variables, added to the deployed manifest's (which cannot be
    /// overridden); signed as part of the payload hash.
    #[serde(default)]
    pub env_vars: Vec<EnvVar>,
    /// Request-scoped secrets sealed to the workers ([`RequestSecret`]); their names and
    /// commitments are signed as part of the payload hash.
    #[serde(default)]
    pub sealed_env: Vec<RequestSecret>,
    /// Workers to run it on (at least the function's replication).
    #[serde(default)]
    pub number_of_nodes: Option<u32>,
    /// Fraction of nodes that must agree (at least the function's quorum).
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// `POST /api/v1/functions/execute`.
#[derive(Debug, Clone, Deserialize)]
pub struct ExecuteRequest {
    /// Function id.
    pub function_id: FunctionId,
    /// Blockless method (module file); informational, the entry is the manifest's.
    #[serde(default)]
    pub method: String,
    /// Args.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Execution config.
    #[serde(default)]
    pub config: ExecConfig,
    /// Paying account (bech32).
    #[serde(default)]
    pub invoker: String,
    /// Its public key, hex of 33 compressed bytes.
    #[serde(default)]
    pub invoker_pubkey: String,
    /// Request nonce (unique per invoker).
    #[serde(default)]
    pub nonce: u64,
    /// Most it pays for this request, ubls (decimal string).
    #[serde(default)]
    pub max_fee: String,
    /// Hex sha256 of the code the invoker asks to run (the function's deployed code).
    #[serde(default)]
    pub code_hash: String,
    /// Last height at which the request may be served (within `fastpath_request_ttl` of
    /// the tip).
    #[serde(default)]
    pub expiry_height: u64,
    /// Guest clock, seconds since the Unix epoch (clients use the latest block time).
    #[serde(default)]
    pub time_secs: u64,
    /// Nanoseconds part of the guest clock.
    #[serde(default)]
    pub time_nanos: u32,
    /// Hex signature of the request id, as `sign_scheme` says.
    #[serde(default)]
    pub signature: String,
    /// How the request was signed: `direct` (the default: secp256k1 over sha256 of the id),
    /// or a browser wallet's signature of the request text: `adr036` (Keplr),
    /// `personal_sign` (MetaMask), `aptos` (Martian) — `RequestSignScheme`.
    #[serde(default)]
    pub sign_scheme: String,
}

impl ExecuteRequest {
    /// The guest args.
    pub fn args(&self) -> Vec<String> {
        self.parameters
            .iter()
            .map(|p| match p {
                Parameter::Plain(s) => s.clone(),
                Parameter::Named { value, .. } => value.clone(),
            })
            .collect()
    }
}

/// One worker's signature in a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerSig {
    /// Worker id.
    pub worker: String,
    /// Result hash it signed (hex).
    pub result_hash: String,
    /// Signature (hex) over (request id, code hash, result hash).
    pub signature: String,
}

/// The aggregated result. The head signs it: `head_signature` is its signature with its
/// registered result key over the statement made of `request_id`, `code_hash`,
/// `result_hash`, sha256 of the `outcome` bytes, `height`, `function_version`,
/// `subnetwork_height` and `signatures` (`bls_orchestration::fastpath::head::msgs`); the other
/// fields are conveniences derived from those.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecuteResponse {
    /// Blockless-style status code.
    pub code: String,
    /// Request id (hex).
    pub request_id: String,
    /// Function id.
    pub function_id: u64,
    /// Code hash (hex).
    pub code_hash: String,
    /// Quorum result hash (hex).
    pub result_hash: String,
    /// Canonical outcome bytes (hex).
    pub outcome: String,
    /// Guest stdout (lossy UTF-8).
    pub stdout: String,
    /// Guest stderr (lossy UTF-8).
    pub stderr: String,
    /// Exit code (`null` for a trap).
    pub exit_code: Option<i32>,
    /// Fuel used.
    pub fuel_used: u64,
    /// Agreeing workers' signatures (at least the quorum), as the head presents them.
    pub signatures: Vec<WorkerSig>,
    /// Signed results that disagree with the quorum (evidence; not part of the statement).
    pub dissent: Vec<WorkerSig>,
    /// Workers that failed or refused, with why.
    pub failures: Vec<String>,
    /// The head worker that served it (its id).
    #[serde(default)]
    pub head: String,
    /// Chain height of the head's view when it served.
    #[serde(default)]
    pub height: u64,
    /// Version of the function record the head judged the quorum against.
    #[serde(default)]
    pub function_version: u64,
    /// Placement height of the subnetwork the head judged the quorum against.
    #[serde(default)]
    pub subnetwork_height: u64,
    /// The head's signature (hex) over the statement.
    #[serde(default)]
    pub head_signature: String,
}

/// `POST /api/v1/functions/requests/result`.
#[derive(Debug, Clone, Deserialize)]
pub struct ResultRequest {
    /// Request id (hex).
    #[serde(alias = "id")]
    pub request_id: String,
}

/// An error body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Blockless-style status code.
    pub code: String,
    /// Why.
    pub error: String,
}
