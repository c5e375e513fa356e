// bls dashboard: a small hash-routed view of the network over this node's REST gateway. No
// framework, no external requests. Everything from the chain is untrusted text: it is put in
// the page with textContent (the h() helper), never as HTML.
//
// An ES module: the dashboard page (/dashboard/) mounts it on its whole body, and the web app
// (/app/, bundled by esbuild from clients/web) mounts it in its "Network" panel, with an
// `onInvoke` action so a function's page offers the wallet instead of a CLI command.

// The REST gateway serving this page (both pages live one level below it: /dashboard/, /app/).
const API = new URL("..", location.href).href.replace(/\/$/, "");
const DENOM_EXPONENT = 6n;
const AUTO_REFRESH_MS = 10000;

// ---- helpers ---------------------------------------------------------------------------

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : String(k));
  }
  return e;
}

async function getJSON(path) {
  const r = await fetch(API + path, { headers: { accept: "application/json" } });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { error: text }; }
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${body.error || body.message || ""}`.trim());
  return body;
}

function query(module, method, req) {
  return getJSON(`/bls/${module}/${method}?req=${encodeURIComponent(JSON.stringify(req || {}))}`);
}

// Every page of a paginated module list (bounded: a dashboard is not an indexer).
async function allPages(module, method, req, key, maxPages = 10) {
  let out = [];
  let start;
  for (let i = 0; i < maxPages; i++) {
    const r = await query(module, method, { ...req, limit: 100, ...(start !== undefined ? { start_after: start } : {}) });
    out = out.concat(r[key] || []);
    if (r.next === null || r.next === undefined) return { items: out, complete: true };
    start = r.next;
  }
  return { items: out, complete: false };
}

// "1234567" ubls -> "1.234567 BLS" (exact: BigInt, no floats).
function ubls(amount) {
  let n;
  try { n = BigInt(amount ?? 0); } catch { return String(amount); }
  const unit = 10n ** DENOM_EXPONENT;
  const neg = n < 0n;
  if (neg) n = -n;
  const whole = (n / unit).toLocaleString("en-US");
  let frac = (n % unit).toString().padStart(Number(DENOM_EXPONENT), "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""} BLS`;
}

function short(addr) {
  const s = String(addr ?? "");
  const text = s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-6)}` : s;
  return h("span", { class: "mono", title: s }, text);
}

function badge(status) {
  return h("span", { class: `badge s-${status}` }, status);
}

function table(headers, rows, attrs) {
  return h("table", attrs,
    h("thead", {}, h("tr", {}, headers.map((c) => h("th", { class: /^(power|tokens|bond|fee|height|slashed|receipts)/i.test(c) ? "num" : null }, c)))),
    h("tbody", {}, rows));
}

function stat(label, value, id) {
  return h("div", { class: "stat", "data-stat": id }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

function section(id, title, ...body) {
  return h("section", { id }, h("h2", {}, title), body);
}

function failed(what, err) {
  return h("p", { class: "error" }, `Could not load ${what}: ${err.message || err}`);
}

function shellQuote(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---- data ------------------------------------------------------------------------------

const loaders = {
  cometbft: () => getJSON("/dashboard/api/cometbft"),
  stakingValidators: () => allPages("staking", "Validators", {}, "validators"),
  pool: () => query("staking", "Pool"),
  workers: () => allPages("registry", "Workers", {}, "workers"),
  feeTotals: () => query("fees", "Totals"),
  supply: () => getJSON("/dashboard/api/supply"),
  functions: () => allPages("orchestration", "Functions", {}, "functions"),
  jobs: (limit, functionId) => getJSON(`/dashboard/api/jobs?limit=${limit}${functionId ? `&function_id=${functionId}` : ""}`),
  chainInfo: () => getJSON("/chain-info.json"),
  heads: () => allPages("registry", "Workers", { role: "head" }, "workers"),
  fastPathStats: () => query("orchestration", "FastPathStats"),
  settlements: (limit) => getJSON(`/dashboard/api/settlements?limit=${limit}`),
};

async function settle(named) {
  const keys = Object.keys(named);
  const results = await Promise.allSettled(keys.map((k) => named[k]()));
  const out = {};
  keys.forEach((k, i) => { out[k] = results[i]; });
  return out;
}

// ---- views -----------------------------------------------------------------------------

function networkSection(d) {
  const c = d.cometbft.status === "fulfilled" ? d.cometbft.value : null;
  const workers = d.workers.status === "fulfilled" ? d.workers.value.items : null;
  const fns = d.functions.status === "fulfilled" ? d.functions.value.items : null;
  const sup = d.supply.status === "fulfilled" ? d.supply.value : null;
  if (c) mounted.chain.textContent = `${c.chain_id} · height ${c.latest_height}`;
  return section("network", "Network",
    h("div", { class: "grid" },
      stat("Chain id", c ? c.chain_id : "?", "chain_id"),
      stat("Latest height", c ? c.latest_height : "?", "height"),
      stat("Latest block", c ? new Date(c.latest_block_time).toLocaleString() : "?", "block_time"),
      stat("Validators", c ? String(c.validators.length) : "?", "validators"),
      stat("Workers (active / all)", workers ? `${workers.filter((w) => w.status === "active").length} / ${workers.length}` : "?", "workers"),
      stat("Functions", fns ? String(fns.length) : "?", "functions"),
      stat("Total supply", sup ? ubls(sup.supply) : "?", "supply"),
      stat("Burned (all time)", sup ? ubls(sup.burned) : "?", "burned")),
    d.cometbft.status === "rejected" ? failed("CometBFT status", d.cometbft.reason) : null);
}

function validatorsSection(d) {
  if (d.cometbft.status === "rejected") return section("validators", "Validators", failed("validators", d.cometbft.reason));
  const c = d.cometbft.value;
  const byCons = new Map();
  if (d.stakingValidators.status === "fulfilled") {
    for (const v of d.stakingValidators.value.items) byCons.set(String(v.validator.consensus_address).toUpperCase(), v);
  }
  const rows = c.validators.map((v) => {
    const s = byCons.get(String(v.address).toUpperCase());
    return h("tr", { "data-validator": v.address },
      h("td", {}, s ? s.validator.moniker : h("span", { class: "muted" }, "(genesis)")),
      h("td", {}, short(v.address)),
      h("td", {}, s ? short(s.validator.operator) : ""),
      h("td", { class: "num" }, v.voting_power),
      h("td", { class: "num" }, s ? ubls(s.validator.tokens) : ""),
      h("td", { class: "num" }, s ? ubls(s.self_bond) : ""),
      h("td", {}, s ? `${(s.validator.commission_bps / 100).toFixed(2)}%` : ""),
      h("td", {}, s ? badge(s.validator.jailed ? "jailed" : s.bonded ? "bonded" : "unbonded") : badge("bonded")));
  });
  return section("validators", `Validators (${c.validators.length}${Number(c.validators_total) > c.validators.length ? ` of ${c.validators_total}` : ""})`,
    table(["Moniker", "Consensus address", "Operator", "Power", "Tokens", "Self bond", "Commission", "Status"], rows),
    d.stakingValidators.status === "rejected" ? failed("staking validators", d.stakingValidators.reason) : null);
}

function workersSection(d) {
  if (d.workers.status === "rejected") return section("workers", "Workers", failed("workers", d.workers.reason));
  const { items, complete } = d.workers.value;
  const regions = new Map();
  for (const w of items) {
    if (!regions.has(w.region)) regions.set(w.region, []);
    regions.get(w.region).push(w);
  }
  const names = [...regions.keys()].sort();
  const blocks = names.map((r) => {
    const list = regions.get(r);
    const counts = {};
    for (const w of list) counts[w.status] = (counts[w.status] || 0) + 1;
    return h("div", { class: "region", "data-region": r },
      h("h3", {}, `${r} `, h("span", { class: "muted" }, Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(", "))),
      table(["Worker", "Network", "Role", "Status", "Bond", "Slashed"], list.map((w) =>
        h("tr", { "data-worker": w.operator, "data-status": w.status },
          h("td", {}, short(w.operator)),
          h("td", {}, w.network),
          h("td", {}, w.role),
          h("td", {}, badge(w.status), w.status === "jailed" && w.jailed_until ? h("span", { class: "muted" }, ` until ${w.jailed_until}`) : null),
          h("td", { class: "num" }, ubls(w.bond)),
          h("td", { class: "num" }, ubls(w.slashed_total))))));
  });
  return section("workers", `Workers by region (${items.length}${complete ? "" : "+"})`,
    items.length ? h("div", { class: "regions" }, blocks) : h("p", { class: "muted" }, "No workers registered."));
}

function economicsSection(d) {
  const pool = d.pool.status === "fulfilled" ? d.pool.value : null;
  const fees = d.feeTotals.status === "fulfilled" ? d.feeTotals.value : null;
  const sup = d.supply.status === "fulfilled" ? d.supply.value : null;
  const workers = d.workers.status === "fulfilled" ? d.workers.value.items : [];
  const workerBonds = workers.reduce((a, w) => a + BigInt(w.bond || 0), 0n);
  const errors = ["pool", "feeTotals", "supply"].filter((k) => d[k].status === "rejected").map((k) => failed(k, d[k].reason));
  return section("economics", "Stake, bonds and burn",
    h("div", { class: "grid" },
      stat("Staked with validators", pool ? ubls(pool.bonded_tokens) : "?", "bonded"),
      stat("Unbonding", pool ? ubls(pool.unbonding_tokens) : "?", "unbonding"),
      stat("Worker bonds", ubls(workerBonds.toString()), "worker_bonds"),
      stat("Total supply", sup ? ubls(sup.supply) : "?", "supply"),
      stat("Burned, all sources", sup ? ubls(sup.burned) : "?", "burned_total"),
      stat("Burned from gas fees", fees ? ubls(fees.totals.burned) : "?", "burned_gas"),
      stat("Community pool", fees ? ubls(fees.community_pool) : "?", "community_pool"),
      stat("Rewards distributed", fees ? ubls(fees.totals.distributed) : "?", "distributed"),
      stat("Rewards unpaid", fees ? ubls(fees.unpaid_rewards) : "?", "unpaid")),
    errors);
}

function functionsTable(items) {
  if (!items.length) return h("p", { class: "muted" }, "No functions deployed.");
  return table(["Id", "Owner", "Code", "Replication / quorum", "Status", "Version", "Deployed at"], items.map((f) =>
    h("tr", { "data-function-id": f.id },
      h("td", {}, h("a", { href: `#/function/${f.id}` }, `#${f.id}`)),
      h("td", {}, short(f.owner)),
      h("td", {}, short(f.code_hash), f.code_on_chain ? "" : h("span", { class: "muted" }, " (off chain)")),
      h("td", {}, `${f.replication} / ${f.quorum}`),
      h("td", {}, badge(f.status)),
      h("td", {}, f.version),
      h("td", { class: "num" }, f.created_height))));
}

function functionsSection(d) {
  if (d.functions.status === "rejected") return section("functions", "Deployments", failed("functions", d.functions.reason));
  return section("functions", `Deployments (${d.functions.value.items.length})`, functionsTable(d.functions.value.items));
}

function jobRows(jobs) {
  return jobs.map((j) => {
    const r = j.result;
    const agreed = r ? r.workers : [];
    const output = r
      ? [h("pre", { class: "stdout" }, r.outcome.error ? `undecodable outcome: ${r.outcome.error}` : r.outcome.stdout + (r.outcome.stdout_truncated ? "…" : "")),
        r.outcome.status ? h("span", { class: "muted" }, `${r.outcome.status} · fuel ${r.fuel_used} · `, short(r.result_hash)) : null]
      : j.failure ? h("span", { class: "error" }, j.failure) : h("span", { class: "muted" }, `round ${j.round}: ${j.assignments.filter((a) => a.committed).length}/${j.assignments.length} committed`);
    return h("tr", { "data-job-id": j.id, "data-status": j.status },
      h("td", {}, `#${j.id}`),
      h("td", {}, h("a", { href: `#/function/${j.function_id}` }, `#${j.function_id}`)),
      h("td", {}, badge(j.status)),
      h("td", {}, h("pre", { class: "input" }, j.input + (j.input_truncated ? "…" : "")),
        j.args.length ? h("span", { class: "muted mono" }, `args: ${j.args.join(" ")}`) : null),
      h("td", {}, output),
      h("td", { class: "agreed" }, agreed.length ? agreed.map((w) => h("div", { "data-agreed-worker": w }, short(w))) : h("span", { class: "muted" }, "—")),
      h("td", { class: "num" }, r ? ubls(r.fee) : ""),
      h("td", { class: "num" }, j.height));
  });
}

function jobsTable(res) {
  if (!res.jobs.length) return h("p", { class: "muted" }, "No jobs yet.");
  return table(["Job", "Function", "Status", "Input", "Result", "Workers that agreed", "Fee", "Height"], jobRows(res.jobs));
}

function jobsSection(d, title) {
  if (d.jobs.status === "rejected") return section("jobs", title, failed("jobs", d.jobs.reason));
  return section("jobs", `${title} (latest id ${d.jobs.value.latest_job_id})`, jobsTable(d.jobs.value));
}

// The fast path: head workers, cumulative settlement totals (chain state) and the newest
// settle messages (CometBFT's tx index, through /dashboard/api/settlements).
function fastPathSection(d, title) {
  const st = d.fastPathStats.status === "fulfilled" ? d.fastPathStats.value : null;
  const heads = d.heads.status === "fulfilled" ? d.heads.value : null;
  const sets = d.settlements.status === "fulfilled" ? d.settlements.value.settlements : null;
  const headRows = heads ? heads.items.map((w) =>
    h("tr", { "data-head": w.operator, "data-status": w.status },
      h("td", {}, short(w.operator)),
      h("td", {}, w.region),
      h("td", {}, w.network),
      h("td", {}, badge(w.status), w.status === "jailed" && w.jailed_until ? h("span", { class: "muted" }, ` until ${w.jailed_until}`) : null),
      h("td", { class: "num" }, ubls(w.bond)),
      h("td", {}, w.multiaddrs.length ? w.multiaddrs.map((a) => h("div", { class: "mono", "data-multiaddr": a }, a)) : h("span", { class: "muted" }, "—")))) : [];
  const setRows = sets ? sets.map((x) =>
    h("tr", { "data-settlement": `${x.height}/${x.msg_index}`, "data-head": x.head, "data-receipts": x.receipts },
      h("td", { class: "num" }, x.height),
      h("td", {}, short(x.head)),
      h("td", { class: "num" }, String(x.receipts)),
      h("td", { class: "num" }, ubls(x.fee)),
      h("td", {}, short(x.tx_hash)))) : [];
  return section("fastpath", title,
    h("div", { class: "grid" },
      stat("Receipts settled", st ? st.receipts_settled : "?", "fp_receipts"),
      stat("Settlements", st ? String(st.settlements) : "?", "fp_settlements"),
      stat("Fees charged", st ? ubls(st.fees_charged) : "?", "fp_fees"),
      stat("Burned", st ? ubls(st.burned) : "?", "fp_burned"),
      stat("Paid to heads", st ? ubls(st.to_heads) : "?", "fp_to_heads"),
      stat("Paid to workers", st ? ubls(st.to_workers) : "?", "fp_to_workers"),
      stat("To community pool", st ? ubls(st.to_community) : "?", "fp_to_community"),
      stat("Invoker deposits", st ? ubls(st.deposits) : "?", "fp_deposits")),
    d.fastPathStats.status === "rejected" ? failed("fast-path totals", d.fastPathStats.reason) : null,
    h("h3", {}, `Head workers (${heads ? `${heads.items.length}${heads.complete ? "" : "+"}` : "?"})`),
    heads
      ? (headRows.length ? table(["Head", "Region", "Network", "Status", "Bond", "Multiaddrs"], headRows, { id: "heads" }) : h("p", { class: "muted" }, "No head workers registered."))
      : failed("head workers", d.heads.reason),
    h("h3", {}, "Recent settlements"),
    sets
      ? (setRows.length ? table(["Height", "Head", "Receipts", "Fee", "Tx"], setRows, { id: "settlements" }) : h("p", { class: "muted" }, "No settlements yet."))
      : failed("settlements", d.settlements.reason));
}

async function overview() {
  const d = await settle({
    cometbft: loaders.cometbft, stakingValidators: loaders.stakingValidators, pool: loaders.pool,
    workers: loaders.workers, feeTotals: loaders.feeTotals, supply: loaders.supply,
    functions: loaders.functions, jobs: () => loaders.jobs(10),
    heads: loaders.heads, fastPathStats: loaders.fastPathStats, settlements: () => loaders.settlements(10),
  });
  return [networkSection(d), validatorsSection(d), workersSection(d), economicsSection(d), fastPathSection(d, "Fast path"), functionsSection(d), jobsSection(d, "Recent jobs")];
}

async function fastPathView() {
  const d = await settle({ heads: loaders.heads, fastPathStats: loaders.fastPathStats, settlements: () => loaders.settlements(50) });
  return [fastPathSection(d, "Fast path")];
}

async function functionsView() {
  const d = await settle({ functions: loaders.functions });
  return [functionsSection(d)];
}

async function jobsView() {
  const d = await settle({ jobs: () => loaders.jobs(50) });
  return [jobsSection(d, "Jobs")];
}

function invokeForm(fn, info) {
  if (mounted.onInvoke) {
    // In the web app: the connected wallet invokes, on chain or through a head.
    return section("wallet-invoke", "Invoke",
      h("p", { class: "muted" }, "Invoke this function with your connected wallet: on chain (watch the workers commit and reveal) or through a head on the fast path."),
      h("button", { type: "button", id: "explore-invoke-chain", onclick: () => mounted.onInvoke(String(fn.id), "chain") }, "Invoke on chain"), " ",
      h("button", { type: "button", id: "explore-invoke-fast", onclick: () => mounted.onInvoke(String(fn.id), "fast") }, "Invoke through a head"));
  }
  const rpc = info && info.rpc ? info.rpc : "http://127.0.0.1:26657";
  const chainId = info && info.chainId ? info.chainId : "";
  const out = h("pre", { id: "invoke-command", class: "mono" });
  const field = (label, name, value, tag = "input") =>
    [h("label", { for: `f-${name}` }, label), h(tag, { id: `f-${name}`, name, value, rows: tag === "textarea" ? 3 : null }, tag === "textarea" ? value : null)];
  const form = h("form", { id: "invoke-form", onsubmit: (e) => e.preventDefault() },
    field("Input (given to the function on stdin)", "input", "world", "textarea"),
    field("Extra arguments (one per line, after the manifest's args)", "args", "", "textarea"),
    field("Max fee in ubls (escrowed; the unused part is refunded)", "max_fee", "1000000"),
    field("Key name in your keyring (--from)", "from", "alice"));
  const render = () => {
    const v = (n) => form.elements[n].value;
    // Values go after "=" so one starting with "-" is not read as a flag.
    const parts = ["blsd", "--node", shellQuote(rpc)];
    if (chainId) parts.push("--chain-id", shellQuote(chainId));
    parts.push("tx", "orchestration", "invoke", String(fn.id));
    parts.push(`--input=${shellQuote(v("input"))}`);
    for (const a of v("args").split("\n").filter((x) => x.length)) parts.push(`--arg=${shellQuote(a)}`);
    parts.push(`--max-fee=${shellQuote(`${v("max_fee").trim() || "0"}ubls`)}`, `--from=${shellQuote(v("from").trim() || "alice")}`, "--wait");
    out.textContent = parts.join(" ");
  };
  form.addEventListener("input", render);
  render();
  const copy = h("button", { type: "button", onclick: async () => {
    try { await navigator.clipboard.writeText(out.textContent); copy.textContent = "Copied"; } catch { copy.textContent = "Select and copy the command"; }
  } }, "Copy command");
  const keplrMsg = h("span", { class: "muted" });
  const keplr = window.keplr && info
    ? h("button", { type: "button", onclick: async () => {
      try { await window.keplr.experimentalSuggestChain({ ...info, rest: info.rest || API }); keplrMsg.textContent = "Chain added to Keplr."; } catch (e) { keplrMsg.textContent = `Keplr: ${e.message || e}`; }
    } }, "Add this chain to Keplr")
    : null;
  return section("invoke", "Invoke",
    h("p", { class: "muted" }, "Invoking is a signed transaction. This page does not hold keys: it builds the exact command; run it where your key is (add --home/--keyring-dir if your keyring is not the default). ",
      "With --wait the command waits for the workers' verified result and prints it; the job then shows up below. ",
      "Or invoke it with Keplr, MetaMask or Martian in the ", h("a", { href: `../app/#/function/${fn.id}`, id: "invoke-webapp" }, "web app"), "."),
    form, h("h3", {}, "Command"), out, copy, " ", keplr, " ", keplrMsg);
}

async function functionView(id) {
  const d = await settle({
    fn: () => query("orchestration", "Function", { id: Number(id) }),
    jobs: () => loaders.jobs(20, id),
    chainInfo: loaders.chainInfo,
  });
  if (d.fn.status === "rejected") return [section("function", `Function #${id}`, failed(`function ${id}`, d.fn.reason))];
  const { function: f, subnetwork } = d.fn.value;
  let manifest = f.manifest_json;
  try { manifest = JSON.stringify(JSON.parse(f.manifest_json), null, 2); } catch { /* shown as stored */ }
  const info = d.chainInfo.status === "fulfilled" ? d.chainInfo.value : null;
  return [
    section("function", `Function #${f.id}`,
      h("div", { class: "grid" },
        stat("Status", badge(f.status), "status"),
        stat("Version", String(f.version), "version"),
        stat("Replication / quorum", `${f.replication} / ${f.quorum}`, "replication"),
        stat("Deployed at height", String(f.created_height), "created"),
        stat("Owner", short(f.owner), "owner")),
      h("h3", {}, "Code"),
      h("p", {}, h("span", { class: "mono" }, f.code_hash), f.code_on_chain ? " (stored on chain)" : " (off chain)"),
      f.source_uris.length ? h("ul", {}, f.source_uris.map((u) => h("li", { class: "mono" }, u))) : null,
      h("h3", {}, "Manifest"), h("pre", {}, manifest || "{}"),
      h("h3", {}, "Subnetwork"),
      subnetwork && subnetwork.workers.length
        ? h("ul", { id: "subnetwork" }, subnetwork.workers.map((w) => h("li", { "data-worker": w }, short(w))), h("li", { class: "muted" }, `placed at height ${subnetwork.placed_height}`))
        : h("p", { class: "muted" }, "Not placed.")),
    f.status === "active" ? invokeForm(f, info) : null,
    jobsSection(d, `Jobs of function #${f.id}`),
  ];
}

// ---- router ----------------------------------------------------------------------------

let timer = null;
let rendering = 0;
// Where the dashboard is mounted (mountDashboard).
let mounted = null;

async function render() {
  const seq = ++rendering;
  const hash = location.hash.replace(/^#/, "") || "/";
  const app = mounted.app;
  mounted.ready.dataset.ready = "0";
  let view;
  let auto = true;
  let m;
  if (hash === "/") view = overview;
  else if (hash === "/functions") view = functionsView;
  else if (hash === "/jobs") view = jobsView;
  else if (hash === "/fastpath") view = fastPathView;
  else if ((m = /^\/function\/(\d+)$/.exec(hash))) { view = () => functionView(m[1]); auto = false; }
  else view = async () => [section("notfound", "Not found", h("p", {}, "No such page. "), h("a", { href: "#/" }, "Overview"))];
  let nodes;
  try { nodes = await view(); } catch (e) { nodes = [failed("the page", e)]; }
  if (seq !== rendering) return; // a newer render started meanwhile
  app.replaceChildren(...nodes.filter(Boolean));
  mounted.ready.dataset.view = hash;
  const chain = mounted.chain;
  if (!chain.textContent) {
    // Views other than the overview do not load CometBFT's status themselves.
    loaders.cometbft().then((c) => { chain.textContent = `${c.chain_id} · height ${c.latest_height}`; }, () => {});
  }
  mounted.ready.dataset.ready = "1";
  clearTimeout(timer);
  if (auto) timer = setTimeout(() => { if (!document.hidden) render(); else timer = setTimeout(render, AUTO_REFRESH_MS); }, AUTO_REFRESH_MS);
}

/**
 * Shows the dashboard's views in `app`, routed by the location's hash (`#/`, `#/functions`,
 * `#/jobs`, `#/fastpath`, `#/function/N`); the chain id and height go in `chain`, `refresh`
 * reloads, and `ready` gets `data-ready` ("1" once a view is shown) and `data-view`. With
 * `onInvoke(functionId, "chain" | "fast")` a function's page offers that action instead of a
 * CLI command.
 */
export function mountDashboard({ app, chain, refresh, ready, onInvoke }) {
  mounted = { app, chain, ready, onInvoke };
  window.addEventListener("hashchange", render);
  refresh.addEventListener("click", render);
  render();
}
