// Package redact keeps secrets out of everything velin prints.
//
// A Redactor knows the secret values of one run (sensitive variables,
// passphrases, passwords a provider registered) and replaces each with
// "(sensitive)" in strings, errors and output streams. It is a last line of
// defence: code should not print secrets in the first place, but output
// passes through a Redactor anyway.
package redact
