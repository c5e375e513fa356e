//! Queries of `bls.*` modules in protobuf as well as JSON.
//!
//! The modules answer JSON (`/bls.<module>.v1.Query/<Method>`, a serde request in, a serde
//! answer out). Each such path is an rpc of the module's `service Query` in proto/, whose
//! request and response messages mirror the JSON field for field (proto3 JSON mapping with the
//! proto field names). The rule that picks the encoding of one query:
//!
//! - request data whose first byte is `{` is JSON, and the answer is the module's JSON;
//! - anything else, including empty data, is the rpc's protobuf request message, and the
//!   answer is the rpc's protobuf response message.
//!
//! A protobuf request never starts with `{` (0x7B would open a group with field number 15,
//! which no proto3 message has), so the two never collide. For a protobuf query the app turns
//! the request into the module's JSON ([`QueryRpc::request_to_json`]), asks the module, and
//! turns its JSON answer into the response message ([`QueryRpc::response_to_protobuf`]),
//! refusing an answer that does not fit the schema rather than dropping a field.

use prost::Message;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, MessageDescriptor, MethodDescriptor, SerializeOptions,
};

use crate::descriptor_pool;

/// How a query's request data is encoded, and therefore how it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// A JSON object: the module answers JSON.
    Json,
    /// The rpc's protobuf request message (also empty data): the answer is protobuf.
    Protobuf,
}

impl Encoding {
    /// JSON when the first byte is `{`, protobuf otherwise (including empty data).
    pub fn of(data: &[u8]) -> Self {
        if data.first() == Some(&b'{') {
            Self::Json
        } else {
            Self::Protobuf
        }
    }
}

/// Why a query could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The path names a `bls.*` query service but no rpc of it.
    #[error("unknown query path {0:?}: no such rpc in proto/")]
    UnknownMethod(String),
    /// The request data is not the rpc's protobuf request message.
    #[error("request is not a valid {message}: {detail}")]
    InvalidRequest {
        /// Full name of the request message.
        message: String,
        /// The decoder's complaint.
        detail: String,
    },
    /// The module's JSON answer does not fit the rpc's response message (the schema and the
    /// module disagree: a bug, never the caller's fault).
    #[error("answer does not fit {message}: {detail}")]
    InvalidResponse {
        /// Full name of the response message.
        message: String,
        /// The JSON mapping's complaint.
        detail: String,
    },
}

/// The JSON mapping our modules use: proto field names (not lowerCamelCase), 64-bit integers
/// as JSON numbers, every field without presence written even when default (the modules' serde
/// requests require their fields), fields with presence only when set.
pub fn json_serialize_options() -> SerializeOptions {
    SerializeOptions::new()
        .use_proto_field_name(true)
        .stringify_64_bit_integers(false)
        .skip_default_fields(false)
}

/// Every path prefix of a `bls.*` query service starts with this.
pub const BLS_QUERY_PATH_PREFIX: &str = "/bls.";

/// One rpc of a `bls.*` `service Query`.
#[derive(Clone, Debug)]
pub struct QueryRpc {
    method: MethodDescriptor,
}

impl QueryRpc {
    /// The rpc of an ABCI query path `/bls.<module>.v1.Query/<Method>`: `None` when the path is
    /// not a `bls.*` one (e.g. `/cosmos.bank.v1beta1.Query/Balance`), an error when it is but
    /// proto/ has no such rpc.
    pub fn for_path(path: &str) -> Option<Result<Self, CodecError>> {
        let rest = path.strip_prefix('/')?;
        if !path.starts_with(BLS_QUERY_PATH_PREFIX) {
            return None;
        }
        let unknown = || CodecError::UnknownMethod(path.to_string());
        let Some((service, method)) = rest.split_once('/') else {
            return Some(Err(unknown()));
        };
        let found = descriptor_pool()
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == method));
        Some(found.map(|method| Self { method }).ok_or_else(unknown))
    }

    /// Every rpc of every `bls.*` `service Query`, in descriptor order.
    pub fn all() -> Vec<Self> {
        descriptor_pool()
            .services()
            .filter(|s| s.package_name().starts_with("bls.") && s.name() == "Query")
            .flat_map(|s| s.methods().collect::<Vec<_>>())
            .map(|method| Self { method })
            .collect()
    }

    /// The ABCI query path, `/bls.<module>.v1.Query/<Method>`.
    pub fn path(&self) -> String {
        format!(
            "/{}/{}",
            self.method.parent_service().full_name(),
            self.method.name()
        )
    }

    /// The method name (the path's last part).
    pub fn name(&self) -> &str {
        self.method.name()
    }

    /// The request message.
    pub fn input(&self) -> MessageDescriptor {
        self.method.input()
    }

    /// The response message.
    pub fn output(&self) -> MessageDescriptor {
        self.method.output()
    }

    /// Decodes `data` as the request message and writes it as the module's JSON request.
    pub fn request_to_json(&self, data: &[u8]) -> Result<Vec<u8>, CodecError> {
        let input = self.input();
        let invalid = |detail: String| CodecError::InvalidRequest {
            message: input.full_name().to_string(),
            detail,
        };
        let msg =
            DynamicMessage::decode(input.clone(), data).map_err(|e| invalid(e.to_string()))?;
        message_to_json(&msg).map_err(invalid)
    }

    /// Reads the module's JSON answer as the response message and encodes it.
    pub fn response_to_protobuf(&self, json: &[u8]) -> Result<Vec<u8>, CodecError> {
        let output = self.output();
        json_to_message(&output, json)
            .map(|m| m.encode_to_vec())
            .map_err(|detail| CodecError::InvalidResponse {
                message: output.full_name().to_string(),
                detail,
            })
    }
}

/// `msg` in our JSON mapping ([`json_serialize_options`]).
pub fn message_to_json(msg: &DynamicMessage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::new(&mut out);
    msg.serialize_with_options(&mut ser, &json_serialize_options())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Parses JSON as a `desc` message: unknown fields are refused, `null` means absent, 64-bit
/// integers may be numbers or strings, bytes are base64.
pub fn json_to_message(desc: &MessageDescriptor, json: &[u8]) -> Result<DynamicMessage, String> {
    let mut value: serde_json::Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    drop_nulls(&mut value);
    DynamicMessage::deserialize_with_options(desc.clone(), value, &DeserializeOptions::new())
        .map_err(|e| e.to_string())
}

/// Removes every object member whose value is `null`. The proto3 JSON mapping reads `null` as
/// "field absent", but prost-reflect sets a field with presence to its default instead (an
/// absent `next` would come out as `Some(0)`).
fn drop_nulls(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(members) => {
            members.retain(|_, v| !v.is_null());
            members.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_byte_picks_the_encoding() {
        assert_eq!(Encoding::of(b"{}"), Encoding::Json);
        assert_eq!(Encoding::of(b"{\"id\":1}"), Encoding::Json);
        assert_eq!(Encoding::of(b""), Encoding::Protobuf);
        assert_eq!(Encoding::of(&[0x08, 0x01]), Encoding::Protobuf);
        // Leading whitespace is not skipped: 0x0a opens field 1 of a protobuf message.
        assert_eq!(Encoding::of(b"\n{}"), Encoding::Protobuf);
    }

    #[test]
    fn paths_map_to_rpcs() {
        let rpc = QueryRpc::for_path("/bls.registry.v1.Query/Worker")
            .expect("a bls path")
            .expect("an rpc");
        assert_eq!(rpc.path(), "/bls.registry.v1.Query/Worker");
        assert_eq!(
            rpc.input().full_name(),
            "bls.registry.v1.QueryWorkerRequest"
        );
        assert_eq!(
            rpc.output().full_name(),
            "bls.registry.v1.QueryWorkerResponse"
        );
        assert!(QueryRpc::for_path("/cosmos.bank.v1beta1.Query/Balance").is_none());
        assert!(matches!(
            QueryRpc::for_path("/bls.registry.v1.Query/Nope"),
            Some(Err(CodecError::UnknownMethod(_)))
        ));
        assert!(matches!(
            QueryRpc::for_path("/bls.registry.v1.Query"),
            Some(Err(CodecError::UnknownMethod(_)))
        ));
        assert!(QueryRpc::all()
            .iter()
            .any(|r| r.path() == "/bls.beacon.v1.Query/Randomness"));
    }

    #[test]
    fn a_protobuf_request_becomes_the_modules_json() {
        use crate::bls::orchestration::v1 as pb;
        let rpc = QueryRpc::for_path("/bls.orchestration.v1.Query/Jobs")
            .expect("bls")
            .expect("rpc");
        let req = pb::QueryJobsRequest {
            status: Some("failed".into()),
            function_id: Some(0),
            start_after: None,
            limit: Some(7),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&rpc.request_to_json(&req.encode_to_vec()).expect("json"))
                .expect("valid json");
        // Set optional fields are written (even a zero), unset ones left out; 64-bit integers
        // are numbers.
        assert_eq!(
            json,
            serde_json::json!({"status": "failed", "function_id": 0, "limit": 7})
        );
        let rpc = QueryRpc::for_path("/bls.orchestration.v1.Query/Job")
            .expect("bls")
            .expect("rpc");
        // Empty data is the default request: its plain fields are written with their defaults.
        assert_eq!(rpc.request_to_json(b"").expect("json"), br#"{"id":0}"#);
        assert!(matches!(
            rpc.request_to_json(&[0xff, 0xff]),
            Err(CodecError::InvalidRequest { .. })
        ));
    }

    #[test]
    fn a_json_answer_becomes_the_response_message_or_is_refused() {
        use crate::bls::orchestration::v1 as pb;
        let rpc = QueryRpc::for_path("/bls.orchestration.v1.Query/FastPathSettled")
            .expect("bls")
            .expect("rpc");
        let bytes = rpc.response_to_protobuf(br#"{"height":12}"#).expect("fits");
        let resp = pb::QueryFastPathSettledResponse::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(resp.height, Some(12));
        let bytes = rpc
            .response_to_protobuf(br#"{"height":null}"#)
            .expect("fits");
        assert_eq!(
            pb::QueryFastPathSettledResponse::decode(bytes.as_slice())
                .expect("decodes")
                .height,
            None
        );
        // A field the schema does not have is refused, not dropped.
        assert!(matches!(
            rpc.response_to_protobuf(br#"{"height":1,"extra":true}"#),
            Err(CodecError::InvalidResponse { .. })
        ));
    }
}
