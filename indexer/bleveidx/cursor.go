package bleveidx

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/blevesearch/bleve/v2/search"

	"ketnoi/indexer"
)

// Cursors for deep paging: the last hit's sort key, handed back as SearchAfter. The key is exactly what
// bleve compares (the score as a round-tripping float, the document id, a sort field's encoded term), so
// the next page starts right after it with no hit repeated or skipped while the index is unchanged.

type cursor struct {
	Sort string   `json:"s"` // the request's Sort, so that a cursor is not used with another order
	Key  []string `json:"k,omitempty"`
	// Off, inside the window the second stage ranks again (rerank.go), is where the next page starts: those
	// hits are not in the order of any sort key.
	Off int `json:"o,omitempty"`
}

// encodeOffset makes a cursor for a page inside the re-ranked window.
func encodeOffset(sortName string, off int) string {
	b, _ := json.Marshal(cursor{Sort: sortName, Off: off})
	return base64.RawURLEncoding.EncodeToString(b)
}

func encodeCursor(sortName string, order search.SortOrder, h *search.DocumentMatch) string {
	key := make([]string, len(order))
	for i, so := range order {
		switch so.(type) {
		case *search.SortScore:
			key[i] = strconv.FormatFloat(h.Score, 'g', -1, 64)
		case *search.SortDocID:
			key[i] = h.ID
		default:
			if i < len(h.Sort) {
				key[i] = h.Sort[i]
			}
		}
	}
	b, _ := json.Marshal(cursor{Sort: sortName, Key: key})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the sort key a cursor holds, or the offset in the re-ranked window.
func decodeCursor(s, sortName string, order search.SortOrder) ([]string, int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 4096 {
		return nil, 0, indexer.ErrBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sortName {
		return nil, 0, indexer.ErrBadCursor
	}
	if c.Key == nil && c.Off > 0 && c.Off < rerankWindow {
		return nil, c.Off, nil
	}
	if len(c.Key) != len(order) {
		return nil, 0, indexer.ErrBadCursor
	}
	for i, so := range order {
		if _, ok := so.(*search.SortScore); ok {
			if _, err := strconv.ParseFloat(c.Key[i], 64); err != nil {
				return nil, 0, indexer.ErrBadCursor
			}
		}
	}
	return c.Key, 0, nil
}
