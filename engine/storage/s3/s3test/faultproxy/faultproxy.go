package faultproxy

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is what the proxy does to one request.
type Fault int

// The faults, in the order Rates lists them.
const (
	None        Fault = iota
	Internal          // 500 InternalError, not forwarded
	SlowDown          // 503 SlowDown, not forwarded
	ResetBefore       // connection closed before the request body is read
	ResetAfter        // request body read, then the connection closed
	Truncate          // a GET forwarded, its body cut at a random point
	Dead              // after Rates.FailAfter requests: 403 AccessDenied
	numFaults
)

var faultNames = [numFaults]string{"none", "500", "503 SlowDown", "reset before body", "reset after body", "truncated body", "dead"}

func (f Fault) String() string { return faultNames[f] }

// Rates are the probabilities of each fault per request (their sum at most
// 1) and of added latency, drawn independently.
type Rates struct {
	Internal, SlowDown, ResetBefore, ResetAfter, Truncate float64
	// Latency is the probability of a delay of up to MaxLatency before the
	// request is handled.
	Latency    float64
	MaxLatency time.Duration
	// FailAfter, when positive, answers every request after the first
	// FailAfter with 403 AccessDenied.
	FailAfter int64
	// AtLeastEvery, when positive, forces a fault (drawn by the rates'
	// weights) on a request that follows AtLeastEvery-1 unfaulted ones, so
	// a short run still sees faults: n requests get at least
	// n/AtLeastEvery of them whatever the seed.
	AtLeastEvery int
}

// Moderate is a fault rate the retryer absorbs: a fault in about one
// request in six and at least one in every eight, a little latency.
func Moderate() Rates {
	return Rates{Internal: 0.03, SlowDown: 0.04, ResetBefore: 0.03, ResetAfter: 0.03, Truncate: 0.04,
		Latency: 0.1, MaxLatency: 20 * time.Millisecond, AtLeastEvery: 8}
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	URL   string // the proxy's endpoint, to use instead of the server's
	Seed  uint64
	rates Rates
	next  *httputil.ReverseProxy

	mu     sync.Mutex
	rng    *rand.Rand
	quiet  int // requests since the last fault, under mu
	n      atomic.Int64
	counts [numFaults]atomic.Int64
}

// Seed returns VELIN_FAULT_SEED when set (to replay a failure), otherwise
// a fresh seed.
func Seed(t testing.TB) uint64 {
	t.Helper()
	if s := os.Getenv("VELIN_FAULT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("faultproxy: VELIN_FAULT_SEED=%q is not an unsigned integer", s)
		}
		return v
	}
	return rand.Uint64()
}

// Start runs a proxy to target (an http:// URL) until t ends, and logs its
// seed and, at the end, what it did.
func Start(t testing.TB, target string, seed uint64, rates Rates) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("faultproxy: target %q: %v", target, err)
	}
	p := &Proxy{Seed: seed, rates: rates, next: httputil.NewSingleHostReverseProxy(u),
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	p.next.ErrorLog = nil
	// Keep as many connections to the server as a client has requests in
	// flight: the default 2 would open one per request beyond them.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	p.next.Transport = tr
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Logf("faultproxy: seed %d (replay with VELIN_FAULT_SEED=%d)", seed, seed)
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
		t.Logf("faultproxy: seed %d: %s", seed, p.Summary())
	})
	return p
}

// Requests is the number of requests received.
func (p *Proxy) Requests() int64 { return p.n.Load() }

// Count is the number of requests that got fault f.
func (p *Proxy) Count(f Fault) int64 { return p.counts[f].Load() }

// Faulted is the number of requests that got any fault.
func (p *Proxy) Faulted() int64 { return p.Requests() - p.Count(None) }

// Summary says how many requests got each fault.
func (p *Proxy) Summary() string {
	s := fmt.Sprintf("%d requests", p.Requests())
	for f := Internal; f < numFaults; f++ {
		if n := p.Count(f); n > 0 {
			s += fmt.Sprintf(", %d %s", n, f)
		}
	}
	return s
}

// draw picks the fault and the latency of the nth request; a Truncate
// applies to GETs only.
func (p *Proxy) draw(n int64, get bool) (Fault, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var delay time.Duration
	if p.rng.Float64() < p.rates.Latency && p.rates.MaxLatency > 0 {
		delay = time.Duration(p.rng.Int64N(int64(p.rates.MaxLatency)))
	}
	x := p.rng.Float64()
	if p.rates.FailAfter > 0 && n > p.rates.FailAfter {
		return Dead, delay
	}
	weights := p.weights(get)
	f := pick(weights, x)
	if f == None && p.rates.AtLeastEvery > 0 && p.quiet+1 >= p.rates.AtLeastEvery {
		var sum float64
		for _, w := range weights {
			sum += w
		}
		f = pick(weights, p.rng.Float64()*sum)
	}
	if f == None {
		p.quiet++
	} else {
		p.quiet = 0
	}
	return f, delay
}

// weights are the rates of Internal to Truncate, Truncate's zero for a
// request other than a GET.
func (p *Proxy) weights(get bool) [Truncate]float64 {
	r := p.rates
	w := [Truncate]float64{r.Internal, r.SlowDown, r.ResetBefore, r.ResetAfter, r.Truncate}
	if !get {
		w[Truncate-1] = 0
	}
	return w
}

// pick is the fault whose share of weights holds x, None past them all.
func pick(weights [Truncate]float64, x float64) Fault {
	for i, w := range weights {
		if x < w {
			return Fault(i + 1)
		}
		x -= w
	}
	return None
}

// ServeHTTP handles one request with its drawn fault.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fault, delay := p.draw(p.n.Add(1), r.Method == http.MethodGet)
	p.counts[fault].Add(1)
	if delay > 0 {
		time.Sleep(delay)
	}
	switch fault {
	case Internal:
		s3Error(w, http.StatusInternalServerError, "InternalError")
	case SlowDown:
		s3Error(w, http.StatusServiceUnavailable, "SlowDown")
	case Dead:
		s3Error(w, http.StatusForbidden, "AccessDenied")
	case ResetBefore:
		reset(w)
	case ResetAfter:
		_, _ = io.Copy(io.Discard, r.Body)
		reset(w)
	case Truncate:
		p.next.ServeHTTP(&truncator{ResponseWriter: w, cut: p.cut}, r)
	default:
		p.next.ServeHTTP(w, r)
	}
}

// cut draws how many bytes of a body of size bytes get through (fewer
// than size, at least 0).
func (p *Proxy) cut(size int64) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.Int64N(size)
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by faultproxy</Message></Error>`, code)
}

// reset closes the client's connection without an answer.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
