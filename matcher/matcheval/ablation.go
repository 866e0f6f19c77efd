package matcheval

import (
	"reflect"

	"ketnoi/matcher"
)

// Config is one matcher configuration of an ablation run.
type Config struct {
	ID      string          `json:"id"`
	Name    string          `json:"name"`
	Weights matcher.Weights `json:"weights"`
}

// structural are the score components other than text relevance (the full-text score and the topic
// overlap, both measures of what the words say), with their weight in a Weights.
var structural = []struct {
	name   string
	weight func(*matcher.Weights) *float64
}{
	{matcher.CompField, func(w *matcher.Weights) *float64 { return &w.Field }},
	{matcher.CompSector, func(w *matcher.Weights) *float64 { return &w.Sector }},
	{matcher.CompTRL, func(w *matcher.Weights) *float64 { return &w.TRL }},
	{matcher.CompTransfer, func(w *matcher.Weights) *float64 { return &w.Transfer }},
	{matcher.CompBudget, func(w *matcher.Weights) *float64 { return &w.Budget }},
	{matcher.CompLocality, func(w *matcher.Weights) *float64 { return &w.Locality }},
	{matcher.CompFreshness, func(w *matcher.Weights) *float64 { return &w.Freshness }},
	{matcher.CompCompleteness, func(w *matcher.Weights) *float64 { return &w.Completeness }},
}

func noStructure(w matcher.Weights) matcher.Weights {
	for _, s := range structural {
		*s.weight(&w) = 0
	}
	return w
}

func noBridging(w matcher.Weights) matcher.Weights {
	w.Synonyms, w.PRFTerms = false, 0
	return w
}

// The pseudo-relevance feedback settings measured when the base configuration has it off.
const probePRFDocs, probePRFTerms = 5, 8

// Ablation derives, from base (the defaults or a weights file), the configurations that show what each part
// adds: text relevance alone; text with each vocabulary bridge, then both; text with the structured signals
// but no bridging; everything; and everything minus one part at a time. Leave-one-out configurations that
// would equal base (the part is already off) are left out.
func Ablation(base matcher.Weights) []Config {
	text := noBridging(noStructure(base))
	withSyn, withPRF := text, text
	withSyn.Synonyms = base.Synonyms
	withPRF.PRFTerms, withPRF.PRFDocs = base.PRFTerms, base.PRFDocs
	prfOff := base.PRFTerms == 0
	if prfOff {
		// Off by default (it costs a second search for no measured gain on top of the rest): measured
		// anyway, at the settings it was tried with.
		withPRF.PRFTerms, withPRF.PRFDocs = probePRFTerms, probePRFDocs
	}
	bridged := noStructure(base)
	if prfOff {
		bridged.PRFTerms, bridged.PRFDocs = probePRFTerms, probePRFDocs
	}
	out := []Config{
		{"text", "chỉ văn bản", text},
		{"text+synonyms", "văn bản + từ đồng nghĩa", withSyn},
		{"text+prf", "văn bản + phản hồi giả (PRF)", withPRF},
		{"text+bridging", "văn bản + cả hai cầu nối từ vựng", bridged},
		{"text+structure", "văn bản + tín hiệu cấu trúc (không cầu nối)", noBridging(base)},
		{"full", "đầy đủ", base},
	}
	leave := func(id, name string, w matcher.Weights) {
		if !reflect.DeepEqual(w, base) {
			out = append(out, Config{"full-" + id, "đầy đủ − " + name, w})
		}
	}
	w := base
	w.Text = 0
	leave(matcher.CompText, matcher.ComponentLabel(matcher.CompText), w)
	w = base
	w.Topic = 0
	leave(matcher.CompTopic, matcher.ComponentLabel(matcher.CompTopic), w)
	for _, s := range structural {
		w := base
		*s.weight(&w) = 0
		leave(s.name, matcher.ComponentLabel(s.name), w)
	}
	w = base
	w.Synonyms = false
	leave("synonyms", "từ đồng nghĩa", w)
	w = base
	w.PRFTerms = 0
	leave("prf", "phản hồi giả (PRF)", w)
	if prfOff {
		w = base
		w.PRFTerms, w.PRFDocs = probePRFTerms, probePRFDocs
		out = append(out, Config{"full+prf", "đầy đủ + phản hồi giả (PRF)", w})
	}
	return out
}
