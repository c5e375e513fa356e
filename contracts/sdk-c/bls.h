/* bls.h: the guest SDK for bls functions written in C (clang --target=wasm32-wasi with
 * wasi-libc). A bls function is a WASI command: its input is stdin, its result is what it
 * writes to stdout (diagnostics to stderr), its args and env come from the manifest and the
 * invocation, its clock reads the job's block time and its randomness is seeded from the job,
 * so every honest worker computes the same bytes.
 *
 * Outbound HTTP goes through the worker's bls_http host extension, only to the origins the
 * manifest allows (bls_http_get, bls_http_send); another listed function the manifest
 * declares in `calls` is called through bls_call (bls_call). Both ABIs are documented in the
 * Rust SDK (contracts/sdk/src/http.rs and call.rs of a bls checkout). Header only. */
#ifndef BLS_H
#define BLS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the whole input (stdin) into a malloc'd, NUL-terminated buffer; its length in *len.
 * NULL when out of memory. */
static inline char *bls_input(size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return NULL;
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, stdin);
    n += got;
    if (got == 0) break;
    if (n == cap) {
      char *bigger = realloc(buf, cap * 2 + 1);
      if (!bigger) { free(buf); return NULL; }
      buf = bigger;
      cap *= 2;
    }
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* Writes bytes to the function's output (stdout); 0 on success. */
static inline int bls_output(const void *bytes, size_t len) {
  if (fwrite(bytes, 1, len, stdout) != len) return -1;
  return fflush(stdout) == 0 ? 0 : -1;
}

/* Writes a diagnostic line to stderr (recorded too, and capped). */
static inline void bls_log(const char *line) { fprintf(stderr, "%s\n", line); }

/* One variable of the manifest's env, or NULL. */
static inline const char *bls_env(const char *key) { return getenv(key); }

__attribute__((import_module("bls_http"), import_name("request")))
int32_t bls__http_request(const uint8_t *req, size_t req_len, uint32_t *status, uint32_t *body_len);
__attribute__((import_module("bls_http"), import_name("response_body")))
int32_t bls__http_response_body(uint8_t *buf, size_t cap);
__attribute__((import_module("bls_http"), import_name("last_error")))
int32_t bls__http_last_error(uint8_t *buf, size_t cap);
__attribute__((import_module("bls_call"), import_name("call")))
int32_t bls__call(uint64_t function_id, uint64_t version, const uint8_t *input, size_t len, uint32_t *out_len);
__attribute__((import_module("bls_call"), import_name("output")))
int32_t bls__call_output(uint8_t *buf, size_t cap);
__attribute__((import_module("bls_call"), import_name("last_error")))
int32_t bls__call_last_error(uint8_t *buf, size_t cap);

/* A response or a call's output: malloc'd bytes (free them), or the host's error code and
 * message when `error` is non-zero. */
typedef struct {
  int32_t error;      /* 0, or the host's error code (see the ABI docs) */
  char message[256];  /* why, when error != 0 */
  uint16_t status;    /* HTTP status (bls_http_* only) */
  uint8_t *bytes;     /* body or output; NULL on error */
  size_t len;
} bls_result;

static inline void bls__fail(bls_result *r, int32_t code, int32_t (*last)(uint8_t *, size_t)) {
  r->error = code;
  int32_t n = last((uint8_t *)r->message, sizeof r->message - 1);
  r->message[n > 0 ? n : 0] = '\0';
  r->bytes = NULL;
  r->len = 0;
}

static inline uint8_t *bls__field(uint8_t *at, const void *bytes, uint32_t len) {
  memcpy(at, &len, 4); /* wasm32 is little-endian, as the wire format */
  if (len) memcpy(at + 4, bytes, len);
  return at + 4 + len;
}

/* Sends one HTTP request; headers are `count` name/value pairs. */
static inline bls_result bls_http_send(const char *method, const char *url,
                                       const char *const (*headers)[2], uint32_t count,
                                       const void *body, size_t body_len) {
  bls_result r = {0};
  size_t size = 4 + strlen(method) + 4 + strlen(url) + 4 + 4 + body_len;
  for (uint32_t i = 0; i < count; i++) size += 8 + strlen(headers[i][0]) + strlen(headers[i][1]);
  uint8_t *req = malloc(size);
  if (!req) { r.error = -1; strcpy(r.message, "out of memory"); return r; }
  uint8_t *at = bls__field(req, method, strlen(method));
  at = bls__field(at, url, strlen(url));
  memcpy(at, &count, 4);
  at += 4;
  for (uint32_t i = 0; i < count; i++) {
    at = bls__field(at, headers[i][0], strlen(headers[i][0]));
    at = bls__field(at, headers[i][1], strlen(headers[i][1]));
  }
  bls__field(at, body, (uint32_t)body_len);
  uint32_t status = 0, len = 0;
  int32_t rc = bls__http_request(req, size, &status, &len);
  free(req);
  if (rc != 0) { bls__fail(&r, rc, bls__http_last_error); return r; }
  r.bytes = malloc(len ? len : 1);
  int32_t n = bls__http_response_body(r.bytes, len);
  if (n < 0) { free(r.bytes); bls__fail(&r, -n, bls__http_last_error); return r; }
  r.status = (uint16_t)status;
  r.len = (size_t)n;
  return r;
}

/* GET url. */
static inline bls_result bls_http_get(const char *url) {
  return bls_http_send("GET", url, NULL, 0, NULL, 0);
}

/* Runs function `function_id` at `version` (0: the one the chain pinned for this job) on the
 * input; the manifest must declare it in `calls`, and it must be listed. */
static inline bls_result bls_call_version(uint64_t function_id, uint64_t version,
                                          const void *input, size_t len) {
  bls_result r = {0};
  uint32_t out_len = 0;
  uint8_t none = 0;
  int32_t rc = bls__call(function_id, version, len ? (const uint8_t *)input : &none, len, &out_len);
  if (rc != 0) { bls__fail(&r, rc, bls__call_last_error); return r; }
  r.bytes = malloc(out_len ? out_len : 1);
  int32_t n = bls__call_output(r.bytes, out_len);
  if (n < 0) { free(r.bytes); bls__fail(&r, -n, bls__call_last_error); return r; }
  r.len = (size_t)n;
  return r;
}

/* bls_call_version at the pinned version. */
static inline bls_result bls_call(uint64_t function_id, const void *input, size_t len) {
  return bls_call_version(function_id, 0, input, len);
}

#endif
