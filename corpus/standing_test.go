package corpus

import (
	"strings"
	"testing"
)

// TestStandingAndBrokerFields: the fields of a standing need read from CSV and JSON, with a clear problem
// naming the field for a bad value, and the other rows kept.
func TestStandingAndBrokerFields(t *testing.T) {
	long := strings.Repeat("a", MaxBrokerRunes+1)
	csv := "id,kind,title,standing,broker\n" +
		"n1,need,Cần A,có,Môi giới B\n" +
		"n2,need,Cần B,không,\n" +
		"n3,need,Cần C,TRUE,\n" +
		"n4,need,Cần D,x,\n" +
		"n5,need,Cần E,0,\n" +
		"n6,need,Cần F,chắc chắn,\n" +
		"n7,need,Cần G,,\n" +
		"n8,need,Cần H,có," + long + "\n" +
		"n9,need,Cần I,có,\"hai\ndòng\"\n" +
		"n10,need,Cần K,1,Mo\u0302i gio\u031b\u0301i\n" // decomposed (NFD) letters
	ps := readAll(t, "nhu-cau.csv", csv, FormatCSV)
	want := []struct {
		standing bool
		broker   string
		problem  string // field of the rejecting problem, "" when the row is read
	}{
		{true, "Môi giới B", ""}, {false, "", ""}, {true, "", ""}, {true, "", ""}, {false, "", ""},
		{false, "", "standing"}, {false, "", ""}, {false, "", "broker"}, {false, "", "broker"}, {true, "Môi giới", ""},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d rows read, want %d", len(ps), len(want))
	}
	for i, w := range want {
		p := ps[i]
		if w.problem != "" {
			if p.Record != nil || len(p.Problems) == 0 || p.Problems[0].Field != w.problem || p.Problems[0].Line != i+2 {
				t.Errorf("row %d: record %v, problems %v; want rejected on %s", i+2, p.Record, p.Problems, w.problem)
			}
			continue
		}
		n, ok := p.Record.(*Need)
		if !ok || n.Standing != w.standing || n.Broker != w.broker {
			t.Errorf("row %d: %+v %v, want standing %v broker %q", i+2, p.Record, p.Problems, w.standing, w.broker)
		}
	}

	p := DecodeRecord([]byte(`{"id": "n", "kind": "need", "title": "Cần", "standing": "có"}`))
	if p.Record != nil || len(p.Problems) != 1 || p.Problems[0].Field != "standing" || !strings.Contains(p.Problems[0].Message, "true/false") {
		t.Errorf("JSON standing as a string: %+v", p.Problems)
	}
}

// TestAnonymisedHidesBroker: the public view of a need never names its broker.
func TestAnonymisedHidesBroker(t *testing.T) {
	for _, conf := range []string{ConfPublic, ConfAnonymised} {
		n := &Need{ID: "n", Title: "Cần", Enterprise: "Công ty X", Broker: "Môi giới B", Confidentiality: conf}
		a := n.Anonymised()
		if a.Broker != "" || (conf == ConfPublic) != (a.Enterprise != "") || n.Broker == "" {
			t.Errorf("%s: %+v", conf, a)
		}
	}
}
