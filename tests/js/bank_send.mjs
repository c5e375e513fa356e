// Sends tokens with an unmodified CosmJS SigningStargateClient and prints a JSON summary.
// Usage: node bank_send.mjs RPC_URL "MNEMONIC" TO_ADDRESS AMOUNT_UBLS
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";

const [rpc, mnemonic, to, amount] = process.argv.slice(2);
if (!rpc || !mnemonic || !to || !amount) {
  console.error("usage: node bank_send.mjs RPC MNEMONIC TO AMOUNT");
  process.exit(2);
}
const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "bls" });
const [account] = await wallet.getAccounts();
const client = await SigningStargateClient.connectWithSigner(rpc, wallet, {
  gasPrice: GasPrice.fromString("0.025ubls"),
});
const chainId = await client.getChainId();
const before = await client.getBalance(to, "ubls");
const res = await client.sendTokens(account.address, to, [{ denom: "ubls", amount }], "auto", "cosmjs e2e");
const second = await client.sendTokens(account.address, to, [{ denom: "ubls", amount }], "auto");
const after = await client.getBalance(to, "ubls");
const acc = await client.getAccount(account.address);
const unknown = await client.getAccount("bls1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqjuytmg");
const found = await client.getTx(res.transactionHash);
console.log(JSON.stringify({
  chainId,
  from: account.address,
  code: res.code,
  secondCode: second.code,
  height: res.height,
  txhash: res.transactionHash,
  gasUsed: String(res.gasUsed),
  before: before.amount,
  after: after.amount,
  sequence: acc ? acc.sequence : null,
  unknownAccount: unknown,
  foundTxHeight: found ? found.height : null,
  foundTxCode: found ? found.code : null,
}));
