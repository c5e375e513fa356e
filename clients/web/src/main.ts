// The bls web app (served by blsd at /app/): connect Keplr, MetaMask or Martian, sign in with a
// challenge the node verifies, then deploy and invoke functions (watching each job from
// assignment to its verified result), invoke through a head on the fast path, register and
// bond a worker, delegate and undelegate. Every tx is signed by the wallet in
// SIGN_MODE_LEGACY_AMINO_JSON (Keplr: the amino JSON; MetaMask: its EIP-712 typed data;
// Martian: the Aptos signMessage envelope) through @bls/client, and goes to this node's REST
// gateway only. A fast-path request is signed as text by the wallet (ADR-036, personal_sign,
// signMessage), posted to the head the user names, and its answer checked by this node.

import {
  aptosFullMessage,
  aptosSigner,
  BlsClient,
  ChainError,
  cosmosSigner,
  base64Decode,
  ethereumSigner,
  executeBody,
  freshNonce,
  fromBinary,
  hexToBytes,
  metamaskTypedDataSigner,
  orchestration,
  requestId,
  requestText,
} from "../../ts/src/index.js";
import type { EncodeObject, RequestSignScheme, RequestTerms, TxSigner } from "../../ts/src/index.js";
// The dashboard's views (one module serves /dashboard/ and this app's Network panel).
import { mountDashboard } from "../../../app/src/dashboard/assets/app.js";

type WalletName = "keplr" | "metamask" | "martian";

interface Session {
  token: string;
  wallet: WalletName;
  address: string;
  pub_key_type: string;
  pub_key: string;
  expires_at: number;
}

// Wallet providers as the extensions inject them (only what the app uses).
interface Keplr {
  defaultOptions?: { sign?: { preferNoSetFee?: boolean; preferNoSetMemo?: boolean } };
  experimentalSuggestChain(info: unknown): Promise<void>;
  enable(chainId: string): Promise<void>;
  getKey(chainId: string): Promise<{ bech32Address: string }>;
  getOfflineSignerOnlyAmino(chainId: string): Parameters<typeof cosmosSigner>[0];
  signArbitrary(chainId: string, signer: string, data: string): Promise<{ pub_key: { value: string }; signature: string }>;
}
interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}
interface AptosWallet {
  connect(): Promise<{ address: string; publicKey: string }>;
  signMessage(m: { message: string; nonce: string }): Promise<{ fullMessage: string; signature: string }>;
}
declare global {
  interface Window {
    keplr?: Keplr;
    ethereum?: Eip1193;
    martian?: AptosWallet;
    aptos?: AptosWallet;
  }
}

const client = new BlsClient(location.origin);
let signer: TxSigner | undefined;
let session: Session | undefined;
/** The account as the wallet names it (bls1…, 0x…), for its text signatures. */
let walletAddress = "";

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;

function show(sel: string, text: string, attrs: Record<string, string> = {}) {
  const el = $(sel);
  el.textContent = text;
  for (const [k, v] of Object.entries(attrs)) el.dataset[k] = v;
}

/** Shows what went wrong in words a user can act on. */
function explain(e: unknown): string {
  if (e instanceof ChainError) {
    if (/insufficient funds/.test(e.log)) return `Insufficient funds: ${e.log}`;
    if (/signature verification failed/.test(e.log)) return `The chain rejected the signature: ${e.log}`;
    return `The chain refused the transaction (code ${e.code}): ${e.log || e.message}`;
  }
  const m = e instanceof Error ? e.message : String(e);
  if (/unreachable/.test(m)) return `The chain is down or unreachable: ${m}`;
  if (/reject|denied|cancel/i.test(m)) return `The wallet refused: ${m}`;
  return m;
}

async function guarded(what: string, f: () => Promise<void>) {
  show("#error", "", { kind: "" });
  show("#busy", `${what}…`);
  try {
    await f();
  } catch (e) {
    show("#error", `${what}: ${explain(e)}`, { kind: "error" });
  } finally {
    show("#busy", "");
  }
}

async function api(path: string, body?: unknown): Promise<any> {
  let resp: Response;
  try {
    resp = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(`the node is unreachable: ${(e as Error).message}`);
  }
  const v = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(v.error ?? `HTTP ${resp.status}`);
  return v;
}

function utf8Hex(s: string): string {
  return "0x" + Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("");
}

function hex0x(s: string): string {
  return s.startsWith("0x") ? s : `0x${s}`;
}

// --- connect and sign in -------------------------------------------------------------------

async function connect(wallet: WalletName) {
  const chainId = await client.chainId();
  let address: string;
  let sign: (c: { message: string; nonce: string }) => Promise<Record<string, unknown>>;
  if (wallet === "keplr") {
    const keplr = window.keplr;
    if (!keplr) throw new Error("Keplr is not installed");
    // The app computes fee and memo; Keplr must sign them as they are.
    keplr.defaultOptions = { sign: { preferNoSetFee: true, preferNoSetMemo: true } };
    const info = await (await fetch("/chain-info.json")).json();
    await keplr.experimentalSuggestChain({ ...info, rest: location.origin });
    await keplr.enable(chainId);
    address = (await keplr.getKey(chainId)).bech32Address;
    sign = async (c) => {
      const r = await keplr.signArbitrary(chainId, address, c.message);
      return { signature: r.signature, pub_key: r.pub_key.value };
    };
  } else if (wallet === "metamask") {
    const eth = window.ethereum;
    if (!eth) throw new Error("MetaMask is not installed");
    [address] = (await eth.request({ method: "eth_requestAccounts" })) as string[];
    sign = async (c) => ({ signature: await eth.request({ method: "personal_sign", params: [utf8Hex(c.message), address] }) });
  } else {
    const aptos = window.martian ?? window.aptos;
    if (!aptos) throw new Error("Martian is not installed");
    const account = await aptos.connect();
    address = account.address;
    sign = async (c) => {
      const r = await aptos.signMessage({ message: c.message, nonce: c.nonce });
      return { signature: hex0x(r.signature), full_message: r.fullMessage, pub_key: hex0x(account.publicKey) };
    };
  }
  const challenge = await api("/app/api/challenge", { wallet, address });
  const answer = await sign(challenge);
  session = (await api("/app/api/verify", { nonce: challenge.nonce, ...answer })) as Session;
  walletAddress = address;
  signer = await makeSigner(session, address);
  await refreshAccount();
}

async function makeSigner(s: Session, walletAddress: string): Promise<TxSigner> {
  const chainId = await client.chainId();
  if (s.wallet === "keplr") return cosmosSigner(window.keplr!.getOfflineSignerOnlyAmino(chainId));
  if (s.wallet === "metamask") return ethereumSigner(base64Decode(s.pub_key), metamaskTypedDataSigner(window.ethereum!, walletAddress));
  const aptos = (window.martian ?? window.aptos)!;
  return aptosSigner(base64Decode(s.pub_key), async ({ message, nonce }) => {
    const r = await aptos.signMessage({ message, nonce });
    return { fullMessage: r.fullMessage, signature: hex0x(r.signature) };
  });
}

async function refreshAccount() {
  if (!session) return;
  const balance = await client.balance(session.address);
  show("#address", session.address, { address: session.address });
  show("#wallet", `${session.wallet} (${session.pub_key_type})`, { wallet: session.wallet });
  show("#balance", `${balance} ubls`, { balance: balance.toString() });
  document.body.dataset.signedIn = "1";
  await refreshWorker();
  await refreshDeposit();
}

function need(): TxSigner {
  if (!signer || !session) throw new Error("connect a wallet and sign in first");
  return signer;
}

async function send(msgs: EncodeObject[]) {
  const r = await client.signAndBroadcast(need(), msgs);
  await refreshAccount();
  return r;
}

// --- deploy, invoke and watch --------------------------------------------------------------

async function deploy() {
  const file = $<HTMLInputElement>("#deploy-wasm").files?.[0];
  if (!file) throw new Error("choose a .wasm file");
  const wasm = new Uint8Array(await file.arrayBuffer());
  const manifest = $<HTMLTextAreaElement>("#deploy-manifest").value.trim() || "{}";
  JSON.parse(manifest); // a clear error before the wallet is asked
  const r = await send([
    {
      typeUrl: "/bls.orchestration.v1.MsgDeployFunction",
      value: {
        owner: need().address,
        wasm,
        manifestJson: manifest,
        replication: Number($<HTMLInputElement>("#deploy-n").value),
        quorum: Number($<HTMLInputElement>("#deploy-m").value),
      },
    },
  ]);
  const id = fromBinary(orchestration.MsgDeployFunctionResponseSchema, r.msgResponses[0].value).functionId.toString();
  show("#deploy-result", `Deployed function ${id} (tx ${r.hash})`, { functionId: id });
  $<HTMLInputElement>("#invoke-function").value = id;
  $<HTMLInputElement>("#fast-function").value = id;
  $<HTMLInputElement>("#sell-function").value = id;
}

async function invoke() {
  const functionId = BigInt($<HTMLInputElement>("#invoke-function").value);
  const f = await client.query("orchestration", "Function", { id: Number(functionId) });
  if (!f.subnetwork) throw new Error(`function ${functionId} has no workers placed yet: wait a block and retry`);
  const r = await send([
    {
      typeUrl: "/bls.orchestration.v1.MsgInvoke",
      value: {
        invoker: need().address,
        functionId,
        input: new TextEncoder().encode($<HTMLInputElement>("#invoke-input").value),
        maxFee: { denom: "ubls", amount: $<HTMLInputElement>("#invoke-max-fee").value },
      },
    },
  ]);
  const jobId = fromBinary(orchestration.MsgInvokeResponseSchema, r.msgResponses[0].value).jobId.toString();
  await watch(jobId);
}

/** Follows a job live: queued → assigned → commits → reveals → verified result. */
async function watch(jobId: string) {
  const job = $("#job");
  job.dataset.jobId = jobId;
  job.dataset.verified = "0";
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const { job: j } = await client.query("orchestration", "Job", { id: Number(jobId) });
    const a: { worker: string; commitment?: string; result_hash?: string }[] = j.assignments ?? [];
    const committed = a.filter((x) => x.commitment).length;
    const revealed = a.filter((x) => x.result_hash).length;
    job.dataset.status = j.status;
    show("#job-status", `job ${jobId}: ${j.status}`);
    show("#job-assigned", a.length ? `assigned to ${a.map((x) => x.worker).join(", ")}` : "waiting for assignment");
    show("#job-commits", `commits ${committed}/${a.length}`);
    show("#job-reveals", `reveals ${revealed}/${a.length}`);
    if (j.status === "finalized") {
      const { result } = await client.query("orchestration", "Result", { job_id: Number(jobId) });
      show("#job-output", result.outcome_decoded?.stdout ?? "", { resultHash: result.result_hash });
      show("#job-verified", `verified by ${result.workers.length} agreeing workers: ${result.workers.join(", ")}`);
      job.dataset.verified = "1";
      await refreshAccount();
      return;
    }
    if (j.status === "failed" || j.status === "expired" || j.failure) {
      throw new Error(`job ${jobId} ended ${j.status}${j.failure ? `: ${j.failure}` : ""}`);
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish in 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// --- fast path ----------------------------------------------------------------------------

async function refreshDeposit() {
  if (!session) return;
  const d = await client.query("orchestration", "FastPathDeposit", { invoker: session.address });
  show("#fast-deposit", `fast-path deposit: ${d.deposit} ubls`, { deposit: d.deposit });
}

async function deposit() {
  await send([
    {
      typeUrl: "/bls.orchestration.v1.MsgFastPathDeposit",
      value: { invoker: need().address, amount: { denom: "ubls", amount: $<HTMLInputElement>("#deposit-amount").value } },
    },
  ]);
}

/** The connected wallet's signature of a request's text, in its scheme. */
async function signRequestText(
  s: Session,
  text: string,
  nonce: bigint,
): Promise<{ scheme: RequestSignScheme; pubkey: Uint8Array; signature: Uint8Array }> {
  if (s.wallet === "keplr") {
    const r = await window.keplr!.signArbitrary(await client.chainId(), walletAddress, text);
    return { scheme: "adr036", pubkey: base64Decode(r.pub_key.value), signature: base64Decode(r.signature) };
  }
  if (s.wallet === "metamask") {
    const sig = (await window.ethereum!.request({ method: "personal_sign", params: [utf8Hex(text), walletAddress] })) as string;
    return { scheme: "personal_sign", pubkey: base64Decode(s.pub_key), signature: hexToBytes(sig) };
  }
  const r = await (window.martian ?? window.aptos)!.signMessage({ message: text, nonce: nonce.toString() });
  if (r.fullMessage !== undefined && r.fullMessage !== aptosFullMessage(text, nonce.toString())) {
    throw new Error("the wallet signed another text than the request's envelope (address, application or chain id added?)");
  }
  return { scheme: "aptos", pubkey: base64Decode(s.pub_key), signature: hexToBytes(r.signature) };
}

/** Signs a request with the wallet, sends it to the head, and has this node check the answer. */
async function fastInvoke() {
  need();
  const s = session!;
  const result = $("#fast-result");
  result.dataset.verified = "0";
  show("#fast-output", "");
  show("#fast-verified", "");
  const head = $<HTMLInputElement>("#fast-head").value.trim().replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+$/.test(head)) throw new Error("the head API must be a URL like http://203.0.113.7:8080");
  localStorage.setItem("bls.head", head);
  const functionId = BigInt($<HTMLInputElement>("#fast-function").value);
  const t = await api(`/app/api/fastpath/terms?function_id=${functionId}`);
  // By default exactly what it costs now (t.fee: the fast-path fee plus a listed price): a generous
  // ceiling would let a price raised before settlement take the difference.
  const typed = $<HTMLInputElement>("#fast-max-fee").value.trim();
  const maxFee = typed ? BigInt(typed) : BigInt(t.fee);
  if (maxFee < BigInt(t.fee)) throw new Error(`the most you pay (${maxFee} ubls) is below function ${functionId}'s fast-path fee (${t.fee} ubls)`);
  const terms: RequestTerms = {
    chainId: t.chain_id,
    invoker: s.address,
    functionId,
    codeHash: t.code_hash,
    nonce: freshNonce(),
    maxFee,
    input: $<HTMLInputElement>("#fast-input").value,
    expiryHeight: BigInt(t.expiry_height),
    timeSecs: BigInt(t.time_secs),
    timeNanos: t.time_nanos,
  };
  const id = requestId(terms);
  show("#fast-status", "waiting for the wallet's signature");
  const body = executeBody(terms, await signRequestText(s, requestText(terms, id), terms.nonce));
  show("#fast-status", `sent to ${head}`);
  let resp: Response;
  try {
    resp = await fetch(`${head}/api/v1/functions/execute`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(`the head at ${head} is unreachable (or does not allow this page: its --head-cors-origins): ${(e as Error).message}`);
  }
  const answer = await resp.json().catch(() => ({}));
  if (resp.status === 402) throw new Error(`the head wants payment (your fast-path deposit, or a max fee covering fee and price): ${answer.error ?? ""}`);
  if (!resp.ok) throw new Error(`the head refused the request (HTTP ${resp.status}): ${answer.error ?? ""}`);
  show("#fast-status", "checking the head's answer against the chain");
  const v = await api("/app/api/fastpath/check", { request: body, answer });
  show("#fast-status", `request ${v.request_id}: verified`, { requestId: v.request_id });
  show("#fast-verified", `signed by head ${v.head} and ${v.signers.length} workers: ${v.signers.join(", ")}`);
  show("#fast-output", v.stdout, { resultHash: v.result_hash });
  result.dataset.verified = "1";
  await refreshAccount();
}

// --- marketplace -----------------------------------------------------------------------------

interface ListingView {
  listing: { function_id: number; owner: string; name: string; price: string; tags: string[] };
  version: number;
  stats: { invocations: number; results: number; revenue: string };
}

async function browse() {
  const tag = $<HTMLInputElement>("#market-tag").value.trim();
  const req: Record<string, unknown> = { order_by: $<HTMLSelectElement>("#market-order").value, limit: 50 };
  if (tag) req.tag = tag;
  const { listings } = (await client.query("orchestration", "Listings", req)) as { listings: ListingView[] };
  const rows = listings.map((v) => {
    const tr = document.createElement("tr");
    tr.dataset.functionId = String(v.listing.function_id);
    tr.dataset.price = v.listing.price;
    for (const text of [
      `#${v.listing.function_id}`,
      v.listing.name,
      v.listing.price,
      String(v.version),
      String(v.stats.invocations),
      v.listing.tags.join(", "),
    ]) {
      const td = document.createElement("td");
      td.textContent = text; // chain data is text, never HTML
      tr.append(td);
    }
    const use = document.createElement("button");
    use.textContent = "Use";
    use.className = "market-use";
    use.addEventListener("click", () => {
      const id = String(v.listing.function_id);
      $<HTMLInputElement>("#invoke-function").value = id;
      $<HTMLInputElement>("#fast-function").value = id;
      $("#invoke").scrollIntoView();
    });
    const td = document.createElement("td");
    td.append(use);
    tr.append(td);
    return tr;
  });
  $("#market-listings tbody").replaceChildren(...rows);
  $("#market-listings").dataset.count = String(rows.length);
}

async function sell(kind: "publish" | "unlist") {
  const owner = need().address;
  const functionId = BigInt($<HTMLInputElement>("#sell-function").value);
  const v = (id: string) => $<HTMLInputElement>(id).value.trim();
  if (kind === "unlist") {
    await send([{ typeUrl: "/bls.orchestration.v1.MsgUnlistFunction", value: { owner, functionId } }]);
  } else {
    // Replaces the listing when there is one: what the form leaves blank keeps its listed value
    // (as `bls market update` does).
    let current: { name: string; description: string; tags: string[]; license: string; source_url: string; price: string; terms: string } | undefined;
    try {
      current = (await client.query("orchestration", "Listing", { function_id: Number(functionId) })).listing;
    } catch {
      current = undefined;
    }
    const or = (typed: string, kept?: string) => (typed !== "" ? typed : (kept ?? ""));
    const tags = v("#sell-tags").split(",").map((t) => t.trim()).filter((t) => t);
    await send([
      {
        typeUrl: current ? "/bls.orchestration.v1.MsgUpdateListing" : "/bls.orchestration.v1.MsgPublishListing",
        value: {
          owner,
          functionId,
          name: or(v("#sell-name"), current?.name),
          description: or(v("#sell-description"), current?.description),
          tags: tags.length ? tags : (current?.tags ?? []),
          license: or(v("#sell-license"), current?.license),
          sourceUrl: or(v("#sell-source"), current?.source_url),
          price: { denom: "ubls", amount: or(v("#sell-price"), current?.price) },
          terms: current?.terms ?? "",
        },
      },
    ]);
  }
  show("#sell-result", `function ${functionId} ${kind === "unlist" ? "unlisted" : "listed"}`, { done: kind });
  await browse();
}

// --- workers and staking -------------------------------------------------------------------

function hexBytes(s: string): Uint8Array {
  try {
    return hexToBytes(s.trim());
  } catch {
    throw new Error("the result public key must be hex");
  }
}

async function registerWorker() {
  const v = (id: string) => $<HTMLInputElement>(id).value.trim();
  await send([
    {
      typeUrl: "/bls.registry.v1.MsgRegisterWorker",
      value: {
        operator: need().address,
        resultPubkey: hexBytes(v("#worker-pubkey")),
        peerId: v("#worker-peer"),
        multiaddrs: v("#worker-addr") ? [v("#worker-addr")] : [],
        region: v("#worker-region"),
        network: v("#worker-network"),
        capabilities: { memoryMb: BigInt(v("#worker-memory")), maxTimeoutMs: BigInt(v("#worker-timeout")), httpAllowed: false },
        role: "worker",
        bond: { denom: "ubls", amount: v("#worker-bond") },
      },
    },
  ]);
}

async function bondWorker() {
  await send([
    {
      typeUrl: "/bls.registry.v1.MsgBondWorker",
      value: { operator: need().address, amount: { denom: "ubls", amount: $<HTMLInputElement>("#bond-amount").value } },
    },
  ]);
}

async function refreshWorker() {
  if (!session) return;
  try {
    const { worker } = await client.query("registry", "Worker", { id: session.address });
    show("#worker-status", `worker ${worker.status}, bond ${worker.bond} ubls`, { bond: worker.bond, status: worker.status });
  } catch {
    show("#worker-status", "this account is not a registered worker", { bond: "", status: "" });
  }
}

async function loadValidators() {
  const { validators } = await client.query("staking", "Validators", { limit: 100 });
  const select = $<HTMLSelectElement>("#stake-validator");
  select.replaceChildren(
    ...validators.map((v: { validator: { operator: string; moniker: string; tokens: string } }) => {
      const o = document.createElement("option");
      o.value = v.validator.operator;
      o.textContent = `${v.validator.moniker || v.validator.operator} (${v.validator.tokens} ubls)`;
      return o;
    }),
  );
  if (!validators.length) show("#stake-result", "no validator has a staking record yet");
}

async function stake(kind: "Delegate" | "Undelegate") {
  show("#stake-result", "", { done: "" });
  const validator = $<HTMLSelectElement>("#stake-validator").value;
  if (!validator) throw new Error("choose a validator");
  await send([
    {
      typeUrl: `/bls.staking.v1.Msg${kind}`,
      value: { delegator: need().address, validator, amount: { denom: "ubls", amount: $<HTMLInputElement>("#stake-amount").value } },
    },
  ]);
  show("#stake-result", `${kind.toLowerCase()}d ${$<HTMLInputElement>("#stake-amount").value} ubls`, { done: kind.toLowerCase() });
}

// --- wiring --------------------------------------------------------------------------------

function on(sel: string, what: string, f: () => Promise<void>) {
  $(sel).addEventListener("click", (e) => {
    e.preventDefault();
    void guarded(what, f);
  });
}

async function main() {
  for (const w of ["keplr", "metamask", "martian"] as const) {
    const present = w === "keplr" ? !!window.keplr : w === "metamask" ? !!window.ethereum : !!(window.martian ?? window.aptos);
    const button = $<HTMLButtonElement>(`#connect-${w}`);
    button.disabled = !present;
    button.title = present ? "" : "not installed in this browser";
    on(`#connect-${w}`, `Connecting ${w}`, () => connect(w));
  }
  on("#deploy-submit", "Deploying", deploy);
  on("#invoke-submit", "Invoking", invoke);
  on("#deposit-submit", "Depositing", deposit);
  on("#market-search", "Browsing the marketplace", browse);
  on("#sell-submit", "Publishing the listing", () => sell("publish"));
  on("#unlist-submit", "Unlisting", () => sell("unlist"));
  on("#fast-submit", "Invoking through the head", fastInvoke);
  $<HTMLInputElement>("#fast-head").value = localStorage.getItem("bls.head") ?? "";
  mountDashboard({
    app: $("#explore"),
    chain: $("#explore-chain"),
    refresh: $("#explore-refresh"),
    ready: $("#explorer"),
    onInvoke: (functionId: string, how: "chain" | "fast") => {
      const [field, panel] = how === "chain" ? ["#invoke-function", "#invoke"] : ["#fast-function", "#fast"];
      $<HTMLInputElement>(field).value = functionId;
      $(panel).scrollIntoView();
      $<HTMLInputElement>(field).focus();
    },
  });
  on("#worker-submit", "Registering the worker", registerWorker);
  on("#bond-submit", "Bonding", bondWorker);
  on("#delegate-submit", "Delegating", () => stake("Delegate"));
  on("#undelegate-submit", "Undelegating", () => stake("Undelegate"));
  await guarded("Reading the chain", async () => {
    show("#chain", await client.chainId());
    await loadValidators();
    await browse();
  });
  document.body.dataset.ready = "1";
}

void main();
