package deploy

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// gitCommit returns HEAD's commit when dir is in a git work tree and git
// is installed; "" otherwise (never an error: the commit is a note).
func gitCommit(ctx context.Context, dir string) string {
	if dir == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--verify", "-q", "HEAD")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
