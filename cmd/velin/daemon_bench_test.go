package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDaemonIdle starts `velin daemon` on a plan whose one backup is
// due once at start (a missed run, from a seeded state file) and then
// every 24h; after that run it idles for VELIN_BENCH_IDLE (default 10s)
// and reports the resident memory (VmRSS, and the peak VmHWM) and the CPU
// used while idle, from /proc. Run with -benchtime=1x (docs/performance.md,
// "Daemon (issue 11)").
func BenchmarkDaemonIdle(b *testing.B) {
	idle := 10 * time.Second
	if v := os.Getenv("VELIN_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		idle = d
	}
	p := newProject(b, strings.Replace(daemonPlan, "every 1s", "every 24h", 1))
	for i := range 2000 { // 2,000 files, 20 MB
		p.write(fmt.Sprintf("site/d%02d/f%04d.bin", i%20, i), strings.Repeat(fmt.Sprintf("%08d", i), 1280))
	}
	state := `{"format": 1, "backups": {"often": {"scheduled": "2020-01-01T00:00:00Z", "last_start": "2020-01-01T00:00:00Z"}}}`
	p.write("state/daemon.json", state)
	d := startDaemon(b, p)
	d.await("backup done")
	pid := d.cmd.Process.Pid
	time.Sleep(time.Second) // let the run's garbage be collected
	cpu0 := cpuTicks(b, pid)
	start := time.Now()
	for b.Loop() {
		time.Sleep(idle)
	}
	elapsed := time.Since(start)
	cpu := float64(cpuTicks(b, pid)-cpu0) / 100 // USER_HZ
	b.ReportMetric(float64(procStatus(b, pid, "VmRSS"))/1024, "rss_MB")
	b.ReportMetric(float64(procStatus(b, pid, "VmHWM"))/1024, "peak_rss_MB")
	b.ReportMetric(100*cpu/elapsed.Seconds(), "idle_cpu_%")
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	d.await("stopped")
	for range d.lines {
	}
	if err := d.cmd.Wait(); err != nil {
		b.Fatal(err)
	}
}

// cpuTicks is the user plus system CPU time of pid, in clock ticks.
func cpuTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15.
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(rest[11], 10, 64)
	s, _ := strconv.ParseInt(rest[12], 10, 64)
	return u + s
}

// procStatus reads a "kB" line of /proc/PID/status.
func procStatus(tb testing.TB, pid int, key string) int64 {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}
