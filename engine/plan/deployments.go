package plan

import (
	"fmt"
	"sort"
	"strings"
)

// Deployment is a deployment block's state on this machine as the plan
// shows it: the CLI fills it in from engine/deploy.
type Deployment struct {
	Name     string   `json:"name"`
	Current  string   `json:"current"`  // "" when nothing is deployed
	Previous string   `json:"previous"` // the release that ran before
	Pinned   []string `json:"pinned,omitempty"`
	Bad      []string `json:"bad,omitempty"`
	Versions int      `json:"versions"`        // versions and snapshots stored
	Error    string   `json:"error,omitempty"` // why the state could not be read
}

// renderDeployments writes one line per deployment, if any.
func (p *Plan) renderDeployments(b *strings.Builder) {
	for _, d := range p.Deployments {
		if d.Error != "" {
			fmt.Fprintf(b, "Deployment %s: %s\n", d.Name, d.Error)
			continue
		}
		fmt.Fprintf(b, "Deployment %s: current %s, previous %s, %d version(s) stored", d.Name, orNone(d.Current), orNone(d.Previous), d.Versions)
		if len(d.Pinned) > 0 {
			fmt.Fprintf(b, ", pinned %s", strings.Join(d.Pinned, ", "))
		}
		if len(d.Bad) > 0 {
			bad := append([]string(nil), d.Bad...)
			sort.Strings(bad)
			fmt.Fprintf(b, ", bad %s", strings.Join(bad, ", "))
		}
		b.WriteString(".\n")
	}
	if len(p.Deployments) > 0 {
		b.WriteString("\n")
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
