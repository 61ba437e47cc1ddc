// Package plans holds HCL plans for real stacks (the *.velin.hcl files in
// this directory); its test loads and compiles every one of them.
package plans
