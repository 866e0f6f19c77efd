package searcheval

import (
	"context"
	"database/sql"
	"fmt"
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
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT INTO docs(id, title, summary, body) VALUES (?, ?, ?, ?)`)
	if err != nil {
		tx.Rollback()
		return err
	}
	for _, rec := range recs {
		r, ok := rec.(*corpus.Result)
		if !ok {
			continue
		}
		body := r.Body
		if r.Applications != "" || r.Advantages != "" || len(r.Keywords) > 0 {
			body = strings.Join([]string{strings.Join(r.Keywords, "; "), r.Applications, r.Advantages, body}, "\n")
		}
		if _, err := stmt.Exec(r.ID, r.Title, r.Summary, body); err != nil {
			tx.Rollback()
			return err
		}
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
