//! Where passphrases come from: a file named on the command line, an environment variable, or
//! a no-echo prompt when stdin is a terminal — in that order. Without a terminal nothing is
//! ever prompted: a missing passphrase is an error that names the variable and the option, so
//! a script or a daemon fails at once instead of hanging.

use std::fmt;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

/// Environment variable holding the keyring passphrase (the `file` backend's).
pub const PASSPHRASE_ENV: &str = "BLS_KEYRING_PASSPHRASE";
/// Option naming a file whose first line is the keyring passphrase.
pub const PASSPHRASE_FILE_FLAG: &str = "--keyring-passphrase-file";
/// Environment variable holding the passphrase of an exported (armored) key.
pub const EXPORT_PASSPHRASE_ENV: &str = "BLS_EXPORT_PASSPHRASE";
/// Option naming a file whose first line is the export passphrase.
pub const EXPORT_PASSPHRASE_FILE_FLAG: &str = "--export-passphrase-file";
/// Shortest new passphrase accepted: an empty or trivially short one is almost always a
/// mistake (an unset variable, a stray newline).
pub const MIN_NEW_PASSPHRASE_CHARS: usize = 8;

/// Why no passphrase could be had.
#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    /// Neither the file, nor the variable, nor a terminal to ask on.
    #[error("{purpose} needs the {kind} passphrase, and {why}: set {env} or pass {flag} FILE")]
    Missing {
        /// What it was needed for (e.g. `key "alice"`).
        purpose: String,
        /// Why it was not asked: no terminal, or a command that never prompts.
        why: &'static str,
        /// `keyring` or `export`.
        kind: &'static str,
        /// The environment variable to set.
        env: &'static str,
        /// The option to pass.
        flag: &'static str,
    },
    /// Empty or too short for a new key.
    #[error("{kind} passphrase refused: {reason}")]
    Weak {
        /// `keyring` or `export`.
        kind: &'static str,
        /// Why.
        reason: String,
    },
    /// The two entries at the prompt differ.
    #[error("the two {kind} passphrases differ: nothing was written")]
    Mismatch {
        /// `keyring` or `export`.
        kind: &'static str,
    },
    /// The passphrase file cannot be read.
    #[error("reading the {kind} passphrase file {path}: {source}")]
    File {
        /// `keyring` or `export`.
        kind: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The terminal prompt failed (e.g. Ctrl-C).
    #[error("reading the {kind} passphrase from the terminal: {source}")]
    Prompt {
        /// `keyring` or `export`.
        kind: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

/// A source of one kind of passphrase (keyring or export). Cloning shares what was read, so a
/// command that opens several keys asks once.
#[derive(Clone)]
pub struct PassphraseSource {
    kind: &'static str,
    env: &'static str,
    flag: &'static str,
    file: Option<PathBuf>,
    prompt: bool,
    known: Arc<Mutex<Option<Zeroizing<String>>>>,
}

impl fmt::Debug for PassphraseSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the passphrase itself.
        f.debug_struct("PassphraseSource")
            .field("kind", &self.kind)
            .field("file", &self.file)
            .field("prompt", &self.prompt)
            .finish_non_exhaustive()
    }
}

impl PassphraseSource {
    /// The keyring passphrase: `file` if given, else `BLS_KEYRING_PASSPHRASE`, else a prompt
    /// when stdin is a terminal.
    pub fn keyring(file: Option<PathBuf>) -> Self {
        Self::from_sources("keyring", PASSPHRASE_ENV, PASSPHRASE_FILE_FLAG, file)
    }

    /// The export passphrase of armored keys: `file` if given, else `BLS_EXPORT_PASSPHRASE`,
    /// else a prompt when stdin is a terminal.
    pub fn export(file: Option<PathBuf>) -> Self {
        Self::from_sources(
            "export",
            EXPORT_PASSPHRASE_ENV,
            EXPORT_PASSPHRASE_FILE_FLAG,
            file,
        )
    }

    /// A passphrase already in hand (library callers and tests); never prompts.
    pub fn given(passphrase: impl Into<String>) -> Self {
        let mut s = Self::from_sources("keyring", PASSPHRASE_ENV, PASSPHRASE_FILE_FLAG, None);
        s.prompt = false;
        s.known = Arc::new(Mutex::new(Some(Zeroizing::new(passphrase.into()))));
        s
    }

    /// The same source that never prompts, even on a terminal (daemons).
    pub fn non_interactive(mut self) -> Self {
        self.prompt = false;
        self
    }

    fn from_sources(
        kind: &'static str,
        env: &'static str,
        flag: &'static str,
        file: Option<PathBuf>,
    ) -> Self {
        Self {
            kind,
            env,
            flag,
            file,
            prompt: true,
            known: Arc::new(Mutex::new(None)),
        }
    }

    /// The passphrase of something that exists (asked once at a prompt). `purpose` says what
    /// it opens, e.g. `key "alice"`.
    pub fn existing(&self, purpose: &str) -> Result<Zeroizing<String>, PassphraseError> {
        let p = match self.remembered() {
            Some(p) => p,
            None => match self.read_file_or_env()? {
                Some(p) => p,
                None => self.ask(
                    &format!("{} passphrase for {purpose}: ", self.kind),
                    purpose,
                )?,
            },
        };
        if p.is_empty() {
            return Err(PassphraseError::Weak {
                kind: self.kind,
                reason: "it is empty".into(),
            });
        }
        self.remember(&p);
        Ok(p)
    }

    /// A passphrase for something new (asked twice at a prompt, which must agree); at least
    /// [`MIN_NEW_PASSPHRASE_CHARS`] characters.
    pub fn new_passphrase(&self, purpose: &str) -> Result<Zeroizing<String>, PassphraseError> {
        let p = match self.remembered() {
            Some(p) => p,
            None => match self.read_file_or_env()? {
                Some(p) => p,
                None => {
                    let first = self.ask(
                        &format!("new {} passphrase for {purpose}: ", self.kind),
                        purpose,
                    )?;
                    let again =
                        self.ask(&format!("repeat the {} passphrase: ", self.kind), purpose)?;
                    if first != again {
                        return Err(PassphraseError::Mismatch { kind: self.kind });
                    }
                    first
                }
            },
        };
        if p.chars().count() < MIN_NEW_PASSPHRASE_CHARS {
            return Err(PassphraseError::Weak {
                kind: self.kind,
                reason: format!("use at least {MIN_NEW_PASSPHRASE_CHARS} characters"),
            });
        }
        self.remember(&p);
        Ok(p)
    }

    fn remembered(&self) -> Option<Zeroizing<String>> {
        self.known.lock().ok().and_then(|k| k.clone())
    }

    fn remember(&self, p: &Zeroizing<String>) {
        if let Ok(mut k) = self.known.lock() {
            *k = Some(p.clone());
        }
    }

    fn read_file_or_env(&self) -> Result<Option<Zeroizing<String>>, PassphraseError> {
        if let Some(path) = &self.file {
            return read_passphrase_file(path, self.kind).map(Some);
        }
        Ok(std::env::var(self.env).ok().map(Zeroizing::new))
    }

    fn ask(&self, prompt: &str, purpose: &str) -> Result<Zeroizing<String>, PassphraseError> {
        let why = if !self.prompt {
            Some("this command never prompts")
        } else if !std::io::stdin().is_terminal() {
            Some("stdin is not a terminal to ask it on")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(PassphraseError::Missing {
                purpose: purpose.to_string(),
                why,
                kind: self.kind,
                env: self.env,
                flag: self.flag,
            });
        }
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|source| PassphraseError::Prompt {
                kind: self.kind,
                source,
            })
    }
}

/// The first line of `path` (without its line ending).
fn read_passphrase_file(
    path: &Path,
    kind: &'static str,
) -> Result<Zeroizing<String>, PassphraseError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| PassphraseError::File {
                kind,
                path: path.to_path_buf(),
                source,
            })?,
        );
    let line = text.lines().next().unwrap_or_default();
    Ok(Zeroizing::new(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gives_its_first_line_and_wins() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pw");
        std::fs::write(&f, "correct horse\r\nignored\n").unwrap();
        let s = PassphraseSource::keyring(Some(f)).non_interactive();
        assert_eq!(s.existing("key \"a\"").unwrap().as_str(), "correct horse");
        assert_eq!(
            s.new_passphrase("key \"a\"").unwrap().as_str(),
            "correct horse"
        );
        let missing = PassphraseSource::keyring(Some(dir.path().join("nope")));
        assert!(matches!(
            missing.existing("x"),
            Err(PassphraseError::File { .. })
        ));
    }

    #[test]
    fn given_passphrases_are_checked_for_new_keys() {
        let s = PassphraseSource::given("short");
        assert_eq!(s.existing("x").unwrap().as_str(), "short");
        assert!(matches!(
            s.new_passphrase("x"),
            Err(PassphraseError::Weak { .. })
        ));
        assert!(matches!(
            PassphraseSource::given("").existing("x"),
            Err(PassphraseError::Weak { .. })
        ));
        // Debug never shows it.
        assert!(!format!("{s:?}").contains("short"));
    }

    #[test]
    fn no_terminal_no_prompt_and_the_error_names_the_fix() {
        // Non-interactive: fails even on a terminal. It reads a variable no test sets.
        let s = PassphraseSource {
            env: "BLS_TEST_PASSPHRASE_NEVER_SET",
            ..PassphraseSource::export(None).non_interactive()
        };
        let e = s.existing("the armored key").unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, PassphraseError::Missing { .. }), "{text}");
        assert!(text.contains("BLS_TEST_PASSPHRASE_NEVER_SET"), "{text}");
        assert!(text.contains("--export-passphrase-file"), "{text}");
        assert!(text.contains("the armored key"), "{text}");
        assert!(text.contains("this command never prompts"), "{text}");
    }
}
