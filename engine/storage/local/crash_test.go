package local

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/storagetest"
)

// Environment of the writer child process that TestCrash kills.
const (
	crashDirEnv   = "VELIN_LOCAL_CRASH_DIR"
	crashRoundEnv = "VELIN_LOCAL_CRASH_ROUND"
	crashWriters  = 3
)

// crashContent derives an object's content from its name, so a reader can
// check it without knowing what the writer did.
func crashContent(name string) []byte {
	h := fnv.New64a()
	h.Write([]byte(name))
	sum := h.Sum64()
	size := int(sum % 4096)
	if sum&1 == 1 {
		size = int(sum % (2 << 20))
	}
	return storagetest.Content(sum, size)
}

// TestCrashChild is the writer process of TestCrash; it only runs when
// TestCrash starts it. It writes objects until it is killed and prints
// "put NAME" after each successful Put.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrash")
	}
	s, err := New(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	round := os.Getenv(crashRoundEnv)
	for w := range crashWriters {
		go crashWriter(s, round, w)
	}
	select {}
}

func crashWriter(s *Storage, round string, w int) {
	ctx := context.Background()
	for i := 0; ; i++ {
		name := fmt.Sprintf("data/r%s/w%d/%05d", round, w, i)
		opts := storage.PutOptions{IfAbsent: i%3 == 0}
		if i%4 == 1 { // replace a shared object with its own content
			name = fmt.Sprintf("shared/%02d", i%16)
			opts = storage.PutOptions{}
		}
		data := crashContent(name)
		if err := s.Put(ctx, name, bytes.NewReader(data), int64(len(data)), opts); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(3)
		}
		fmt.Println("put " + name)
	}
}

// TestCrash kills a writing process at random moments and checks that
// every listed object is whole, every acknowledged object is there, and no
// temporary file is listed.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test is slow")
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range 7 {
		acked := runAndKill(t, dir, round, 1+rng.IntN(40))
		checkAfterCrash(t, dir, acked)
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CleanTemp(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("removed %d temp files left by the kills", n)
	assertNoTemp(t, dir)
}

// runAndKill starts a writer child, kills it after it acknowledged
// killAfter objects and returns the names it acknowledged.
func runAndKill(t *testing.T, dir string, round, killAfter int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	for len(acked) < killAfter && sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "put "); ok {
			acked = append(acked, name)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	if len(acked) < killAfter {
		t.Fatalf("round %d: writer stopped after %d objects (%v): %s", round, len(acked), err, stderr.String())
	}
	return acked
}

func checkAfterCrash(t *testing.T, dir string, acked []string) {
	t.Helper()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	listed := map[string]bool{}
	err = s.List(ctx, "", func(oi storage.ObjectInfo) error {
		listed[oi.Name] = true
		if strings.Contains(oi.Name, tempPrefix) {
			t.Errorf("temp file listed: %s", oi.Name)
			return nil
		}
		want := crashContent(oi.Name)
		if oi.Size != int64(len(want)) {
			t.Errorf("%s listed with size %d, want %d", oi.Name, oi.Size, len(want))
		}
		rc, err := s.Get(ctx, oi.Name)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes (%v), want its %d bytes", oi.Name, len(got), err, len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range acked {
		if !listed[name] {
			t.Errorf("acknowledged object %s is missing", name)
		}
	}
}
