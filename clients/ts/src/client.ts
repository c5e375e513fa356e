// A client of a bls node's REST gateway (`blsd start`, default http://127.0.0.1:1317) that
// builds, signs (SIGN_MODE_LEGACY_AMINO_JSON, with any `TxSigner`), simulates, broadcasts and
// follows txs — what the web app and the wallet tests use. Only the chain's own routes:
// `/chain-info.json`, `/cosmos/auth/...`, `/cosmos/bank/...`, `/cosmos/tx/...`, `/bls/...`.

import { create, toBinary } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { base64Decode, base64Encode, BinaryReader } from "@bufbuild/protobuf/wire";
import { toAminoMsg } from "./amino.js";
import { AuthInfoSchema, TxBodySchema, TxRawSchema } from "./gen/cosmos/tx/v1beta1/tx_pb.js";
import { SignMode } from "./gen/cosmos/tx/signing/v1beta1/signing_pb.js";
import { blsMessages, msgSendSchema, typeUrl } from "./messages.js";
import { makeSignDoc } from "./signdoc.js";
import type { StdFee } from "./signdoc.js";
import type { TxSigner } from "./wallets.js";

/** A message to send: its type URL and its fields (a generated message or a plain object). */
export interface EncodeObject {
  readonly typeUrl: string;
  readonly value: unknown;
}

/** A message's response, from the tx result's data. */
export interface MsgResponse {
  readonly typeUrl: string;
  readonly value: Uint8Array;
}

/** A tx included in a block. */
export interface TxResult {
  readonly hash: string;
  readonly height: number;
  readonly code: number;
  readonly rawLog: string;
  readonly gasUsed: bigint;
  readonly msgResponses: readonly MsgResponse[];
  readonly events: readonly { type: string; attributes: { key: string; value: string }[] }[];
}

/** A refusal by the chain (CheckTx or DeliverTx), with the SDK code and log. */
export class ChainError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly codespace: string,
    readonly log: string,
  ) {
    super(message);
  }
}

/** Options of a signed tx. */
export interface SendOptions {
  readonly memo?: string;
  /** Gas limit, or "auto" (simulate × `gasAdjustment`). */
  readonly gas?: number | "auto";
  /** Height after which the tx is void. */
  readonly timeoutHeight?: number;
}

const SCHEMAS: ReadonlyMap<string, DescMessage> = new Map([
  ...blsMessages,
  [typeUrl(msgSendSchema), msgSendSchema] as const,
]);

function schemaOf(url: string): DescMessage {
  const schema = SCHEMAS.get(url);
  if (!schema) throw new Error(`unknown message type ${url}`);
  return schema;
}

/** `TxMsgData.msg_responses` (field 2, each an `Any`). */
function msgResponses(data: Uint8Array): MsgResponse[] {
  const out: MsgResponse[] = [];
  const r = new BinaryReader(data);
  while (r.pos < r.len) {
    const [no, wireType] = r.tag();
    if (no !== 2) {
      r.skip(wireType);
      continue;
    }
    const any = new BinaryReader(r.bytes());
    let url = "";
    let value: Uint8Array = new Uint8Array();
    while (any.pos < any.len) {
      const [field, wt] = any.tag();
      if (field === 1) url = any.string();
      else if (field === 2) value = any.bytes();
      else any.skip(wt);
    }
    out.push({ typeUrl: url, value });
  }
  return out;
}

/** A client of one node's REST gateway. */
export class BlsClient {
  private chainIdCache?: string;

  /**
   * @param rest the gateway's URL (`http://127.0.0.1:1317`)
   * @param gasPrice ubls per unit of gas, as a fraction (default 25/1000: the chain's default minimum)
   * @param gasAdjustment multiplier of the simulated gas for "auto" (default 1.4)
   */
  constructor(
    readonly rest: string,
    readonly gasPrice: { readonly numerator: bigint; readonly denominator: bigint } = { numerator: 25n, denominator: 1000n },
    readonly gasAdjustment = 1.4,
  ) {}

  private async request(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
    let resp: Response;
    try {
      resp = await fetch(`${this.rest.replace(/\/$/, "")}${path}`, init);
    } catch (e) {
      throw new Error(`the chain is unreachable at ${this.rest}: ${(e as Error).message}`);
    }
    const text = await resp.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text };
    }
    return { status: resp.status, body };
  }

  private async ok(path: string, init?: RequestInit): Promise<any> {
    const { status, body } = await this.request(path, init);
    if (status >= 400) throw new ChainError(body.message ?? `HTTP ${status}`, body.code ?? 0, "", body.message ?? "");
    return body;
  }

  /** The chain id (from `/chain-info.json`). */
  async chainId(): Promise<string> {
    this.chainIdCache ??= (await this.ok("/chain-info.json")).chainId as string;
    return this.chainIdCache;
  }

  /** An account's number and sequence, or null if the chain has never seen it. */
  async account(address: string): Promise<{ accountNumber: bigint; sequence: bigint } | null> {
    const { status, body } = await this.request(`/cosmos/auth/v1beta1/accounts/${address}`);
    if (status === 404) return null;
    if (status >= 400) throw new ChainError(body.message, body.code ?? 0, "", body.message);
    return { accountNumber: BigInt(body.account.account_number), sequence: BigInt(body.account.sequence) };
  }

  /** An address's balance of `denom` (default ubls). */
  async balance(address: string, denom = "ubls"): Promise<bigint> {
    const body = await this.ok(`/cosmos/bank/v1beta1/balances/${address}/by_denom?denom=${encodeURIComponent(denom)}`);
    return BigInt(body.balance.amount);
  }

  /** A module's JSON query (`/bls/{module}/{method}?req=`). */
  async query(module: string, method: string, req: unknown = {}): Promise<any> {
    return this.ok(`/bls/${module}/${method}?req=${encodeURIComponent(JSON.stringify(req))}`);
  }

  private body(msgs: readonly EncodeObject[], memo: string, timeoutHeight: number): Uint8Array {
    return toBinary(
      TxBodySchema,
      create(TxBodySchema, {
        messages: msgs.map((m) => ({
          typeUrl: m.typeUrl,
          value: toBinary(schemaOf(m.typeUrl), create(schemaOf(m.typeUrl), m.value as never)),
        })),
        memo,
        timeoutHeight: BigInt(timeoutHeight),
      }),
    );
  }

  private authInfo(signer: TxSigner, sequence: bigint, mode: SignMode, fee?: StdFee): Uint8Array {
    return toBinary(
      AuthInfoSchema,
      create(AuthInfoSchema, {
        signerInfos: [
          {
            publicKey: { typeUrl: signer.pubkeyTypeUrl, value: toBinaryKey(signer.pubkey) },
            modeInfo: { sum: { case: "single", value: { mode } } },
            sequence,
          },
        ],
        fee: fee ? { amount: fee.amount.map((c) => ({ ...c })), gasLimit: BigInt(fee.gas) } : undefined,
      }),
    );
  }

  /** Gas the messages use (simulated on the node, unsigned). */
  async simulate(signer: TxSigner, msgs: readonly EncodeObject[], memo = ""): Promise<bigint> {
    const acc = await this.account(signer.address);
    const raw = toBinary(
      TxRawSchema,
      create(TxRawSchema, {
        bodyBytes: this.body(msgs, memo, 0),
        authInfoBytes: this.authInfo(signer, acc?.sequence ?? 0n, SignMode.UNSPECIFIED),
        signatures: [new Uint8Array()],
      }),
    );
    const body = await this.ok("/cosmos/tx/v1beta1/simulate", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tx_bytes: base64Encode(raw) }),
    });
    return BigInt(body.gas_info.gas_used);
  }

  /** The fee for `gas` at this client's gas price, rounded up. */
  fee(gas: bigint): StdFee {
    const { numerator, denominator } = this.gasPrice;
    const amount = (gas * numerator + denominator - 1n) / denominator;
    return { amount: [{ denom: "ubls", amount: amount.toString() }], gas: gas.toString() };
  }

  /** Signs `msgs` with `signer` in SIGN_MODE_LEGACY_AMINO_JSON: the `TxRaw` bytes to broadcast. */
  async sign(signer: TxSigner, msgs: readonly EncodeObject[], opts: SendOptions = {}): Promise<Uint8Array> {
    const memo = opts.memo ?? "";
    const acc = await this.account(signer.address);
    if (!acc) throw new Error(`account ${signer.address} does not exist on chain: fund it first`);
    const gas =
      opts.gas === undefined || opts.gas === "auto"
        ? BigInt(Math.ceil(Number(await this.simulate(signer, msgs, memo)) * this.gasAdjustment))
        : BigInt(opts.gas);
    const fee = this.fee(gas);
    const doc = makeSignDoc(
      msgs.map((m) => toAminoMsg(schemaOf(m.typeUrl), m.value)),
      fee,
      await this.chainId(),
      memo,
      acc.accountNumber,
      acc.sequence,
      opts.timeoutHeight ?? 0,
    );
    const signature = await signer.signAmino(doc);
    return toBinary(
      TxRawSchema,
      create(TxRawSchema, {
        bodyBytes: this.body(msgs, memo, opts.timeoutHeight ?? 0),
        authInfoBytes: this.authInfo(signer, acc.sequence, SignMode.LEGACY_AMINO_JSON, fee),
        signatures: [signature],
      }),
    );
  }

  /** Broadcasts signed tx bytes; throws a `ChainError` if the mempool refuses them. Returns the hash. */
  async broadcast(tx: Uint8Array): Promise<string> {
    const body = await this.ok("/cosmos/tx/v1beta1/txs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tx_bytes: base64Encode(tx), mode: "BROADCAST_MODE_SYNC" }),
    });
    const r = body.tx_response;
    if (r.code !== 0) throw new ChainError(`tx refused (code ${r.code}): ${r.raw_log}`, r.code, r.codespace ?? "", r.raw_log);
    return r.txhash as string;
  }

  /** Waits until the tx `hash` is in a block (or `timeoutMs` passes). */
  async waitForTx(hash: string, timeoutMs = 30_000): Promise<TxResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.request(`/cosmos/tx/v1beta1/txs/${hash}`);
      if (status === 200) {
        const r = body.tx_response;
        return {
          hash,
          height: Number(r.height),
          code: r.code ?? 0,
          rawLog: r.raw_log ?? "",
          gasUsed: BigInt(r.gas_used ?? 0),
          msgResponses: r.data ? msgResponses(base64Decode(r.data)) : [],
          events: r.events ?? [],
        };
      }
      if (status !== 404) throw new ChainError(body.message, body.code ?? 0, "", body.message);
      if (Date.now() > deadline) throw new Error(`tx ${hash} was not included within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** Signs, broadcasts and waits for `msgs`; throws a `ChainError` if the tx fails. */
  async signAndBroadcast(signer: TxSigner, msgs: readonly EncodeObject[], opts: SendOptions = {}): Promise<TxResult> {
    const hash = await this.broadcast(await this.sign(signer, msgs, opts));
    const result = await this.waitForTx(hash);
    if (result.code !== 0) throw new ChainError(`tx failed (code ${result.code}): ${result.rawLog}`, result.code, "", result.rawLog);
    return result;
  }
}

/** `{bytes key = 1}`: the layout of every key type. */
function toBinaryKey(key: Uint8Array): Uint8Array {
  return new Uint8Array([0x0a, key.length, ...key]);
}
