package server

import (
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/matcher"
)

// Result → needs: the enterprises that could use a research result. Anyone may ask; what comes back
// depends on who asks: public and anonymised needs for everyone (anonymised ones without the enterprise),
// broker_only needs only to the holders of a staff, broker or admin key.

// apiReverseStored matches a stored result: GET /api/v1/results/:id/needs.
func (s *Server) apiReverseStored(c echo.Context) error {
	r, size, err := s.storedResult(c)
	if err != nil {
		return err
	}
	return s.reverse(c, r, size)
}

// storedResult reads the :id result and the size parameter.
func (s *Server) storedResult(c echo.Context) (*corpus.Result, int, error) {
	size, err := sizeParam(c)
	if err != nil {
		return nil, 0, err
	}
	rec, err := s.lookup(c, corpus.KindResult)
	if err != nil {
		return nil, 0, err
	}
	return rec.(*corpus.Result), size, nil
}

// apiReverse matches a result sent in the body (one being typed in, not stored): POST /api/v1/match/reverse.
func (s *Server) apiReverse(c echo.Context) error {
	size, err := sizeParam(c)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "Dữ liệu gửi lên quá lớn.")
	}
	r, err := DecodeResult(body)
	if err != nil {
		return err
	}
	return s.reverse(c, r, size)
}

func (s *Server) reverse(c echo.Context, r *corpus.Result, size int) error {
	conf, err := s.visibleNeeds(c)
	if err != nil {
		return err
	}
	start := time.Now()
	ms, plan, err := s.matcher.Reverse(c.Request().Context(), r, size, matcher.ReverseOptions{Confidentiality: conf, Exclude: s.closedNeed})
	if err != nil {
		return s.searchErr(err)
	}
	return c.JSON(http.StatusOK, MatchPlanJSON(ms, &plan, float64(time.Since(start).Microseconds())/1000))
}

// visibleNeeds is the confidentiality levels the caller may see. A request without a key is anonymous; a
// key that is sent must be valid (a typo in a key should fail loudly, not silently show less).
func (s *Server) visibleNeeds(c echo.Context) ([]string, error) {
	public := []string{corpus.ConfPublic, corpus.ConfAnonymised}
	if _, present := requestKey(c.Request()); !present {
		if _, ok, err := s.sessionPrincipal(c); err != nil || !ok {
			return public, err
		}
		return append(public, corpus.ConfBrokerOnly), nil
	}
	if _, err := s.authenticate(c); err != nil {
		return nil, err
	}
	// Every role (staff, broker, admin) works with enterprises' confidential needs.
	return append(public, corpus.ConfBrokerOnly), nil
}

// apiSimilar lists the results like a stored result ("more like this"): GET /api/v1/results/:id/similar.
// Results only, so nothing confidential can come back.
func (s *Server) apiSimilar(c echo.Context) error {
	r, size, err := s.storedResult(c)
	if err != nil {
		return err
	}
	start := time.Now()
	hits, err := s.matcher.Similar(c.Request().Context(), r, size)
	if err != nil {
		return s.searchErr(err)
	}
	res := &indexer.SearchResult{Total: uint64(len(hits)), Hits: hits, Took: time.Since(start)}
	return c.JSON(http.StatusOK, SearchJSON(res, 0, size))
}

// closedNeed reports whether a need is no longer open (closed, expired, or not published): matching lists
// leave it out. A need whose state cannot be read is kept: it was found in the index, so it is live.
func (s *Server) closedNeed(n *corpus.Need) bool {
	st, err := s.store.NeedState(n.ID, time.Now())
	return err == nil && !corpus.NeedOpen(st)
}
