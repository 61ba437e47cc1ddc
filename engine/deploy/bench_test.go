package deploy

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage/local"
)

// benchTree writes a 50 MB artifact tree of 50 files of 1 MiB (random,
// incompressible).
func benchTree(b *testing.B, dir string) {
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, 1<<20)
	for i := range 50 {
		rng.Read(buf)
		p := filepath.Join(dir, fmt.Sprintf("lib/part%02d.bin", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// mutate rewrites 1% of the tree (512 KiB of one file) with new bytes.
func mutate(b *testing.B, dir string, n int) {
	p := filepath.Join(dir, fmt.Sprintf("lib/part%02d.bin", n%50))
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	rand.New(rand.NewSource(int64(n + 100))).Read(data[256<<10 : 768<<10])
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func benchDeployer(b *testing.B) (*Deployer, string, string) {
	dir := b.TempDir()
	st, err := local.New(filepath.Join(dir, "repo"))
	if err != nil {
		b.Fatal(err)
	}
	r, err := repo.Init(context.Background(), st, repo.Options{Passphrase: "bench-passphrase-0123456789"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	cfg := &config.Deployment{Name: "api", Root: filepath.Join(dir, "srv"), Keep: 20,
		Artifacts: []string{filepath.Join(dir, "build", "app")}}
	d, err := Open(cfg, Options{Repo: func(context.Context, bool) (*repo.Repository, error) { return r, nil }})
	if err != nil {
		b.Fatal(err)
	}
	benchTree(b, cfg.Artifacts[0])
	return d, cfg.Artifacts[0], filepath.Join(dir, "repo")
}

// BenchmarkCreateVersions stores ten versions of a 50 MB tree differing by
// 1% each and reports the repository's size after ten against after one
// (x_one_version) and the time of a create-version after the first
// (ms/create).
func BenchmarkCreateVersions(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		d, tree, repoDir := benchDeployer(b)
		if _, err := d.CreateVersion(ctx, "v0", "v0", KindVersion); err != nil {
			b.Fatal(err)
		}
		one := dirSize(repoDir)
		var spent time.Duration
		for i := 1; i < 10; i++ {
			mutate(b, tree, i)
			start := time.Now()
			if _, err := d.CreateVersion(ctx, "v", fmt.Sprintf("v%d", i), KindVersion); err != nil {
				b.Fatal(err)
			}
			spent += time.Since(start)
		}
		b.ReportMetric(float64(dirSize(repoDir))/float64(one), "x_one_version")
		b.ReportMetric(float64(spent.Milliseconds())/9, "ms/create")
	}
}

// BenchmarkToVersion measures to-version's own time (no stop, start or
// health commands) between two 50 MB releases already on disk.
func BenchmarkToVersion(b *testing.B) {
	ctx := context.Background()
	d, tree, _ := benchDeployer(b)
	for i, v := range []string{"a", "b"} {
		mutate(b, tree, i)
		if _, err := d.CreateVersion(ctx, v, v, KindVersion); err != nil {
			b.Fatal(err)
		}
		if err := d.Switch(ctx, v); err != nil { // puts the release on disk
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if err := d.Switch(ctx, []string{"a", "b"}[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecoverIfIdleNothingToDo measures what every velin command that
// loads a plan pays per deployment when no switch was interrupted.
func BenchmarkRecoverIfIdleNothingToDo(b *testing.B) {
	ctx := context.Background()
	d, _, _ := benchDeployer(b)
	b.ResetTimer()
	for range b.N {
		if did, err := d.RecoverIfIdle(ctx); did != nil || err != nil {
			b.Fatal(did, err)
		}
	}
}

// BenchmarkOriginsInterruptedNothingToDo measures what every velin command
// pays, before it runs, to look for to-versions interrupted on this host
// with no plan at hand: the index of three switched deployments read and
// their journals stat'ed, none interrupted. Compare with
// BenchmarkRecoverIfIdleNothingToDo in the same run.
func BenchmarkOriginsInterruptedNothingToDo(b *testing.B) {
	dir := b.TempDir()
	o := Origins{Dir: filepath.Join(dir, "deployments.d")}
	for _, name := range []string{"api", "web", "worker"} {
		state := filepath.Join(dir, name, ".velin")
		if err := os.MkdirAll(state, 0o700); err != nil {
			b.Fatal(err)
		}
		if err := o.Record(Origin{Deployment: name, StateDir: state, Plan: []byte(`{"dir":"/srv/plan"}`)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		if got, err := o.Interrupted(); len(got) != 0 || err != nil {
			b.Fatal(got, err)
		}
	}
}
