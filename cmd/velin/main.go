// Command velin is the velin CLI; the commands live in package cli.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/velinhq/velin/cmd/velin/cli"
	"github.com/velinhq/velin/internal/memtune"
)

func main() {
	memtune.Apply(os.Getenv)
	stopProfile := startProfile(os.Getenv("VELIN_CPUPROFILE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.DefaultEnv())
	stop()
	stopProfile()
	os.Exit(code)
}

// startProfile writes a CPU profile to path (hidden, for benchmarking:
// VELIN_CPUPROFILE=FILE) and returns the function that ends it.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "velin: cpu profile: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
