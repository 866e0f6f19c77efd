package searcheval

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"unicode"

	_ "modernc.org/sqlite" // pure-Go SQLite with FTS5: no cgo, no build tags

	"ketnoi/corpus"
)

// SQLite is the baseline: SQLite FTS5 with the unicode61 tokenizer removing diacritics, ranked by bm25, each
// query sent as an OR of its terms.
type SQLite struct {
	db *sql.DB
}

// OpenSQLite creates an FTS5 database at path (":memory:" for none on disk).
func OpenSQLite(path string) (*SQLite, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection: an in-memory database exists per connection
	if _, err := db.Exec(`CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, summary, body, tokenize = "unicode61 remove_diacritics 2")`); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite fts5: %w", err)
	}
	return &SQLite{db: db}, nil
}

// Load inserts result records in one transaction.
func (s *SQLite) Load(recs []corpus.Record) error {
	return s.load(func(put func(corpus.Record) error) error {
		for _, rec := range recs {
			if err := put(rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// LoadFile reads a record file the way an import reads it (decoded and validated; rejected records are
// counted, not loaded) and inserts its results in one transaction as they are read, so that a large file
// is never held in memory. It returns the number of results loaded and of records rejected.
func (s *SQLite) LoadFile(path string) (loaded, rejected int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	format := corpus.FormatOf(path)
	if format == "" {
		format = corpus.FormatJSONL
	}
	err = s.load(func(put func(corpus.Record) error) error {
		return corpus.ReadRecords(path, f, format, func(p corpus.Parsed) error {
			if p.Record == nil {
				rejected++
				return nil
			}
			if _, ok := p.Record.(*corpus.Result); ok {
				loaded++
			}
			return put(p.Record)
		})
	})
	return loaded, rejected, err
}

// load runs feed inside one transaction; put inserts a result record and skips anything else.
func (s *SQLite) load(feed func(put func(corpus.Record) error) error) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT INTO docs(id, title, summary, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		tx.Rollback()
		return err
	}
	err = feed(func(rec corpus.Record) error {
		r, ok := rec.(*corpus.Result)
		if !ok {
			return nil
		}
		body := r.Body
		if r.Applications != "" || r.Advantages != "" || len(r.Keywords) > 0 {
			body = strings.Join([]string{strings.Join(r.Keywords, "; "), r.Applications, r.Advantages, body}, "\n")
		}
		_, err := stmt.Exec(r.ID, r.Title, r.Summary, body)
		return err
	})
	if err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *SQLite) Name() string { return "SQLite FTS5" }

// Search sends the query as an OR of its quoted terms.
func (s *SQLite) Search(ctx context.Context, q string, k int) ([]string, error) {
	var terms []string
	for _, t := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) }) {
		terms = append(terms, `"`+t+`"`)
	}
	if len(terms) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?`, strings.Join(terms, " OR "), k)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }
