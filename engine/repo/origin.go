package repo

import (
	"os"
	"strings"
)

// machineIDFiles hold a stable id of the machine (systemd, dbus). Unlike
// the hostname, which containers and cloned VMs repeat, it tells hosts
// apart.
var machineIDFiles = [...]string{"/etc/machine-id", "/var/lib/dbus/machine-id"}

// readMachineID returns the machine id, or "" where there is none.
func readMachineID() string {
	for _, f := range machineIDFiles {
		if b, err := os.ReadFile(f); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id
			}
		}
	}
	return ""
}

// Mine reports whether snapshot m was made by this machine: the same
// machine id when both have one, else the same host name. Retention and
// the choice of an incremental backup's parent only consider a host's own
// snapshots, as restic groups by host, so host A never forgets host B's.
func (r *Repository) Mine(m *Manifest) bool {
	if m.MachineID != "" && r.opts.MachineID != "" {
		return m.MachineID == r.opts.MachineID
	}
	return m.Host == r.opts.Host
}
