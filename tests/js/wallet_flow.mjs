// Accounts controlled by an Ethereum key and an Aptos key use the chain through @bls/client:
// ethers.js `signTypedData` (what MetaMask's eth_signTypedData_v4 computes) signs the EIP-712
// form of each tx, and an @aptos-labs/ts-sdk Ed25519 key signs the Aptos `signMessage`
// envelope. A CosmJS `Secp256k1HdWallet` (amino) funds both. Prints a JSON summary for the Rust
// test tests/tests/wallet_keys.rs.
//
// Usage: node wallet_flow.mjs REST_URL "FUNDER_MNEMONIC" WASM_FILE
import { readFileSync } from "node:fs";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { Wallet } from "ethers";
import { Ed25519PrivateKey } from "@aptos-labs/ts-sdk";
import { fromBinary } from "@bufbuild/protobuf";
import {
  aptosFullMessage,
  aptosSigner,
  BlsClient,
  ChainError,
  cosmosSigner,
  ethereumSigner,
  orchestration,
  withoutDomain,
} from "@bls/client";

const [rest, mnemonic, wasmFile] = process.argv.slice(2);
if (!rest || !mnemonic || !wasmFile) {
  console.error("usage: node wallet_flow.mjs REST_URL FUNDER_MNEMONIC WASM_FILE");
  process.exit(2);
}
const client = new BlsClient(rest);
const funder = await cosmosSigner(await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "bls" }));

// MetaMask's algorithm: EIP-712 typed data signed by the Ethereum key.
const eth = Wallet.createRandom();
const ethSigner = ethereumSigner(eth.signingKey.publicKey, (t) =>
  eth.signTypedData(t.domain, withoutDomain(t.types), t.message),
);
// Martian's algorithm: the signMessage envelope signed by the ed25519 key.
const aptosKey = Ed25519PrivateKey.generate();
const aptos = aptosSigner(aptosKey.publicKey().toUint8Array(), async ({ message, nonce }) => {
  const fullMessage = aptosFullMessage(message, nonce);
  return { fullMessage, signature: aptosKey.sign(new TextEncoder().encode(fullMessage)).toUint8Array() };
});

const send = (from, to, amount) => ({
  typeUrl: "/cosmos.bank.v1beta1.MsgSend",
  value: { fromAddress: from, toAddress: to, amount: [{ denom: "ubls", amount: String(amount) }] },
});
const invoke = (invoker, functionId, input) => ({
  typeUrl: "/bls.orchestration.v1.MsgInvoke",
  value: { invoker, functionId, input: new TextEncoder().encode(input), maxFee: { denom: "ubls", amount: "1000000" } },
});
async function refusal(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    if (!(e instanceof ChainError)) throw e;
    return { code: e.code, log: e.log };
  }
}

// Fund both accounts (one tx, two messages, amino-signed by a Cosmos key).
await client.signAndBroadcast(funder, [send(funder.address, ethSigner.address, 50_000_000), send(funder.address, aptos.address, 50_000_000)]);

// Ethereum key: send, deploy, then invoke once the function is placed.
const to = "bls1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqjuytmg";
await client.signAndBroadcast(ethSigner, [send(ethSigner.address, to, 4321)], { memo: "from MetaMask's algorithm" });
const deployed = await client.signAndBroadcast(ethSigner, [
  {
    typeUrl: "/bls.orchestration.v1.MsgDeployFunction",
    value: { owner: ethSigner.address, wasm: new Uint8Array(readFileSync(wasmFile)), manifestJson: "{}", replication: 3, quorum: 2 },
  },
]);
const functionId = fromBinary(orchestration.MsgDeployFunctionResponseSchema, deployed.msgResponses[0].value).functionId;
for (let i = 0; ; i++) {
  const f = await client.query("orchestration", "Function", { id: Number(functionId) });
  if (f.subnetwork) break;
  if (i > 100) throw new Error("the function was never placed");
  await new Promise((r) => setTimeout(r, 300));
}
const ethInvoked = await client.signAndBroadcast(ethSigner, [invoke(ethSigner.address, functionId, "Eth")]);
const aptosInvoked = await client.signAndBroadcast(aptos, [invoke(aptos.address, functionId, "Aptos")]);
const jobOf = (r) => fromBinary(orchestration.MsgInvokeResponseSchema, r.msgResponses[0].value).jobId.toString();

// Forgeries: refused by the chain, nothing spent.
const before = await client.account(ethSigner.address);
const other = Wallet.createRandom();
const wrongKey = ethereumSigner(eth.signingKey.publicKey, (t) => other.signTypedData(t.domain, withoutDomain(t.types), t.message));
const wrongChain = ethereumSigner(eth.signingKey.publicKey, (t) =>
  eth.signTypedData(t.domain, withoutDomain(t.types), { ...t.message, chain_id: "bls-other-1" }),
);
const wrongKeyRefusal = await refusal(client.signAndBroadcast(wrongKey, [send(ethSigner.address, to, 1)], { gas: 200000 }));
const wrongChainRefusal = await refusal(client.signAndBroadcast(wrongChain, [send(ethSigner.address, to, 1)], { gas: 200000 }));
const after = await client.account(ethSigner.address);

console.log(
  JSON.stringify({
    ethHexAddress: eth.address,
    ethAddress: ethSigner.address,
    aptosAddress: aptos.address,
    aptosHexAddress: aptosKey.publicKey().authKey().derivedAddress().toString(),
    functionId: functionId.toString(),
    ethJob: jobOf(ethInvoked),
    aptosJob: jobOf(aptosInvoked),
    wrongKeyRefusal,
    wrongChainRefusal,
    sequenceBefore: before.sequence.toString(),
    sequenceAfter: after.sequence.toString(),
  }),
);
