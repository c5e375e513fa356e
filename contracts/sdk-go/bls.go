// Package bls is the guest SDK for bls functions written in Go (built with GOOS=wasip1
// GOARCH=wasm). A bls function is a WASI command: its input is stdin, its result is what it
// writes to stdout (diagnostics to stderr), its args and env come from the manifest and the
// invocation, its clock reads the job's block time and its randomness is seeded from the job,
// so every honest worker computes the same bytes.
//
// Outbound HTTP goes through the worker's bls_http host extension, only to the origins the
// manifest allows (Get, Send); another listed function the manifest declares in `calls` is
// called through bls_call (Call). Both ABIs are documented in the Rust SDK
// (contracts/sdk/src/http.rs and call.rs of a bls checkout).
package bls

import (
	"encoding/binary"
	"io"
	"os"
	"unsafe"
)

// Input reads the whole invocation input (stdin).
func Input() ([]byte, error) { return io.ReadAll(os.Stdin) }

// InputString reads the whole input as a string ("" when it cannot be read).
func InputString() string {
	b, _ := Input()
	return string(b)
}

// Output writes bytes to the function's output (stdout).
func Output(b []byte) error {
	_, err := os.Stdout.Write(b)
	return err
}

// Log writes a diagnostic line to stderr (recorded too, and capped).
func Log(line string) { _, _ = os.Stderr.WriteString(line + "\n") }

// Args returns the function's arguments: the manifest's, then the invocation's.
func Args() []string {
	if len(os.Args) < 2 {
		return nil
	}
	return os.Args[1:]
}

// Env returns one variable of the manifest's env.
func Env(key string) (string, bool) { return os.LookupEnv(key) }

// Error is a refusal or failure the host reported: its kind code and message.
type Error struct {
	// Code is the host's error code (see the ABI docs).
	Code int32
	// Message says why.
	Message string
}

func (e *Error) Error() string { return e.Message }

// Response is an HTTP response (redirects are not followed).
type Response struct {
	Status uint16
	Body   []byte
}

//go:wasmimport bls_http request
func httpRequest(req unsafe.Pointer, reqLen uint32, status unsafe.Pointer, bodyLen unsafe.Pointer) int32

//go:wasmimport bls_http response_body
func httpResponseBody(buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport bls_http last_error
func httpLastError(buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport bls_call call
func callHost(functionID uint64, version uint64, input unsafe.Pointer, inputLen uint32, outLen unsafe.Pointer) int32

//go:wasmimport bls_call output
func callOutput(buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport bls_call last_error
func callLastError(buf unsafe.Pointer, bufLen uint32) int32

// ptr is the address of b's first byte (of a one-byte scratch when b is empty).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		var scratch [1]byte
		return unsafe.Pointer(&scratch[0])
	}
	return unsafe.Pointer(&b[0])
}

func lastError(code int32, read func(unsafe.Pointer, uint32) int32) *Error {
	buf := make([]byte, 1024)
	n := read(ptr(buf), uint32(len(buf)))
	if n < 0 {
		n = 0
	}
	return &Error{Code: code, Message: string(buf[:n])}
}

func field(out []byte, b []byte) []byte {
	out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
	return append(out, b...)
}

// Get sends GET url.
func Get(url string) (Response, error) { return Send("GET", url, nil, nil) }

// Send sends one HTTP request through the host; headers are name/value pairs.
func Send(method, url string, headers [][2]string, body []byte) (Response, error) {
	req := field(nil, []byte(method))
	req = field(req, []byte(url))
	req = binary.LittleEndian.AppendUint32(req, uint32(len(headers)))
	for _, h := range headers {
		req = field(req, []byte(h[0]))
		req = field(req, []byte(h[1]))
	}
	req = field(req, body)
	var status, bodyLen uint32
	if rc := httpRequest(ptr(req), uint32(len(req)), unsafe.Pointer(&status), unsafe.Pointer(&bodyLen)); rc != 0 {
		return Response{}, lastError(rc, httpLastError)
	}
	out := make([]byte, bodyLen)
	n := httpResponseBody(ptr(out), uint32(len(out)))
	if n < 0 {
		return Response{}, lastError(-n, httpLastError)
	}
	return Response{Status: uint16(status), Body: out[:n]}, nil
}

// Call runs function functionID (the version the chain pinned for this job) on input and
// returns its output. The manifest must declare it in `calls`, and it must be listed.
func Call(functionID uint64, input []byte) ([]byte, error) {
	return CallVersion(functionID, 0, input)
}

// CallVersion is Call, refused unless the pinned version is version (0: any).
func CallVersion(functionID, version uint64, input []byte) ([]byte, error) {
	var outLen uint32
	if rc := callHost(functionID, version, ptr(input), uint32(len(input)), unsafe.Pointer(&outLen)); rc != 0 {
		return nil, lastError(rc, callLastError)
	}
	out := make([]byte, outLen)
	n := callOutput(ptr(out), uint32(len(out)))
	if n < 0 {
		return nil, lastError(-n, callLastError)
	}
	return out[:n], nil
}
