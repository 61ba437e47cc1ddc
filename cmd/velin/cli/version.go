package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is velin's version, recorded in every snapshot manifest.
const Version = "0.1.0"

// versionInfo is what `velin version` reports.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// buildInfo reads the commit and Go version the binary was built with.
func buildInfo() versionInfo {
	v := versionInfo{Version: Version, Commit: "unknown", GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v versionInfo) String() string {
	commit := v.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if v.Modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("velin %s\n  commit: %s\n  go:     %s\n  os:     %s/%s\n", v.Version, commit, v.GoVersion, v.OS, v.Arch)
}

func (g *globalOptions) printVersion() error {
	v := buildInfo()
	if g.JSON {
		return g.printJSON(v)
	}
	g.out("%s", v.String())
	return nil
}

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print velin's version, commit, Go version and OS/arch", Args: cobra.NoArgs,
		Example: "  velin version\n  velin --version\n  velin version --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.printVersion()
		},
	}
}
