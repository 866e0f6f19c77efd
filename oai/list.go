package oai

import (
	"encoding/json"
	"errors"
	"net/url"
	"time"

	"ketnoi/corpus"
)

// listQuery is what a ListIdentifiers or ListRecords request selects.
type listQuery struct {
	prefix, set, from, until string
	fromT, untilT            time.Time // untilT is exclusive
}

// listing is one page of a list.
type listing struct {
	records []recordEl
	token   *tokenEl
}

// newQuery checks the selective-harvesting arguments (section 3.3).
func newQuery(prefix, set, from, until string) (*listQuery, error) {
	if prefix != PrefixDC {
		return nil, cannotDisseminate(prefix)
	}
	q := &listQuery{prefix: prefix, set: set, from: from, until: until}
	var fromDays, untilDays bool
	var err error
	if from != "" {
		if q.fromT, fromDays, err = ParseDatestamp(from); err != nil {
			return nil, protoErr(ErrBadArgument, "Tham số from: %v.", err)
		}
	}
	if until != "" {
		var t time.Time
		if t, untilDays, err = ParseDatestamp(until); err != nil {
			return nil, protoErr(ErrBadArgument, "Tham số until: %v.", err)
		}
		// until is inclusive: to the end of its day, or of its second.
		if untilDays {
			q.untilT = t.Add(24 * time.Hour)
		} else {
			q.untilT = t.Add(time.Second)
		}
	}
	if from != "" && until != "" {
		if fromDays != untilDays {
			return nil, protoErr(ErrBadArgument, "from và until phải cùng độ chi tiết (cùng là ngày, hoặc cùng là ngày giờ).")
		}
		if !q.fromT.Before(q.untilT) {
			return nil, protoErr(ErrBadArgument, "from (%s) phải không muộn hơn until (%s).", from, until)
		}
	}
	if set != "" && !setSpecPattern.MatchString(set) {
		return nil, protoErr(ErrBadArgument, "Tham số set %q sai cú pháp setSpec.", clip(set))
	}
	return q, nil
}

// match reports whether a store entry is in the list. A deleted result is in every set: the store keeps
// no record for it, and a harvester of any set that has it must learn it is gone.
func (q *listQuery) match(e *corpus.Entry) (bool, error) {
	if e.Kind != corpus.KindResult {
		return false, nil
	}
	ds := e.Modified.UTC().Truncate(time.Second)
	if (!q.fromT.IsZero() && ds.Before(q.fromT)) || (!q.untilT.IsZero() && !ds.Before(q.untilT)) {
		return false, nil
	}
	if q.set == "" || e.Deleted {
		return true, nil
	}
	// Only the field codes decide: the rest of the record is not decoded.
	var r corpus.Result
	var codes struct {
		FieldCodes []string `json:"field_codes"`
	}
	if err := json.Unmarshal(e.Record, &codes); err != nil {
		return false, err
	}
	r.FieldCodes = codes.FieldCodes
	return inSet(setSpecs(&r), q.set), nil
}

// scan visits the store's changes after seq, in order, calling fn for each entry in the list until fn
// says stop.
func (q *listQuery) scan(st *corpus.Store, after uint64, fn func(*corpus.Entry) (stop bool)) error {
	_, err := st.Changes(after, 0, func(e *corpus.Entry) error {
		ok, err := q.match(e)
		if err != nil || !ok {
			return err
		}
		if fn(e) {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// list answers ListIdentifiers and ListRecords: from the arguments, or from a resumption token.
func (p *Provider) list(verb string, args url.Values, s site, now time.Time) (*listing, error) {
	var t *token
	if raw := args.Get("resumptionToken"); raw != "" {
		var err error
		if t, err = decodeToken(raw, verb, now); err != nil {
			return nil, err
		}
	} else {
		t = &token{Verb: verb, Prefix: args.Get("metadataPrefix"), Set: args.Get("set"), From: args.Get("from"), Until: args.Get("until")}
	}
	q, err := newQuery(t.Prefix, t.Set, t.From, t.Until)
	if err != nil {
		if args.Has("resumptionToken") {
			return nil, protoErr(ErrBadResumptionToken, "resumptionToken không hợp lệ; hãy bắt đầu lại danh sách từ đầu.")
		}
		return nil, err
	}
	noMatch := protoErr(ErrNoRecordsMatch, "Không có bản ghi nào khớp các điều kiện đã cho.")
	if q.set != "" && !knownSet(q.set) {
		return nil, noMatch
	}
	first := !args.Has("resumptionToken")
	if first {
		// The size of the complete list, counted once, when the list starts.
		if err := q.scan(p.store, 0, func(*corpus.Entry) bool { t.Total++; return false }); err != nil {
			return nil, err
		}
	}
	var entries []*corpus.Entry
	more := false
	err = q.scan(p.store, t.After, func(e *corpus.Entry) bool {
		if len(entries) == p.cfg.PageSize {
			more = true
			return true
		}
		entries = append(entries, e)
		return false
	})
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		if first {
			return nil, noMatch
		}
		// Everything after the token was deleted and is no longer a result: rare, and a list may not be
		// empty, so the harvester starts again.
		return nil, protoErr(ErrBadResumptionToken, "Danh sách đã thay đổi từ khi resumptionToken được cấp; hãy bắt đầu lại.")
	}
	out := &listing{}
	for _, e := range entries {
		rec, err := p.record(e, s, verb == "ListRecords")
		if err != nil {
			return nil, err
		}
		out.records = append(out.records, *rec)
	}
	sent := t.Cursor + len(entries)
	total := max(t.Total, sent)
	switch {
	case more:
		next := *t
		next.After, next.Cursor, next.Total = entries[len(entries)-1].Seq, sent, total
		next.Expiry = now.Add(p.cfg.TokenTTL).Unix()
		out.token = &tokenEl{Value: next.encode(), Cursor: t.Cursor, CompleteListSize: total,
			ExpirationDate: FormatDatestamp(time.Unix(next.Expiry, 0))}
	case !first:
		// The last page of a list that was resumed ends with an empty token (section 3.5).
		out.token = &tokenEl{Cursor: t.Cursor, CompleteListSize: total}
	}
	return out, nil
}
