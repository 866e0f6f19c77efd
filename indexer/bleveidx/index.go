package bleveidx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	index "github.com/blevesearch/bleve_index_api"
	zapx "github.com/blevesearch/zapx/v17"

	"ketnoi/indexer"
)

// Options choose how an index is built and written. Bigrams applies when the index is created; an existing
// index keeps the fields of its stored mapping whatever Bigrams says.
type Options struct {
	// Bigrams adds the folded syllable bigrams of all text fields in one field (text_fb, see newLayout),
	// used for ranking only.
	Bigrams bool
	// BatchDocs and BatchBytes bound one bleve batch ("piece"); Apply splits larger batches. 0 means the
	// default. Every piece in flight holds its documents' analysis (about 100 KB for a 1 KB record) until
	// its segment is built, so BatchDocs × Workers bounds indexing memory.
	BatchDocs  int
	BatchBytes int
	// Workers is how many pieces of one Apply are written at the same time; 0 means one per CPU.
	Workers int
	// holdMerges keeps bleve's background merger from merging segments (tests of Compact, whose result it
	// would otherwise complete or hide).
	holdMerges bool
}

// DefaultOptions are what Open uses. Bigrams are on: on the public eval sets (eval_test.go, 300 queries
// each) per-field bigrams raised MRR@10 from 0.43 to 0.57 (UNC news, known item), 0.20 to 0.27 (ViCoV19QA)
// and 0.95 to 0.96 (XQuAD), and with common-syllable pruning (query.go) made queries faster, not slower; the
// combined layout of newLayout then raised nDCG@10 further while costing less to index. A query-time
// substitute (adjacent syllables as phrases) gained only 0.015 MRR.
var DefaultOptions = Options{Bigrams: true}

// Pieces of 1,000 documents cut indexing CPU by 10% but (with the default merge floor) raised the peak
// memory of indexing 100,000 records from 0.78 to 1.15 GB (VmHWM, bench index), over the 1 GiB a bulk
// import must stay under.
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
	layout  bigramLayout
	opts    Options
	// text is how the text properties are indexed, analysed together (shared.go); nil: by the mapping.
	text *textSpecs
	// facets caches each segment's facet values (facets.go).
	facets   *facetTables
	warming  atomic.Bool
	searched atomic.Bool // a search has run: writes then warm the new segments' tables
	cache    *resultCache
	// lengthsKept: the mapping stores each document's length; indexes built before it are ranked by BM25 only.
	lengthsKept bool

	applyMu sync.Mutex // one Apply at a time, so pieces of two batches never interleave

	mu     sync.RWMutex // guards closed; held for reading by every operation
	closed bool
	bi     bleve.Index

	onPiece func(docs, bytes int) // test hook: called for each bleve batch of documents Apply writes
	onNudge func()                // test hook: called for each write releaseReplaced makes
}

// hookMu serialises calls of the onPiece test hook: pieces are written concurrently.
var hookMu sync.Mutex

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
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	var bi bleve.Index
	_, err := os.Stat(filepath.Join(dir, "index_meta.json"))
	switch {
	case err == nil:
		if bi, err = bleve.OpenUsing(dir, scorchConfig(opts)); err != nil {
			return nil, fmt.Errorf("bleveidx: open %s: %w", dir, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, fmt.Errorf("bleveidx: create %s: %w", dir, err)
		}
		if bi, err = bleve.NewUsing(dir, newIndexMapping(newLayout(opts)), scorch.Name, scorch.Name, scorchConfig(opts)); err != nil {
			return nil, fmt.Errorf("bleveidx: create %s: %w", dir, err)
		}
	default:
		return nil, fmt.Errorf("bleveidx: open %s: %w", dir, err)
	}
	layout, ours := layoutOf(bi.Mapping())
	bigrams := layout.any()
	if !ours {
		bi.Close()
		return nil, fmt.Errorf("bleveidx: open %s: not a ketnoi index (unknown mapping)", dir)
	}
	opts.Bigrams = bigrams
	props := make([]string, 0, len(textFields))
	for _, f := range textFields {
		props = append(props, f.name)
	}
	text := readTextSpecs(bi.Mapping(), props, fText)
	return &Index{dir: dir, bigrams: bigrams, layout: layout, opts: opts, bi: bi, text: text, facets: newFacetTables(),
		cache: newResultCache(DefaultCacheEntries), lengthsKept: hasField(bi.Mapping(), fTokens)}, nil
}

// hasField reports whether the stored mapping indexes a top-level property.
func hasField(m mapping.IndexMapping, name string) bool {
	im, ok := m.(*mapping.IndexMappingImpl)
	return ok && im.DefaultMapping != nil && im.DefaultMapping.Properties[name] != nil
}

// Outdated names what an index built by an older version lacks ("" when nothing): the document lengths the
// second ranking stage needs.
func (x *Index) Outdated() string {
	if !x.lengthsKept {
		return "chỉ mục được dựng trước khi lưu độ dài tài liệu nên chỉ xếp hạng một bước (BM25); chạy ketnoi reindex để có bước xếp hạng thứ hai"
	}
	return ""
}

// scorchConfig is the scorch configuration, given when an index is created and again whenever it is opened
// (so that it follows this code, not what an older version stored).
//
// The merge planner weighs segments by file size, with small ones counted as floorSegmentFileSize. Weighed
// by documents (its default), a segment smaller than the floor counts as that many documents, which fits
// records of a kilobyte but not reports of a hundred pages: with a floor of 1,000 documents, an index of a
// few thousand PDFs had a budget of a handful of segments, and each new batch of 32 reports was merged into
// segments of hundreds of megabytes again and again. By file size, indexing 5,000 ten-page PDFs went from
// 506 to 682 pages/s and its peak RSS from 858 to 542 MB, for 18 segments instead of 5 (ketnoi compact
// merges them); 100,000 records index at the same speed (2,348 against 2,326/s) with a lower peak (801
// against 822 MB). Floors of 1, 2 and 8 MB did no better than 4. Batches stay durable (no
// "unsafe_batch"): see Apply.
func scorchConfig(o Options) map[string]interface{} {
	plan := map[string]interface{}{"FloorSegmentFileSize": floorSegmentFileSize}
	if o.holdMerges { // a budget of as many segments as there are: every one counts as the smallest's size
		plan = map[string]interface{}{"FloorSegmentFileSize": 1, "MaxSegmentsPerTier": 1 << 20}
	}
	return map[string]interface{}{"scorchMergePlanOptions": plan}
}

const floorSegmentFileSize = 4 << 20

// zap sizes a new segment's buffer as its last segment's bytes per document times (documents + 100), and
// the buffer is zeroed before use. For a write of one report (an upload, an edit) that is a hundred
// reports' worth: with one batch per upload, 500 ten-page PDFs sent to a server cost 8.8 s of system time
// and a 271 MB peak, against 3.6 s and 156 MB sized to the batch itself. A short estimate only makes the
// buffer grow by doubling.
func init() { zapx.NewSegmentBufferNumResultsBump = 0 }

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

// Apply writes the batch: deletions first, then documents, split into bleve batches ("pieces") of at most
// BatchDocs documents and about BatchBytes bytes. Each piece is durable when bleve returns from it, and the
// sequence number is written, in a piece of its own, only after every piece of the batch is: a crash in
// between leaves the old sequence number, and the next Sync replays the whole batch.
//
// Durable because scorch's Batch waits for the segment to be persisted unless "unsafe_batch" is set, and it
// is not: with it, Apply would return with the batch (and its sequence number) in memory only, Close does
// not persist what is still there, and the index could go back behind a sequence number the store was told
// it had. Waiting costs little here: while one piece waits for its fsync, another is being built.
//
// A bleve batch analyses its documents on several goroutines but builds its segment on one, so pieces are
// written Workers at a time to keep every core busy. Pieces running together must not touch the same
// document (the later version could be introduced first); a batch naming an ID twice is written in order.
func (x *Index) Apply(ctx context.Context, b *indexer.Batch) error {
	x.applyMu.Lock()
	defer x.applyMu.Unlock()
	bi, err := x.reader()
	if err != nil {
		return err
	}
	defer x.mu.RUnlock()
	defer x.cache.invalidate() // whatever happened: a failed batch may have written some pieces

	pieces, distinct, err := x.cut(b)
	if err != nil {
		return err
	}
	write := func(p *piece, seq uint64) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bleveidx: apply: %w", err)
		}
		bb := bi.NewBatch()
		for _, id := range p.deletes {
			bb.Delete(id)
		}
		for _, d := range p.docs {
			doc, err := x.document(bi.Mapping(), d)
			if err != nil {
				return fmt.Errorf("bleveidx: apply: map document %s: %w", d.ID, err)
			}
			if err := bb.IndexAdvanced(doc); err != nil {
				return fmt.Errorf("bleveidx: apply: document %s: %w", d.ID, err)
			}
		}
		if seq != 0 {
			bb.SetInternal(seqKey, binary.BigEndian.AppendUint64(nil, seq))
		}
		if err := bi.Batch(bb); err != nil {
			return fmt.Errorf("bleveidx: apply batch piece %d: %w", p.num, err)
		}
		if x.onPiece != nil && len(p.docs)+len(p.deletes) > 0 {
			hookMu.Lock()
			x.onPiece(len(p.docs)+len(p.deletes), p.size)
			hookMu.Unlock()
		}
		return nil
	}

	workers := x.opts.Workers
	if len(pieces) <= 1 || workers <= 1 || !distinct {
		// In order, the sequence number riding in the last piece: nothing runs beside it.
		for i, p := range pieces {
			seq := uint64(0)
			if i == len(pieces)-1 {
				seq = b.Seq
			}
			if err := write(p, seq); err != nil {
				return err
			}
		}
		if len(pieces) == 0 && b.Seq != 0 {
			return write(&piece{num: 1}, b.Seq)
		}
		return nil
	}

	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	failed := func() error {
		errMu.Lock()
		defer errMu.Unlock()
		return firstErr
	}
	slots := make(chan struct{}, workers)
	for _, p := range pieces {
		slots <- struct{}{}
		if failed() != nil {
			<-slots
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := write(p, 0); err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := failed(); err != nil {
		return err
	}
	if b.Seq != 0 {
		// Only now that every piece is persisted may the sequence number say so.
		if err := write(&piece{num: len(pieces) + 1}, b.Seq); err != nil {
			return err
		}
	}
	if x.searched.Load() {
		x.warm()
	}
	return nil
}

// document builds the bleve document of d: the text fields analysed together (shared.go), the rest through
// the index mapping.
func (x *Index) document(m mapping.IndexMapping, d *indexer.Doc) (*document.Document, error) {
	data := docData(d, x.layout, x.text == nil)
	var values []string
	if x.text != nil {
		values = make([]string, len(x.text.props))
		for i, prop := range x.text.props {
			values[i], _ = data[prop].(string)
			delete(data, prop)
		}
	}
	doc := document.NewDocument(d.ID)
	if err := m.MapDocument(doc, data); err != nil {
		return nil, err
	}
	if x.text != nil {
		addText(doc, x.text, values)
	}
	return doc, nil
}

// piece is one bleve batch of an Apply.
type piece struct {
	num     int // 1-based, for messages
	deletes []string
	docs    []*indexer.Doc
	size    int
}

// cut splits b into pieces of at most BatchDocs documents and about BatchBytes bytes (deletions count as
// documents of no size), and reports whether every ID in b is distinct.
func (x *Index) cut(b *indexer.Batch) ([]*piece, bool, error) {
	var pieces []*piece
	cur := &piece{num: 1}
	n := 0
	ids := make(map[string]struct{}, len(b.Delete)+len(b.Put))
	distinct := true
	seen := func(id string) {
		if _, dup := ids[id]; dup {
			distinct = false
		}
		ids[id] = struct{}{}
	}
	next := func() {
		pieces = append(pieces, cur)
		cur = &piece{num: len(pieces) + 1}
		n = 0
	}
	for _, id := range b.Delete {
		if n >= x.opts.BatchDocs {
			next()
		}
		cur.deletes = append(cur.deletes, id)
		seen(id)
		n++
	}
	for i := range b.Put {
		d := &b.Put[i]
		if d.ID == "" {
			return nil, false, fmt.Errorf("bleveidx: apply: document %d has no ID", i)
		}
		dsize := docSize(d)
		if n > 0 && (n >= x.opts.BatchDocs || cur.size+dsize > x.opts.BatchBytes) {
			next()
		}
		cur.docs = append(cur.docs, d)
		cur.size += dsize
		seen(d.ID)
		n++
	}
	if n > 0 {
		pieces = append(pieces, cur)
	}
	return pieces, distinct, nil
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

// DiskSize is the size on disk of the live index: the segment files of the current snapshot and the
// index's other files (scorch's root.bolt, the metadata). scorch's merger writes each merged segment as a
// new .zap file beside the others before it is introduced, and the segments it replaced stay on disk until
// the persister removes them once no snapshot (kept for rollback, or held by a running search) uses them:
// summing every file counted the same documents twice while bleve merged in the background.
func (x *Index) DiskSize() (int64, error) {
	bi, err := x.reader()
	if err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	adv, err := bi.Advanced()
	if err != nil {
		return 0, fmt.Errorf("bleveidx: disk size of %s: %w", x.dir, err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return 0, fmt.Errorf("bleveidx: disk size of %s: index type %T is not scorch", x.dir, adv)
	}
	live := map[string]bool{}
	files, _ := segmentFiles(s)
	for f := range files {
		live[filepath.Clean(f)] = true
	}
	var total int64
	err = filepath.WalkDir(x.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // a segment merged away while walking
				return nil
			}
			return err
		}
		if filepath.Ext(path) == ".zap" && !live[filepath.Clean(path)] {
			return nil // a merge's output not yet introduced, or a replaced segment not yet removed
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

// SegmentCount is the number of segments of the current snapshot: each write adds one, bleve's merges and
// Compact reduce them.
func (x *Index) SegmentCount() (int, error) {
	bi, err := x.reader()
	if err != nil {
		return 0, err
	}
	defer x.mu.RUnlock()
	adv, err := bi.Advanced()
	if err != nil {
		return 0, fmt.Errorf("bleveidx: segments: %w", err)
	}
	n := 0
	if err := withSnapshot(adv, func(is *scorch.IndexSnapshot) { n = len(is.Segments()) }); err != nil {
		return 0, fmt.Errorf("bleveidx: segments: %w", err)
	}
	return n, nil
}

// withSnapshot calls fn with the index's current scorch snapshot, held until fn returns.
func withSnapshot(adv index.Index, fn func(*scorch.IndexSnapshot)) error {
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	is, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return fmt.Errorf("reader %T is not scorch's", r)
	}
	fn(is)
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
