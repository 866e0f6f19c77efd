package alerts

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
	"ketnoi/matcher"
)

// world is a real store and bleve index holding the sample corpus, with an engine over them.
type world struct {
	dir   string
	store *corpus.Store
	idx   indexer.Index
	eng   *Engine
}

func newWorld(t testing.TB) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{dir: dir}
	w.open(t)
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	w.put(t, recs...)
	return w
}

// open opens (or reopens) the store and index of the world's directory.
func (w *world) open(t testing.TB) {
	t.Helper()
	st, err := corpus.Open(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(w.dir, func(d string) (indexer.Index, error) { return bleveidx.Open(d) })
	if err != nil {
		t.Fatal(err)
	}
	w.store, w.idx = st, idx
	m := matcher.New(idx, st, matcher.DefaultWeights(), 2026)
	w.eng = &Engine{Store: st, Index: idx, Matcher: m, Config: DefaultConfig()}
	t.Cleanup(w.close)
}

func (w *world) close() {
	if w.store != nil {
		w.idx.Close()
		w.store.Close()
		w.store = nil
	}
}

// put stores records and brings the index up to the store, as every write path does.
func (w *world) put(t testing.TB, recs ...corpus.Record) {
	t.Helper()
	if _, err := w.store.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
	w.sync(t)
}

func (w *world) sync(t testing.TB) {
	t.Helper()
	if _, err := indexer.Sync(context.Background(), w.store, w.idx, nil); err != nil {
		t.Fatal(err)
	}
}

func (w *world) pass(t testing.TB) (PassStats, []corpus.Alert) {
	t.Helper()
	st, raised, err := w.eng.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st, raised
}

// need reads a need, without its deadline: the sample's deadlines pass as the clock moves on, and an
// expired need is not re-matched (TestPassSkipsClosedNeeds).
func (w *world) need(t testing.TB, id string) *corpus.Need {
	t.Helper()
	n, err := storedNeed(w.store, id)
	if err != nil || n == nil {
		t.Fatalf("need %s: %v", id, err)
	}
	n.Deadline = ""
	return n
}

// standing makes nc-001 standing, followed by broker, and runs the pass that takes it in.
func (w *world) standing(t testing.TB, broker string) *corpus.Need {
	t.Helper()
	n := w.need(t, "nc-001")
	n.Standing, n.Broker = true, broker
	w.put(t, n)
	if _, raised := w.pass(t); len(raised) != 0 {
		t.Fatalf("a need becoming standing raised %d alerts", len(raised))
	}
	return n
}

// dryer is a result written to answer need nc-001 (anchovy dryer, Hoài Nhơn) closely.
func dryer(id, title string) *corpus.Result {
	return &corpus.Result{ID: id, Kind: corpus.KindResult, Title: title,
		Summary:       "Máy sấy cá cơm luộc bằng bơm nhiệt, sấy được cả mùa mưa, đỡ tốn điện, cá khô giữ màu trắng bạc, không ám mùi khói; mẻ 500–800 kg.",
		Keywords:      []string{"máy sấy", "cá cơm", "bơm nhiệt", "tiết kiệm điện"},
		Applications:  "Cơ sở chế biến cá cơm khô ở Tam Quan Bắc, Hoài Nhơn; có hướng dẫn vận hành và chỉnh nhiệt tận nơi.",
		FieldCodes:    []string{"211"},
		Sectors:       []string{"10"},
		TRL:           8,
		TransferForms: []string{"equipment", "consulting_training"},
		PriceVND:      corpus.Range{Min: 350000000, Max: 500000000},
		Organization:  "Viện Cơ điện Thử nghiệm",
		Year:          2025,
		Province:      "gia-lai",
		Locality:      "hoai-nhon",
	}
}

// unrelated is a result about nothing nc-001 asks for.
func unrelated(id string) *corpus.Result {
	return &corpus.Result{ID: id, Kind: corpus.KindResult, Title: "Phần mềm quản lý hồ sơ bệnh án điện tử cho trạm y tế xã",
		Summary: "Ứng dụng web lưu hồ sơ khám chữa bệnh, kê đơn và báo cáo thống kê cho trạm y tế.", Sectors: []string{"86"}, Year: 2024}
}

// TestPassRaisesOnce follows one standing need through a history of changes, checking after each pass
// which alerts were raised and which pairs qualify.
func TestPassRaisesOnce(t *testing.T) {
	w := newWorld(t)
	standing := w.need(t, "nc-001")
	standing.Standing, standing.Broker = true, "Môi giới B"
	steps := []struct {
		name   string
		change func(t *testing.T)
		raised []string // result ids alerted by the pass
		pair   bool     // whether kq-alert qualifies after the pass
	}{
		{"need becomes standing: what matches now is known, not new", func(t *testing.T) { w.put(t, standing) }, nil, false},
		{"a matching result is added", func(t *testing.T) {
			w.put(t, dryer("kq-alert", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
		}, []string{"kq-alert"}, true},
		{"the same result again: nothing changes", func(t *testing.T) {
			w.put(t, dryer("kq-alert", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
		}, nil, true},
		{"the result is corrected and still matches", func(t *testing.T) {
			w.put(t, dryer("kq-alert", "Máy sấy cá cơm bằng bơm nhiệt, tiết kiệm điện"))
		}, nil, true},
		{"an unrelated result is added", func(t *testing.T) { w.put(t, unrelated("kq-other")) }, nil, true},
		{"the result changes into something else: it drops out", func(t *testing.T) {
			r := unrelated("kq-alert")
			w.put(t, r)
		}, nil, false},
		{"it comes back: a new alert", func(t *testing.T) {
			w.put(t, dryer("kq-alert", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
		}, []string{"kq-alert"}, true},
		{"deleted: it drops out", func(t *testing.T) {
			if err := w.store.Delete([]string{"kq-alert"}); err != nil {
				t.Fatal(err)
			}
			w.sync(t)
		}, nil, false},
		{"added again after the deletion: a new alert", func(t *testing.T) {
			w.put(t, dryer("kq-alert", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
		}, []string{"kq-alert"}, true},
		{"the need is no longer standing: its pairs are forgotten", func(t *testing.T) {
			n := w.need(t, "nc-001")
			n.Standing = false
			w.put(t, n)
		}, nil, false},
		{"a matching result for a need that is not standing: no alert", func(t *testing.T) {
			w.put(t, dryer("kq-alert-2", "Máy sấy cá cơm bơm nhiệt cho hải sản khô"))
		}, nil, false},
	}
	total := 0
	for _, s := range steps {
		s.change(t)
		_, raised := w.pass(t)
		var got []string
		for _, a := range raised {
			got = append(got, a.Result)
			if a.Need != "nc-001" || a.Score < w.eng.Config.Threshold || a.Broker != "Môi giới B" || len(a.Reasons) == 0 ||
				a.ID == "" || a.Seq == 0 || a.Delivery != corpus.DeliveryPending {
				t.Errorf("%s: alert %+v", s.name, a)
			}
		}
		if len(got) != len(s.raised) || (len(got) > 0 && got[0] != s.raised[0]) {
			t.Errorf("%s: raised %v, want %v", s.name, got, s.raised)
		}
		total += len(got)
		pairs, err := w.store.AlertPairs("nc-001")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := pairs["kq-alert"]; ok != s.pair {
			t.Errorf("%s: kq-alert qualifies %v, want %v", s.name, ok, s.pair)
		}
		if cur, _ := w.store.AlertCursor(); cur != mustSeq(t, w.store) {
			t.Errorf("%s: cursor %d, store at %d", s.name, cur, mustSeq(t, w.store))
		}
	}
	list, err := w.store.Alerts(corpus.AlertQuery{Need: "nc-001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != total || total != 3 {
		t.Fatalf("%d alerts stored, %d raised", len(list), total)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Seq >= list[i-1].Seq {
			t.Errorf("alerts not newest first: %d then %d", list[i-1].Seq, list[i].Seq)
		}
	}
	if byBroker, _ := w.store.Alerts(corpus.AlertQuery{Broker: "Môi giới B"}); len(byBroker) != total {
		t.Errorf("broker feed has %d alerts, want %d", len(byBroker), total)
	}
}

// TestPassSameBatch: a need that becomes standing and a result added after it, in one pass: the result
// is new to the need; one added before it is not.
func TestPassSameBatch(t *testing.T) {
	w := newWorld(t)
	n := w.need(t, "nc-001")
	n.Standing = true
	w.put(t, dryer("kq-before", "Máy sấy cá cơm bơm nhiệt đời cũ"))
	w.put(t, n)
	w.put(t, dryer("kq-after", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
	_, raised := w.pass(t)
	if len(raised) != 1 || raised[0].Result != "kq-after" {
		t.Fatalf("raised %+v, want kq-after only", raised)
	}
	pairs, _ := w.store.AlertPairs("nc-001")
	if p, ok := pairs["kq-before"]; !ok || p.Alert != 0 {
		t.Errorf("kq-before should qualify silently: %+v %v", p, ok)
	}
}

// TestPassNewVersionOfAReport: a report file that qualified and alerted is replaced by a new version (a
// new document id): the version that still qualifies is the same result, not news, so no second alert;
// the alert and the pair now name the new id. A version that no longer qualifies drops out.
func TestPassNewVersionOfAReport(t *testing.T) {
	w := newWorld(t)
	w.standing(t, "Môi giới B")
	file := func(id, prev string, r *corpus.Result) {
		t.Helper()
		r.ID = id
		c := corpus.FileChange{State: corpus.FileState{Path: "/bao-cao/may-say.pdf", DocID: id, Outcome: corpus.FileIndexed}, Record: r, Previous: prev}
		if _, err := w.store.PutFiles([]corpus.FileChange{c}); err != nil {
			t.Fatal(err)
		}
		w.sync(t)
	}
	file("tl-v1", "", dryer("", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
	_, raised := w.pass(t)
	if len(raised) != 1 || raised[0].Result != "tl-v1" {
		t.Fatalf("first version raised %+v", raised)
	}
	file("tl-v2", "tl-v1", dryer("", "Máy sấy cá cơm bằng bơm nhiệt, tiết kiệm điện (bản sửa)"))
	if _, again := w.pass(t); len(again) != 0 {
		t.Errorf("the new version of an alerted report raised %+v", again)
	}
	list, err := w.store.Alerts(corpus.AlertQuery{Need: "nc-001"})
	if err != nil || len(list) != 1 || list[0].Result != "tl-v2" || list[0].ID != raised[0].ID {
		t.Errorf("alerts after the new version: %+v %v", list, err)
	}
	pairs, _ := w.store.AlertPairs("nc-001")
	if _, old := pairs["tl-v1"]; old || pairs["tl-v2"].Alert != raised[0].Seq {
		t.Errorf("pairs after the new version: %+v", pairs)
	}
	file("tl-v3", "tl-v2", unrelated(""))
	w.pass(t)
	pairs, _ = w.store.AlertPairs("nc-001")
	_, v2 := pairs["tl-v2"]
	if _, v3 := pairs["tl-v3"]; v2 || v3 {
		t.Errorf("a version that no longer qualifies still pairs: %+v", pairs)
	}
}

// TestPassBrokerChange: alerts follow the need to its new broker.
func TestPassBrokerChange(t *testing.T) {
	w := newWorld(t)
	n := w.standing(t, "A")
	w.put(t, dryer("kq-x", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
	if _, raised := w.pass(t); len(raised) != 1 {
		t.Fatalf("raised %d", len(raised))
	}
	n.Broker = "B"
	w.put(t, n)
	w.pass(t)
	for broker, want := range map[string]int{"A": 0, "B": 1} {
		if got, _ := w.store.Alerts(corpus.AlertQuery{Broker: broker}); len(got) != want {
			t.Errorf("broker %s: %d alerts, want %d", broker, len(got), want)
		}
	}
}

// TestPassWaitsForIndex: changes the index has not applied yet are left for a later pass.
func TestPassWaitsForIndex(t *testing.T) {
	w := newWorld(t)
	w.standing(t, "")
	if _, err := w.store.Put([]corpus.Record{dryer("kq-late", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện")}, "test"); err != nil {
		t.Fatal(err)
	}
	if st, raised := w.pass(t); len(raised) != 0 || st.To != st.From {
		t.Fatalf("pass ran ahead of the index: %+v", st)
	}
	w.sync(t)
	if _, raised := w.pass(t); len(raised) != 1 {
		t.Fatalf("raised %d after the index caught up", len(raised))
	}
}

// TestPassSkipsClosedNeeds: a standing need whose deadline has passed, or that staff closed, gets no
// alerts; reopened, it does again.
func TestPassSkipsClosedNeeds(t *testing.T) {
	w := newWorld(t)
	n := w.need(t, "nc-001")
	n.Standing, n.Deadline = true, "2020-01-31"
	w.put(t, n)
	w.pass(t)
	w.put(t, dryer("kq-1", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện"))
	if st, raised := w.pass(t); len(raised) != 0 || st.Closed != 1 {
		t.Fatalf("expired need: raised %d, stats %+v", len(raised), st)
	}
	n.Deadline = ""
	w.put(t, n)
	w.pass(t)
	if err := w.store.SetNeedState("nc-001", corpus.NeedClosed, corpus.ActorSystem, "đã tìm được"); err != nil {
		t.Fatal(err)
	}
	w.put(t, dryer("kq-2", "Máy sấy cá cơm bơm nhiệt cho hải sản khô"))
	if st, raised := w.pass(t); len(raised) != 0 || st.Closed != 1 {
		t.Fatalf("closed need: raised %d, stats %+v", len(raised), st)
	}
	if err := w.store.SetNeedState("nc-001", corpus.NeedPublished, corpus.ActorSystem, ""); err != nil {
		t.Fatal(err)
	}
	w.put(t, dryer("kq-3", "Máy sấy cá cơm bơm nhiệt tiết kiệm điện, mẻ 800 kg"))
	if _, raised := w.pass(t); len(raised) != 1 || raised[0].Result != "kq-3" {
		t.Fatalf("reopened need: raised %+v", raised)
	}
}

// TestCommitAlertPassCursorMoved: a pass that started from a stale cursor writes nothing.
func TestCommitAlertPassCursorMoved(t *testing.T) {
	w := newWorld(t)
	_, err := w.store.CommitAlertPass(&corpus.AlertPass{From: 5, To: 9, Raise: []corpus.Alert{{Need: "nc-001", Result: "x"}}})
	if !errors.Is(err, corpus.ErrAlertCursorMoved) {
		t.Fatalf("err %v", err)
	}
	if list, _ := w.store.Alerts(corpus.AlertQuery{}); len(list) != 0 {
		t.Fatalf("%d alerts written", len(list))
	}
}

func mustSeq(t testing.TB, st *corpus.Store) uint64 {
	t.Helper()
	n, err := st.Seq()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOnlyChangedMatchesLikeMatch: through the restricted view, the matcher gives the changed results
// exactly what a full Match gives them (score, components, reasons, matched terms, fragments), and reads
// no other result but the best candidate.
func TestOnlyChangedMatchesLikeMatch(t *testing.T) {
	w := newWorld(t)
	recs, _ := sample.Records()
	changed := map[string]uint64{}
	var needs []*corpus.Need
	for i, r := range recs {
		switch r := r.(type) {
		case *corpus.Result:
			if i%7 == 0 {
				changed[r.ID] = 1
			}
		case *corpus.Need:
			if len(needs) < 25 {
				needs = append(needs, r)
			}
		}
	}
	restricted := matcher.New(&onlyChanged{Index: w.idx, changed: changed}, w.store, w.eng.Matcher.Weights(), w.eng.Matcher.Now)
	compared := 0
	for _, n := range needs {
		full, err := w.eng.Matcher.Match(context.Background(), n, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := restricted.Match(context.Background(), n, 0)
		if err != nil {
			t.Fatal(err)
		}
		all := map[string]matcher.Match{}
		changedInFull := 0
		for _, m := range full {
			all[m.ID] = m
			if _, ok := changed[m.ID]; ok {
				changedInFull++
			}
		}
		seen, others := 0, 0
		for _, m := range got {
			wm, ok := all[m.ID]
			if !ok {
				t.Errorf("%s: restricted match has %s, which a full match does not rank", n.ID, m.ID)
				continue
			}
			if _, isChanged := changed[m.ID]; isChanged {
				seen++
			} else {
				others++ // the best text candidate, read for the normalisation
			}
			if !reflect.DeepEqual(m, wm) {
				t.Errorf("%s/%s:\nrestricted %+v\nfull       %+v", n.ID, m.ID, m, wm)
			}
		}
		if seen != changedInFull || others > 1 {
			t.Errorf("%s: %d changed results matched (full match: %d), %d others", n.ID, seen, changedInFull, others)
		}
		compared += seen
	}
	if compared < 100 {
		t.Fatalf("only %d matches compared", compared)
	}
}
