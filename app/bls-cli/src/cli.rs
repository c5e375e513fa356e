//! The `bls` command line (clap derive): global options and every subcommand's arguments.

use std::path::PathBuf;

use bls_client::cli::{ClientOpts, KeysCmd};
use bls_client::fee::{GasPrice, DEFAULT_GAS_PRICE};
use clap::{Args, Parser, Subcommand};

/// `bls`: write, run, deploy and invoke bls functions.
#[derive(Parser, Debug)]
#[command(
    name = "bls",
    version,
    about = "Write, run, deploy and invoke bls functions",
    after_help = "A first function:\n  \
        bls keys add dev                      # then fund its address\n  \
        bls function init hello && cd hello\n  \
        bls function run --stdin Ada          # locally, exactly as a worker runs it\n  \
        bls function deploy --from dev        # prints the function id\n  \
        bls function invoke ID --input Ada --wait --from dev"
)]
pub struct Cli {
    /// Node, chain id, keyring and output format.
    #[command(flatten)]
    pub client: ClientOpts,
    /// Key (name, or address of a key in the keyring) that signs and pays.
    #[arg(long, env = "BLS_FROM", global = true)]
    pub from: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub cmd: Command,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create, build, run, deploy and invoke functions.
    #[command(alias = "fn")]
    Function(FunctionCmd),
    /// Show an account's balance (ADDRESS, or the key given with --from).
    Account(AccountArgs),
    /// Manage local keys (the same keyring as `blsd keys`).
    Keys(KeysCmd),
    /// Hold fast-path head workers to account: report a lie, challenge a charge.
    Fastpath(FastpathCmd),
    /// Sell your functions and find others': list with a price per invocation, browse.
    Market(MarketCmd),
}

/// `bls market`.
#[derive(Args, Debug)]
#[command(
    after_help = "Sell a function you deployed (each invocation that ends with an agreed result pays you the price):\n  \
        bls market publish 7 --name Greeter --price 5000ubls --tag demo --license MIT --from dev\n\
    Find one and use it (max_fee covers the price):\n  \
        bls market list --tag demo --sort popularity\n  \
        bls market show 7\n  \
        bls function invoke 7 --input Ada --version 1 --wait --from me"
)]
pub struct MarketCmd {
    /// The market subcommand.
    #[command(subcommand)]
    pub cmd: MarketSub,
}

/// What a listing says (publish; on update, only what is given changes).
#[derive(Args, Debug, Clone, Default)]
pub struct ListingArgs {
    /// Display name (one line, at most 64 bytes).
    #[arg(long)]
    pub name: Option<String>,
    /// What it does (at most 2048 bytes).
    #[arg(long)]
    pub description: Option<String>,
    /// Tag (repeatable; a-z, 0-9, '-'; at most 8). On update, replaces every tag.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// License (an SPDX expression, e.g. MIT).
    #[arg(long)]
    pub license: Option<String>,
    /// Where the source is (https://, http://, ipfs:// or git+https://).
    #[arg(long)]
    pub source: Option<String>,
    /// Price per invocation, e.g. 5000ubls (positive, at most 1000000000000ubls).
    #[arg(long)]
    pub price: Option<String>,
    /// Terms of use.
    #[arg(long)]
    pub terms: Option<String>,
}

/// `bls market` subcommands.
#[derive(Subcommand, Debug)]
pub enum MarketSub {
    /// List a function you own with a price per invocation (--name and --price required).
    Publish {
        /// Function id.
        id: u64,
        /// The listing.
        #[command(flatten)]
        listing: ListingArgs,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Change your listing; what you do not give stays. A new price applies to invocations
    /// made after it (jobs already invoked pay the price they escrowed; fast-path requests
    /// signed before it pay the lower of the two). The price changes at most once per
    /// fastpath_request_ttl + fastpath_settle_window blocks through update.
    Update {
        /// Function id.
        id: u64,
        /// What changes.
        #[command(flatten)]
        listing: ListingArgs,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Remove your listing: later invocations pay no price.
    Unlist {
        /// Function id.
        id: u64,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Browse listings.
    List {
        /// Only listings with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only this owner's (bls1... address).
        #[arg(long)]
        owner: Option<String>,
        /// Only prices at least this, e.g. 1000ubls.
        #[arg(long)]
        min_price: Option<String>,
        /// Only prices at most this.
        #[arg(long)]
        max_price: Option<String>,
        /// Order: id, or popularity (invocations, most first).
        #[arg(long, default_value = "id", value_parser = ["id", "popularity"])]
        sort: String,
        /// By id: start after this function id; by popularity: skip this many.
        #[arg(long)]
        after: Option<u64>,
        /// Page size (at most 100).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one listing with the function's version and figures (invocations, results,
    /// failures, revenue, median latency).
    Show {
        /// Function id.
        id: u64,
    },
}

/// `bls fastpath`.
#[derive(Args, Debug)]
#[command(
    after_help = "When `bls function invoke --fast` says the head lied, it saved the proof:\n  \
        bls fastpath report-head bls-head-answer-XXXX.json --from dev\n\
    When a head charged your deposit for an answer you did not get (or that did not verify):\n  \
        bls fastpath challenge-status REQUEST_ID\n  \
        bls fastpath challenge REQUEST_ID --from dev"
)]
pub struct FastpathCmd {
    /// The fastpath subcommand.
    #[command(subcommand)]
    pub cmd: FastpathSub,
}

/// `bls fastpath` subcommands.
#[derive(Subcommand, Debug)]
pub enum FastpathSub {
    /// Prove on chain that a head lied in a signed answer (FILE: what `invoke --fast` saved,
    /// the signed request and the head's answer). A proven lie slashes and jails the head and
    /// refunds your fee; an answer that proves nothing is refused and costs only the tx fee.
    ReportHead {
        /// The saved answer (JSON: `signed_request`, `answer`).
        file: PathBuf,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Challenge a head's charge for your request: it must publish the outcome on chain
    /// within the challenge window or be slashed and jailed (your fee refunded). Escrows the
    /// chain's challenge deposit: paid to the head if it answers, returned if it does not.
    Challenge {
        /// Request id (64 hex characters, as `invoke --fast` printed it).
        request_id: String,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Show who settled a request, its challenge and the outcome the head published.
    ChallengeStatus {
        /// Request id (64 hex characters).
        request_id: String,
    },
}

/// `bls function`.
#[derive(Args, Debug)]
pub struct FunctionCmd {
    /// The function subcommand.
    #[command(subcommand)]
    pub cmd: FunctionSub,
}

/// Where the project is (`bls.toml` in DIR or a parent).
#[derive(Args, Debug, Clone)]
pub struct DirArg {
    /// Project directory (default: the current directory; parents are searched for bls.toml).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

/// How to build before running or deploying.
#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// Pass --offline to cargo (dependencies must already be in the cargo cache).
    #[arg(long)]
    pub offline: bool,
}

/// Signing options.
#[derive(Args, Debug, Clone)]
pub struct SignArgs {
    /// Broadcast without asking. Needed when stdin is not a terminal (scripts, pipes): there
    /// no prompt can be shown, and the tx is refused before signing without --yes.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Price per gas unit; the tx fee is ceil(gas × price).
    #[arg(long, default_value = DEFAULT_GAS_PRICE)]
    pub gas_prices: GasPrice,
    /// Explicit tx fee (e.g. 5000ubls) instead of gas × --gas-prices.
    #[arg(long)]
    pub fees: Option<String>,
}

/// `bls function` subcommands.
#[derive(Subcommand, Debug)]
pub enum FunctionSub {
    /// Create a Rust function project: Cargo.toml, src/main.rs, bls.toml, .gitignore.
    Init {
        /// Function name (also the cargo package and binary, or the Go module, name).
        name: String,
        /// The language: rust (cargo, the bls-sdk crate of a checkout), go (GOOS=wasip1
        /// GOARCH=wasm, the bls package written into the project), c (clang with wasi-libc,
        /// bls.h written into the project) or assemblyscript (asc and the WASI shim from npm,
        /// assembly/bls.ts written into the project).
        #[arg(long, value_enum, default_value = "rust")]
        lang: crate::project::Lang,
        /// Directory to create (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Rust only: the guest SDK (contracts/sdk of a bls checkout); default:
        /// $BLS_SDK_PATH, else the checkout around the new project, else the one `bls` was
        /// built from, else a copy written into the project (bls-sdk/).
        #[arg(long, conflicts_with = "vendor_sdk")]
        sdk_path: Option<PathBuf>,
        /// Rust only: write a copy of the SDK into the project (bls-sdk/) even next to a
        /// checkout, so the project builds anywhere.
        #[arg(long)]
        vendor_sdk: bool,
    },
    /// Build the function for wasm32-wasip1 with its language's compiler (cargo, go build,
    /// clang, asc); print its path, sizes and code hash.
    Build {
        /// Project.
        #[command(flatten)]
        dir: DirArg,
        /// Build options.
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Build, then run the function locally exactly as a worker would (same runtime, limits
    /// from bls.toml); print the outcome and its result hash.
    Run {
        /// Project.
        #[command(flatten)]
        dir: DirArg,
        /// Input given to the function on stdin.
        #[arg(long, conflicts_with = "input")]
        stdin: Option<String>,
        /// Read the function's input (stdin) from this file.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Invocation argument (repeatable), after bls.toml's args.
        #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
        args: Vec<String>,
        /// Job id as 64 hex chars (seeds the function's randomness; default all zeros).
        #[arg(long, value_name = "HEX")]
        job_id: Option<String>,
        /// Block time (Unix seconds) the function's clock reads.
        #[arg(long, default_value_t = 0)]
        block_time: u64,
        /// Answer this name with these addresses instead of DNS, NAME=IP[,IP...]
        /// (repeatable; a worker's `[http] resolve`), e.g. to point an allowed origin at a
        /// local mock. The answers are still checked.
        #[arg(long = "resolve", value_name = "NAME=IP")]
        resolve: Vec<String>,
        /// Let the function reach this private IP:PORT (repeatable; a worker's
        /// `[http] allow_private`, which only a worker operator can set, never a manifest).
        #[arg(long = "allow-private-http", value_name = "IP:PORT")]
        allow_private_http: Vec<String>,
        /// A function this one may call, as ID=DIR: the function id bls.toml's `calls` names
        /// and the project directory of that function (built too, unless --no-build), run with
        /// its own bls.toml as version 1 (repeatable). On chain the callee is the listed
        /// function with that id, pinned per job.
        #[arg(long = "callee", value_name = "ID=DIR")]
        callees: Vec<String>,
        /// Run the WASM already built; do not build first.
        #[arg(long)]
        no_build: bool,
        /// Build options.
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Build, then deploy the function on chain (signed with --from); print its id.
    Deploy {
        /// Project.
        #[command(flatten)]
        dir: DirArg,
        /// Deploy the WASM already built; do not build first.
        #[arg(long)]
        no_build: bool,
        /// Build options.
        #[command(flatten)]
        build: BuildArgs,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
        /// IPFS options (code over the chain's inline cap always goes through IPFS).
        #[command(flatten)]
        ipfs: bls_client::cli::tx_orchestration::IpfsFlags,
    },
    /// Invoke a deployed function on chain (with --wait print the verified result), or with
    /// --fast through a head worker (paid from your fast-path deposit; the head's signed answer
    /// and the workers' signatures are verified against the chain).
    Invoke {
        /// Function id.
        id: u64,
        /// Input given to the function on stdin.
        #[arg(long, alias = "stdin", conflicts_with = "input_file")]
        input: Option<String>,
        /// File whose bytes are given on stdin.
        #[arg(long, value_name = "FILE")]
        input_file: Option<PathBuf>,
        /// Invocation argument (repeatable), after the manifest's args.
        #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
        args: Vec<String>,
        /// Environment variable for this request (repeatable; --fast only), added to the
        /// manifest's. Names the manifest sets cannot be overridden.
        #[arg(long = "env", value_name = "KEY=VALUE", requires = "fast", value_parser = parse_env_pair)]
        env: Vec<(String, String)>,
        /// Secret for this request only (repeatable; --fast only): sealed on this machine to
        /// the function's workers, so the head relays it without reading it. Arguments are
        /// visible to other users of this machine: prefer --secret-file.
        #[arg(long = "secret", value_name = "NAME=VALUE", requires = "fast")]
        secrets: Vec<String>,
        /// A file of NAME=VALUE lines sealed like --secret.
        #[arg(long, value_name = "FILE", requires = "fast")]
        secret_file: Option<PathBuf>,
        /// Most you pay, e.g. 200000ubls. On chain it is escrowed (the unused part is
        /// refunded) and must cover the job's worst case (base fee + the larger of its fuel
        /// budget's fee and its timeout's fee) plus a listed function's price. Default: what it
        /// costs now, read from the chain (on chain that worst case and price; with --fast the
        /// fast-path fee and price), so a price raised after you signed cannot take more.
        #[arg(long)]
        max_fee: Option<String>,
        /// Wait for the job's result and verify it against the job record.
        #[arg(long)]
        wait: bool,
        /// Seconds to wait for the result with --wait (or for the head's answer with --fast).
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Run it now through a head worker's HTTP API instead of an on-chain job: paid from
        /// the fast-path deposit (`bls account deposit`); the head's signature and the
        /// workers' signatures are verified against the chain before the result is printed.
        #[arg(long)]
        fast: bool,
        /// The head worker's API URL for --fast, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "BLS_HEAD")]
        head: Option<String>,
        /// With --fast: also write the head's signed answer and your signed request to FILE
        /// (the proof `bls fastpath report-head` takes; an answer proving a lie is saved even
        /// without this flag).
        #[arg(long, value_name = "FILE", requires = "fast")]
        save: Option<PathBuf>,
        /// With --fast: blocks after the latest block the signed request stays valid (heads
        /// and workers refuse it afterwards). Default: 100 or half the chain's fastpath_request_ttl,
        /// whichever is smaller; at most the chain's
        /// fastpath_request_ttl.
        #[arg(long, value_name = "BLOCKS", requires = "fast")]
        expires_in: Option<u64>,
        /// The function version you tested with: refused once the function runs another (on
        /// chain; with --fast the request pins the code itself).
        #[arg(long, conflicts_with = "fast")]
        version: Option<u64>,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// List deployed functions.
    List {
        /// Only functions of this owner address.
        #[arg(long, conflicts_with = "mine")]
        owner: Option<String>,
        /// Only functions of the --from key.
        #[arg(long)]
        mine: bool,
        /// Start after this function id (paging).
        #[arg(long)]
        start_after: Option<u64>,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one function: manifest, replication, quorum, status, workers.
    Show {
        /// Function id.
        id: u64,
    },
    /// Retire a function you own: it accepts no new invocations.
    Retire {
        /// Function id.
        id: u64,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Sealed secrets: environment variables only the function's workers can read.
    Secrets {
        /// A secrets action.
        #[command(subcommand)]
        cmd: SecretsSub,
    },
}

/// `bls function secrets` subcommands.
///
/// Values are sealed (HPKE) on this machine to every worker of the function's subnetwork;
/// only envelopes go on chain. Workers that join later get them re-sealed by the others.
/// Nobody can read a value back, the owner included.
#[derive(Subcommand, Debug)]
pub enum SecretsSub {
    /// Set secrets (new or replaced). NAME=VALUE arguments are visible to other users of this
    /// machine (process list, shell history): prefer --from-file.
    Set {
        /// Function id.
        id: u64,
        /// NAME=VALUE pairs.
        #[arg(value_name = "NAME=VALUE")]
        entries: Vec<String>,
        /// A file of NAME=VALUE lines (# comments and blank lines skipped).
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Give existing secrets new values (refused for a name that is not set). Do this after a
    /// worker you no longer trust left the subnetwork: it may remember the old values.
    Rotate {
        /// Function id.
        id: u64,
        /// NAME=VALUE pairs.
        #[arg(value_name = "NAME=VALUE")]
        entries: Vec<String>,
        /// A file of NAME=VALUE lines.
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Remove secrets and every envelope of them.
    Unset {
        /// Function id.
        id: u64,
        /// Names.
        #[arg(required = true)]
        names: Vec<String>,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
    /// List a function's secret names and versions, and which members hold them (never values).
    List {
        /// Function id.
        id: u64,
    },
}

/// `bls account`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AccountArgs {
    /// The bls1... address (default: the --from key's).
    pub address: Option<String>,
    /// An account action.
    #[command(subcommand)]
    pub cmd: Option<AccountSub>,
}

/// `bls account` subcommands.
#[derive(Subcommand, Debug)]
pub enum AccountSub {
    /// Top up the --from key's fast-path deposit (pays for `bls function invoke --fast`).
    Deposit {
        /// Amount, e.g. 1000000ubls (a bare number is ubls).
        amount: String,
        /// Signing options.
        #[command(flatten)]
        sign: SignArgs,
    },
}

/// `KEY=VALUE` of `--env`.
fn parse_env_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_works_for_every_command() {
        fn walk(cmd: &clap::Command, path: &mut Vec<String>, seen: &mut usize) {
            let mut args = path.clone();
            args.push("--help".into());
            let err =
                Cli::try_parse_from(std::iter::once("bls".to_string()).chain(args)).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{path:?}");
            *seen += 1;
            for sub in cmd.get_subcommands() {
                path.push(sub.get_name().to_string());
                walk(sub, path, seen);
                path.pop();
            }
        }
        let mut seen = 0;
        walk(&Cli::command(), &mut Vec::new(), &mut seen);
        assert!(seen >= 15, "only {seen} commands visited");
    }

    #[test]
    fn global_options_work_after_subcommands() {
        let cli = Cli::try_parse_from([
            "bls",
            "function",
            "invoke",
            "7",
            "--input",
            "x",
            "--wait",
            "--from",
            "dev",
            "--output",
            "json",
            "--node",
            "http://127.0.0.1:1",
            "--keyring-dir",
            "/k",
        ])
        .unwrap();
        assert_eq!(cli.from.as_deref(), Some("dev"));
        assert_eq!(cli.client.node, "http://127.0.0.1:1");
        let Command::Function(FunctionCmd {
            cmd: FunctionSub::Invoke {
                id, input, wait, ..
            },
        }) = cli.cmd
        else {
            panic!("expected invoke");
        };
        assert_eq!((id, input.as_deref(), wait), (7, Some("x"), true));
    }

    #[test]
    fn fastpath_commands_parse() {
        let id = "ab".repeat(32);
        let cli =
            Cli::try_parse_from(["bls", "fastpath", "challenge", &id, "--from", "d"]).unwrap();
        let Command::Fastpath(FastpathCmd {
            cmd: FastpathSub::Challenge { request_id, .. },
        }) = cli.cmd
        else {
            panic!("expected fastpath challenge");
        };
        assert_eq!(request_id, id);
        let cli =
            Cli::try_parse_from(["bls", "fastpath", "report-head", "a.json", "--yes"]).unwrap();
        assert!(matches!(
            cli.cmd,
            Command::Fastpath(FastpathCmd {
                cmd: FastpathSub::ReportHead { .. }
            })
        ));
        // --save only with --fast.
        assert!(Cli::try_parse_from(["bls", "function", "invoke", "1", "--save", "x"]).is_err());
        assert!(
            Cli::try_parse_from(["bls", "function", "invoke", "1", "--fast", "--save", "x"])
                .is_ok()
        );
    }

    #[test]
    fn account_takes_an_address_or_a_deposit() {
        let cli =
            Cli::try_parse_from(["bls", "account", "deposit", "5ubls", "--from", "d"]).unwrap();
        let Command::Account(AccountArgs {
            address: None,
            cmd: Some(AccountSub::Deposit { amount, .. }),
        }) = cli.cmd
        else {
            panic!("expected account deposit");
        };
        assert_eq!(amount, "5ubls");
        let cli = Cli::try_parse_from(["bls", "account", "bls1xyz"]).unwrap();
        let Command::Account(AccountArgs {
            address: Some(a),
            cmd: None,
        }) = cli.cmd
        else {
            panic!("expected account ADDRESS");
        };
        assert_eq!(a, "bls1xyz");
    }
}
