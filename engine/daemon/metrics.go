package daemon

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the daemon's Prometheus metrics, in a registry of their
// own. A nil *Metrics records nothing.
type Metrics struct {
	reg         *prometheus.Registry
	lastSuccess *prometheus.GaugeVec
	lastRun     *prometheus.GaugeVec
	duration    *prometheus.GaugeVec
	runs        *prometheus.CounterVec
	bytesRead   *prometheus.CounterVec
	bytesStored *prometheus.CounterVec
	snapshots   *prometheus.CounterVec
	verify      *prometheus.CounterVec
	errors      *prometheus.CounterVec
}

// NewMetrics registers velin's metrics, and Go's and the process's.
func NewMetrics() *Metrics {
	b := []string{"backup"}
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		lastSuccess: gauge("velin_backup_last_success_timestamp_seconds", "Unix time of the end of the backup's last successful run.", b),
		lastRun:     gauge("velin_backup_last_run_timestamp_seconds", "Unix time of the end of the backup's last run, successful or not.", b),
		duration:    gauge("velin_backup_last_duration_seconds", "How long the backup's last run took.", b),
		runs:        counter("velin_backup_runs_total", "Runs by result: ok, failed, or skipped (the previous run was still going).", "backup", "result"),
		bytesRead:   counter("velin_backup_read_bytes_total", "Bytes read from the backup's sources.", b...),
		bytesStored: counter("velin_backup_stored_bytes_total", "Bytes added to the repository (compressed and encrypted).", b...),
		snapshots:   counter("velin_backup_snapshots_total", "Snapshots committed.", b...),
		verify:      counter("velin_backup_verify_total", "Verification checks of new snapshots, by status: ok or failed.", "backup", "status"),
		errors:      counter("velin_backup_errors_total", "Failed actions, by the block that failed (a source, a step, the backup).", "backup", "block"),
	}
	m.reg.MustRegister(m.lastSuccess, m.lastRun, m.duration, m.runs, m.bytesRead, m.bytesStored,
		m.snapshots, m.verify, m.errors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func gauge(name, help string, labels []string) *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
}

func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// record counts a finished run.
func (m *Metrics) record(f finished) {
	if m == nil {
		return
	}
	n := f.name
	m.lastRun.WithLabelValues(n).Set(unix(f.end))
	m.duration.WithLabelValues(n).Set(f.end.Sub(f.start).Seconds())
	result := "ok"
	if f.out.Err != nil {
		result = "failed"
	} else {
		m.lastSuccess.WithLabelValues(n).Set(unix(f.end))
	}
	m.runs.WithLabelValues(n, result).Inc()
	m.bytesRead.WithLabelValues(n).Add(float64(f.out.BytesRead))
	m.bytesStored.WithLabelValues(n).Add(float64(f.out.BytesStored))
	m.snapshots.WithLabelValues(n).Add(float64(f.out.Snapshots))
	m.verify.WithLabelValues(n, "ok").Add(float64(f.out.VerifyOK))
	m.verify.WithLabelValues(n, "failed").Add(float64(f.out.VerifyFailed))
	for block, c := range f.out.ErrorsBy {
		m.errors.WithLabelValues(n, block).Add(float64(c))
	}
}

// skipped counts an occurrence skipped because a run was still going.
func (m *Metrics) skipped(name string) {
	if m != nil {
		m.runs.WithLabelValues(name, "skipped").Inc()
	}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
