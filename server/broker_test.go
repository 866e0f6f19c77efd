package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/internal/browsertest"
)

// brokerServer is the sample server with a broker, a staff and an admin key.
func brokerServer(t *testing.T) (base string, keys map[corpus.Role]string) {
	t.Helper()
	kr := corpus.OpenKeyring(t.TempDir())
	keys = map[corpus.Role]string{}
	for _, r := range corpus.Roles {
		k, _, err := kr.Create("Khóa "+string(r), r)
		if err != nil {
			t.Fatal(err)
		}
		keys[r] = k
	}
	cfg := DefaultConfig()
	cfg.Keys = kr
	return sampleServer(t, cfg).URL, keys
}

var contribCell = regexp.MustCompile(`<td class="num contrib"[^>]*>(\d+)%</td>`)

var matchIDs = regexp.MustCompile(`<li class="match" id="m-[^"]*" data-id="([^"]+)"`)

func TestBrokerPage(t *testing.T) {
	base, keys := brokerServer(t)
	b := newBrowser(t, base)
	if p := b.get(brokerPath); p.code != http.StatusSeeOther || !strings.HasPrefix(p.h.Get("Location"), loginPath) {
		t.Fatalf("without a session: %d %s", p.code, p.h.Get("Location"))
	}
	if p := b.signIn(keys[corpus.RoleBroker], ""); p.code != http.StatusSeeOther || p.h.Get("Location") != brokerPath {
		t.Fatalf("a broker signs in to %q (%d), want the broker page", p.h.Get("Location"), p.code)
	}

	for _, tc := range []struct {
		name, query string
		want        []string // in the page
		ids         []string // among the matches
		not         []string // never in the page
	}{
		{"stored need", "nhu-cau=nc-001", []string{"<meter", "Đã tìm theo", "Cần máy sấy cá cơm"},
			[]string{"kq-ts-052", "kq-cn-047"}, nil},
		{"typed need, escaped", "tieu-de=" + url.QueryEscape(`máy sấy cá <script>alert(1)</script>`),
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"kq-ts-052"}, []string{"<script>alert(1)"}},
		// A broker sees broker_only needs, with their enterprise.
		{"result to needs", "ket-qua=kq-ts-050", []string{"Kết quả nghiên cứu → các nhu cầu", "Cơ sở nước mắm Bảy Hòa"},
			[]string{"nc-006"}, nil},
		// nc-021 is past its deadline: listed only on asking for closed and expired needs too.
		{"filtered picker", "da-dong=1&loc=" + url.QueryEscape("hạt điều"), []string{"nc-021) — Đã hết hạn"}, nil, []string{"nc-001)"}},
		{"unknown need", "nhu-cau=nc-khong-co", []string{"Không tìm thấy nhu cầu"}, nil, []string{`class="match"`}},
		{"a result id as need", "nhu-cau=kq-ts-050", []string{"Không tìm thấy nhu cầu"}, nil, nil},
		{"too long", "mo-ta=" + strings.Repeat("a", 4100), []string{"Nhu cầu dài quá"}, nil, nil},
		// Nothing to search by: no list of the newest results, but why.
		{"no word to search by", "tieu-de=" + url.QueryEscape("Cần các và của, 2024!"),
			[]string{`data-code="no_search_terms"`, "Nhu cầu không có từ nào để tìm"}, nil, []string{`class="match"`, "Đã tìm theo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get(brokerPath + "?" + tc.query)
			if p.code != http.StatusOK {
				t.Fatalf("%d %s", p.code, p.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(p.body, w) {
					t.Errorf("page has %q", w)
				}
			}
			var got []string
			for _, m := range matchIDs.FindAllStringSubmatch(p.body, -1) {
				got = append(got, m[1])
			}
			for _, id := range tc.ids {
				if !strings.Contains(strings.Join(got, " "), id) {
					t.Errorf("%s not among the matches %v", id, got)
				}
			}
		})
	}

	// Each match's contributions to its score add up to the whole score: 100%, however they round.
	for _, q := range []string{"nhu-cau=nc-001", "nhu-cau=nc-012", "ket-qua=kq-ts-050", "tieu-de=" + url.QueryEscape("máy sấy cá cơm năng lượng mặt trời")} {
		p := b.get(brokerPath + "?" + q)
		items := strings.Split(p.body, `<li class="match"`)[1:]
		if len(items) == 0 {
			t.Fatalf("%s: no match", q)
		}
		for _, item := range items {
			sum := 0
			for _, m := range contribCell.FindAllStringSubmatch(item, -1) {
				n, _ := strconv.Atoi(m[1])
				sum += n
			}
			if sum != 100 {
				t.Errorf("%s: contributions add up to %d%% in %.200s", q, sum, item)
			}
		}
	}

	// A decision from the page: stored, shown on the match, and the need becomes matched.
	p := b.get(brokerPath + "?nhu-cau=nc-012")
	csrf := find(t, fieldCSRF, p.body)
	first := matchIDs.FindStringSubmatch(p.body)[1]
	decide := func(choice, note string) page {
		return b.post(brokerPath+"/quyet-dinh", url.Values{"csrf": {csrf}, "need_id": {"nc-012"}, "result_id": {first},
			"quyet-dinh": {choice}, "ghi-chu": {note}})
	}
	if p = decide("accept:price", ""); p.code != http.StatusSeeOther {
		t.Fatalf("decision: %d", p.code)
	}
	if p = b.get(p.h.Get("Location")); !strings.Contains(p.body, "Chưa lưu quyết định") {
		t.Errorf("a reason that does not fit the decision was not refused on the page")
	}
	if p = decide("accept:good_fit", "Hẹn gặp <b>viện</b> tuần sau"); p.code != http.StatusSeeOther || !strings.Contains(p.h.Get("Location"), "#m-"+first) {
		t.Fatalf("decision: %d %s", p.code, p.h.Get("Location"))
	}
	p = b.get(brokerPath + "?nhu-cau=nc-012")
	for _, want := range []string{"Đã lưu quyết định chấp nhận", "Quyết định gần nhất: <strong>chấp nhận</strong>", "Hẹn gặp &lt;b&gt;viện&lt;/b&gt;", "đã ghép nối"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("after the decision the page lacks %q", want)
		}
	}
	if p = b.post(brokerPath+"/quyet-dinh", url.Values{"need_id": {"nc-012"}, "result_id": {first}, "quyet-dinh": {"reject:price"}}); p.code != http.StatusForbidden {
		t.Errorf("decision without CSRF token: %d", p.code)
	}

	// Staff and admin may use the page too.
	for _, r := range []corpus.Role{corpus.RoleStaff, corpus.RoleAdmin} {
		b := newBrowser(t, base)
		b.signIn(keys[r], "")
		if p := b.get(brokerPath + "?nhu-cau=nc-001"); p.code != http.StatusOK || !matchIDs.MatchString(p.body) {
			t.Errorf("%s: %d", r, p.code)
		}
	}
}

// TestBrokerPageInBrowser: a broker picks a need, reads the ranked matches with their meters, and follows
// one result to the needs it could answer.
func TestBrokerPageInBrowser(t *testing.T) {
	base, keys := brokerServer(t)
	ctx := browsertest.Start(t)
	browsertest.Navigate(t, ctx, base+brokerPath)
	browsertest.WaitVisible(t, ctx, "#khoa")
	browsertest.SendKeys(t, ctx, "#khoa", keys[corpus.RoleBroker])
	browsertest.ClickAndWait(t, ctx, ".signin button[type=submit]")
	browsertest.WaitVisible(t, ctx, "#nhu-cau")
	// The picker offers open needs; nc-001 (deadline passed) comes, labelled, only once the box is ticked.
	inGroup := `(label, id) => [...document.querySelectorAll("#nhu-cau optgroup")].some(g => g.label === label &&
		[...g.querySelectorAll("option")].some(o => o.value === id))`
	if !browsertest.Eval[bool](t, ctx, "("+inGroup+`)("Đang mở", "nc-012")`) || browsertest.Eval[bool](t, ctx, `!!document.querySelector('#nhu-cau option[value="nc-001"]')`) {
		t.Error("the picker does not list open needs only")
	}
	browsertest.Click(t, ctx, `input[name="da-dong"]`)
	browsertest.ClickAndWait(t, ctx, `form[aria-label="Chọn nhu cầu"] button[type=submit]`)
	browsertest.WaitVisible(t, ctx, "#nhu-cau")
	if !browsertest.Eval[bool](t, ctx, "("+inGroup+`)("Đã hết hạn", "nc-001")`) ||
		!strings.HasSuffix(browsertest.Eval[string](t, ctx, `document.querySelector('#nhu-cau option[value="nc-001"]').textContent`), "— Đã hết hạn") {
		t.Error("with the box ticked, the expired need nc-001 is not listed under its state")
	}
	browsertest.SetValue(t, ctx, "#nhu-cau", "nc-012")
	browsertest.ClickAndWait(t, ctx, `form[aria-label="Chọn nhu cầu"] button[type=submit]`)
	browsertest.WaitVisible(t, ctx, ".matches .match")
	n := browsertest.Eval[int](t, ctx, `document.querySelectorAll(".matches .match").length`)
	meters := browsertest.Eval[int](t, ctx, `document.querySelectorAll(".matches .match:first-child meter").length`)
	if n < 5 || meters < 5 {
		t.Fatalf("%d matches, %d meters on the first", n, meters)
	}
	// Scores are in decreasing order on the page.
	if !browsertest.Eval[bool](t, ctx, `(() => { const s = [...document.querySelectorAll(".matches .score")].map(e => parseFloat(e.textContent));
		return s.every((v, i) => i == 0 || s[i-1] >= v); })()`) {
		t.Error("scores not in decreasing order")
	}
	first := browsertest.Text(t, ctx, ".matches .match:first-child h3 a")
	if !strings.Contains(strings.ToLower(first), "sấy") {
		t.Errorf("first match %q is not a dryer", first)
	}
	// Reject the second match with a reason; the page comes back at it with the decision shown.
	browsertest.Eval[bool](t, ctx, `(() => { const f = document.querySelector(".matches .match:nth-child(2) form.decide");
		f.querySelector("select").value = "reject:not_relevant"; f.querySelector("input[name=ghi-chu]").value = "Không đúng loại máy"; f.id = "qd2"; return true; })()`)
	browsertest.ClickAndWait(t, ctx, "#qd2 button[type=submit]")
	browsertest.WaitVisible(t, ctx, ".matches .match:nth-child(2) .decision")
	if got := browsertest.Text(t, ctx, ".matches .match:nth-child(2) .decision"); !strings.Contains(got, "từ chối") || !strings.Contains(got, "Không đúng loại máy") {
		t.Errorf("decision shown as %q", got)
	}
	if got := browsertest.Text(t, ctx, ".flash"); !strings.Contains(got, "Đã lưu quyết định từ chối") {
		t.Errorf("flash %q", got)
	}
	browsertest.ClickAndWait(t, ctx, ".matches .match:first-child .actions a")
	browsertest.WaitVisible(t, ctx, ".subject")
	if got := browsertest.Text(t, ctx, ".subject .kind"); !strings.Contains(strings.ToLower(got), "các nhu cầu") {
		t.Errorf("after following the result: %q", got)
	}
	if !browsertest.Eval[bool](t, ctx, `[...document.querySelectorAll(".matches .match")].some(li => li.dataset.id === "nc-012")`) {
		t.Error("the dryer result does not lead back to the squid-drying need nc-012")
	}
}

// TestSnippetPage: the broker page and the printable report name a page beside a match's snippet only when
// the snippet is the body's fragment, whose page it is; a summary's fragment is shown without one.
func TestSnippetPage(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Keys = corpus.OpenKeyring(t.TempDir())
	key, _, err := cfg.Keys.Create("Môi giới", corpus.RoleBroker)
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"Trang một: lời nói đầu của báo cáo.", "Trang hai: thử nghiệm máy bóc vỏ hạt mắc ca tại Đắk Đoa."}
	srv, _ := storeServer(t, cfg, []corpus.Record{
		&corpus.Result{ID: "kq-tom-tat", Kind: corpus.KindResult, Title: "Báo cáo tổng kết đề tài",
			Summary: "Máy bóc vỏ hạt mắc ca năng suất 200 kg/giờ.", Pages: pages},
		&corpus.Result{ID: "kq-than", Kind: corpus.KindResult, Title: "Báo cáo tổng kết nhiệm vụ", Pages: pages},
		&corpus.Need{ID: "nc-mac-ca", Kind: corpus.KindNeed, Title: "Cần máy bóc vỏ hạt mắc ca", Enterprise: "Hợp tác xã Mắc Ca"},
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	b := newBrowser(t, ts.URL)
	b.signIn(key, "")
	broker := b.get(brokerPath + "?nhu-cau=nc-mac-ca").body
	code, report, _ := call(t, "GET", ts.URL+"/api/v1/match/batch?format=html&size=20", key, "", nil)
	if code != http.StatusOK {
		t.Fatalf("report: %d %s", code, report)
	}
	for _, tc := range []struct {
		id   string
		page bool
	}{{"kq-tom-tat", false}, {"kq-than", true}} {
		i := strings.Index(broker, `data-id="`+tc.id+`"`)
		if i < 0 {
			t.Fatalf("%s not on the broker page", tc.id)
		}
		item := broker[i:]
		if k := strings.Index(item, `<li class="match"`); k > 0 {
			item = item[:k]
		}
		if k := strings.Index(item, "</ol>"); k > 0 {
			item = item[:k]
		}
		if got := strings.Contains(item, "(trang 2)"); got != tc.page {
			t.Errorf("broker page, %s: page named %v, want %v:\n%s", tc.id, got, tc.page, item)
		}
		need := string(report)
		need = need[strings.Index(need, "Mã nc-mac-ca"):]
		j := strings.Index(need, "Mã "+tc.id)
		if j < 0 {
			t.Fatalf("%s not in the report", tc.id)
		}
		block := need[j:]
		block = block[:strings.Index(block, "</li>\n    \n")]
		if got := strings.Contains(block, "Trang 2: "); got != tc.page {
			t.Errorf("report, %s: page named %v, want %v:\n%s", tc.id, got, tc.page, block)
		}
	}
}
