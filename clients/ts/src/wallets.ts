// Signers for the three kinds of account (bls_auth::pubkey on the chain), each signing the
// amino `StdSignDoc` the way its wallet can:
//
// - Cosmos secp256k1 (Keplr, Ledger, CosmJS): the doc's JSON, through any CosmJS
//   `OfflineAminoSigner` (`keplr.getOfflineSignerOnlyAmino(chainId)`, `Secp256k1HdWallet`);
// - Ethereum secp256k1 (MetaMask; ethers.js): the doc's EIP-712 typed data;
// - Aptos ed25519 (Martian, Petra; @aptos-labs/ts-sdk): the `signMessage` envelope
//   "APTOS\nmessage: <doc JSON>\nnonce: <sequence>".

import { keccak_256, sha3_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bech32 } from "@scure/base";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { typedDataFromSignDoc } from "./eip712.js";
import type { TypedData } from "./eip712.js";
import { serializeSignDoc } from "./signdoc.js";
import type { StdSignDoc } from "./signdoc.js";

/** The chain's bech32 prefix for account addresses. */
export const ADDRESS_PREFIX = "bls";
/** Type URL of a Cosmos secp256k1 key. */
export const SECP256K1_KEY = "/cosmos.crypto.secp256k1.PubKey";
/** Type URL of an Ethereum secp256k1 key. */
export const ETH_SECP256K1_KEY = "/cosmos.evm.crypto.v1.ethsecp256k1.PubKey";
/** Type URL of an Aptos ed25519 key. */
export const APTOS_KEY = "/bls.crypto.v1.AptosPubKey";

/** Signs txs for one account in SIGN_MODE_LEGACY_AMINO_JSON. */
export interface TxSigner {
  /** The account (`bls1...`). */
  readonly address: string;
  /** The key's type URL (one of the constants above). */
  readonly pubkeyTypeUrl: string;
  /** The raw key (33-byte compressed secp256k1, or 32-byte ed25519). */
  readonly pubkey: Uint8Array;
  /** The signature bytes the chain verifies for `doc`. */
  signAmino(doc: StdSignDoc): Promise<Uint8Array>;
}

/** `bls1...` of 20 address bytes. */
export function toBech32(bytes: Uint8Array): string {
  return bech32.encode(ADDRESS_PREFIX, bech32.toWords(bytes));
}

/** The bytes of hex text, with or without `0x`. */
export function hexToBytes(hex: string): Uint8Array {
  const h = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || /[^0-9a-fA-F]/.test(h)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** The compressed form of a secp256k1 key given compressed or uncompressed (hex or bytes). */
export function compressSecp256k1(key: Uint8Array | string): Uint8Array {
  const bytes = typeof key === "string" ? hexToBytes(key) : key;
  return secp256k1.Point.fromBytes(bytes).toBytes(true);
}

/** The Ethereum address bytes (last 20 of keccak256 of the uncompressed point) of a key. */
export function ethAddressBytes(key: Uint8Array | string): Uint8Array {
  const uncompressed = secp256k1.Point.fromBytes(compressSecp256k1(key)).toBytes(false);
  return keccak_256(uncompressed.subarray(1)).subarray(12);
}

/** The `bls1...` address an Ethereum key controls (its Ethereum address, in bech32). */
export function ethKeyToAddress(key: Uint8Array | string): string {
  return toBech32(ethAddressBytes(key));
}

/** The `bls1...` address an Aptos key controls (the first 20 bytes of its Aptos address). */
export function aptosKeyToAddress(key: Uint8Array): string {
  if (key.length !== 32) throw new Error(`an ed25519 key is 32 bytes, got ${key.length}`);
  return toBech32(sha3_256(new Uint8Array([...key, 0])).subarray(0, 20));
}

/**
 * The key behind a `personal_sign` (EIP-191) signature of `message`: how a page learns a
 * MetaMask account's public key (MetaMask does not reveal it otherwise).
 */
export function recoverPersonalSignKey(message: string, signatureHex: string): Uint8Array {
  const text = new TextEncoder().encode(message);
  const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${text.length}`);
  const digest = keccak_256(new Uint8Array([...prefix, ...text]));
  const sig = hexToBytes(signatureHex);
  if (sig.length !== 65) throw new Error(`an Ethereum signature is 65 bytes, got ${sig.length}`);
  const v = sig[64] >= 27 ? sig[64] - 27 : sig[64];
  const recovered = new Uint8Array([v, ...sig.subarray(0, 64)]);
  return secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
}

/**
 * A Cosmos key's signer from a CosmJS `OfflineAminoSigner` (Keplr, Ledger via Keplr, CosmJS).
 * The wallet must sign the doc it is given: a wallet that changed it (Keplr adjusts the fee and
 * memo unless `keplr.defaultOptions = {sign: {preferNoSetFee: true, preferNoSetMemo: true}}`)
 * is refused here, with words, rather than by the chain.
 */
export async function cosmosSigner(offline: {
  getAccounts(): Promise<readonly { address: string; pubkey: Uint8Array }[]>;
  signAmino(address: string, doc: StdSignDoc): Promise<{ signed: StdSignDoc; signature: { signature: string } }>;
}): Promise<TxSigner> {
  const [account] = await offline.getAccounts();
  if (!account) throw new Error("the wallet has no account");
  return {
    address: account.address,
    pubkeyTypeUrl: SECP256K1_KEY,
    pubkey: account.pubkey,
    signAmino: async (doc) => {
      const out = await offline.signAmino(account.address, doc);
      if (serializeSignDoc(out.signed) !== serializeSignDoc(doc)) {
        throw new Error("the wallet changed the transaction (fee or memo) before signing it; sign it as proposed");
      }
      return base64Decode(out.signature.signature);
    },
  };
}

/**
 * An Ethereum key's signer. `signTypedData` signs EIP-712 typed data and returns the 65-byte
 * `0x` hex signature: MetaMask's `eth_signTypedData_v4` (see {@link metamaskTypedDataSigner})
 * or ethers.js `(t) => wallet.signTypedData(t.domain, withoutDomain(t.types), t.message)`.
 */
export function ethereumSigner(pubkey: Uint8Array | string, signTypedData: (t: TypedData) => Promise<string>): TxSigner {
  const compressed = compressSecp256k1(pubkey);
  return {
    address: ethKeyToAddress(compressed),
    pubkeyTypeUrl: ETH_SECP256K1_KEY,
    pubkey: compressed,
    signAmino: async (doc) => hexToBytes(await signTypedData(typedDataFromSignDoc(doc))),
  };
}

/** The typed data's types without `EIP712Domain` (ethers.js derives that one from the domain). */
export function withoutDomain(types: TypedData["types"]): Record<string, { name: string; type: string }[]> {
  const { EIP712Domain: _domain, ...rest } = types;
  return rest;
}

/** `signTypedData` through an EIP-1193 provider (`window.ethereum`) for `ethAddress` (0x...). */
export function metamaskTypedDataSigner(
  provider: { request(args: { method: string; params?: unknown[] }): Promise<unknown> },
  ethAddress: string,
): (t: TypedData) => Promise<string> {
  return async (t) =>
    (await provider.request({ method: "eth_signTypedData_v4", params: [ethAddress, JSON.stringify(t)] })) as string;
}

/** The text an Aptos wallet signs for `signMessage({message, nonce})` (AIP-62 `fullMessage`, no extras). */
export function aptosFullMessage(message: string, nonce: string): string {
  return `APTOS\nmessage: ${message}\nnonce: ${nonce}`;
}

/**
 * An Aptos key's signer. `signMessage` is the wallet's (Martian/Petra `signMessage`, which must
 * not add the address, application or chain id) or a local key's
 * (`(m) => key.sign(new TextEncoder().encode(aptosFullMessage(m.message, m.nonce)))`); it
 * returns the 64-byte signature (bytes or hex) and, from a wallet, the `fullMessage` it signed,
 * which is checked.
 */
export function aptosSigner(
  pubkey: Uint8Array,
  signMessage: (m: { message: string; nonce: string }) => Promise<{ signature: Uint8Array | string; fullMessage?: string }>,
): TxSigner {
  return {
    address: aptosKeyToAddress(pubkey),
    pubkeyTypeUrl: APTOS_KEY,
    pubkey,
    signAmino: async (doc) => {
      const message = serializeSignDoc(doc);
      const nonce = doc.sequence;
      const out = await signMessage({ message, nonce });
      if (out.fullMessage !== undefined && out.fullMessage !== aptosFullMessage(message, nonce)) {
        throw new Error("the wallet signed another text than the tx's envelope (address, application or chain id added?)");
      }
      return typeof out.signature === "string" ? hexToBytes(out.signature) : out.signature;
    },
  };
}
