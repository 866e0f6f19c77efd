package indexer

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"ketnoi/corpus"
	"ketnoi/market"
)

// Stats describes a data directory: what the store holds and how far the index has caught up.
type Stats struct {
	Records    map[string]int `json:"records"` // live records by kind
	IndexDocs  uint64         `json:"index_documents"`
	StoreSeq   uint64         `json:"store_seq"`
	IndexSeq   uint64         `json:"index_seq"`
	IndexBytes int64          `json:"index_bytes"`
	// IndexSegments is how many parts the index is split into (-1 when the index cannot tell): many after a
	// big import, until ketnoi compact.
	IndexSegments int `json:"index_segments"`
	// IndexOutdated says what the index lacks for having been built by an older version ("" when nothing).
	IndexOutdated string         `json:"index_outdated,omitempty"`
	StoreBytes    int64          `json:"store_bytes"`
	ByField       map[string]int `json:"results_by_field"` // top-level field of science
	ByYear        map[string]int `json:"results_by_year"`
	WithoutField  int            `json:"results_without_field"`
	WithoutYear   int            `json:"results_without_year"`
	ByOrg         map[string]int `json:"results_by_organization"`
	// Documents made from files: how many, pages by extraction rung, OCR.
	FromFiles     int            `json:"results_from_files"`
	PagesByRung   map[string]int `json:"pages_by_rung"`
	OCRDocuments  int            `json:"documents_with_ocr"`
	NeedsOCR      int            `json:"documents_needing_ocr"`
	FilesSeen     int            `json:"files"`
	FailedByCause map[string]int `json:"failed_files_by_reason"`
	// Failed lists the failed files (at most 100) with their reasons.
	Failed []corpus.FileState `json:"failed_files,omitempty"`
	// Market is the statistics page's figures (package market).
	Market *market.Report `json:"market"`
}

// CollectStats reads the store and the index.
func CollectStats(st *corpus.Store, idx Index) (*Stats, error) {
	s, err := StoreStats(st, nil)
	if err != nil {
		return nil, err
	}
	return s, s.AddIndex(idx)
}

// StoreStats is CollectStats without the index's figures: the part that reads every record, which a server
// keeps between requests while the store does not change. mkt, when not nil, is the market report already
// collected from the same store.
func StoreStats(st *corpus.Store, mkt *market.Report) (*Stats, error) {
	s := &Stats{Records: map[string]int{}, ByField: map[string]int{}, ByYear: map[string]int{}, ByOrg: map[string]int{},
		PagesByRung: map[string]int{}, FailedByCause: map[string]int{}}
	err := st.Each(func(e *corpus.Entry) error {
		s.Records[e.Kind]++
		if e.Kind != corpus.KindResult {
			return nil
		}
		rec, err := e.Decode()
		if err != nil {
			return err
		}
		r := rec.(*corpus.Result)
		tops := map[string]bool{}
		for _, c := range r.FieldCodes {
			a := corpus.FieldAncestors(c)
			tops[a[len(a)-1]] = true
		}
		for t := range tops {
			s.ByField[t]++
		}
		if len(tops) == 0 {
			s.WithoutField++
		}
		if r.Year > 0 {
			s.ByYear[fmt.Sprint(r.Year)]++
		} else {
			s.WithoutYear++
		}
		if r.Organization != "" {
			s.ByOrg[r.Organization]++
		}
		if x := r.Extraction; x != nil {
			s.FromFiles++
			for k, v := range x.Rungs {
				s.PagesByRung[k] += v
			}
			if x.Rungs["ocr"] > 0 {
				s.OCRDocuments++
			}
			if x.NeedsOCR {
				s.NeedsOCR++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = st.FileStates(func(f corpus.FileState) error {
		s.FilesSeen++
		if f.Outcome == corpus.FileFailed {
			s.FailedByCause[f.Reason]++
			if len(s.Failed) < 100 {
				s.Failed = append(s.Failed, f)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.StoreSeq, err = st.Seq(); err != nil {
		return nil, err
	}
	if s.Market = mkt; mkt == nil {
		if s.Market, err = market.Collect(st, time.Now()); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(filepath.Join(st.Dir(), "store.db")); err == nil {
		s.StoreBytes = fi.Size()
	}
	return s, nil
}

// AddIndex sets the index's figures: how far it has caught up with the store, its size and segments.
func (s *Stats) AddIndex(idx Index) error {
	var err error
	if s.IndexSeq, err = idx.AppliedSeq(); err != nil {
		return err
	}
	if s.IndexDocs, err = idx.Count(); err != nil {
		return err
	}
	if s.IndexBytes, err = idx.DiskSize(); err != nil {
		return err
	}
	s.IndexSegments = -1
	if sc, ok := SegmentCounterOf(idx); ok {
		if s.IndexSegments, err = sc.SegmentCount(); err != nil {
			return err
		}
	}
	if o, ok := OutdatedOf(idx); ok {
		s.IndexOutdated = o.Outdated()
	}
	return nil
}
