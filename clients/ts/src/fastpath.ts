// Fast-path requests signed by a browser wallet (bls_orchestration::fastpath::request on the
// chain). The request id binds everything that determines the outcome (chain, invoker,
// function, code hash, nonce, max fee, payload hash, expiry, guest clock); a wallet signs the
// request text, which names what a person approves and ends with the hex id:
//
// - Keplr: `signArbitrary(chainId, invoker, text)` (ADR-036), scheme `adr036`;
// - MetaMask: `personal_sign(text)` (EIP-191), scheme `personal_sign`;
// - Martian: `signMessage({message: text, nonce: <request nonce>})`, scheme `aptos`.
//
// `executeBody` is the JSON a head's `POST /api/v1/functions/execute` takes.

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { hexToBytes } from "./wallets.js";

const REQUEST_DOMAIN = "bls/fastpath/request/v2";
const utf8 = new TextEncoder();

/** How the invoker signed (the head API's `sign_scheme`). */
export type RequestSignScheme = "direct" | "adr036" | "personal_sign" | "aptos";

/** What a request binds, as the chain reads it (`GET /app/api/fastpath/terms` gives most). */
export interface RequestTerms {
  chainId: string;
  invoker: string;
  functionId: bigint;
  /** sha256 of the function's code, hex. */
  codeHash: string;
  nonce: bigint;
  /** Most paid, ubls. */
  maxFee: bigint;
  /** Guest stdin. */
  input: string;
  /** Guest args. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  expiryHeight: bigint;
  timeSecs: bigint;
  timeNanos: number;
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n));
  return out;
}

function u128(n: bigint): Uint8Array {
  return new Uint8Array([...u64(n >> 64n), ...u64(n & 0xffff_ffff_ffff_ffffn)]);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function lenPrefixed(bytes: Uint8Array): Uint8Array[] {
  return [u64(BigInt(bytes.length)), bytes];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Compares strings by their UTF-8 bytes (the order of the chain's `BTreeMap<String, _>`). */
function byUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** sha256 of the input, args and extra env (`payload_hash`; sealed secrets are not supported here). */
export function payloadHash(input: string, args: string[] = [], env: Record<string, string> = {}): Uint8Array {
  const parts = [...lenPrefixed(utf8.encode(input)), u64(BigInt(args.length))];
  for (const a of args) parts.push(...lenPrefixed(utf8.encode(a)));
  const keys = Object.keys(env).sort(byUtf8);
  if (keys.length) {
    parts.push(u64(BigInt(keys.length)));
    for (const k of keys) parts.push(...lenPrefixed(utf8.encode(k)), ...lenPrefixed(utf8.encode(env[k])));
  }
  return sha256(concat(parts));
}

/** The request id (`request_id`), 32 bytes. */
export function requestId(t: RequestTerms): Uint8Array {
  const code = hexToBytes(t.codeHash);
  if (code.length !== 32) throw new Error("codeHash must be 32 bytes of hex");
  if (!Number.isInteger(t.timeNanos) || t.timeNanos < 0 || t.timeNanos > 999_999_999) throw new Error("timeNanos out of range");
  return sha256(
    concat([
      utf8.encode(REQUEST_DOMAIN),
      ...lenPrefixed(utf8.encode(t.chainId)),
      ...lenPrefixed(utf8.encode(t.invoker)),
      u64(t.functionId),
      code,
      u64(t.nonce),
      u128(t.maxFee),
      payloadHash(t.input, t.args, t.env),
      u64(t.expiryHeight),
      u64(t.timeSecs),
      u32(t.timeNanos),
    ]),
  );
}

/** The text a wallet signs for a request (`request_text`). */
export function requestText(t: RequestTerms, id: Uint8Array = requestId(t)): string {
  return (
    `bls fast-path request\nchain: ${t.chainId}\nfunction: ${t.functionId}\nmax fee: ${t.maxFee} ubls\n` +
    `expires at height: ${t.expiryHeight}\nrequest: ${bytesToHex(id)}`
  );
}

/** The signed body for a head's `POST /api/v1/functions/execute`. */
export function executeBody(
  t: RequestTerms,
  signed: { scheme: RequestSignScheme; pubkey: Uint8Array; signature: Uint8Array },
): Record<string, unknown> {
  return {
    function_id: t.functionId.toString(),
    parameters: t.args ?? [],
    config: {
      stdin: t.input,
      env_vars: Object.entries(t.env ?? {}).map(([name, value]) => ({ name, value })),
    },
    invoker: t.invoker,
    invoker_pubkey: bytesToHex(signed.pubkey),
    nonce: safeNumber(t.nonce, "nonce"),
    max_fee: t.maxFee.toString(),
    code_hash: t.codeHash.replace(/^0x/, ""),
    expiry_height: safeNumber(t.expiryHeight, "expiryHeight"),
    time_secs: safeNumber(t.timeSecs, "timeSecs"),
    time_nanos: t.timeNanos,
    signature: bytesToHex(signed.signature),
    sign_scheme: signed.scheme,
  };
}

// The head API takes these as JSON numbers, which JavaScript writes exactly only up to 2^53.
function safeNumber(n: bigint, what: string): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} must be at most 2^53 - 1 here`);
  return Number(n);
}

/** A nonce unique per invoker in practice (below 2^53): the time in milliseconds and 10 random bits. */
export function freshNonce(): bigint {
  const r = crypto.getRandomValues(new Uint16Array(1))[0] & 0x3ff;
  return BigInt(Date.now()) * 1024n + BigInt(r);
}
