package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// Product images (issue 11). The API takes the image as the raw request
// body (any Content-Type: the type is sniffed from the bytes, never
// trusted from the header or a file name); the page takes a multipart
// form. Images are served by the page route GET /market/images/{id}, so an
// <img> of a signed-in reader loads with its session cookie.

// marketImageBodyLimit leaves room above market.MaxImageBytes so that a
// slightly too big image is refused with the field message, not a bare 413.
const marketImageBodyLimit = market.MaxImageBytes + 1<<20

// readImageBody reads at most one byte more than an image may have: the
// service refuses what is longer with its field message.
func readImageBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, market.MaxImageBytes+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &problem.Error{Code: problem.TooLarge, Message: "the image is not accepted", Fields: problem.Fields{"file": "the image is larger than 2 MiB"}}
	}
	if err != nil {
		return nil, problem.Wrap(problem.Malformed, err, "the body cannot be read")
	}
	return b, nil
}

func (s *Server) addProductImage(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	b, err := readImageBody(r.Body)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	img, err := s.Market.AddImage(r.Context(), principal(r), r.PathValue("id"), b)
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/market/images/"+img.ID)
	writeJSON(w, http.StatusCreated, img)
}

func (s *Server) listProductImages(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	list, err := s.Market.Images(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	if list == nil {
		list = []market.Image{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) deleteProductImage(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	if err := s.Market.DeleteImage(r.Context(), principal(r), r.PathValue("id"), r.PathValue("image")); err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveMarketImage answers an image's bytes with its sniffed type, nosniff
// (a browser must never reinterpret an upload as HTML or script), and an
// ETag from its SHA-256: an image never changes under its id, so readers
// may cache it.
func (s *Server) serveMarketImage(w http.ResponseWriter, r *http.Request) {
	if !s.marketReady(w, r) {
		return
	}
	img, b, err := s.Market.ImageData(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		writeProblem(w, r, s.log, err)
		return
	}
	h := w.Header()
	etag := `"` + img.SHA256 + `"`
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", img.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
