package corpus

import (
	"slices"
	"testing"
)

// TestImportKeepsDeleted: an import writing over records staff deleted leaves them deleted — sent again
// unchanged or changed — and lists them, while the other records of the same import go in; asked to
// restore, it brings them back. A record its source withdrew (a harvested page's deletion) is no staff
// decision: it comes back when sent again.
func TestImportKeepsDeleted(t *testing.T) {
	cases := []struct {
		name     string
		title    string // the deleted record's title in the import
		restore  bool
		withdraw bool // deleted by a harvested page instead of by staff
		want     PutStats
		kept     []string
		live     bool
	}{
		{"sent again unchanged", "Hai", false, false, PutStats{Added: 1, Unchanged: 1, KeptDeleted: 1}, []string{"xoa"}, false},
		{"changed since", "Hai (bản sửa)", false, false, PutStats{Added: 1, Unchanged: 1, KeptDeleted: 1}, []string{"xoa"}, false},
		{"restore asked", "Hai (bản sửa)", true, false, PutStats{Added: 2, Unchanged: 1}, nil, true},
		{"withdrawn by its source", "Hai", false, true, PutStats{Added: 2, Unchanged: 1}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.PutFrom([]Record{res("giu", "Một"), res("xoa", "Hai")}, "mau.csv", "sha1"); err != nil {
				t.Fatal(err)
			}
			if c.withdraw {
				st := HarvestState{}
				if _, err := s.PutHarvest("k", HarvestPage{Delete: []string{"xoa"}}, &st); err != nil {
					t.Fatal(err)
				}
			} else if err := s.Delete([]string{"xoa"}); err != nil {
				t.Fatal(err)
			}
			seq, _ := s.Seq()
			st, kept, err := s.Import([]Record{res("giu", "Một"), res("xoa", c.title), res("moi", "Ba")}, "mau.csv", "sha2", c.restore)
			if err != nil {
				t.Fatal(err)
			}
			if st != c.want || !slices.Equal(kept, c.kept) {
				t.Errorf("Import: %+v, kept %v; want %+v, kept %v", st, kept, c.want, c.kept)
			}
			e, err := s.Get("xoa")
			if live := err == nil; live != c.live {
				t.Fatalf("after the import the deleted record is live: %v, want %v (%v)", live, c.live, err)
			}
			if c.live {
				if r, _ := e.Decode(); r.(*Result).Title != c.title {
					t.Errorf("brought back as %q, want %q", r.(*Result).Title, c.title)
				}
			}
			// A record left deleted is no change: the index has nothing to replay for it.
			ids, deleted := changes(t, s, seq)
			if slices.Contains(deleted, "xoa") || slices.Contains(ids, "xoa") != c.live {
				t.Errorf("changes after the import: %v, deleted %v", ids, deleted)
			}
		})
	}
}

// TestPutHarvestKeepsDeleted: a harvested page that sends again a record staff deleted leaves it deleted,
// and the state stored with the page in the same transaction no longer lists its full-text file to fetch
// (a run killed after the page would otherwise fetch it and bring the record back through its file). The
// repository deleting that record changes nothing either.
func TestPutHarvestKeepsDeleted(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put([]Record{res("a", "Một"), res("b", "Hai")}, "oai x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete([]string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	state := HarvestState{Token: "trang-2", Pending: []HarvestFile{{ID: "a", URLs: []string{"u1"}}, {ID: "c", URLs: []string{"u3"}}}}
	done, err := s.PutHarvest("k", HarvestPage{Put: []Record{res("a", "Một (bản sửa)"), res("c", "Ba")}, Delete: []string{"b"}, Source: "oai x"}, &state)
	if err != nil {
		t.Fatal(err)
	}
	if done.PutStats != (PutStats{Added: 1, KeptDeleted: 1}) || done.Deleted != 0 || !slices.Equal(done.Kept, []string{"a"}) {
		t.Errorf("PutHarvest: %+v", done)
	}
	stored, _, err := s.HarvestState("k")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Pending) != 1 || stored.Pending[0].ID != "c" || stored.Token != "trang-2" {
		t.Errorf("stored state %+v, want only c's file pending", stored)
	}
	for id, live := range map[string]bool{"a": false, "b": false, "c": true} {
		if _, err := s.Get(id); (err == nil) != live {
			t.Errorf("%s live: %v, want %v", id, err == nil, live)
		}
		if _, deleted, _ := s.Deleted(id); deleted == live {
			t.Errorf("%s deleted by staff: %v, want %v", id, deleted, !live)
		}
	}
}
