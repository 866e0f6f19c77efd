// Package archtest checks the import rules of the design: corpus/vntext imports nothing of ours; corpus
// never imports indexer, matcher or server; matcher, alerts and server see the indexer.Index interface,
// never a backend; only server imports Echo (and the Prometheus client); CSV is written only through
// internal/csvsafe.
package archtest

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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
		{"ketnoi/indexer", []string{"github.com/prometheus"}},
		{"ketnoi/matcher", []string{"github.com/prometheus"}},
		{"ketnoi/alerts", []string{"github.com/prometheus"}},
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

// TestCSVIsWrittenSafely: every CSV export goes through internal/csvsafe, which neutralises cells that a
// spreadsheet would run as formulas; encoding/csv's writer is used nowhere else.
func TestCSVIsWrittenSafely(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		found++
		rel, _ := filepath.Rel(root, path)
		if filepath.Dir(rel) == filepath.Join("internal", "csvsafe") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "csv.NewWriter(") {
			t.Errorf("%s writes CSV with encoding/csv directly; use ketnoi/internal/csvsafe.NewWriter (formula injection)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 50 {
		t.Fatalf("only %d Go files found under %s: the walk is looking in the wrong place", found, root)
	}
}
