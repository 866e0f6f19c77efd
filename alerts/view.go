package alerts

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"ketnoi/corpus"
	"ketnoi/matcher"
)

// View is an alert as it leaves the program: in the API, the webhook, the CLI's --json and the feeds.
type View struct {
	ID         string             `json:"id"`
	Seq        uint64             `json:"seq"`
	Created    time.Time          `json:"created"`
	Need       NeedRef            `json:"need"`
	Result     ResultRef          `json:"result"`
	Score      float64            `json:"score"`
	Components map[string]float64 `json:"components"`
	Reasons    []string           `json:"reasons"`
	// Delivery is the webhook state (pending, delivered, failed); DeliveryError the last failure.
	Delivery      string `json:"delivery,omitempty"`
	DeliveryError string `json:"delivery_error,omitempty"`
}

// NeedRef names the need of an alert as it is now.
type NeedRef struct {
	ID              string `json:"id"`
	Title           string `json:"title,omitempty"`
	Enterprise      string `json:"enterprise,omitempty"`
	Confidentiality string `json:"confidentiality,omitempty"`
	Broker          string `json:"broker,omitempty"`
	Standing        bool   `json:"standing"`
	// URL is the need's public page: only public and anonymised needs have one.
	URL string `json:"url,omitempty"`
}

// ResultRef names the result of an alert, as it was when the alert was raised, with the link to its page.
type ResultRef struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	Organization string `json:"organization,omitempty"`
	URL          string `json:"url"`
}

// Readers of a view: who may see a confidential need's enterprise.
const (
	// ForKeys: holders of an API key and the administrator's webhook see a broker_only need's enterprise.
	ForKeys = true
	// ForFeeds: feeds travel through feed readers and their services, so they show the enterprise of
	// public needs only.
	ForFeeds = false
)

// NewView shows an alert with its need as it is now (nil: deleted); base is the site's root URL, ending in
// "/". No reader ever sees an anonymised need's enterprise.
func NewView(a corpus.Alert, need *corpus.Need, base string, keyed bool) View {
	v := View{ID: a.ID, Seq: a.Seq, Created: a.Created, Score: a.Score, Components: a.Components,
		Reasons: a.Reasons, Delivery: a.Delivery, DeliveryError: a.DeliveryError,
		Need:   NeedRef{ID: a.Need},
		Result: ResultRef{ID: a.Result, Title: a.ResultTitle, Organization: a.Organization, URL: base + "ket-qua/" + url.PathEscape(a.Result)},
	}
	if v.Components == nil {
		v.Components = map[string]float64{}
	}
	if v.Reasons == nil {
		v.Reasons = []string{}
	}
	if need == nil {
		return v
	}
	conf := need.EffectiveConfidentiality()
	v.Need = NeedRef{ID: need.ID, Title: need.Title, Confidentiality: conf, Broker: need.Broker, Standing: need.Standing}
	if conf == corpus.ConfPublic || (conf == corpus.ConfBrokerOnly && keyed) {
		v.Need.Enterprise = need.Enterprise
	}
	if conf != corpus.ConfBrokerOnly {
		v.Need.URL = base + "nhu-cau/" + url.PathEscape(need.ID)
	}
	return v
}

// scoreText writes a score the Vietnamese way: "0,82".
func scoreText(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 2, 64), ".", ",", 1)
}

// componentsText lists the components, strongest first: "nội dung văn bản 0,95; lĩnh vực KH&CN 1,00".
func componentsText(cs map[string]float64) string {
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if cs[names[i]] != cs[names[j]] {
			return cs[names[i]] > cs[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		label := matcher.ComponentLabel(n)
		if label == "" {
			label = n
		}
		parts = append(parts, label+" "+scoreText(cs[n]))
	}
	return strings.Join(parts, "; ")
}
