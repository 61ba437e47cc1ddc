package txn

import (
	"os"
	"strings"
)

// BootID returns the machine's boot id: the content of the file named by
// VELIN_BOOT_ID_FILE when set (tests), else of the platform's boot id
// file; "" when the platform has none (recovery then relies on the
// watchdog's lock and the deadline only).
func BootID(getenv func(string) string) string {
	path := getenv("VELIN_BOOT_ID_FILE")
	if path == "" {
		path = bootIDFile
	}
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
