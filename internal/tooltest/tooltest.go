// Package tooltest lets tests use external tools (tesseract, pdftotext, chromium, sqlite3, iconv): a test
// skips with a clear message where the tool is missing, and fails instead when KETNOI_REQUIRE_TOOLS=1 (set
// by CI), so that a missing install step cannot pass unnoticed.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing tools must fail tests.
func Required() bool { return os.Getenv("KETNOI_REQUIRE_TOOLS") == "1" }

// Need returns the path of a tool, or skips (fails under KETNOI_REQUIRE_TOOLS=1) the test when it is not
// installed. why says what the test needs it for.
func Need(t testing.TB, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if Required() {
		t.Fatalf("%s is required (KETNOI_REQUIRE_TOOLS=1) for %s but is not installed", name, why)
	}
	t.Skipf("%s not installed: skipping %s (install it, or set KETNOI_REQUIRE_TOOLS=1 to make this fail)", name, why)
	return ""
}
