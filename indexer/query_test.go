package indexer

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want Query
	}{
		{"máy sấy cá", Query{Terms: []string{"máy", "sấy", "cá"}}},
		{`"cá cơm" sấy`, Query{Terms: []string{"sấy"}, Phrases: []string{"cá cơm"}}},
		{`tôm -hùm -"thức ăn"`, Query{Terms: []string{"tôm"}, Excluded: []string{"hùm", "thức ăn"}}},
		{`tác_giả:Hải cơ_quan:"Đại học Quy Nhơn" năm:2015..2020`, Query{Clauses: []Clause{
			{Field: ClauseAuthor, Value: "Hải"}, {Field: ClauseOrganization, Value: "Đại học Quy Nhơn"}, {Field: ClauseYear, Min: 2015, Max: 2020}}}},
		{"tac_gia:Hai nam:2019", Query{Clauses: []Clause{{Field: ClauseAuthor, Value: "Hai"}, {Field: ClauseYear, Min: 2019, Max: 2019}}}},
		{"năm:2018..", Query{Clauses: []Clause{{Field: ClauseYear, Min: 2018}}}},
		// Nothing a user types is an error: stray quotes, colons, dashes are taken literally.
		{`"cá cơm`, Query{Terms: []string{`"cá`, "cơm"}}},
		{"giờ:phút a:b", Query{Terms: []string{"giờ:phút", "a:b"}}},
		{"năm:abc", Query{Terms: []string{"năm:abc"}}},
		{"năm:2020..2010", Query{Terms: []string{"năm:2020..2010"}}},
		{"tác_giả:", Query{Terms: []string{"tác_giả:"}}},
		{"- -- nước", Query{Terms: []string{"-"}, Excluded: []string{"-"}, Phrases: nil, Clauses: nil}},
		{`""`, Query{}},
		{"  ", Query{}},
		// Eight plain words or more: quotes in pasted text rank, seven words keep them required.
		{`giá hành "lao dốc" nông dân Vĩnh Châu gặp khó`, Query{Phrases: []string{"lao dốc"}, RankPhrases: true,
			Terms: strings.Fields("giá hành nông dân Vĩnh Châu gặp khó")}},
		{`giá hành "lao dốc" nông dân Vĩnh Châu gặp`, Query{Phrases: []string{"lao dốc"},
			Terms: strings.Fields("giá hành nông dân Vĩnh Châu gặp")}},
		{"giá hành tím nông dân Vĩnh Châu gặp khó", Query{Terms: strings.Fields("giá hành tím nông dân Vĩnh Châu gặp khó")}},
	}
	for _, tt := range tests {
		got := ParseQuery(tt.in)
		if tt.in == "- -- nước" {
			// "-" alone is a word; "--" excludes "-"; then a term.
			tt.want.Terms = append(tt.want.Terms, "nước")
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseQueryNormalisesAndBounds(t *testing.T) {
	// NFD input comes out NFC; Ð becomes Đ.
	got := ParseQuery("ma\u0301y Ðà")
	if !reflect.DeepEqual(got.Terms, []string{"máy", "Đà"}) {
		t.Errorf("terms = %q", got.Terms)
	}
	long := strings.Repeat("nước sạch ", 2000)
	q := ParseQuery(long)
	n := 0
	for _, w := range q.Terms {
		n += len([]rune(w)) + 1
	}
	if n > MaxQueryRunes+1 || len(q.Terms) == 0 {
		t.Errorf("a 20,000-character query kept %d characters in %d terms", n, len(q.Terms))
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`"cá cơm" -tôm năm:2015..2020`, `tác_giả:"Nguyễn`, `:::""--`, "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := ParseQuery(s)
		for _, w := range append(append(q.Terms, q.Phrases...), q.Excluded...) {
			if w == "" {
				t.Fatalf("empty word from %q: %+v", s, q)
			}
		}
		for _, c := range q.Clauses {
			if c.Field == ClauseYear && c.Max != 0 && c.Min > c.Max {
				t.Fatalf("inverted year range from %q", s)
			}
		}
	})
}
