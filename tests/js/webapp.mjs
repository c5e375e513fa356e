// Drives the web app (/app/) in headless Chromium with each wallet injected by the test, backed
// by real signers running in Node: window.keplr (a CosmJS Secp256k1HdWallet: signAmino and
// ADR-036 signArbitrary), window.ethereum (an ethers.js Wallet: personal_sign and
// eth_signTypedData_v4) and window.martian (an @aptos-labs/ts-sdk Ed25519 key: signMessage).
// For each: sign in, deploy hello, invoke it to a verified result, deposit and invoke it through
// the head (the wallet signs the request text; the page posts it to the head, CORS, and the node
// checks the answer), see the job and function in the Network panel; then, for each, register
// the account as a worker and bond, delegate to and undelegate from the validator the test
// created; a screenshot per wallet. Then over HTTP: the sign-in endpoint's refusals (replay, wrong key), a fast-path
// request signed by another key (head: 401) and a tampered head answer (node: 422).
// Prints a JSON summary for tests/tests/webapp.rs.
//
//   node tests/js/webapp.mjs API_URL "FUNDER_MNEMONIC" WASM_FILE ARTIFACT_DIR HEAD_URL
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { Secp256k1HdWallet, makeSignDoc } from "@cosmjs/amino";
import { Wallet, SigningKey, getBytes, toUtf8String, hexlify, randomBytes } from "ethers";
import { Ed25519PrivateKey } from "@aptos-labs/ts-sdk";
import { BlsClient, cosmosSigner, aptosFullMessage, executeBody, freshNonce, requestId, requestText } from "@bls/client";

const [api, mnemonic, wasmFile, artifacts, headUrl] = process.argv.slice(2);
if (!api || !mnemonic || !wasmFile || !artifacts || !headUrl) {
  console.error("usage: node webapp.mjs API_URL FUNDER_MNEMONIC WASM_FILE ARTIFACT_DIR HEAD_URL");
  process.exit(2);
}
const base = api.replace(/\/$/, "");
const head = headUrl.replace(/\/$/, "");
const client = new BlsClient(base);
const TIMEOUT_MS = 120000;

// The wallets' keys, in Node.
const keplrWallet = await Secp256k1HdWallet.generate(12, { prefix: "bls" });
const [keplrAccount] = await keplrWallet.getAccounts();
const eth = Wallet.createRandom();
const aptosKey = Ed25519PrivateKey.generate();
const aptosAddress = aptosKey.publicKey().authKey().derivedAddress().toString();
const aptosPub = aptosKey.publicKey().toString();

// ADR-036 as Keplr's signArbitrary does it.
async function signArbitrary(signer, data) {
  const doc = makeSignDoc(
    [{ type: "sign/MsgSignData", value: { signer, data: Buffer.from(data).toString("base64") } }],
    { gas: "0", amount: [] },
    "",
    "",
    0,
    0,
  );
  const { signature } = await keplrWallet.signAmino(signer, doc);
  return signature;
}

// Calls from the page land here (page.exposeFunction).
const handlers = {
  async keplr(method, args) {
    switch (method) {
      case "getKey":
        return { bech32Address: keplrAccount.address };
      case "getAccounts":
        return [{ address: keplrAccount.address, algo: "secp256k1", pubkey: Buffer.from(keplrAccount.pubkey).toString("base64") }];
      case "signAmino":
        return keplrWallet.signAmino(args[0], args[1]);
      case "signArbitrary":
        return signArbitrary(args[1], args[2]);
      default:
        return null;
    }
  },
  async ethereum(method, params) {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [eth.address];
      case "personal_sign": {
        if (params[1].toLowerCase() !== eth.address.toLowerCase()) throw new Error("unknown account");
        return eth.signMessage(toUtf8String(getBytes(params[0])));
      }
      case "eth_signTypedData_v4": {
        const t = JSON.parse(params[1]);
        const { EIP712Domain: _d, ...types } = t.types;
        return eth.signTypedData(t.domain, types, t.message);
      }
      default:
        throw new Error(`unsupported method ${method}`);
    }
  },
  async martian(method, args) {
    switch (method) {
      case "connect":
        return { address: aptosAddress, publicKey: aptosPub };
      case "signMessage": {
        const fullMessage = aptosFullMessage(args[0].message, args[0].nonce);
        const signature = aptosKey.sign(new TextEncoder().encode(fullMessage)).toString();
        return { fullMessage, signature, message: args[0].message, nonce: args[0].nonce, prefix: "APTOS" };
      }
      default:
        throw new Error(`unsupported method ${method}`);
    }
  },
};

// Injected into every page before its scripts: providers shaped as the extensions inject them.
function injectWallets(which) {
  const call = (name) => (method, ...args) => window[`__wallet_${name}`](method, args);
  if (which === "keplr") {
    const k = call("keplr");
    window.keplr = {
      experimentalSuggestChain: async () => {},
      enable: async () => {},
      getKey: () => k("getKey"),
      signArbitrary: (chainId, signer, data) => k("signArbitrary", chainId, signer, data),
      getOfflineSignerOnlyAmino: () => ({
        getAccounts: async () =>
          (await k("getAccounts")).map((a) => ({ ...a, pubkey: Uint8Array.from(atob(a.pubkey), (c) => c.charCodeAt(0)) })),
        signAmino: (address, doc) => k("signAmino", address, doc),
      }),
    };
  } else if (which === "metamask") {
    window.ethereum = { isMetaMask: true, request: ({ method, params }) => window.__wallet_ethereum(method, params ?? []) };
  } else {
    const m = call("martian");
    window.martian = { connect: () => m("connect"), signMessage: (p) => m("signMessage", p) };
  }
}

async function fundAll() {
  const funder = await cosmosSigner(await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "bls" }));
  const { ethKeyToAddress, aptosKeyToAddress } = await import("@bls/client");
  const targets = [
    keplrAccount.address,
    ethKeyToAddress(eth.signingKey.publicKey),
    aptosKeyToAddress(aptosKey.publicKey().toUint8Array()),
  ];
  await client.signAndBroadcast(
    funder,
    targets.map((to) => ({
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: funder.address, toAddress: to, amount: [{ denom: "ubls", amount: "60000000" }] },
    })),
  );
  return targets;
}

async function runWallet(context, wallet, input) {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  // Chromium logs every 4xx answer as a console error; the app expects some (a tx not yet in
  // a block is 404 while it polls, an account that is no worker is 400) and handles them.
  page.on("console", (m) => {
    // The head answers 402 to a request with no deposit behind it (the page explains it).
    if (m.type() === "error" && !/^Failed to load resource: the server responded with a status of 40[024]/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith(head) && !u.startsWith("data:")) problems.push(`external request: ${u}`);
  });
  await page.exposeFunction("__wallet_keplr", (m, a) => handlers.keplr(m, a));
  await page.exposeFunction("__wallet_ethereum", (m, p) => handlers.ethereum(m, p));
  await page.exposeFunction("__wallet_martian", (m, a) => handlers.martian(m, a));
  await page.addInitScript(injectWallets, wallet);
  await page.goto(`${base}/app/`);
  await page.waitForFunction(() => document.body.dataset.ready === "1", null, { timeout: TIMEOUT_MS });
  const errorText = () => page.evaluate(() => document.querySelector("#error").textContent);
  const until = async (what, f, arg) => {
    try {
      await page.waitForFunction(f, arg, { timeout: TIMEOUT_MS });
    } catch (e) {
      throw new Error(`${wallet}: ${what}: ${await errorText()} ${problems.join("; ")}`);
    }
  };

  await page.click(`#connect-${wallet}`);
  await until("sign-in", () => document.body.dataset.signedIn === "1");
  const address = await page.evaluate(() => document.querySelector("#address").dataset.address);

  await page.setInputFiles("#deploy-wasm", wasmFile);
  await page.click("#deploy-submit");
  await until("deploy", () => document.querySelector("#deploy-result").dataset.functionId);
  const functionId = await page.evaluate(() => document.querySelector("#deploy-result").dataset.functionId);
  // Sell it: a listing at 3000 ubls per invocation, found again by its tag; "Use" fills the
  // invoke forms. The invocations below pay the price.
  await page.click("#market-sell summary");
  await page.fill("#sell-name", `${wallet} greeter`);
  await page.fill("#sell-tags", `demo, ${wallet}`);
  await page.fill("#sell-price", "3000");
  await page.click("#sell-submit");
  await until("listing published", () => document.querySelector("#sell-result").dataset.done === "publish");
  await page.fill("#market-tag", wallet);
  await page.click("#market-search");
  await until("listing found", () => document.querySelector("#market-listings").dataset.count === "1");
  await page.fill("#invoke-function", "");
  await page.click("#market-listings .market-use");
  const market = await page.evaluate(() => {
    const row = document.querySelector("#market-listings tbody tr");
    return {
      functionId: row.dataset.functionId,
      price: row.dataset.price,
      name: row.children[1].textContent,
      filled: document.querySelector("#invoke-function").value,
    };
  });
  // Workers are placed in the block after the deploy.
  for (let i = 0; ; i++) {
    const f = await client.query("orchestration", "Function", { id: Number(functionId) });
    if (f.subnetwork) break;
    if (i > 200) throw new Error(`${wallet}: function ${functionId} never placed`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.fill("#invoke-input", input);
  await page.click("#invoke-submit");
  await until("verified result", () => document.querySelector("#job").dataset.verified === "1");
  const job = await page.evaluate(() => ({
    id: document.querySelector("#job").dataset.jobId,
    status: document.querySelector("#job").dataset.status,
    output: document.querySelector("#job-output").textContent,
    verified: document.querySelector("#job-verified").textContent,
  }));

  // The fast path: first with no deposit (the head's refusal, in words), then funded.
  await page.fill("#fast-head", head);
  await page.fill("#fast-input", `${input} (fast)`);
  await page.click("#fast-submit");
  await until("no-deposit refusal", () => /deposit/.test(document.querySelector("#error").textContent));
  const noDepositError = await errorText();
  await page.fill("#deposit-amount", "5000000");
  await page.click("#deposit-submit");
  await until("deposit", () => document.querySelector("#fast-deposit").dataset.deposit === "5000000");
  await page.click("#fast-submit");
  await until("fast-path result", () => document.querySelector("#fast-result").dataset.verified === "1");
  const fast = await page.evaluate(() => ({
    requestId: document.querySelector("#fast-status").dataset.requestId,
    output: document.querySelector("#fast-output").textContent,
    verified: document.querySelector("#fast-verified").textContent,
  }));

  // The Network panel (the dashboard's views, in the app): the job is listed with its output,
  // and the function's page offers the wallet's invoke, which fills the fast-path form.
  await page.evaluate(() => { location.hash = "#/jobs"; });
  await until("network jobs view", (id) => {
    const n = document.querySelector("#explorer");
    return n.dataset.ready === "1" && n.dataset.view === "/jobs" && !!document.querySelector(`#explore tr[data-job-id="${id}"]`);
  }, job.id);
  const jobsRow = await page.evaluate((id) => document.querySelector(`#explore tr[data-job-id="${id}"]`).textContent, job.id);
  await page.evaluate((id) => { location.hash = `#/function/${id}`; }, functionId);
  await until("network function view", (id) => {
    const n = document.querySelector("#explorer");
    return n.dataset.ready === "1" && n.dataset.view === `/function/${id}` && !!document.querySelector("#explore-invoke-fast");
  }, functionId);
  await page.fill("#fast-function", "");
  await page.click("#explore-invoke-fast");
  const network = {
    jobsRow,
    heading: await page.evaluate(() => document.querySelector("#explore #function h2")?.textContent ?? null),
    prefilled: await page.evaluate(() => document.querySelector("#fast-function").value),
    cliCommand: await page.evaluate(() => !!document.querySelector("#explore #invoke-command")),
  };

  return { page, problems, until, result: { address, functionId, job, fast: { ...fast, noDepositError }, network, market } };
}

// Registers the signed-in account as a worker (values a worker node would give), then adds
// bond. Done after every wallet's invocation: a registered worker with no daemon behind it
// would be placed and assigned jobs it never answers.
async function registerAndBond(wallet, { page, problems, until, result }) {
  await page.click("#worker summary");
  const resultKey = SigningKey.computePublicKey(hexlify(randomBytes(32)), true);
  await page.fill("#worker-pubkey", resultKey);
  await page.fill("#worker-peer", `12D3KooW${wallet}${Date.now()}`);
  await page.fill("#worker-addr", "/ip4/127.0.0.1/tcp/4001");
  await page.click("#worker-submit");
  await until("worker registered", () => document.querySelector("#worker-status").dataset.status === "active");
  const bondBefore = await page.evaluate(() => document.querySelector("#worker-status").dataset.bond);
  await page.fill("#bond-amount", "1000000");
  await page.click("#bond-submit");
  await until(
    "bond added",
    (before) => BigInt(document.querySelector("#worker-status").dataset.bond || "0") === BigInt(before) + 1000000n,
    bondBefore,
  );
  const bondAfter = await page.evaluate(() => document.querySelector("#worker-status").dataset.bond);

  // Delegate to the validator the test created, then undelegate half: the chain's records after
// each.
  const { validators } = await client.query("staking", "Validators", { limit: 100 });
  const validator = validators.find((v) => v.validator.moniker === "webapp-validator")?.validator.operator;
  if (!validator) throw new Error(`${wallet}: no validator "webapp-validator" among ${JSON.stringify(validators)}`);
  await page.selectOption("#stake-validator", validator);
  await page.fill("#stake-amount", "1000000");
  await page.click("#delegate-submit");
  await until("delegated", () => document.querySelector("#stake-result").dataset.done === "delegate");
  const delegated = (await client.query("staking", "Delegations", { delegator: result.address })).delegations;
  // Half of it: the validator signs no block, so downtime slashing may take a share meanwhile.
  await page.fill("#stake-amount", "500000");
  await page.click("#undelegate-submit");
  await until("undelegated", () => document.querySelector("#stake-result").dataset.done === "undelegate");
  const staking = {
    validator,
    delegated,
    afterUndelegate: (await client.query("staking", "Delegations", { delegator: result.address })).delegations,
    unbonding: (await client.query("staking", "UnbondingDelegations", { delegator: result.address })).entries,
  };
  await page.screenshot({ path: join(artifacts, `webapp-${wallet}.png`), fullPage: true });
  await page.close();
  return { ...result, bondBefore, bondAfter, staking, problems };
}

// The sign-in endpoint refuses a replayed answer and a signature by another key.
async function signInRefusals() {
  const post = async (path, body) => {
    const r = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  const c = (await post("/app/api/challenge", { wallet: "keplr", address: keplrAccount.address })).body;
  const sig = await signArbitrary(keplrAccount.address, c.message);
  const answer = { nonce: c.nonce, signature: sig.signature, pub_key: sig.pub_key.value };
  const first = await post("/app/api/verify", answer);
  const replay = await post("/app/api/verify", answer);
  const other = await Secp256k1HdWallet.generate(12, { prefix: "bls" });
  const [otherAccount] = await other.getAccounts();
  const c2 = (await post("/app/api/challenge", { wallet: "keplr", address: keplrAccount.address })).body;
  const doc = makeSignDoc(
    [{ type: "sign/MsgSignData", value: { signer: keplrAccount.address, data: Buffer.from(c2.message).toString("base64") } }],
    { gas: "0", amount: [] }, "", "", 0, 0,
  );
  // The other key signs the doc naming our address, and declares our key.
  const forged = await other.signAmino(otherAccount.address, doc);
  const wrongKey = await post("/app/api/verify", { nonce: c2.nonce, signature: forged.signature.signature, pub_key: sig.pub_key.value });
  const session = await fetch(`${base}/app/api/session`, { headers: { authorization: `Bearer ${first.body.token}` } });
  return {
    firstStatus: first.status,
    sessionAddress: (await session.json()).address,
    replayStatus: replay.status,
    replayError: replay.body.error,
    wrongKeyStatus: wrongKey.status,
    wrongKeyError: wrongKey.body.error,
  };
}

// Over HTTP, as any client: a fast-path request for the Keplr account signed by another key is
// refused by the head; a real answer checks out at the node, the same answer with its outcome
// changed does not.
async function fastRefusals(functionId) {
  const t = await (await fetch(`${base}/app/api/fastpath/terms?function_id=${functionId}`)).json();
  const terms = {
    chainId: t.chain_id,
    invoker: keplrAccount.address,
    functionId: BigInt(functionId),
    codeHash: t.code_hash,
    nonce: freshNonce(),
    maxFee: 100000n,
    input: "Node",
    expiryHeight: BigInt(t.expiry_height),
    timeSecs: BigInt(t.time_secs),
    timeNanos: t.time_nanos,
  };
  const text = requestText(terms, requestId(terms));
  const post = async (url, body) => {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, body: await r.json().catch(() => ({})) };
  };
  const sign = async (wallet, account) => {
    const doc = makeSignDoc(
      [{ type: "sign/MsgSignData", value: { signer: keplrAccount.address, data: Buffer.from(text).toString("base64") } }],
      { gas: "0", amount: [] }, "", "", 0, 0,
    );
    const { signature } = await wallet.signAmino(account.address, doc);
    return { scheme: "adr036", pubkey: keplrAccount.pubkey, signature: Buffer.from(signature.signature, "base64") };
  };
  const other = await Secp256k1HdWallet.generate(12, { prefix: "bls" });
  const [otherAccount] = await other.getAccounts();
  const forged = await post(`${head}/api/v1/functions/execute`, executeBody(terms, await sign(other, otherAccount)));
  const body = executeBody(terms, await sign(keplrWallet, keplrAccount));
  const served = await post(`${head}/api/v1/functions/execute`, body);
  const valid = await post(`${base}/app/api/fastpath/check`, { request: body, answer: served.body });
  const outcome = served.body.outcome ?? "";
  const flipped = outcome.slice(0, -2) + (outcome.endsWith("00") ? "01" : "00");
  const tampered = await post(`${base}/app/api/fastpath/check`, { request: body, answer: { ...served.body, outcome: flipped } });
  return {
    forgedStatus: forged.status,
    forgedError: forged.body.error,
    servedStatus: served.status,
    validStatus: valid.status,
    validStdout: valid.body.stdout,
    tamperedStatus: tampered.status,
    tamperedError: tampered.body.error,
  };
}

const userDataDir = mkdtempSync(join(tmpdir(), "bls-chromium-"));
let context;
try {
  const funded = await fundAll();
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1200, height: 1400 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const wallets = [["keplr", "Keplr"], ["metamask", "MetaMask"], ["martian", "Martian"]];
  const open = {};
  for (const [wallet, input] of wallets) open[wallet] = await runWallet(context, wallet, input);
  const results = {};
  for (const [wallet] of wallets) results[wallet] = await registerAndBond(wallet, open[wallet]);
  const fastPath = await fastRefusals(results.keplr.functionId);
  console.log(JSON.stringify({ funded, results, signIn: await signInRefusals(), fastPath }));
} finally {
  if (context) await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
