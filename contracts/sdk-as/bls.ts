// bls.ts: the guest SDK for bls functions written in AssemblyScript (compiled by `asc` with
// @assemblyscript/wasi-shim, so the module is a WASI command). A bls function's input is
// stdin, its result is what it writes to stdout (diagnostics to stderr), its args and env come
// from the manifest and the invocation, its clock reads the job's block time and its
// randomness is seeded from the job, so every honest worker computes the same bytes.
//
// Outbound HTTP goes through the worker's bls_http host extension, only to the origins the
// manifest allows (get, send); another listed function the manifest declares in `calls` is
// called through bls_call (call). Both ABIs are documented in the Rust SDK
// (contracts/sdk/src/http.rs and call.rs of a bls checkout).

/** Reads the whole invocation input (stdin). */
export function input(): Uint8Array {
  let chunks = new Array<ArrayBuffer>();
  let total = 0;
  for (;;) {
    let buf = new ArrayBuffer(4096);
    let n = process.stdin.read(buf);
    if (n <= 0) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  let out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    let c = Uint8Array.wrap(chunks[i]);
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Reads the whole input as UTF-8. */
export function inputString(): string {
  return String.UTF8.decode(input().buffer);
}

/** Writes text to the function's output (stdout). */
export function output(text: string): void {
  process.stdout.write(text);
}

/** Writes bytes to the function's output (stdout). */
export function outputBytes(bytes: Uint8Array): void {
  process.stdout.write(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Writes a diagnostic line to stderr (recorded too, and capped). */
export function log(line: string): void {
  process.stderr.write(line + "\n");
}

/** The function's arguments: the manifest's, then the invocation's. */
export function args(): string[] {
  return process.argv.length > 1 ? process.argv.slice(1) : new Array<string>();
}

/** One variable of the manifest's env, or null. */
export function env(key: string): string | null {
  return process.env.has(key) ? process.env.get(key) : null;
}

/** A refusal or failure the host reported: its code (see the ABI docs) and why. */
export class Failure {
  constructor(public code: i32, public message: string) {}
}

/** An HTTP response, or the host's failure (`failure` not null). */
export class Response {
  status: u16 = 0;
  body: Uint8Array = new Uint8Array(0);
  failure: Failure | null = null;
}

/** A call's output, or the host's failure (`failure` not null). */
export class CallResult {
  output: Uint8Array = new Uint8Array(0);
  failure: Failure | null = null;
}

@external("bls_http", "request")
declare function httpRequest(req: usize, reqLen: usize, status: usize, bodyLen: usize): i32;
@external("bls_http", "response_body")
declare function httpResponseBody(buf: usize, len: usize): i32;
@external("bls_http", "last_error")
declare function httpLastError(buf: usize, len: usize): i32;
@external("bls_call", "call")
declare function callHost(id: u64, version: u64, input: usize, len: usize, outLen: usize): i32;
@external("bls_call", "output")
declare function callOutput(buf: usize, len: usize): i32;
@external("bls_call", "last_error")
declare function callLastError(buf: usize, len: usize): i32;

function failure(code: i32, http: bool): Failure {
  let buf = new Uint8Array(1024);
  let n = http
    ? httpLastError(buf.dataStart, buf.length)
    : callLastError(buf.dataStart, buf.length);
  return new Failure(code, String.UTF8.decode(buf.buffer.slice(0, max(n, 0))));
}

function pushField(out: Array<u8>, bytes: Uint8Array): void {
  let len = bytes.length;
  out.push(<u8>(len & 0xff));
  out.push(<u8>((len >> 8) & 0xff));
  out.push(<u8>((len >> 16) & 0xff));
  out.push(<u8>((len >> 24) & 0xff));
  for (let i = 0; i < len; i++) out.push(bytes[i]);
}

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

/** Sends one HTTP request through the host; headers are name/value pairs. */
export function send(method: string, url: string, headers: string[][], body: Uint8Array): Response {
  let req = new Array<u8>();
  pushField(req, utf8(method));
  pushField(req, utf8(url));
  let count = headers.length;
  req.push(<u8>(count & 0xff));
  req.push(<u8>((count >> 8) & 0xff));
  req.push(<u8>((count >> 16) & 0xff));
  req.push(<u8>((count >> 24) & 0xff));
  for (let i = 0; i < count; i++) {
    pushField(req, utf8(headers[i][0]));
    pushField(req, utf8(headers[i][1]));
  }
  pushField(req, body);
  let bytes = new Uint8Array(req.length);
  for (let i = 0; i < req.length; i++) bytes[i] = req[i];
  let out = new Uint32Array(2);
  let r = new Response();
  let rc = httpRequest(bytes.dataStart, bytes.length, out.dataStart, out.dataStart + 4);
  if (rc != 0) {
    r.failure = failure(rc, true);
    return r;
  }
  let buf = new Uint8Array(out[1]);
  let n = httpResponseBody(buf.dataStart, buf.length);
  if (n < 0) {
    r.failure = failure(-n, true);
    return r;
  }
  r.status = <u16>out[0];
  r.body = buf.subarray(0, n);
  return r;
}

/** GET url. */
export function get(url: string): Response {
  return send("GET", url, [], new Uint8Array(0));
}

/** Runs function `id` at `version` (0: the one the chain pinned for this job) on the input;
 * the manifest must declare it in `calls`, and it must be listed. */
export function callVersion(id: u64, version: u64, input: Uint8Array): CallResult {
  let outLen = new Uint32Array(1);
  let r = new CallResult();
  let rc = callHost(id, version, input.dataStart, input.length, outLen.dataStart);
  if (rc != 0) {
    r.failure = failure(rc, false);
    return r;
  }
  let buf = new Uint8Array(outLen[0]);
  let n = callOutput(buf.dataStart, buf.length);
  if (n < 0) {
    r.failure = failure(-n, false);
    return r;
  }
  r.output = buf.subarray(0, n);
  return r;
}

/** callVersion at the pinned version. */
export function call(id: u64, input: Uint8Array): CallResult {
  return callVersion(id, 0, input);
}
