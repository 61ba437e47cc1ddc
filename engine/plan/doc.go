// Package plan computes what `velin apply` will do, from the configuration's
// graph and live facts, without side effects: how big each source is, which
// parent snapshot an incremental backup builds on, which snapshots
// retention will forget, which steps run when, and what a restore will
// overwrite.
//
// A Plan renders as text (with +, ~ and - markers) or JSON, and can be saved
// with -out. A saved plan records a fingerprint of the configuration and of
// every repository it touches; applying it later refuses when either
// changed (a stale plan).
//
// Markers: "+" adds to a repository (a snapshot, a source's data, a
// verification record); "~" changes something in place outside velin (a
// step runs, a restore replaces files or database contents); "-" removes (a
// snapshot forgotten by retention, data dropped by a restore).
//
// This package holds planning only: it asks engine/repo for snapshots
// (Repository.Latest, Repository.Fingerprint), engine/forget for what
// retention forgets, engine/restore for what a restore changes, and
// engine/bytesize to print sizes.
package plan
