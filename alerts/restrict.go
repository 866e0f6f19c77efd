package alerts

import (
	"context"
	"fmt"

	"ketnoi/indexer"
)

// onlyChanged is the index as a re-match pass shows it to the matcher: the matcher runs its own query,
// unchanged (feedback pass and all), but its candidate search — the one that asks for highlights — is
// answered in two cheaper steps: the candidate pool ranked with scores only, then highlights for the
// changed results in it and for the best candidate, which the text component is relative to, in a search
// restricted to them. The matcher therefore reads, scores and explains only those, with exactly the values
// a full Match gives them.
type onlyChanged struct {
	indexer.Index
	changed map[string]uint64
}

func (o *onlyChanged) Search(ctx context.Context, req *indexer.SearchRequest) (*indexer.SearchResult, error) {
	if !req.Highlight {
		// The feedback pass: the matcher reads its hits' records by id, nothing else of them.
		// (TestOnlyChangedMatchesLikeMatch fails if that ever changes.)
		bare := *req
		bare.ScoresOnly = true
		return o.Index.Search(ctx, &bare)
	}
	rank := *req
	rank.Highlight, rank.ScoresOnly = false, true
	pool, err := o.Index.Search(ctx, &rank)
	if err != nil {
		return nil, err
	}
	var keep []string
	score := map[string]float64{}
	for i, h := range pool.Hits {
		if _, ok := o.changed[h.ID]; ok || i == 0 {
			keep = append(keep, h.ID)
			score[h.ID] = h.Score
		}
	}
	if len(keep) == 0 {
		return pool, nil
	}
	shown := *req
	shown.IDs, shown.From, shown.Size = keep, 0, len(keep)
	res, err := o.Index.Search(ctx, &shown)
	if err != nil {
		return nil, fmt.Errorf("đọc các kết quả đã đổi: %w", err)
	}
	// Scores as ranked in the whole pool (a restricted search scores the same documents alike, but the pool
	// is what the matcher's normalisation is defined on).
	for i := range res.Hits {
		res.Hits[i].Score = score[res.Hits[i].ID]
	}
	res.Total = pool.Total
	return res, nil
}
