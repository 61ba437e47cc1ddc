package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions a configuration may call. env reads from
// env (not the process environment), file reads relative to dir, and
// timestamp uses now, so loading is reproducible in tests.
func functions(env map[string]string, dir string, now func() time.Time) map[string]function.Function {
	fns := map[string]function.Function{
		"env":        envFunc(env),
		"file":       fileFunc(dir),
		"timestamp":  timestampFunc(now),
		"jsonencode": stdlib.JSONEncodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"tostring":   stdlib.MakeToFunc(cty.String),
		"tonumber":   stdlib.MakeToFunc(cty.Number),
		"tobool":     stdlib.MakeToFunc(cty.Bool),
		"tolist":     stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset":      stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tomap":      stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	}
	for name, fn := range stdlibFunctions() {
		fns[name] = fn
	}
	return fns
}

// stdlibFunctions are the cty standard library functions we expose, by
// the name a configuration uses.
func stdlibFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
		"lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc, "title": stdlib.TitleFunc,
		"trimspace": stdlib.TrimSpaceFunc, "trim": stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"chomp": stdlib.ChompFunc, "indent": stdlib.IndentFunc, "strrev": stdlib.ReverseFunc,
		"replace": stdlib.ReplaceFunc, "regex": stdlib.RegexFunc, "regexall": stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"split":         stdlib.SplitFunc, "join": stdlib.JoinFunc, "substr": stdlib.SubstrFunc,
		"strlen": stdlib.StrlenFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"formatdate": stdlib.FormatDateFunc,
		"concat":     stdlib.ConcatFunc, "length": lengthFunc(), "contains": stdlib.ContainsFunc,
		"keys": stdlib.KeysFunc, "values": stdlib.ValuesFunc, "merge": stdlib.MergeFunc,
		"lookup": stdlib.LookupFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
		"distinct": stdlib.DistinctFunc, "compact": stdlib.CompactFunc, "reverse": stdlib.ReverseListFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "range": stdlib.RangeFunc,
		"zipmap": stdlib.ZipmapFunc, "coalesce": stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc, "setunion": stdlib.SetUnionFunc,
	}
}

// lengthFunc is length(value): the number of characters of a string, or
// of elements of a list, set, tuple, map or object.
func lengthFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the length of a string or a collection.",
		Params:      []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType}},
		Type:        function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if args[0].Type() == cty.String {
				return stdlib.Strlen(args[0])
			}
			return stdlib.Length(args[0])
		},
	})
}

// envFunc is env(name) or env(name, default).
func envFunc(env map[string]string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or the default if it is not set.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		VarParam:    &function.Parameter{Name: "default", Type: cty.String},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if len(args) > 2 {
				return cty.NilVal, function.NewArgErrorf(2, "env takes a name and at most one default")
			}
			name := args[0].AsString()
			if v, ok := env[name]; ok {
				return cty.StringVal(v), nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return cty.NilVal, envUnsetError(name)
		},
	})
}

// envUnsetError says how to set an environment variable. A secret gets no
// advice to write a default into the plan.
func envUnsetError(name string) error {
	if secretEnvName(name) {
		return fmt.Errorf("environment variable %s is not set; export it before running velin (export %s=…), or read the secret from a file outside the plan", name, name)
	}
	return fmt.Errorf("environment variable %s is not set; export it (export %s=…) or give a default: env(%q, \"…\")", name, name, name)
}

// secretEnvName says whether an environment variable name suggests a secret.
func secretEnvName(name string) bool {
	up := strings.ToUpper(name)
	for _, w := range []string{"PASS", "SECRET", "TOKEN", "KEY", "CREDENTIAL"} {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

// fileFunc is file(path): a UTF-8 file's content, relative to dir.
func fileFunc(dir string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the content of a UTF-8 text file; a relative path is relative to the plan's directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, fmt.Errorf("read %s: %w", args[0].AsString(), unwrapPathError(err))
			}
			if !utf8.Valid(b) {
				return cty.NilVal, fmt.Errorf("%s is not UTF-8 text", args[0].AsString())
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

// unwrapPathError drops the absolute path os errors carry, which the
// message already names.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// timestampFunc is timestamp(): the load time in RFC 3339, UTC.
func timestampFunc(now func() time.Time) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the current time in RFC 3339 format, UTC.",
		Type:        function.StaticReturnType(cty.String),
		Impl: func(_ []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(now().UTC().Format(time.RFC3339)), nil
		},
	})
}

// envMap turns os.Environ()-style "K=V" entries into a map; later entries win.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}
