// @bls/client: the bls chain's messages for CosmJS and browser wallets.
//
// - `gen/`: types generated from proto/ by protoc-gen-es (`npm run generate`).
// - messages: every tx message by type URL.
// - registry: CosmJS `GeneratedType`s for them.
// - amino, signdoc: the amino-JSON encoding the chain verifies in SIGN_MODE_LEGACY_AMINO_JSON.
// - eip712: the typed data an Ethereum key signs for a tx.
// - wallets: signers for Cosmos (Keplr/Ledger/CosmJS), Ethereum (MetaMask/ethers) and Aptos
//   (Martian/Petra) keys, and their address rules.
// - client: a REST client that signs, simulates, broadcasts and follows txs.

export { create, fromBinary, toBinary } from "@bufbuild/protobuf";
export { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";
export * from "./messages.js";
export * from "./registry.js";
export * from "./amino.js";
export * from "./signdoc.js";
export * from "./eip712.js";
export * from "./wallets.js";
export * from "./client.js";
export * from "./fastpath.js";
export * as orchestration from "./gen/bls/orchestration/v1/tx_pb.js";
export * as staking from "./gen/bls/staking/v1/tx_pb.js";
export * as registry from "./gen/bls/registry/v1/tx_pb.js";
export * as slashing from "./gen/bls/slashing/v1/tx_pb.js";
export * as fees from "./gen/bls/fees/v1/tx_pb.js";
export * as bank from "./gen/cosmos/bank/v1beta1/tx_pb.js";
