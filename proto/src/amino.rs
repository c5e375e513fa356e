//! Amino JSON: how a tx is written for `SIGN_MODE_LEGACY_AMINO_JSON`, the sign mode Keplr with a
//! Ledger, CosmJS's `Secp256k1HdWallet` and the Ethereum/Aptos envelopes sign.
//!
//! A signer signs a [`StdSignDoc`] (account number, chain id, fee, memo, messages, sequence),
//! written as JSON with every object's keys sorted and `&`, `<`, `>` escaped (CosmJS
//! `serializeSignDoc`). The chain never takes that JSON from the tx: it rebuilds it from the
//! tx's protobuf messages with [`msg_to_amino`], so what is signed is what runs.
//!
//! A message is `{"type": <amino name>, "value": <fields>}`, the name from the message's
//! `(amino.name)` option. Fields are written by their proto names, in this encoding (the Cosmos
//! SDK's for the same types):
//!
//! | proto | JSON |
//! |---|---|
//! | `string` | string |
//! | `bool` | `true` |
//! | `uint32`, `int32`, enums | number |
//! | `uint64`, `int64` | decimal string |
//! | `bytes` | base64 (standard alphabet, padded) |
//! | message | object, by the same rules |
//! | `repeated` | array |
//!
//! A field holding its default value (0, `""`, `false`, empty bytes, an empty list, an unset
//! message) is left out, unless marked `(amino.dont_omitempty)` (then an empty list is `[]`); a
//! field that can be unset apart from its default (a proto3 `optional`, a message) is written
//! whenever it is set (`0`, `{}`). Floats and maps have no encoding (no tx message has them).
//! A message carrying fields its schema does not know, or not canonically encoded, is refused:
//! the difference would ride along unsigned.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine;
use prost::Message as _;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value as PValue,
};
use serde_json::Value;

use crate::descriptor_pool;

/// The message option naming a message in amino JSON.
pub const AMINO_NAME_OPTION: &str = "amino.name";
/// The field option that writes a field even when it is empty.
pub const DONT_OMITEMPTY_OPTION: &str = "amino.dont_omitempty";
/// The longest amino name the Ledger Cosmos app shows (the Cosmos SDK refuses longer ones).
pub const MAX_AMINO_NAME_LEN: usize = 39;

/// Why a message has no amino JSON.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AminoError {
    /// The type URL is not a message of the schema, or it has no amino name.
    #[error("{0} has no amino name: it cannot be signed in amino JSON")]
    NoAminoName(String),
    /// The bytes do not decode as the message.
    #[error("{type_url} does not decode: {reason}")]
    Decode {
        /// The message's type URL.
        type_url: String,
        /// The decoder's words.
        reason: String,
    },
    /// The bytes carry field numbers the schema does not declare.
    #[error("{type_url} carries fields its schema does not know (field {field}): refused in amino JSON, where they would go unsigned")]
    UnknownFields {
        /// The message (or nested message) type.
        type_url: String,
        /// The first unknown field number.
        field: u32,
    },
    /// The bytes are not the canonical encoding of what they decode to.
    #[error("{0} is not canonically encoded (fields out of order, repeated, or defaults written): refused in amino JSON, where the difference would go unsigned")]
    NonCanonical(String),
    /// A field type amino JSON does not encode.
    #[error("field {field} is a {kind}, which amino JSON does not encode")]
    Unsupported {
        /// The field's full name.
        field: String,
        /// Its type.
        kind: String,
    },
}

/// Every message of the schema with an amino name, by type URL.
pub fn amino_names() -> &'static BTreeMap<String, String> {
    static NAMES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        descriptor_pool()
            .all_messages()
            .filter_map(|m| amino_name_of(&m).map(|n| (format!("/{}", m.full_name()), n)))
            .collect()
    })
}

fn amino_name_of(desc: &MessageDescriptor) -> Option<String> {
    let ext = descriptor_pool().get_extension_by_name(AMINO_NAME_OPTION)?;
    let options = desc.options();
    if !options.has_extension(&ext) {
        return None;
    }
    options.get_extension(&ext).as_str().map(str::to_string)
}

fn dont_omitempty(field: &FieldDescriptor) -> bool {
    let Some(ext) = descriptor_pool().get_extension_by_name(DONT_OMITEMPTY_OPTION) else {
        return false;
    };
    let options = field.options();
    options.has_extension(&ext) && options.get_extension(&ext).as_bool() == Some(true)
}

/// A tx message as signed in amino mode: its amino name and decoded value. Refused when the
/// type has no amino name, the bytes do not decode, carry fields the schema does not know (at
/// any depth), or are not the canonical encoding of what they decode to — bytes that differ
/// from what a signer's doc shows without changing it would change the tx's hash unsigned.
pub fn signed_message(
    type_url: &str,
    value: &[u8],
) -> Result<(&'static str, DynamicMessage), AminoError> {
    let name = amino_names()
        .get(type_url)
        .ok_or_else(|| AminoError::NoAminoName(type_url.to_string()))?;
    let desc = descriptor_pool()
        .get_message_by_name(type_url.trim_start_matches('/'))
        .ok_or_else(|| AminoError::NoAminoName(type_url.to_string()))?;
    let msg = DynamicMessage::decode(desc, value).map_err(|e| AminoError::Decode {
        type_url: type_url.to_string(),
        reason: e.to_string(),
    })?;
    check_known_fields(&msg)?;
    if msg.encode_to_vec() != value {
        return Err(AminoError::NonCanonical(type_url.to_string()));
    }
    Ok((name.as_str(), msg))
}

/// Refuses a message (or nested message) carrying field numbers its schema does not declare.
fn check_known_fields(msg: &DynamicMessage) -> Result<(), AminoError> {
    if let Some(unknown) = msg.unknown_fields().next() {
        return Err(AminoError::UnknownFields {
            type_url: format!("/{}", msg.descriptor().full_name()),
            field: unknown.number(),
        });
    }
    for (_, value) in msg.fields() {
        let nested: Vec<&DynamicMessage> = match value {
            PValue::Message(m) => vec![m],
            PValue::List(items) => items.iter().filter_map(PValue::as_message).collect(),
            _ => Vec::new(),
        };
        for m in nested {
            check_known_fields(m)?;
        }
    }
    Ok(())
}

/// The amino JSON `{"type", "value"}` of the message `type_url` encoded as `value`
/// ([`signed_message`]'s checks first).
pub fn msg_to_amino(type_url: &str, value: &[u8]) -> Result<Value, AminoError> {
    let (name, msg) = signed_message(type_url, value)?;
    let mut out = serde_json::Map::new();
    out.insert("type".into(), Value::String(name.to_string()));
    out.insert("value".into(), message_value(&msg)?);
    Ok(Value::Object(out))
}

fn message_value(msg: &DynamicMessage) -> Result<Value, AminoError> {
    let mut out = serde_json::Map::new();
    for field in msg.descriptor().fields() {
        let keep = dont_omitempty(&field);
        if !msg.has_field(&field) && !keep {
            continue;
        }
        let value = msg.get_field(&field);
        let json = if field.is_map() {
            return Err(unsupported(&field, "map"));
        } else if field.is_list() {
            let items = value.as_list().unwrap_or_default();
            Value::Array(
                items
                    .iter()
                    .map(|v| scalar_or_message(&field, v))
                    .collect::<Result<_, _>>()?,
            )
        } else {
            scalar_or_message(&field, &value)?
        };
        out.insert(field.name().to_string(), json);
    }
    Ok(Value::Object(out))
}

fn unsupported(field: &FieldDescriptor, kind: &str) -> AminoError {
    AminoError::Unsupported {
        field: field.full_name().to_string(),
        kind: kind.to_string(),
    }
}

fn scalar_or_message(field: &FieldDescriptor, value: &PValue) -> Result<Value, AminoError> {
    let mismatch = || unsupported(field, &format!("{:?} holding {value:?}", field.kind()));
    Ok(match (field.kind(), value) {
        (Kind::String, PValue::String(s)) => Value::String(s.clone()),
        (Kind::Bool, PValue::Bool(b)) => Value::Bool(*b),
        (Kind::Uint32 | Kind::Fixed32, PValue::U32(n)) => Value::from(*n),
        (Kind::Int32 | Kind::Sint32 | Kind::Sfixed32, PValue::I32(n)) => Value::from(*n),
        (Kind::Enum(_), PValue::EnumNumber(n)) => Value::from(*n),
        (Kind::Uint64 | Kind::Fixed64, PValue::U64(n)) => Value::String(n.to_string()),
        (Kind::Int64 | Kind::Sint64 | Kind::Sfixed64, PValue::I64(n)) => {
            Value::String(n.to_string())
        }
        (Kind::Bytes, PValue::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        (Kind::Message(_), PValue::Message(m)) => message_value(m)?,
        (Kind::Float | Kind::Double, _) => return Err(unsupported(field, "float")),
        _ => return Err(mismatch()),
    })
}

/// One fee coin as it is signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeCoin {
    /// Denomination.
    pub denom: String,
    /// Decimal amount, as in the tx.
    pub amount: String,
}

/// The document a `SIGN_MODE_LEGACY_AMINO_JSON` signature covers (the Cosmos SDK's
/// `StdSignDoc`, as CosmJS `makeSignDoc` builds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StdSignDoc {
    /// The chain the tx is for.
    pub chain_id: String,
    /// The signer's account number.
    pub account_number: u64,
    /// The signer's sequence.
    pub sequence: u64,
    /// Fee coins, in tx order.
    pub fee: Vec<FeeCoin>,
    /// Gas limit.
    pub gas: u64,
    /// Memo.
    pub memo: String,
    /// Height after which the tx is void (0: none, and then left out of the doc).
    pub timeout_height: u64,
    /// The messages as `(type URL, encoded value)`.
    pub msgs: Vec<(String, Vec<u8>)>,
}

impl StdSignDoc {
    /// The doc as a JSON value (the messages in amino JSON).
    pub fn to_json(&self) -> Result<Value, AminoError> {
        let msgs = self
            .msgs
            .iter()
            .map(|(url, bytes)| msg_to_amino(url, bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let amount = self
            .fee
            .iter()
            .map(|c| serde_json::json!({"amount": c.amount, "denom": c.denom}))
            .collect::<Vec<_>>();
        let mut doc = serde_json::json!({
            "account_number": self.account_number.to_string(),
            "chain_id": self.chain_id,
            "fee": {"amount": amount, "gas": self.gas.to_string()},
            "memo": self.memo,
            "msgs": msgs,
            "sequence": self.sequence.to_string(),
        });
        if self.timeout_height != 0 {
            doc["timeout_height"] = Value::String(self.timeout_height.to_string());
        }
        Ok(doc)
    }

    /// The text signed (as UTF-8): [`Self::to_json`] written by [`sorted_json`].
    pub fn sign_text(&self) -> Result<String, AminoError> {
        Ok(sorted_json(&self.to_json()?))
    }
}

/// `value` as compact JSON with every object's keys sorted and `&`, `<`, `>` written as
/// `\u0026`, `\u003c`, `\u003e` (CosmJS `serializeSignDoc`: `sortedJsonStringify` then
/// `escapeCharacters`; strings are escaped as `JSON.stringify` escapes them).
pub fn sorted_json(value: &Value) -> String {
    let mut out = String::new();
    write_sorted(value, &mut out);
    out.replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

fn write_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // JavaScript's default sort compares UTF-16 code units.
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_sorted(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bls::orchestration::v1 as orch;
    use crate::cosmos::bank::v1beta1::MsgSend;
    use crate::cosmos::base::v1beta1::Coin;
    use prost::Message;

    #[test]
    fn every_tx_message_has_a_short_unique_amino_name() {
        let mut seen = BTreeMap::new();
        for service in descriptor_pool().services() {
            if service.name() != "Msg" {
                continue;
            }
            for method in service.methods() {
                let url = format!("/{}", method.input().full_name());
                let name = amino_names()
                    .get(&url)
                    .unwrap_or_else(|| panic!("{url} has no (amino.name)"));
                assert!(name.len() <= MAX_AMINO_NAME_LEN, "{name} is too long");
                if let Some(other) = seen.insert(name.clone(), url.clone()) {
                    panic!("{name} names both {other} and {url}");
                }
            }
        }
        assert!(seen.len() >= 31, "only {} tx messages", seen.len());
        assert_eq!(
            amino_names()["/cosmos.bank.v1beta1.MsgSend"],
            "cosmos-sdk/MsgSend"
        );
    }

    #[test]
    fn no_tx_message_has_a_field_amino_json_cannot_encode() {
        fn check(desc: &MessageDescriptor, path: &mut Vec<String>) {
            if path.contains(&desc.full_name().to_string()) {
                return;
            }
            path.push(desc.full_name().to_string());
            for f in desc.fields() {
                assert!(!f.is_map(), "{} is a map", f.full_name());
                match f.kind() {
                    Kind::Float | Kind::Double => panic!("{} is a float", f.full_name()),
                    Kind::Message(m) => check(&m, path),
                    _ => {}
                }
            }
            path.pop();
        }
        for url in amino_names().keys() {
            let desc = descriptor_pool()
                .get_message_by_name(url.trim_start_matches('/'))
                .unwrap();
            check(&desc, &mut Vec::new());
        }
    }

    #[test]
    fn msg_send_is_written_as_the_cosmos_sdk_writes_it() {
        let send = MsgSend {
            from_address: "bls1from".into(),
            to_address: "bls1to".into(),
            amount: vec![Coin {
                denom: "ubls".into(),
                amount: "5".into(),
            }],
        };
        let json = msg_to_amino("/cosmos.bank.v1beta1.MsgSend", &send.encode_to_vec()).unwrap();
        assert_eq!(
            sorted_json(&json),
            r#"{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"5","denom":"ubls"}],"from_address":"bls1from","to_address":"bls1to"}}"#
        );
        // dont_omitempty: an empty amount is still written.
        let empty = MsgSend {
            amount: vec![],
            ..send
        };
        let json = msg_to_amino("/cosmos.bank.v1beta1.MsgSend", &empty.encode_to_vec()).unwrap();
        assert_eq!(json["value"]["amount"], serde_json::json!([]));
    }

    #[test]
    fn scalars_follow_the_table_and_defaults_are_left_out() {
        let deploy = orch::MsgDeployFunction {
            owner: "bls1owner".into(),
            wasm: vec![0, 0x61, 0x73, 0x6d],
            manifest_json: r#"{"entry":"<main>&"}"#.into(),
            replication: 3,
            quorum: 2,
            code_size: 0,
            ..Default::default()
        };
        let json = msg_to_amino(
            "/bls.orchestration.v1.MsgDeployFunction",
            &deploy.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(
            sorted_json(&json),
            r#"{"type":"bls/MsgDeployFunction","value":{"manifest_json":"{\"entry\":\"\u003cmain\u003e\u0026\"}","owner":"bls1owner","quorum":2,"replication":3,"wasm":"AGFzbQ=="}}"#
        );
        let invoke = orch::MsgInvoke {
            invoker: "bls1i".into(),
            function_id: 7,
            input: vec![],
            args: vec!["a".into(), "b".into()],
            max_fee: Some(Coin {
                denom: "ubls".into(),
                amount: "100".into(),
            }),
            version: 0,
        };
        let json =
            msg_to_amino("/bls.orchestration.v1.MsgInvoke", &invoke.encode_to_vec()).unwrap();
        assert_eq!(
            json["value"],
            serde_json::json!({"invoker": "bls1i", "function_id": "7", "args": ["a", "b"],
                               "max_fee": {"denom": "ubls", "amount": "100"}})
        );
        let decline = orch::MsgDeclineJob {
            worker: "bls1w".into(),
            job_id: 1,
            reason: orch::DeclineReason::CodeMismatch as i32,
            detail: String::new(),
        };
        let json = msg_to_amino(
            "/bls.orchestration.v1.MsgDeclineJob",
            &decline.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(json["value"]["reason"], serde_json::json!(2));
    }

    #[test]
    fn unknown_fields_and_unknown_types_are_refused() {
        let mut bytes = orch::MsgRetireFunction {
            owner: "bls1o".into(),
            function_id: 1,
        }
        .encode_to_vec();
        // Field 99, varint 1: nothing in the schema, so nothing a signer would see.
        bytes.extend_from_slice(&[0x98, 0x06, 0x01]);
        let err = msg_to_amino("/bls.orchestration.v1.MsgRetireFunction", &bytes).unwrap_err();
        assert!(
            matches!(err, AminoError::UnknownFields { field: 99, .. }),
            "{err}"
        );
        let err = msg_to_amino("/bls.orchestration.v1.Job", &[]).unwrap_err();
        assert!(matches!(err, AminoError::NoAminoName(_)), "{err}");
        let err = msg_to_amino("/cosmos.bank.v1beta1.MsgMultiSend", &[]).unwrap_err();
        assert!(matches!(err, AminoError::NoAminoName(_)), "{err}");
        let err =
            msg_to_amino("/bls.orchestration.v1.MsgRetireFunction", &[0xff, 0xff]).unwrap_err();
        assert!(matches!(err, AminoError::Decode { .. }), "{err}");
        // The same content encoded another way: fields out of order, a field twice (the last
        // wins), a default written out.
        let retire = orch::MsgRetireFunction {
            owner: "o".into(),
            function_id: 1,
        };
        let canonical = retire.encode_to_vec();
        msg_to_amino("/bls.orchestration.v1.MsgRetireFunction", &canonical).unwrap();
        for other in [
            vec![0x10, 0x01, 0x0a, 0x01, b'o'],
            vec![0x0a, 0x01, b'x', 0x0a, 0x01, b'o', 0x10, 0x01],
            vec![0x0a, 0x01, b'o', 0x10, 0x01, 0x10, 0x01],
            vec![0x0a, 0x01, b'o', 0x10, 0x81, 0x00],
        ] {
            let err = msg_to_amino("/bls.orchestration.v1.MsgRetireFunction", &other).unwrap_err();
            assert!(
                matches!(err, AminoError::NonCanonical(_)),
                "{other:?}: {err}"
            );
        }
        // Unknown fields inside a nested message.
        let mut invoke = orch::MsgInvoke {
            invoker: "i".into(),
            max_fee: Some(Coin {
                denom: "ubls".into(),
                amount: "1".into(),
            }),
            ..Default::default()
        }
        .encode_to_vec();
        let coin_at = invoke.iter().position(|b| *b == 0x2a).unwrap();
        invoke[coin_at + 1] += 3;
        invoke.extend_from_slice(&[0x98, 0x06, 0x01]);
        let err = msg_to_amino("/bls.orchestration.v1.MsgInvoke", &invoke).unwrap_err();
        assert!(
            matches!(err, AminoError::UnknownFields { field: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn the_sign_doc_is_sorted_and_leaves_out_a_zero_timeout() {
        let send = MsgSend {
            from_address: "a".into(),
            to_address: "b".into(),
            amount: vec![],
        };
        let mut doc = StdSignDoc {
            chain_id: "bls-devnet-1".into(),
            account_number: 3,
            sequence: 9,
            fee: vec![FeeCoin {
                denom: "ubls".into(),
                amount: "2500".into(),
            }],
            gas: 100_000,
            memo: "hi".into(),
            timeout_height: 0,
            msgs: vec![("/cosmos.bank.v1beta1.MsgSend".into(), send.encode_to_vec())],
        };
        let bytes = doc.sign_text().unwrap();
        assert_eq!(
            bytes,
            r#"{"account_number":"3","chain_id":"bls-devnet-1","fee":{"amount":[{"amount":"2500","denom":"ubls"}],"gas":"100000"},"memo":"hi","msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[],"from_address":"a","to_address":"b"}}],"sequence":"9"}"#
        );
        doc.timeout_height = 12;
        let bytes = doc.sign_text().unwrap();
        assert!(
            bytes.ends_with(r#""sequence":"9","timeout_height":"12"}"#),
            "{bytes}"
        );
    }
}
