package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func feedbackStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	recs := []Record{
		&Need{ID: "nc-1", Kind: KindNeed, Title: "Cần máy sấy cá cơm"},
		&Need{ID: "nc-2", Kind: KindNeed, Title: "Cần chế phẩm ủ phân"},
		&Need{ID: "nc-xoa", Kind: KindNeed, Title: "Nhu cầu đã xoá"},
		res("kq-1", "Máy sấy bơm nhiệt"), res("kq-2", "Lò sấy năng lượng mặt trời"),
	}
	if _, err := s.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete([]string{"nc-xoa"}); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestFeedbackRefusals(t *testing.T) {
	s, _ := feedbackStore(t)
	long := strings.Repeat("ý ", MaxFeedbackNote)
	for _, tc := range []struct {
		name        string
		f           Feedback
		field, code string
		msg         string // part of the Vietnamese message
	}{
		{"no need", Feedback{ResultID: "kq-1", Decision: "accept"}, "need_id", "missing_need_id", "Thiếu mã nhu cầu"},
		{"no result", Feedback{NeedID: "nc-1", Decision: "accept"}, "result_id", "missing_result_id", "Thiếu mã kết quả"},
		{"control char", Feedback{NeedID: "nc\x00-1", ResultID: "kq-1", Decision: "accept"}, "need_id", "bad_need_id", "ký tự điều khiển"},
		{"same id", Feedback{NeedID: "kq-1", ResultID: "kq-1", Decision: "accept"}, "result_id", "same_id", "trùng nhau"},
		{"no decision", Feedback{NeedID: "nc-1", ResultID: "kq-1"}, "decision", "missing_decision", "accept (chấp nhận) hoặc reject"},
		{"bad decision", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "maybe"}, "decision", "bad_decision", `"maybe"`},
		{"reject without reason", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "reject"}, "reason", "missing_reason", "too_early_stage"},
		{"unknown reason", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "reject", Reason: "dat"}, "reason", "bad_reason", `"dat" không có trong danh mục`},
		{"accept reason on reject", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "reject", Reason: "good_fit"}, "reason", "reason_mismatch", "không dùng khi từ chối"},
		{"reject reason on accept", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "accept", Reason: "price"}, "reason", "reason_mismatch", "không dùng khi chấp nhận"},
		{"other without note", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "reject", Reason: "other", Note: "  "}, "note", "missing_note", "cần ghi chú"},
		{"long note", Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "accept", Note: long}, "note", "note_too_long", "tối đa 2000"},
		{"unknown need", Feedback{NeedID: "nc-9", ResultID: "kq-1", Decision: "accept"}, "need_id", "unknown_need", `"nc-9"`},
		{"deleted need", Feedback{NeedID: "nc-xoa", ResultID: "kq-1", Decision: "accept"}, "need_id", "unknown_need", `"nc-xoa"`},
		{"result as need", Feedback{NeedID: "kq-2", ResultID: "kq-1", Decision: "accept"}, "need_id", "not_a_need", "không phải nhu cầu"},
		{"need as result", Feedback{NeedID: "nc-1", ResultID: "nc-2", Decision: "accept"}, "result_id", "not_a_result", "là một nhu cầu"},
		{"unknown result", Feedback{NeedID: "nc-1", ResultID: "kq-9", Decision: "reject", Reason: "price"}, "result_id", "unknown_result", `"kq-9"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, call := range []func() error{
				func() error { _, _, err := s.CheckFeedback(&tc.f); return err },
				func() error { _, _, err := s.AddFeedback(tc.f); return err },
			} {
				var fe *FeedbackError
				if err := call(); !errors.As(err, &fe) || fe.Field != tc.field || fe.Code != tc.code || !strings.Contains(fe.Message, tc.msg) {
					t.Errorf("got %v (%+v), want %s/%s containing %q", err, fe, tc.field, tc.code, tc.msg)
				}
			}
		})
	}
	n := 0
	if err := s.EachFeedback("", func(Feedback) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("refused decisions stored: %d, %v", n, err)
	}
}

// TestFeedbackSupersedesAndKeepsHistory: a later decision on a pair is the current one, the earlier stays
// in the history marked superseded; other pairs are untouched; everything survives closing the store.
func TestFeedbackSupersedesAndKeepsHistory(t *testing.T) {
	s, dir := feedbackStore(t)
	actor := FeedbackActor{ID: "k1", Name: "Môi giới Bình", Role: "broker"}
	add := func(f Feedback) (Feedback, *Feedback) {
		t.Helper()
		f.Actor = actor
		got, prev, err := s.AddFeedback(f)
		if err != nil {
			t.Fatal(err)
		}
		return got, prev
	}
	before := time.Now().UTC()
	first, prev := add(Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "reject", Reason: "too_early_stage", Note: "  Cần\r\nthử  nghiệm thêm ", Score: 0.71,
		Components: map[string]float64{"text": 0.9}, Rank: 2})
	if prev != nil || first.Seq == 0 || first.Time.Before(before) || first.Note != "Cần\nthử nghiệm thêm" || first.Actor != actor {
		t.Fatalf("first decision: %+v, previous %+v", first, prev)
	}
	if ok, _ := s.HasAcceptedMatch("nc-1"); ok {
		t.Error("a rejection counted as an accepted match")
	}
	add(Feedback{NeedID: "nc-1", ResultID: "kq-2", Decision: "reject", Reason: "price"})
	add(Feedback{NeedID: "nc-2", ResultID: "kq-1", Decision: "accept"})
	second, prev := add(Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: "accept", Reason: "co_development"})
	if prev == nil || prev.Seq != first.Seq || !prev.Superseded || second.Seq <= first.Seq {
		t.Fatalf("second decision %+v superseding %+v", second, prev)
	}
	if ok, err := s.HasAcceptedMatch("nc-1"); !ok || err != nil {
		t.Errorf("accepted match not seen: %v %v", ok, err)
	}
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var all []Feedback
	if err := s.EachFeedback("", func(f Feedback) error { all = append(all, f); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		need, result, decision string
		superseded             bool
	}{{"nc-1", "kq-1", "reject", true}, {"nc-1", "kq-1", "accept", false}, {"nc-1", "kq-2", "reject", false}, {"nc-2", "kq-1", "accept", false}}
	if len(all) != len(want) {
		t.Fatalf("%d decisions, want %d: %+v", len(all), len(want), all)
	}
	for i, w := range want {
		f := all[i]
		if f.NeedID != w.need || f.ResultID != w.result || f.Decision != w.decision || f.Superseded != w.superseded {
			t.Errorf("decision %d: %+v, want %+v", i, f, w)
		}
	}
	if all[0].Components["text"] != 0.9 || all[0].Rank != 2 || all[0].Score != 0.71 {
		t.Errorf("score at the time of the decision lost: %+v", all[0])
	}
	latest, err := s.LatestFeedback("nc-1")
	if err != nil || len(latest) != 2 || latest["kq-1"].Decision != "accept" || latest["kq-2"].Reason != "price" {
		t.Errorf("latest of nc-1: %+v %v", latest, err)
	}
	var one []Feedback
	s.EachFeedback("nc-2", func(f Feedback) error { one = append(one, f); return nil })
	if len(one) != 1 || one[0].ResultID != "kq-1" {
		t.Errorf("nc-2 alone: %+v", one)
	}
	// A need id that is the prefix of another's does not pick up the other's decisions.
	if l, _ := s.LatestFeedback("nc"); len(l) != 0 {
		t.Errorf("prefix leak: %+v", l)
	}
}

func TestFeedbackReasonsVocabulary(t *testing.T) {
	for _, d := range []string{DecisionAccept, DecisionReject} {
		if len(ReasonsFor(d)) < 3 || !ReasonFits(ReasonOther, d) {
			t.Errorf("%s: reasons %v", d, ReasonsFor(d))
		}
	}
	for _, code := range []string{"too_early_stage", "benefit_unclear", "price", "ip", "not_relevant", "already_known"} {
		if !ReasonFits(code, DecisionReject) || ReasonFits(code, DecisionAccept) {
			t.Errorf("%s should be a reason to reject only", code)
		}
	}
	if FeedbackReasons.Label("too_early_stage") != "Kết quả còn ở giai đoạn quá sớm" {
		t.Errorf("label: %q", FeedbackReasons.Label("too_early_stage"))
	}
	for _, term := range FeedbackReasons.Terms() {
		if len(term.Extra) != 1 || (!ReasonFits(term.Code, DecisionAccept) && !ReasonFits(term.Code, DecisionReject)) {
			t.Errorf("%s: decisions column %v", term.Code, term.Extra)
		}
	}
}

// TestFeedbackSetsNeedState: an accepted match makes the need matched, in the decision's transaction;
// when the accepted pair is rejected later the need is published again; a closed need stays closed.
func TestFeedbackSetsNeedState(t *testing.T) {
	s, _ := feedbackStore(t)
	now := time.Now()
	state := func(id string) string {
		t.Helper()
		st, err := s.NeedState(id, now)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	broker := FeedbackActor{ID: "k2", Name: "Môi giới Bình", Role: string(RoleBroker)}
	for _, step := range []struct {
		need, result, decision, reason, want string
	}{
		{"nc-1", "kq-1", DecisionReject, "price", NeedPublished},
		{"nc-1", "kq-2", DecisionAccept, "", NeedMatched},
		{"nc-1", "kq-1", DecisionAccept, "good_fit", NeedMatched},
		{"nc-1", "kq-2", DecisionReject, "ip", NeedMatched}, // kq-1 is still accepted
		{"nc-1", "kq-1", DecisionReject, "not_relevant", NeedPublished},
	} {
		if _, _, err := s.AddFeedback(Feedback{NeedID: step.need, ResultID: step.result, Decision: step.decision, Reason: step.reason, Actor: broker}); err != nil {
			t.Fatal(err)
		}
		if got := state(step.need); got != step.want {
			t.Errorf("after %s %s → %s: state %s, want %s", step.decision, step.need, step.result, got, step.want)
		}
		if ok, _ := s.HasAcceptedMatch(step.need); ok != (step.want == NeedMatched) {
			t.Errorf("after %s %s → %s: HasAcceptedMatch %v", step.decision, step.need, step.result, ok)
		}
	}
	st, err := s.NeedStatus("nc-1")
	if err != nil {
		t.Fatal(err)
	}
	last := st.Last()
	if last.Actor.ID != "k2" || last.Actor.Role != RoleBroker || !strings.Contains(last.Reason, "tiếp tục") {
		t.Errorf("last state change: %+v", last)
	}
	if !strings.Contains(st.History[1].Reason, "Lò sấy năng lượng mặt trời") {
		t.Errorf("matched change does not name the result: %+v", st.History[1])
	}
	// Staff closed the need: a later acceptance records the decision and leaves it closed.
	if err := s.SetNeedState("nc-2", NeedClosed, Actor{ID: "k1", Role: RoleStaff}, "đã đủ"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-2", ResultID: "kq-1", Decision: DecisionAccept, Actor: broker}); err != nil {
		t.Fatal(err)
	}
	if got := state("nc-2"); got != NeedClosed {
		t.Errorf("closed need became %s", got)
	}
}

// TestFeedbackSurvivesBackup: decisions are part of the store, so a backup carries them and a restore
// gives them back with their history.
func TestFeedbackSurvivesBackup(t *testing.T) {
	s, _ := feedbackStore(t)
	for _, d := range []string{DecisionReject, DecisionAccept} {
		reason := "price"
		if d == DecisionAccept {
			reason = "good_fit"
		}
		if _, _, err := s.AddFeedback(Feedback{NeedID: "nc-1", ResultID: "kq-1", Decision: d, Reason: reason}); err != nil {
			t.Fatal(err)
		}
	}
	arch, _ := backupBytes(t, s)
	dir := filepath.Join(t.TempDir(), "khoi-phuc")
	if _, err := Restore(bytes.NewReader(arch), dir); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	r.EachFeedback("", func(f Feedback) error {
		got = append(got, fmt.Sprintf("%s %s %v", f.Decision, f.Reason, f.Superseded))
		return nil
	})
	if strings.Join(got, "; ") != "reject price true; accept good_fit false" {
		t.Errorf("restored decisions: %v", got)
	}
}
