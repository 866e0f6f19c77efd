package extract

import (
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"
	"unicode"
)

// Limits bounds what reading a DOCX or ODT file may cost.
type Limits struct {
	// MaxBytes caps the uncompressed bytes read from the archive's parts (the XML, all parts together);
	// 0 means 64 MiB. A part that inflates past it (a zip bomb) makes the file ReasonTooLarge.
	MaxBytes int64
}

// docxOn reads an OOXML toggle property (<w:b/>, <w:caps w:val="0"/>).
func docxOn(se xml.StartElement) bool {
	switch strings.ToLower(docxAttr(se, "val")) {
	case "0", "false", "off":
		return false
	}
	return true
}

// docxRProps are the run properties that matter for text: the font (to spot legacy encodings),
// all-caps display and hidden text. The *Set fields tell a value from an inherited one.
type docxRProps struct {
	font                   string // the hAnsi font, else the ascii one; "" for a theme font
	fontSet, caps, capsSet bool
	hidden, hiddenSet      bool
}

// apply reads one child of w:rPr.
func (p *docxRProps) apply(se xml.StartElement) {
	switch se.Name.Local {
	case "rFonts":
		if docxAttr(se, "hAnsiTheme") != "" || docxAttr(se, "asciiTheme") != "" {
			p.font, p.fontSet = "", true // theme fonts are modern Unicode fonts
		} else if f := docxAttr(se, "hAnsi"); f != "" {
			p.font, p.fontSet = f, true
		} else if f := docxAttr(se, "ascii"); f != "" {
			p.font, p.fontSet = f, true
		}
	case "caps":
		p.caps, p.capsSet = docxOn(se), true
	case "vanish":
		p.hidden, p.hiddenSet = docxOn(se), true
	}
}

// inherit fills the unset properties of p from q.
func (p *docxRProps) inherit(q docxRProps) {
	if !p.fontSet && q.fontSet {
		p.font, p.fontSet = q.font, true
	}
	if !p.capsSet && q.capsSet {
		p.caps, p.capsSet = q.caps, true
	}
	if !p.hiddenSet && q.hiddenSet {
		p.hidden, p.hiddenSet = q.hidden, true
	}
}

type docxStyle struct {
	basedOn string
	rp      docxRProps
}

// docxStyles is what word/styles.xml says about fonts: document defaults, the default paragraph
// style and each style's run properties with its basedOn parent.
type docxStyles struct {
	byID         map[string]*docxStyle
	defParagraph string
	defaults     docxRProps
}

// resolve computes a run's effective properties: direct formatting, then the character style chain,
// then the paragraph style chain (or the default paragraph style), then the document defaults.
func (s *docxStyles) resolve(run docxRProps, rStyle, pStyle string) docxRProps {
	if pStyle == "" {
		pStyle = s.defParagraph
	}
	for _, id := range [...]string{rStyle, pStyle} {
		for depth := 0; id != "" && depth < 32; depth++ {
			st := s.byID[id]
			if st == nil {
				break
			}
			run.inherit(st.rp)
			id = st.basedOn
		}
	}
	run.inherit(s.defaults)
	return run
}

// docxReadStyles parses word/styles.xml; a missing or unreadable part gives empty styles.
func docxReadStyles(a *docxArchive) *docxStyles {
	s := &docxStyles{byID: map[string]*docxStyle{}}
	rc, err := a.open("word/styles.xml", 8*docxMaxPropsBytes)
	if err != nil {
		return s
	}
	defer rc.Close()
	d := docxNewDecoder(rc)
	var cur *docxStyle
	var inDefaults, inRPr bool
	skip := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return s // keep what was read: styles only refine font detection
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			switch t.Name.Local {
			case "rPrChange", "pPrChange", "tblStylePr":
				skip = 1
			case "rPrDefault":
				inDefaults = true
			case "style":
				cur = &docxStyle{}
				if id := docxAttr(t, "styleId"); id != "" {
					s.byID[id] = cur
					if def := docxAttr(t, "default"); docxAttr(t, "type") == "paragraph" && (def == "1" || def == "true" || def == "on") {
						s.defParagraph = id
					}
				}
			case "basedOn":
				if cur != nil {
					cur.basedOn = docxAttr(t, "val")
				}
			case "rPr":
				inRPr = true
			default:
				if inRPr && inDefaults {
					s.defaults.apply(t)
				} else if inRPr && cur != nil {
					cur.rp.apply(t)
				}
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			switch t.Name.Local {
			case "rPrDefault":
				inDefaults = false
			case "style":
				cur = nil
			case "rPr":
				inRPr = false
			}
		}
	}
}

// docxMainPart finds the main document part from _rels/.rels, defaulting to word/document.xml.
func docxMainPart(a *docxArchive) string {
	rc, err := a.open("_rels/.rels", docxMaxPropsBytes)
	if err != nil {
		return "word/document.xml"
	}
	defer rc.Close()
	d := docxNewDecoder(rc)
	for {
		tok, err := d.Token()
		if err != nil {
			return "word/document.xml"
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Relationship" &&
			strings.HasSuffix(docxAttr(se, "Type"), "/officeDocument") {
			if t := path.Clean("/" + docxAttr(se, "Target")); t != "/" && a.has(t) {
				return strings.TrimPrefix(t, "/")
			}
		}
	}
}

// ExtractDOCX reads a Word document (OOXML): the text of word/document.xml (paragraphs as lines, tabs,
// breaks, tables cell by cell, text boxes), then footnotes and endnotes, as one page; runs in a legacy
// Vietnamese font (.VnTime, VNI-Times...) are converted to Unicode by font, and paragraphs that still
// look like TCVN3/VNI/mojibake are repaired statistically. Metadata comes from docProps/core.xml.
// Password-protected files are ReasonEncrypted, Word 97–2003 files ReasonUnsupported.
func ExtractDOCX(ra io.ReaderAt, size int64, lim Limits) (*Document, error) {
	a, err := docxOpenArchive(ra, size, lim)
	if err != nil {
		return nil, err
	}
	main := docxMainPart(a)
	if !a.has(main) {
		if a.has("content.xml") {
			return ExtractODT(ra, size, lim)
		}
		return nil, Errorf(ReasonUnsupported, "tệp nén không chứa văn bản Word (thiếu %s)", main)
	}
	w := &docxWalker{st: docxReadStyles(a), conv: textConverter{}}
	for i, part := range []string{main, "word/footnotes.xml", "word/endnotes.xml"} {
		if i > 0 && !a.has(part) {
			continue
		}
		if err := w.walkPart(a, part); err != nil {
			return nil, docxError(err, part)
		}
	}
	doc := &Document{Format: FormatDOCX}
	if err := w.conv.finish(doc, w.paras); err != nil {
		return nil, err
	}
	if p, err := docxReadProps(a, "docProps/core.xml"); err == nil {
		doc.Metadata = coverDocMetadata(p["title"], p["creator"], p["subject"], p["keywords"], "properties")
	} else if !errors.Is(err, fs.ErrNotExist) {
		doc.Warn(WarnMetadata, 0, "không đọc được thuộc tính tài liệu (docProps/core.xml)")
	}
	return doc, nil
}

// docxPara is a paragraph being read: its style and the state of the run being read in it (kept per
// paragraph because text boxes nest paragraphs inside a run).
type docxPara struct {
	pStyle        string
	run           docxRProps
	rStyle        string
	resolved      *docxRProps // the current run's effective properties, computed on first text
	inRun, inRPr  bool
	inPPr, inText bool
	segs          []textSeg
}

// docxWalker streams the XML of document, footnote and endnote parts into paragraphs.
type docxWalker struct {
	st    *docxStyles
	conv  textConverter
	stack []*docxPara
	paras []textPara
}

func (w *docxWalker) walkPart(a *docxArchive, part string) error {
	rc, err := a.open(part, 0)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := docxNewDecoder(rc)
	skip := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			for len(w.stack) > 0 { // unclosed paragraphs of a lenient parse
				w.endPara()
			}
			return nil
		}
		if err != nil {
			return err
		}
		var p *docxPara
		if len(w.stack) > 0 {
			p = w.stack[len(w.stack)-1]
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			switch t.Name.Local {
			case "Fallback", "rPrChange", "pPrChange", "moveFrom", "del", "delText", "instrText",
				"sectPr", "commentReference", "annotationRef":
				skip = 1
			case "footnote", "endnote":
				if ty := docxAttr(t, "type"); ty != "" && ty != "normal" {
					skip = 1 // separators and continuation notices
				}
			case "p":
				w.stack = append(w.stack, &docxPara{})
			}
			if p == nil || skip > 0 {
				continue
			}
			w.start(p, t)
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if p == nil {
				continue
			}
			switch t.Name.Local {
			case "p":
				w.endPara()
			case "pPr":
				p.inPPr = false
			case "r":
				p.inRun, p.resolved = false, nil
			case "rPr":
				p.inRPr = false
			case "t":
				p.inText = false
			}
		case xml.CharData:
			if skip == 0 && p != nil && p.inText {
				w.emit(p, strings.Map(docxSpaceMap, string(t)))
			}
		}
	}
}

// docxSpaceMap turns line breaks and tabs inside w:t into spaces (Word shows them so).
func docxSpaceMap(r rune) rune {
	if r == '\n' || r == '\r' || r == '\t' {
		return ' '
	}
	return r
}

// start handles an element inside an open paragraph.
func (w *docxWalker) start(p *docxPara, t xml.StartElement) {
	switch t.Name.Local {
	case "pPr":
		p.inPPr = true
	case "pStyle":
		if p.inPPr {
			p.pStyle = docxAttr(t, "val")
		}
	case "r":
		p.inRun, p.run, p.rStyle, p.resolved = true, docxRProps{}, "", nil
	case "rPr":
		p.inRPr = p.inRun && !p.inPPr
	case "rStyle":
		if p.inRPr {
			p.rStyle = docxAttr(t, "val")
		}
	case "rFonts", "caps", "vanish":
		if p.inRPr {
			p.run.apply(t)
		}
	case "t":
		p.inText = p.inRun
	case "tab", "ptab":
		if p.inRun && !p.inPPr {
			w.emit(p, "\t")
		}
	case "br", "cr":
		if p.inRun {
			w.emit(p, "\n")
		}
	case "noBreakHyphen":
		if p.inRun {
			w.emit(p, "-")
		}
	}
}

// emit appends run text with the run's effective font.
func (w *docxWalker) emit(p *docxPara, s string) {
	if s == "" {
		return
	}
	if p.resolved == nil {
		r := w.st.resolve(p.run, p.rStyle, p.pStyle)
		p.resolved = &r
	}
	if p.resolved.hidden {
		return
	}
	p.segs = textAppendSeg(p.segs, s, p.resolved.font, p.resolved.caps)
}

// endPara closes the innermost paragraph, converting its legacy-font runs.
func (w *docxWalker) endPara() {
	p := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	w.paras = append(w.paras, w.conv.para(p.segs))
}

// docxUnicodeLetters reports letters beyond Latin-1 that a legacy font's bytes cannot produce as
// Windows-1252 characters: such a run holds real Unicode text despite its font name.
func docxUnicodeLetters(s string) bool {
	for _, r := range s {
		if r > 0xFF && unicode.IsLetter(r) && !strings.ContainsRune("ŠŒŽšœžŸƒ", r) {
			return true
		}
	}
	return false
}
