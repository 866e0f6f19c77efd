package main

import (
	"os"
	"testing"

	"ketnoi/indexer/extract"
)

// TestMain lets the test binary act as an extraction worker, as the real binary does: commands run in
// the tests re-execute it (os.Executable) for their worker pools.
func TestMain(m *testing.M) {
	if os.Getenv(extract.WorkerEnv) != "" {
		os.Exit(serveWorker())
	}
	os.Exit(m.Run())
}
