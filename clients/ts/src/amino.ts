// Amino JSON, the encoding `SIGN_MODE_LEGACY_AMINO_JSON` signs (Keplr with a Ledger, CosmJS
// `Secp256k1HdWallet`, and the MetaMask and Martian envelopes). The chain rebuilds the same JSON
// from a tx's protobuf messages (`bls_proto::amino` in Rust) and verifies the signature over it,
// so the two encoders must agree byte for byte: proto/README.md ("Amino JSON") is the rule both
// follow, and the end-to-end tests sign with this one and verify with that one.

import { create, getOption, hasOption, isFieldSet, ScalarType } from "@bufbuild/protobuf";
import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";
import { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";
import { dont_omitempty, name as aminoNameOption } from "./gen/amino/amino_pb.js";
import { fieldValue } from "./fields.js";
import { blsMessages, msgSendSchema, typeUrl } from "./messages.js";

/** A JSON value as amino writes it. */
export type AminoJson = null | boolean | number | string | AminoJson[] | { [key: string]: AminoJson };

/** An amino message: `{"type": <amino name>, "value": <fields>}`. */
export interface AminoMsg {
  readonly type: string;
  readonly value: { [key: string]: AminoJson };
}

/** The CosmJS `AminoConverter` shape (structural: no CosmJS import needed). */
export interface AminoConverter {
  readonly aminoType: string;
  toAmino(value: unknown): { [key: string]: AminoJson };
  fromAmino(value: { [key: string]: AminoJson }): unknown;
}

/** The message's `(amino.name)`. Throws for a message without one (it cannot be signed in amino JSON). */
export function aminoName(schema: DescMessage): string {
  if (!hasOption(schema, aminoNameOption)) {
    throw new Error(`${schema.typeName} has no amino name: it cannot be signed in amino JSON`);
  }
  return getOption(schema, aminoNameOption);
}

const LONGS = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);
const INTS = new Set([ScalarType.INT32, ScalarType.UINT32, ScalarType.SINT32, ScalarType.FIXED32, ScalarType.SFIXED32]);

function scalarToAmino(field: DescField, scalar: ScalarType, v: unknown): AminoJson {
  if (scalar === ScalarType.STRING || scalar === ScalarType.BOOL) return v as string | boolean;
  if (INTS.has(scalar)) return Number(v);
  if (LONGS.has(scalar)) return BigInt(v as bigint | string | number).toString();
  if (scalar === ScalarType.BYTES) return base64Encode(v as Uint8Array, "std");
  throw new Error(`field ${field.parent.typeName}.${field.name} is a float, which amino JSON does not encode`);
}

function scalarFromAmino(field: DescField, scalar: ScalarType, v: AminoJson): unknown {
  const bad = () => new Error(`amino field ${field.name}: ${JSON.stringify(v)} is not a ${ScalarType[scalar]}`);
  if (scalar === ScalarType.STRING) {
    if (typeof v !== "string") throw bad();
    return v;
  }
  if (scalar === ScalarType.BOOL) {
    if (typeof v !== "boolean") throw bad();
    return v;
  }
  if (INTS.has(scalar)) {
    if (typeof v !== "number" || !Number.isInteger(v)) throw bad();
    return v;
  }
  if (LONGS.has(scalar)) {
    if (typeof v !== "string" || !/^-?[0-9]+$/.test(v)) throw bad();
    return BigInt(v);
  }
  if (scalar === ScalarType.BYTES) {
    if (typeof v !== "string") throw bad();
    return base64Decode(v);
  }
  throw bad();
}

/** The fields of `message` (of type `schema`) in amino JSON. */
export function messageToAmino(schema: DescMessage, message: Message): { [key: string]: AminoJson } {
  const unknown = (message as { $unknown?: { no: number }[] }).$unknown;
  if (unknown && unknown.length > 0) {
    throw new Error(
      `${schema.typeName} carries fields its schema does not know (field ${unknown[0].no}): they would go unsigned`,
    );
  }
  const out: { [key: string]: AminoJson } = {};
  for (const field of schema.fields) {
    const keep = hasOption(field, dont_omitempty) && getOption(field, dont_omitempty);
    if (!isFieldSet(message, field) && !keep) continue;
    const v = fieldValue(message, field);
    switch (field.fieldKind) {
      case "scalar":
        out[field.name] = scalarToAmino(field, field.scalar, v);
        break;
      case "enum":
        out[field.name] = Number(v);
        break;
      case "message":
        out[field.name] = messageToAmino(field.message, (v ?? create(field.message)) as Message);
        break;
      case "list": {
        const items = (v as unknown[]) ?? [];
        out[field.name] = items.map((item) => {
          switch (field.listKind) {
            case "scalar":
              return scalarToAmino(field, field.scalar, item);
            case "enum":
              return Number(item);
            case "message":
              return messageToAmino(field.message, item as Message);
          }
        });
        break;
      }
      case "map":
        throw new Error(`field ${schema.typeName}.${field.name} is a map, which amino JSON does not encode`);
    }
  }
  return out;
}

/** The message of type `schema` whose amino JSON fields are `json` (the inverse of {@link messageToAmino}). */
export function messageFromAmino(schema: DescMessage, json: { [key: string]: AminoJson }): Message {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error(`amino value of ${schema.typeName} is not an object`);
  }
  const known = new Set(schema.fields.map((f) => f.name));
  for (const key of Object.keys(json)) {
    if (!known.has(key)) throw new Error(`${schema.typeName} has no field ${key}`);
  }
  const init: Record<string, unknown> = {};
  const set = (field: DescField, value: unknown) => {
    if (field.oneof) init[field.oneof.localName] = { case: field.localName, value };
    else init[field.localName] = value;
  };
  for (const field of schema.fields) {
    const v = json[field.name];
    if (v === undefined) continue;
    switch (field.fieldKind) {
      case "scalar":
        set(field, scalarFromAmino(field, field.scalar, v));
        break;
      case "enum":
        if (typeof v !== "number") throw new Error(`amino field ${field.name} is not an enum number`);
        set(field, v);
        break;
      case "message":
        set(field, messageFromAmino(field.message, v as { [key: string]: AminoJson }));
        break;
      case "list": {
        if (!Array.isArray(v)) throw new Error(`amino field ${field.name} is not a list`);
        set(field, v.map((item) => {
          switch (field.listKind) {
            case "scalar":
              return scalarFromAmino(field, field.scalar, item);
            case "enum":
              return item;
            case "message":
              return messageFromAmino(field.message, item as { [key: string]: AminoJson });
          }
        }));
        break;
      }
      case "map":
        throw new Error(`field ${schema.typeName}.${field.name} is a map, which amino JSON does not encode`);
    }
  }
  return create(schema, init as never) as Message;
}

/** The amino message of a message `value` (a generated message or a plain init object) of `schema`. */
export function toAminoMsg(schema: DescMessage, value: unknown): AminoMsg {
  const message = create(schema, value as never) as Message;
  return { type: aminoName(schema), value: messageToAmino(schema, message) };
}

/** A CosmJS amino converter for one message type. */
export function aminoConverter(schema: DescMessage): AminoConverter {
  return {
    aminoType: aminoName(schema),
    toAmino: (value) => messageToAmino(schema, create(schema, value as never) as Message),
    fromAmino: (json) => messageFromAmino(schema, json),
  };
}

/**
 * Amino converters for every bls tx message, by type URL: pass them to CosmJS's `AminoTypes`
 * beside `createDefaultAminoConverters()` (which covers `MsgSend`).
 */
export function blsAminoConverters(): Record<string, AminoConverter> {
  const out: Record<string, AminoConverter> = {};
  for (const [url, schema] of blsMessages) out[url] = aminoConverter(schema);
  return out;
}

/** Every message with an amino name in this client (the bls messages and `MsgSend`), by amino name. */
export const messagesByAminoName: ReadonlyMap<string, DescMessage> = new Map(
  [...blsMessages.values(), msgSendSchema].map((schema) => [aminoName(schema), schema] as const),
);

export { typeUrl };
