// Command quickstart is velin's first run: it creates sample files and a
// SQLite database, backs them up with the embedded plan (velin.hcl), changes
// something, backs up again, verifies, restores the first snapshot into a
// new directory and shows what differs. It drives the real CLI in-process,
// so `go run ./examples/quickstart` needs nothing but Go.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "work directory (default: a new temporary directory)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *dir == "" {
		d, err := os.MkdirTemp("", "velin-quickstart-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "quickstart:", err)
			os.Exit(1)
		}
		*dir = d
	}
	abs, err := filepath.Abs(*dir)
	if err == nil {
		_, err = run(ctx, abs, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}
