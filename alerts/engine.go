// Package alerts watches the supply for standing needs: whenever results are added, changed or deleted, every
// need marked standing is matched again, and a result that starts to match it with a score at or above the
// configured threshold becomes an alert. Alerts are kept in the store (corpus), shown in Atom feeds per need
// and per broker, and posted to a webhook when one is configured, through a persisted outbox.
//
// What counts as new: an alert says "a result added or changed since the need became standing now answers
// it". A need's own change (becoming standing, an edit) takes what matches it then as known, without
// alerts, except results changed after the need in the same pass. A pair alerts once while it keeps
// qualifying; when it drops out (the result changed and scores below the threshold, or was deleted) a later
// change that qualifies again alerts again. Results whose score moves only because others changed (the text
// component is relative to the best candidate) do not alert: only changed results are re-scored. Only needs
// still sought (published or matched, deadline not passed) are re-matched; what changes while a need is
// closed or expired is not news to it.
package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/matcher"
)

// Engine re-matches standing needs against the results that changed since its last pass.
type Engine struct {
	Store *corpus.Store
	Index indexer.Index
	// Matcher is the matcher brokers use (its weights and year are taken; it must search Index).
	Matcher *matcher.Matcher
	Config  Config
}

// PassStats says what one pass did.
type PassStats struct {
	From, To uint64 // store positions: the changes in (From, To] were looked at
	Results  int    // results added, changed or deleted in them
	Standing int    // standing needs after the pass
	Matched  int    // needs matched against the changed results
	Baseline int    // needs matched in full because they changed themselves
	Closed   int    // standing needs passed over: no longer sought (closed, expired, not published)
	Raised   int    // new alerts
	Took     time.Duration
}

// changes are what a pass looks at: the latest change of each record in (from, to].
type changes struct {
	results map[string]uint64 // live results added or changed → their change's sequence number
	deleted []string          // results deleted
	needs   map[string]needChange
}

type needChange struct {
	need *corpus.Need // nil when deleted
	seq  uint64
}

// errPastTarget stops reading changes the index has not applied yet.
var errPastTarget = errors.New("past target")

// Pass re-matches what changed since the last pass and commits its alerts, atomically with the position
// it reached. It returns the new alerts. Cancelled or failing, it writes nothing: the next pass does the
// same work again.
func (e *Engine) Pass(ctx context.Context) (PassStats, []corpus.Alert, error) {
	start := time.Now()
	var st PassStats
	from, err := e.Store.AlertCursor()
	if err != nil {
		return st, nil, err
	}
	storeSeq, err := e.Store.Seq()
	if err != nil {
		return st, nil, err
	}
	applied, err := e.Index.AppliedSeq()
	if err != nil {
		return st, nil, fmt.Errorf("đọc vị trí của chỉ mục: %w", err)
	}
	// Only what the index already holds can be matched; the rest waits for the next pass.
	to := min(storeSeq, applied)
	st.From, st.To = from, from
	if to <= from {
		return st, nil, nil
	}
	ch, err := e.collect(from, to)
	if err != nil {
		return st, nil, err
	}
	st.To, st.Results = to, len(ch.results)+len(ch.deleted)
	standing, err := e.Store.StandingNeeds()
	if err != nil {
		return st, nil, err
	}
	p := &corpus.AlertPass{From: from, To: to, Standing: map[string]*corpus.StandingNeed{},
		Pairs: map[string]map[string]*corpus.AlertPair{}, Brokers: map[string]string{}}
	// The needs that changed first: they join, leave, or are matched again in full.
	baseline := map[string]uint64{}
	for id, nc := range ch.needs {
		old, was := standing[id]
		if nc.need == nil || !nc.need.Standing {
			if was {
				p.Standing[id] = nil
				p.DropNeeds = append(p.DropNeeds, id)
				delete(standing, id)
			}
			continue
		}
		sn := corpus.StandingNeed{Since: nc.seq, Broker: nc.need.Broker}
		if was {
			sn.Since = old.Since
			if old.Broker != sn.Broker {
				p.Brokers[id] = sn.Broker
			}
		}
		p.Standing[id], standing[id] = &sn, sn
		baseline[id] = nc.seq
	}
	st.Standing = len(standing)
	// Needs that did not change are matched through a view of the index that reads and explains only the
	// changed results (see onlyChanged) — unless so many changed that they may fill the candidate pool.
	restricted := e.Matcher
	if len(ch.results) < e.Matcher.Weights().Candidates {
		restricted = matcher.New(&onlyChanged{Index: e.Index, changed: ch.results}, e.Store, e.Matcher.Weights(), e.Matcher.Now)
	}
	for id, sn := range standing {
		if err := ctx.Err(); err != nil {
			return st, nil, err
		}
		cutoff, full := baseline[id]
		if !full && st.Results == 0 {
			continue
		}
		need, err := e.need(id, ch)
		if err != nil {
			return st, nil, err
		}
		if need == nil {
			continue // its deletion is a change a later pass sees
		}
		state, err := e.Store.NeedState(id, time.Now())
		if err != nil {
			return st, nil, err
		}
		if !corpus.NeedOpen(state) {
			st.Closed++ // what changes meanwhile is not news to a need nobody seeks any more
			continue
		}
		pairs, err := e.Store.AlertPairs(id)
		if err != nil {
			return st, nil, err
		}
		r := rematch{e: e, p: p, need: need, broker: sn.Broker, pairs: pairs}
		if full {
			st.Baseline++
			err = r.all(ctx, ch, cutoff)
		} else {
			st.Matched++
			err = r.changed(ctx, restricted, ch)
		}
		if err != nil {
			return st, nil, fmt.Errorf("ghép lại nhu cầu thường trực %s: %w", id, err)
		}
	}
	raised, err := e.Store.CommitAlertPass(p)
	if err != nil {
		return st, nil, err
	}
	st.Raised, st.Took = len(raised), time.Since(start)
	return st, raised, nil
}

// collect reads the changes in (from, to].
func (e *Engine) collect(from, to uint64) (*changes, error) {
	ch := &changes{results: map[string]uint64{}, needs: map[string]needChange{}}
	_, err := e.Store.Changes(from, 0, func(en *corpus.Entry) error {
		if en.Seq > to {
			return errPastTarget
		}
		switch {
		case en.Kind == corpus.KindResult && en.Deleted:
			ch.deleted = append(ch.deleted, en.ID)
		case en.Kind == corpus.KindResult:
			ch.results[en.ID] = en.Seq
		case en.Kind == corpus.KindNeed && en.Deleted:
			ch.needs[en.ID] = needChange{seq: en.Seq}
		case en.Kind == corpus.KindNeed:
			rec, err := en.Decode()
			if err != nil {
				return err
			}
			n, _ := rec.(*corpus.Need)
			ch.needs[en.ID] = needChange{need: n, seq: en.Seq}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPastTarget) {
		return nil, fmt.Errorf("đọc thay đổi cho cảnh báo: %w", err)
	}
	return ch, nil
}

// need is a standing need as it is now; nil when it is no longer a need.
func (e *Engine) need(id string, ch *changes) (*corpus.Need, error) {
	if nc, ok := ch.needs[id]; ok {
		return nc.need, nil
	}
	return storedNeed(e.Store, id)
}

// rematch is the work of a pass on one standing need.
type rematch struct {
	e      *Engine
	p      *corpus.AlertPass
	need   *corpus.Need
	broker string
	pairs  map[string]corpus.AlertPair // qualifying now, before the pass
}

// all matches the need against every result: it changed, so what qualifies now is taken as known; only
// results changed after the need (in this same pass) alert.
func (r *rematch) all(ctx context.Context, ch *changes, cutoff uint64) error {
	ms, err := r.e.Matcher.Match(ctx, r.need, 0)
	if err != nil {
		return err
	}
	qualifying := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		if m.Score < r.e.Config.Threshold {
			continue
		}
		qualifying[m.ID] = true
		if _, known := r.pairs[m.ID]; known {
			continue
		}
		if ch.results[m.ID] > cutoff {
			r.raise(m)
		} else {
			r.set(m.ID, &corpus.AlertPair{Score: m.Score})
		}
	}
	for rid := range r.pairs {
		if !qualifying[rid] {
			r.set(rid, nil)
		}
	}
	return nil
}

// changed re-scores only the results that changed, with m (whose index shows only them): deleted ones
// drop out, the others alert, keep qualifying, or drop out by their new score.
func (r *rematch) changed(ctx context.Context, m *matcher.Matcher, ch *changes) error {
	for _, rid := range ch.deleted {
		r.drop(rid)
	}
	if len(ch.results) == 0 {
		return nil
	}
	ms, err := m.Match(ctx, r.need, 0)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range ms {
		m := &ms[i]
		if _, changed := ch.results[m.ID]; !changed {
			continue // the best candidate, there for the normalisation
		}
		seen[m.ID] = true
		_, known := r.pairs[m.ID]
		switch {
		case m.Score < r.e.Config.Threshold:
			r.drop(m.ID)
		case !known:
			r.raise(m)
		}
	}
	for rid := range ch.results {
		if !seen[rid] {
			r.drop(rid) // no longer even a candidate
		}
	}
	return nil
}

func (r *rematch) raise(m *matcher.Match) {
	r.p.Raise = append(r.p.Raise, corpus.Alert{Need: r.need.ID, Result: m.ID, Broker: r.broker, Score: m.Score,
		Components: m.Components, Reasons: m.Reasons, ResultTitle: m.Title, Organization: m.Organization})
}

// drop forgets a pair that qualified.
func (r *rematch) drop(rid string) {
	if _, ok := r.pairs[rid]; ok {
		r.set(rid, nil)
	}
}

func (r *rematch) set(rid string, pair *corpus.AlertPair) {
	m := r.p.Pairs[r.need.ID]
	if m == nil {
		m = map[string]*corpus.AlertPair{}
		r.p.Pairs[r.need.ID] = m
	}
	m[rid] = pair
}
