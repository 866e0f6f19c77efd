package pdffixture

import (
	"testing"

	"ketnoi/internal/tooltest"
)

// NeedFont skips the test when DejaVu Sans is missing, or fails it under KETNOI_REQUIRE_TOOLS=1 (CI), as
// tooltest.Need does for programs: the fixtures cannot be built without the font.
func NeedFont(t testing.TB) *TTF {
	t.Helper()
	f, err := LoadFont()
	if err == nil {
		return f
	}
	if tooltest.Required() {
		t.Fatalf("%v (KETNOI_REQUIRE_TOOLS=1)", err)
	}
	t.Skipf("%v: skipping", err)
	return nil
}
