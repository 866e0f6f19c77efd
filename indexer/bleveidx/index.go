package bleveidx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"ketnoi/indexer"
)

// Options choose how an index is built and written. Bigrams applies when the index is created; an existing
// index keeps the fields of its stored mapping whatever Bigrams says.
type Options struct {
	// Bigrams adds syllable-bigram variants of every text field (vi_exact_bigram, vi_folded_bigram), used
	// for ranking only.
	Bigrams bool
	// BatchDocs and BatchBytes bound one bleve batch; Apply splits larger batches. 0 means the default.
	BatchDocs  int
	BatchBytes int
}

// DefaultOptions are what Open uses. Bigrams are on: on the public eval sets (eval_test.go, 300 queries
// each) they raised MRR@10 from 0.43 to 0.57 (UNC news, known item), 0.20 to 0.27 (ViCoV19QA) and 0.95 to
// 0.96 (XQuAD), and with common-syllable pruning (query.go) made queries faster, not slower; the cost is
// +60–70% index size on real text (4.2 → 7.2 MB per MB of text on UNC) and -40% indexing speed
// (bench_test.go). A query-time substitute (adjacent syllables as phrases) gained only 0.015 MRR.
var DefaultOptions = Options{Bigrams: true}

const (
	defaultBatchDocs  = 500
	defaultBatchBytes = 8 << 20
)

// seqKey is the internal key holding the applied store sequence number, written in the same bleve batch as
// the documents it covers.
var seqKey = []byte("seq")

// Index is a bleve index implementing indexer.Index.
type Index struct {
	dir     string
	bigrams bool
	opts    Options

	applyMu sync.Mutex // one Apply at a time, so pieces of two batches never interleave

	mu     sync.RWMutex // guards closed; held for reading by every operation
	closed bool
	bi     bleve.Index

	onPiece func(docs, bytes int) // test hook: called for each bleve batch Apply writes
}

var _ indexer.Index = (*Index)(nil)

// Open creates or opens the index in dir with DefaultOptions.
func Open(dir string) (*Index, error) { return OpenWith(dir, DefaultOptions) }

// OpenWith creates the index in dir with opts, or opens the one already there.
func OpenWith(dir string, opts Options) (*Index, error) {
	if opts.BatchDocs <= 0 {
		opts.BatchDocs = defaultBatchDocs
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = defaultBatchBytes
	}
	var bi bleve.Index
	_, err := os.Stat(filepath.Join(dir, "index_meta.json"))
	switch {
	case err == nil:
		if bi, err = bleve.Open(dir); err != nil {
			return nil, fmt.Errorf("bleveidx: open %s: %w", dir, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, fmt.Errorf("bleveidx: create %s: %w", dir, err)
		}
		if bi, err = bleve.NewUsing(dir, newIndexMapping(opts.Bigrams), scorch.Name, scorch.Name, nil); err != nil {
			return nil, fmt.Errorf("bleveidx: create %s: %w", dir, err)
		}
	default:
		return nil, fmt.Errorf("bleveidx: open %s: %w", dir, err)
	}
	bigrams, ours := hasBigrams(bi.Mapping())
	if !ours {
		bi.Close()
		return nil, fmt.Errorf("bleveidx: open %s: not a ketnoi index (unknown mapping)", dir)
	}
	opts.Bigrams = bigrams
	return &Index{dir: dir, bigrams: bigrams, opts: opts, bi: bi}, nil
}

// Options returns the options the index runs with (Bigrams as stored in the index).
func (x *Index) Options() Options { return x.opts }

// reader returns the bleve index for one operation; the caller must call x.mu.RUnlock when done.
func (x *Index) reader() (bleve.Index, error) {
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return nil, indexer.ErrClosed
	}
	return x.bi, nil
}

// Apply writes the batch: deletions first, then documents, split into bleve batches of at most BatchDocs
// documents and about BatchBytes bytes. The sequence number rides in the last piece, so it is persisted
// atomically with the end of the batch; a crash in between replays the whole batch.
func (x *Index) Apply(ctx context.Context, b *indexer.Batch) error {
	x.applyMu.Lock()
	defer x.applyMu.Unlock()
	bi, err := x.reader()
	if err != nil {
		return err
	}
	defer x.mu.RUnlock()

	piece := bi.NewBatch()
	n, size, pieces := 0, 0, 0
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bleveidx: apply: %w", err)
		}
		if err := bi.Batch(piece); err != nil {
			return fmt.Errorf("bleveidx: apply batch piece %d: %w", pieces+1, err)
		}
		pieces++
		if x.onPiece != nil {
			x.onPiece(n, size)
		}
		piece.Reset()
		n, size = 0, 0
		return nil
	}
	for _, id := range b.Delete {
		if n >= x.opts.BatchDocs {
			if err := flush(); err != nil {
				return err
			}
		}
		piece.Delete(id)
		n++
	}
	for i := range b.Put {
		d := &b.Put[i]
		if d.ID == "" {
			return fmt.Errorf("bleveidx: apply: document %d has no ID", i)
		}
		data, dsize := docData(d)
		if n > 0 && (n >= x.opts.BatchDocs || size+dsize > x.opts.BatchBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		if err := piece.Index(d.ID, data); err != nil {
			return fmt.Errorf("bleveidx: apply: map document %s: %w", d.ID, err)
		}
		n++
		size += dsize
	}
	if b.Seq != 0 {
		piece.SetInternal(seqKey, binary.BigEndian.AppendUint64(nil, b.Seq))
	}
	if piece.Size() > 0 || b.Seq != 0 {
		return flush()
	}
	return nil
}

// AppliedSeq returns the sequence number stored by the last Apply, 0 if none.
func (x *Index) AppliedSeq() (uint64, error) {
	bi, err := x.reader()
	if err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	v, err := bi.GetInternal(seqKey)
	if err != nil {
		return 0, fmt.Errorf("bleveidx: read applied seq: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("bleveidx: applied seq is %d bytes, want 8", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Count returns the number of documents.
func (x *Index) Count() (uint64, error) {
	bi, err := x.reader()
	if err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	n, err := bi.DocCount()
	if err != nil {
		return 0, fmt.Errorf("bleveidx: count: %w", err)
	}
	return n, nil
}

// DiskSize sums the sizes of the files under the index directory.
func (x *Index) DiskSize() (int64, error) {
	if _, err := x.reader(); err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	var total int64
	err := filepath.WalkDir(x.dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // a segment merged away while walking
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bleveidx: disk size of %s: %w", x.dir, err)
	}
	return total, nil
}

// Compact merges the index into as few segments as bleve allows, reclaiming deleted documents: worth it once
// after a full rebuild (smaller on disk, faster searches). The replaced segment files are removed in the
// background shortly after it returns. Not part of indexer.Index.
func (x *Index) Compact(ctx context.Context) error {
	bi, err := x.reader()
	if err != nil {
		return err
	}
	defer x.mu.RUnlock()
	adv, err := bi.Advanced()
	if err != nil {
		return fmt.Errorf("bleveidx: compact: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("bleveidx: compact: index type %T is not scorch", adv)
	}
	if err := s.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		return fmt.Errorf("bleveidx: compact %s: %w", x.dir, err)
	}
	return nil
}

// Close closes the index; it waits for running operations and may be called more than once.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	if err := x.bi.Close(); err != nil {
		return fmt.Errorf("bleveidx: close %s: %w", x.dir, err)
	}
	return nil
}
