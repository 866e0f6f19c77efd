package indexer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"ketnoi/corpus"
)

// Check compares the index with the store it is derived from, through the Index interface alone (nothing
// backend-specific): the searches below see every kind and every confidentiality level.
//
// The common case, a consistent index, costs two counting searches: the number of visible documents, and
// the number left when every live store id is excluded; the index holds exactly the live records when the
// first equals the record count and the second is zero. Only when they disagree are the index's ids listed
// (a match-all search paged in the backend's stable order, each round excluding the ids already listed so
// that no result window limits it) and compared with the store's one by one.

// CheckSample is how many index documents Check compares field by field with their store records when
// the id sets agree (all of them are compared when they do not).
const CheckSample = 2000

// maxListed bounds how many index ids Check lists; a larger damaged index is rebuilt instead.
const maxListed = 1_000_000

// checkPage is the page size of listing searches (the API's largest page).
const checkPage = 100

// everyKind and everyLevel make a search see every document.
var (
	everyKind  = []string{KindResult, KindNeed}
	everyLevel = []string{corpus.ConfPublic, corpus.ConfAnonymised, corpus.ConfBrokerOnly}
)

// Report is what Check found.
type Report struct {
	StoreSeq  uint64 `json:"store_seq"`
	IndexSeq  uint64 `json:"index_seq"`
	Records   int    `json:"records"` // live records in the store
	IndexDocs uint64 `json:"index_documents"`
	// Pending counts store changes above IndexSeq: not damage, the next Sync applies them (every command
	// and the server sync when they open the data directory). Ids they touch are not reported below.
	Pending int `json:"pending"`
	// Ahead: the index has applied changes the store does not have (an index from another or a newer
	// store, e.g. after the store alone was restored).
	Ahead   bool     `json:"index_ahead"`
	Missing []string `json:"missing,omitempty"` // live records absent from the index
	Extra   []string `json:"extra,omitempty"`   // index documents without a live record
	Stale   []string `json:"stale,omitempty"`   // indexed with other content than the store's
	// Hidden counts index documents that no search can reach (an unknown kind): only a rebuild removes them.
	Hidden uint64 `json:"hidden,omitempty"`
	// Truncated: the index was too damaged to list in full.
	Truncated bool `json:"truncated,omitempty"`
	Compared  int  `json:"compared"` // documents compared field by field
	// MissingOriginals are live records whose kept original file is gone from the data directory: store
	// damage that no index repair fixes (restore the files from a backup).
	MissingOriginals []string `json:"missing_originals,omitempty"`
	// Leftovers are index builds under DATA/index that are not the current one (a killed reindex); they
	// waste space but do no harm.
	Leftovers []string `json:"leftover_builds,omitempty"`
}

// Consistent says whether the index holds exactly the live records of the store, as the store has them,
// and the store has every original its records name.
func (r *Report) Consistent() bool {
	return r.IndexConsistent() && len(r.MissingOriginals) == 0
}

// IndexConsistent is Consistent without the store's own originals.
func (r *Report) IndexConsistent() bool {
	return !r.Ahead && r.Hidden == 0 && !r.Truncated && len(r.Missing)+len(r.Extra)+len(r.Stale) == 0
}

// NeedsRebuild says whether the damage is such that rebuilding the index is the repair: an index that is
// ahead of the store or holds unreachable documents cannot be patched, and when most documents are wrong
// a fresh build is as cheap as patching and leaves no debris.
func (r *Report) NeedsRebuild() bool {
	damaged := len(r.Missing) + len(r.Extra) + len(r.Stale)
	return r.Ahead || r.Hidden > 0 || r.Truncated || damaged > 100 && 2*damaged > r.Records
}

// Check verifies that idx is in step with st: every live record is in the index with its current content
// (ids compared in full, content by the applied sequence number and by comparing the stored fields of a
// sample, or of every document when the ids disagree), no index document lacks a live record, and the
// index has not applied more than the store has. It changes nothing.
func Check(ctx context.Context, st *corpus.Store, idx Index) (*Report, error) {
	r := &Report{}
	var err error
	if r.StoreSeq, err = st.Seq(); err != nil {
		return nil, fmt.Errorf("đọc kho: %w", err)
	}
	if r.IndexSeq, err = idx.AppliedSeq(); err != nil {
		return nil, fmt.Errorf("đọc vị trí của chỉ mục: %w", err)
	}
	if r.IndexDocs, err = idx.Count(); err != nil {
		return nil, fmt.Errorf("đếm tài liệu trong chỉ mục: %w", err)
	}
	r.Ahead = r.IndexSeq > r.StoreSeq
	pending := map[string]bool{}
	if !r.Ahead {
		_, err := st.Changes(r.IndexSeq, 0, func(e *corpus.Entry) error {
			pending[e.ID] = true
			r.Pending++
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("đọc thay đổi từ kho: %w", err)
		}
	}
	var ids []string
	live := map[string]bool{}
	err = st.Each(func(e *corpus.Entry) error {
		ids = append(ids, e.ID)
		live[e.ID] = true
		if e.Original != "" {
			if _, err := os.Stat(st.OriginalPath(e.Original)); err != nil {
				r.MissingOriginals = append(r.MissingOriginals, e.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("đọc kho: %w", err)
	}
	r.Records = len(ids)
	if r.Leftovers, err = leftoverBuilds(st.Dir()); err != nil {
		return nil, err
	}

	total, err := visible(ctx, idx, nil)
	if err != nil {
		return nil, err
	}
	if r.IndexDocs > total {
		r.Hidden = r.IndexDocs - total
	}
	others, err := visible(ctx, idx, ids)
	if err != nil {
		return nil, err
	}
	if others == 0 && total == uint64(len(ids)) {
		// The ids agree; the content is compared on a sample.
		err = listDocs(ctx, idx, CheckSample, func(h *Hit) error { return r.compare(st, h, pending) })
		return r, err
	}
	inIndex := map[string]bool{}
	err = listDocs(ctx, idx, maxListed, func(h *Hit) error {
		inIndex[h.ID] = true
		if !live[h.ID] {
			if !pending[h.ID] {
				r.Extra = append(r.Extra, h.ID)
			}
			return nil
		}
		return r.compare(st, h, pending)
	})
	if errors.Is(err, errTooMany) {
		r.Truncated = true
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !inIndex[id] && !pending[id] {
			r.Missing = append(r.Missing, id)
		}
	}
	slices.Sort(r.Extra)
	slices.Sort(r.Stale)
	return r, nil
}

// compare checks one index document's stored fields against the store's record.
func (r *Report) compare(st *corpus.Store, h *Hit, pending map[string]bool) error {
	if pending[h.ID] {
		return nil
	}
	e, err := st.Get(h.ID)
	if errors.Is(err, corpus.ErrNotFound) {
		return nil // listed as extra by the caller
	}
	if err != nil {
		return err
	}
	rec, err := e.Decode()
	if err != nil {
		return err
	}
	d := DocFromRecord(rec)
	r.Compared++
	if d.Kind != h.Kind || d.Title != h.Title || d.Organization != h.Organization || d.Year != h.Year || d.TRL != h.TRL {
		r.Stale = append(r.Stale, h.ID)
	}
	return nil
}

// visible counts the documents any search can see, less those with the excluded ids.
func visible(ctx context.Context, idx Index, exclude []string) (uint64, error) {
	res, err := idx.Search(ctx, &SearchRequest{Kinds: everyKind, Confidentiality: everyLevel, ExcludeIDs: exclude, Size: 1})
	if err != nil {
		return 0, fmt.Errorf("đếm tài liệu trong chỉ mục: %w", err)
	}
	return res.Total, nil
}

var errTooMany = errors.New("quá nhiều tài liệu để liệt kê")

// listDocs calls fn for index documents in the backend's stable order, at most limit of them
// (errTooMany when there are more and limit is maxListed). A backend may cap how deep a search can page:
// when a page comes back short of the total, a new round starts that excludes everything already listed.
func listDocs(ctx context.Context, idx Index, limit int, fn func(*Hit) error) error {
	var seen []string
	for {
		var round []string
		for from := 0; ; from += checkPage {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := idx.Search(ctx, &SearchRequest{Kinds: everyKind, Confidentiality: everyLevel,
				ExcludeIDs: seen, From: from, Size: checkPage})
			if err != nil {
				return fmt.Errorf("liệt kê chỉ mục: %w", err)
			}
			for i := range res.Hits {
				if len(seen)+len(round) >= limit {
					if limit == maxListed {
						return errTooMany
					}
					return nil
				}
				if err := fn(&res.Hits[i]); err != nil {
					return err
				}
				round = append(round, res.Hits[i].ID)
			}
			if uint64(len(round)) >= res.Total {
				return nil // everything listed
			}
			if len(res.Hits) < checkPage {
				break // the backend's window ends here
			}
		}
		if len(round) == 0 {
			return fmt.Errorf("liệt kê chỉ mục: tìm kiếm không trả thêm tài liệu nào")
		}
		seen = append(seen, round...)
	}
}

// leftoverBuilds lists the index builds under dataDir/index that CURRENT does not name.
func leftoverBuilds(dataDir string) ([]string, error) {
	root := filepath.Join(dataDir, indexRoot)
	cur, err := os.ReadFile(filepath.Join(root, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("đọc con trỏ chỉ mục: %w", err)
	}
	current := strings.TrimSpace(string(cur))
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("đọc thư mục chỉ mục: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != current && strings.HasPrefix(e.Name(), "build-") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// ErrRebuild is Repair's answer when the repair is a rebuild of the index (see Report.NeedsRebuild).
var ErrRebuild = errors.New("chỉ mục cần được xây lại")

// Repaired counts what Repair did.
type Repaired struct {
	Synced    int `json:"synced"`  // pending store changes applied
	Put       int `json:"put"`     // documents written again (missing or stale)
	Deleted   int `json:"deleted"` // documents removed (no live record)
	Leftovers int `json:"leftover_builds_removed"`
}

// Repair fixes what Check reported: it applies the pending store changes (Sync), writes the missing and
// stale documents again from the store, deletes the extra ones, all in one batch carrying the sequence
// number the index has reached, and removes leftover builds. When the report calls for a rebuild it
// changes nothing and returns ErrRebuild: the caller closes the index and runs Rebuild. Run Check again
// afterwards to confirm.
func Repair(ctx context.Context, st *corpus.Store, idx Index, r *Report) (Repaired, error) {
	var out Repaired
	if r.NeedsRebuild() {
		return out, ErrRebuild
	}
	n, err := Sync(ctx, st, idx, nil)
	out.Synced = n
	if err != nil {
		return out, err
	}
	b := &Batch{}
	// Each id is looked up again: Sync may just have changed it.
	for _, id := range slices.Concat(r.Missing, r.Stale, r.Extra) {
		e, err := st.Get(id)
		if errors.Is(err, corpus.ErrNotFound) {
			b.Delete = append(b.Delete, id)
			continue
		}
		if err != nil {
			return out, err
		}
		rec, err := e.Decode()
		if err != nil {
			return out, err
		}
		b.Put = append(b.Put, DocFromRecord(rec))
	}
	if len(b.Put)+len(b.Delete) > 0 {
		// The sequence number the index reached by Sync, not the store's latest: a change committed in
		// between must still be replayed by the next Sync.
		if b.Seq, err = idx.AppliedSeq(); err != nil {
			return out, err
		}
		if err := idx.Apply(ctx, b); err != nil {
			return out, fmt.Errorf("sửa chỉ mục: %w", err)
		}
		out.Put, out.Deleted = len(b.Put), len(b.Delete)
	}
	for _, name := range r.Leftovers {
		if err := os.RemoveAll(filepath.Join(st.Dir(), indexRoot, name)); err != nil {
			return out, fmt.Errorf("xoá bản chỉ mục dở %s: %w", name, err)
		}
		out.Leftovers++
	}
	return out, nil
}
