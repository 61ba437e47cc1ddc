package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Policy bounds the delivery of one message: at most Attempts sends, each
// given Timeout, with Backoff, then twice as long, between them. The
// default's worst case is 3×10s + 2s + 4s = 36s.
type Policy struct {
	Attempts int
	Timeout  time.Duration
	Backoff  time.Duration
	// Sleep waits d or until ctx ends; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultPolicy is what a run uses.
func DefaultPolicy() Policy {
	return Policy{Attempts: 3, Timeout: 10 * time.Second, Backoff: 2 * time.Second}
}

// Deliver sends m through n, retrying as p allows. Each failed attempt is
// passed to logf (for the caller to redact and print). It returns nil on
// success, or the last attempt's error.
func Deliver(ctx context.Context, n Notifier, m Message, p Policy, logf func(attempt int, err error)) error {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	wait := p.Backoff
	var err error
	for attempt := 1; attempt <= p.Attempts; attempt++ {
		if err = sendOnce(ctx, n, m, p.Timeout); err == nil {
			return nil
		}
		if logf != nil {
			logf(attempt, err)
		}
		if attempt == p.Attempts || ctx.Err() != nil {
			break
		}
		if serr := p.Sleep(ctx, wait); serr != nil {
			break
		}
		wait *= 2
	}
	return fmt.Errorf("gave up after %d attempts: %w", p.Attempts, err)
}

func sendOnce(ctx context.Context, n Notifier, m Message, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	err := n.Send(ctx, m)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
