// EIP-712 typed data of an amino `StdSignDoc`: what an Ethereum key (MetaMask's
// `eth_signTypedData_v4`, ethers.js `signTypedData`) signs. The chain builds the same typed data
// from the tx's protobuf messages (`bls_proto::eip712`), whose module docs give the layout:
// domain {name: "bls", version: "1"}; primary type `Tx` {account_number, chain_id, fee, memo,
// msg0..msgN, sequence, timeout_height}; every message field present, typed from the schema (a
// field that can be unset apart from its default as a list of zero or one element).

import { create, isFieldSet, ScalarType } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import type { DescField, DescMessage, Message } from "@bufbuild/protobuf";
import { messageFromAmino, messagesByAminoName } from "./amino.js";
import type { AminoJson } from "./amino.js";
import { fieldValue } from "./fields.js";
import { file_cosmos_base_v1beta1_coin } from "./gen/cosmos/base/v1beta1/coin_pb.js";
import type { StdSignDoc } from "./signdoc.js";

/** One field of a struct type. */
export interface TypedField {
  readonly name: string;
  readonly type: string;
}

/** What `eth_signTypedData_v4` takes. */
export interface TypedData {
  readonly types: Record<string, TypedField[]>;
  readonly primaryType: "Tx";
  readonly domain: { readonly name: string; readonly version: string };
  readonly message: Record<string, unknown>;
}

const coinSchema = file_cosmos_base_v1beta1_coin.messages[0];
const STRINGS = new Set([
  ScalarType.STRING,
  ScalarType.UINT64,
  ScalarType.FIXED64,
  ScalarType.INT64,
  ScalarType.SINT64,
  ScalarType.SFIXED64,
]);

function structName(schema: DescMessage): string {
  return schema.typeName.replace(/\./g, "_");
}

function scalarType(field: DescField, scalar: ScalarType): string {
  if (STRINGS.has(scalar)) return "string";
  if (scalar === ScalarType.BYTES) return "bytes";
  if (scalar === ScalarType.BOOL) return "bool";
  if (scalar === ScalarType.UINT32 || scalar === ScalarType.FIXED32) return "uint32";
  if (scalar === ScalarType.INT32 || scalar === ScalarType.SINT32 || scalar === ScalarType.SFIXED32) return "int32";
  throw new Error(`field ${field.parent.typeName}.${field.name} is a float: no typed-data form`);
}

function declare(schema: DescMessage, types: Record<string, TypedField[]>, visiting: string[] = []): string {
  const name = structName(schema);
  if (types[name]) return name;
  if (visiting.includes(name)) throw new Error(`${schema.typeName} contains itself: no typed-data form`);
  visiting.push(name);
  const fields: TypedField[] = [];
  for (const f of schema.fields) {
    let base: string;
    switch (f.fieldKind) {
      case "scalar":
        base = scalarType(f, f.scalar);
        break;
      case "enum":
        base = "int32";
        break;
      case "message":
        base = declare(f.message, types, visiting);
        break;
      case "list":
        base =
          f.listKind === "scalar"
            ? scalarType(f, f.scalar)
            : f.listKind === "enum"
              ? "int32"
              : declare(f.message, types, visiting);
        break;
      case "map":
        throw new Error(`field ${schema.typeName}.${f.name} is a map: no typed-data form`);
    }
    // A list, or a field that can be unset apart from its default (a message, a proto3
    // `optional`): an array, of zero or one element for the latter.
    fields.push({ name: f.name, type: f.fieldKind === "list" || hasPresence(f) ? `${base}[]` : base });
  }
  visiting.pop();
  types[name] = fields;
  return name;
}

/** Whether the field can be unset apart from holding its default (`bls_proto::eip712` writes it as a list of 0 or 1). */
function hasPresence(f: DescField): boolean {
  return f.fieldKind !== "list" && f.fieldKind !== "map" && f.presence === FeatureSet_FieldPresence.EXPLICIT;
}

function hex(bytes: Uint8Array): string {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function scalarValue(scalar: ScalarType, v: unknown): unknown {
  if (scalar === ScalarType.BYTES) return hex((v as Uint8Array | undefined) ?? new Uint8Array());
  if (STRINGS.has(scalar)) return String(v ?? (scalar === ScalarType.STRING ? "" : 0));
  if (scalar === ScalarType.BOOL) return Boolean(v);
  return Number(v ?? 0);
}

/** Every field of `message`, defaults included, as typed-data values. */
function fullValue(schema: DescMessage, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of schema.fields) {
    const v = fieldValue(message, f);
    if (hasPresence(f) && !isFieldSet(message, f)) {
      out[f.name] = [];
      continue;
    }
    switch (f.fieldKind) {
      case "scalar":
        out[f.name] = scalarValue(f.scalar, v);
        break;
      case "enum":
        out[f.name] = Number(v ?? 0);
        break;
      case "message":
        out[f.name] = fullValue(f.message, (v as Message | undefined) ?? (create(f.message) as Message));
        break;
      case "list":
        out[f.name] = ((v as unknown[] | undefined) ?? []).map((item) =>
          f.listKind === "scalar"
            ? scalarValue(f.scalar, item)
            : f.listKind === "enum"
              ? Number(item)
              : fullValue(f.message, item as Message),
        );
        break;
      case "map":
        throw new Error(`field ${schema.typeName}.${f.name} is a map: no typed-data form`);
    }
    if (hasPresence(f)) out[f.name] = [out[f.name]];
  }
  return out;
}

/** The typed data an Ethereum key signs for `doc`. */
export function typedDataFromSignDoc(doc: StdSignDoc): TypedData {
  const types: Record<string, TypedField[]> = {
    EIP712Domain: [
      { name: "name", type: "string" },
      { name: "version", type: "string" },
    ],
  };
  const coin = declare(coinSchema, types);
  types.Fee = [
    { name: "amount", type: `${coin}[]` },
    { name: "gas", type: "string" },
  ];
  const tx: TypedField[] = [
    { name: "account_number", type: "string" },
    { name: "chain_id", type: "string" },
    { name: "fee", type: "Fee" },
    { name: "memo", type: "string" },
  ];
  const message: Record<string, unknown> = {
    account_number: doc.account_number,
    chain_id: doc.chain_id,
    fee: { amount: doc.fee.amount.map((c) => ({ denom: c.denom, amount: c.amount })), gas: doc.fee.gas },
    memo: doc.memo,
  };
  doc.msgs.forEach((msg, i) => {
    const schema = messagesByAminoName.get(msg.type);
    if (!schema) throw new Error(`no message has the amino name ${msg.type}`);
    const valueType = declare(schema, types);
    const wrapper = `AminoMsg_${valueType}`;
    types[wrapper] = [
      { name: "type", type: "string" },
      { name: "value", type: valueType },
    ];
    tx.push({ name: `msg${i}`, type: wrapper });
    const decoded = messageFromAmino(schema, msg.value as { [key: string]: AminoJson });
    message[`msg${i}`] = { type: msg.type, value: fullValue(schema, decoded) };
  });
  tx.push({ name: "sequence", type: "string" }, { name: "timeout_height", type: "string" });
  types.Tx = tx;
  message.sequence = doc.sequence;
  message.timeout_height = doc.timeout_height ?? "0";
  return { types, primaryType: "Tx", domain: { name: "bls", version: "1" }, message };
}
