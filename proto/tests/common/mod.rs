//! Helpers shared by the schema tests: values generated from descriptors alone, and checks that
//! a decoded message has every field set.

#![allow(dead_code)] // each test binary uses a different subset

use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value};

/// Asserts that `msg` has every field of its descriptor set (non-default; lists non-empty),
/// recursively, and carries no field the descriptor lacks.
pub fn assert_complete(msg: &DynamicMessage, path: &str) {
    assert_eq!(
        msg.unknown_fields().count(),
        0,
        "{path}: fields the schema does not have"
    );
    for field in msg.descriptor().fields() {
        let at = format!("{path}.{}", field.name());
        assert!(msg.has_field(&field), "{at} is not set");
        match &*msg.get_field(&field) {
            Value::Message(m) => assert_complete(m, &at),
            Value::List(items) => {
                for item in items {
                    if let Value::Message(m) = item {
                        assert_complete(m, &at);
                    }
                }
            }
            _ => {}
        }
    }
}

/// A scalar value of `kind`, non-default, distinct per `seed`; signed kinds are negative so a
/// signed/unsigned mix-up changes the printed value.
fn scalar(kind: &Kind, seed: u32) -> Value {
    let n = seed + 1;
    match kind {
        Kind::Double => Value::F64(f64::from(n) + 0.5),
        Kind::Float => Value::F32(n as f32 + 0.5),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(-i32::try_from(n).unwrap_or(1)),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(-i64::from(n) * 1_000_000_007),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(n),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(u64::from(n) * 1_000_000_007),
        Kind::Bool => Value::Bool(true),
        Kind::String => Value::String(format!("s{n}")),
        Kind::Bytes => Value::Bytes(vec![u8::try_from(n % 250).unwrap_or(1) + 1; 3].into()),
        Kind::Enum(e) => Value::EnumNumber(e.values().last().map_or(1, |v| v.number())),
        Kind::Message(m) => Value::Message(filled(m)),
    }
}

/// A message with every field set to a non-default value (two elements per list), recursively.
/// The schema has no recursive messages, so this terminates.
pub fn filled(desc: &MessageDescriptor) -> DynamicMessage {
    let mut msg = DynamicMessage::new(desc.clone());
    for (i, field) in desc.fields().enumerate() {
        let seed = u32::try_from(i).unwrap_or(0) * 2;
        let kind = field.kind();
        let value = if field.is_list() {
            Value::List(vec![scalar(&kind, seed), scalar(&kind, seed + 1)])
        } else {
            scalar(&kind, seed)
        };
        msg.set_field(&field, value);
    }
    msg
}

/// A `Debug` rendering without type names (`Coin { .. }` and `ProtoCoin { .. }` both become
/// `{ .. }`), so a module struct and its generated twin print the same when their field names,
/// order and values agree.
pub fn shape(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    for c in debug.chars() {
        if c == '{' {
            let kept = out
                .trim_end()
                .trim_end_matches(|ch: char| ch.is_alphanumeric() || ch == '_')
                .len();
            out.truncate(kept);
        }
        out.push(c);
    }
    out
}
