package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// classify names the S3 operation of a path-style request (/BUCKET/KEY?...):
// GET, GET range, HEAD, LIST, PUT, PUT part, POST multipart, DELETE, or a
// name for the rarer ones (GET ?tagging, PUT bucket, POST ?delete...).
func classify(r *http.Request) string {
	q := r.URL.Query()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch r.Method {
	case http.MethodGet:
		return classifyGet(r, q, bucket, key)
	case http.MethodHead:
		return "HEAD"
	case http.MethodPut:
		switch {
		case q.Has("partNumber") && q.Has("uploadId"):
			return "PUT part"
		case q.Has("tagging"):
			return "PUT ?tagging"
		case key == "":
			return "PUT bucket"
		case r.Header.Get("X-Amz-Copy-Source") != "":
			return "PUT copy"
		}
		return "PUT"
	case http.MethodPost:
		switch {
		case q.Has("uploads"), q.Has("uploadId"):
			return "POST multipart"
		case q.Has("delete"):
			return "POST ?delete"
		}
		return "POST"
	case http.MethodDelete:
		switch {
		case q.Has("uploadId"):
			return "DELETE multipart"
		case key == "":
			return "DELETE bucket"
		}
		return "DELETE"
	}
	return r.Method
}

func classifyGet(r *http.Request, q url.Values, bucket, key string) string {
	if bucket == "" {
		return "LIST buckets"
	}
	if key == "" {
		for _, sub := range []string{"location", "versioning", "policy", "lifecycle", "object-lock", "uploads"} {
			if q.Has(sub) {
				return "GET ?" + sub
			}
		}
		return "LIST"
	}
	switch {
	case q.Has("tagging"):
		return "GET ?tagging"
	case q.Has("uploadId"):
		return "GET ?uploadId"
	case r.Header.Get("Range") != "":
		return "GET range"
	}
	return "GET"
}

// target is what a log line names: the path, and a listing's prefix (never
// the rest of the query, which could hold a presigned URL's signature).
func target(r *http.Request) string {
	if p := r.URL.Query().Get("prefix"); p != "" {
		return r.URL.Path + "?prefix=" + p
	}
	return r.URL.Path
}

// counter appends one line per request to a file: op, status, bytes
// received from the client, bytes sent to it and the target, separated by
// tabs. Each line is one write, made when the response is complete.
type counter struct {
	mu   sync.Mutex
	log  *os.File
	next http.Handler
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := classify(r)
	body := &countingReader{r: r.Body}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = body
	}
	cw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
	c.next.ServeHTTP(cw, r)
	line := fmt.Sprintf("%s\t%d\t%d\t%d\t%s\n", op, cw.status, body.n, cw.n, target(r))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.log.WriteString(line); err != nil {
		fmt.Fprintln(os.Stderr, "s3bench proxy: write log:", err)
	}
}

type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	c.status = code
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushes).
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// runProxy serves until ctx ends; it writes its address to -addr-file once
// it listens.
func runProxy(ctx context.Context, args []string) error {
	fl := flag.NewFlagSet("proxy", flag.ContinueOnError)
	target := fl.String("target", "", "the S3 server's URL")
	logPath := fl.String("log", "", "file that gets one line per request")
	addrFile := fl.String("addr-file", "", "file that gets the proxy's URL")
	listen := fl.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *target == "" || *logPath == "" || *addrFile == "" {
		return errors.New("proxy: -target, -log and -addr-file are required")
	}
	u, err := url.Parse(*target)
	if err != nil {
		return fmt.Errorf("proxy: target: %w", err)
	}
	logf, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	defer logf.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("proxy: %w", err)
	}
	srv := &http.Server{Handler: &counter{log: logf, next: newReverseProxy(u)}, ReadHeaderTimeout: time.Minute}
	if err := writeFileAtomic(*addrFile, "http://"+ln.Addr().String()+"\n"); err != nil {
		ln.Close()
		return err
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut) //nolint:errcheck // best effort at exit
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("proxy: %w", err)
	}
	return nil
}

// newReverseProxy forwards to u keeping the client's Host header (which
// its signature covers), without compression, with enough idle
// connections for the tools' parallel requests.
func newReverseProxy(u *url.URL) *httputil.ReverseProxy {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	tr.DisableCompression = true
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		Transport:     tr,
		FlushInterval: -1,
	}
}

func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
