package corpus

import (
	"testing"
	"time"
)

// version is a new content of the report file path, giving document id (a failed read when id is ""),
// in place of the document prev.
func version(t *testing.T, s *Store, path, id, prev string) {
	t.Helper()
	c := FileChange{State: FileState{Path: path, DocID: id, Outcome: FileIndexed}, Previous: prev}
	if id == "" {
		c.State.Outcome = FileFailed
	} else {
		c.Record = res(id, "Máy sấy cá cơm bằng bơm nhiệt, bản "+id)
	}
	if _, err := s.PutFiles([]FileChange{c}); err != nil {
		t.Fatal(err)
	}
}

func replacement(t *testing.T, s *Store, id string) string {
	t.Helper()
	to, err := s.Replacement(id)
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// TestReplacedReportKeepsWhatPointsToIt: a report file changed (a new content, so a new id) takes its
// brokers' decisions, the alert state of standing needs and its alerts to the new id, and its old id
// leads to the new one; what belonged to another report stays put.
func TestReplacedReportKeepsWhatPointsToIt(t *testing.T) {
	s, _ := feedbackStore(t)
	version(t, s, "/bao-cao/say.pdf", "tl-1", "")
	if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-1", ResultID: "tl-1", Decision: DecisionReject, Reason: "price"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-1", ResultID: "tl-1", Decision: DecisionAccept}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-2", ResultID: "kq-1", Decision: DecisionAccept}); err != nil {
		t.Fatal(err)
	}
	raised, err := s.CommitAlertPass(&AlertPass{
		Standing: map[string]*StandingNeed{"nc-1": {Broker: "Môi giới B"}},
		Pairs:    map[string]map[string]*AlertPair{"nc-1": {"kq-2": {Score: 0.7}}},
		Raise:    []Alert{{Need: "nc-1", Result: "tl-1", Score: 0.8, ResultTitle: "Máy sấy cá cơm"}},
	})
	if err != nil || len(raised) != 1 {
		t.Fatalf("alert pass: %v %v", raised, err)
	}

	var exported []Feedback // as `ketnoi export --kind feedback` had them before the file changed
	if err := s.EachFeedback("", func(f Feedback) error { exported = append(exported, f); return nil }); err != nil {
		t.Fatal(err)
	}

	version(t, s, "/bao-cao/say.pdf", "tl-2", "tl-1")

	if _, err := s.Get("tl-1"); err != ErrNotFound {
		t.Errorf("old version still live: %v", err)
	}
	if to := replacement(t, s, "tl-1"); to != "tl-2" {
		t.Errorf("tl-1 replaced by %q, want tl-2", to)
	}
	if to := replacement(t, s, "tl-2"); to != "" {
		t.Errorf("a live result has a replacement: %q", to)
	}
	var history []Feedback
	if err := s.EachFeedback("nc-1", func(f Feedback) error { history = append(history, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(history) != 2 || history[0].ResultID != "tl-2" || history[0].Decision != DecisionReject || !history[0].Superseded ||
		history[1].ResultID != "tl-2" || history[1].Decision != DecisionAccept || history[1].Superseded {
		t.Errorf("decisions of nc-1 after the replacement: %+v", history)
	}
	if latest, err := s.LatestFeedback("nc-2"); err != nil || latest["kq-1"].Decision != DecisionAccept {
		t.Errorf("another need's decision moved: %+v %v", latest, err)
	}
	if st, err := s.NeedState("nc-1", time.Now()); err != nil || st != NeedMatched {
		t.Errorf("nc-1 state %q (%v), want matched", st, err)
	}
	// The earlier export imported again: already there, under the new id.
	if added, bad, err := s.ImportFeedback(exported, []int{2, 3, 4}); added != 0 || len(bad) != 0 || err != nil {
		t.Errorf("importing decisions made before the replacement: %d added, %v, %v", added, bad, err)
	}
	// A decision sent with the old id (a page opened before the file changed) is on the new version.
	if f, prev, err := s.AddFeedback(Feedback{NeedID: "nc-1", ResultID: "tl-1", Decision: DecisionReject, Reason: "price"}); err != nil ||
		f.ResultID != "tl-2" || prev == nil || prev.Decision != DecisionAccept {
		t.Errorf("decision on the old id: %+v, supersedes %+v, %v", f, prev, err)
	}
	pairs, err := s.AlertPairs("nc-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, old := pairs["tl-1"]; old || pairs["tl-2"].Alert != raised[0].Seq || pairs["kq-2"].Score != 0.7 {
		t.Errorf("alert pairs of nc-1: %+v", pairs)
	}
	alerts, err := s.Alerts(AlertQuery{Need: "nc-1"})
	if err != nil || len(alerts) != 1 || alerts[0].Result != "tl-2" || alerts[0].ID != raised[0].ID || alerts[0].ResultTitle != "Máy sấy cá cơm" {
		t.Errorf("alerts of nc-1: %+v %v", alerts, err)
	}
}

// TestReplacementChains: versions follow each other (a chain resolves to the live one, a file changed
// back to an earlier content is live again under its old id), and neither a deleted document nor a file
// whose new version could not be read leads anywhere.
func TestReplacementChains(t *testing.T) {
	s, _ := feedbackStore(t)
	const p = "/bao-cao/say.pdf"
	steps := []struct {
		name    string
		do      func()
		resolve map[string]string // id → where it leads ("" nowhere)
	}{
		{"first", func() { version(t, s, p, "tl-a", "") }, map[string]string{"tl-a": ""}},
		{"second", func() { version(t, s, p, "tl-b", "tl-a") }, map[string]string{"tl-a": "tl-b", "tl-b": ""}},
		{"third", func() { version(t, s, p, "tl-c", "tl-b") }, map[string]string{"tl-a": "tl-c", "tl-b": "tl-c", "tl-c": ""}},
		{"back to the first", func() { version(t, s, p, "tl-a", "tl-c") }, map[string]string{"tl-a": "", "tl-b": "tl-a", "tl-c": "tl-a"}},
		{"deleted", func() {
			if err := s.Delete([]string{"tl-a"}); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"tl-a": "", "tl-b": "", "tl-c": ""}},
		{"another file", func() { version(t, s, "/bao-cao/ca.pdf", "tl-d", "") }, map[string]string{"tl-d": ""}},
		{"unreadable version", func() { version(t, s, "/bao-cao/ca.pdf", "", "tl-d") }, map[string]string{"tl-d": ""}},
		{"never known", func() {}, map[string]string{"tl-zz": "", "nc-1": ""}},
	}
	for _, st := range steps {
		st.do()
		for id, want := range st.resolve {
			if got := replacement(t, s, id); got != want {
				t.Errorf("%s: %s leads to %q, want %q", st.name, id, got, want)
			}
		}
	}
}

// TestReplacementMergesDecisions: a file whose new content is another file's report joins that document;
// the decisions on both merge in the order they were made, and the need's state follows the merged
// current decision.
func TestReplacementMergesDecisions(t *testing.T) {
	s, _ := feedbackStore(t)
	version(t, s, "/bao-cao/a.pdf", "tl-a", "")
	version(t, s, "/bao-cao/b.pdf", "tl-b", "")
	if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-1", ResultID: "tl-a", Decision: DecisionAccept}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-1", ResultID: "tl-b", Decision: DecisionReject, Reason: "price"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.NeedState("nc-1", time.Now()); st != NeedMatched {
		t.Fatalf("nc-1 %q before, want matched", st)
	}
	// a.pdf now holds b.pdf's report: one document, tl-b, with both paths.
	c := FileChange{State: FileState{Path: "/bao-cao/a.pdf", DocID: "tl-b", Outcome: FileIndexed}, Record: res("tl-b", "Máy sấy cá cơm bằng bơm nhiệt, bản tl-b"), Previous: "tl-a"}
	if _, err := s.PutFiles([]FileChange{c}); err != nil {
		t.Fatal(err)
	}
	if to := replacement(t, s, "tl-a"); to != "tl-b" {
		t.Errorf("tl-a leads to %q", to)
	}
	latest, err := s.LatestFeedback("nc-1")
	if err != nil || len(latest) != 1 || latest["tl-b"].Decision != DecisionReject {
		t.Errorf("current decisions: %+v %v", latest, err)
	}
	if st, err := s.NeedState("nc-1", time.Now()); err != nil || st != NeedPublished {
		t.Errorf("nc-1 %q (%v), want published: its later decision on the report is a rejection", st, err)
	}
}
