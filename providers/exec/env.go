package exec

import (
	"os"
	"sort"
	"strings"
)

// baseEnv names the variables a step inherits from velin's environment:
// what programs need to run (PATH, HOME, locale, time zone, temporary
// directory, terminal), nothing that can hold a secret. velin's own
// variables (VELIN_PASSPHRASE, VELIN_VAR_*) are never passed on; a step
// that needs a secret declares it: env = { NAME = var.secret }.
var baseEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM"}

// stepEnv builds a step's environment from the process environment
// (environ, as os.Environ) and the step's declared env, which wins.
func stepEnv(environ []string, declared map[string]string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := declared[name]; !ok && inBase(name) {
			out = append(out, kv)
		}
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, n+"="+declared[n])
	}
	return out
}

func inBase(name string) bool {
	if strings.HasPrefix(name, "LC_") {
		return true
	}
	for _, b := range baseEnv {
		if name == b {
			return true
		}
	}
	return false
}

// processEnv is the environment velin runs in.
func processEnv() []string { return os.Environ() }
