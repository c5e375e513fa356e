// Unit tests of @bls/client's amino JSON (run on the built dist/: `npm test`). The end-to-end
// test tests/tests/wallet_amino.rs proves the chain verifies what this encoder signs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toBinary, ScalarType } from "@bufbuild/protobuf";
import {
  aminoName,
  blsAminoConverters,
  blsMessages,
  blsRegistryTypes,
  messageFromAmino,
  messageToAmino,
  msgSendSchema,
  orchestration,
  toAminoMsg,
} from "../dist/index.js";

// CosmJS `sortedJsonStringify` + `escapeCharacters`.
function sorted(v) {
  if (Array.isArray(v)) return `[${v.map(sorted).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sorted(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
const serialize = (v) => sorted(v).replace(/&/g, "\\u0026").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");

// A value for every field of `schema`, none of them default.
function full(schema, depth = 0) {
  const init = {};
  for (const f of schema.fields) {
    const one = (kind, scalar, message) => {
      if (kind === "enum") return 1;
      if (kind === "message") return depth > 3 ? create(message) : full(message, depth + 1);
      switch (scalar) {
        case ScalarType.STRING: return `s-${f.name} <&>`;
        case ScalarType.BOOL: return true;
        case ScalarType.BYTES: return new Uint8Array([1, 2, 3, f.number]);
        case ScalarType.UINT64: case ScalarType.FIXED64: return 18446744073709551615n;
        case ScalarType.INT64: case ScalarType.SINT64: case ScalarType.SFIXED64: return -9007199254740993n;
        case ScalarType.INT32: case ScalarType.SINT32: case ScalarType.SFIXED32: return -7;
        default: return 4294967295;
      }
    };
    if (f.fieldKind === "list") init[f.localName] = [one(f.listKind, f.scalar, f.message), one(f.listKind, f.scalar, f.message)];
    else init[f.localName] = one(f.fieldKind, f.scalar, f.message);
  }
  return create(schema, init);
}

test("every bls tx message has a converter, a registry type and a short unique amino name", () => {
  const converters = blsAminoConverters();
  const registry = new Map(blsRegistryTypes());
  assert.ok(blsMessages.size >= 31, `only ${blsMessages.size} messages`);
  const names = new Set();
  for (const [url, schema] of blsMessages) {
    const name = aminoName(schema);
    assert.ok(name.length <= 39, name);
    assert.ok(!names.has(name), `${name} twice`);
    names.add(name);
    assert.equal(converters[url].aminoType, name);
    assert.ok(registry.has(url), url);
  }
  assert.equal(aminoName(msgSendSchema), "cosmos-sdk/MsgSend");
});

test("every message survives toAmino → JSON text → fromAmino byte for byte, every field set", () => {
  for (const [url, schema] of blsMessages) {
    const msg = full(schema);
    const converter = blsAminoConverters()[url];
    const json = JSON.parse(JSON.stringify(converter.toAmino(msg)));
    const back = converter.fromAmino(json);
    assert.deepEqual(toBinary(schema, back), toBinary(schema, msg), url);
  }
});

test("the encoding is the chain's (same vector as bls_proto::amino's unit test)", () => {
  const deploy = toAminoMsg(orchestration.MsgDeployFunctionSchema, {
    owner: "bls1owner",
    wasm: new Uint8Array([0, 0x61, 0x73, 0x6d]),
    manifestJson: '{"entry":"<main>&"}',
    replication: 3,
    quorum: 2,
  });
  assert.equal(
    serialize(deploy),
    '{"type":"bls/MsgDeployFunction","value":{"manifest_json":"{\\"entry\\":\\"\\u003cmain\\u003e\\u0026\\"}","owner":"bls1owner","quorum":2,"replication":3,"wasm":"AGFzbQ=="}}',
  );
  const invoke = toAminoMsg(orchestration.MsgInvokeSchema, {
    invoker: "bls1i",
    functionId: 7n,
    args: ["a", "b"],
    maxFee: { denom: "ubls", amount: "100" },
  });
  assert.deepEqual(invoke.value, { invoker: "bls1i", function_id: "7", args: ["a", "b"], max_fee: { denom: "ubls", amount: "100" } });
  const decline = toAminoMsg(orchestration.MsgDeclineJobSchema, { worker: "w", jobId: 1n, reason: 2 });
  assert.equal(decline.value.reason, 2);
  // dont_omitempty: MsgSend's empty amount is written.
  assert.deepEqual(toAminoMsg(msgSendSchema, { fromAddress: "a", toAddress: "b" }).value, { amount: [], from_address: "a", to_address: "b" });
});

test("bad amino input is refused with the field named", () => {
  const s = orchestration.MsgInvokeSchema;
  assert.throws(() => messageFromAmino(s, { invoker: "x", function_id: 7 }), /function_id/);
  assert.throws(() => messageFromAmino(s, { invoker: "x", surprise: "1" }), /no field surprise/);
  assert.throws(() => messageFromAmino(s, { invoker: "x", input: 5 }), /input/);
  assert.throws(() => messageFromAmino(s, { invoker: "x", function_id: "1e3" }), /function_id/);
  const withUnknown = create(s, { invoker: "x" });
  withUnknown.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([1]) }];
  assert.throws(() => messageToAmino(s, withUnknown), /field 99/);
});
