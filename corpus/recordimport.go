package corpus

import (
	"fmt"
	"io"
)

// ImportBatch is how many records an import of a record file writes per store transaction: one commit
// (and fsync) per row would make a large file crawl, one for the whole file would hold it all in memory.
const ImportBatch = 500

// ImportCounts is what an import of record files did.
type ImportCounts struct {
	Read, Rejected, Warnings               int
	Added, Updated, Unchanged, KeptDeleted int
}

// Add adds o's counts to c.
func (c *ImportCounts) Add(o ImportCounts) {
	c.Read += o.Read
	c.Rejected += o.Rejected
	c.Warnings += o.Warnings
	c.Added += o.Added
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.KeptDeleted += o.KeptDeleted
}

// ImportHooks let the caller of ImportRecords see a file's rows as they go; every hook may be nil.
type ImportHooks struct {
	// Check sees each row read as a record before its problems are counted, and may add problems (the
	// local run's warning for an id already read from another file of the run).
	Check func(p *Parsed)
	// Problem is called with each problem of each row, in the file's order.
	Problem func(Problem)
	// KeptDeleted is called for each row whose record staff deleted and the import left deleted.
	KeptDeleted func(line int, id string)
	// Written is called after each batch is in the store (to kick an index follower).
	Written func()
	// Around, if set, runs each batch's store write: a server takes its writers' lock for one batch at a
	// time, so that other writes wait for a batch rather than for the whole file, and refuses to go on
	// when it is stopping. Its error stops the import; the batches written before it stay.
	Around func(write func() error) error
}

// WarnRepeated is an ImportHooks.Check for the record file name: a record whose id was read before, in
// this file or in another one of seen (id → where it was first read, filled as rows are read), gets a
// warning, since the later record replaces the earlier.
func WarnRepeated(seen map[string]string, name string) func(*Parsed) {
	return func(p *Parsed) {
		id := p.Record.RecordID()
		if prev, dup := seen[id]; dup {
			p.Problems = append(p.Problems, Problem{File: name, Line: p.Line, ID: id, Severity: Warning,
				Code: ProblemDuplicateID, Message: "mã đã xuất hiện ở " + prev + "; bản ghi sau thay thế bản trước"})
		}
		seen[id] = fmt.Sprintf("%s dòng %d", name, p.Line)
	}
}

// UnreadableError is returned by ImportRecords for a file of which nothing could be read at all (JSON
// broken before its first record or no JSON at all, an empty JSON file, not a workbook, no CSV header): a
// fault of the file as a whole, not of some of its rows. Problem.Line is the line where reading it broke,
// 0 when there is none to point at (an empty file, a workbook that does not open).
type UnreadableError struct{ Problem Problem }

// Detail says what is wrong with the file, after the line where reading it broke when there is one:
// "dòng 2: JSON hỏng từ đây đến hết tệp, …". It is what to say after "không đọc được: ".
func (e *UnreadableError) Detail() string {
	if e.Problem.Line > 0 {
		return fmt.Sprintf("dòng %d: %s", e.Problem.Line, e.Problem.Message)
	}
	return e.Problem.Message
}

func (e *UnreadableError) Error() string {
	return "tệp không đọc được: " + e.Detail()
}

// ImportRecords reads the record file name (in format, see FormatOf) from r and imports its records
// through Import, ImportBatch at a time, with source and the SHA-256 of the file kept by PutOriginal; a
// record staff deleted stays deleted unless restore. A row that cannot be read is counted as rejected and
// reported with its problems, and the rest of the file still goes in. The counts are of what was done
// even when an error stops the import: the batches written before it stay written.
func (s *Store) ImportRecords(r io.Reader, name string, format Format, source, sha string, restore bool, h ImportHooks) (ImportCounts, error) {
	var c ImportCounts
	var batch []Record
	var lines []int // of the batch's rows, to report the records left deleted
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var ps PutStats
		var kept []string
		write := func() (err error) {
			ps, kept, err = s.Import(batch, source, sha, restore)
			return err
		}
		var err error
		if h.Around != nil {
			err = h.Around(write)
		} else {
			err = write()
		}
		if err != nil {
			return err
		}
		if h.Written != nil {
			h.Written()
		}
		c.Added += ps.Added
		c.Updated += ps.Updated
		c.Unchanged += ps.Unchanged
		c.KeptDeleted += ps.KeptDeleted
		// kept follows the batch's order: each id is that of the next row with it.
		row := 0
		for _, id := range kept {
			for batch[row].RecordID() != id {
				row++
			}
			if h.KeptDeleted != nil {
				h.KeptDeleted(lines[row], id)
			}
			row++
		}
		batch, lines = batch[:0], lines[:0]
		return nil
	}
	first := true
	err := ReadRecords(name, r, format, func(p Parsed) error {
		if first && p.Record == nil {
			for _, pr := range p.Problems {
				if pr.Code == ProblemUnreadableFile {
					return &UnreadableError{Problem: pr}
				}
			}
		}
		first = false
		if p.Record != nil && h.Check != nil {
			h.Check(&p)
		}
		for _, pr := range p.Problems {
			if pr.Severity == Warning {
				c.Warnings++
			}
			if h.Problem != nil {
				h.Problem(pr)
			}
		}
		if p.Record == nil {
			c.Rejected++
			return nil
		}
		c.Read++
		batch = append(batch, p.Record)
		lines = append(lines, p.Line)
		if len(batch) >= ImportBatch {
			return flush()
		}
		return nil
	})
	if err == nil { // after an error the batch in hand is not written: the caller stopped, or the store failed
		err = flush()
	}
	return c, err
}
