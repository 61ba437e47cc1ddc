// Package bytesize formats byte counts for people, in the one style every
// velin command prints: decimal (SI) units with one decimal, "1.4 GB", as
// `du -h --si` does.
//
// go-humanize is only an indirect dependency, and its Bytes prints "14 MB"
// beside "1.4 MB" (no decimal from 10 up), which would change what plans,
// summaries and listings print; this one function is all velin needs.
package bytesize
