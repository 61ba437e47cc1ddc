package sourcetest

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// SharedRepo is a repository on disk that a test and the helper process it
// kills -9 open in turn (snaptest.Shared).
type SharedRepo struct {
	NewSnapshot func(t testing.TB, parent provider.Tree) (provider.Sink, func() provider.Tree)
	Count       func(t testing.TB) int           // snapshots committed
	Latest      func(t testing.TB) provider.Tree // the newest snapshot's tree
	Close       func()
}

// Kill is what the kill -9 cases need from a database source. A helper
// process (this test binary, re-run on the one subtest) backs up or
// restores the fixture's data and stalls half-way; the test kills it -9.
type Kill struct {
	// Repo opens the shared repository in dir (snaptest.Shared).
	Repo func(t testing.TB, dir string) SharedRepo

	// Reopen builds, in the helper process, a source over the fixture
	// whose Fixture.Spec (or Live) is spec, dumping with the dump tool at
	// tool ("": the usual one).
	Reopen func(t testing.TB, spec, tool string) provider.Source

	// SleepingTool writes a dump tool that answers --version as the real
	// one does, and when it dumps creates the file mark, starts a dump on
	// stdout and then sleeps (exec, same process) without touching its
	// pipes, as a dump tool waiting on the server does. Nil for a source
	// without one.
	SleepingTool func(t testing.TB, mark string) string

	// Grow adds data to the fixture until its dump outlasts the pipes and
	// buffers between the dump tool and the sink (a few MB), so that the
	// tool still runs when the stalled helper is killed.
	Grow func(t testing.TB, fx Fixture)

	// DumpTool and RestoreTool are the command names (as in
	// /proc/<pid>/comm) of the tools a backup and a restore run; each must
	// be running when the helper is killed, and die with it. "" for a
	// source that does the work in process.
	DumpTool, RestoreTool string

	// Leftovers lists the scratch databases on the fixture's server that a
	// restore or test restore may leave when killed (all of them, whoever
	// made them).
	Leftovers func(t testing.TB, fx Fixture) []string

	// InPlace says that a restore in place stages nothing a killed run
	// could leave (PostgreSQL replays into the live database in one
	// transaction); a test restore always stages.
	InPlace bool

	// Age makes a killed run's scratch databases look abandoned to
	// CleanLeftovers (as after the source's heartbeat timeout); nil when
	// ownership ends with the killed run's sessions.
	Age func(t testing.TB, fx Fixture, names []string)
}

// Env variables that make the test binary the helper of a kill case.
const (
	envKillOp   = "VELIN_SOURCETEST_KILL"      // "backup" or "restore"
	envKillSpec = "VELIN_SOURCETEST_KILL_SPEC" // Fixture.Spec
	envKillDir  = "VELIN_SOURCETEST_KILL_DIR"  // repository and stall marker
	envKillTool = "VELIN_SOURCETEST_KILL_TOOL" // the dump tool to use
)

// stalledMark is the file a helper creates once it stalled half-way.
const stalledMark = "stalled"

// helper runs the helper side of a kill case when this process is one,
// and says whether it was.
func helper(t *testing.T, k *Kill) bool {
	op := os.Getenv(envKillOp)
	if op == "" {
		return false
	}
	dir := os.Getenv(envKillDir)
	src := k.Reopen(t, os.Getenv(envKillSpec), os.Getenv(envKillTool))
	repo := k.Repo(t, filepath.Join(dir, "repo"))
	mark := filepath.Join(dir, stalledMark)
	ctx := context.Background()
	switch op {
	case "backup":
		sink, _ := repo.NewSnapshot(t, nil)
		_, err := src.Backup(ctx, &stallSink{Sink: sink, mark: mark}, provider.BackupOptions{})
		t.Fatalf("the stalled backup returned: %v", err)
	case "sleeping-tool":
		_, err := src.Backup(ctx, MemRepoSink(), provider.BackupOptions{})
		t.Fatalf("the backup whose dump tool sleeps returned: %v", err)
	case "test-restore":
		tree := repo.Latest(t)
		opts := provider.TestRestoreOptions{Scratch: filepath.Join(dir, "scratch"), ID: scratchID(t)}
		_, err := src.TestRestore(ctx, stallTree{tree, largest(t, tree), mark}, opts)
		t.Fatalf("the stalled test restore returned: %v", err)
	case "restore":
		tree := repo.Latest(t)
		err := src.Restore(ctx, stallTree{tree, largest(t, tree), mark}, provider.RestoreOptions{})
		t.Fatalf("the stalled restore returned: %v", err)
	}
	t.Fatalf("unknown kill case %q", op)
	return true
}

// MemRepoSink is a Sink into a new in-memory snapshot.
func MemRepoSink() provider.Sink { return NewMemSnapshot(nil) }

// stall marks that the helper is half-way, then never returns: the test
// kills the process.
func stall(mark string) {
	f, err := os.Create(mark)
	if err == nil {
		f.Close()
	}
	for {
		time.Sleep(time.Hour)
	}
}

// stallSink reads the first 64 KiB of the first entry's content, then
// stalls.
type stallSink struct {
	provider.Sink
	mark string
	once sync.Once
}

func (s *stallSink) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	if e.Kind == provider.KindFile {
		s.once.Do(func() {
			_, _ = io.CopyN(io.Discard, r, 64<<10)
			stall(s.mark)
		})
	}
	return s.Sink.Put(ctx, e, r)
}

// largest is the path of tree's largest file: the data, not metadata.
func largest(t testing.TB, tree provider.Tree) string {
	var big provider.Entry
	walk(t, tree, func(e provider.Entry) {
		if e.Kind == provider.KindFile && e.Size > big.Size {
			big = e
		}
	})
	return big.Path
}

// stallTree hands out half of the content of the file at path, then
// stalls.
type stallTree struct {
	provider.Tree
	path, mark string
}

func (s stallTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := s.Tree.Open(ctx, e)
	if err != nil || e.Path != s.path {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, e.Size/2), stallReader(s.mark)), rc}, nil
}

type stallReader string

func (m stallReader) Read([]byte) (int, error) {
	stall(string(m))
	return 0, io.EOF
}
