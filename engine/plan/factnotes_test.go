package plan

import (
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/provider"
)

func TestFactNotesShowDetails(t *testing.T) {
	got := factNotes(provider.Facts{Details: map[string]string{"server": "10.11", "client": "mariadb-dump 10.11"}})
	if strings.Join(got, "\n") != "client: mariadb-dump 10.11\nserver: 10.11" {
		t.Errorf("notes %q, want the details sorted by key", got)
	}
}
