package bytesize

import "fmt"

// Format formats a size like "1.4 GB": below 1000 in bytes ("999 B"),
// from there in kB, MB, GB, TB, PB or EB with one decimal, rounded.
func Format(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
