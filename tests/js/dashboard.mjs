// Loads the node's web dashboard in headless Chromium and prints what it shows as JSON, for
// tests/tests/dashboard.rs to assert.
//
//   node tests/js/dashboard.mjs <api-url> <screenshot.png>
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM_BIN), driven by npm playwright-core:
// nothing is downloaded. Findings: console errors, page errors and failed requests; the
// validators, workers (with region and status), functions and jobs (with status, output and
// agreeing workers) the overview lists; the fast path (heads, totals, settlements) on the
// overview and on #/fastpath; the invoke command of a function's page.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [api, screenshot] = process.argv.slice(2);
if (!api || !screenshot) {
  console.error("usage: node dashboard.mjs <api-url> <screenshot.png>");
  process.exit(2);
}
const base = api.replace(/\/$/, "");
const executablePath = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const TIMEOUT_MS = 30000;

const userDataDir = mkdtempSync(join(tmpdir(), "bls-chromium-"));
let context;
try {
  // launchPersistentContext passes --user-data-dir itself: a fresh profile per run.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  // The page must not reach beyond the node that served it.
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base) && !u.startsWith("data:")) problems.push(`external request: ${u}`);
  });

  const ready = (view) =>
    page.waitForFunction((v) => document.body.dataset.ready === "1" && document.body.dataset.view === v, view, { timeout: TIMEOUT_MS });

  // What the fast-path section (#fastpath) shows; runs in the page.
  const fastPath = () => {
    const stats = {};
    for (const s of document.querySelectorAll("#fastpath [data-stat]")) stats[s.dataset.stat] = s.querySelector(".value").textContent;
    return {
      stats,
      heads: [...document.querySelectorAll("#fastpath #heads tr[data-head]")].map((r) => ({
        address: r.dataset.head,
        status: r.dataset.status,
        region: r.children[1]?.textContent ?? null,
        multiaddrs: [...r.querySelectorAll("[data-multiaddr]")].map((e) => e.dataset.multiaddr),
      })),
      settlements: [...document.querySelectorAll("#fastpath #settlements tr[data-settlement]")].map((r) => ({
        id: r.dataset.settlement,
        head: r.dataset.head,
        receipts: r.dataset.receipts,
      })),
      errors: [...document.querySelectorAll("#fastpath .error")].map((e) => e.textContent),
    };
  };

  await page.goto(`${base}/dashboard/`, { waitUntil: "load", timeout: TIMEOUT_MS });
  await ready("/");
  const overview = await page.evaluate(() => {
    const texts = (sel) => [...document.querySelectorAll(sel)];
    const stats = {};
    for (const s of texts("#network [data-stat]")) stats[s.dataset.stat] = s.querySelector(".value").textContent;
    return {
      title: document.title,
      stats,
      errors: texts("main .error").map((e) => e.textContent),
      validators: texts("#validators tr[data-validator]").map((r) => r.dataset.validator),
      workers: texts("#workers tr[data-worker]").map((r) => ({
        address: r.dataset.worker,
        status: r.dataset.status,
        region: r.closest("[data-region]")?.dataset.region ?? null,
      })),
      functions: texts("#functions tr[data-function-id]").map((r) => r.dataset.functionId),
      jobs: texts("#jobs tr[data-job-id]").map((r) => ({
        id: r.dataset.jobId,
        status: r.dataset.status,
        stdout: r.querySelector("pre.stdout")?.textContent ?? null,
        agreed: [...r.querySelectorAll("[data-agreed-worker]")].map((e) => e.dataset.agreedWorker),
      })),
      economics: texts("#economics [data-stat]").map((s) => s.dataset.stat),
    };
  });
  overview.fastpath = await page.evaluate(fastPath);
  await page.screenshot({ path: screenshot, fullPage: true });

  let functionPage = null;
  if (overview.functions.length) {
    const id = overview.functions[0];
    await page.goto(`${base}/dashboard/#/function/${id}`, { waitUntil: "load", timeout: TIMEOUT_MS });
    await ready(`/function/${id}`);
    await page.fill("#f-input", "from the browser");
    functionPage = await page.evaluate(() => ({
      heading: document.querySelector("#function h2")?.textContent ?? null,
      subnetwork: [...document.querySelectorAll("#subnetwork [data-worker]")].map((e) => e.dataset.worker),
      command: document.querySelector("#invoke-command")?.textContent ?? null,
      webApp: document.querySelector("#invoke-webapp")?.getAttribute("href") ?? null,
      jobs: [...document.querySelectorAll("#jobs tr[data-job-id]")].map((r) => r.dataset.jobId),
      errors: [...document.querySelectorAll("main .error")].map((e) => e.textContent),
    }));
  }

  await page.goto(`${base}/dashboard/#/jobs`, { waitUntil: "load", timeout: TIMEOUT_MS });
  await ready("/jobs");
  const jobsPage = await page.evaluate(() => [...document.querySelectorAll("#jobs tr[data-job-id]")].map((r) => r.dataset.jobId));

  await page.goto(`${base}/dashboard/#/fastpath`, { waitUntil: "load", timeout: TIMEOUT_MS });
  await ready("/fastpath");
  const fastPathPage = await page.evaluate(fastPath);

  console.log(JSON.stringify({ problems, overview, function_page: functionPage, jobs_page: jobsPage, fastpath_page: fastPathPage }));
} catch (e) {
  console.error(`dashboard.mjs: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
