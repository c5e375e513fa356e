// The amino-JSON `StdSignDoc` and its serialization (CosmJS `makeSignDoc` / `serializeSignDoc`):
// what a Cosmos key signs in SIGN_MODE_LEGACY_AMINO_JSON, and what the Ethereum and Aptos
// envelopes wrap.

import type { AminoJson, AminoMsg } from "./amino.js";

/** A fee as amino writes it. */
export interface StdFee {
  readonly amount: readonly { readonly denom: string; readonly amount: string }[];
  readonly gas: string;
}

/** The doc an amino-mode signature covers. */
export interface StdSignDoc {
  readonly chain_id: string;
  readonly account_number: string;
  readonly sequence: string;
  readonly fee: StdFee;
  readonly msgs: readonly AminoMsg[];
  readonly memo: string;
  /** Present only when not 0. */
  readonly timeout_height?: string;
}

/** The doc for these values (numbers as decimal strings; a zero timeout is left out). */
export function makeSignDoc(
  msgs: readonly AminoMsg[],
  fee: StdFee,
  chainId: string,
  memo: string,
  accountNumber: bigint | number | string,
  sequence: bigint | number | string,
  timeoutHeight: bigint | number | string = 0,
): StdSignDoc {
  const timeout = BigInt(timeoutHeight);
  return {
    chain_id: chainId,
    account_number: BigInt(accountNumber).toString(),
    sequence: BigInt(sequence).toString(),
    fee,
    msgs,
    memo,
    ...(timeout !== 0n ? { timeout_height: timeout.toString() } : {}),
  };
}

function sorted(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sorted).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sorted(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** `doc` as signed: keys sorted, compact, `&`, `<`, `>` escaped as `\u0026`, `\u003c`, `\u003e`. */
export function serializeSignDoc(doc: StdSignDoc | AminoJson): string {
  return sorted(doc).replace(/&/g, "\\u0026").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
}
