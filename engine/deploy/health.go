package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Health checks the running release: the health block's check, tried every
// interval until it passes or the timeout passes. Without a health block it
// returns nil. The error says what the last attempt saw.
func (d *Deployer) Health(ctx context.Context) error {
	h := d.cfg.Health
	if h == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	var last error
	for {
		last = d.probe(ctx)
		if last == nil {
			return nil
		}
		t := time.NewTimer(h.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("health check failed for %s: %w", h.Timeout, last)
		case <-t.C:
		}
	}
}

// probe is one attempt of the check, bounded by the interval (at least 1s).
func (d *Deployer) probe(ctx context.Context) error {
	h := d.cfg.Health
	ctx, cancel := context.WithTimeout(ctx, max(h.Interval, time.Second))
	defer cancel()
	switch {
	case h.HTTP != "":
		return probeHTTP(ctx, h.HTTP)
	case h.TCP != "":
		var dl net.Dialer
		c, err := dl.DialContext(ctx, "tcp", h.TCP)
		if err != nil {
			return errors.New("tcp: no connection accepted")
		}
		return c.Close()
	default:
		return d.run(ctx, "exec check", h.Exec, nil)
	}
}

// probeHTTP GETs url and wants a 2xx. Errors never quote the URL (it may
// hold credentials).
func probeHTTP(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return errors.New("http: invalid URL")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return errors.New("http: no answer")
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("http: status %d", resp.StatusCode)
	}
	return nil
}
