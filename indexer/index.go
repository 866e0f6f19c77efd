// Package indexer turns corpus records into searchable documents and keeps the search index in step with the
// corpus store. It defines the backend-neutral Index interface that the server and the matcher see; the bleve
// backend lives in indexer/bleveidx, and indexer/indextest holds the conformance suite every backend must pass.
package indexer

import (
	"context"
	"errors"
)

// Index is a search backend. Implementations must be safe for concurrent use: searches run while a batch is
// being applied.
type Index interface {
	// Apply writes one batch atomically as far as the backend allows: the documents, the deletions and the
	// store sequence number the batch brings the index up to (see AppliedSeq).
	Apply(ctx context.Context, b *Batch) error
	// AppliedSeq is the corpus store sequence number of the last applied batch: after a crash, everything in
	// the store above it is replayed.
	AppliedSeq() (uint64, error)
	// Search runs one query.
	Search(ctx context.Context, req *SearchRequest) (*SearchResult, error)
	// Count is the number of documents in the index.
	Count() (uint64, error)
	// DiskSize is the size on disk in bytes of the live index: the files the current state uses, not those a
	// background merge is writing or has replaced and not yet removed.
	DiskSize() (int64, error)
	Close() error
}

// ErrClosed is returned by an Index used after Close.
var ErrClosed = errors.New("index closed")

// Batch is a set of changes applied together.
type Batch struct {
	Put    []Doc
	Delete []string
	// Seq is the corpus store sequence number after these changes; 0 leaves the stored value untouched.
	Seq uint64
}

// Kinds of document.
const (
	KindResult = "result"
	KindNeed   = "need"
)

// Doc is one searchable document, flattened from a corpus record. Code lists are already expanded to their
// ancestors (a sector "1020" is indexed as "1020", "10" and "C") so that facets and filters work at every
// level of a hierarchy.
type Doc struct {
	ID   string
	Kind string

	// Full-text fields. Keywords are joined with "; ".
	Title        string
	Summary      string
	Keywords     string
	Applications string
	Advantages   string
	Body         string // result body or need description
	// Pages holds the body page by page when it came from a paged source (a PDF); Body is then their join,
	// and a highlight can name its page.
	Pages []string

	// Keyword fields (filters and facets).
	FieldCodes      []string
	Sectors         []string
	IPStatus        string
	TransferForms   []string
	Organization    string // organisation (results) or enterprise (needs)
	Authors         []string
	Province        string
	LegacyProvince  string
	Locality        string
	Language        string
	Confidentiality string // needs only: public, anonymised, broker_only

	// Numbers; 0 means not stated.
	Year               int
	TRL                int // results: trl; needs: min_trl
	PriceMin, PriceMax int64
}
