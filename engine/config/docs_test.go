package config

import (
	"github.com/velinhq/velin/providers/all"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

const languageDoc = "../../docs/language.md"

var hclFence = regexp.MustCompile("(?ms)^```hcl\n(.*?)^```")

// TestLanguageDocExamples loads every ```hcl example of docs/language.md
// as a plan of its own, with velin's real provider types, so that what the
// document shows is what velin accepts. Examples whose first line is a
// "# fragment" comment are only parsed.
func TestLanguageDocExamples(t *testing.T) {
	doc, err := os.ReadFile(languageDoc)
	if err != nil {
		t.Fatal(err)
	}
	examples := hclFence.FindAllStringSubmatch(string(doc), -1)
	if len(examples) < 8 {
		t.Fatalf("found %d hcl examples, expected more", len(examples))
	}
	for i, m := range examples {
		src := m[1]
		t.Run(strings.TrimPrefix(firstLine(src), "# "), func(t *testing.T) {
			if strings.HasPrefix(src, "# fragment") {
				if _, diags := hclsyntax.ParseConfig([]byte(src), "fragment.hcl", hcl.InitialPos); diags.HasErrors() {
					t.Fatalf("example %d does not parse: %v", i+1, diags)
				}
				return
			}
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, MainFile), src)
			_, files, diags := load(t, LoadOptions{Path: dir, Registry: all.Registry()})
			if len(diags) > 0 {
				var b strings.Builder
				_ = WriteDiagnostics(&b, files, diags, false)
				t.Fatalf("example %d:\n%s\n%s", i+1, src, b.String())
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestLanguageDocMentionsEveryArgument checks that every engine argument
// and block is documented.
func TestLanguageDocMentionsEveryArgument(t *testing.T) {
	doc, err := os.ReadFile(languageDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, schema := range []*hcl.BodySchema{rootSchema, variableSchema, backupSchema, retentionSchema, verifySchema, restoreSchema,
		deploymentSchema, healthSchema, migrateSchema, transactionSchema,
		notifySchemas["webhook"], notifySchemas["email"], notifySchemas["teams"], notifySchemas["slack"]} {
		for _, a := range schema.Attributes {
			if !strings.Contains(string(doc), "`"+a.Name+"`") {
				t.Errorf("argument %q is not documented", a.Name)
			}
		}
		for _, b := range schema.Blocks {
			if !strings.Contains(string(doc), "## "+b.Type) && !strings.Contains(string(doc), "### "+b.Type) {
				t.Errorf("block %q has no section", b.Type)
			}
		}
	}
	for name := range functions(nil, "", nil) {
		if !strings.Contains(string(doc), "`"+name) {
			t.Errorf("function %q is not documented", name)
		}
	}
}
