//! The client side of `blsd`: `keys`, `tx` and `query` commands (clap derive), mounted by the
//! binary. Flatten [`ClientOpts`] into the global options, build a [`ClientContext`] with
//! [`ClientOpts::context`], and call each command's `run`.

pub mod context;
pub mod gov;
pub mod keys;
pub mod query;
pub mod query_modules;
pub mod staking;
pub mod submit;
pub mod tx;
pub mod tx_orchestration;
pub mod tx_registry;
pub mod units;

pub use context::{ClientContext, ClientOpts, OutputFormat};
pub use keys::KeysCmd;
pub use query::QueryCmd;
pub use submit::TxFlags;
pub use tx::TxCmd;

use clap::Subcommand;

/// All client commands, for a binary that wants to mount them in one go
/// (`#[command(flatten)] Client(ClientCommand)` in its subcommand enum).
// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Clone, Debug)]
pub enum ClientCommand {
    /// Manage local keys.
    Keys(KeysCmd),
    /// Sign and broadcast transactions.
    Tx(TxCmd),
    /// Query chain state.
    #[command(alias = "q")]
    Query(QueryCmd),
}

impl ClientCommand {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        match self {
            ClientCommand::Keys(c) => c.run(ctx).await,
            ClientCommand::Tx(c) => c.run(ctx).await,
            ClientCommand::Query(c) => c.run(ctx).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory as _, Parser};

    /// How `blsd` mounts these commands (global options flattened, commands as subcommands).
    #[derive(Parser, Debug)]
    #[command(name = "blsd")]
    struct TestCli {
        #[command(flatten)]
        opts: ClientOpts,
        #[command(subcommand)]
        cmd: ClientCommand,
    }

    fn parse(args: &[&str]) -> Result<TestCli, clap::Error> {
        TestCli::try_parse_from(std::iter::once("blsd").chain(args.iter().copied()))
    }

    #[test]
    fn clap_definitions_are_consistent() {
        TestCli::command().debug_assert();
    }

    #[test]
    fn help_works_for_every_command() {
        fn walk(cmd: &clap::Command, path: &mut Vec<String>, seen: &mut usize) {
            let mut args: Vec<String> = path.clone();
            args.push("--help".into());
            let err = TestCli::try_parse_from(std::iter::once("blsd".to_string()).chain(args))
                .unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{path:?}");
            *seen += 1;
            for sub in cmd.get_subcommands() {
                path.push(sub.get_name().to_string());
                walk(sub, path, seen);
                path.pop();
            }
        }
        let mut seen = 0;
        walk(&TestCli::command(), &mut Vec::new(), &mut seen);
        assert!(seen > 10, "only {seen} commands visited");
    }

    #[test]
    fn parses_tx_and_query_flags() {
        let cli = parse(&[
            "tx",
            "bank",
            "send",
            "alice",
            "bls1xyz",
            "1000ubls",
            "--gas",
            "250000",
            "--gas-prices",
            "0.1ubls",
            "--yes",
            "--wait",
            "--node",
            "http://127.0.0.1:1",
            "--output",
            "json",
        ])
        .unwrap();
        assert_eq!(cli.opts.node, "http://127.0.0.1:1");
        assert_eq!(cli.opts.output, OutputFormat::Json);
        let ClientCommand::Tx(TxCmd {
            cmd:
                tx::TxSub::Bank {
                    cmd:
                        tx::BankTxSub::Send {
                            from_key, flags, ..
                        },
                },
        }) = cli.cmd
        else {
            panic!("expected bank send");
        };
        assert_eq!(from_key, "alice");
        assert_eq!(flags.gas, crate::fee::GasSetting::Fixed(250_000));
        assert_eq!(flags.gas_prices.to_string(), "0.1ubls");
        assert!(flags.yes && flags.wait);

        assert!(parse(&["tx", "bank", "send", "a", "b", "1ubls", "--gas", "lots"]).is_err());
        assert!(parse(&["tx", "bank", "send", "a", "b", "1ubls", "--gas-prices", "x"]).is_err());
        assert!(parse(&["query", "bank", "balances", "bls1abc", "--denom", "ubls"]).is_ok());
        assert!(parse(&["q", "block-results", "5"]).is_ok());
        assert!(parse(&["query", "block-results", "-5"]).is_err());
        assert!(parse(&["keys", "show", "k", "--address"]).is_ok());
    }

    #[tokio::test]
    async fn keys_commands_run_against_a_temp_keyring() {
        use crate::keyring::{KeyringBackend, PassphraseSource};
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str], backend: KeyringBackend| {
            let cli = parse(args).unwrap();
            let mut ctx = cli.opts.context(None);
            ctx.keyring_dir = dir.path().to_path_buf();
            ctx.keyring_backend = backend;
            ctx.passphrase = PassphraseSource::given("keyring passphrase");
            async move { cli.cmd.run(&ctx).await }
        };
        let test = KeyringBackend::Test;
        run(&["keys", "add", "alice"], test).await.unwrap();
        run(&["keys", "import", "bob", "--mnemonic",
              "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"], test)
            .await
            .unwrap();
        run(&["keys", "list", "--output", "json"], test)
            .await
            .unwrap();
        run(&["keys", "show", "bob", "--address"], test)
            .await
            .unwrap();
        let kr = crate::keyring::Keyring::test(dir.path());
        assert_eq!(kr.list().unwrap().len(), 2);
        // Deleting needs --yes when stdin is not a terminal (as under `cargo test`) ...
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            assert!(run(&["keys", "delete", "alice"], test).await.is_err());
        }
        run(&["keys", "delete", "alice", "--yes"], test)
            .await
            .unwrap();
        assert!(run(&["keys", "show", "alice"], test).await.is_err());
        assert_eq!(kr.list().unwrap().len(), 1);

        // Export bob (unencrypted) and import him into the encrypted backend as carol.
        let exported = dir.path().join("bob.key");
        let pw_file = dir.path().join("export-pw");
        std::fs::write(&pw_file, "export passphrase\n").unwrap();
        let (out, pw) = (exported.to_str().unwrap(), pw_file.to_str().unwrap());
        run(
            &[
                "keys",
                "export",
                "bob",
                "--out",
                out,
                "--export-passphrase-file",
                pw,
            ],
            test,
        )
        .await
        .unwrap();
        // --out never replaces a file.
        assert!(run(
            &[
                "keys",
                "export",
                "bob",
                "--out",
                out,
                "--export-passphrase-file",
                pw
            ],
            test
        )
        .await
        .is_err());
        let file = KeyringBackend::File;
        run(
            &[
                "keys",
                "import",
                "carol",
                out,
                "--export-passphrase-file",
                pw,
            ],
            file,
        )
        .await
        .unwrap();
        let carol = kr.show("carol").unwrap();
        assert_eq!(carol.backend, KeyringBackend::File);
        assert_eq!(carol.address, kr.show("bob").unwrap().address);
        // The test backend refuses to sign with carol; the file backend opens her.
        assert!(kr.get("carol").is_err());
        let enc = crate::keyring::Keyring::file(
            dir.path(),
            PassphraseSource::given("keyring passphrase"),
        );
        assert_eq!(enc.get("carol").unwrap().address().as_str(), carol.address);
        assert!(parse(&["keys", "import", "x", "f", "--mnemonic", "m"]).is_err());
    }

    #[test]
    fn keyring_dir_defaults() {
        let cli = parse(&["keys", "list"]).unwrap();
        let home = std::path::Path::new("/tmp/h");
        // BLS_KEYRING may be set in the environment; only check the home rule when it is not.
        if std::env::var_os("BLS_KEYRING").is_none() {
            assert_eq!(
                cli.opts.context(Some(home)).keyring_dir,
                home.join("keyring")
            );
        }
        let cli = parse(&["keys", "list", "--keyring-dir", "/x"]).unwrap();
        assert_eq!(
            cli.opts.context(Some(home)).keyring_dir,
            std::path::PathBuf::from("/x")
        );
    }
}
