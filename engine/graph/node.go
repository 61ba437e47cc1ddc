package graph

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Kind is what a node does.
type Kind string

// Node kinds.
const (
	KindStep      Kind = "step"      // run a step (exec/http hook)
	KindSource    Kind = "source"    // back up one source
	KindSnapshot  Kind = "snapshot"  // flush the backup's data
	KindVerify    Kind = "verify"    // verify the new snapshot
	KindCommit    Kind = "commit"    // write the manifest
	KindRetention Kind = "retention" // forget snapshots the policy drops
	KindCopy      Kind = "copy"      // copy the backup's snapshots to one copy_to target
	KindRestore   Kind = "restore"   // restore one source
)

// Phase is the part of a backup or restore a node belongs to.
type Phase string

// Phases.
const (
	PhaseBefore  Phase = "before"
	PhaseMain    Phase = "main"
	PhaseAfter   Phase = "after"
	PhaseFinally Phase = "finally"
)

// Node is one unit of work of a run.
type Node struct {
	ID    string    // unique and readable: "backup.nightly/source.files.site"
	Kind  Kind      //
	Phase Phase     //
	Owner string    // the backup or restore address: "backup.nightly"
	Addr  string    // the block it runs: "step.exec.x", "source.files.site", "backup.nightly"
	Range hcl.Range // where it was declared, for messages
	// Tolerates, when set, lets the node run although a dependency failed
	// with an error wrapping it: a backup's commit tolerates a failed
	// assertion (provider.ErrAssertion), saving the snapshot marked as not
	// verified. Other failures still skip the node.
	Tolerates error
}

// Selection chooses which blocks a run builds.
type Selection struct {
	// Backups are backup names ("nightly"); empty means all backups.
	Backups []string `json:"backups,omitempty"`
	// Restore is a restore name; when set, only that restore and the blocks
	// it depends on are built, and Backups is ignored.
	Restore string `json:"restore,omitempty"`
}

// Status is how a node's walk ended.
type Status string

// Statuses.
const (
	StatusOK        Status = "ok"
	StatusFailed    Status = "failed"    // run returned an error or panicked
	StatusSkipped   Status = "skipped"   // a dependency did not succeed; run was not called
	StatusCancelled Status = "cancelled" // the walk was cancelled before it started, or it returned the context's error
)

// Result is the outcome of one node. Start and End are zero for nodes that
// never ran.
type Result struct {
	Node       *Node
	Status     Status
	Err        error
	Start, End time.Time
}

// FinallyTimeout bounds how long finally nodes may still run after the
// walk's context was cancelled.
const FinallyTimeout = 5 * time.Minute

// Errors found in Result.Err.
var (
	// ErrDependency wraps the reason of a skipped node.
	ErrDependency = errors.New("dependency did not succeed")
	// ErrFinallyTimeout is the cause of a finally node's context when
	// FinallyTimeout elapsed after cancellation.
	ErrFinallyTimeout = errors.New("finally grace period exceeded after cancellation")
)

// PanicError is the error of a node whose run panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }
