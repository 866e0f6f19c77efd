package oai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Fetcher downloads the full-text files harvested records link. What comes from the remote never names a
// local file: files are written under names the harvester makes (see Fetch); a file is only taken from a
// host the harvester trusts (the repository's own, or one named with --file-host) at an address it may
// reach (dialguard.go), over http(s), within
// a size and time limit, and only when its first bytes are those of a format the indexing pipeline reads
// (PDF, DOCX, ODT), whatever its name or Content-Type claims.
type Fetcher struct {
	Client *Client // for its retry policy
	// Hosts are the host names files may come from, besides the repository's own.
	Hosts []string
	// MaxBytes bounds one file (default 100 MB); Timeout one download (default 5 minutes).
	MaxBytes int64
	Timeout  time.Duration

	once sync.Once
	http *http.Client
}

// errNotDocument is a download that is not a document the pipeline reads.
var errNotDocument = errors.New("không phải tệp PDF, DOCX hay ODT")

func (f *Fetcher) allowed(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if base, err := url.Parse(f.Client.BaseURL); err == nil && strings.EqualFold(base.Hostname(), host) {
		return true
	}
	return slices.ContainsFunc(f.Hosts, func(h string) bool { return strings.EqualFold(hostName(h), host) })
}

// hostName is the host name of an allowed host as people write it: "cdn.example.vn", and also with a
// port ("cdn.example.vn:8443") or as an address ("https://cdn.example.vn/tep/"), which name the same host.
func hostName(h string) string {
	h = strings.TrimSpace(h)
	if !strings.Contains(h, "://") {
		h = "//" + h
	}
	if u, err := url.Parse(h); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return h
}

// httpClient checks every hop's host name (CheckRedirect) and every connection's address (the guard's
// dialer, with the Client's AllowNets; an address written as a --file-host is allowed like the base URL's).
func (f *Fetcher) httpClient() *http.Client {
	f.once.Do(func() {
		var hosts []string
		for _, h := range f.Hosts {
			hosts = append(hosts, hostName(h))
		}
		f.http = &http.Client{Timeout: f.timeout(), Transport: f.Client.guard(hosts...).transport(),
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("chuyển hướng quá nhiều lần")
				}
				if !f.allowed(req.URL) {
					return fmt.Errorf("chuyển hướng tới máy chủ không được phép %q", req.URL.Host)
				}
				return nil
			}}
	})
	return f.http
}

// acceptedTypes are the Content-Types a document may come with (servers often send a generic one);
// any other (an HTML page, an XML error) is refused before its body is read.
var acceptedTypes = []string{"", "application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream",
	"application/download", "application/force-download", "application/x-download", "application/zip",
	mediaTypes["docx"], mediaTypes["odt"]}

// Fetch downloads rawURL into dir as STEM.EXT (ext from the file's own bytes) and returns the path and a
// display name for the file (from the URL, cleaned).
func (f *Fetcher) Fetch(ctx context.Context, rawURL, dir, stem string) (string, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !f.allowed(u) {
		return "", "", fmt.Errorf("%s: chỉ tải tệp qua http(s) từ máy chủ của kho hoặc máy chủ được cho phép (--file-host)", redactURL(rawURL))
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	// A download that runs out of its time says so in words, not as Go's "context deadline exceeded".
	tooLong := func(err error) error {
		var ne net.Error
		if parent.Err() == nil && (ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout()) {
			return fmt.Errorf("%s: tải quá %s; bỏ", redactURL(rawURL), f.timeout())
		}
		return err
	}
	resp, err := f.Client.get(ctx, f.httpClient(), u.String())
	if err != nil {
		return "", "", tooLong(err)
	}
	defer resp.Body.Close()
	ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !slices.Contains(acceptedTypes, strings.ToLower(ctype)) {
		return "", "", fmt.Errorf("%s: %w (Content-Type %s)", redactURL(rawURL), errNotDocument, ctype)
	}
	limit := f.MaxBytes
	if limit <= 0 {
		limit = 100 << 20
	}
	if resp.ContentLength > limit {
		return "", "", fmt.Errorf("%s: tệp %d MB, quá giới hạn %d MB", redactURL(rawURL), resp.ContentLength>>20, limit>>20)
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(resp.Body, head)
	head = head[:n]
	ext := documentExt(head, ctype, u.Path)
	if ext == "" {
		return "", "", fmt.Errorf("%s: %w", redactURL(rawURL), errNotDocument)
	}
	tmp, err := os.CreateTemp(dir, ".tai-*")
	if err != nil {
		return "", "", fmt.Errorf("tạo tệp tạm: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	written, err := io.Copy(tmp, io.LimitReader(io.MultiReader(bytes.NewReader(head), resp.Body), limit+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", tooLong(fmt.Errorf("%s: tải: %w", redactURL(rawURL), err))
	}
	if written > limit {
		return "", "", fmt.Errorf("%s: tệp lớn hơn giới hạn %d MB", redactURL(rawURL), limit>>20)
	}
	dst := filepath.Join(dir, stem+ext)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", "", err
	}
	name := u.Path
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		name = params["filename"] // the server's own name for the file (our /api/v1/results/ID/file gives one)
	}
	return dst, displayName(name, stem+ext, ext), nil
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout <= 0 {
		return 5 * time.Minute
	}
	return f.Timeout
}

// documentExt tells a document's extension from its first bytes: PDF by its header; a ZIP (DOCX and ODT
// are ZIP files) by what its Content-Type or URL says it is.
func documentExt(head []byte, ctype, urlPath string) string {
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return ".pdf"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		lower := strings.ToLower(urlPath)
		switch {
		case ctype == mediaTypes["docx"] || strings.HasSuffix(lower, ".docx"):
			return ".docx"
		case ctype == mediaTypes["odt"] || strings.HasSuffix(lower, ".odt"):
			return ".odt"
		}
	}
	return ""
}

// displayName is the file's name for people: the last segment of a URL's path or of the name a server
// gave, without anything that could act as a path or a control, kept short; fallback when nothing is left.
func displayName(urlPath, fallback, ext string) string {
	name := path.Base(strings.ReplaceAll(urlPath, "\\", "/"))
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '/' || r == '\\' || r == ':' {
			return -1
		}
		return r
	}, name)
	name = strings.Trim(name, ". ")
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	if name == "" {
		return fallback
	}
	if !strings.EqualFold(filepath.Ext(name), ext) {
		name += ext
	}
	return name
}

// fileCandidates are the URLs of a record that may be its full text, best first: links whose path ends
// like a document, then (when dc:format names a document type) the other relations.
func fileCandidates(d *harvestedDC) []string {
	var byName, byFormat []string
	isDoc := false
	for _, f := range values(d.Format) {
		mt, _, _ := mime.ParseMediaType(f)
		if mt == mediaTypes["pdf"] || mt == mediaTypes["docx"] || mt == mediaTypes["odt"] {
			isDoc = true
		}
	}
	docExt := func(s string) bool {
		u, err := url.Parse(s)
		if err != nil {
			return false
		}
		e := strings.ToLower(path.Ext(u.Path))
		return e == ".pdf" || e == ".docx" || e == ".odt"
	}
	for _, s := range append(values(d.Identifier), values(d.Relation)...) {
		if isWebURL(s) && docExt(s) {
			byName = appendNew(byName, s)
		}
	}
	if isDoc {
		for _, s := range values(d.Relation) {
			if isWebURL(s) && !slices.Contains(byName, s) {
				byFormat = appendNew(byFormat, s)
			}
		}
	}
	out := append(byName, byFormat...)
	if len(out) > 3 {
		out = out[:3] // a record is not a crawl
	}
	return out
}
