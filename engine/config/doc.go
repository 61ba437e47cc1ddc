// Package config turns velin's HCL files into a typed Config.
//
// Decoding is two-pass: this package decodes the engine's own blocks and
// arguments (variable, locals, backup, restore, and the references in
// sources/target/before/after/finally/depends_on), then hands each
// source/target/step body to its provider type from a provider.Registry, which
// decodes the rest against its own schema. Every user mistake comes back as
// an hcl.Diagnostic with a source range; nothing here has side effects.
//
// Order of work (load.go): find and parse the files; split the top-level
// blocks by type (blocks.go); give variables their values (variables.go,
// values.go: default < VELIN_VAR_name < -var-file < -var); evaluate locals
// in dependency order (locals.go); declare every referenceable address;
// decode provider bodies (providers.go); decode backups (backup.go,
// retention.go) and restores (restore.go), whose references are read as
// traversals (refs.go), never evaluated, and checked against the declared
// addresses.
//
// Secrets. Sensitive variables carry the cty mark "sensitive", and locals
// computed from them inherit it; both are collected in Config.Secrets, with
// whatever providers register through DecodeContext.Secret. The evaluation
// context handed to providers holds unmarked values, because gohcl panics
// on marked ones. Load masks secrets in the diagnostics' texts; the caller
// passes Config.Secrets to WriteDiagnostics, which masks the quoted source
// lines too. Only secrets of redact.MinSearchLen characters or more are
// searched for in text; shorter ones are tracked as values (exec steps refuse
// them on a command line, Describe never shows them) and reported in
// Config.Advice, which `velin validate` prints.
package config
