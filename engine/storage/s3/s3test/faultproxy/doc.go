// Package faultproxy is a reverse proxy for tests that stands in front of a
// real S3 server (MinIO) and injects faults into a seeded random share of
// the requests: 500 InternalError, 503 SlowDown, a connection reset before
// or after the request body is read, a response body cut mid-stream while
// the full Content-Length is announced, and added latency.
//
// The faults are drawn from a math/rand/v2 PCG source seeded with the seed
// given to Start, one draw per request in the order the requests arrive.
// Start logs the seed; Seed takes it from VELIN_FAULT_SEED when set, so a
// failure can be replayed with the same sequence of faults (the order of
// concurrent requests may still differ from run to run).
//
// None of the faults lets a request reach the server half-done: a request
// that is failed is not forwarded, except Truncate, which forwards a GET
// and cuts its answer. Rates.FailAfter turns the proxy into a dead path
// after that many requests (403 AccessDenied, which no client retries), to
// test operations that cannot finish.
package faultproxy
