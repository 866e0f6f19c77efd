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
		// Each word a correction may name stands where CorrectQuery will replace it.
		_, rs, spans := parseQuery(s)
		words := q.Relaxed().Terms
		if len(spans) != len(words) {
			t.Fatalf("%q: %d spans for the words %q", s, len(spans), words)
		}
		for i, sp := range spans {
			if got := string(rs[sp[0]:sp[1]]); got != words[i] {
				t.Fatalf("%q: span %v is %q, word %q", s, sp, got, words[i])
			}
		}
	})
}

func TestCorrectQuery(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cs   []Correction
		want string
	}{
		{"nghiên nghiê", []Correction{{"nghiê", "nghiên"}}, "nghiên nghiên"},
		{"ma\u0301y sây", []Correction{{"sây", "sấy"}}, "máy sấy"},
		{"tôm tômm tômm", []Correction{{"tômm", "tôm"}, {"tômm", "tôm"}}, "tôm tôm tôm"},
		// A clause's value and an excluded word are not terms; a phrase's words follow the terms.
		{"tác_giả:Hảii -Hảii Hảii", []Correction{{"Hảii", "Hải"}}, "tác_giả:Hảii -Hảii Hải"},
		{`"cá comm" comm`, []Correction{{"comm", "com"}, {"comm", "com"}}, `"cá com" com`},
		{`x "cá comm"`, []Correction{{"comm", "com"}}, `x "cá com"`},
		{"không có", []Correction{{"gì", "gi"}}, "không có"},
	} {
		if got := CorrectQuery(tc.in, tc.cs); got != tc.want {
			t.Errorf("CorrectQuery(%q, %v) = %q, want %q", tc.in, tc.cs, got, tc.want)
		}
	}
}
