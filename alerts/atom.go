package alerts

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"strings"
	"time"
)

// Feed is an Atom feed (RFC 4287): of alerts (one need's, or every need's of a broker), or of other
// items (Items: the feeds of new results), with the one writer below.
type Feed struct {
	// ID is the feed's permanent id (corpus.FeedInfo.ID), kept when its token changes.
	ID       string
	Title    string
	Subtitle string
	// Self is the feed's own URL; Alternate, when not empty, the page it is about.
	Self, Alternate string
	// Updated is used when there are no entries (the feed's creation); otherwise the newest entry's time.
	Updated time.Time
	// Entries are the alerts, newest first; NameNeed puts each one's need in its title (broker feeds).
	Entries  []View
	NameNeed bool
	// Items are entries that are not alerts, newest first (a feed has Entries or Items).
	Items []Entry
}

// Entry is a feed entry that is not an alert: its text (Summary plain, HTML as markup the caller built
// from escaped values), its page, its categories.
type Entry struct {
	ID, Title, Summary, HTML, Link string
	Updated, Published             time.Time
	Categories                     []Category
}

// Category is an entry's category: a code and its label.
type Category struct{ Term, Label string }

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang      string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID        string      `xml:"id"`
	Title     atomText    `xml:"title"`
	Subtitle  *atomText   `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomPerson  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	ID        string         `xml:"id"`
	Title     atomText       `xml:"title"`
	Updated   string         `xml:"updated"`
	Published string         `xml:"published"`
	Links     []atomLink     `xml:"link"`
	Category  []atomCategory `xml:"category"`
	Summary   atomText       `xml:"summary"`
	Content   atomText       `xml:"content"`
}

// Render writes the feed as XML. Every text goes through the XML encoder's escaping; the HTML content of
// entries is escaped as HTML first (type="html"), so nothing a record holds becomes markup.
func (f *Feed) Render() ([]byte, error) {
	updated := f.Updated
	if len(f.Entries) > 0 {
		updated = f.Entries[0].Created
	}
	if len(f.Items) > 0 {
		updated = f.Items[0].Updated
	}
	out := atomFeed{Lang: "vi", ID: f.ID, Title: atomText{Type: "text", Body: f.Title}, Updated: atomTime(updated),
		Links:     []atomLink{{Rel: "self", Type: "application/atom+xml", Href: f.Self}},
		Author:    atomPerson{Name: "ketnoi – kết nối cung cầu công nghệ"},
		Generator: "ketnoi",
	}
	if f.Subtitle != "" {
		out.Subtitle = &atomText{Type: "text", Body: f.Subtitle}
	}
	if f.Alternate != "" {
		out.Links = append(out.Links, atomLink{Rel: "alternate", Type: "text/html", Href: f.Alternate})
	}
	for _, v := range f.Entries {
		out.Entries = append(out.Entries, f.entry(v))
	}
	for _, it := range f.Items {
		e := atomEntry{ID: it.ID, Title: atomText{Type: "text", Body: it.Title},
			Updated: atomTime(it.Updated), Published: atomTime(it.Published),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: it.Link}},
			Summary: atomText{Type: "text", Body: it.Summary}, Content: atomText{Type: "html", Body: it.HTML}}
		for _, c := range it.Categories {
			e.Category = append(e.Category, atomCategory{Term: c.Term, Label: c.Label})
		}
		out.Entries = append(out.Entries, e)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("dựng nguồn tin Atom: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func (f *Feed) entry(v View) atomEntry {
	title := fmt.Sprintf("Kết quả phù hợp: %s (điểm %s)", v.Result.Title, scoreText(v.Score))
	if f.NameNeed {
		title = fmt.Sprintf("%s ← %s (điểm %s)", needName(v.Need), v.Result.Title, scoreText(v.Score))
	}
	var sum strings.Builder
	fmt.Fprintf(&sum, "Nhu cầu: %s. Kết quả: %s", needName(v.Need), v.Result.Title)
	if v.Result.Organization != "" {
		fmt.Fprintf(&sum, " (%s)", v.Result.Organization)
	}
	fmt.Fprintf(&sum, ". Điểm ghép nối %s.", scoreText(v.Score))
	for _, r := range v.Reasons {
		sum.WriteString(" " + r)
	}
	return atomEntry{
		ID: v.ID, Title: atomText{Type: "text", Body: title},
		Updated: atomTime(v.Created), Published: atomTime(v.Created),
		Links:    []atomLink{{Rel: "alternate", Type: "text/html", Href: v.Result.URL}},
		Category: []atomCategory{{Term: v.Need.ID, Label: needName(v.Need)}},
		Summary:  atomText{Type: "text", Body: sum.String()},
		Content:  atomText{Type: "html", Body: entryHTML(v)},
	}
}

// entryHTML is an entry's content: the need, the result with its link, the score, its components and
// the reasons, each value HTML-escaped.
func entryHTML(v View) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<p>Nhu cầu: ")
	if v.Need.URL != "" {
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, e(v.Need.URL), e(needName(v.Need)))
	} else {
		b.WriteString(e(needName(v.Need)))
	}
	if v.Need.Enterprise != "" {
		fmt.Fprintf(&b, " – %s", e(v.Need.Enterprise))
	}
	fmt.Fprintf(&b, `</p><p>Kết quả: <a href="%s">%s</a>`, e(v.Result.URL), e(v.Result.Title))
	if v.Result.Organization != "" {
		fmt.Fprintf(&b, " – %s", e(v.Result.Organization))
	}
	fmt.Fprintf(&b, "</p><p>Điểm ghép nối: <strong>%s</strong> (%s)</p>", scoreText(v.Score), e(componentsText(v.Components)))
	if len(v.Reasons) > 0 {
		b.WriteString("<ul>")
		for _, r := range v.Reasons {
			fmt.Fprintf(&b, "<li>%s</li>", e(r))
		}
		b.WriteString("</ul>")
	}
	return b.String()
}

func needName(n NeedRef) string {
	if n.Title != "" {
		return n.Title
	}
	return n.ID
}

func atomTime(t time.Time) string {
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339)
}
