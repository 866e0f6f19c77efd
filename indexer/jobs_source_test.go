package indexer_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ketnoi/indexer"
)

// TestJobsTwoVersionsOfOneFile: two uploads naming the same file, queued together, are not run side by
// side (both would replace the same last version, and the earlier would be left behind): the later runs
// after and replaces the earlier, which is reported added, the later updated.
func TestJobsTwoVersionsOfOneFile(t *testing.T) {
	e := newEnv(t)
	p := &indexer.Pipeline{Store: e.store, Index: e.idx, Extractor: e.x, Workers: 2}
	jobs, err := indexer.NewJobs(p, filepath.Join(e.data, "uploads"), 8)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, text := range []string{"Nuôi cá bớp trong lồng bè, mật độ 5 con/m³.", "Nuôi cá bớp trong lồng bè, mật độ 8 con/m³, bản sửa."} {
		st, err := jobs.Stage("cá bớp.txt", strings.NewReader(text), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		j, err := st.Commit(nil, "", false, "bao-cao/ca-bop.txt")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { jobs.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	var outs []*indexer.FileOutcome
	for _, id := range ids {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			j, _ := jobs.Get(id)
			if j.State == indexer.JobDone || j.State == indexer.JobFailed {
				outs = append(outs, j.Outcome)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s not finished: %+v", id, j)
			}
		}
	}
	if outs[0] == nil || outs[1] == nil || outs[0].Outcome != indexer.OutcomeAdded || outs[1].Outcome != indexer.OutcomeUpdated {
		t.Fatalf("outcomes %+v %+v, want added then updated", outs[0], outs[1])
	}
	if to, err := e.store.Replacement(outs[0].DocID); err != nil || to != outs[1].DocID {
		t.Errorf("first version %s replaced by %q (%v), want %s", outs[0].DocID, to, err, outs[1].DocID)
	}
	if ids := e.search("cá bớp"); len(ids) != 1 || ids[0] != outs[1].DocID {
		t.Errorf("search: %v, want only %s", ids, outs[1].DocID)
	}
}
