// Package config turns velin's HCL files into a typed Config.
//
// Decoding is two-pass: this package decodes the engine's own blocks and
// arguments (variable, locals, backup, restore, and the references in
// sources/target/before/after/finally/depends_on), then hands each
// source/target/step body to its provider type from a provider.Registry, which
// decodes the rest against its own schema. Every user mistake comes back as
// an hcl.Diagnostic with a source range; nothing here has side effects.
package config
