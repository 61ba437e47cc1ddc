package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// schemaFile is the "database": one number, in the working directory.
const schemaFile = "schema"

func schemaVersion() string {
	b, err := os.ReadFile(schemaFile)
	if err != nil {
		return "0"
	}
	return strings.TrimSpace(string(b))
}

// shipped counts the migrations next to the binary: migrations/0001.sql …
func shipped() (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	m, err := filepath.Glob(filepath.Join(filepath.Dir(exe), "migrations", "*.sql"))
	return len(m), err
}

func migrate(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: api migrate version|up|goto N")
	}
	cur, _ := strconv.Atoi(schemaVersion())
	n, err := shipped()
	if err != nil {
		return err
	}
	switch args[0] {
	case "version":
		fmt.Println(cur)
		return nil
	case "up":
		if n > cur {
			fmt.Fprintf(os.Stderr, "migrate: up %d -> %d\n", cur, n)
			return setSchema(n)
		}
		return nil
	case "goto":
		if len(args) != 2 {
			return fmt.Errorf("usage: api migrate goto N")
		}
		to, err := strconv.Atoi(args[1])
		if err != nil || to < 0 {
			return fmt.Errorf("goto: %q is not a schema version", args[1])
		}
		if to > n || cur > n {
			return fmt.Errorf("goto %d: this build ships migrations up to %d only (schema is %d)", to, n, cur)
		}
		fmt.Fprintf(os.Stderr, "migrate: %d -> %d\n", cur, to)
		return setSchema(to)
	}
	return fmt.Errorf("unknown migrate command %q", args[0])
}

func setSchema(v int) error {
	tmp := schemaFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(v)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, schemaFile)
}
