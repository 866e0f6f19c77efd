// Package archtest checks the import rules of the design: corpus/vntext imports nothing of ours; corpus
// never imports indexer, matcher or server; matcher, alerts and server see the indexer.Index interface,
// never a backend; only server imports Echo.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestImportRules(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"ketnoi/corpus/vntext", []string{"ketnoi/"}},
		{"ketnoi/corpus", []string{"ketnoi/indexer", "ketnoi/matcher", "ketnoi/server", "github.com/labstack/echo", "github.com/blevesearch"}},
		{"ketnoi/indexer", []string{"ketnoi/indexer/bleveidx", "ketnoi/matcher", "ketnoi/server", "github.com/blevesearch", "github.com/labstack/echo"}},
		{"ketnoi/matcher", []string{"ketnoi/indexer/bleveidx", "ketnoi/server", "github.com/blevesearch", "github.com/labstack/echo"}},
		{"ketnoi/server", []string{"ketnoi/indexer/bleveidx", "github.com/blevesearch"}},
		{"ketnoi/alerts", []string{"ketnoi/indexer/bleveidx", "ketnoi/server", "github.com/blevesearch", "github.com/labstack/echo"}},
		{"ketnoi/indexer/bleveidx", []string{"ketnoi/matcher", "ketnoi/server", "github.com/labstack/echo"}},
	}
	for _, r := range rules {
		for _, d := range deps(t, r.pkg) {
			if d == r.pkg {
				continue
			}
			for _, f := range r.forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s depends on %s (forbidden: %s)", r.pkg, d, f)
				}
			}
		}
	}
}
