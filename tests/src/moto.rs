//! A real S3-compatible server for tests: moto's server mode (`moto_server`, installed by
//! `scripts/install` into a virtualenv) on a free loopback port, with IAM authentication on —
//! after the few unsigned setup actions the test makes, every request must carry a valid AWS
//! Signature Version 4 of a known access key. Killed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;

use crate::net::free_port;
use crate::process::Proc;
use crate::wait_until;

/// Unsigned actions moto allows before it authenticates: [`Moto::s3_user`]'s three IAM
/// actions and [`Moto::create_bucket`].
pub const SETUP_ACTIONS: u32 = 4;

/// The `moto_server` binary: `$MOTO_SERVER_BIN`, then the virtualenv `scripts/install` makes
/// in the checkout (`.tools/moto/bin`), then `$PATH`.
pub fn moto_bin() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("MOTO_SERVER_BIN") {
        return Ok(PathBuf::from(p));
    }
    let venv = crate::worker::repo_root().join(".tools/moto/bin/moto_server");
    if venv.is_file() {
        return Ok(venv);
    }
    crate::process::go_bin("moto_server", "MOTO_SERVER_BIN")
}

/// A running moto server.
pub struct Moto {
    /// Its endpoint, `http://127.0.0.1:<port>`.
    pub url: String,
    proc: Proc,
}

/// A dummy SigV4 header naming `service`: moto routes an unsigned setup request by it.
fn route(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=00"
    )
}

fn xml_field(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

impl Moto {
    /// Starts `moto_server` in `dir` and waits until it answers.
    pub async fn start(dir: &Path, name: &str) -> anyhow::Result<Moto> {
        let port = free_port()?;
        let mut cmd = Command::new(moto_bin()?);
        cmd.args(["-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .env("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_ACTIONS.to_string())
            // Path-style requests only: functions name the server by any host name.
            .env("S3_IGNORE_SUBDOMAIN_BUCKETNAME", "true")
            .current_dir(dir);
        let proc = Proc::spawn(
            &format!("moto-{name}"),
            cmd,
            &dir.join(format!("{name}.log")),
        )?;
        let moto = Moto {
            url: format!("http://127.0.0.1:{port}"),
            proc,
        };
        let api = format!("{}/moto-api/", moto.url);
        let up = wait_until(&format!("moto {name}"), Duration::from_secs(60), || async {
            Ok(reqwest::get(&api)
                .await
                .ok()
                .filter(|r| r.status().is_success()))
        })
        .await;
        up.with_context(|| moto.proc.tail(20))?;
        Ok(moto)
    }

    async fn iam(&self, form: &[(&str, &str)]) -> anyhow::Result<String> {
        let r = reqwest::Client::new()
            .post(format!("{}/", self.url))
            .header("Authorization", route("iam"))
            .form(form)
            .send()
            .await?;
        let status = r.status();
        let text = r.text().await?;
        anyhow::ensure!(status.is_success(), "iam {form:?}: {status} {text}");
        Ok(text)
    }

    /// Creates an IAM user allowed every S3 action and an access key for it (three of the
    /// unsigned setup actions): `(access key id, secret access key)`.
    pub async fn s3_user(&self, name: &str) -> anyhow::Result<(String, String)> {
        let v = ("Version", "2010-05-08");
        self.iam(&[("Action", "CreateUser"), ("UserName", name), v])
            .await?;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        self.iam(&[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "s3"),
            ("PolicyDocument", policy),
            v,
        ])
        .await?;
        let xml = self
            .iam(&[("Action", "CreateAccessKey"), ("UserName", name), v])
            .await?;
        let id = xml_field(&xml, "AccessKeyId").context("no AccessKeyId")?;
        let secret = xml_field(&xml, "SecretAccessKey").context("no SecretAccessKey")?;
        Ok((id, secret))
    }

    /// Creates `bucket` (the last unsigned setup action).
    pub async fn create_bucket(&self, bucket: &str) -> anyhow::Result<()> {
        let r = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.url))
            .header("Authorization", route("s3"))
            .send()
            .await?;
        let status = r.status();
        anyhow::ensure!(
            status.is_success(),
            "create bucket: {status} {}",
            r.text().await?
        );
        Ok(())
    }

    /// Its log's last `n` lines.
    pub fn tail(&self, n: usize) -> String {
        self.proc.tail(n)
    }
}
