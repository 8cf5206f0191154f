package customs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"bricstown/internal/problem"
)

// NewDocument is an attachment as uploaded: its bytes and what the trader
// says they are.
type NewDocument struct {
	Kind      DocumentKind `json:"kind"`
	Reference string       `json:"reference,omitempty"`
	Filename  string       `json:"filename"`
	MediaType string       `json:"media_type"`
	Content   []byte       `json:"-"`
}

// checkDocument validates an upload and returns its metadata with the
// SHA-256 the platform computed from the bytes: a checksum the uploader
// supplied would prove nothing. The content must also look like its media
// type, so a renamed executable does not pass as a PDF.
func checkDocument(in NewDocument) (Document, error) {
	f := problem.Fields{}
	d := Document{Kind: DocumentKind(strings.ToLower(strings.TrimSpace(string(in.Kind))))}
	if !slices.Contains(DocumentKinds, d.Kind) {
		f.Add("kind", "must be one of commercial_invoice, packing_list, certificate_of_origin, phytosanitary_certificate, veterinary_certificate, other")
	}
	d.Reference = text(f, "reference", in.Reference, maxRefLen, false)
	d.Filename = text(f, "filename", in.Filename, 255, true)
	if strings.ContainsAny(d.Filename, `/\`) || d.Filename == "." || d.Filename == ".." {
		f.Add("filename", "must be a file name without a path")
	}
	d.MediaType = strings.ToLower(strings.TrimSpace(in.MediaType))
	if i := strings.IndexByte(d.MediaType, ';'); i >= 0 {
		d.MediaType = strings.TrimSpace(d.MediaType[:i]) // drop "; charset=..."
	}
	typeOK := slices.Contains(MediaTypes, d.MediaType)
	if !typeOK {
		f.Add("media_type", "must be application/pdf, image/png, image/jpeg or application/xml")
	}
	d.Size = int64(len(in.Content))
	switch {
	case d.Size == 0:
		f.Add("content", "the document is empty")
	case d.Size > MaxDocumentSize:
		f.Add("content", "the document is larger than 10 MiB")
	case typeOK && !looksLike(d.MediaType, in.Content):
		f.Addf("content", "the content is not %s", d.MediaType)
	}
	if err := f.Err("the document is not valid"); err != nil {
		if d.Size > MaxDocumentSize {
			err.(*problem.Error).Code = problem.TooLarge
		}
		return Document{}, err
	}
	sum := sha256.Sum256(in.Content)
	d.SHA256 = hex.EncodeToString(sum[:])
	return d, nil
}

// SniffMediaType names which of the accepted media types (MediaTypes) the
// bytes are by their signature, or "" for none: an upload that does not
// say its type is given the one its bytes have.
func SniffMediaType(b []byte) string {
	for _, mt := range MediaTypes {
		if looksLike(mt, b) {
			return mt
		}
	}
	return ""
}

// DocumentMediaType decides an uploaded document's media type, for the API
// and the pages alike: the type the upload declares when it is one the
// town accepts; else the file's signature; else what was declared (the
// service then names it as unsupported); else application/octet-stream.
func DocumentMediaType(declared string, content []byte) string {
	mt := strings.ToLower(strings.TrimSpace(declared))
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	if slices.Contains(MediaTypes, mt) {
		return mt
	}
	if sniffed := SniffMediaType(content); sniffed != "" {
		return sniffed
	}
	if mt != "" {
		return mt
	}
	return "application/octet-stream"
}

// looksLike checks the file signature of the four accepted media types.
func looksLike(mediaType string, b []byte) bool {
	switch mediaType {
	case "application/pdf":
		return bytes.HasPrefix(b, []byte("%PDF-"))
	case "image/png":
		return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n"))
	case "image/jpeg":
		return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF})
	case "application/xml":
		b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		b = bytes.TrimLeft(b, " \t\r\n")
		// An XML declaration, or markup that is not HTML (a page saved
		// from a browser is not an electronic document).
		if bytes.HasPrefix(b, []byte("<?xml")) {
			return true
		}
		head := strings.ToLower(string(b[:min(len(b), 512)]))
		html := strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") || strings.Contains(head, "<body")
		return len(b) > 0 && b[0] == '<' && !html
	}
	return false
}
