//! Events as typed messages: every `Event*` message of proto/ names its ABCI event type in the
//! `(bls.options.v1.event_type)` option, and its fields are the event's attributes (values are
//! text: numbers in decimal, lists comma-separated, so every field is a scalar).
//! [`decode`] reads an emitted event back into its message, refusing an attribute the schema
//! does not have, a missing one, or a value of the wrong type.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, Value};

use crate::descriptor_pool;

/// Full name of the custom option that names a message's event type.
pub const EVENT_TYPE_OPTION: &str = "bls.options.v1.event_type";

/// The attribute the tx pipeline adds to every event of a message (the message's index in its
/// tx, as the Cosmos SDK does): chain metadata, not one of the event's own fields.
pub const MSG_INDEX_ATTRIBUTE: &str = "msg_index";

/// Why an emitted event does not match its message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    /// An attribute the message has no field for.
    #[error("event {kind}: attribute {key:?} is not a field of {message}")]
    UnknownAttribute {
        /// The event type.
        kind: String,
        /// The attribute.
        key: String,
        /// The message.
        message: String,
    },
    /// The same attribute twice.
    #[error("event {kind}: attribute {key:?} appears twice")]
    DuplicateAttribute {
        /// The event type.
        kind: String,
        /// The attribute.
        key: String,
    },
    /// A field without `optional` that the event does not carry.
    #[error("event {kind}: attribute {key:?} is missing")]
    MissingAttribute {
        /// The event type.
        kind: String,
        /// The field.
        key: String,
    },
    /// A value that does not parse as the field's type.
    #[error("event {kind}: attribute {key:?} = {value:?} is not a {expected}")]
    BadValue {
        /// The event type.
        kind: String,
        /// The attribute.
        key: String,
        /// Its value.
        value: String,
        /// The field's type.
        expected: String,
    },
}

/// The event option's value on `desc`, if set.
fn event_type_of(desc: &MessageDescriptor) -> Option<String> {
    let ext = descriptor_pool().get_extension_by_name(EVENT_TYPE_OPTION)?;
    let options = desc.options();
    if !options.has_extension(&ext) {
        return None;
    }
    options.get_extension(&ext).as_str().map(str::to_string)
}

/// Every event message of proto/, by event type.
pub fn event_messages() -> &'static BTreeMap<String, MessageDescriptor> {
    static EVENTS: OnceLock<BTreeMap<String, MessageDescriptor>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        descriptor_pool()
            .all_messages()
            .filter_map(|m| event_type_of(&m).map(|t| (t, m)))
            .collect()
    })
}

fn parse_value(kind: &Kind, text: &str) -> Option<Value> {
    Some(match kind {
        Kind::String => Value::String(text.to_string()),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(text.parse().ok()?),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(text.parse().ok()?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(text.parse().ok()?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(text.parse().ok()?),
        Kind::Bool => Value::Bool(text.parse().ok()?),
        _ => return None,
    })
}

/// The message of an emitted event: `Ok(None)` when `kind` is no event of proto/ (e.g. the
/// SDK's `transfer`), an error when the attributes do not match the message. The
/// [`MSG_INDEX_ATTRIBUTE`] the tx pipeline adds is skipped.
pub fn decode(
    kind: &str,
    attributes: &[(String, String)],
) -> Result<Option<DynamicMessage>, EventError> {
    let Some(desc) = event_messages().get(kind) else {
        return Ok(None);
    };
    let mut msg = DynamicMessage::new(desc.clone());
    let mut seen = Vec::new();
    for (key, value) in attributes {
        if key == MSG_INDEX_ATTRIBUTE {
            continue;
        }
        let field = desc
            .get_field_by_name(key)
            .ok_or_else(|| EventError::UnknownAttribute {
                kind: kind.to_string(),
                key: key.clone(),
                message: desc.full_name().to_string(),
            })?;
        if seen.contains(&key) {
            return Err(EventError::DuplicateAttribute {
                kind: kind.to_string(),
                key: key.clone(),
            });
        }
        seen.push(key);
        let parsed = parse_value(&field.kind(), value).ok_or_else(|| EventError::BadValue {
            kind: kind.to_string(),
            key: key.clone(),
            value: value.clone(),
            expected: format!("{:?}", field.kind()),
        })?;
        msg.set_field(&field, parsed);
    }
    for field in desc.fields() {
        if !field.supports_presence() && !seen.iter().any(|k| *k == field.name()) {
            return Err(EventError::MissingAttribute {
                kind: kind.to_string(),
                key: field.name().to_string(),
            });
        }
    }
    Ok(Some(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_event_message_names_one_event_type() {
        let events = event_messages();
        let named: Vec<String> = descriptor_pool()
            .all_messages()
            .filter(|m| m.package_name().starts_with("bls.") && m.name().starts_with("Event"))
            .map(|m| m.full_name().to_string())
            .collect();
        assert_eq!(
            events.len(),
            named.len(),
            "an Event message without its type"
        );
        assert!(events.contains_key("bls.job_assigned"));
        // Attribute values are text: every field is a scalar.
        for desc in events.values() {
            for f in desc.fields() {
                assert!(
                    !f.is_list() && !matches!(f.kind(), Kind::Message(_)),
                    "{f:?}"
                );
            }
        }
    }

    #[test]
    fn an_event_decodes_into_its_message_or_is_refused() {
        let ok = attrs(&[("worker", "bls1w"), ("job_id", "7"), ("msg_index", "0")]);
        let msg = decode("bls.worker_missed", &ok)
            .expect("fits")
            .expect("known");
        assert_eq!(
            msg.get_field_by_name("job_id").expect("field").as_u64(),
            Some(7)
        );
        assert_eq!(decode("transfer", &ok), Ok(None));
        assert!(matches!(
            decode(
                "bls.worker_missed",
                &attrs(&[("worker", "w"), ("job_id", "x")])
            ),
            Err(EventError::BadValue { .. })
        ));
        assert!(matches!(
            decode(
                "bls.worker_missed",
                &attrs(&[("worker", "w"), ("extra", "1")])
            ),
            Err(EventError::UnknownAttribute { .. })
        ));
        assert!(matches!(
            decode(
                "bls.worker_jailed",
                &attrs(&[("worker", "w"), ("until", "1")])
            ),
            Err(EventError::MissingAttribute { .. })
        ));
    }
}
