// Package oai speaks OAI-PMH 2.0 (the Open Archives Initiative Protocol for Metadata Harvesting) both ways:
// a data provider that publishes the research results of a store as unqualified Dublin Core (oai_dc),
// with sets by field of science, resumption tokens, datestamps and persistent deleted records; and a
// harvester that imports another repository's records into the store, incrementally, with their full-text
// files. Needs are never published through OAI-PMH. It knows nothing of HTTP servers: the server package
// hands it the arguments of a request and writes back the XML it returns.
package oai

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"ketnoi/corpus"
)

// Namespaces and schema locations of the protocol (OAI-PMH 2.0 specification, sections 3 and 6).
const (
	NamespaceOAI     = "http://www.openarchives.org/OAI/2.0/"
	SchemaOAI        = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
	NamespaceOAIDC   = "http://www.openarchives.org/OAI/2.0/oai_dc/"
	SchemaOAIDC      = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
	NamespaceDC      = "http://purl.org/dc/elements/1.1/"
	NamespaceOAIID   = "http://www.openarchives.org/OAI/2.0/oai-identifier"
	SchemaOAIID      = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
	namespaceXSI     = "http://www.w3.org/2001/XMLSchema-instance"
	PrefixDC         = "oai_dc"
	granularitySecs  = "YYYY-MM-DDThh:mm:ssZ"
	granularityDays  = "YYYY-MM-DD"
	layoutSeconds    = "2006-01-02T15:04:05Z"
	layoutDays       = "2006-01-02"
	setFieldRoot     = "field"
	maxArgumentBytes = 2000
)

// Error codes of the protocol (section 3.6).
const (
	ErrBadArgument             = "badArgument"
	ErrBadResumptionToken      = "badResumptionToken"
	ErrBadVerb                 = "badVerb"
	ErrCannotDisseminateFormat = "cannotDisseminateFormat"
	ErrIDDoesNotExist          = "idDoesNotExist"
	ErrNoRecordsMatch          = "noRecordsMatch"
	ErrNoMetadataFormats       = "noMetadataFormats"
	ErrNoSetHierarchy          = "noSetHierarchy"
)

// ProtocolError is an OAI-PMH error: a code of the protocol and a Vietnamese message.
type ProtocolError struct {
	Code    string
	Message string
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

func protoErr(code, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FormatDatestamp writes a time at the repository's granularity (seconds, UTC).
func FormatDatestamp(t time.Time) string { return t.UTC().Format(layoutSeconds) }

// ParseDatestamp reads a UTC datestamp at either granularity; days tells which one it was.
func ParseDatestamp(s string) (t time.Time, days bool, err error) {
	// The lengths keep out what time.Parse lets by: fractions of a second, a one-digit day; and year 0000
	// is no year of the schema's dates.
	if t, err := time.Parse(layoutSeconds, s); err == nil && len(s) == len(layoutSeconds) && t.Year() > 0 {
		return t, false, nil
	}
	if t, err := time.Parse(layoutDays, s); err == nil && len(s) == len(layoutDays) && t.Year() > 0 {
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%q không phải ngày giờ UTC dạng YYYY-MM-DD hoặc YYYY-MM-DDThh:mm:ssZ", s)
}

// repositoryIDPattern is the oai-identifier scheme's repository identifier: a domain name.
var repositoryIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$`)

// ValidRepositoryID reports whether id may name a repository in the oai-identifier scheme.
func ValidRepositoryID(id string) bool { return repositoryIDPattern.MatchString(id) }

// identifierSafe are the bytes the oai-identifier scheme allows in a local identifier, '%' excepted: it
// starts an escape here, so a literal '%' is escaped like any other byte.
func identifierSafe(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("-_.!~*'();/?:@&=+$,", b) >= 0
}

// escapeLocal percent-encodes a record id for the local part of an OAI identifier (ids may hold any
// Unicode letter; identifiers are URIs).
func escapeLocal(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if identifierSafe(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Identifier is the OAI identifier of a record id in a repository.
func Identifier(repositoryID, id string) string {
	return "oai:" + repositoryID + ":" + escapeLocal(id)
}

// setSpecs are the sets a result belongs to: each known field of science as field:TOP or field:TOP:CODE.
func setSpecs(r *corpus.Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, code := range r.FieldCodes {
		t, ok := corpus.Fields.Lookup(code)
		if !ok {
			continue
		}
		spec := setFieldRoot + ":" + code
		if t.Parent != "" {
			spec = setFieldRoot + ":" + t.Parent + ":" + code
		}
		if !seen[spec] {
			seen[spec] = true
			out = append(out, spec)
		}
	}
	return out
}

// setInfo is one set of the repository.
type setInfo struct {
	Spec, Name, NameEN string
}

// allSets lists the repository's sets: the fields of science, as a hierarchy under "field".
func allSets() []setInfo {
	out := []setInfo{{Spec: setFieldRoot, Name: "Lĩnh vực khoa học và công nghệ", NameEN: "Fields of science and technology"}}
	for _, t := range corpus.Fields.Terms() {
		spec := setFieldRoot + ":" + t.Code
		if t.Parent != "" {
			spec = setFieldRoot + ":" + t.Parent + ":" + t.Code
		}
		out = append(out, setInfo{Spec: spec, Name: t.LabelVI, NameEN: t.LabelEN})
	}
	return out
}

// metadataPrefixPattern is the syntax of a metadataPrefix (the schema's metadataPrefixType).
var metadataPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9\-_.!~*'()]+$`)

// schemePattern is the syntax of a URI scheme (RFC 3986, section 3.1).
var schemePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.\-]*$`)

// validURI reports whether s is a URI as the schema's anyURI takes it (an identifier argument is echoed
// in the response's request element, which must stay valid): its white space collapsed and the
// characters a URI may not hold but an IRI or a careless client may (spaces, letters beyond ASCII, <>"'
// {}|\^` and controls) let by, what is left must parse as a URI reference: escapes of two hex digits, one
// fragment at most, a scheme before any colon of the first segment, a numeric port, brackets only around
// an IP literal host.
func validURI(s string) bool {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }), " ")
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return false
		}
	}
	if strings.Count(s, "#") > 1 {
		return false
	}
	rest := s
	if i := strings.IndexAny(s, ":/?#"); i >= 0 && s[i] == ':' {
		if !schemePattern.MatchString(s[:i]) {
			return false
		}
		rest = s[i+1:]
	}
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		rest = ""
		if i := strings.IndexAny(auth, "/?#"); i >= 0 {
			auth, rest = auth[:i], auth[i:]
		}
		at := strings.IndexByte(auth, '@')
		host := auth[at+1:]
		if strings.ContainsAny(auth[:max(at, 0)], "[]") || strings.Contains(host, "@") {
			return false
		}
		if ip, ok := strings.CutPrefix(host, "["); ok {
			_, after, closed := strings.Cut(ip, "]")
			if !closed || (after != "" && after[0] != ':') {
				return false
			}
			host = "ip" + after
		}
		if strings.ContainsAny(host, "[]") {
			return false
		}
		if _, port, ok := strings.Cut(host, ":"); ok && (port == "" || strings.Trim(port, "0123456789") != "") {
			return false
		}
	}
	return !strings.ContainsAny(rest, "[]")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// setSpecPattern is the syntax of a setSpec (the schema's setSpecType).
var setSpecPattern = regexp.MustCompile(`^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$`)

// inSet reports whether a result with these set specs belongs to set: a set holds its subsets' records.
func inSet(specs []string, set string) bool {
	for _, s := range specs {
		if s == set || strings.HasPrefix(s, set+":") {
			return true
		}
	}
	return false
}

// knownSet reports whether the repository has the set.
func knownSet(set string) bool {
	for _, s := range allSets() {
		if s.Spec == set {
			return true
		}
	}
	return false
}
