// Signs in SIGN_MODE_LEGACY_AMINO_JSON with an unmodified CosmJS `Secp256k1HdWallet` (the
// signer Keplr and Ledger stand for) and the chain's own amino converters from @bls/client.
// Prints a JSON summary; the Rust test (tests/tests/wallet_amino.rs) checks it against the chain.
//
// Usage:
//   node amino_flow.mjs deploy RPC "MNEMONIC" WASM_FILE TO_ADDRESS   send 1234ubls to TO, deploy WASM (3 of 2)
//   node amino_flow.mjs invoke RPC "MNEMONIC" FUNCTION_ID INPUT      invoke with INPUT as stdin
import { readFileSync } from "node:fs";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { decodeTxRaw, Registry } from "@cosmjs/proto-signing";
import {
  AminoTypes,
  createDefaultAminoConverters,
  defaultRegistryTypes,
  GasPrice,
  SigningStargateClient,
} from "@cosmjs/stargate";
import { fromBinary } from "@bufbuild/protobuf";
import { blsAminoConverters, blsRegistryTypes, orchestration } from "@bls/client";

const [step, rpc, mnemonic, ...rest] = process.argv.slice(2);
if (!step || !rpc || !mnemonic) {
  console.error("usage: node amino_flow.mjs deploy|invoke RPC MNEMONIC ...");
  process.exit(2);
}
const wallet = await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "bls" });
const [account] = await wallet.getAccounts();
const client = await SigningStargateClient.connectWithSigner(rpc, wallet, {
  registry: new Registry([...defaultRegistryTypes, ...blsRegistryTypes()]),
  aminoTypes: new AminoTypes({ ...createDefaultAminoConverters(), ...blsAminoConverters() }),
  gasPrice: GasPrice.fromString("0.025ubls"),
});

// The sign mode the chain recorded for a tx (127 = SIGN_MODE_LEGACY_AMINO_JSON).
async function signMode(hash) {
  const tx = await client.getTx(hash);
  return decodeTxRaw(tx.tx).authInfo.signerInfos[0].modeInfo.single.mode;
}

function check(res, what) {
  if (res.code !== 0) throw new Error(`${what} failed with code ${res.code}: ${res.rawLog}`);
  return res;
}

if (step === "deploy") {
  const [wasmFile, to] = rest;
  const send = check(
    await client.sendTokens(account.address, to, [{ denom: "ubls", amount: "1234" }], "auto", "amino <send> & more"),
    "send",
  );
  const deploy = check(
    await client.signAndBroadcast(
      account.address,
      [
        {
          typeUrl: "/bls.orchestration.v1.MsgDeployFunction",
          value: {
            owner: account.address,
            wasm: new Uint8Array(readFileSync(wasmFile)),
            manifestJson: "{}",
            replication: 3,
            quorum: 2,
          },
        },
      ],
      "auto",
    ),
    "deploy",
  );
  const resp = fromBinary(orchestration.MsgDeployFunctionResponseSchema, deploy.msgResponses[0].value);
  console.log(
    JSON.stringify({
      from: account.address,
      sendHash: send.transactionHash,
      sendMode: await signMode(send.transactionHash),
      deployMode: await signMode(deploy.transactionHash),
      functionId: resp.functionId.toString(),
      codeHash: resp.codeHash,
    }),
  );
} else if (step === "invoke") {
  const [functionId, input] = rest;
  const invoke = check(
    await client.signAndBroadcast(
      account.address,
      [
        {
          typeUrl: "/bls.orchestration.v1.MsgInvoke",
          value: {
            invoker: account.address,
            functionId: BigInt(functionId),
            input: new TextEncoder().encode(input),
            maxFee: { denom: "ubls", amount: "1000000" },
          },
        },
      ],
      "auto",
    ),
    "invoke",
  );
  const resp = fromBinary(orchestration.MsgInvokeResponseSchema, invoke.msgResponses[0].value);
  console.log(
    JSON.stringify({
      invokeMode: await signMode(invoke.transactionHash),
      jobId: resp.jobId.toString(),
    }),
  );
} else {
  console.error(`unknown step ${step}`);
  process.exit(2);
}
