package oai

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Client sends OAI-PMH requests to one repository, politely: one request at a time, each bounded in time
// and size, and a busy repository (503 with Retry-After, 429, other 5xx, a broken connection) is asked
// again after the time it names or a growing pause, a bounded number of times.
//
// A caller cannot hand it an HTTP client or transport of its own: every connection it and its Fetcher make
// goes through the dial guard (dialguard.go), which one set from outside would skip. A test reaches its
// httptest server by allowing loopback in AllowNets, as an operator allows a network with --allow-net.
type Client struct {
	BaseURL string
	// AllowNets are the networks besides public addresses that requests (to the repository and for files)
	// may connect to; the address written as BaseURL's host is allowed too.
	AllowNets []netip.Prefix
	// Timeout bounds one request (default 2 minutes); MaxBytes one response (default 64 MB).
	Timeout  time.Duration
	MaxBytes int64
	// MaxRetries is how many times a failed request is sent again (default 5); MaxWait caps the pause a
	// repository may ask for with Retry-After (default 10 minutes).
	MaxRetries int
	MaxWait    time.Duration
	// Sleep pauses (tests shorten it); Log reports retries.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   func(msg string)

	once sync.Once
	http *http.Client
}

const userAgent = "ketnoi-harvester/1.0 (OAI-PMH 2.0)"

// httpClient is the client's HTTP client: Timeout, connecting only where AllowNets lets it.
func (c *Client) httpClient() *http.Client {
	c.once.Do(func() {
		t := c.Timeout
		if t <= 0 {
			t = 2 * time.Minute
		}
		c.http = &http.Client{Timeout: t, Transport: c.guard().transport()}
	})
	return c.http
}

// guard is the dial policy of the client's requests, and of its Fetcher's with the hosts it adds.
func (c *Client) guard(hosts ...string) *dialGuard {
	if base, err := url.Parse(c.BaseURL); err == nil {
		hosts = append(hosts, base.Hostname())
	}
	return newDialGuard(c.AllowNets, hosts...)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// get sends a GET and returns a 200 response, retrying what is worth retrying. The caller closes the body.
func (c *Client) get(ctx context.Context, hc *http.Client, u string) (*http.Response, error) {
	retries := c.MaxRetries
	if retries <= 0 {
		retries = 5
	}
	maxWait := c.MaxWait
	if maxWait <= 0 {
		maxWait = 10 * time.Minute
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("địa chỉ %s không hợp lệ: %w", u, err)
		}
		req.Header.Set("User-Agent", userAgent)
		resp, err := hc.Do(req)
		var wait time.Duration
		var why string
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if be, ok := blocked(err); ok { // asking again would not make the address public
				return nil, fmt.Errorf("%s: %w", redactURL(u), be)
			}
			why = requestErr(err, hc.Timeout)
		case resp.StatusCode == http.StatusOK:
			return resp, nil
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			wait = retryAfter(resp.Header.Get("Retry-After"), time.Now())
			why = resp.Status
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		default:
			resp.Body.Close()
			return nil, fmt.Errorf("%s trả lời %s", redactURL(u), resp.Status)
		}
		if attempt >= retries {
			return nil, fmt.Errorf("%s: vẫn lỗi sau %d lần thử (%s)", redactURL(u), attempt+1, why)
		}
		if wait <= 0 {
			wait = time.Duration(1<<attempt) * time.Second // 1, 2, 4, 8… seconds
		}
		wait = min(wait, maxWait)
		if c.Log != nil {
			c.Log(fmt.Sprintf("%s: %s; thử lại sau %s", redactURL(u), why, wait))
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// requestErr says why a request failed, for people: a timeout in words; otherwise the transport's reason
// without the URL, which the message names already (its resumption token redacted).
func requestErr(err error, limit time.Duration) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("không trả lời trong %s", limit)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date; 0 when absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactURL shortens a URL for messages: a resumption token says nothing to people.
func redactURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.Query().Has("resumptionToken") {
		q := p.Query()
		q.Set("resumptionToken", "…")
		p.RawQuery = strings.Replace(q.Encode(), url.QueryEscape("…"), "…", 1) // shown, not sent
		u = p.String()
	}
	if r := []rune(u); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return u
}

// Response is a parsed OAI-PMH response.
type Response struct {
	ResponseDate string // as sent
	Errors       []ProtocolError
	Identify     *IdentifyInfo
	Records      []Record // ListRecords, GetRecord; ListIdentifiers: headers only
	Sets         []string // ListSets: setSpecs
	Formats      []string // ListMetadataFormats: prefixes
	// The list's resumption token: Token is empty on the last page.
	Token            string
	TokenExpires     time.Time
	Cursor           int
	CompleteListSize int
	HasToken         bool
	// Payload is the name of the element that answers the verb (ListRecords, GetRecord…), "" when none.
	Payload string
	// Repaired counts the bytes that were not UTF-8 (each became U+FFFD) and the characters XML 1.0
	// forbids (dropped) that the response held: the harvester warns about them.
	Repaired int
}

// Err is the response's first protocol error, or nil.
func (r *Response) Err() *ProtocolError {
	if len(r.Errors) == 0 {
		return nil
	}
	return &r.Errors[0]
}

// IdentifyInfo is what a harvester needs of Identify.
type IdentifyInfo struct {
	RepositoryName, BaseURL, EarliestDatestamp, DeletedRecord, Granularity string
	RepositoryID                                                           string // from the oai-identifier description, when there is one
}

// Record is a harvested record: its header and, unless deleted, its Dublin Core.
type Record struct {
	Identifier string
	Datestamp  string
	SetSpecs   []string
	Deleted    bool
	DC         *harvestedDC
}

type inEnvelope struct {
	XMLName      xml.Name `xml:"http://www.openarchives.org/OAI/2.0/ OAI-PMH"`
	ResponseDate string   `xml:"http://www.openarchives.org/OAI/2.0/ responseDate"`
	Errors       []struct {
		Code    string `xml:"code,attr"`
		Message string `xml:",chardata"`
	} `xml:"http://www.openarchives.org/OAI/2.0/ error"`
	Identify *struct {
		RepositoryName    string `xml:"http://www.openarchives.org/OAI/2.0/ repositoryName"`
		BaseURL           string `xml:"http://www.openarchives.org/OAI/2.0/ baseURL"`
		EarliestDatestamp string `xml:"http://www.openarchives.org/OAI/2.0/ earliestDatestamp"`
		DeletedRecord     string `xml:"http://www.openarchives.org/OAI/2.0/ deletedRecord"`
		Granularity       string `xml:"http://www.openarchives.org/OAI/2.0/ granularity"`
		Description       []struct {
			RepositoryIdentifier string `xml:"http://www.openarchives.org/OAI/2.0/oai-identifier oai-identifier>repositoryIdentifier"`
		} `xml:"http://www.openarchives.org/OAI/2.0/ description"`
	} `xml:"http://www.openarchives.org/OAI/2.0/ Identify"`
	Lists []inList `xml:",any"`
}

// inList is any of the verbs' payloads: only the parts that verb has are filled.
type inList struct {
	XMLName xml.Name
	Records []inRecord `xml:"http://www.openarchives.org/OAI/2.0/ record"`
	Headers []inHeader `xml:"http://www.openarchives.org/OAI/2.0/ header"`
	Sets    []string   `xml:"http://www.openarchives.org/OAI/2.0/ set>setSpec"`
	Formats []string   `xml:"http://www.openarchives.org/OAI/2.0/ metadataFormat>metadataPrefix"`
	Token   *struct {
		Value            string `xml:",chardata"`
		ExpirationDate   string `xml:"expirationDate,attr"`
		Cursor           string `xml:"cursor,attr"`
		CompleteListSize string `xml:"completeListSize,attr"`
	} `xml:"http://www.openarchives.org/OAI/2.0/ resumptionToken"`
}

type inRecord struct {
	Header   inHeader `xml:"http://www.openarchives.org/OAI/2.0/ header"`
	Metadata *struct {
		DC *harvestedDC `xml:"http://www.openarchives.org/OAI/2.0/oai_dc/ dc"`
	} `xml:"http://www.openarchives.org/OAI/2.0/ metadata"`
}

type inHeader struct {
	Status     string   `xml:"status,attr"`
	Identifier string   `xml:"http://www.openarchives.org/OAI/2.0/ identifier"`
	Datestamp  string   `xml:"http://www.openarchives.org/OAI/2.0/ datestamp"`
	SetSpecs   []string `xml:"http://www.openarchives.org/OAI/2.0/ setSpec"`
}

func (h inHeader) record() Record {
	return Record{Identifier: strings.TrimSpace(h.Identifier), Datestamp: strings.TrimSpace(h.Datestamp),
		SetSpecs: h.SetSpecs, Deleted: h.Status == "deleted"}
}

// Do sends one request (its arguments, verb included) and parses the response. Protocol errors are in the
// Response; the error is for transport failures and responses that are not OAI-PMH.
func (c *Client) Do(ctx context.Context, args url.Values) (*Response, error) {
	u := strings.TrimRight(c.BaseURL, "?") + "?" + args.Encode()
	resp, err := c.get(ctx, c.httpClient(), u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := c.MaxBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("đọc phản hồi của %s: %w", c.BaseURL, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("phản hồi của %s lớn hơn %d MB; bỏ", c.BaseURL, limit>>20)
	}
	return parseResponse(body)
}

func parseResponse(body []byte) (*Response, error) {
	body, repaired := cleanXML(body)
	var env inEnvelope
	dec := xml.NewDecoder(bytes.NewReader(body))
	// HTML's named entities (&nbsp; &eacute;), which careless repositories leave in descriptions, are
	// read as their characters; any other entity, one a DTD declares included, stays an error: nothing
	// outside the response is ever read.
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("phản hồi không phải XML OAI-PMH hợp lệ: %w", err)
	}
	date, err := responseDate(strings.TrimSpace(env.ResponseDate))
	if err != nil {
		return nil, fmt.Errorf("phản hồi OAI-PMH có responseDate sai: %w", err)
	}
	out := &Response{ResponseDate: date, Repaired: repaired}
	for _, e := range env.Errors {
		out.Errors = append(out.Errors, ProtocolError{Code: e.Code, Message: strings.TrimSpace(e.Message)})
	}
	if id := env.Identify; id != nil {
		out.Identify = &IdentifyInfo{RepositoryName: id.RepositoryName, BaseURL: strings.TrimSpace(id.BaseURL),
			EarliestDatestamp: id.EarliestDatestamp, DeletedRecord: id.DeletedRecord, Granularity: strings.TrimSpace(id.Granularity)}
		for _, d := range id.Description {
			if r := strings.TrimSpace(d.RepositoryIdentifier); r != "" {
				out.Identify.RepositoryID = r
			}
		}
	}
	for _, l := range env.Lists {
		if l.XMLName.Space != NamespaceOAI {
			continue
		}
		if l.XMLName.Local != "request" {
			out.Payload = l.XMLName.Local
		}
		for _, r := range l.Records {
			rec := r.Header.record()
			if r.Metadata != nil {
				rec.DC = r.Metadata.DC
			}
			out.Records = append(out.Records, rec)
		}
		for _, h := range l.Headers {
			out.Records = append(out.Records, h.record())
		}
		out.Sets = append(out.Sets, l.Sets...)
		out.Formats = append(out.Formats, l.Formats...)
		if t := l.Token; t != nil {
			out.HasToken = true
			out.Token = strings.TrimSpace(t.Value)
			out.Cursor, _ = strconv.Atoi(t.Cursor)
			out.CompleteListSize, _ = strconv.Atoi(t.CompleteListSize)
			if exp, _, err := ParseDatestamp(strings.TrimSpace(t.ExpirationDate)); err == nil {
				out.TokenExpires = exp
			}
		}
	}
	return out, nil
}

// responseDate is a response's responseDate in the protocol's form, which the next harvest sends back as
// its from: a repository that writes it with an offset or fractions of a second
// ("2025-06-01T17:00:00+07:00", "2025-06-01T10:00:00.250Z") is read as the same instant in UTC, cut down to
// its second, so that the harvest neither fails nor skips what changed in that second.
func responseDate(s string) (string, error) {
	if _, _, err := ParseDatestamp(s); err == nil {
		return s, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 0 {
		return "", fmt.Errorf("%q không phải ngày giờ dạng YYYY-MM-DDThh:mm:ssZ", s)
	}
	return FormatDatestamp(t.Truncate(time.Second)), nil
}

// cleanXML makes a response the XML parser reads: bytes that are not UTF-8 become U+FFFD and characters
// outside XML 1.0's range (control characters pasted from a PDF, U+FFFE) are dropped. encoding/xml stops
// at the first of either, and one such record would otherwise stop the harvest at its page, every run.
func cleanXML(b []byte) ([]byte, int) {
	if utf8.Valid(b) && !bytes.ContainsFunc(b, notXMLChar) {
		return b, 0
	}
	out := make([]byte, 0, len(b))
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			out = utf8.AppendRune(out, utf8.RuneError)
			n++
		case notXMLChar(r):
			n++
		default:
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out, n
}

// notXMLChar reports a character XML 1.0 does not allow (its production Char).
func notXMLChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r == 0xFFFE, r == 0xFFFF:
		return true
	}
	return false
}

// ErrProtocol wraps a protocol error the harvester cannot go on after.
var ErrProtocol = errors.New("lỗi giao thức OAI-PMH")

// Identify asks the repository who it is.
func (c *Client) Identify(ctx context.Context) (*IdentifyInfo, *Response, error) {
	r, err := c.Do(ctx, url.Values{"verb": {"Identify"}})
	if err != nil {
		return nil, nil, err
	}
	if e := r.Err(); e != nil {
		return nil, r, fmt.Errorf("%w: Identify: %s (%s)", ErrProtocol, e.Message, e.Code)
	}
	if r.Identify == nil {
		return nil, r, fmt.Errorf("%w: phản hồi Identify thiếu phần <Identify>", ErrProtocol)
	}
	return r.Identify, r, nil
}
