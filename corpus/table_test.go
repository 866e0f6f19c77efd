package corpus

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestReadXLSXDatesAndMergedCells: a workbook as staff fill it in Excel: dates typed as dates (stored as
// serial day numbers), a date with a time, a date typed as text, merged cells. Dates read as dates, not
// as the day number.
func TestReadXLSXDatesAndMergedCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	const sh = "Sheet1"
	rows := [][]any{
		{"id", "kind", "title", "deadline", "updated_at", "min_trl"},
		{"nc-1", "need", "Cần máy bóc vỏ hạt điều", time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 2, 14, 30, 0, 0, time.UTC), 5},
		{"nc-2", "need", "Cần lò sấy tiết kiệm củi", "2026-06-30", nil, nil},
		{"nc-3", "need", "Ô gộp", nil, nil, 4},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.MergeCell(sh, "D4", "E4"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	var got []Parsed
	if err := ReadRecords("nhu-cau.xlsx", &buf, FormatXLSX, func(p Parsed) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id, deadline, updated string
		trl                   int
	}{
		{"nc-1", "2026-03-15", "2025-11-02 14:30:00", 5},
		{"nc-2", "2026-06-30", "", 0},
		{"nc-3", "", "", 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records: %+v", len(got), got)
	}
	for i, w := range want {
		n, ok := got[i].Record.(*Need)
		if !ok {
			t.Fatalf("row %d: %+v", i+2, got[i])
		}
		if n.ID != w.id || n.Deadline != w.deadline || n.UpdatedAt != w.updated || n.MinTRL != w.trl || len(got[i].Problems) != 0 {
			t.Errorf("row %d: id %s deadline %q updated %q min_trl %d problems %v; want %+v", i+2, n.ID, n.Deadline, n.UpdatedAt, n.MinTRL, got[i].Problems, w)
		}
	}
}
