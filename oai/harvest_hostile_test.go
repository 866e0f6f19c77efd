package oai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/internal/corpustest"
)

// hostileHead opens a response of a repository the tests below make misbehave.
const hostileHead = `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2025-06-01T10:00:00Z</responseDate>
<request>https://kho.example.edu.vn/oai</request>`

const hostileIdentify = hostileHead + `<Identify><repositoryName>Kho</repositoryName><baseURL>https://kho.example.edu.vn/oai</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>a@kho.example.edu.vn</adminEmail><earliestDatestamp>2010-01-01T00:00:00Z</earliestDatestamp>
<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>`

// hostileRecord is a minimal oai_dc record.
func hostileRecord(identifier, title string) string {
	return fmt.Sprintf(`<record><header><identifier>%s</identifier><datestamp>2025-05-30T08:00:00Z</datestamp></header>
<metadata><oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>%s</dc:title></oai_dc:dc></metadata></record>`, identifier, title)
}

// hostileList is a ListRecords response: records, then a resumption token element when token is not nil.
func hostileList(token *string, records ...string) string {
	s := hostileHead + "<ListRecords>" + strings.Join(records, "")
	if token != nil {
		s += "<resumptionToken>" + *token + "</resumptionToken>"
	}
	return s + "</ListRecords></OAI-PMH>"
}

func ptr(s string) *string { return &s }

// hostileRepo serves Identify, and every list request through list (its resumptionToken, "" for the
// first request, and how many list requests came before it); it counts the list requests.
func hostileRepo(t *testing.T, list func(token string, n int) string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if r.Form.Get("verb") == "Identify" {
			fmt.Fprint(w, hostileIdentify)
			return
		}
		fmt.Fprint(w, list(r.Form.Get("resumptionToken"), int(n.Add(1)-1)))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// harvestOnce runs a harvest of ts into st, bounded in time so that a harvest that never ends fails.
func harvestOnce(t *testing.T, st *corpus.Store, idx indexer.Index, ts *httptest.Server) (Stats, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := &Harvester{Store: st, Index: idx, Client: &Client{BaseURL: ts.URL}}
	return h.Run(ctx)
}

// TestHarvestStopsListThatNeverEnds: a repository whose list goes round in a circle — two tokens in turn,
// the same page under ever new tokens (the token ignored), empty pages without end — is stopped with a
// protocol error after a bounded number of requests, keeping the pages before the circle; a page that comes twice (a
// record changed while the list was paged) is not taken for a circle.
func TestHarvestStopsListThatNeverEnds(t *testing.T) {
	cases := []struct {
		name    string
		list    func(token string, n int) string
		maxReqs int64
		stored  int  // results stored
		circle  bool // the harvest must stop with a protocol error
	}{
		{"two tokens in turn", func(token string, n int) string {
			next := map[string]string{"": "A", "A": "B", "B": "A"}[token]
			return hostileList(ptr(next), hostileRecord(fmt.Sprintf("oai:kho.example.edu.vn:%d", n), fmt.Sprintf("Kết quả số %d", n)))
		}, 4, 2, true},
		{"token ignored", func(token string, n int) string {
			return hostileList(ptr(fmt.Sprintf("t%d", n)), hostileRecord("oai:kho.example.edu.vn:1", "Kết quả số một"),
				hostileRecord("oai:kho.example.edu.vn:2", "Kết quả số hai"))
		}, 4, 2, true},
		{"empty pages without end", func(token string, n int) string {
			return hostileList(ptr(fmt.Sprintf("t%d", n)))
		}, maxEmptyPages + 1, 0, true},
		{"one page twice, then the end", func(token string, n int) string {
			switch n {
			case 0, 1:
				return hostileList(ptr(fmt.Sprintf("t%d", n)), hostileRecord("oai:kho.example.edu.vn:1", "Kết quả số một"))
			}
			return hostileList(ptr(""), hostileRecord("oai:kho.example.edu.vn:2", "Kết quả số hai"))
		}, 3, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, st, idx := corpustest.Empty(t)
			ts, reqs := hostileRepo(t, c.list)
			stats, err := harvestOnce(t, st, idx, ts)
			if c.circle != (err != nil) || (err != nil && !errors.Is(err, ErrProtocol)) {
				t.Fatalf("after %d requests: %v, want a protocol error: %v", reqs.Load(), err, c.circle)
			}
			if reqs.Load() > c.maxReqs {
				t.Errorf("%d list requests, want at most %d", reqs.Load(), c.maxReqs)
			}
			if n, _ := st.Counts(); n[corpus.KindResult] != c.stored || stats.Added != c.stored {
				t.Errorf("%d results stored (%d added), want %d", n[corpus.KindResult], stats.Added, c.stored)
			}
		})
	}
}

// TestHarvestIdentifierNotNormalised: identifiers sent in decomposed Unicode (NFD) or with doubled spaces
// find their records again on the next harvest — updated in place, not copied under a second id — and a
// deletion sent with such an identifier removes its record.
func TestHarvestIdentifierNotNormalised(t *testing.T) {
	for _, identifier := range []string{
		norm.NFD.String("oai:kho.example.edu.vn:báo-cáo-thủy-sản"),
		"oai:kho.example.edu.vn:bao  cao",
		"oai:kho.example.edu.vn:" + norm.NFD.String("Hoài Nhơn") + "  2024",
	} {
		t.Run(identifier, func(t *testing.T) {
			_, st, idx := corpustest.Empty(t)
			title := "Nuôi cá rô phi"
			deleted := false
			ts, _ := hostileRepo(t, func(string, int) string {
				if deleted {
					return hostileList(nil, `<record><header status="deleted"><identifier>`+identifier+
						`</identifier><datestamp>2025-06-02T00:00:00Z</datestamp></header></record>`)
				}
				return hostileList(nil, hostileRecord(identifier, title))
			})
			if _, err := harvestOnce(t, st, idx, ts); err != nil {
				t.Fatal(err)
			}
			title = "Nuôi cá rô phi đơn tính"
			stats, err := harvestOnce(t, st, idx, ts)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := st.Counts(); n[corpus.KindResult] != 1 || stats.Updated != 1 {
				t.Errorf("second harvest: %d results stored, %+v; want the one record updated", n[corpus.KindResult], stats)
			}
			deleted = true
			if stats, err = harvestOnce(t, st, idx, ts); err != nil {
				t.Fatal(err)
			}
			if n, _ := st.Counts(); n[corpus.KindResult] != 0 || stats.Deleted != 1 {
				t.Errorf("after the deletion: %d results stored, %+v", n[corpus.KindResult], stats)
			}
		})
	}
}

// TestHarvestSloppyXML: a page holding bytes that are not UTF-8 and control characters XML forbids is
// read all the same — every record stored, the bad bytes as U+FFFD, the control characters dropped — with
// a warning, instead of stopping the harvest at that page on every run.
func TestHarvestSloppyXML(t *testing.T) {
	cases := []struct {
		name, title, want string
	}{
		{"Windows-1252 byte", "Nu\xf4i cá rô phi", "Nu\uFFFDi cá rô phi"},
		{"truncated UTF-8", "Nuôi cá r\xc3", "Nuôi cá r\uFFFD"},
		{"vertical tab from a PDF", "Nuôi cá\x0brô phi", "Nuôi cárô phi"},
		{"NUL and U+FFFF", "Nuôi\x00 cá \uFFFFrô phi", "Nuôi cá rô phi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, st, idx := corpustest.Empty(t)
			ts, _ := hostileRepo(t, func(string, int) string {
				return hostileList(nil, hostileRecord("oai:kho.example.edu.vn:1", "Kết quả đứng trước"),
					hostileRecord("oai:kho.example.edu.vn:2", c.title), hostileRecord("oai:kho.example.edu.vn:3", "Kết quả đứng sau"))
			})
			var logs []string
			h := &Harvester{Store: st, Index: idx, Client: &Client{BaseURL: ts.URL}, Log: func(m string) { logs = append(logs, m) }}
			stats, err := h.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if stats.Added != 3 || stats.Next == "" {
				t.Errorf("stats %+v, want 3 records added and the run complete", stats)
			}
			rec, err := st.Record("2")
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.(*corpus.Result).Title; got != c.want {
				t.Errorf("title %q, want %q", got, c.want)
			}
			if !slices.ContainsFunc(logs, func(l string) bool { return strings.HasPrefix(l, "CẢNH BÁO trang 1") }) {
				t.Errorf("no warning about the page: %q", logs)
			}
		})
	}
}

// TestHarvestResponseDateOffset: a repository that writes its responseDate with an offset or fractions of a
// second is harvested all the same; the next harvest asks from that instant in UTC, to the second, at or
// before it — never after, which would skip what changed in between.
func TestHarvestResponseDateOffset(t *testing.T) {
	cases := []struct{ date, next string }{
		{"2025-06-01T17:00:00+07:00", "2025-06-01T10:00:00Z"},
		{"2025-06-01T05:30:59-04:30", "2025-06-01T10:00:59Z"},
		{"2025-06-01T10:00:00.999Z", "2025-06-01T10:00:00Z"},
		{"2025-06-01T10:00:00Z", "2025-06-01T10:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.date, func(t *testing.T) {
			_, st, idx := corpustest.Empty(t)
			var froms []string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				switch {
				case r.Form.Get("verb") == "Identify":
					fmt.Fprint(w, hostileIdentify)
				case len(froms) == 0:
					froms = append(froms, r.Form.Get("from"))
					fmt.Fprint(w, strings.Replace(hostileList(nil, hostileRecord("oai:kho.example.edu.vn:1", "Kết quả số một")),
						"<responseDate>2025-06-01T10:00:00Z</responseDate>", "<responseDate>"+c.date+"</responseDate>", 1))
				default:
					froms = append(froms, r.Form.Get("from"))
					fmt.Fprint(w, hostileHead+`<error code="noRecordsMatch">Không có gì mới.</error></OAI-PMH>`)
				}
			}))
			defer ts.Close()
			h := &Harvester{Store: st, Index: idx, Client: &Client{BaseURL: ts.URL}}
			stats, err := h.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if stats.Added != 1 || stats.Next != c.next {
				t.Errorf("first harvest %+v, want 1 added and the next from %s", stats, c.next)
			}
			if _, err := h.Run(context.Background()); err != nil {
				t.Fatalf("second harvest: %v", err)
			}
			if len(froms) != 2 || froms[0] != "" || froms[1] != c.next {
				t.Errorf("the harvests asked from %q, want everything, then from %s", froms, c.next)
			}
		})
	}
}

// TestTimeoutsInWords: a repository that never answers, and a file server that sends its headers and
// then nothing, cost each request its time limit, no more; the messages say so in Vietnamese, without
// Go's "context deadline exceeded" and with the resumption token left out (as "…", not its URL escape).
func TestTimeoutsInWords(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".pdf") {
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.7\n"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	noSleep := func(context.Context, time.Duration) error { return nil }
	client := &Client{BaseURL: hang.URL + "/oai", Timeout: 300 * time.Millisecond, MaxRetries: 1, Sleep: noSleep}
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"list page", func() error {
			_, err := client.Do(context.Background(), url.Values{"verb": {"ListRecords"}, "resumptionToken": {"bi-mat-123"}})
			return err
		}, "không trả lời trong 300ms"},
		{"file", func() error {
			f := &Fetcher{Client: client, Timeout: 300 * time.Millisecond}
			_, _, err := f.Fetch(context.Background(), hang.URL+"/tep/bao-cao.pdf", t.TempDir(), "tt-1")
			return err
		}, "tải quá 300ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "deadline") ||
				strings.Contains(err.Error(), "bi-mat-123") || strings.Contains(err.Error(), "%E2%80%A6") {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// TestHarvestResponseWithoutList: a repository that answers ListRecords with an envelope that holds no
// list (nothing, another verb's answer) has not said its list is empty: the run fails and is not marked
// complete, so the next one still asks for everything rather than only what changed after it.
func TestHarvestResponseWithoutList(t *testing.T) {
	cases := []struct{ name, body string }{
		{"empty envelope", hostileHead + `</OAI-PMH>`},
		{"Identify instead", hostileIdentify},
		{"ListIdentifiers instead", hostileHead + `<ListIdentifiers><header><identifier>oai:kho.example.edu.vn:1</identifier>
<datestamp>2025-05-30T08:00:00Z</datestamp></header></ListIdentifiers></OAI-PMH>`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, st, idx := corpustest.Empty(t)
			broken := true
			var froms []string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Query().Get("verb") == "Identify":
					fmt.Fprint(w, hostileIdentify)
				case broken:
					froms = append(froms, r.URL.Query().Get("from"))
					fmt.Fprint(w, c.body)
				default:
					froms = append(froms, r.URL.Query().Get("from"))
					fmt.Fprint(w, hostileList(nil, hostileRecord("oai:kho.example.edu.vn:1", "Kết quả số một")))
				}
			}))
			defer ts.Close()
			stats, err := harvestOnce(t, st, idx, ts)
			if !errors.Is(err, ErrProtocol) || stats.Next != "" {
				t.Fatalf("harvest of a response without the list: %+v, %v", stats, err)
			}
			broken = false
			if stats, err = harvestOnce(t, st, idx, ts); err != nil || stats.Added != 1 {
				t.Fatalf("next harvest: %+v, %v", stats, err)
			}
			if len(froms) != 2 || froms[1] != "" {
				t.Errorf("the harvests asked from %q, want everything the second time", froms)
			}
		})
	}
}

// TestFileHostsAsWritten: an allowed file host given with a port or as an address names the same host;
// other hosts, and other schemes on an allowed host, stay refused.
func TestFileHostsAsWritten(t *testing.T) {
	f := &Fetcher{Client: &Client{BaseURL: "https://kho.example.edu.vn/oai/request"},
		Hosts: []string{"files.example.vn:8443", "https://cdn.example.vn/tep/", " Tep.Example.VN "}}
	cases := []struct {
		link string
		ok   bool
	}{
		{"https://kho.example.edu.vn/bitstream/1/a.pdf", true},
		{"https://files.example.vn:8443/a.pdf", true},
		{"http://files.example.vn/a.pdf", true},
		{"https://cdn.example.vn/khac/a.pdf", true},
		{"https://tep.example.vn/a.pdf", true},
		{"https://example.vn/a.pdf", false},
		{"https://files.example.vn.evil.example/a.pdf", false},
		{"ftp://cdn.example.vn/a.pdf", false},
		{"http://127.0.0.1/a.pdf", false},
	}
	for _, c := range cases {
		u, err := url.Parse(c.link)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.allowed(u); got != c.ok {
			t.Errorf("%s: allowed %v, want %v", c.link, got, c.ok)
		}
	}
}

// TestHarvestEntities: HTML's named entities in a record (&nbsp;, &eacute;) are read as their characters
// instead of stopping the harvest at that page; an entity a DTD declares — an external one reading a
// local file, or one that multiplies itself — is refused, and nothing of the file gets in.
func TestHarvestEntities(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "bi-mat.txt")
	if err := os.WriteFile(secret, []byte("MẬT-KHẨU-QUẢN-TRỊ"), 0o644); err != nil {
		t.Fatal(err)
	}
	dtd := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE OAI-PMH [<!ENTITY tep SYSTEM "file://` + secret + `"><!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`
	cases := []struct {
		name, title, want string
		refused           bool
	}{
		{"HTML entities", "Nuôi&nbsp;cá rô phi Caf&eacute; &amp; tôm", "Nuôi cá rô phi Café & tôm", false},
		{"external entity", "Tệp &tep;", "", true},
		{"entity that multiplies", "&b;&b;&b;", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, st, idx := corpustest.Empty(t)
			ts, _ := hostileRepo(t, func(string, int) string {
				body := hostileList(nil, hostileRecord("oai:kho.example.edu.vn:1", c.title))
				if c.refused {
					body = dtd + strings.TrimPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`)
				}
				return body
			})
			_, err := harvestOnce(t, st, idx, ts)
			if c.refused {
				if err == nil || strings.Contains(err.Error(), "MẬT-KHẨU") {
					t.Fatalf("harvest of a response with a declared entity: %v", err)
				}
				if n, _ := st.Counts(); n[corpus.KindResult] != 0 {
					t.Errorf("%d results stored", n[corpus.KindResult])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := storedResult(t, st, "1").Title; got != c.want {
				t.Errorf("title %q, want %q", got, c.want)
			}
		})
	}
}
