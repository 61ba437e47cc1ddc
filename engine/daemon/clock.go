package daemon

import "time"

// Clock is the scheduler's time source.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives once the clock reaches t (at
	// once when t has passed).
	At(t time.Time) <-chan time.Time
}

// SystemClock is the machine's clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// At fires after time.Until(t).
func (SystemClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }
