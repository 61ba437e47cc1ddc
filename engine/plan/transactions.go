package plan

import (
	"fmt"
	"strings"
	"time"
)

// Transaction is a deployment transaction not yet ended (`velin rollback
// begin` without commit), as the plan shows it: the CLI fills it in from
// the local journal (engine/txn).
type Transaction struct {
	Deployment string    `json:"deployment"`
	ID         string    `json:"tx"`
	State      string    `json:"state"`
	Deadline   time.Time `json:"deadline"`
	Watchdog   string    `json:"watchdog"`
	Rollback   []string  `json:"rollback"` // what a rollback would do, in order
}

// renderTransactions writes the open transactions, if any.
func (p *Plan) renderTransactions(b *strings.Builder) {
	for _, t := range p.Transactions {
		fmt.Fprintf(b, "Deployment %s has an open transaction %s (%s): deadline %s, watchdog %s.\n",
			t.Deployment, t.ID, t.State, t.Deadline.UTC().Format(time.RFC3339), t.Watchdog)
		if len(t.Rollback) > 0 {
			fmt.Fprintf(b, "  Without `velin rollback commit` by then, a rollback will: %s.\n", strings.Join(t.Rollback, "; "))
		}
	}
	if len(p.Transactions) > 0 {
		b.WriteString("\n")
	}
}
