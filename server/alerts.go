package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/alerts"
	"ketnoi/corpus"
	"ketnoi/corpus/vntext"
)

// Alerts of standing needs (package alerts raises them in the background): listed as JSON for API keys,
// and as Atom feeds per need and per broker. Feed readers cannot send headers, so a feed is reached by the
// unguessable token in its URL, which staff issue (and replace) through the API or `ketnoi feeds token`;
// the store keeps only the token's hash, and the request log never shows it. No page links to a feed.

// feedsPrefix starts the feeds' paths; feedSuffix ends them.
const (
	feedsPrefix = "/feeds/"
	feedSuffix  = ".atom"
)

type alertsResponse struct {
	Alerts []alerts.View `json:"alerts"`
	// NextBefore continues the list (?before=): present when there may be older alerts.
	NextBefore uint64 `json:"next_before,omitempty"`
}

type feedTokenResponse struct {
	Kind    string    `json:"kind"`
	Subject string    `json:"subject"`
	Token   string    `json:"token"`
	Path    string    `json:"path"`
	URL     string    `json:"url"`
	Issued  time.Time `json:"issued"`
}

// apiAlerts lists alerts, newest first: GET /api/v1/alerts?need=&broker=&size=&before=.
func (s *Server) apiAlerts(c echo.Context) error {
	q, err := alertQuery(c)
	if err != nil {
		return err
	}
	q.Need = strings.TrimSpace(c.QueryParam("need"))
	q.Broker = vntext.Normalize(c.QueryParam("broker"))
	return s.alertList(c, q)
}

// apiNeedAlerts lists one need's alerts: GET /api/v1/needs/:id/alerts.
func (s *Server) apiNeedAlerts(c echo.Context) error {
	q, err := alertQuery(c)
	if err != nil {
		return err
	}
	need, err := s.storedNeed(recordID(c))
	if err != nil {
		return err
	}
	q.Need = need.ID
	return s.alertList(c, q)
}

func alertQuery(c echo.Context) (corpus.AlertQuery, error) {
	size, err := sizeParam(c)
	if err != nil {
		return corpus.AlertQuery{}, err
	}
	q := corpus.AlertQuery{Limit: size}
	if v := c.QueryParam("before"); v != "" {
		if q.Before, err = strconv.ParseUint(v, 10, 64); err != nil || q.Before == 0 {
			return q, apiErr(http.StatusBadRequest, "bad_before", "before phải là số thứ tự của một cảnh báo (số nguyên dương).")
		}
	}
	return q, nil
}

func (s *Server) alertList(c echo.Context, q corpus.AlertQuery) error {
	list, err := s.store.Alerts(q)
	if err != nil {
		return err
	}
	views, err := s.alertViews(list, s.siteBase(c), alerts.ForKeys)
	if err != nil {
		return err
	}
	out := alertsResponse{Alerts: views}
	if len(list) == q.Limit {
		out.NextBefore = list[len(list)-1].Seq
	}
	return c.JSON(http.StatusOK, out)
}

// alertViews shows alerts with their needs as they are now.
func (s *Server) alertViews(list []corpus.Alert, base string, keyed bool) ([]alerts.View, error) {
	needs := map[string]*corpus.Need{}
	views := make([]alerts.View, 0, len(list))
	for _, a := range list {
		n, seen := needs[a.Need]
		if !seen {
			rec, err := s.store.Record(a.Need)
			if err != nil && !errors.Is(err, corpus.ErrNotFound) {
				return nil, err
			}
			n, _ = rec.(*corpus.Need)
			needs[a.Need] = n
		}
		views = append(views, alerts.NewView(a, n, base, keyed))
	}
	return views, nil
}

// storedNeed is a need by id, whatever its confidentiality (for key holders); 404 when there is none.
func (s *Server) storedNeed(id string) (*corpus.Need, error) {
	rec, err := s.store.Record(id)
	n, ok := rec.(*corpus.Need)
	if errors.Is(err, corpus.ErrNotFound) || (err == nil && !ok) {
		return nil, apiErr(http.StatusNotFound, "not_found", "Không tìm thấy nhu cầu "+strconv.Quote(id)+".")
	}
	return n, err
}

// apiFeedToken issues a new token for a need's or a broker's feed, replacing the old one:
// POST /api/v1/needs/:id/feed-token, POST /api/v1/brokers/:name/feed-token.
func (s *Server) apiFeedToken(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		var subject string
		if kind == corpus.FeedNeed {
			need, err := s.storedNeed(recordID(c))
			if err != nil {
				return err
			}
			subject = need.ID
		} else {
			name := c.Param("name")
			if u, err := url.PathUnescape(name); err == nil {
				name = u
			}
			var problem string
			if subject, problem = corpus.BrokerName(name); subject == "" {
				problem = "thiếu tên nhà môi giới"
			}
			if problem != "" {
				return apiErr(http.StatusBadRequest, "bad_broker", "Tên nhà môi giới không hợp lệ: "+problem+".")
			}
		}
		token, info, err := s.store.IssueFeedToken(kind, subject)
		if err != nil {
			return err
		}
		path := feedPath(kind, token)
		return c.JSON(http.StatusOK, feedTokenResponse{Kind: kind, Subject: subject, Token: token, Path: path,
			URL: s.siteBase(c) + strings.TrimPrefix(path, "/"), Issued: info.Issued})
	}
}

func feedPath(kind, token string) string {
	return feedsPrefix + kind + "s/" + token + feedSuffix
}

// feed serves a need's or a broker's Atom feed: GET /feeds/needs/:file, /feeds/brokers/:file, the file
// being TOKEN.atom. An unknown, replaced or malformed token is a plain 404, as is the feed of a need that
// no longer exists.
func (s *Server) feed(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		notFound := apiErr(http.StatusNotFound, "not_found", "Không có nguồn tin này (mã sai hoặc đã được thay).")
		token, ok := strings.CutSuffix(c.Param("file"), feedSuffix)
		if !ok {
			return notFound
		}
		info, err := s.store.FeedByToken(token)
		if err != nil {
			return err
		}
		if info == nil || info.Kind != kind {
			return notFound
		}
		base := s.siteBase(c)
		f := &alerts.Feed{ID: info.ID, Self: base + strings.TrimPrefix(feedPath(kind, token), "/"), Updated: info.Issued}
		q := corpus.AlertQuery{Limit: s.cfg.FeedEntries}
		if kind == corpus.FeedNeed {
			rec, err := s.store.Record(info.Subject)
			need, isNeed := rec.(*corpus.Need)
			if errors.Is(err, corpus.ErrNotFound) || (err == nil && !isNeed) {
				return notFound
			}
			if err != nil {
				return err
			}
			q.Need = need.ID
			f.Title = "ketnoi – kết quả mới cho nhu cầu: " + need.Title
			f.Subtitle = "Kết quả nghiên cứu vừa thêm hoặc cập nhật phù hợp với nhu cầu này, kèm điểm ghép nối và lời giải thích."
			if need.EffectiveConfidentiality() != corpus.ConfBrokerOnly {
				f.Alternate = base + "nhu-cau/" + url.PathEscape(need.ID)
			}
		} else {
			q.Broker = info.Subject
			f.Title = "ketnoi – kết quả mới cho các nhu cầu do " + info.Subject + " theo dõi"
			f.Subtitle = "Kết quả nghiên cứu vừa thêm hoặc cập nhật phù hợp với các nhu cầu thường trực, kèm điểm ghép nối và lời giải thích."
			f.NameNeed = true
		}
		list, err := s.store.Alerts(q)
		if err != nil {
			return err
		}
		if f.Entries, err = s.alertViews(list, base, alerts.ForFeeds); err != nil {
			return err
		}
		body, err := f.Render()
		if err != nil {
			return err
		}
		// A feed opened by its secret token: kept out of shared caches, search engines and referrers.
		h := c.Response().Header()
		h.Set("X-Robots-Tag", "noindex")
		h.Set("Referrer-Policy", "no-referrer")
		return sendAtom(c, body, "private, no-cache")
	}
}

// sendAtom answers with a feed and its ETag, or 304 when the reader already has this version.
func sendAtom(c echo.Context, body []byte, cacheControl string) error {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", body)
}

// siteBase is the site's root URL, ending in "/": the configured public address, or the one the request
// came to.
func (s *Server) siteBase(c echo.Context) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	return baseURL(c) + "/"
}

// redactFeedToken is a request path as the log shows it (see redactPath): a feed token (a segment starting "kf_", wherever it
// was sent) is cut off, since the token is the feed's only key.
func redactFeedToken(p string) string {
	if !strings.Contains(p, corpus.FeedTokenPrefix) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, corpus.FeedTokenPrefix) {
			segs[i] = corpus.FeedTokenPrefix + "…"
		}
	}
	return strings.Join(segs, "/")
}
