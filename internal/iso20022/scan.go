package iso20022

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"bricstown/internal/problem"
)

// MaxDocumentSize is the largest document ParsePacs008 reads. A bank's
// end-of-day batch fits comfortably; anything bigger is refused before it
// can tie up memory, and the bank is expected to split the file.
const MaxDocumentSize = 32 << 20

// maxDepth bounds element nesting. The deepest path pacs.008 defines is far
// shallower; a deeper document is an attack on the parser, not a payment.
const maxDepth = 64

// readLimited reads at most limit bytes and refuses anything longer.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &problem.Error{Code: problem.Malformed, Message: "document could not be read",
			Fields: map[string]string{docField: "read failed"}, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &problem.Error{Code: problem.TooLarge, Message: "document too large",
			Fields: map[string]string{docField: fmt.Sprintf("larger than %d MiB (%d bytes); split the file", limit>>20, limit)}}
	}
	// A UTF-8 byte-order mark is legal XML but encoding/xml treats it as text.
	return bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), nil
}

// malformed reports a document encoding/xml cannot read. The syntax error
// is fully told in the field message, so it is not kept again as the cause.
func malformed(path string, err error) error {
	pe := &problem.Error{Code: problem.Malformed, Message: "document is not well-formed XML",
		Fields: map[string]string{path: err.Error()}}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		pe.Fields[path] = fmt.Sprintf("line %d: %s", se.Line, se.Msg)
	}
	return pe
}

func invalidDoc(path, msg string) error {
	return &problem.Error{Code: problem.Invalid, Message: "document refused",
		Fields: map[string]string{path: msg}}
}

// docSpec describes one message type for the checks made while decoding.
type docSpec struct {
	ns      string     // target namespace of the message
	message string     // local name of Document's only child
	shape   *shapeNode // elements the decoder reads, below the message element
}

// shapeNode is one element the decoder reads; repeat says whether the
// decoding struct holds a slice of it.
type shapeNode struct {
	repeat   bool
	children map[string]*shapeNode
}

// newDocSpec derives the element shape from the decoding structs, so the
// list of elements that must not repeat can never drift from what the
// decoder reads.
func newDocSpec(ns, message string, msg reflect.Type) *docSpec {
	var build func(t reflect.Type) *shapeNode
	build = func(t reflect.Type) *shapeNode {
		n := &shapeNode{children: map[string]*shapeNode{}}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return n
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if f.Name == "XMLName" || name == "" || name == "-" || strings.Contains(opts, "attr") ||
				strings.Contains(opts, "chardata") {
				continue
			}
			ft := f.Type
			repeat := ft.Kind() == reflect.Slice
			if repeat {
				ft = ft.Elem()
			}
			child := build(ft)
			child.repeat = repeat
			n.children[name] = child
		}
		return n
	}
	return &docSpec{ns: ns, message: message, shape: build(msg)}
}

type scanFrame struct {
	local   string
	n       int        // 1-based position among same-named siblings
	indexed bool       // show [n] in paths
	shape   *shapeNode // nil when the decoder does not read this element
	free    bool       // children may be anything (inside SplmtryData/Envlp)
	kids    []kidCount
}

type kidCount struct {
	name string
	n    int
}

func (f *scanFrame) count(name string) int {
	for i := range f.kids {
		if f.kids[i].name == name {
			f.kids[i].n++
			return f.kids[i].n
		}
	}
	f.kids = append(f.kids, kidCount{name, 1})
	return 1
}

// checker sits between the tokenizer and encoding/xml's struct decoding and
// refuses what decoding would silently let through: DOCTYPEs, a foreign
// root or namespace, a second copy of an element the decoder would
// overwrite, content outside the root, absurd nesting. Doing it on the token
// stream the decoder consumes means the document is tokenized only once.
// Fatal faults stop the stream; faults that still let decoding make sense
// are added to errs.
type checker struct {
	spec     *docSpec
	src      *xml.Decoder
	errs     *fieldErrs
	stack    []*scanFrame
	rootSeen bool
	fatal    error
}

func newChecker(spec *docSpec, data []byte, errs *fieldErrs) *checker {
	src := xml.NewDecoder(bytes.NewReader(data))
	src.Strict = true
	return &checker{spec: spec, src: src, errs: errs}
}

// decode fills v (the Document struct) from the checked token stream and
// then reads on to the end so that trailing content is checked too.
func (c *checker) decode(v any) error {
	err := xml.NewTokenDecoder(c).Decode(v)
	if c.fatal != nil {
		return c.fatal
	}
	if err != nil {
		return malformed(docField, err)
	}
	for {
		if _, err := c.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// path renders the element path of the innermost depth frames.
func (c *checker) path(depth int) string {
	switch depth {
	case 0, 1:
		return docField
	case 2:
		return c.spec.message
	}
	var b strings.Builder
	for i, f := range c.stack[2:depth] {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(f.local)
		if f.indexed {
			fmt.Fprintf(&b, "[%d]", f.n)
		}
	}
	return b.String()
}

func (c *checker) Token() (xml.Token, error) {
	if c.fatal != nil {
		return nil, c.fatal
	}
	tok, err := c.src.Token()
	if err == io.EOF && c.rootSeen {
		return nil, io.EOF
	}
	if err == io.EOF {
		err = errors.New("no root element")
	}
	if err == nil {
		err = c.check(tok)
	} else {
		err = malformed(c.path(len(c.stack)), err)
	}
	if err != nil {
		c.fatal = err
		return nil, err
	}
	return tok, nil
}

func (c *checker) check(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.Directive:
		// encoding/xml never resolves external entities, but a DTD can
		// still declare internal ones; refusing every DOCTYPE keeps the
		// question from arising.
		return &problem.Error{Code: problem.Malformed, Message: "document is not acceptable XML",
			Fields: map[string]string{docField: "DOCTYPE and other <! declarations are not accepted"}}
	case xml.CharData:
		if len(c.stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
			return malformed(docField, errors.New("text outside the root element"))
		}
	case xml.EndElement:
		c.stack = c.stack[:len(c.stack)-1]
	case xml.StartElement:
		return c.start(t)
	}
	return nil
}

func (c *checker) start(t xml.StartElement) error {
	spec := c.spec
	depth := len(c.stack)
	if depth >= maxDepth {
		return invalidDoc(c.path(depth), fmt.Sprintf("elements nested more than %d deep", maxDepth))
	}
	if depth == 0 {
		if c.rootSeen {
			return malformed(docField, errors.New("more than one root element"))
		}
		c.rootSeen = true
		if t.Name.Local != "Document" || t.Name.Space != spec.ns {
			return invalidDoc(docField, fmt.Sprintf("root element is {%s}%s; expected Document in namespace %s",
				t.Name.Space, t.Name.Local, spec.ns))
		}
		c.stack = append(c.stack, &scanFrame{local: t.Name.Local, n: 1})
		return nil
	}
	parent := c.stack[depth-1]
	fr := &scanFrame{local: t.Name.Local, n: parent.count(t.Name.Local), free: parent.free}
	fr.indexed = fr.n > 1
	c.stack = append(c.stack, fr)
	switch {
	case parent.free:
		return nil
	case depth == 1:
		if t.Name.Local != spec.message || t.Name.Space != spec.ns || fr.n > 1 {
			return invalidDoc(docField, fmt.Sprintf("Document must contain exactly one %s in namespace %s",
				spec.message, spec.ns))
		}
		fr.shape = spec.shape
		return nil
	}
	if parent.shape != nil {
		fr.shape = parent.shape.children[t.Name.Local]
	}
	if fr.shape != nil && fr.shape.repeat {
		fr.indexed = true
	}
	switch {
	case t.Name.Space != spec.ns:
		c.errs.addf(c.path(depth+1), "element in namespace %q; expected %s", t.Name.Space, spec.ns)
	case fr.shape != nil && !fr.shape.repeat && fr.n > 1:
		c.errs.add(c.path(depth+1), "element repeated; at most one is allowed")
	}
	if t.Name.Local == "Envlp" && parent.local == "SplmtryData" {
		fr.free = true
	}
	return nil
}
