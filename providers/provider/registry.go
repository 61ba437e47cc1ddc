package provider

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
)

// DecodeContext is what a provider needs to decode its block body.
type DecodeContext struct {
	// Eval resolves var.*, local.* and functions in the body.
	Eval *hcl.EvalContext
	// Dir is the directory of the file that declared the block; relative
	// paths in arguments are relative to it.
	Dir string
	// Secret registers a value that must never be shown (a password, a
	// passphrase); the engine redacts it from all output.
	Secret func(value string)
	// Advise records a warning that only `velin validate` shows (a weak or
	// literal passphrase); nil means no advice is collected.
	Advise func(*hcl.Diagnostic)
	// Sensitive says whether an expression of the body uses a sensitive
	// value (Eval holds unmarked values, so a provider cannot tell); nil
	// means nothing is sensitive.
	Sensitive func(hcl.Expression) bool
}

// SourceType decodes `source "<Name>" "…" { … }` bodies.
type SourceType struct {
	Name   string
	Decode func(body hcl.Body, dc DecodeContext) (Source, hcl.Diagnostics)
	// Recover makes a source from the identity a snapshot manifest
	// recorded (Facts.Identity), to restore or verify a snapshot whose plan
	// is gone. nil when the type cannot be recovered that way.
	Recover func(identity string) (Source, error)
}

// TargetType decodes `target "<Name>" "…" { … }` bodies.
type TargetType struct {
	Name   string
	Decode func(body hcl.Body, dc DecodeContext) (Target, hcl.Diagnostics)
}

// StepType decodes `step "<Name>" "…" { … }` bodies.
type StepType struct {
	Name   string
	Decode func(body hcl.Body, dc DecodeContext) (Step, hcl.Diagnostics)
}

// Registry is the explicit list of provider types (see providers/all).
type Registry struct {
	Sources []SourceType
	Targets []TargetType
	Steps   []StepType
}

// Source finds a source type by name.
func (r *Registry) Source(name string) (SourceType, bool) {
	for _, t := range r.Sources {
		if t.Name == name {
			return t, true
		}
	}
	return SourceType{}, false
}

// Target finds a target type by name.
func (r *Registry) Target(name string) (TargetType, bool) {
	for _, t := range r.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return TargetType{}, false
}

// Step finds a step type by name.
func (r *Registry) Step(name string) (StepType, bool) {
	for _, t := range r.Steps {
		if t.Name == name {
			return t, true
		}
	}
	return StepType{}, false
}

// Names lists the type names of one kind ("source", "target", "step"),
// sorted, for "did you mean" suggestions.
func (r *Registry) Names(kind string) []string {
	var out []string
	switch kind {
	case "source":
		for _, t := range r.Sources {
			out = append(out, t.Name)
		}
	case "target":
		for _, t := range r.Targets {
			out = append(out, t.Name)
		}
	case "step":
		for _, t := range r.Steps {
			out = append(out, t.Name)
		}
	}
	sort.Strings(out)
	return out
}
