//! EIP-712 typed data for a tx, what an Ethereum key (MetaMask's `eth_signTypedData_v4`,
//! ethers.js `signTypedData`) signs in `SIGN_MODE_LEGACY_AMINO_JSON`, in the manner of
//! Evmos/Injective/cosmos-evm: the amino [`StdSignDoc`] re-expressed as typed data, so the wallet
//! shows every field of every message before the user signs.
//!
//! The typed data of a doc with messages `m0..mN`:
//!
//! - `domain`: `{"name": "bls", "version": "1"}` (no `chainId`: MetaMask would then insist on
//!   being switched to an EVM network of that id, and bls has none; the Cosmos `chain_id` inside
//!   the message binds the signature to one chain);
//! - `primaryType` `Tx`, with fields `account_number`, `chain_id`, `fee` (`Fee`), `memo`,
//!   `msg0`..`msgN`, `sequence`, `timeout_height` — numbers as decimal strings, as in the doc;
//! - `Fee`: `amount` (`cosmos_base_v1beta1_Coin[]`), `gas`;
//! - `msgI`: type `AminoMsg_<message>`: `{type: <amino name>, value: <message>}`;
//! - each proto message is a struct named by its full name with `.` → `_`
//!   (`bls_orchestration_v1_MsgInvoke`), its fields in declaration order, **every** field present
//!   (defaults included), typed: `string` → `string`, `uint64`/`int64` → `string` (decimal),
//!   `bytes` → `bytes` (`0x` hex), `bool` → `bool`, `uint32` → `uint32`, `int32` and enums →
//!   `int32`, messages → their struct, `repeated` → `T[]`; a field that can be unset apart
//!   from holding its default (a message field, a proto3 `optional`) is `T[]` with zero
//!   elements when unset and one when set, so "unset" and "set to the default" differ.
//!
//! [`TypedData::signing_hash`] is EIP-712's `keccak256(0x1901 ‖ domainSeparator ‖
//! hashStruct(message))` over any typed data (the standard's own example is a test).

use std::collections::BTreeMap;

use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value as PValue,
};
use serde_json::{json, Value};
use sha3::{Digest, Keccak256};

use crate::amino::{signed_message, AminoError, StdSignDoc};
use crate::descriptor_pool;

/// The domain every bls tx is signed under.
pub const DOMAIN_NAME: &str = "bls";
/// The version of this typed-data layout.
pub const DOMAIN_VERSION: &str = "1";

/// Why typed data cannot be hashed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Eip712Error {
    /// The doc's messages have no typed-data form.
    #[error(transparent)]
    Amino(#[from] AminoError),
    /// A type the data names is not declared, or a value does not fit its type.
    #[error("typed data: {0}")]
    Invalid(String),
}

/// One field of a struct type: `(name, type)`.
pub type Field = (String, String);

/// EIP-712 typed data: what `eth_signTypedData_v4` takes.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedData {
    /// Struct types by name, `EIP712Domain` included.
    pub types: BTreeMap<String, Vec<Field>>,
    /// The message's type.
    pub primary_type: String,
    /// The domain values.
    pub domain: Value,
    /// The message values.
    pub message: Value,
}

fn invalid(what: impl Into<String>) -> Eip712Error {
    Eip712Error::Invalid(what.into())
}

fn keccak(bytes: &[u8]) -> [u8; 32] {
    Keccak256::digest(bytes).into()
}

impl TypedData {
    /// The typed data of `doc` (see the module docs for the layout).
    pub fn from_sign_doc(doc: &StdSignDoc) -> Result<TypedData, Eip712Error> {
        let mut types = BTreeMap::new();
        types.insert(
            "EIP712Domain".to_string(),
            vec![field("name", "string"), field("version", "string")],
        );
        let coin = descriptor_pool()
            .get_message_by_name("cosmos.base.v1beta1.Coin")
            .ok_or_else(|| invalid("cosmos.base.v1beta1.Coin is not in the schema"))?;
        let coin_type = declare(&coin, &mut types)?;
        types.insert(
            "Fee".to_string(),
            vec![
                field("amount", &format!("{coin_type}[]")),
                field("gas", "string"),
            ],
        );
        let mut tx_fields = vec![
            field("account_number", "string"),
            field("chain_id", "string"),
            field("fee", "Fee"),
            field("memo", "string"),
        ];
        let mut message = serde_json::Map::new();
        for (i, (type_url, bytes)) in doc.msgs.iter().enumerate() {
            let (name, msg) = signed_message(type_url, bytes)?;
            let desc = msg.descriptor();
            let value_type = declare(&desc, &mut types)?;
            let wrapper = format!("AminoMsg_{value_type}");
            types.insert(
                wrapper.clone(),
                vec![field("type", "string"), field("value", &value_type)],
            );
            tx_fields.push(field(&format!("msg{i}"), &wrapper));
            message.insert(
                format!("msg{i}"),
                json!({"type": name, "value": message_value(&msg)?}),
            );
        }
        tx_fields.push(field("sequence", "string"));
        tx_fields.push(field("timeout_height", "string"));
        types.insert("Tx".to_string(), tx_fields);
        let amount: Vec<Value> = doc
            .fee
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect();
        message.insert(
            "account_number".into(),
            json!(doc.account_number.to_string()),
        );
        message.insert("chain_id".into(), json!(doc.chain_id));
        message.insert(
            "fee".into(),
            json!({"amount": amount, "gas": doc.gas.to_string()}),
        );
        message.insert("memo".into(), json!(doc.memo));
        message.insert("sequence".into(), json!(doc.sequence.to_string()));
        message.insert(
            "timeout_height".into(),
            json!(doc.timeout_height.to_string()),
        );
        Ok(TypedData {
            types,
            primary_type: "Tx".into(),
            domain: json!({"name": DOMAIN_NAME, "version": DOMAIN_VERSION}),
            message: Value::Object(message),
        })
    }

    /// The 32 bytes an Ethereum key signs: `keccak256(0x1901 ‖ hashStruct(EIP712Domain, domain)
    /// ‖ hashStruct(primaryType, message))`.
    pub fn signing_hash(&self) -> Result<[u8; 32], Eip712Error> {
        let mut pre = Vec::with_capacity(66);
        pre.extend_from_slice(&[0x19, 0x01]);
        pre.extend_from_slice(&self.hash_struct("EIP712Domain", &self.domain)?);
        pre.extend_from_slice(&self.hash_struct(&self.primary_type, &self.message)?);
        Ok(keccak(&pre))
    }

    fn fields(&self, name: &str) -> Result<&Vec<Field>, Eip712Error> {
        self.types
            .get(name)
            .ok_or_else(|| invalid(format!("type {name} is not declared")))
    }

    /// `encodeType`: the primary type, then the struct types it references, sorted by name.
    fn encode_type(&self, primary: &str) -> Result<String, Eip712Error> {
        let mut deps = std::collections::BTreeSet::new();
        self.dependencies(primary, &mut deps)?;
        deps.remove(primary);
        let mut out = String::new();
        for name in std::iter::once(primary).chain(deps.iter().map(String::as_str)) {
            let fields = self.fields(name)?;
            let list: Vec<String> = fields.iter().map(|(n, t)| format!("{t} {n}")).collect();
            out.push_str(&format!("{name}({})", list.join(",")));
        }
        Ok(out)
    }

    fn dependencies(
        &self,
        name: &str,
        found: &mut std::collections::BTreeSet<String>,
    ) -> Result<(), Eip712Error> {
        if found.contains(name) {
            return Ok(());
        }
        found.insert(name.to_string());
        for (_, t) in self.fields(name)? {
            let base = t.trim_end_matches("[]");
            if self.types.contains_key(base) {
                self.dependencies(base, found)?;
            }
        }
        Ok(())
    }

    fn hash_struct(&self, name: &str, value: &Value) -> Result<[u8; 32], Eip712Error> {
        let obj = value
            .as_object()
            .ok_or_else(|| invalid(format!("a {name} value is not an object")))?;
        let mut enc = keccak(self.encode_type(name)?.as_bytes()).to_vec();
        for (field_name, t) in self.fields(name)? {
            let v = obj
                .get(field_name)
                .ok_or_else(|| invalid(format!("{name}.{field_name} is missing")))?;
            enc.extend_from_slice(&self.encode_value(t, v)?);
        }
        Ok(keccak(&enc))
    }

    fn encode_value(&self, t: &str, v: &Value) -> Result<[u8; 32], Eip712Error> {
        let bad = || invalid(format!("{v} is not a {t}"));
        if let Some(elem) = t.strip_suffix("[]") {
            let items = v.as_array().ok_or_else(bad)?;
            let mut cat = Vec::with_capacity(items.len() * 32);
            for item in items {
                cat.extend_from_slice(&self.encode_value(elem, item)?);
            }
            return Ok(keccak(&cat));
        }
        if self.types.contains_key(t) {
            return self.hash_struct(t, v);
        }
        match t {
            "string" => Ok(keccak(v.as_str().ok_or_else(bad)?.as_bytes())),
            "bytes" => Ok(keccak(
                &hex_bytes(v.as_str().ok_or_else(bad)?).ok_or_else(bad)?,
            )),
            "bool" => Ok(word_u128(u128::from(v.as_bool().ok_or_else(bad)?))),
            "address" => {
                let b = hex_bytes(v.as_str().ok_or_else(bad)?).ok_or_else(bad)?;
                if b.len() != 20 {
                    return Err(bad());
                }
                let mut w = [0u8; 32];
                w[12..].copy_from_slice(&b);
                Ok(w)
            }
            _ => {
                // EIP-712 widths: whole bytes, 8 to 256 bits.
                let width = |b: &str| {
                    b.parse::<u32>()
                        .ok()
                        .filter(|n| n % 8 == 0 && (8..=256).contains(n))
                };
                if let Some(bits) = t.strip_prefix("uint").and_then(width) {
                    let n = integer(v).ok_or_else(bad)?;
                    let n = u128::try_from(n).map_err(|_| bad())?;
                    if bits < 128 && n >> bits != 0 {
                        return Err(bad());
                    }
                    return Ok(word_u128(n));
                }
                if let Some(bits) = t.strip_prefix("int").and_then(width) {
                    let n = integer(v).ok_or_else(bad)?;
                    if bits < 128 {
                        let lim = 1i128 << (bits - 1);
                        if n < -lim || n >= lim {
                            return Err(bad());
                        }
                    }
                    // Two's complement, sign-extended to 256 bits.
                    let mut w = if n < 0 { [0xff; 32] } else { [0; 32] };
                    w[16..].copy_from_slice(&n.to_be_bytes());
                    return Ok(w);
                }
                if let Some(len) = t
                    .strip_prefix("bytes")
                    .and_then(|b| b.parse::<usize>().ok())
                {
                    let b = hex_bytes(v.as_str().ok_or_else(bad)?).ok_or_else(bad)?;
                    if b.len() != len || len > 32 {
                        return Err(bad());
                    }
                    let mut w = [0u8; 32];
                    w[..len].copy_from_slice(&b);
                    return Ok(w);
                }
                Err(invalid(format!("type {t} is not declared")))
            }
        }
    }
}

fn field(name: &str, t: &str) -> Field {
    (name.to_string(), t.to_string())
}

fn word_u128(n: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&n.to_be_bytes());
    w
}

/// A JSON number or decimal string (or `0x` hex) as an integer.
fn integer(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(hex) => u128::from_str_radix(hex, 16)
                .ok()
                .and_then(|n| i128::try_from(n).ok()),
            None => s.parse().ok(),
        },
        _ => None,
    }
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let hex = s.strip_prefix("0x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The struct name of a proto message.
fn struct_name(desc: &MessageDescriptor) -> String {
    desc.full_name().replace('.', "_")
}

/// Declares `desc`'s struct (and the structs its fields use) in `types`; returns its name.
fn declare(
    desc: &MessageDescriptor,
    types: &mut BTreeMap<String, Vec<Field>>,
) -> Result<String, Eip712Error> {
    declare_in(desc, types, &mut Vec::new())
}

fn declare_in(
    desc: &MessageDescriptor,
    types: &mut BTreeMap<String, Vec<Field>>,
    visiting: &mut Vec<String>,
) -> Result<String, Eip712Error> {
    let name = struct_name(desc);
    if types.contains_key(&name) {
        return Ok(name);
    }
    // A message that (indirectly) contains itself cannot be written with every field present.
    if visiting.contains(&name) {
        return Err(invalid(format!(
            "{} contains itself: no typed-data form",
            desc.full_name()
        )));
    }
    visiting.push(name.clone());
    let mut fields = Vec::new();
    for f in desc.fields() {
        if f.is_map() {
            return Err(AminoError::Unsupported {
                field: f.full_name().to_string(),
                kind: "map".into(),
            }
            .into());
        }
        let base = match f.kind() {
            Kind::String
            | Kind::Uint64
            | Kind::Fixed64
            | Kind::Int64
            | Kind::Sint64
            | Kind::Sfixed64 => "string".to_string(),
            Kind::Bytes => "bytes".to_string(),
            Kind::Bool => "bool".to_string(),
            Kind::Uint32 | Kind::Fixed32 => "uint32".to_string(),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Enum(_) => "int32".to_string(),
            Kind::Message(m) => declare_in(&m, types, visiting)?,
            Kind::Float | Kind::Double => {
                return Err(AminoError::Unsupported {
                    field: f.full_name().to_string(),
                    kind: "float".into(),
                }
                .into())
            }
        };
        // A list, or a field that can be unset apart from its default (a message, a proto3
        // `optional`): an array, of zero or one element for the latter, so that "unset" and
        // "set to the default" sign differently.
        let t = if f.is_list() || f.supports_presence() {
            format!("{base}[]")
        } else {
            base
        };
        fields.push((f.name().to_string(), t));
    }
    visiting.pop();
    types.insert(name.clone(), fields);
    Ok(name)
}

/// Every field of `msg`, defaults included, as typed-data values.
fn message_value(msg: &DynamicMessage) -> Result<Value, Eip712Error> {
    let mut out = serde_json::Map::new();
    for f in msg.descriptor().fields() {
        let v = msg.get_field(&f);
        let json = if f.is_list() {
            let items = v.as_list().unwrap_or_default();
            Value::Array(
                items
                    .iter()
                    .map(|i| scalar(&f, i))
                    .collect::<Result<_, _>>()?,
            )
        } else if f.supports_presence() {
            if msg.has_field(&f) {
                Value::Array(vec![scalar(&f, &v)?])
            } else {
                Value::Array(Vec::new())
            }
        } else {
            scalar(&f, &v)?
        };
        out.insert(f.name().to_string(), json);
    }
    Ok(Value::Object(out))
}

fn scalar(f: &FieldDescriptor, v: &PValue) -> Result<Value, Eip712Error> {
    Ok(match v {
        PValue::String(s) => json!(s),
        PValue::U64(n) => json!(n.to_string()),
        PValue::I64(n) => json!(n.to_string()),
        PValue::Bytes(b) => json!(to_hex(b)),
        PValue::Bool(b) => json!(b),
        PValue::U32(n) => json!(n),
        PValue::I32(n) => json!(n),
        PValue::EnumNumber(n) => json!(n),
        PValue::Message(m) => message_value(m)?,
        other => {
            return Err(AminoError::Unsupported {
                field: f.full_name().to_string(),
                kind: format!("{other:?}"),
            }
            .into())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amino::{amino_names, FeeCoin};
    use crate::bls::orchestration::v1 as orch;
    use crate::cosmos::base::v1beta1::Coin;
    use prost::Message;

    /// The example of the EIP-712 specification (`Mail` from `Person` to `Person`), whose
    /// signing hash the standard gives.
    #[test]
    fn the_standard_example_hashes_as_the_standard_says() {
        let t = |f: &[(&str, &str)]| f.iter().map(|(n, t)| field(n, t)).collect::<Vec<_>>();
        let mut types = BTreeMap::new();
        types.insert(
            "EIP712Domain".to_string(),
            t(&[
                ("name", "string"),
                ("version", "string"),
                ("chainId", "uint256"),
                ("verifyingContract", "address"),
            ]),
        );
        types.insert(
            "Person".to_string(),
            t(&[("name", "string"), ("wallet", "address")]),
        );
        types.insert(
            "Mail".to_string(),
            t(&[("from", "Person"), ("to", "Person"), ("contents", "string")]),
        );
        let data = TypedData {
            types,
            primary_type: "Mail".into(),
            domain: json!({"name": "Ether Mail", "version": "1", "chainId": 1,
                           "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"}),
            message: json!({
                "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
                "contents": "Hello, Bob!"
            }),
        };
        assert_eq!(
            data.encode_type("Mail").unwrap(),
            "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
        );
        assert_eq!(
            to_hex(&data.signing_hash().unwrap()),
            "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
        );
    }

    fn invoke_doc() -> StdSignDoc {
        let invoke = orch::MsgInvoke {
            invoker: "bls1i".into(),
            function_id: 7,
            input: vec![0xab],
            args: vec![],
            max_fee: Some(Coin {
                denom: "ubls".into(),
                amount: "100".into(),
            }),
            version: 0,
        };
        StdSignDoc {
            chain_id: "bls-devnet-1".into(),
            account_number: 4,
            sequence: 2,
            fee: vec![FeeCoin {
                denom: "ubls".into(),
                amount: "5000".into(),
            }],
            gas: 200_000,
            memo: String::new(),
            timeout_height: 0,
            msgs: vec![(
                "/bls.orchestration.v1.MsgInvoke".into(),
                invoke.encode_to_vec(),
            )],
        }
    }

    #[test]
    fn a_tx_becomes_typed_data_with_every_field() {
        let data = TypedData::from_sign_doc(&invoke_doc()).unwrap();
        assert_eq!(
            data.message["msg0"],
            json!({"type": "bls/MsgInvoke", "value": {"invoker": "bls1i", "function_id": "7",
                   "input": "0xab", "args": [], "max_fee": [{"denom": "ubls", "amount": "100"}],
                   "version": "0"}})
        );
        assert_eq!(
            data.encode_type("Tx").unwrap(),
            "Tx(string account_number,string chain_id,Fee fee,string memo,\
             AminoMsg_bls_orchestration_v1_MsgInvoke msg0,string sequence,string timeout_height)\
             AminoMsg_bls_orchestration_v1_MsgInvoke(string type,bls_orchestration_v1_MsgInvoke value)\
             Fee(cosmos_base_v1beta1_Coin[] amount,string gas)\
             bls_orchestration_v1_MsgInvoke(string invoker,string function_id,bytes input,string[] args,\
             cosmos_base_v1beta1_Coin[] max_fee,string version)\
             cosmos_base_v1beta1_Coin(string denom,string amount)"
        );
        // Anything signed changes the hash: the chain id, the sequence.
        let hash = |doc: &StdSignDoc| {
            TypedData::from_sign_doc(doc)
                .unwrap()
                .signing_hash()
                .unwrap()
        };
        let base = data.signing_hash().unwrap();
        let mut doc = invoke_doc();
        doc.chain_id = "bls-other-1".into();
        assert_ne!(hash(&doc), base);
        let mut doc = invoke_doc();
        doc.sequence = 3;
        assert_ne!(hash(&doc), base);
        let mut doc = invoke_doc();
        doc.msgs[0].1.extend_from_slice(&[0x98, 0x06, 0x01]);
        assert!(matches!(
            TypedData::from_sign_doc(&doc),
            Err(Eip712Error::Amino(AminoError::UnknownFields {
                field: 99,
                ..
            }))
        ));
    }

    #[test]
    fn every_tx_message_has_a_typed_data_form() {
        for url in amino_names().keys() {
            let desc = descriptor_pool()
                .get_message_by_name(url.trim_start_matches('/'))
                .unwrap();
            let mut types = BTreeMap::new();
            declare(&desc, &mut types).unwrap_or_else(|e| panic!("{url}: {e}"));
            let empty = DynamicMessage::new(desc);
            let data = TypedData {
                primary_type: struct_name(&empty.descriptor()),
                domain: json!({}),
                message: message_value(&empty).unwrap(),
                types: {
                    types.insert("EIP712Domain".into(), vec![]);
                    types
                },
            };
            data.signing_hash().unwrap_or_else(|e| panic!("{url}: {e}"));
        }
    }

    #[test]
    fn unset_and_set_to_the_default_sign_differently() {
        use crate::bls::staking::v1::MsgEditValidator;
        let doc = |commission: Option<u32>| StdSignDoc {
            msgs: vec![(
                "/bls.staking.v1.MsgEditValidator".into(),
                MsgEditValidator {
                    operator: "bls1v".into(),
                    commission_bps: commission,
                    ..Default::default()
                }
                .encode_to_vec(),
            )],
            ..invoke_doc()
        };
        let hash = |c| {
            TypedData::from_sign_doc(&doc(c))
                .unwrap()
                .signing_hash()
                .unwrap()
        };
        assert_ne!(hash(None), hash(Some(0)));
        let data = TypedData::from_sign_doc(&doc(Some(0))).unwrap();
        assert_eq!(data.message["msg0"]["value"]["commission_bps"], json!([0]));
        let data = TypedData::from_sign_doc(&doc(None)).unwrap();
        assert_eq!(data.message["msg0"]["value"]["commission_bps"], json!([]));
    }

    #[test]
    fn values_that_do_not_fit_their_type_are_refused() {
        let mut data = TypedData::from_sign_doc(&invoke_doc()).unwrap();
        data.message["msg0"]["value"]["input"] = json!("0xzz");
        assert!(data.signing_hash().is_err());
        let mut data = TypedData::from_sign_doc(&invoke_doc()).unwrap();
        data.types.get_mut("Tx").unwrap()[0].1 = "uint8".into();
        data.message["account_number"] = json!(300);
        assert!(data.signing_hash().is_err());
        data.message["account_number"] = json!(255);
        data.signing_hash().unwrap();
        // Widths that are not a whole number of bytes up to 256 bits are not EIP-712 types.
        for t in ["int0", "uint7", "int264"] {
            data.types.get_mut("Tx").unwrap()[0].1 = t.into();
            assert!(data.signing_hash().is_err(), "{t}");
        }
    }
}
