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
	Key  []string `json:"k"`
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

func decodeCursor(s, sortName string, order search.SortOrder) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 4096 {
		return nil, indexer.ErrBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sortName || len(c.Key) != len(order) {
		return nil, indexer.ErrBadCursor
	}
	for i, so := range order {
		if _, ok := so.(*search.SortScore); ok {
			if _, err := strconv.ParseFloat(c.Key[i], 64); err != nil {
				return nil, indexer.ErrBadCursor
			}
		}
	}
	return c.Key, nil
}
