package alerts

import (
	"fmt"
	"testing"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
)

// BenchmarkPass measures one re-match pass over the sample corpus with 50 standing needs, for a batch of
// changed results of each size (the changes are written and indexed outside the timing):
//
//	go test ./alerts -run '^$' -bench Pass -benchtime 5x
func BenchmarkPass(b *testing.B) {
	for _, batch := range []int{300, 30, 1} {
		b.Run(fmt.Sprintf("changed=%d", batch), func(b *testing.B) {
			w := newWorld(b)
			recs, err := sample.Records()
			if err != nil {
				b.Fatal(err)
			}
			var results []*corpus.Result
			standing := 0
			for _, r := range recs {
				switch r := r.(type) {
				case *corpus.Result:
					results = append(results, r)
				case *corpus.Need:
					if standing < 50 {
						r.Standing, r.Deadline = true, "" // open, whatever the clock says

						w.put(b, r)
						standing++
					}
				}
			}
			w.pass(b) // the 50 needs join: one full match each, timed apart below
			var matched, raised int
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				changed := make([]corpus.Record, 0, batch)
				for j := range batch {
					// Every version differs: the results change, as a re-import of corrected records would.
					r := *results[(i*batch+j)%len(results)]
					r.UpdatedAt = fmt.Sprintf("2026-01-%02d", 1+(i%28))
					r.Keywords = append(append([]string(nil), r.Keywords...), fmt.Sprintf("phiên bản %d", i))
					changed = append(changed, &r)
				}
				w.put(b, changed...)
				b.StartTimer()
				st, _ := w.pass(b)
				matched, raised = matched+st.Matched, raised+st.Raised
			}
			b.ReportMetric(float64(matched)/float64(b.N), "matched/pass")
			b.ReportMetric(float64(raised)/float64(b.N), "raised/pass")
		})
	}
}

// BenchmarkJoin measures 50 needs becoming standing at once: each is matched in full.
func BenchmarkJoin(b *testing.B) {
	w := newWorld(b)
	recs, err := sample.Records()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		var needs []corpus.Record
		for _, r := range recs {
			if n, ok := r.(*corpus.Need); ok && len(needs) < 50 {
				c := *n
				c.Standing, c.Deadline = true, ""
				c.Broker = fmt.Sprintf("B%d", i) // a change each round
				needs = append(needs, &c)
			}
		}
		w.put(b, needs...)
		b.StartTimer()
		w.pass(b)
	}
}
