package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// serve answers / with the configured greeting and the schema version, and
// /healthz with 200 (or 503 in a build made unhealthy).
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18080", "listen address")
	conf := fs.String("config", "../config/app.conf", "config file (greeting=...)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if healthy != "true" {
			http.Error(w, "unhealthy build", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s (schema %s)\n", greeting(*conf), schemaVersion())
	})
	return http.ListenAndServe(*addr, mux)
}

func greeting(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "hello"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "greeting="); ok {
			return strings.TrimSpace(v)
		}
	}
	return "hello"
}
