// Package redact keeps secrets out of everything velin prints.
//
// Secrets are first of all tracked as values: the configuration marks
// sensitive variables, passphrases and passwords, and the code that prints
// a value it knows to be sensitive prints Mask instead, whatever its length.
// A Redactor is the safety net behind that: it knows the secret values of
// one run and replaces each one of at least MinSearchLen bytes with
// "(sensitive)" in strings, errors and output streams (a step that echoes a
// secret, an error that quotes one). Shorter secrets are not searched for:
// masking every "x" of the output because the passphrase is "x" would
// mangle paths and JSON; `velin validate` warns about such secrets instead.
package redact
