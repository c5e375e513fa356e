//! Executable documentation: the command blocks of a Markdown page, run in order in one shell
//! the way a reader would type them, with the outputs the page shows checked.
//!
//! A fenced block takes part when its info string (the words after the language) says so:
//!
//! - ```` ```sh run ```` — run in the reader's shell (one bash session: `cd` and `export`
//!   carry over); the block must succeed (`set -e -o pipefail`: the first failing command
//!   fails the page). `timeout=SECS` changes the deadline (default 300 s).
//! - ```` ```sh run background until="TEXT" ```` — each command of the block is started in the
//!   background (as if each had a terminal of its own) and the page goes on once TEXT appears
//!   in their output.
//! - ```` ```text output ```` — what the previous `run` block prints (stdout and stderr,
//!   colours stripped). Each shown line must appear, in order; other lines may come between.
//!   Whitespace runs compare equal; a word containing `...` stands for any word with the same
//!   punctuation around it (`bls1gpew...,` matches any address followed by a comma); a lone
//!   `...` stands for any number of words, and a line's last word ending in `...` for the rest
//!   of the line too (`{"result":{"fee":"100000",...` matches a JSON line by its start).
//! - ```` ```toml file=PATH ```` / `append=PATH` — the reader writes (or appends to) PATH, relative
//!   to the shell's current directory, with the block's text.
//!
//! The page runs in private network and process namespaces (`unshare`): documented default
//! ports are free whatever else runs on the machine, and ending the session kills every process
//! the page started.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What a fenced block asks of the test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// Run in the session.
    Run {
        /// Start each command in the background and wait for this text instead.
        background_until: Option<String>,
        /// Deadline.
        timeout: Duration,
    },
    /// Expected output of the previous `Run` block.
    Output,
    /// Write a file (relative to the shell's directory).
    File {
        /// Where.
        path: String,
        /// Append instead of replacing.
        append: bool,
    },
}

/// A marked fenced block of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What to do with it.
    pub kind: BlockKind,
    /// Its text (without the fences).
    pub body: String,
    /// 1-based line of the opening fence (for messages).
    pub line: usize,
}

/// Default deadline of a `run` block.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The marked blocks of `markdown`, in order; unmarked blocks are left out. A marker the test
/// does not know is an error, so a typo cannot silently take a block out of the test.
pub fn parse(markdown: &str) -> anyhow::Result<Vec<Block>> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        let mut body = Vec::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                closed = true;
                break;
            }
            body.push(l.get(indent..).unwrap_or(l.trim_start()));
        }
        anyhow::ensure!(closed, "line {}: fenced block is never closed", i + 1);
        let words = info_words(info).map_err(|e| anyhow::anyhow!("line {}: {e}", i + 1))?;
        if let Some(kind) =
            block_kind(&words).map_err(|e| anyhow::anyhow!("line {}: {e}", i + 1))?
        {
            let mut text = body.join("\n");
            text.push('\n');
            blocks.push(Block {
                kind,
                body: text,
                line: i + 1,
            });
        }
    }
    Ok(blocks)
}

/// The words of an info string after the language; `key="a b"` keeps its spaces.
fn info_words(info: &str) -> anyhow::Result<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in info.trim().chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    anyhow::ensure!(!quoted, "unclosed quote in {info:?}");
    if !current.is_empty() {
        words.push(current);
    }
    // The first word is the language.
    Ok(words.into_iter().skip(1).collect())
}

fn block_kind(words: &[String]) -> anyhow::Result<Option<BlockKind>> {
    let mut attrs: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for w in words {
        match w.split_once('=') {
            Some((k, v)) => attrs.insert(k, Some(v)),
            None => attrs.insert(w.as_str(), None),
        };
    }
    if attrs.is_empty() {
        return Ok(None);
    }
    fn take<'a>(attrs: &mut BTreeMap<&str, Option<&'a str>>, key: &str) -> Option<Option<&'a str>> {
        attrs.remove(key)
    }
    let kind = if take(&mut attrs, "run").is_some() {
        let background = take(&mut attrs, "background").is_some();
        let until = take(&mut attrs, "until").flatten().map(str::to_string);
        anyhow::ensure!(
            background == until.is_some(),
            "`background` needs `until=\"TEXT\"` (and `until` needs `background`)"
        );
        let timeout = match take(&mut attrs, "timeout").flatten() {
            Some(s) => Duration::from_secs(
                s.parse()
                    .map_err(|_| anyhow::anyhow!("bad timeout {s:?}"))?,
            ),
            None => DEFAULT_TIMEOUT,
        };
        BlockKind::Run {
            background_until: until,
            timeout,
        }
    } else if take(&mut attrs, "output").is_some() {
        BlockKind::Output
    } else if let Some(path) = take(&mut attrs, "file") {
        BlockKind::File {
            path: path
                .ok_or_else(|| anyhow::anyhow!("`file` needs a path: file=PATH"))?
                .to_string(),
            append: false,
        }
    } else if let Some(path) = take(&mut attrs, "append") {
        BlockKind::File {
            path: path
                .ok_or_else(|| anyhow::anyhow!("`append` needs a path: append=PATH"))?
                .to_string(),
            append: true,
        }
    } else {
        anyhow::bail!(
            "unknown block marker(s) {:?}",
            attrs.keys().collect::<Vec<_>>()
        );
    };
    anyhow::ensure!(
        attrs.is_empty(),
        "unknown block marker(s) {:?}",
        attrs.keys().collect::<Vec<_>>()
    );
    Ok(Some(kind))
}

/// Removes terminal colour sequences (`ESC [ ... m`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Checks that every non-empty line of `expected` appears in `actual`, in order (see the module
/// doc for `...`). The error names the first shown line that is missing.
pub fn check_output(expected: &str, actual: &str) -> Result<(), String> {
    let actual = strip_ansi(actual);
    let actual_lines: Vec<Vec<&str>> = actual
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let mut from = 0;
    for shown in expected.lines() {
        let pattern: Vec<&str> = shown.split_whitespace().collect();
        if pattern.is_empty() {
            continue;
        }
        match (from..actual_lines.len()).find(|&i| words_match(&pattern, &actual_lines[i])) {
            Some(i) => from = i + 1,
            None => {
                return Err(format!(
                    "the output shown as\n    {}\nis not printed (in this order); the actual output was:\n{}",
                    shown.trim(),
                    actual.trim_end()
                ));
            }
        }
    }
    Ok(())
}

fn words_match(pattern: &[&str], words: &[&str]) -> bool {
    match pattern.split_first() {
        None => words.is_empty(),
        Some((&"...", rest)) => (0..=words.len()).any(|skip| words_match(rest, &words[skip..])),
        Some((p, rest)) => match words.split_first() {
            // A last shown word that ends in `...` also stands for the rest of the line.
            Some((w, _)) if rest.is_empty() && p.ends_with("...") => word_matches(p, w),
            Some((w, wrest)) => word_matches(p, w) && words_match(rest, wrest),
            None => false,
        },
    }
}

/// A word of a shown output against a printed word: equal, or, when the shown word contains
/// `...`, the same punctuation before and after (the example value itself may differ).
fn word_matches(shown: &str, printed: &str) -> bool {
    let Some(dots) = shown.find("...") else {
        return shown == printed;
    };
    let before = &shown[..dots];
    let after = &shown[dots + 3..];
    // The example value: the alphanumeric run just before the dots (and any after them).
    let prefix = before.trim_end_matches(|c: char| c.is_alphanumeric());
    let suffix = after.trim_start_matches(|c: char| c.is_alphanumeric());
    printed.len() >= prefix.len() + suffix.len()
        && printed.starts_with(prefix)
        && printed.ends_with(suffix)
}

/// One reader's shell: bash in private network and process namespaces, fed the page's blocks.
pub struct DocSession {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    dir: PathBuf,
    seq: usize,
}

/// The result of one `run` block.
#[derive(Debug)]
pub struct RunOutput {
    /// Everything the block printed (stdout and stderr interleaved).
    pub text: String,
}

impl DocSession {
    /// Starts the shell in `cwd` with exactly `env`, keeping its files in `dir`.
    pub fn start(
        cwd: &Path,
        env: &BTreeMap<String, String>,
        dir: &Path,
    ) -> anyhow::Result<DocSession> {
        std::fs::create_dir_all(dir)?;
        // `unshare -rnpf`: a user namespace (to be allowed the others), a network namespace whose
        // loopback we bring up, and a process namespace whose init is this bash: when it ends,
        // every process the page started ends with it. `--kill-child`: if the test dies, so
        // does the namespace.
        let mut child = Command::new("unshare")
            .args([
                "--user",
                "--map-root-user",
                "--net",
                "--pid",
                "--fork",
                "--mount-proc",
                "--kill-child",
            ])
            .args(["bash", "--noprofile", "--norc", "-c"])
            .arg("ip link set lo up && exec bash --noprofile --norc -s")
            .current_dir(cwd)
            .env_clear()
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(
                dir.join("session.stderr"),
            )?))
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!("cannot start `unshare` (util-linux) for the page's shell: {e}")
            })?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut session = DocSession {
            child,
            stdin,
            lines,
            dir: dir.to_path_buf(),
            seq: 0,
        };
        // The namespaces need unprivileged user namespaces; say so plainly when they are off.
        session.send("echo __DOC_READY__\n")?;
        session
            .wait_marker("__DOC_READY__", Duration::from_secs(30))
            .map_err(|e| {
                anyhow::anyhow!(
                    "the page's shell did not start ({e}); it needs unprivileged user namespaces \
                     (`unshare --user --map-root-user --net true` must work): {}",
                    std::fs::read_to_string(dir.join("session.stderr")).unwrap_or_default()
                )
            })?;
        Ok(session)
    }

    fn send(&mut self, text: &str) -> anyhow::Result<()> {
        self.stdin.write_all(text.as_bytes())?;
        self.stdin.flush()?;
        Ok(())
    }

    fn wait_marker(&mut self, marker: &str, timeout: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(marker) {
                        return Ok(rest.trim().to_string());
                    }
                }
                Err(RecvTimeoutError::Timeout) => anyhow::bail!("timed out after {timeout:?}"),
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait()?;
                    anyhow::bail!("the shell ended ({status})");
                }
            }
        }
    }

    /// Runs a `run` block; an error carries the command text and everything it printed.
    pub fn run(&mut self, block: &Block) -> anyhow::Result<RunOutput> {
        let BlockKind::Run {
            background_until,
            timeout,
        } = &block.kind
        else {
            anyhow::bail!("not a run block");
        };
        self.seq += 1;
        let n = self.seq;
        let script = self.dir.join(format!("block{n}.sh"));
        let out = self.dir.join(format!("block{n}.out"));
        match background_until {
            None => {
                std::fs::write(&script, &block.body)?;
                // `set -e` ends the shell at the first failing command: the page stops there.
                self.send(&format!(
                    "set -e -o pipefail; source {} < /dev/null > {} 2>&1; set +e +o pipefail; echo __DOC_DONE__\n",
                    shell_quote(&script),
                    shell_quote(&out)
                ))?;
                let done = self.wait_marker("__DOC_DONE__", *timeout);
                let text = std::fs::read_to_string(&out).unwrap_or_default();
                done.map_err(|e| {
                    anyhow::anyhow!(
                        "line {}: the block failed or did not finish ({e}):\n{}\n--- it printed ---\n{}",
                        block.line,
                        block.body.trim_end(),
                        strip_ansi(&text).trim_end()
                    )
                })?;
                Ok(RunOutput { text })
            }
            Some(until) => {
                let commands = commands_of(&block.body);
                anyhow::ensure!(
                    !commands.is_empty(),
                    "line {}: no command in the block",
                    block.line
                );
                let mut logs = Vec::new();
                let mut exits = Vec::new();
                for (k, command) in commands.iter().enumerate() {
                    let script = self.dir.join(format!("block{n}.{k}.sh"));
                    let log = self.dir.join(format!("block{n}.{k}.out"));
                    // Written when the command ends: one that ends before TEXT appears has
                    // failed (a server that crashed), and the page stops there at once.
                    let exit = self.dir.join(format!("block{n}.{k}.exit"));
                    std::fs::write(&script, command)?;
                    self.send(&format!(
                        "( source {} < /dev/null > {} 2>&1; echo $? > {} ) &\n",
                        shell_quote(&script),
                        shell_quote(&log),
                        shell_quote(&exit)
                    ))?;
                    logs.push(log);
                    exits.push(exit);
                }
                let deadline = Instant::now() + *timeout;
                loop {
                    // The exit marker first: a command that printed TEXT and then ended is fine.
                    let ended = exits.iter().find_map(|e| std::fs::read_to_string(e).ok());
                    let text: String = logs
                        .iter()
                        .map(|l| std::fs::read_to_string(l).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join("\n");
                    if strip_ansi(&text).contains(until.as_str()) {
                        return Ok(RunOutput { text });
                    }
                    if let Some(status) = ended {
                        anyhow::bail!(
                            "line {}: a command ended (status {}) before {until:?} appeared:\n{}\n--- they printed ---\n{}",
                            block.line,
                            status.trim(),
                            block.body.trim_end(),
                            tail(&strip_ansi(&text), 60)
                        );
                    }
                    if Instant::now() >= deadline {
                        anyhow::bail!(
                            "line {}: {until:?} did not appear within {timeout:?} in the output of\n{}\n--- they printed ---\n{}",
                            block.line,
                            block.body.trim_end(),
                            tail(&strip_ansi(&text), 60)
                        );
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }

    /// Writes (or appends) a `file=`/`append=` block relative to the shell's current directory.
    pub fn write_file(&mut self, block: &Block) -> anyhow::Result<()> {
        let BlockKind::File { path, append } = &block.kind else {
            anyhow::bail!("not a file block");
        };
        self.seq += 1;
        let content = self.dir.join(format!("file{}", self.seq));
        std::fs::write(&content, &block.body)?;
        let op = if *append { ">>" } else { ">" };
        self.send(&format!(
            "mkdir -p \"$(dirname {p})\" && cat {c} {op} {p} && echo __DOC_DONE__\n",
            p = shell_quote(Path::new(path)),
            c = shell_quote(&content)
        ))?;
        self.wait_marker("__DOC_DONE__", Duration::from_secs(10))
            .map_err(|e| anyhow::anyhow!("line {}: cannot write {path}: {e}", block.line))?;
        Ok(())
    }
}

impl Drop for DocSession {
    fn drop(&mut self) {
        // Killing the namespace's init ends every process the page started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The commands of a block: lines joined at trailing backslashes, comments and blanks dropped.
fn commands_of(body: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(t);
                commands.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.is_empty() {
        commands.push(current);
    }
    commands
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// How a page went: the blocks it ran, for the test to check it ran what it should.
#[derive(Debug, Default)]
pub struct PageReport {
    /// `run` blocks executed.
    pub runs: usize,
    /// `output` blocks checked.
    pub outputs: usize,
    /// Files written.
    pub files: usize,
}

/// Runs every marked block of the page at `page` in `session`, in order. A command that fails
/// stops the page; a shown output that differs is recorded and the page goes on (so one run
/// lists every difference), then the page fails naming them all.
pub fn run_page(session: &mut DocSession, page: &Path) -> anyhow::Result<PageReport> {
    let text = std::fs::read_to_string(page)?;
    let blocks = parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", page.display()))?;
    let mut report = PageReport::default();
    let mut last: Option<(usize, RunOutput)> = None;
    let mut differences = Vec::new();
    for block in &blocks {
        let at = |e: anyhow::Error| anyhow::anyhow!("{}: {e:#}", page.display());
        match &block.kind {
            BlockKind::Run { .. } => {
                eprintln!(
                    "[docs] {}:{}: {}",
                    page.display(),
                    block.line,
                    first_line(&block.body)
                );
                let out = session.run(block).map_err(at)?;
                report.runs += 1;
                last = Some((block.line, out));
            }
            BlockKind::Output => {
                let Some((line, out)) = last.take() else {
                    return Err(at(anyhow::anyhow!(
                        "line {}: an `output` block must follow a `run` block",
                        block.line
                    )));
                };
                if let Err(e) = check_output(&block.body, &out.text) {
                    differences.push(format!(
                        "{}:{}: the output of the block at line {line} differs from what the page shows: {e}",
                        page.display(),
                        block.line
                    ));
                }
                report.outputs += 1;
            }
            BlockKind::File { .. } => {
                session.write_file(block).map_err(at)?;
                report.files += 1;
            }
        }
    }
    anyhow::ensure!(differences.is_empty(), "{}", differences.join("\n\n"));
    Ok(report)
}

fn first_line(body: &str) -> &str {
    body.lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or("")
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_parsed_and_unmarked_blocks_left_out() {
        let page = "intro\n```sh\nnot run\n```\n```sh run timeout=20\necho hi\n```\n```text output\nhi\n```\n\
                    ```sh run background until=\"is running\"\nserver a\nserver \\\n  b\n```\n\
                    ```toml file=Cargo.toml\n[package]\n```\n```toml append=Cargo.toml\n[profile]\n```\n";
        let blocks = parse(page).unwrap();
        assert_eq!(blocks.len(), 5);
        assert_eq!(
            blocks[0].kind,
            BlockKind::Run {
                background_until: None,
                timeout: Duration::from_secs(20)
            }
        );
        assert_eq!(blocks[0].body, "echo hi\n");
        assert_eq!(blocks[0].line, 5);
        assert_eq!(blocks[1].kind, BlockKind::Output);
        assert_eq!(
            blocks[2].kind,
            BlockKind::Run {
                background_until: Some("is running".into()),
                timeout: DEFAULT_TIMEOUT
            }
        );
        assert_eq!(commands_of(&blocks[2].body), vec!["server a", "server  b"]);
        assert_eq!(
            blocks[3].kind,
            BlockKind::File {
                path: "Cargo.toml".into(),
                append: false
            }
        );
        assert_eq!(
            blocks[4].kind,
            BlockKind::File {
                path: "Cargo.toml".into(),
                append: true
            }
        );
    }

    #[test]
    fn a_misspelt_marker_is_an_error_not_a_skipped_block() {
        for bad in [
            "```sh rnu\nx\n```\n",
            "```sh run background\nx\n```\n",
            "```sh run until=\"x\"\nx\n```\n",
            "```sh run timeout=soon\nx\n```\n",
            "```toml file\nx\n```\n",
            "```sh run\nx\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn shown_output_must_be_printed_in_order() {
        let printed = "\u{1b}[1m[devnet]\u{1b}[0m function id: 1\nnoise\njob: 1\nstatus: finalized (exited with code 0)\n\
                       workers: 2 of 3 agreed (quorum 2): bls1j2mkabc, bls19gk9def\nfee:   100000ubls\n";
        let shown = "[devnet] function id: 1\njob: 1\n\nworkers: 2 of 3 agreed (quorum 2): bls1zzzz..., bls1yyyy...\nfee: 100000ubls\n";
        check_output(shown, printed).unwrap();
        // A changed id, fee or result is caught.
        for changed in [
            "[devnet] function id: 2\n",
            "fee: 1000ubls\n",
            "workers: 3 of 3 agreed (quorum 2): bls1..., bls1...\n",
        ] {
            assert!(
                check_output(changed, printed).is_err(),
                "{changed:?} passed"
            );
        }
        // Order matters.
        assert!(check_output("job: 1\n[devnet] function id: 1\n", printed).is_err());
        // Punctuation around an elided value still counts.
        assert!(check_output(
            "workers: 2 of 3 agreed (quorum 2): bls1..., bls1...,\n",
            printed
        )
        .is_err());
        // A lone `...` stands for any number of words, including none.
        check_output("status: ...\nworkers: ... bls19gk9def\n", printed).unwrap();
        check_output("status: finalized (exited with code 0) ...\n", printed).unwrap();
        // A trailing `word...` matches the start of a line and its rest.
        check_output("status: fin...\n", printed).unwrap();
        check_output("workers: 2 of...\n", printed).unwrap();
        assert!(check_output("workers: 3 of...\n", printed).is_err());
    }
}
