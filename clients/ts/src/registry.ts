// CosmJS registry entries (`GeneratedType`) for every bls tx message, backed by the types
// generated from proto/ (@bufbuild/protobuf).

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { blsMessages } from "./messages.js";

/** The CosmJS `TsProtoGeneratedType` shape (structural: no CosmJS import needed). */
export interface GeneratedType {
  fromPartial(object: unknown): Message;
  encode(message: Message): { finish(): Uint8Array };
  decode(input: Uint8Array): Message;
}

/** A CosmJS `GeneratedType` for `schema`. */
export function generatedType(schema: DescMessage): GeneratedType {
  return {
    fromPartial: (object) => create(schema, object as never) as Message,
    encode: (message) => ({ finish: () => toBinary(schema, create(schema, message as never)) }),
    decode: (input) => fromBinary(schema, input) as Message,
  };
}

/**
 * `[typeUrl, GeneratedType]` for every bls tx message: `new Registry([...defaultRegistryTypes,
 * ...blsRegistryTypes()])`.
 */
export function blsRegistryTypes(): Array<[string, GeneratedType]> {
  return [...blsMessages].map(([url, schema]) => [url, generatedType(schema)]);
}
