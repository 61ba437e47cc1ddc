// Package all lists every provider type velin knows. It is the one place a
// new source, target or step is registered; there are no init() side
// effects anywhere.
package all
