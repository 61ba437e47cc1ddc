// Command api is the small HTTP service of examples/deploy, with its own
// test migration tool:
//
//	api serve -addr 127.0.0.1:18080 -config ../config/app.conf
//	api migrate version      prints the schema version (file "schema" in the working directory, 0 when missing)
//	api migrate up           migrates up to the last migration shipped next to the binary (migrations/*.sql)
//	api migrate goto N       migrates down to N, with the down migrations this build ships
//
// Build it healthy or not: go build -ldflags "-X main.healthy=false" gives
// a service whose /healthz answers 503, to show an automatic return.
package main

import (
	"fmt"
	"os"
)

// healthy is set at build time (-ldflags "-X main.healthy=false").
var healthy = "true"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: api serve|migrate ...")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "migrate":
		return migrate(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}
