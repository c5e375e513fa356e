// Unit tests of wallet-signed fast-path requests (run on dist/: `npm test`). The vector is
// the chain's: bls_orchestration::fastpath::request's unit test checks the same id and text.
// tests/tests/webapp.rs proves a head and the chain accept what each wallet signs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesToHex } from "@noble/hashes/utils.js";
import { executeBody, freshNonce, payloadHash, requestId, requestText } from "../dist/index.js";

const terms = {
  chainId: "bls-test",
  invoker: "bls1invoker",
  functionId: 7n,
  codeHash: "11".repeat(32),
  nonce: 42n,
  maxFee: (1n << 70n) + 5n,
  input: "Ada",
  args: ["x", "é"],
  env: { B: "2", A: "1", "ü": "3" },
  expiryHeight: 100n,
  timeSecs: 1_800_000_000n,
  timeNanos: 123,
};

const ID = "7a9da4480ed44b51d00de92468be424b5346c0982ca739eca613f8229e4ea8cb";

test("the request id and text are the chain's (same vector as request.rs)", () => {
  const id = requestId(terms);
  assert.equal(bytesToHex(id), ID);
  assert.equal(
    requestText(terms, id),
    `bls fast-path request\nchain: bls-test\nfunction: 7\nmax fee: ${(1n << 70n) + 5n} ubls\nexpires at height: 100\nrequest: ${ID}`,
  );
});

test("every term changes the id", () => {
  const base = bytesToHex(requestId(terms));
  const variants = [
    { chainId: "bls-tesT" },
    { invoker: "bls1invokeR" },
    { functionId: 8n },
    { codeHash: "12" + "11".repeat(31) },
    { nonce: 43n },
    { maxFee: 1n },
    { input: "Ada " },
    { args: ["x"] },
    { env: { A: "1" } },
    { expiryHeight: 101n },
    { timeSecs: 1n },
    { timeNanos: 124 },
  ];
  for (const v of variants) assert.notEqual(bytesToHex(requestId({ ...terms, ...v })), base, JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x)));
});

test("an empty env hashes as input and args alone; key order does not matter", () => {
  assert.deepEqual(payloadHash("a", [], {}), payloadHash("a"));
  assert.deepEqual(payloadHash("a", [], { A: "1", B: "2" }), payloadHash("a", [], { B: "2", A: "1" }));
});

test("the execute body carries the scheme and numbers JSON can hold exactly", () => {
  const body = executeBody({ ...terms, maxFee: 9n }, { scheme: "adr036", pubkey: new Uint8Array([2, 3]), signature: new Uint8Array([4]) });
  assert.equal(body.sign_scheme, "adr036");
  assert.equal(body.invoker_pubkey, "0203");
  assert.equal(body.max_fee, "9");
  assert.equal(body.nonce, 42);
  assert.deepEqual(body.config.env_vars.map((e) => e.name).sort(), ["A", "B", "ü"]);
  assert.throws(() => executeBody({ ...terms, nonce: 1n << 60n }, { scheme: "direct", pubkey: new Uint8Array(), signature: new Uint8Array() }), /nonce/);
  assert.ok(freshNonce() < BigInt(Number.MAX_SAFE_INTEGER));
  assert.throws(() => requestId({ ...terms, codeHash: "11" }), /32 bytes/);
});
