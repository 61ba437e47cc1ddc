package files

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/providers/provider"
)

// tally collects what a walk and its readers left out or could not read
// fully. Safe for concurrent use.
type tally struct {
	mu         sync.Mutex
	skipped    []provider.Problem
	incomplete []provider.Problem
	links      map[string]string
}

func (t *tally) skip(path, why string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.skipped = append(t.skipped, provider.Problem{Path: path, Op: "skip", Err: why})
}

// fail notes an entry not backed up fully. The path is the entry's, so a
// *fs.PathError is reduced to its cause.
func (t *tally) fail(path, op string, err error) {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.incomplete = append(t.incomplete, provider.Problem{Path: path, Op: op, Err: err.Error()})
}

func (t *tally) link(name, target string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.links == nil {
		t.links = map[string]string{}
	}
	t.links[name] = target
}

// fill copies the tally into facts, in path order.
func (t *tally) fill(f *provider.Facts) {
	t.mu.Lock()
	defer t.mu.Unlock()
	byPath := func(a, b provider.Problem) int { return comparePaths(a.Path, b.Path) }
	f.Skipped = slices.SortedStableFunc(slices.Values(t.skipped), byPath)
	f.Incomplete = slices.SortedStableFunc(slices.Values(t.incomplete), byPath)
	f.Links = t.links
}

// partial is the *provider.Partial of the entries not backed up fully, or
// nil.
func (t *tally) partial(op string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.incomplete) == 0 {
		return nil
	}
	probs := append([]provider.Problem(nil), t.incomplete...)
	sort.SliceStable(probs, func(i, j int) bool { return comparePaths(probs[i].Path, probs[j].Path) < 0 })
	return &provider.Partial{Op: op, Problems: probs}
}

// check makes sure a configured path can be backed up. It returns what the
// path leads to (a symlink is followed) and the symlink's target, if it is
// one. A missing path, or one that is not a file or a directory, is a
// diagnostic on the path in the plan.
func (r root) check() (fs.FileInfo, string, error) {
	lfi, err := os.Lstat(r.abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", r.diag("Source path not found", fmt.Sprintf("%s does not exist.", r.abs))
	}
	if err != nil {
		return nil, "", fmt.Errorf("walk %s: %w", r.abs, err)
	}
	fi, link := lfi, ""
	if lfi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(r.abs); err != nil {
			return nil, "", fmt.Errorf("walk %s: %w", r.abs, err)
		}
		fi, err = os.Stat(r.abs)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", r.diag("Source path not found",
				fmt.Sprintf("%s is a symbolic link to %s, which does not exist.", r.abs, link))
		}
		if err != nil {
			return nil, "", fmt.Errorf("walk %s: %w", r.abs, err)
		}
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return nil, "", r.diag("Source path is not a file or directory",
			fmt.Sprintf("%s is a %s; a files source backs up files and directories, never named pipes, sockets or devices.", r.abs, typeName(fi)))
	}
	return fi, link, nil
}

// diag is an error about the path as the plan names it: hcl.Diagnostics
// with its file and line when the source came from a plan.
func (r root) diag(summary, detail string) error {
	if r.rng == nil {
		return fmt.Errorf("%s: %s", strings.ToLower(summary), detail)
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r.rng}}
}

// repoConfig is what identifies a velin repository: its plaintext config
// (docs/design.md).
type repoConfig struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	Chunker struct {
		Algorithm string `json:"algorithm"`
	} `json:"chunker"`
}

// maxRepoConfig bounds the config file read to recognise a repository.
const maxRepoConfig = 64 << 10

// isRepository says whether the open directory d, holding names, is a
// velin repository: a "config" file that parses as a repository's, next
// to "keys", "data" or "snapshots".
func isRepository(d *os.File, names []string) bool {
	if !slices.Contains(names, "config") || !(slices.Contains(names, "keys") ||
		slices.Contains(names, "data") || slices.Contains(names, "snapshots")) {
		return false
	}
	fi, err := os.Lstat(d.Name() + "/config")
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxRepoConfig {
		return false
	}
	f, err := at{dir: d, name: "config", abs: d.Name() + "/config"}.open(fi, false)
	if err != nil {
		return false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRepoConfig))
	var c repoConfig
	if err != nil || json.Unmarshal(data, &c) != nil {
		return false
	}
	return c.Version > 0 && c.ID != "" && c.Chunker.Algorithm != ""
}
