//! Exported keys: a private key sealed under an export passphrase, as an ASCII-armored block
//! that can be mailed or pasted:
//!
//! ```text
//! -----BEGIN BLS PRIVATE KEY-----
//! type: secp256k1
//! address: bls1...
//! kdf: scrypt
//! kdf-params: log_n=15,r=8,p=1
//! salt: <64 hex digits>
//! cipher: aes-256-gcm
//! nonce: <24 hex digits>
//!
//! <base64 of the AES-256-GCM ciphertext of the 32 private key bytes and its tag>
//! -----END BLS PRIVATE KEY-----
//! ```
//!
//! The headers are exactly these, in this order; they are the associated data of the
//! encryption, so changing any of them (or the body) makes the block refuse to open.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::encrypted::{self, ScryptParams, SealError, Sealed, CIPHER_AES_256_GCM, KDF_SCRYPT};
use crate::keys::{KeyError, KeyPair};

/// First line of an armored key.
pub const ARMOR_BEGIN: &str = "-----BEGIN BLS PRIVATE KEY-----";
/// Last line of an armored key.
pub const ARMOR_END: &str = "-----END BLS PRIVATE KEY-----";
/// The only key type.
pub const KEY_TYPE: &str = "secp256k1";
/// Largest armored text read (a real one is under 1 KiB).
pub const MAX_ARMOR_BYTES: usize = 16 * 1024;

const HEADERS: [&str; 7] = [
    "type",
    "address",
    "kdf",
    "kdf-params",
    "salt",
    "cipher",
    "nonce",
];
const AAD_PREFIX: &str = "bls-armor-v1\n";
const BODY_LINE: usize = 64;

/// Why an armored key was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ArmorError {
    /// Not a well-formed armored bls key.
    #[error("not an armored bls private key: {0}")]
    Malformed(String),
    /// The tag does not verify.
    #[error(
        "wrong export passphrase, or the armored key was altered (AES-GCM authentication failed)"
    )]
    Unauthentic,
    /// The decrypted bytes are not a valid key, or not the key of the stated address.
    #[error("the armored key does not hold a valid key for its address: {0}")]
    Key(String),
}

impl From<SealError> for ArmorError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Unauthentic => ArmorError::Unauthentic,
            SealError::Malformed(m) => ArmorError::Malformed(m),
        }
    }
}

impl From<KeyError> for ArmorError {
    fn from(e: KeyError) -> Self {
        ArmorError::Key(e.to_string())
    }
}

/// `key` sealed under `passphrase` as an armored block (ends with a newline).
pub fn export(key: &KeyPair, passphrase: &str, params: ScryptParams) -> Result<String, ArmorError> {
    let secret = Zeroizing::new(key.secret_bytes());
    // The headers name the salt and nonce and are the associated data: draw those first.
    let (salt, nonce) = encrypted::fresh_salt_and_nonce();
    let headers = header_lines(&key.address().to_string(), params, &salt, &nonce);
    let sealed = encrypted::seal_with(
        secret.as_slice(),
        passphrase.as_bytes(),
        params,
        salt,
        nonce,
        aad(&headers).as_bytes(),
    )?;
    let body = base64::engine::general_purpose::STANDARD.encode(&sealed.ciphertext);
    let mut out = String::new();
    out.push_str(ARMOR_BEGIN);
    out.push('\n');
    for (k, v) in &headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push('\n');
    for chunk in body.as_bytes().chunks(BODY_LINE) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(ARMOR_END);
    out.push('\n');
    Ok(out)
}

/// The key in the armored block `text`, opened with `passphrase` and checked against the
/// address in its headers.
pub fn import(text: &str, passphrase: &str) -> Result<KeyPair, ArmorError> {
    if text.len() > MAX_ARMOR_BYTES {
        return Err(ArmorError::Malformed(format!(
            "{} bytes, more than an armored key ever holds ({MAX_ARMOR_BYTES})",
            text.len()
        )));
    }
    let bad = |m: &str| ArmorError::Malformed(m.to_string());
    let mut lines = text.trim().lines().map(str::trim_end);
    if lines.next() != Some(ARMOR_BEGIN) {
        return Err(bad(&format!("the first line is not {ARMOR_BEGIN}")));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        let (k, v) = line
            .split_once(": ")
            .ok_or_else(|| bad(&format!("header line {line:?} is not \"name: value\"")))?;
        headers.push((k.to_string(), v.to_string()));
    }
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    if names != HEADERS {
        return Err(bad(&format!(
            "headers are {names:?}, expected exactly {HEADERS:?}"
        )));
    }
    let value = |i: usize| headers[i].1.as_str();
    if value(0) != KEY_TYPE {
        return Err(bad(&format!("type {:?} is not {KEY_TYPE}", value(0))));
    }
    if value(2) != KDF_SCRYPT {
        return Err(bad(&format!("kdf {:?} is not {KDF_SCRYPT}", value(2))));
    }
    if value(5) != CIPHER_AES_256_GCM {
        return Err(bad(&format!(
            "cipher {:?} is not {CIPHER_AES_256_GCM}",
            value(5)
        )));
    }
    let params: ScryptParams = value(3).parse()?;
    let salt = hex::decode(value(4)).map_err(|e| bad(&format!("salt: {e}")))?;
    let nonce = hex::decode(value(6)).map_err(|e| bad(&format!("nonce: {e}")))?;
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == ARMOR_END {
            ended = true;
            break;
        }
        body.push_str(line.trim());
    }
    if !ended {
        return Err(bad(&format!("no {ARMOR_END} line")));
    }
    if lines.next().is_some() {
        return Err(bad(&format!("text after {ARMOR_END}")));
    }
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map_err(|e| bad(&format!("body: {e}")))?;
    let canonical: Vec<(&str, String)> = HEADERS
        .iter()
        .zip(&headers)
        .map(|(k, (_, v))| (*k, v.clone()))
        .collect();
    let sealed = Sealed {
        params,
        salt,
        nonce,
        ciphertext,
    };
    let secret = encrypted::open(&sealed, passphrase.as_bytes(), aad(&canonical).as_bytes())?;
    let key = KeyPair::from_secret_bytes(&secret)?;
    if key.address().as_str() != value(1) {
        return Err(ArmorError::Key(format!(
            "the header says {} but the key is {}",
            value(1),
            key.address()
        )));
    }
    Ok(key)
}

fn header_lines(
    address: &str,
    params: ScryptParams,
    salt: &[u8],
    nonce: &[u8],
) -> Vec<(&'static str, String)> {
    let values = [
        KEY_TYPE.to_string(),
        address.to_string(),
        KDF_SCRYPT.to_string(),
        params.to_string(),
        hex::encode(salt),
        CIPHER_AES_256_GCM.to_string(),
        hex::encode(nonce),
    ];
    HEADERS.into_iter().zip(values).collect()
}

fn aad(headers: &[(&str, String)]) -> String {
    let mut s = AAD_PREFIX.to_string();
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    const FAST: ScryptParams = ScryptParams::insecure_for_tests();

    fn armored() -> (KeyPair, String) {
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        let text = export(&key, "export pw", FAST).unwrap();
        (key, text)
    }

    #[test]
    fn round_trip_keeps_the_key_and_shows_no_secret() {
        let (key, text) = armored();
        assert!(text.starts_with(&format!("{ARMOR_BEGIN}\ntype: secp256k1\naddress: {}\nkdf: scrypt\nkdf-params: log_n=4,r=8,p=1\nsalt: ", key.address())), "{text}");
        assert!(text.trim_end().ends_with(ARMOR_END));
        assert!(!text.contains(&hex::encode(key.secret_bytes())));
        let back = import(&text, "export pw").unwrap();
        assert_eq!(back.secret_bytes(), key.secret_bytes());
        // Surrounding whitespace and CRLF line ends are fine.
        let crlf = format!("\n  {}\n", text.replace('\n', "\r\n"));
        assert_eq!(import(&crlf, "export pw").unwrap().address(), key.address());
        // Two exports of one key differ (fresh salt and nonce).
        assert_ne!(export(&key, "export pw", FAST).unwrap(), text);
    }

    #[test]
    fn wrong_passphrase_is_refused_clearly() {
        let (_, text) = armored();
        let e = import(&text, "not it").unwrap_err();
        assert!(matches!(e, ArmorError::Unauthentic), "{e}");
        assert!(e.to_string().contains("wrong export passphrase"), "{e}");
    }

    #[test]
    fn tampered_blocks_are_refused() {
        let (key, text) = armored();
        let other = KeyPair::from_secret_bytes(&[3u8; 32]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let body_at = lines.iter().position(|l| l.is_empty()).unwrap() + 1;
        let flip = |s: &str| -> String {
            // Changes one character while keeping the alphabet (hex or base64).
            let mut c: Vec<char> = s.chars().collect();
            let i = c.len() / 2;
            c[i] = if c[i] == 'a' { 'b' } else { 'a' };
            c.into_iter().collect()
        };
        let mut cases: Vec<(String, String)> = Vec::new();
        let edit = |i: usize, new: String| -> String {
            let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            l[i] = new;
            l.join("\n")
        };
        cases.push((
            "address".into(),
            edit(2, format!("address: {}", other.address())),
        ));
        cases.push((
            "kdf-params".into(),
            edit(4, "kdf-params: log_n=5,r=8,p=1".into()),
        ));
        cases.push(("salt".into(), edit(5, flip(lines[5]))));
        cases.push(("nonce".into(), edit(7, flip(lines[7]))));
        cases.push(("body".into(), edit(body_at, flip(lines[body_at]))));
        for (what, t) in &cases {
            let e = import(t, "export pw").unwrap_err();
            assert!(matches!(e, ArmorError::Unauthentic), "{what}: {e}");
        }
        // Structural damage is malformed, never a panic.
        for (what, t) in [
            ("no begin", text.replacen(ARMOR_BEGIN, "", 1)),
            ("no end", text.replace(ARMOR_END, "")),
            ("kdf", text.replace("kdf: scrypt", "kdf: pbkdf2")),
            ("type", text.replace("type: secp256k1", "type: ed25519")),
            (
                "extra header",
                text.replacen("kdf: scrypt\n", "kdf: scrypt\ncomment: hi\n", 1),
            ),
            ("hostile kdf", text.replace("log_n=4", "log_n=40")),
            ("truncated body", edit(body_at, "AAAA".into())),
            ("bad base64", edit(body_at, "!!!!".into())),
            ("trailer", format!("{text}junk\n")),
            ("empty", String::new()),
            ("huge", "x".repeat(MAX_ARMOR_BYTES + 1)),
        ] {
            let e = import(&t, "export pw").unwrap_err();
            assert!(matches!(e, ArmorError::Malformed(_)), "{what}: {e}");
        }
        assert_eq!(import(&text, "export pw").unwrap().address(), key.address());
    }
}
