// Package schedulers checks the examples that run velin under another
// scheduler: examples/kubernetes/cronjob.yaml and
// examples/nomad/velin.nomad.hcl (docs/operations.md). It has only tests.
package schedulers
