package matcher

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
)

//go:embed weights.json
var defaultWeightsJSON []byte

// Weights are the weights of the score components and the size of the candidate pool. They come from a
// configuration file (LoadWeights), never from code; weights.json beside this file holds the defaults.
type Weights struct {
	Text         float64 `json:"text"`
	Field        float64 `json:"field"`
	Sector       float64 `json:"sector"`
	TRL          float64 `json:"trl"`
	Transfer     float64 `json:"transfer"`
	Budget       float64 `json:"budget"`
	Locality     float64 `json:"locality"`
	Freshness    float64 `json:"freshness"`
	Completeness float64 `json:"completeness"`
	Topic        float64 `json:"topic"`
	// Candidates is how many full-text candidates are re-scored.
	Candidates int `json:"candidates"`
	// QueryTerms is how many of the need's words rank the candidates: the rarest in the index. Long queries
	// are slow, and a need's rare words are the ones that say what it is about.
	QueryTerms int `json:"query_terms"`
	// TitleTerms is how many of the need title's words are always among them, however common: the title
	// names what is needed ("kho lạnh", "bờ biển"), the description adds the rare details.
	TitleTerms int `json:"title_terms"`
	// Synonyms expands the need's words with the curated domain synonym list (synonyms.txt).
	Synonyms bool `json:"synonyms"`
	// PRFDocs and PRFTerms drive pseudo-relevance feedback: the keywords of the PRFDocs best first-pass
	// candidates add up to PRFTerms words to the query. 0 turns it off.
	PRFDocs  int `json:"prf_docs"`
	PRFTerms int `json:"prf_terms"`
}

// DefaultWeights returns the documented defaults.
func DefaultWeights() Weights {
	var w Weights
	if err := json.Unmarshal(defaultWeightsJSON, &w); err != nil {
		panic(err) // embedded file: a defect caught by every test run
	}
	return w
}

// LoadWeights reads a weights file; fields it omits keep their defaults.
func LoadWeights(path string) (Weights, error) {
	w := DefaultWeights()
	b, err := os.ReadFile(path)
	if err != nil {
		return w, fmt.Errorf("đọc tệp trọng số %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return w, fmt.Errorf("tệp trọng số %s không đúng JSON: %w", path, err)
	}
	if err := w.validate(); err != nil {
		return w, fmt.Errorf("tệp trọng số %s: %w", path, err)
	}
	return w, nil
}

func (w Weights) validate() error {
	sum := 0.0
	for _, c := range w.Components() {
		if c.Weight < 0 {
			return fmt.Errorf("trọng số %s âm", c.Name)
		}
		sum += c.Weight
	}
	if sum == 0 {
		return fmt.Errorf("mọi trọng số đều bằng 0")
	}
	if w.Candidates < 1 || w.Candidates > 1000 {
		return fmt.Errorf("candidates phải trong khoảng 1–1000")
	}
	if w.QueryTerms < 0 || w.TitleTerms < 0 || w.PRFDocs < 0 || w.PRFTerms < 0 {
		return fmt.Errorf("query_terms, title_terms, prf_docs và prf_terms không được âm")
	}
	return nil
}

// Component is one score component and its weight.
type Component struct {
	Name   string
	Weight float64
}

// Components lists the score components with their weights, in a fixed order.
func (w Weights) Components() []Component {
	return []Component{
		{CompText, w.Text}, {CompField, w.Field}, {CompSector, w.Sector}, {CompTRL, w.TRL},
		{CompTransfer, w.Transfer}, {CompBudget, w.Budget}, {CompLocality, w.Locality},
		{CompFreshness, w.Freshness}, {CompCompleteness, w.Completeness}, {CompTopic, w.Topic},
	}
}

// combine makes the score from the component values: their weighted mean.
func (w Weights) combine(comp map[string]float64) float64 {
	total, sum := 0.0, 0.0
	for _, c := range w.Components() {
		total += c.Weight * comp[c.Name]
		sum += c.Weight
	}
	if sum == 0 {
		return 0
	}
	return total / sum
}
