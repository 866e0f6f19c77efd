package oai

import (
	"encoding/xml"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The provider's responses, as encoding/xml writes them. Prefixed names (dc:title) are written as they
// are, with their namespaces declared on the element that opens them; encoding/xml escapes every text and
// attribute and replaces characters XML 1.0 cannot carry.

type envelope struct {
	XMLName        xml.Name  `xml:"OAI-PMH"`
	Xmlns          string    `xml:"xmlns,attr"`
	XSI            string    `xml:"xmlns:xsi,attr"`
	SchemaLocation string    `xml:"xsi:schemaLocation,attr"`
	ResponseDate   string    `xml:"responseDate"`
	Request        requestEl `xml:"request"`
	Errors         []errorEl `xml:"error"`

	Identify            *identifyEl    `xml:"Identify,omitempty"`
	ListMetadataFormats *formatsEl     `xml:"ListMetadataFormats,omitempty"`
	ListSets            *setsEl        `xml:"ListSets,omitempty"`
	GetRecord           *getRecordEl   `xml:"GetRecord,omitempty"`
	ListIdentifiers     *identifiersEl `xml:"ListIdentifiers,omitempty"`
	ListRecords         *recordsEl     `xml:"ListRecords,omitempty"`
}

type requestEl struct {
	Verb            string `xml:"verb,attr,omitempty"`
	Identifier      string `xml:"identifier,attr,omitempty"`
	MetadataPrefix  string `xml:"metadataPrefix,attr,omitempty"`
	From            string `xml:"from,attr,omitempty"`
	Until           string `xml:"until,attr,omitempty"`
	Set             string `xml:"set,attr,omitempty"`
	ResumptionToken string `xml:"resumptionToken,attr,omitempty"`
	BaseURL         string `xml:",chardata"`
}

type errorEl struct {
	Code    string `xml:"code,attr"`
	Message string `xml:",chardata"`
}

type identifyEl struct {
	RepositoryName    string          `xml:"repositoryName"`
	BaseURL           string          `xml:"baseURL"`
	ProtocolVersion   string          `xml:"protocolVersion"`
	AdminEmail        []string        `xml:"adminEmail"`
	EarliestDatestamp string          `xml:"earliestDatestamp"`
	DeletedRecord     string          `xml:"deletedRecord"`
	Granularity       string          `xml:"granularity"`
	Compression       []string        `xml:"compression"`
	Description       []descriptionEl `xml:"description"`
}

type descriptionEl struct {
	OAIIdentifier *oaiIdentifierEl `xml:"oai-identifier,omitempty"`
	DC            *dcEl            `xml:"oai_dc:dc,omitempty"`
}

type oaiIdentifierEl struct {
	Xmlns                string `xml:"xmlns,attr"`
	XSI                  string `xml:"xmlns:xsi,attr"`
	SchemaLocation       string `xml:"xsi:schemaLocation,attr"`
	Scheme               string `xml:"scheme"`
	RepositoryIdentifier string `xml:"repositoryIdentifier"`
	Delimiter            string `xml:"delimiter"`
	SampleIdentifier     string `xml:"sampleIdentifier"`
}

type formatsEl struct {
	Formats []formatEl `xml:"metadataFormat"`
}

type formatEl struct {
	Prefix    string `xml:"metadataPrefix"`
	Schema    string `xml:"schema"`
	Namespace string `xml:"metadataNamespace"`
}

type setsEl struct {
	Sets []setEl `xml:"set"`
}

type setEl struct {
	Spec        string          `xml:"setSpec"`
	Name        string          `xml:"setName"`
	Description []descriptionEl `xml:"setDescription,omitempty"`
}

type getRecordEl struct {
	Record recordEl `xml:"record"`
}

type identifiersEl struct {
	Headers []headerEl `xml:"header"`
	Token   *tokenEl   `xml:"resumptionToken,omitempty"`
}

type recordsEl struct {
	Records []recordEl `xml:"record"`
	Token   *tokenEl   `xml:"resumptionToken,omitempty"`
}

type recordEl struct {
	Header   headerEl    `xml:"header"`
	Metadata *metadataEl `xml:"metadata,omitempty"`
}

type headerEl struct {
	Status     string   `xml:"status,attr,omitempty"`
	Identifier string   `xml:"identifier"`
	Datestamp  string   `xml:"datestamp"`
	SetSpecs   []string `xml:"setSpec"`
}

type metadataEl struct {
	DC *dcEl `xml:"oai_dc:dc"`
}

type tokenEl struct {
	ExpirationDate   string `xml:"expirationDate,attr,omitempty"`
	CompleteListSize int    `xml:"completeListSize,attr,omitempty"`
	Cursor           int    `xml:"cursor,attr"`
	Value            string `xml:",chardata"`
}

// dcEl is an unqualified Dublin Core record (the oai_dc format): the fifteen elements, each repeatable, in
// the order of the schema's list (any order is valid).
type dcEl struct {
	XmlnsOAIDC     string    `xml:"xmlns:oai_dc,attr"`
	XmlnsDC        string    `xml:"xmlns:dc,attr"`
	XSI            string    `xml:"xmlns:xsi,attr"`
	SchemaLocation string    `xml:"xsi:schemaLocation,attr"`
	Title          []dcValue `xml:"dc:title"`
	Creator        []dcValue `xml:"dc:creator"`
	Subject        []dcValue `xml:"dc:subject"`
	Description    []dcValue `xml:"dc:description"`
	Publisher      []dcValue `xml:"dc:publisher"`
	Contributor    []dcValue `xml:"dc:contributor"`
	Date           []dcValue `xml:"dc:date"`
	Type           []dcValue `xml:"dc:type"`
	Format         []dcValue `xml:"dc:format"`
	Identifier     []dcValue `xml:"dc:identifier"`
	Source         []dcValue `xml:"dc:source"`
	Language       []dcValue `xml:"dc:language"`
	Relation       []dcValue `xml:"dc:relation"`
	Coverage       []dcValue `xml:"dc:coverage"`
	Rights         []dcValue `xml:"dc:rights"`
	seen           map[string]bool
}

type dcValue struct {
	Lang  string `xml:"xml:lang,attr,omitempty"`
	Value string `xml:",chardata"`
}

func newDC() *dcEl {
	return &dcEl{XmlnsOAIDC: NamespaceOAIDC, XmlnsDC: NamespaceDC, XSI: namespaceXSI,
		SchemaLocation: NamespaceOAIDC + " " + SchemaOAIDC}
}

// add appends values to an element, trimmed, in NFC, without the control characters XML 1.0 cannot carry,
// without empty values or repeats of the same element and value.
func (d *dcEl) add(el *[]dcValue, name, lang string, values ...string) {
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	for _, v := range values {
		v = norm.NFC.String(strings.TrimSpace(strings.Map(dropControl, v)))
		key := name + "\x00" + lang + "\x00" + v
		if v == "" || d.seen[key] {
			continue
		}
		d.seen[key] = true
		*el = append(*el, dcValue{Lang: lang, Value: v})
	}
}

func dropControl(r rune) rune {
	if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
		return -1
	}
	return r
}
