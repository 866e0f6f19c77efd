package oai

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"ketnoi/corpus"
)

// Config configures a Provider.
type Config struct {
	// RepositoryName is Identify's repositoryName.
	RepositoryName string
	// AdminEmails are Identify's adminEmail (at least one is published; see NewProvider).
	AdminEmails []string
	// RepositoryID is the repository identifier of the OAI identifiers, a domain name; empty: the site's
	// host name.
	RepositoryID string
	// PageSize is how many records or headers one list response holds.
	PageSize int
	// TokenTTL is how long a resumption token stays valid.
	TokenTTL time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{RepositoryName: "ketnoi – kết quả nghiên cứu khoa học và công nghệ", PageSize: 100, TokenTTL: 24 * time.Hour}
}

// Provider is the data provider: it answers OAI-PMH requests from a store's results.
type Provider struct {
	store *corpus.Store
	cfg   Config
	// Now is the clock (tests set it).
	Now func() time.Time
}

// NewProvider makes a provider over a store.
func NewProvider(store *corpus.Store, cfg Config) *Provider {
	def := DefaultConfig()
	if cfg.RepositoryName == "" {
		cfg.RepositoryName = def.RepositoryName
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = def.PageSize
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = def.TokenTTL
	}
	return &Provider{store: store, cfg: cfg, Now: time.Now}
}

// The arguments each verb takes (section 4): required, optional, and the one that must come alone.
var verbs = map[string]struct{ required, optional []string }{
	"Identify":            {},
	"ListMetadataFormats": {optional: []string{"identifier"}},
	"ListSets":            {optional: []string{"resumptionToken"}},
	"GetRecord":           {required: []string{"identifier", "metadataPrefix"}},
	"ListIdentifiers":     {required: []string{"metadataPrefix"}, optional: []string{"from", "until", "set", "resumptionToken"}},
	"ListRecords":         {required: []string{"metadataPrefix"}, optional: []string{"from", "until", "set", "resumptionToken"}},
}

// protoErrs is a response's list of protocol errors (a request can be wrong in more than one way).
type protoErrs []*ProtocolError

func (e protoErrs) Error() string { return e[0].Error() }

// Respond answers one request: args are its arguments (the query string of a GET, the form of a POST),
// siteURL is the site's address (the base URL is siteURL/oai). Protocol errors are answered in the XML; the
// error returned is for the store failing only.
func (p *Provider) Respond(args url.Values, siteURL string) ([]byte, error) {
	now := p.Now().UTC()
	s := p.site(siteURL)
	env := &envelope{Xmlns: NamespaceOAI, XSI: namespaceXSI, SchemaLocation: NamespaceOAI + " " + SchemaOAI,
		ResponseDate: FormatDatestamp(now), Request: requestEl{BaseURL: s.root + "/oai"}}
	verb, err := checkArgs(args)
	if err == nil {
		// Only a request whose verb and arguments are legal is echoed with its attributes (section 3.2):
		// they are taken back below if the arguments turn out to be bad.
		r := &env.Request
		r.Verb, r.Identifier, r.MetadataPrefix = verb, args.Get("identifier"), args.Get("metadataPrefix")
		r.From, r.Until, r.Set, r.ResumptionToken = args.Get("from"), args.Get("until"), args.Get("set"), args.Get("resumptionToken")
		err = p.answer(env, verb, args, s, now)
	}
	var pe *ProtocolError
	var pes protoErrs
	switch {
	case errors.As(err, &pes):
		for _, e := range pes {
			env.Errors = append(env.Errors, errorEl{Code: e.Code, Message: e.Message})
		}
	case errors.As(err, &pe):
		env.Errors = []errorEl{{Code: pe.Code, Message: pe.Message}}
	case err != nil:
		return nil, err
	}
	for _, e := range env.Errors {
		if e.Code == ErrBadVerb || e.Code == ErrBadArgument {
			env.Request = requestEl{BaseURL: env.Request.BaseURL}
		}
	}
	b, err := xml.MarshalIndent(env, "", " ")
	if err != nil {
		return nil, fmt.Errorf("viết phản hồi OAI-PMH: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

func (p *Provider) answer(env *envelope, verb string, args url.Values, s site, now time.Time) error {
	var err error
	switch verb {
	case "Identify":
		env.Identify, err = p.identify(s)
	case "ListMetadataFormats":
		env.ListMetadataFormats, err = p.listFormats(args.Get("identifier"), s)
	case "ListSets":
		env.ListSets, err = listSets(args.Get("resumptionToken"))
	case "GetRecord":
		env.GetRecord, err = p.getRecord(args.Get("identifier"), args.Get("metadataPrefix"), s)
	case "ListIdentifiers", "ListRecords":
		var l *listing
		if l, err = p.list(verb, args, s, now); err == nil && verb == "ListRecords" {
			env.ListRecords = &recordsEl{Records: l.records, Token: l.token}
		} else if err == nil {
			env.ListIdentifiers = &identifiersEl{Token: l.token}
			for _, r := range l.records {
				env.ListIdentifiers.Headers = append(env.ListIdentifiers.Headers, r.Header)
			}
		}
	}
	return err
}

// checkArgs checks the verb and that the arguments are exactly those it takes, each once.
func checkArgs(args url.Values) (string, error) {
	vs := args["verb"]
	if len(vs) != 1 {
		if len(vs) == 0 {
			return "", protoErr(ErrBadVerb, "Thiếu tham số verb (Identify, ListMetadataFormats, ListSets, GetRecord, ListIdentifiers, ListRecords).")
		}
		return "", protoErr(ErrBadVerb, "Tham số verb chỉ được có một lần.")
	}
	verb := vs[0]
	spec, ok := verbs[verb]
	if !ok {
		return "", protoErr(ErrBadVerb, "Lệnh %q không có trong OAI-PMH 2.0.", clip(verb))
	}
	for name, v := range args {
		if name == "verb" {
			continue
		}
		if !slices.Contains(spec.required, name) && !slices.Contains(spec.optional, name) {
			return "", protoErr(ErrBadArgument, "Lệnh %s không nhận tham số %q.", verb, clip(name))
		}
		if len(v) != 1 {
			return "", protoErr(ErrBadArgument, "Tham số %s chỉ được có một lần.", name)
		}
		if v[0] == "" || len(v[0]) > maxArgumentBytes {
			return "", protoErr(ErrBadArgument, "Tham số %s rỗng hoặc quá dài.", name)
		}
		// Arguments of a wrong syntax are badArgument (section 3.6); answered otherwise, they would be
		// echoed in the request element where the schema does not allow them.
		if name == "metadataPrefix" && !metadataPrefixPattern.MatchString(v[0]) {
			return "", protoErr(ErrBadArgument, "Tham số metadataPrefix %q sai cú pháp (chỉ chữ, số và -_.!~*'()).", clip(v[0]))
		}
		if name == "identifier" && !validURI(v[0]) {
			return "", protoErr(ErrBadArgument, "Tham số identifier %q không phải URI hợp lệ.", clip(v[0]))
		}
	}
	if args.Has("resumptionToken") {
		if len(args) != 2 {
			return "", protoErr(ErrBadArgument, "resumptionToken phải được gửi một mình (chỉ kèm verb).")
		}
		return verb, nil
	}
	for _, name := range spec.required {
		if !args.Has(name) {
			return "", protoErr(ErrBadArgument, "Lệnh %s cần tham số %s.", verb, name)
		}
	}
	return verb, nil
}

// clip shortens what a client sent before it is quoted back.
func clip(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}

// site is the addresses of the repository as this request reaches it.
func (p *Provider) site(siteURL string) site {
	root := strings.TrimRight(siteURL, "/")
	id := p.cfg.RepositoryID
	if id == "" {
		if u, err := url.Parse(root); err == nil {
			id = strings.ToLower(u.Hostname())
		}
	}
	return site{root: root, repositoryID: id}
}

func (p *Provider) identify(s site) (*identifyEl, error) {
	earliest, err := p.earliest()
	if err != nil {
		return nil, err
	}
	emails := p.cfg.AdminEmails
	if len(emails) == 0 {
		host := s.repositoryID
		if !strings.Contains(host, ".") {
			host = "localhost.invalid"
		}
		emails = []string{"admin@" + host}
	}
	out := &identifyEl{RepositoryName: p.cfg.RepositoryName, BaseURL: s.root + "/oai", ProtocolVersion: "2.0",
		AdminEmail: emails, EarliestDatestamp: FormatDatestamp(earliest), DeletedRecord: "persistent",
		Granularity: granularitySecs, Compression: []string{"gzip"}}
	if ValidRepositoryID(s.repositoryID) {
		out.Description = []descriptionEl{{OAIIdentifier: &oaiIdentifierEl{Xmlns: NamespaceOAIID, XSI: namespaceXSI,
			SchemaLocation: NamespaceOAIID + " " + SchemaOAIID, Scheme: "oai", RepositoryIdentifier: s.repositoryID,
			Delimiter: ":", SampleIdentifier: Identifier(s.repositoryID, "kq-ts-012")}}}
	}
	return out, nil
}

// errStop ends a scan of the store's changes early.
var errStop = errors.New("stop")

// earliest is the datestamp of the oldest result change the store still has (results and their
// tombstones go out in change order, and each change is stamped when it is made), or now when none.
func (p *Provider) earliest() (time.Time, error) {
	t := p.Now().UTC()
	_, err := p.store.Changes(0, 0, func(e *corpus.Entry) error {
		if e.Kind == corpus.KindResult {
			t = e.Modified
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return time.Time{}, err
	}
	return t.Truncate(time.Second), nil
}

func dcFormat() formatEl {
	return formatEl{Prefix: PrefixDC, Schema: SchemaOAIDC, Namespace: NamespaceOAIDC}
}

func (p *Provider) listFormats(identifier string, s site) (*formatsEl, error) {
	if identifier != "" {
		if _, err := p.lookup(identifier, s); err != nil {
			return nil, err
		}
		// Every result, deleted ones included, has (had) its Dublin Core: noMetadataFormats cannot arise.
	}
	return &formatsEl{Formats: []formatEl{dcFormat()}}, nil
}

func listSets(resumptionToken string) (*setsEl, error) {
	if resumptionToken != "" {
		// The set list always fits in one response: no token is ever issued for it.
		return nil, protoErr(ErrBadResumptionToken, "Danh sách tập hợp không phân trang; resumptionToken không hợp lệ.")
	}
	out := &setsEl{}
	for _, st := range allSets() {
		el := setEl{Spec: st.Spec, Name: st.Name}
		if st.NameEN != "" {
			d := newDC()
			d.add(&d.Description, "description", "en", st.NameEN)
			el.Description = []descriptionEl{{DC: d}}
		}
		out.Sets = append(out.Sets, el)
	}
	return out, nil
}

// lookup finds the store entry of an OAI identifier of this repository: a result, live or deleted.
func (p *Provider) lookup(identifier string, s site) (*corpus.Entry, error) {
	notFound := protoErr(ErrIDDoesNotExist, "Không có bản ghi với định danh %q trong kho này.", clip(identifier))
	prefix := "oai:" + s.repositoryID + ":"
	if !strings.HasPrefix(identifier, prefix) {
		return nil, notFound
	}
	id, err := url.PathUnescape(strings.TrimPrefix(identifier, prefix))
	if err != nil || id == "" || len(id) > corpus.MaxIDBytes {
		return nil, notFound
	}
	e, err := p.store.Tombstone(id) // the entry, live or deleted
	if errors.Is(err, corpus.ErrNotFound) || (err == nil && e.Kind != corpus.KindResult) {
		return nil, notFound
	}
	return e, err
}

func (p *Provider) getRecord(identifier, prefix string, s site) (*getRecordEl, error) {
	var errs protoErrs
	e, err := p.lookup(identifier, s)
	var pe *ProtocolError
	if errors.As(err, &pe) {
		errs = append(errs, pe)
	} else if err != nil {
		return nil, err
	}
	if prefix != PrefixDC {
		errs = append(errs, cannotDisseminate(prefix))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	rec, err := p.record(e, s, true)
	if err != nil {
		return nil, err
	}
	return &getRecordEl{Record: *rec}, nil
}

func cannotDisseminate(prefix string) *ProtocolError {
	return protoErr(ErrCannotDisseminateFormat, "Kho chỉ cung cấp định dạng oai_dc, không có %q.", clip(prefix))
}

// record is the OAI record of a store entry; without metadata for a deleted one, or when only the header
// is wanted.
func (p *Provider) record(e *corpus.Entry, s site, metadata bool) (*recordEl, error) {
	out := &recordEl{Header: headerEl{Identifier: Identifier(s.repositoryID, e.ID), Datestamp: FormatDatestamp(e.Modified)}}
	if e.Deleted {
		out.Header.Status = "deleted"
		return out, nil
	}
	rec, err := e.Decode()
	if err != nil {
		return nil, err
	}
	r, ok := rec.(*corpus.Result)
	if !ok {
		return nil, fmt.Errorf("bản ghi %s không phải kết quả", e.ID)
	}
	out.Header.SetSpecs = setSpecs(r)
	if metadata {
		out.Metadata = &metadataEl{DC: resultDC(r, s, e.Original != "")}
	}
	return out, nil
}
