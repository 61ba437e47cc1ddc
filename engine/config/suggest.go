package config

import (
	"fmt"
	"sort"
	"strings"
)

// suggest returns the candidate closest to name, or "" when none is close
// enough to be a likely typo. Ties go to the alphabetically first candidate.
func suggest(name string, candidates []string) string {
	best, bestDist := "", -1
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := levenshtein(name, c)
		if d <= maxTypoDistance(name, c) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// maxTypoDistance is how many edits still look like a typo: a third of the
// longer name, at least 1 and at most 3.
func maxTypoDistance(a, b string) int {
	n := max(len([]rune(a)), len([]rune(b))) / 3
	return min(max(n, 1), 3)
}

// didYouMean formats a suggestion as a sentence to append to a Detail, or ""
// when there is none.
func didYouMean(name string, candidates []string) string {
	if s := suggest(name, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// quotedList formats names as `"a", "b" and "c"` (or "or") for messages.
func quotedList(names []string, conj string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	switch len(q) {
	case 0:
		return "(none)"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + conj + " " + q[len(q)-1]
}
