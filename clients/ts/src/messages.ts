// The chain's tx messages: every `rpc` of every `service Msg` in proto/, by type URL.

import type { DescMessage } from "@bufbuild/protobuf";
import { file_bls_fees_v1_tx } from "./gen/bls/fees/v1/tx_pb.js";
import { file_bls_orchestration_v1_tx } from "./gen/bls/orchestration/v1/tx_pb.js";
import { file_bls_registry_v1_tx } from "./gen/bls/registry/v1/tx_pb.js";
import { file_bls_slashing_v1_tx } from "./gen/bls/slashing/v1/tx_pb.js";
import { file_bls_staking_v1_tx } from "./gen/bls/staking/v1/tx_pb.js";
import { file_cosmos_bank_v1beta1_tx } from "./gen/cosmos/bank/v1beta1/tx_pb.js";

/** The schema files that declare tx messages. */
const TX_FILES = [
  file_bls_staking_v1_tx,
  file_bls_slashing_v1_tx,
  file_bls_fees_v1_tx,
  file_bls_registry_v1_tx,
  file_bls_orchestration_v1_tx,
];

/** A message's type URL (`/` + its full name), as in a tx's `Any`. */
export function typeUrl(schema: DescMessage): string {
  return `/${schema.typeName}`;
}

/**
 * Every bls tx message (the inputs of the `Msg` services), by type URL. `MsgSend` is not here:
 * CosmJS's default registry and amino converters already have it.
 */
export const blsMessages: ReadonlyMap<string, DescMessage> = new Map(
  TX_FILES.flatMap((file) =>
    file.services.flatMap((service) => service.methods.map((m) => [typeUrl(m.input), m.input] as const)),
  ),
);

/** `cosmos.bank.v1beta1.MsgSend` as the chain's schema declares it (with its amino options). */
export const msgSendSchema: DescMessage = file_cosmos_bank_v1beta1_tx.messages[0];
