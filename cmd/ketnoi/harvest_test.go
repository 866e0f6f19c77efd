package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
	"ketnoi/server"
)

// instance is a ketnoi server over a data directory, as `serve` runs it, behind httptest.
type instance struct {
	d  *data
	ts *httptest.Server
}

func startInstance(t *testing.T, dir string, seed bool, wrap func(http.Handler) http.Handler) *instance {
	t.Helper()
	ctx := context.Background()
	d, err := openOrCreateData(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if seed {
		if _, err := d.seed(ctx); err != nil {
			t.Fatal(err)
		}
	}
	m, err := d.matcher("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.OAI.PageSize = 50
	var h http.Handler = server.New(cfg, d.idx, d.store, m, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	if wrap != nil {
		h = wrap(h)
	}
	in := &instance{d: d, ts: httptest.NewServer(h)}
	t.Cleanup(in.close)
	return in
}

func (in *instance) close() {
	if in.ts != nil {
		in.ts.Close()
		in.d.close()
		in.ts = nil
	}
}

type hit struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (in *instance) search(t *testing.T, q string) []hit {
	t.Helper()
	resp, err := http.Get(in.ts.URL + "/api/v1/search?" + url.Values{"q": {q}, "size": {"10"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Hits []hit }
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return r.Hits
}

func (in *instance) result(t *testing.T, id string) (*corpus.Result, int) {
	t.Helper()
	resp, err := http.Get(in.ts.URL + "/api/v1/results/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r corpus.Result
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
	}
	return &r, resp.StatusCode
}

// put changes records of an instance's store and brings its index along.
func (in *instance) put(t *testing.T, recs ...corpus.Record) {
	t.Helper()
	if _, err := in.d.store.Put(recs, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Sync(context.Background(), in.d.store, in.d.idx, nil); err != nil {
		t.Fatal(err)
	}
}

func contains(hits []hit, id string) bool {
	for _, h := range hits {
		if h.ID == id {
			return true
		}
	}
	return false
}

// TestHarvestAnotherInstance: a second ketnoi harvests the first over OAI-PMH — the sample corpus and a
// result whose full text is a PDF the test serves — and finds the same results by search, the PDF's text
// included; a file that is not a PDF and one on a host not allowed are refused; a 503 with Retry-After is
// waited out. A harvest interrupted mid-list resumes from its saved token, or starts its list again when
// the token is refused. After a change and a delete on the first instance, the next harvest picks up
// exactly those two.
func TestHarvestAnotherInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("two instances and a harvest")
	}
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fileHits := map[string]int{}
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fileHits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/tep/bao-cao-tong-ket.pdf", "/tep/ngoai.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write(fx[0].PDF)
		case "/tep/gia-mao.pdf":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<html><body>Trang đăng nhập</body></html>")
		default:
			http.NotFound(w, r)
		}
	}))
	defer files.Close()
	otherHost := strings.Replace(files.URL, "127.0.0.1", "localhost", 1)

	// The first instance: the sample corpus, a result whose full text is the PDF, and two whose links
	// must not be fetched. Its OAI-PMH answers may be made to fail (below).
	var failMu sync.Mutex
	fail := ""
	busyOnce := true
	a := startInstance(t, t.TempDir(), true, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			failMu.Lock()
			mode := fail
			busy := busyOnce && r.URL.Query().Has("resumptionToken")
			if busy {
				busyOnce = false
			}
			failMu.Unlock()
			switch {
			case r.URL.Path != "/oai":
			case busy:
				w.Header().Set("Retry-After", "1")
				http.Error(w, "bận", http.StatusServiceUnavailable)
				return
			case mode == "gone" && r.URL.Query().Has("resumptionToken"):
				http.NotFound(w, r)
				return
			case mode == "forget-tokens" && r.URL.Query().Has("resumptionToken"):
				q := r.URL.Query()
				q.Set("resumptionToken", "het-han")
				r.URL.RawQuery = q.Encode()
			}
			next.ServeHTTP(w, r)
		})
	})
	a.put(t,
		&corpus.Result{ID: "kq-toan-van", Kind: corpus.KindResult, Title: "Báo cáo tổng kết đề tài sấy cá cơm",
			Summary: "Toàn văn báo cáo ở tệp đính kèm.", FieldCodes: []string{"211"}, Organization: "Trường Đại học Quy Nhơn",
			Year: 2024, Links: []string{files.URL + "/tep/bao-cao-tong-ket.pdf"}},
		&corpus.Result{ID: "kq-gia-mao", Kind: corpus.KindResult, Title: "Kết quả có liên kết tới trang đăng nhập",
			Links: []string{files.URL + "/tep/gia-mao.pdf"}},
		&corpus.Result{ID: "kq-ngoai", Kind: corpus.KindResult, Title: "Kết quả có tệp ở máy chủ khác",
			Links: []string{otherHost + "/tep/ngoai.pdf"}})
	// And a report indexed on the first instance from its PDF: published with its file's address and type.
	report := filepath.Join(t.TempDir(), "bao-cao-hai-cot.pdf")
	if err := os.WriteFile(report, fx[1].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 0, nil)
	defer x.Close()
	p := &indexer.Pipeline{Store: a.d.store, Index: a.d.idx, Extractor: x, Workers: 1}
	if sum, err := p.Run(context.Background(), []string{report}); err != nil || sum.Added != 1 {
		t.Fatalf("indexing the report on the first instance: %+v %v", sum, err)
	}
	counts, err := a.d.store.Counts()
	if err != nil {
		t.Fatal(err)
	}
	// Everything on the first instance is stamped at least a second before the first harvest asks.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))

	dirB := t.TempDir()
	base := a.ts.URL + "/oai"
	harvest := func(extra ...string) (int, string, string) {
		c, o, e := ketnoi(t, append([]string{"harvest", "--data", dirB, "--workers", "1", "--no-ocr", "--retries", "2"}, append(extra, base)...)...)
		t.Logf("harvest %v: exit %d\n%s\n%s", extra, c, o, e)
		return c, o, e
	}

	// An interruption after the first pages: the repository stops answering resumption tokens.
	failMu.Lock()
	fail, busyOnce = "gone", false
	failMu.Unlock()
	code, out, errOut := harvest()
	if code == 0 || !strings.Contains(errOut, "404") {
		t.Fatalf("interrupted harvest: exit %d\n%s\n%s", code, out, errOut)
	}
	// Resumed: the token saved with the last stored page is refused now, so the list starts again.
	failMu.Lock()
	fail = "forget-tokens"
	failMu.Unlock()
	code, out, errOut = harvest("--no-files")
	if code == 0 || !strings.Contains(out, "Tiếp tục") || !strings.Contains(out, "thu thập lại đợt này từ đầu") {
		t.Fatalf("harvest after the interruption: exit %d\n%s\n%s", code, out, errOut)
	}
	// The restarted list met the refusal again on its second page: a real repository that forgets its
	// tokens for good cannot be harvested; this one recovers, and is busy once (503, Retry-After: 1).
	failMu.Lock()
	fail, busyOnce = "", true
	failMu.Unlock()
	code, out, errOut = harvest()
	if code != 1 || !strings.Contains(errOut, "CHỜ") || !strings.Contains(errOut, "kq-gia-mao") ||
		!strings.Contains(errOut, "--file-host") || !strings.Contains(out, "Tệp toàn văn bao-cao-tong-ket.pdf") ||
		!strings.Contains(out, "Tệp toàn văn bao-cao-hai-cot.pdf") {
		t.Fatalf("harvest: exit %d (want 1: one file refused)\n%s\n%s", code, out, errOut)
	}
	if fileHits["/tep/ngoai.pdf"] != 0 || fileHits["/tep/bao-cao-tong-ket.pdf"] != 1 {
		t.Errorf("file requests: %v", fileHits)
	}
	if left, _ := os.ReadDir(filepath.Join(dirB, "harvest")); len(left) != 0 {
		t.Errorf("downloads left behind: %v", left)
	}

	b := startInstance(t, dirB, false, nil)
	countsB, err := b.d.store.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if countsB[corpus.KindResult] != counts[corpus.KindResult] || countsB[corpus.KindNeed] != 0 {
		t.Errorf("harvested %v from %v (needs are not published)", countsB, counts)
	}
	// The same results by search: every 15th result of the first instance, searched by its title, is the
	// top hit on both, with the same id and title.
	var ids []string
	a.d.store.Each(func(e *corpus.Entry) error {
		if e.Kind == corpus.KindResult {
			ids = append(ids, e.ID)
		}
		return nil
	})
	for i := 0; i < len(ids); i += 15 {
		want, _ := a.result(t, ids[i])
		ha, hb := a.search(t, want.Title), b.search(t, want.Title)
		if len(ha) == 0 || len(hb) == 0 || ha[0] != hb[0] || hb[0].ID != ids[i] {
			t.Errorf("search %q: first %v, second %v", want.Title, ha[:min(1, len(ha))], hb[:min(1, len(hb))])
		}
	}
	got, _ := b.result(t, "kq-ts-001")
	if got.Source != base || got.SourceID != "oai:127.0.0.1:kq-ts-001" || !strings.HasSuffix(got.Links[0], "/ket-qua/kq-ts-001") {
		t.Errorf("source kept on the record: %q %q %v", got.Source, got.SourceID, got.Links)
	}
	// The PDF's text is searchable on the second instance: the words of its abstract find it.
	doc, _ := b.result(t, "kq-toan-van")
	if doc.Extraction == nil || doc.Extraction.File != "bao-cao-tong-ket.pdf" || !strings.Contains(strings.Join(doc.Pages, " "), "Nhơn Lý") ||
		doc.Title != "Báo cáo tổng kết đề tài sấy cá cơm" {
		t.Errorf("full-text record: %+v", doc)
	}
	if hits := b.search(t, "chuyển giao hợp tác xã thủy sản Nhơn Lý"); !contains(hits, "kq-toan-van") {
		t.Errorf("the PDF's text does not find its record: %v", hits)
	}
	// The report indexed on the first instance came with its file, through the first instance's file API.
	reportID := indexer.DocID(fmt.Sprintf("%x", sha256.Sum256(fx[1].PDF)))
	if doc, _ := b.result(t, reportID); doc.Extraction == nil || doc.Extraction.File != "bao-cao-hai-cot.pdf" ||
		!strings.Contains(strings.Join(doc.Pages, " "), "thu mua tại cảng") {
		t.Errorf("report harvested with its file: %+v", doc)
	}
	b.close()

	// A change and a delete on the first instance; the next harvest gets exactly those.
	changed, _ := a.result(t, "kq-ts-001")
	changed.Title = "Quy trình nuôi tôm thẻ hai giai đoạn (bản cập nhật 2025)"
	a.put(t, changed)
	if err := a.d.store.Delete([]string{"kq-cn-002"}); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Sync(context.Background(), a.d.store, a.d.idx, nil); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = harvest()
	if code != 0 || !strings.Contains(out, "2 bản ghi trong 1 trang; 0 mới, 1 cập nhật, 0 không đổi, 1 xoá; 0 bị loại") {
		t.Fatalf("incremental harvest: exit %d\n%s\n%s", code, out, errOut)
	}
	b = startInstance(t, dirB, false, nil)
	if hits := b.search(t, "bản cập nhật 2025"); len(hits) == 0 || hits[0].ID != "kq-ts-001" || hits[0].Title != changed.Title {
		t.Errorf("changed record on the second instance: %v", hits)
	}
	if _, status := b.result(t, "kq-cn-002"); status != http.StatusNotFound {
		t.Errorf("deleted record still on the second instance: %d", status)
	}
	if doc, _ := b.result(t, "kq-toan-van"); doc.Extraction == nil {
		t.Errorf("the full text of an unchanged record was lost")
	}
	_, list, _ := ketnoi(t, "harvest", "--data", dirB+"-khong-co", "--list")
	if !strings.Contains(list, "Chưa thu thập") {
		t.Errorf("--list on an empty data directory: %s", list)
	}
}

// TestHarvestKilledResumes: `ketnoi harvest` killed with SIGKILL while it waits for a page resumes, on the
// next run, from the page after the last one it stored — nothing asked twice, nothing lost — and the data
// directory is consistent (store and index agree).
func TestHarvestKilledResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	var mu sync.Mutex
	tokens := 0
	reached, release := make(chan struct{}, 1), make(chan struct{})
	a := startInstance(t, t.TempDir(), true, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Has("resumptionToken") {
				mu.Lock()
				tokens++
				n := tokens
				mu.Unlock()
				if n == 3 { // the fourth page: the harvester is killed while it waits
					reached <- struct{}{}
					select {
					case <-release:
					case <-time.After(time.Minute):
					}
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	counts, err := a.d.store.Counts()
	if err != nil {
		t.Fatal(err)
	}
	base, dirB := a.ts.URL+"/oai", filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "harvest", "--data", dirB, "--no-files", base)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("the harvest never asked for its fourth page")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(release)

	code, out, errOut := ketnoi(t, "harvest", "--data", dirB, "--no-files", base)
	left := counts[corpus.KindResult] - 3*50
	want := fmt.Sprintf("%d bản ghi trong %d trang; %d mới, 0 cập nhật, 0 không đổi", left, (left+49)/50, left)
	if code != 0 || !strings.Contains(out, "Tiếp tục") || !strings.Contains(out, want) {
		t.Fatalf("harvest after the kill: exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
	if res, code := runCheckJSON(t, bin, dirB); code != 0 || !res.Consistent {
		t.Errorf("check after the kill: exit %d %+v", code, res)
	}
	records, docs := statsOf(t, dirB)
	if records[corpus.KindResult] != counts[corpus.KindResult] || docs != counts[corpus.KindResult] {
		t.Errorf("after the kill and the resumed harvest: %v records, %d indexed, want %d", records, docs, counts[corpus.KindResult])
	}
}
