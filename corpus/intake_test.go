package corpus

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// intakeNow is the clock of the intake tests: 1 October 2025, 10:00 in Việt Nam.
var intakeNow = time.Date(2025, 10, 1, 10, 0, 0, 0, Vietnam)

func goodSubmission() *Need {
	return &Need{
		Title:           "Cần máy sấy cá cơm đỡ tốn điện",
		Description:     "Mùa mưa cá phơi ngoài bãi bị nhớt, thâm đen; cần máy sấy 500 kg mỗi mẻ, giữ màu trắng bạc.",
		Enterprise:      "Cơ sở chế biến hải sản Lộc Phát",
		EnterpriseSize:  "household",
		Scale:           "2–3 tấn cá tươi mỗi ngày mùa cá nam",
		Contact:         "Anh Lộc, 0905 123 456",
		Confidentiality: ConfPublic,
		BudgetVND:       Range{Min: 300_000_000, Max: 600_000_000},
		Deadline:        "2026-03-31",
		Locality:        "hoai-nhon",
		Sectors:         []string{"10"},
	}
}

func TestCheckSubmission(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(n *Need)
		field  string // "" when the need must pass
		code   string
		inText string // a piece of the message
	}{
		{name: "valid", edit: func(*Need) {}},
		{name: "locality by its name", edit: func(n *Need) { n.Locality = "Hoài Nhơn" }},
		{name: "e-mail instead of phone", edit: func(n *Need) { n.Contact = "chị Hoa <hoa.nguyen@locphat.vn>" }},
		{name: "phone written +84", edit: func(n *Need) { n.Contact = "+84 905.123.456" }},
		{name: "deadline today", edit: func(n *Need) { n.Deadline = "2025-10-01" }},
		{name: "no budget, no deadline", edit: func(n *Need) { n.BudgetVND, n.Deadline = Range{}, "" }},
		{name: "VSIC code under a known division", edit: func(n *Need) { n.Sectors = []string{"1020"} }},
		{name: "no title", edit: func(n *Need) { n.Title = "  " }, field: "title", code: ProblemMissingField, inText: "tên ngắn gọn"},
		{name: "short title", edit: func(n *Need) { n.Title = "Máy sấy" }, field: "title", code: ProblemOutOfRange, inText: "7 ký tự"},
		{name: "long title", edit: func(n *Need) { n.Title = strings.Repeat("máy ", 60) }, field: "title", code: ProblemOutOfRange, inText: "quá giới hạn 200"},
		{name: "no description", edit: func(n *Need) { n.Description = "" }, field: "description", code: ProblemMissingField},
		{name: "short description", edit: func(n *Need) { n.Description = "Cần máy sấy." }, field: "description", code: ProblemOutOfRange, inText: "ít nhất 30"},
		{name: "no enterprise", edit: func(n *Need) { n.Enterprise = "" }, field: "enterprise", code: ProblemMissingField},
		{name: "no contact", edit: func(n *Need) { n.Contact = "" }, field: "contact", code: ProblemMissingField},
		{name: "contact without phone or e-mail", edit: func(n *Need) { n.Contact = "Anh Lộc ở chợ Tam Quan, số 12" }, field: "contact", code: ProblemBadValue, inText: "số điện thoại"},
		{name: "confidentiality not chosen", edit: func(n *Need) { n.Confidentiality = "" }, field: "confidentiality", code: ProblemMissingField, inText: "ai được xem"},
		{name: "confidentiality unknown", edit: func(n *Need) { n.Confidentiality = "secret" }, field: "confidentiality", code: ProblemUnknownCode, inText: `"secret"`},
		{name: "enterprise size unknown", edit: func(n *Need) { n.EnterpriseSize = "giant" }, field: "enterprise_size", code: ProblemUnknownCode},
		{name: "locality outside the province", edit: func(n *Need) { n.Locality = "Ba Đình" }, field: "locality", code: ProblemUnknownCode, inText: "địa bàn"},
		{name: "sector unknown", edit: func(n *Need) { n.Sectors = []string{"ZZ"} }, field: "sectors", code: ProblemUnknownCode, inText: "VSIC"},
		{name: "too many sectors", edit: func(n *Need) { n.Sectors = strings.Fields("01 02 03 05 06 07 08 10 11 12 13") }, field: "sectors", code: ProblemOutOfRange},
		{name: "transfer form unknown", edit: func(n *Need) { n.TransferForms = []string{"turnkey"} }, field: "transfer_forms", code: ProblemUnknownCode},
		{name: "min TRL out of scale", edit: func(n *Need) { n.MinTRL = 12 }, field: "min_trl", code: ProblemOutOfRange, inText: "1 đến 9"},
		{name: "negative budget", edit: func(n *Need) { n.BudgetVND.Min = -5 }, field: "budget_vnd.min", code: ProblemOutOfRange, inText: "âm"},
		{name: "budget bounds swapped", edit: func(n *Need) { n.BudgetVND = Range{Min: 600_000_000, Max: 300_000_000} }, field: "budget_vnd.max", code: ProblemOutOfRange, inText: "300.000.000 ₫"},
		{name: "budget absurd", edit: func(n *Need) { n.BudgetVND.Max = MaxNeedBudget * 10 }, field: "budget_vnd.max", code: ProblemOutOfRange, inText: "số chữ số 0"},
		{name: "deadline not a date", edit: func(n *Need) { n.Deadline = "31/03/2026" }, field: "deadline", code: ProblemBadValue, inText: "năm-tháng-ngày"},
		{name: "deadline passed", edit: func(n *Need) { n.Deadline = "2025-09-30" }, field: "deadline", code: ProblemOutOfRange, inText: "30/09/2025 đã qua"},
		{name: "deadline too far", edit: func(n *Need) { n.Deadline = "2040-01-01" }, field: "deadline", code: ProblemOutOfRange, inText: "10 năm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := goodSubmission()
			tt.edit(n)
			probs := CheckSubmission(n, intakeNow)
			var rejected Problems
			for _, p := range probs {
				if p.Severity == Rejected {
					rejected = append(rejected, p)
				}
			}
			if tt.field == "" {
				if len(rejected) > 0 {
					t.Fatalf("rejected: %s", rejected)
				}
				return
			}
			if len(rejected) != 1 {
				t.Fatalf("want one problem on %s, got %d:\n%s", tt.field, len(rejected), rejected)
			}
			p := rejected[0]
			if p.Field != tt.field || p.Code != tt.code || !strings.Contains(p.Message, tt.inText) {
				t.Errorf("problem %+v, want field %s, code %s, message with %q", p, tt.field, tt.code, tt.inText)
			}
		})
	}
}

func TestCheckSubmissionNormalises(t *testing.T) {
	n := goodSubmission()
	n.Title = norm.NFD.String("  Cần máy sấy cá cơm  ")
	n.Locality = "Hoài Nhơn"
	n.EnterpriseSize = "Hộ kinh doanh, cơ sở sản xuất nhỏ"
	if probs := CheckSubmission(n, intakeNow); probs.Rejected() {
		t.Fatal(probs)
	}
	if n.Title != "Cần máy sấy cá cơm" || !norm.NFC.IsNormalString(n.Title) {
		t.Errorf("title %q not trimmed NFC", n.Title)
	}
	if n.Locality != "hoai-nhon" || n.Province != "gia-lai" || n.LegacyProvince != "binh-dinh" {
		t.Errorf("place: %q %q %q", n.Locality, n.Province, n.LegacyProvince)
	}
	if n.EnterpriseSize != "household" {
		t.Errorf("enterprise size %q, want its code", n.EnterpriseSize)
	}
	if n.ID != "" || n.Kind != KindNeed {
		t.Errorf("id %q kind %q: the id is the store's to give", n.ID, n.Kind)
	}
}

func TestDeadlinePassed(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		deadline, now string
		want          bool
	}{
		{"2026-03-31", "2026-03-31T23:59:00+07:00", false},
		{"2026-03-31", "2026-03-31T17:00:00Z", true}, // midnight in Việt Nam
		{"2026-03-31", "2026-04-01T00:00:00+07:00", true},
		{"2026-03-31T12:00:00+07:00", "2026-03-31T11:59:00+07:00", false},
		{"2026-03-31T12:00:00+07:00", "2026-03-31T12:01:00+07:00", true},
		{"", "2099-01-01T00:00:00Z", false},
		{"cuối năm", "2099-01-01T00:00:00Z", false},
	}
	for _, tt := range tests {
		if got := DeadlinePassed(tt.deadline, at(tt.now)); got != tt.want {
			t.Errorf("DeadlinePassed(%q, %s) = %v, want %v", tt.deadline, tt.now, got, tt.want)
		}
	}
}

// openTemp opens a store in a fresh directory, closed when the test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func submit(t *testing.T, s *Store, n *Need, publish bool) (*NeedStatus, string) {
	t.Helper()
	if probs := CheckSubmission(n, intakeNow); probs.Rejected() {
		t.Fatal(probs)
	}
	st, token, err := s.SubmitNeed(n, "web", ActorPublic, publish)
	if err != nil {
		t.Fatal(err)
	}
	return st, token
}

func states(st *NeedStatus) string {
	var l []string
	for _, e := range st.History {
		l = append(l, e.State)
	}
	return strings.Join(l, ",")
}

// TestIntakeLifecycle follows needs through the queue: a submitted need is no record (the index never
// sees it) until it is published, in one transaction with its new state; a rejected one keeps its reason;
// the follow token finds the need and nothing else does.
func TestIntakeLifecycle(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	staff := Actor{ID: "k1", Role: RoleStaff}
	n := goodSubmission()
	n.Deadline = ""
	st, token := submit(t, s, n, false)
	id := st.ID
	if !strings.HasPrefix(id, "nc-") || st.State != NeedSubmitted || st.Need.Title != n.Title || len(token) != 43 {
		t.Fatalf("submitted: %+v token %q", st, token)
	}
	if _, err := s.Get(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a waiting need is a record: %v", err)
	}
	if seq, _ := s.Seq(); seq != 0 {
		t.Fatalf("a waiting need changed the record history (seq %d): the index would see it", seq)
	}
	if got, err := s.NeedStatusByToken(token); err != nil || got.ID != id {
		t.Fatalf("by token: %+v %v", got, err)
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", 43), token[:42] + "x"} {
		if _, err := s.NeedStatusByToken(bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("token %q: %v, want ErrNotFound", bad, err)
		}
	}

	// Staff correct the draft, then publish: the record and the state change together.
	edited := *st.Need
	edited.Title = "Máy sấy cá cơm bơm nhiệt cho mùa mưa"
	if err := s.UpdateNeedDraft(id, &edited); err != nil {
		t.Fatal(err)
	}
	if err := s.SetNeedState(id, NeedClosed, staff, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("closing a waiting need: %v, want ErrNotFound", err)
	}
	need, err := s.PublishNeed(id, staff)
	if err != nil || need.Title != edited.Title {
		t.Fatalf("publish: %+v %v", need, err)
	}
	e, err := s.Get(id)
	if err != nil || e.Kind != KindNeed || !strings.Contains(string(e.Record), "bơm nhiệt") {
		t.Fatalf("published record: %+v %v", e, err)
	}
	if ids, _ := changes(t, s, 0); len(ids) != 1 || ids[0] != id {
		t.Errorf("changes after publishing: %v", ids)
	}
	st, _ = s.NeedStatus(id)
	if st.State != NeedPublished || states(st) != "submitted,published" || st.Last().Actor != staff || st.Need.Title != edited.Title {
		t.Errorf("status after publishing: %+v", st)
	}
	for what, err := range map[string]error{
		"publish again": func() error { _, err := s.PublishNeed(id, staff); return err }(),
		"reject":        s.RejectNeed(id, "trùng", staff),
		"edit draft":    s.UpdateNeedDraft(id, &edited),
	} {
		if !errors.Is(err, ErrNeedState) {
			t.Errorf("%s a published need: %v, want ErrNeedState", what, err)
		}
	}

	// Matched (broker feedback), matched again (nothing new), closed; expired is never stored.
	for _, state := range []string{NeedMatched, NeedMatched, NeedClosed} {
		if err := s.SetNeedState(id, state, Actor{ID: "k2", Role: RoleBroker}, "đã kết nối"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetNeedState(id, NeedExpired, staff, ""); err == nil {
		t.Error("expired was stored")
	}
	st, _ = s.NeedStatus(id)
	if states(st) != "submitted,published,matched,closed" {
		t.Errorf("history %s", states(st))
	}

	// Rejection needs a reason, which the follow page then shows.
	st2, token2 := submit(t, s, goodSubmission(), false)
	if err := s.RejectNeed(st2.ID, "  ", staff); err == nil {
		t.Error("rejected without a reason")
	}
	if err := s.RejectNeed(st2.ID, "Nhu cầu trùng với nc-001.", staff); err != nil {
		t.Fatal(err)
	}
	got, err := s.NeedStatusByToken(token2)
	if err != nil || got.State != NeedRejected || got.Last().Reason != "Nhu cầu trùng với nc-001." || got.Need == nil {
		t.Fatalf("rejected: %+v %v", got, err)
	}
	if q, _ := s.NeedQueue(NeedSubmitted); len(q) != 0 {
		t.Errorf("queue still has %d needs", len(q))
	}
	if q, _ := s.NeedQueue(); len(q) != 2 || q[0].ID != id {
		t.Errorf("all intake needs, oldest first: %v", q)
	}

	// Everything survives a restart.
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	if got, err := s.NeedStatusByToken(token); err != nil || got.State != NeedClosed {
		t.Fatalf("after reopening: %+v %v", got, err)
	}
}

func TestSubmitAndPublishAtOnce(t *testing.T) {
	s := openTemp(t)
	st, _ := submit(t, s, goodSubmission(), true)
	if st.State != NeedPublished || states(st) != "submitted,published" {
		t.Fatalf("status %+v", st)
	}
	if _, err := s.Get(st.ID); err != nil {
		t.Fatalf("a need published at submission is no record: %v", err)
	}
	// Deleting the record closes the need, in the same transaction.
	if err := s.Delete([]string{st.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := s.NeedStatus(st.ID)
	if err != nil || got.State != NeedClosed || got.Last().Actor != ActorSystem || got.Need != nil {
		t.Fatalf("after deleting: %+v %v", got, err)
	}
}

// TestPublishIsAtomic: when the record cannot be written (an import took the id meanwhile), the need
// stays in the queue and the record is untouched.
func TestPublishIsAtomic(t *testing.T) {
	s := openTemp(t)
	st, _ := submit(t, s, goodSubmission(), false)
	if _, err := s.Put([]Record{&Need{ID: st.ID, Kind: KindNeed, Title: "Nhu cầu nhập từ tệp"}}, "f.jsonl"); err != nil {
		t.Fatal(err)
	}
	seq, _ := s.Seq()
	if _, err := s.PublishNeed(st.ID, ActorSystem); !errors.Is(err, ErrExists) {
		t.Fatalf("publish over a record: %v, want ErrExists", err)
	}
	got, _ := s.NeedStatus(st.ID)
	e, _ := s.Get(st.ID)
	if after, _ := s.Seq(); got.State != NeedSubmitted || got.Need.Title != goodSubmission().Title || after != seq || !strings.Contains(string(e.Record), "nhập từ tệp") {
		t.Errorf("after a failed publish: state %s, draft %q, seq %d→%d, record %s", got.State, got.Need.Title, seq, after, e.Record)
	}
}

// TestImportedNeedState: a need imported as a record is published, gets a status on its first change,
// and expires with its deadline.
func TestImportedNeedState(t *testing.T) {
	s := openTemp(t)
	recs := []Record{&Need{ID: "nc-001", Kind: KindNeed, Title: "Cần máy sấy", Deadline: "2026-03-31"}, res("kq-1", "Máy sấy")}
	if _, err := s.Put(recs, "f.jsonl"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 31, 20, 0, 0, 0, Vietnam), NeedPublished},
		{time.Date(2026, 4, 1, 8, 0, 0, 0, Vietnam), NeedExpired},
	} {
		if got, err := s.NeedState("nc-001", tt.now); err != nil || got != tt.want {
			t.Errorf("state at %s: %q %v, want %q", tt.now, got, err, tt.want)
		}
	}
	if err := s.SetNeedState("nc-001", NeedMatched, Actor{ID: "k2", Role: RoleBroker}, ""); err != nil {
		t.Fatal(err)
	}
	st, _ := s.NeedStatus("nc-001")
	if st.Source != "import" || states(st) != "published,matched" || st.History[0].Actor != ActorImport {
		t.Errorf("status %+v", st)
	}
	// The states of all needs at once, as lists of needs filter them.
	waiting, _ := submit(t, s, goodSubmission(), false)
	if err := s.SetNeedState("nc-001", NeedClosed, ActorSystem, ""); err != nil {
		t.Fatal(err)
	}
	all, err := s.NeedStates(time.Date(2026, 1, 1, 0, 0, 0, 0, Vietnam))
	if err != nil || len(all) != 1 || all["nc-001"] != NeedClosed || all[waiting.ID] != "" || all["kq-1"] != "" {
		t.Errorf("NeedStates: %v %v (a waiting need and a result are not need records)", all, err)
	}
	for _, id := range []string{"kq-1", "nc-404"} {
		if err := s.SetNeedState(id, NeedClosed, ActorSystem, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("closing %s: %v, want ErrNotFound", id, err)
		}
	}
}
