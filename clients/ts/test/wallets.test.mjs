// Unit tests of the wallet envelopes (run on dist/: `npm test`). tests/tests/wallet_keys.rs
// proves the chain verifies what they sign, with ethers.js and the Aptos SDK.
import assert from "node:assert/strict";
import { test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bech32 } from "@scure/base";
import {
  aptosFullMessage,
  aptosSigner,
  cosmosSigner,
  ethKeyToAddress,
  makeSignDoc,
  orchestration,
  serializeSignDoc,
  staking,
  toAminoMsg,
  typedDataFromSignDoc,
} from "../dist/index.js";

const invokeDoc = () =>
  makeSignDoc(
    [toAminoMsg(orchestration.MsgInvokeSchema, { invoker: "bls1i", functionId: 7n, input: new Uint8Array([0xab]), maxFee: { denom: "ubls", amount: "100" } })],
    { amount: [{ denom: "ubls", amount: "5000" }], gas: "200000" },
    "bls-devnet-1",
    "",
    4,
    2,
  );

test("typed data is the chain's (same vector as bls_proto::eip712's unit test)", () => {
  const t = typedDataFromSignDoc(invokeDoc());
  assert.deepEqual(t.domain, { name: "bls", version: "1" });
  assert.deepEqual(t.message.msg0, {
    type: "bls/MsgInvoke",
    value: { invoker: "bls1i", function_id: "7", input: "0xab", args: [], max_fee: [{ denom: "ubls", amount: "100" }], version: "0" },
  });
  assert.deepEqual(
    t.types.Tx.map((f) => `${f.type} ${f.name}`),
    ["string account_number", "string chain_id", "Fee fee", "string memo", "AminoMsg_bls_orchestration_v1_MsgInvoke msg0", "string sequence", "string timeout_height"],
  );
  assert.deepEqual(
    t.types.bls_orchestration_v1_MsgInvoke.map((f) => `${f.type} ${f.name}`),
    ["string invoker", "string function_id", "bytes input", "string[] args", "cosmos_base_v1beta1_Coin[] max_fee", "string version"],
  );
  // Unset and set-to-the-default differ, as on the chain (bls_proto::eip712).
  const edit = (c) =>
    typedDataFromSignDoc(
      makeSignDoc([toAminoMsg(staking.MsgEditValidatorSchema, { operator: "v", ...(c === undefined ? {} : { commissionBps: c }) })],
        { amount: [], gas: "1" }, "c", "", 0, 0),
    ).message.msg0.value.commission_bps;
  assert.deepEqual(edit(undefined), []);
  assert.deepEqual(edit(0), [0]);
  assert.equal(t.message.timeout_height, "0");
  assert.equal(t.message.sequence, "2");
});

test("an Ethereum key's address is its Ethereum address in bech32", () => {
  const sk = new Uint8Array(32);
  sk[31] = 1;
  const pub = secp256k1.getPublicKey(sk, true);
  const words = bech32.decode(ethKeyToAddress(pub)).words;
  const hex = Buffer.from(bech32.fromWords(words)).toString("hex");
  assert.equal(hex, "7e5f4552091a69125d5dfcb7b8c2659029395bdf");
  // Uncompressed input gives the same address.
  assert.equal(ethKeyToAddress(secp256k1.getPublicKey(sk, false)), ethKeyToAddress(pub));
});

test("an Aptos wallet must sign exactly the envelope", async () => {
  const doc = invokeDoc();
  assert.equal(aptosFullMessage("m", "2"), "APTOS\nmessage: m\nnonce: 2");
  const good = aptosSigner(new Uint8Array(32).fill(1), async ({ message, nonce }) => ({
    fullMessage: aptosFullMessage(message, nonce),
    signature: new Uint8Array(64),
  }));
  assert.equal((await good.signAmino(doc)).length, 64);
  const extra = aptosSigner(new Uint8Array(32).fill(1), async ({ message, nonce }) => ({
    fullMessage: `APTOS\napplication: https://evil.example\nmessage: ${message}\nnonce: ${nonce}`,
    signature: new Uint8Array(64),
  }));
  await assert.rejects(extra.signAmino(doc), /another text/);
  assert.ok(serializeSignDoc(doc).startsWith('{"account_number":"4","chain_id":"bls-devnet-1"'));
});

test("a Cosmos wallet that changes the fee or memo before signing is refused", async () => {
  const doc = invokeDoc();
  const account = { address: "bls1i", pubkey: new Uint8Array(33).fill(2) };
  const wallet = (change) =>
    cosmosSigner({
      getAccounts: async () => [account],
      signAmino: async (_address, d) => ({ signed: change(d), signature: { signature: "AAAA" } }),
    });
  const honest = await wallet((d) => d);
  assert.deepEqual(await honest.signAmino(doc), new Uint8Array([0, 0, 0]));
  const feeBumper = await wallet((d) => ({ ...d, fee: { ...d.fee, amount: [{ denom: "ubls", amount: "9999" }] } }));
  await assert.rejects(feeBumper.signAmino(doc), /changed the transaction/);
  const memoWriter = await wallet((d) => ({ ...d, memo: "hello" }));
  await assert.rejects(memoWriter.signAmino(doc), /changed the transaction/);
});
