package notify

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/velinhq/velin/engine/config"
)

// Schema names the version of Message's JSON form. A change that removes
// or renames a field, or changes its meaning, makes a new version.
const Schema = "velin.notification/v1"

// Levels of a message.
const (
	LevelError   = "error"   // the backup or restore failed
	LevelWarning = "warning" // it ended with something missing (partial)
	LevelInfo    = "info"    // it succeeded; or a test message
)

// Message is one notification, and the JSON body of a webhook.
type Message struct {
	Schema   string    `json:"schema"`             // always Schema
	Event    string    `json:"event"`              // "backup.failed", "backup.partial", "backup.succeeded", "restore.…", "test"
	Level    string    `json:"level"`              // LevelError, LevelWarning or LevelInfo
	Plan     string    `json:"plan"`               // the configuration's directory
	Host     string    `json:"host"`               // the machine velin ran on
	Block    string    `json:"block"`              // "backup.nightly", "restore.site"; "" for a test
	Backup   string    `json:"backup,omitempty"`   // the backup's name (of a restore: the one restored from)
	Snapshot string    `json:"snapshot,omitempty"` // the snapshot saved or restored
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Error    string    `json:"error,omitempty"` // the first error, redacted
	Summary  string    `json:"summary"`         // one line for people
}

// Title is a short subject line: "velin: backup.nightly failed on db1".
func (m Message) Title() string {
	what := m.Block
	if what == "" {
		what = "test message"
	}
	switch m.Level {
	case LevelError:
		what += " failed"
	case LevelWarning:
		what += " finished with warnings"
	case LevelInfo:
		if m.Event != "test" {
			what += " succeeded"
		}
	}
	return fmt.Sprintf("velin: %s on %s", what, m.Host)
}

// Wants says whether a block with notify_level level ("errors",
// "warnings", "all") is alerted about a message of msgLevel.
func Wants(level, msgLevel string) bool {
	switch level {
	case "all":
		return true
	case "warnings":
		return msgLevel == LevelError || msgLevel == LevelWarning
	}
	return msgLevel == LevelError
}

// Notifier sends messages to one destination (one notify block).
type Notifier interface {
	// Send delivers m once and returns when the destination has accepted
	// it, or with the first error; it does not retry (Deliver does). It
	// returns by ctx's deadline. A retry after an error may duplicate a
	// message the destination took but did not acknowledge. Errors never
	// include the block's secrets. Safe for concurrent use.
	Send(ctx context.Context, m Message) error
}

// Kind is one kind of notify block.
type Kind struct {
	Name string // the block's first label: "webhook"
	New  func(n *config.Notify, env Env) (Notifier, error)
}

// Env is what notifiers share.
type Env struct {
	HTTP *http.Client // nil: a client of its own
}

// Kinds lists every kind of notify block; config.NotifyKinds lists the
// same names (a test checks it).
func Kinds() []Kind {
	return []Kind{
		{Name: "webhook", New: newWebhook},
		{Name: "email", New: newEmail},
		{Name: "teams", New: newTeams},
		{Name: "slack", New: newSlack},
	}
}

// New returns the Notifier of a notify block.
func New(n *config.Notify, env Env) (Notifier, error) {
	if env.HTTP == nil {
		env.HTTP = &http.Client{}
	}
	for _, k := range Kinds() {
		if k.Name == n.Kind {
			return k.New(n, env)
		}
	}
	return nil, fmt.Errorf("%s: unknown notify kind %q", n.Addr(), n.Kind)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
